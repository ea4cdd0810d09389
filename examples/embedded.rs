//! A packed model for inference only, as a device runs it: the model file's bytes in, one
//! class per feature vector out, through the packed codes, with no f32 weights, no ndarray and
//! no allocation per prediction. The device reads the same model file as everything else,
//! through ser-quant's `no_std` reader of its container; the feature configuration ser-model
//! keeps in it is the `metadata` text, which the device's front end need not parse.
//!
//! ```text
//! cargo run --release --example embedded -- model.serq     # a file `ser quantize` wrote
//! cargo run --release --example embedded                   # a 2-bit model of the demo corpus
//! ```
//!
//! On a device the bytes would be compiled in, and only `ser-quant` linked, without its `std`
//! feature (`ser-quant = { version = "0.1", default-features = false }`; the file reader and
//! inference are `no_std` + `alloc`):
//!
//! ```text
//! static MODEL: &[u8] = include_bytes!("model.serq");
//! let model = ser_quant::PackedModel::from_bytes(MODEL)?;
//! ```

use ser_adaptive::data::demo::{DemoConfig, DemoCorpus};
use ser_adaptive::prelude::*;
use ser_adaptive::quant::{PackedModel, Scratch, argmax};

fn main() -> Result<()> {
    let bytes: Vec<u8> = match std::env::args().nth(1) {
        Some(path) => std::fs::read(&path).map_err(|e| Error::io(path.as_ref(), e))?,
        None => {
            // What `ser quantize --bits 2` would write for a model of the demo corpus.
            let two = Precision::Bits(BitWidth::new(2)?);
            let model = ser_examples::demo_model(0)?;
            model
                .quantize(&[two; 4], QuantOptions::default())?
                .to_bytes()?
        }
    };

    // On the device: check and parse the bytes once (a corrupt file is an error, not a crash).
    let model = PackedModel::from_bytes(&bytes).map_err(ser_adaptive::model::ModelError::from)?;
    let widths: Vec<u8> = model
        .mlp
        .layers()
        .iter()
        .map(|l| l.precision().bits())
        .collect();
    println!(
        "model: {} bytes, {} parameters at {:?} bits ({:.2} average), classes {:?}",
        bytes.len(),
        model.mlp.params(),
        widths,
        model.mlp.average_bits(),
        model.classes
    );

    // Feature vectors come from the device's front end; here, from demo utterances.
    let extractor = FeatureExtractor::new(FeatureConfig::default())?;
    let corpus = DemoCorpus::new(DemoConfig {
        speakers: 8,
        utterances_per_emotion: 1,
        ..DemoConfig::default()
    });
    let utterances: Vec<_> = (0..7).map(|e| corpus.synthesise(7, e, 0)).collect();
    let vectors = utterances
        .iter()
        .map(|u| extractor.extract(&u.samples, u.sample_rate))
        .collect::<std::result::Result<Vec<_>, _>>()?;

    // One scratch buffer, reused: predictions allocate nothing.
    let mut scratch = Scratch::default();
    let mut correct = 0;
    for (u, v) in utterances.iter().zip(&vectors) {
        let logits = model.logits(v, &mut scratch)?;
        let class = argmax(logits.iter().copied());
        correct += usize::from(model.classes[class] == u.label);
        println!("{:<22} -> {}", u.name, model.classes[class]);
    }
    println!(
        "{correct} of {} right (a speaker the model never heard)",
        vectors.len()
    );

    let start = std::time::Instant::now();
    let reps = 2000;
    for i in 0..reps {
        std::hint::black_box(model.predict(&vectors[i % vectors.len()], &mut scratch)?);
    }
    println!(
        "{:.1} us per prediction on this machine (one thread; criterion figures are in docs/PERFORMANCE.md)",
        start.elapsed().as_secs_f64() * 1e6 / reps as f64
    );
    Ok(())
}
