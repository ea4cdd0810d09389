//! Audio file in, emotion out.
//!
//! ```text
//! cargo run --release --example quickstart -- --model emodb.sermodel speech.wav other.flac
//! cargo run --release --example quickstart
//! ```
//!
//! With `--model`, a model made by `ser train` (f32) or `ser quantize` (packed) classifies the
//! files. Without arguments the example trains a model on the built-in demo corpus, saves it,
//! and classifies a demo utterance it writes to a temporary WAV file, so it runs anywhere.
//!
//! The whole of recognition is three statements: load, recognize, print.

use std::path::PathBuf;

use ser_adaptive::data::demo::{DemoConfig, DemoCorpus};
use ser_adaptive::features::encode_wav_pcm16;
use ser_adaptive::prelude::*;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (model_path, files): (PathBuf, Vec<PathBuf>) = match args.first().map(String::as_str) {
        Some("--model") if args.len() >= 3 => (
            args[1].clone().into(),
            args[2..].iter().map(PathBuf::from).collect(),
        ),
        Some(_) => {
            eprintln!("usage: quickstart [--model MODEL FILE...]");
            std::process::exit(2);
        }
        None => {
            println!("training on the built-in demo corpus (210 utterances)...");
            let model_path = std::env::temp_dir()
                .join(format!("ser-quickstart-{}.sermodel", std::process::id()));
            ser_examples::demo_model(0)?.save(&model_path)?;
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
            (model_path, vec![path])
        }
    };
    let written_here = args.is_empty();
    // The model file carries the features it was trained on and the rate of its audio.
    let recognizer = Recognizer::load(&model_path)?;
    for file in &files {
        match recognizer.recognize_file(file) {
            Ok(p) => {
                let mut ranked = p.probabilities.clone();
                ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
                let top: Vec<String> = ranked
                    .iter()
                    .take(3)
                    .map(|(c, q)| format!("{c} {:.0} %", 100.0 * q))
                    .collect();
                println!("{}: {} ({})", file.display(), p.emotion, top.join(", "));
            }
            // A bad file is reported; the others go on.
            Err(e) => eprintln!("error: {e}"),
        }
    }
    if written_here {
        // The temporary WAV and model this example wrote.
        for file in files.iter().chain([&model_path]) {
            std::fs::remove_file(file).map_err(|e| Error::io(file, e))?;
        }
    }
    Ok(())
}
