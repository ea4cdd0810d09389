//! Shared by the runnable examples in `examples/*.rs`: the built-in demo corpus as a labelled
//! dataset, and a small model trained on it, so every example runs without downloads.

use ser_adaptive::data::demo::DemoConfig;
use ser_adaptive::prelude::*;

/// The demo corpus (`speakers` synthetic speakers, `per_emotion` utterances of each of 7
/// emotions each) as a dataset of feature rows, with speakers and names (`demo:NAME`).
pub fn demo_dataset(
    extractor: &FeatureExtractor,
    speakers: usize,
    per_emotion: usize,
) -> Result<Dataset> {
    let sources = Source::demo(DemoConfig {
        speakers,
        utterances_per_emotion: per_emotion,
        ..DemoConfig::default()
    });
    Ok(extract(sources, extractor, None, &|| {}).into_dataset()?)
}

/// The poster's network (180 -> 256-512-64 -> 7) trained on the default demo corpus (6
/// speakers, 210 utterances), seeded: a stand-in for a model trained on a real corpus.
pub fn demo_model(seed: u64) -> Result<Model> {
    let extractor = FeatureExtractor::new(FeatureConfig::default())?;
    let data = demo_dataset(&extractor, 6, 5)?;
    let rows: Vec<usize> = (0..data.len()).collect();
    let config = TrainConfig {
        seed,
        max_epochs: 60,
        ..TrainConfig::default()
    };
    Ok(train_model(&data, &rows, &config, extractor.config(), &mut |_| {})?.model)
}
