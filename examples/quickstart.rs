//! Audio file in, emotion out.
//!
//! ```text
//! cargo run --release --example quickstart -- --model emodb.sermodel speech.wav other.flac
//! cargo run --release --example quickstart
//! ```
//!
//! With `--model`, a model made by `ser train` (f32) or `ser quantize` (packed) classifies the
//! files. Without arguments
//! the example trains a model on the built-in demo corpus and classifies a demo utterance it
//! writes to a temporary WAV file, so it runs anywhere.

use std::path::PathBuf;

use ser_adaptive::data::demo::{DemoConfig, DemoCorpus};
use ser_adaptive::features::encode_wav_pcm16;
use ser_adaptive::prelude::*;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (model, files) = match args.first().map(String::as_str) {
        Some("--model") if args.len() >= 3 => (
            Model::load(args[1].as_ref())?,
            args[2..].iter().map(PathBuf::from).collect(),
        ),
        Some(_) => {
            eprintln!("usage: quickstart [--model MODEL FILE...]");
            std::process::exit(2);
        }
        None => {
            println!("training on the built-in demo corpus (210 utterances)...");
            let model = ser_examples::demo_model(0)?;
            // An utterance of a speaker the model has not heard (the corpus's 8th).
            let u = DemoCorpus::new(DemoConfig {
                speakers: 8,
                ..DemoConfig::default()
            })
            .synthesise(7, 3, 0);
            let path = std::env::temp_dir().join(format!(
                "ser-quickstart-{}-{}.wav",
                std::process::id(),
                u.name
            ));
            std::fs::write(&path, encode_wav_pcm16(&u.samples, u.sample_rate))
                .map_err(|e| Error::io(&path, e))?;
            println!(
                "{} is {} speaking with {}",
                path.display(),
                u.speaker,
                u.label
            );
            (model, vec![path])
        }
    };
    let written_here = args.is_empty();
    // The model knows the features it was trained on.
    let extractor = FeatureExtractor::new(model.features.clone())?;
    for file in &files {
        let features = match extractor.extract_file(file) {
            Ok(f) => f,
            Err(e) => {
                // A bad file is reported; the others go on.
                eprintln!("error: {e}");
                continue;
            }
        };
        let x = ndarray::Array2::from_shape_vec((1, features.vector.len()), features.vector)?;
        let p = model.predict_proba(x.view())?;
        let mut ranked: Vec<(usize, f32)> = p.row(0).iter().copied().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let top: Vec<String> = ranked
            .iter()
            .take(3)
            .map(|&(c, p)| format!("{} {:.0} %", model.classes[c], 100.0 * p))
            .collect();
        println!(
            "{}: {} ({:.2} s; {})",
            file.display(),
            model.classes[ranked[0].0],
            features.duration,
            top.join(", ")
        );
    }
    if written_here {
        // The temporary WAV this example wrote.
        for file in &files {
            std::fs::remove_file(file).map_err(|e| Error::io(file, e))?;
        }
    }
    Ok(())
}
