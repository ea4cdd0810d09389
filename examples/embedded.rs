//! A packed model for inference only, as a device runs it: straight from the model file's bytes
//! (on a device, flash), with nothing copied into RAM and nothing allocated; the caller gives
//! the working memory. The device reads the same model file as everything else, through
//! ser-quant's `no_std` [`BorrowedModel`]; the feature configuration ser-model keeps in it is
//! the `metadata` text, which the device's front end need not parse.
//!
//! ```text
//! cargo run --release --example embedded -- model.serq     # a file `ser quantize` wrote
//! cargo run --release --example embedded                   # the demo model at 1, 2 and mixed widths
//! ```
//!
//! On a device the bytes are compiled in, and only `ser-quant` linked, without its `std`
//! feature (`ser-quant = { version = "0.1", default-features = false }`):
//!
//! ```text
//! static MODEL: &[u8] = include_bytes!("model.serq");
//! static mut SCRATCH: [f32; 1024] = [0.0; 1024];   // at least model.scratch_len()
//! let model = ser_quant::BorrowedModel::from_bytes(MODEL)?;   // checks every byte once
//! let class = model.predict(&features, &mut SCRATCH)?;
//! ```

use ser_adaptive::data::demo::{DemoConfig, DemoCorpus};
use ser_adaptive::prelude::*;
use ser_adaptive::quant::BorrowedModel;

/// The model files to run: the one given, or the demo model at 1, 2 and mixed widths.
fn model_files() -> Result<Vec<(String, Vec<u8>)>> {
    if let Some(path) = std::env::args().nth(1) {
        let bytes = std::fs::read(&path).map_err(|e| Error::io(path.as_ref(), e))?;
        return Ok(vec![(path, bytes)]);
    }
    let model = ser_examples::demo_model(0)?;
    let bits = |b: u8| BitWidth::new(b).map(Precision::Bits);
    let mut files = Vec::new();
    for (name, widths) in [
        ("1 bit", vec![bits(1)?; 4]),
        ("2 bits", vec![bits(2)?; 4]),
        (
            "mixed 2-1-2-3",
            vec![bits(2)?, bits(1)?, bits(2)?, bits(3)?],
        ),
    ] {
        // What `ser quantize --bits ...` would write for a model of the demo corpus.
        let bytes = model.quantize(&widths)?.to_bytes()?;
        files.push((name.to_string(), bytes));
    }
    Ok(files)
}

fn main() -> Result<()> {
    // Feature vectors come from the device's front end; here, from demo utterances of a
    // speaker the model never heard.
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

    println!(
        "| model | flash (file bytes) | RAM: scratch + model handle | right | us per prediction |"
    );
    println!("|---|---:|---:|---:|---:|");
    for (name, bytes) in model_files()? {
        // On the device: check the bytes once (a corrupt file is an error, not a crash), then
        // run from them.
        let model =
            BorrowedModel::from_bytes(&bytes).map_err(ser_adaptive::model::ModelError::from)?;
        let mut scratch = vec![0.0f32; model.scratch_len()];
        let mut correct = 0;
        for (u, v) in utterances.iter().zip(&vectors) {
            let class = model
                .predict(v, &mut scratch)
                .map_err(ser_adaptive::model::ModelError::from)?;
            correct += usize::from(model.class(class) == Some(u.label.as_str()));
        }
        let start = std::time::Instant::now();
        let reps = 500;
        for i in 0..reps {
            let v = &vectors[i % vectors.len()];
            std::hint::black_box(
                model
                    .predict(v, &mut scratch)
                    .map_err(ser_adaptive::model::ModelError::from)?,
            );
        }
        let micros = start.elapsed().as_secs_f64() * 1e6 / reps as f64;
        let handle = std::mem::size_of::<BorrowedModel<'_>>();
        println!(
            "| {name} | {} | {} + {handle} = {} | {correct} of {} | {micros:.0} |",
            bytes.len(),
            4 * scratch.len(),
            4 * scratch.len() + handle,
            vectors.len()
        );
    }
    println!(
        "\nRAM is the f32 working memory a prediction needs (the standardised input and two layer"
    );
    println!(
        "outputs) and the model handle (slices into the bytes); the codes stay where they are."
    );
    Ok(())
}
