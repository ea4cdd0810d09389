//! Extract the 180-dim feature vector of audio files, or of the built-in demo corpus.
//!
//! ```text
//! cargo run --release --example extract_features -- speech.wav other.flac
//! cargo run --release --example extract_features            # the demo corpus
//! ```

use ser_adaptive::data::demo::{DemoConfig, DemoCorpus};
use ser_adaptive::features::{FeatureConfig, FeatureExtractor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let extractor = FeatureExtractor::new(FeatureConfig::default())?;
    let names = extractor.feature_names();
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        // Three demo utterances of different emotions, straight from memory.
        let corpus = DemoCorpus::new(DemoConfig {
            speakers: 1,
            utterances_per_emotion: 1,
            ..Default::default()
        });
        for utterance in corpus.utterances().iter().take(3) {
            let vector = extractor.extract(&utterance.samples, utterance.sample_rate)?;
            println!(
                "{:<22} {:<10} {} = {:8.2}, {} = {:.4}",
                utterance.name, utterance.label, names[0], vector[0], names[52], vector[52]
            );
        }
        return Ok(());
    }
    for file in files {
        match extractor.extract_file(&file) {
            Ok(f) => println!(
                "{file}: {:.2} s at {} Hz, {} channel(s), tuning {:?}, {} = {:.2}",
                f.duration, f.native_sample_rate, f.channels, f.tuning, names[0], f.vector[0]
            ),
            // Bad files are reported and the others go on.
            Err(e) => eprintln!("error: {e}"),
        }
    }
    Ok(())
}
