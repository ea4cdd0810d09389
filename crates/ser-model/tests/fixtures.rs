//! Model files of format version 2, committed: they must load and predict the classes recorded
//! when they were written, so a change of the format (or of how a model computes) cannot pass
//! unnoticed. `SER_WRITE_FIXTURES=1 cargo test -p ser-model --test fixtures` (what
//! `scripts/make_model_fixtures.sh` runs) writes them again; that is a format change, to be
//! committed with a new format version.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use ndarray::Array2;
use ser_features::FeatureConfig;
use ser_mlp::{Labelled, Standardizer, TrainConfig, fit};
use ser_model::{Model, Network, TrainingInfo};
use ser_quant::{BitWidth, Precision, QuantOptions};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// 24 rows of 180 features from a fixed formula, in three groups: what the fixtures are asked.
fn rows() -> Array2<f32> {
    Array2::from_shape_fn((24, 180), |(i, j)| {
        let class = (i % 3) as f32;
        ((i * 7 + j * 13) % 17) as f32 / 17.0 + if j % 3 == i % 3 { 2.0 + class } else { 0.0 }
    })
}

/// A small f32 model (180 -> 8 -> 3) trained on [`rows`], and the same at 2 bits with the
/// output layer in f32.
fn make() -> (Model, Model) {
    let x = rows();
    let y: Vec<usize> = (0..x.nrows()).map(|i| i % 3).collect();
    let standardizer = Standardizer::fit(x.view()).unwrap();
    let xs = standardizer.transform(x.view()).unwrap();
    let config = TrainConfig {
        hidden: vec![8],
        max_epochs: 30,
        seed: 5,
        ..TrainConfig::default()
    };
    let (mlp, history) = fit(
        &config,
        Labelled {
            x: xs.view(),
            y: &y,
        },
        None,
        3,
    )
    .unwrap();
    let training = TrainingInfo {
        seed: 5,
        epochs: history.epochs.len(),
        best_epoch: history.best_epoch,
        train_rows: x.nrows(),
        sample_rates: Vec::new(),
    };
    let classes = vec!["anger".into(), "neutral".into(), "sadness".into()];
    let f32_model = Model::new(
        Network::F32(mlp),
        standardizer,
        classes,
        FeatureConfig::default(),
        Some(training),
    )
    .unwrap();
    let two = Precision::Bits(BitWidth::new(2).unwrap());
    let packed = f32_model
        .quantize_with(&[two, Precision::Full], QuantOptions::default(), None)
        .unwrap();
    (f32_model, packed)
}

/// The class names each model predicts for [`rows`], as the fixtures recorded them.
fn predicted(model: &Model) -> Vec<String> {
    let classes = model.predict(rows().view()).unwrap();
    classes.iter().map(|&c| model.classes[c].clone()).collect()
}

#[test]
fn committed_model_files_load_and_predict_as_recorded() {
    let dir = fixtures();
    if std::env::var_os("SER_WRITE_FIXTURES").is_some() {
        let (f32_model, packed) = make();
        f32_model.save(&dir.join("f32.sermodel")).unwrap();
        packed.save(&dir.join("packed.sermodel")).unwrap();
        let expected = serde_json::json!({
            "f32.sermodel": predicted(&f32_model),
            "packed.sermodel": predicted(&packed),
        });
        std::fs::write(dir.join("predicted.json"), format!("{expected:#}\n")).unwrap();
    }
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("predicted.json")).unwrap())
            .unwrap();
    for (name, kind) in [("f32.sermodel", "f32"), ("packed.sermodel", "packed")] {
        let model = Model::load(&dir.join(name)).unwrap();
        assert_eq!(
            matches!(model.network, Network::Packed(_)),
            kind == "packed"
        );
        assert_eq!(model.features, FeatureConfig::default());
        let want: Vec<String> = serde_json::from_value(expected[name].clone()).unwrap();
        assert_eq!(predicted(&model), want, "{name}");
        // Both kinds tell the classes apart on these rows.
        let distinct: std::collections::BTreeSet<&String> = want.iter().collect();
        assert_eq!(distinct.len(), 3, "{name}: {want:?}");
    }
}
