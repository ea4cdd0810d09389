//! A user crate goes from an audio file to an emotion through the prelude in three statements.

use ser_adaptive::data::demo::{DemoConfig, DemoCorpus};
use ser_adaptive::prelude::*;

#[test]
fn a_file_to_an_emotion_in_three_statements() -> std::result::Result<(), Box<dyn std::error::Error>>
{
    let dir = std::env::temp_dir().join(format!("ser-three-lines-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (model_path, wav) = (dir.join("demo.sermodel"), dir.join("speech.wav"));
    ser_examples::demo_model(0)?.save(&model_path)?;
    let u = DemoCorpus::new(DemoConfig::default()).synthesise(2, 1, 0);
    std::fs::write(
        &wav,
        ser_adaptive::features::encode_wav_pcm16(&u.samples, u.sample_rate),
    )?;

    // The three statements of the crate docs, as a user writes them.
    let recognizer = Recognizer::load(&model_path)?;
    let prediction = recognizer.recognize_file(&wav)?;
    println!(
        "{} ({:.0} %)",
        prediction.emotion,
        100.0 * prediction.probability
    );

    assert!(recognizer.classes().contains(&prediction.emotion));
    assert_eq!(prediction.probabilities.len(), 7);
    let total: f32 = prediction.probabilities.iter().map(|(_, p)| p).sum();
    assert!((total - 1.0).abs() < 1e-4);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
