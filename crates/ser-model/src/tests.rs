//! Model files, predictions of either kind, training and cross-validation.

use ndarray::Array2;
use ser_features::{FeatureConfig, FeatureGroups};
use ser_mlp::{Labelled, Mlp, Standardizer, TrainConfig, fit};
use ser_quant::{BiasMode, BitWidth, Precision, QuantOptions};

use crate::{Model, ModelError, Network, TrainingInfo};

/// Three separable blobs of `dims`-dimensional points, `per_class` each.
fn blobs(seed: u64, per_class: usize, dims: usize, spread: f32) -> (Array2<f32>, Vec<usize>) {
    let n = 3 * per_class;
    let x = Array2::from_shape_fn((n, dims), |(i, j)| {
        let c = i % 3;
        let centre = if j % 3 == c { 3.0 } else { 0.0 };
        let noise = (((i as u64 * 7919 + j as u64 * 104_729 + seed * 31) % 1000) as f32 / 500.0
            - 1.0)
            * spread;
        centre + noise
    });
    (x, (0..n).map(|i| i % 3).collect())
}

fn model() -> Model {
    let x = Array2::from_shape_fn((12, 180), |(i, j)| ((i * 31 + j * 7) % 13) as f32 - 6.0);
    Model::new(
        Network::F32(Mlp::new(180, &[16, 8], 3, 0.1, 4).unwrap()),
        Standardizer::fit(x.view()).unwrap(),
        vec!["anger".into(), "neutral".into(), "sadness".into()],
        FeatureConfig::default(),
        Some(TrainingInfo {
            seed: 4,
            epochs: 20,
            best_epoch: 12,
            train_rows: 12,
            sample_rates: Vec::new(),
        }),
    )
    .unwrap()
}

/// A small model trained on separable blobs with 180 features, as `ser train` makes them.
fn trained() -> (Model, Array2<f32>, Vec<usize>) {
    let (x, y) = blobs(3, 30, 180, 0.6);
    let standardizer = Standardizer::fit(x.view()).unwrap();
    let xs = standardizer.transform(x.view()).unwrap();
    let config = TrainConfig {
        hidden: vec![32, 16],
        max_epochs: 30,
        seed: 3,
        ..TrainConfig::default()
    };
    let (mlp, _) = fit(
        &config,
        Labelled {
            x: xs.view(),
            y: &y,
        },
        None,
        3,
    )
    .unwrap();
    let model = Model::new(
        Network::F32(mlp),
        standardizer,
        vec!["a".into(), "b".into(), "c".into()],
        FeatureConfig::default(),
        None,
    )
    .unwrap();
    (model, x, y)
}

fn reason(bytes: &[u8]) -> String {
    match Model::from_bytes(bytes, "m") {
        Err(ModelError::File { reason, .. }) => reason,
        other => panic!("expected a model file error, got {other:?}"),
    }
}

#[test]
fn models_of_either_kind_round_trip_exactly() {
    let m = model();
    let bytes = m.to_bytes().unwrap();
    assert!(bytes.starts_with(b"SERMODEL"));
    let back = Model::from_bytes(&bytes, "test").unwrap();
    assert_eq!(back, m);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.sermodel");
    m.save(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(Model::load(&path).unwrap(), m);
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // A packed network of f32 layers only is the f32 network, whoever builds it.
    let mlp = m.mlp().unwrap();
    let full = ser_quant::PackedMlp::new(
        mlp.quantize_layers(&[Precision::Full; 3], QuantOptions::default())
            .unwrap(),
    )
    .unwrap();
    let as_packed = Model::new(
        Network::Packed(full),
        m.standardizer.clone(),
        m.classes.clone(),
        m.features.clone(),
        None,
    )
    .unwrap();
    assert!(matches!(as_packed.network, Network::F32(_)));
    assert_eq!(
        Model::from_bytes(&as_packed.to_bytes().unwrap(), "full").unwrap(),
        as_packed
    );
    let two = Precision::Bits(BitWidth::new(2).unwrap());
    let mixed = [two, Precision::Full, two];
    for options in [
        QuantOptions::default(),
        QuantOptions {
            bias: BiasMode::Full,
            ..QuantOptions::default()
        },
    ] {
        let packed = m.quantize_with(&mixed, options, None).unwrap();
        let back = Model::from_bytes(&packed.to_bytes().unwrap(), "packed").unwrap();
        assert_eq!(back, packed);
        assert!(matches!(back.network, Network::Packed(_)));
    }
}

#[test]
fn truncated_corrupt_foreign_and_future_files_are_refused() {
    let bytes = model().to_bytes().unwrap();
    let mut cuts: Vec<usize> = vec![0, 4, 8, 10, 14, 16, 100, bytes.len() - 2];
    cuts.extend((0..bytes.len()).step_by(97));
    for cut in cuts {
        let why = reason(&bytes[..cut]);
        assert!(
            why.contains("truncated")
                || why.contains("checksum")
                || why.contains("not a ser model"),
            "cut at {cut}: {why}"
        );
    }
    let mut flipped = bytes.clone();
    let middle = bytes.len() / 2;
    flipped[middle] ^= 0x40;
    assert!(reason(&flipped).contains("checksum mismatch"));
    let wav = ser_features::encode_wav_pcm16(&[0.0; 100], 16_000);
    assert!(reason(&wav).contains("not a ser model file"));
    let mut future = bytes.clone();
    future[8..12].copy_from_slice(&3u32.to_le_bytes());
    assert!(reason(&future).contains("format version 3"));
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Model::load(&dir.path().join("missing")),
        Err(ModelError::File { .. })
    ));
}

/// `bytes` (of [`model`]) with its metadata text replaced by `edit`'s and a valid checksum.
fn with_metadata(m: &Model, edit: impl Fn(&mut serde_json::Value)) -> Vec<u8> {
    let bytes = m.to_bytes().unwrap();
    let mut container = ser_quant::PackedModel::from_bytes(&bytes).unwrap();
    let mut metadata: serde_json::Value = serde_json::from_str(&container.metadata).unwrap();
    edit(&mut metadata);
    container.metadata = metadata.to_string();
    container.to_bytes().unwrap()
}

#[test]
fn sealed_files_with_impossible_contents_are_refused() {
    let m = model();
    // The helper alone changes nothing.
    assert_eq!(
        Model::from_bytes(&with_metadata(&m, |_| {}), "m").unwrap(),
        m
    );
    // A configuration that does not give the network's inputs.
    let fewer = with_metadata(&m, |h| h["features"]["groups"]["mel"] = false.into());
    let why = reason(&fewer);
    assert!(
        why.contains("gives 52 features, the network takes 180"),
        "{why}"
    );
    // One that is not valid, and metadata that is not ours.
    let zero = with_metadata(&m, |h| h["features"]["hop_length"] = 0.into());
    assert!(reason(&zero).contains("hop_length"), "{}", reason(&zero));
    let foreign = with_metadata(&m, |h| *h = serde_json::json!({"weights": "elsewhere"}));
    assert!(
        reason(&foreign).contains("metadata"),
        "{}",
        reason(&foreign)
    );
    // A standardisation scale of 0 would divide by zero on every prediction.
    let mut zero_scale = m.clone();
    zero_scale.standardizer.scale[3] = 0.0;
    let container = ser_quant::PackedModel {
        scale: zero_scale.standardizer.scale.to_vec(),
        ..ser_quant::PackedModel::from_bytes(&m.to_bytes().unwrap()).unwrap()
    };
    // ser-quant refuses it on writing, so the bytes are made by hand from a valid file.
    assert!(container.to_bytes().is_err());
    assert!(
        Model::new(
            m.network.clone(),
            zero_scale.standardizer,
            m.classes.clone(),
            m.features.clone(),
            None
        )
        .is_err()
    );
}

#[test]
fn features_made_another_way_are_refused() {
    let m = model();
    assert!(m.check_feature_names(&m.feature_names()).is_ok());
    let mfcc_only = FeatureConfig {
        groups: FeatureGroups::MFCC_ONLY,
        ..FeatureConfig::default()
    };
    let err = m
        .check_feature_names(&mfcc_only.feature_names())
        .unwrap_err()
        .to_string();
    assert!(err.contains("40 columns") && err.contains("180"), "{err}");
    let mut swapped = m.feature_names();
    swapped.swap(0, 1);
    assert!(
        m.check_feature_names(&swapped)
            .unwrap_err()
            .to_string()
            .contains("column 0")
    );
    assert!(m.predict_proba(Array2::zeros((1, 40)).view()).is_err());
}

#[test]
fn packed_models_predict_what_their_fake_quantized_twins_predict() {
    let (model, x, y) = trained();
    assert_eq!(model.metrics(x.view(), &y).unwrap().accuracy, 1.0);
    for bias in [BiasMode::LayerWidth, BiasMode::Full] {
        for b in 1..=8u8 {
            let p = vec![Precision::Bits(BitWidth::new(b).unwrap()); 3];
            let options = QuantOptions {
                bias,
                ..QuantOptions::default()
            };
            let packed = model.quantize_with(&p, options, None).unwrap();
            let back = Model::from_bytes(&packed.to_bytes().unwrap(), "q").unwrap();
            assert_eq!(back, packed);
            let fake = model.fake_quantized(&p, options).unwrap();
            let (got, want) = (
                back.logits(x.view()).unwrap(),
                fake.logits(x.view()).unwrap(),
            );
            for ((i, g), f) in got.indexed_iter().zip(want.iter()) {
                let tolerance = 1e-4 * (1.0 + f.abs());
                assert!((g - f).abs() <= tolerance, "{b} bits, {i:?}: {g} vs {f}");
            }
            let probabilities = back.predict_proba(x.view()).unwrap();
            for row in probabilities.rows() {
                assert!((row.sum() - 1.0).abs() < 1e-5);
            }
            if b == 8 {
                let accuracy = fake.metrics(x.view(), &y).unwrap().accuracy;
                assert_eq!(accuracy, 1.0, "8 bits keep the accuracy");
            }
        }
    }
    assert!(model.quantize(&[Precision::Full; 2]).is_err());
    // Every layer in f32 is the f32 model; a packed model is not quantized again.
    let full = model.quantize(&[Precision::Full; 3]).unwrap();
    assert_eq!(full, model);
    let two = [Precision::Bits(BitWidth::new(2).unwrap()); 3];
    let packed = model
        .quantize_with(&two, QuantOptions::default(), None)
        .unwrap();
    let err = packed
        .quantize_with(&two, QuantOptions::default(), None)
        .unwrap_err();
    assert!(
        err.to_string().contains("packed model cannot be quantized"),
        "{err}"
    );
}

#[test]
fn quantize_defaults_to_the_recommended_quantizer_and_calibrates_once() {
    let (model, x, _) = trained();
    let two = [Precision::Bits(BitWidth::new(2).unwrap()); 3];
    let recommended = QuantOptions::recommended(false);
    assert_eq!(
        model.quantize(&two).unwrap().to_bytes().unwrap(),
        model
            .quantize_with(&two, recommended, None)
            .unwrap()
            .to_bytes()
            .unwrap()
    );
    assert_ne!(
        model.quantize(&two).unwrap(),
        model
            .quantize_with(&two, QuantOptions::POSTER, None)
            .unwrap()
    );
    // The calibration is the f32 network's input moments on the standardised rows.
    let moments = model.calibration(x.view()).unwrap();
    let standardised = model.standardizer.transform(x.view()).unwrap();
    let direct = model
        .mlp()
        .unwrap()
        .input_moments(standardised.view())
        .unwrap();
    assert_eq!(moments.len(), 3);
    for (a, b) in moments.iter().zip(&direct) {
        assert_eq!(a.xtx(), b.xtx());
    }
    let packed = model.quantize(&two).unwrap();
    assert!(packed.calibration(x.view()).is_err());
}

#[test]
fn model_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Model>();
    assert_send_sync::<crate::CrossValidation>();
}

mod folds {
    use ndarray::Array2;
    use ser_data::{Dataset, SplitSpec};
    use ser_features::{FeatureConfig, FeatureGroups};
    use ser_mlp::TrainConfig;

    use crate::{Preset, cross_validate, train_model};

    /// 60 rows of 4 MFCC columns, 3 separable classes, 5 speakers.
    fn data() -> (Dataset, FeatureConfig) {
        let features = FeatureConfig {
            n_mfcc: 4,
            groups: FeatureGroups::MFCC_ONLY,
            ..FeatureConfig::default()
        };
        let x = Array2::from_shape_fn((60, 4), |(i, j)| {
            let centre = if j % 3 == i % 3 { 2.0 } else { 0.0 };
            centre + ((i * 31 + j * 17) % 11) as f32 / 11.0
        });
        let labels: Vec<String> = (0..60).map(|i| format!("c{}", i % 3)).collect();
        let data = Dataset::from_rows(
            x,
            &labels,
            (0..60).map(|i| Some(format!("s{}", i % 5))).collect(),
            (0..60).map(|i| format!("{i}.wav")).collect(),
            features.feature_names(),
        )
        .unwrap();
        (data, features)
    }

    fn config() -> TrainConfig {
        TrainConfig {
            hidden: vec![8],
            max_epochs: 10,
            seed: 2,
            ..TrainConfig::default()
        }
    }

    #[test]
    fn every_fold_is_tested_once_and_the_kept_model_sees_every_row() {
        let (data, features) = data();
        for (spec, folds) in [(SplitSpec::KFold(4), 4), (SplitSpec::Loso, 5)] {
            let mut heard = 0;
            let cv =
                cross_validate(&data, &spec, &config(), &features, &mut |_, _| heard += 1).unwrap();
            assert_eq!(cv.folds.len(), folds, "{spec}");
            let mut tested: Vec<usize> =
                cv.folds.iter().flat_map(|f| f.rows.test.clone()).collect();
            tested.sort_unstable();
            assert_eq!(tested, (0..60).collect::<Vec<_>>(), "{spec}: each row once");
            let summary = cv.summary();
            let pooled: usize = summary.confusion.iter().flatten().sum();
            assert_eq!(pooled, 60, "{spec}: the confusion matrices add up");
            // The kept model is trained on every row (less its early-stopping share).
            let kept = &cv.model;
            assert_eq!(kept.name, "final");
            assert_eq!(kept.rows.train.len() + kept.rows.validation.len(), 60);
            assert!(kept.metrics.is_none());
            // Every epoch of every fold and of the final model was heard.
            let epochs: usize = cv
                .folds
                .iter()
                .chain([kept])
                .map(|f| f.model.training.as_ref().unwrap().epochs)
                .sum();
            assert_eq!(heard, epochs);
        }
        // One split: its model is the one kept.
        let cv = cross_validate(
            &data,
            &SplitSpec::default(),
            &config(),
            &features,
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(cv.folds.len(), 1);
        assert_eq!(cv.model.model, cv.folds[0].model);
    }

    #[test]
    fn training_refuses_what_it_cannot_use() {
        let (data, features) = data();
        // Columns other than the configuration's.
        let err = train_model(
            &data,
            &[0, 1, 2, 3],
            &config(),
            &FeatureConfig::default(),
            &mut |_| {},
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not the 180 features"), "{err}");
        // One class.
        let one = Dataset::from_rows(
            data.x.clone(),
            &vec!["c0".to_string(); 60],
            data.speakers.clone(),
            data.paths.clone(),
            data.feature_names.clone(),
        )
        .unwrap();
        let err = cross_validate(
            &one,
            &SplitSpec::default(),
            &config(),
            &features,
            &mut |_, _| {},
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("at least 2 classes"), "{err}");
        // The presets of METHOD.md.
        assert_eq!("poster".parse::<Preset>().unwrap().hidden(), [256, 512, 64]);
        let paper: Preset = "paper-size".parse().unwrap();
        assert_eq!(
            (paper.hidden(), paper.features().dim()),
            (vec![512, 256, 64], 40)
        );
        assert!("huge".parse::<Preset>().is_err());
    }
}
