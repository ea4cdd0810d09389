//! Shared by the runnable examples in `examples/*.rs`: the built-in demo corpus as a labelled
//! dataset, and a small model trained on it, so every example runs without downloads.

use ser_adaptive::features::corpus::demo::{DemoConfig, DemoCorpus};
use ser_adaptive::prelude::*;

/// The demo corpus (`speakers` synthetic speakers, `per_emotion` utterances of each of 7
/// emotions each) as a dataset of feature rows, with speakers and names.
pub fn demo_dataset(
    extractor: &FeatureExtractor,
    speakers: usize,
    per_emotion: usize,
) -> Result<Dataset> {
    let corpus = DemoCorpus::new(DemoConfig {
        speakers,
        utterances_per_emotion: per_emotion,
        ..DemoConfig::default()
    });
    let utterances = corpus.utterances();
    let mut values = Vec::with_capacity(utterances.len() * extractor.dim());
    for u in &utterances {
        values.extend(extractor.extract(&u.samples, u.sample_rate)?);
    }
    let x = ndarray::Array2::from_shape_vec((utterances.len(), extractor.dim()), values)?;
    let labels: Vec<String> = utterances.iter().map(|u| u.label.clone()).collect();
    Ok(Dataset::from_rows(
        x,
        &labels,
        utterances.iter().map(|u| Some(u.speaker.clone())).collect(),
        utterances.iter().map(|u| u.name.clone()).collect(),
        extractor.feature_names(),
    )?)
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
