//! Tests of the network, its gradients and training.

use ndarray::{Array2, ArrayView2};
use rand::Rng;

use crate::network::cross_entropy;
use crate::rng::seeded;
use crate::{Labelled, Mlp, MlpError, Standardizer, TrainConfig, evaluate, fit};

/// Three Gaussian-ish blobs in `dims` dimensions, seeded.
fn blobs(seed: u64, per_class: usize, dims: usize, spread: f32) -> (Array2<f32>, Vec<usize>) {
    let mut rng = seeded(seed);
    let n = 3 * per_class;
    let x = Array2::from_shape_fn((n, dims), |(i, j)| {
        let centre = if j % 3 == i % 3 { 2.0 } else { -1.0 };
        let noise: f32 = (0..4).map(|_| rng.random_range(-1.0f32..1.0)).sum::<f32>() / 2.0;
        centre + spread * noise
    });
    (x, (0..n).map(|i| i % 3).collect())
}

/// The loss of `mlp` on a batch with the dropout masks drawn from `seed`.
fn loss_with_masks(mlp: &Mlp, x: ArrayView2<f32>, y: &[usize], seed: u64) -> f32 {
    let (logits, _) = mlp.forward_tape(x, &mut seeded(seed), true);
    cross_entropy(&logits, y).0
}

/// The smallest |pre-activation| of any hidden unit on any row, with the tape's dropout masks.
fn closest_to_a_kink(mlp: &Mlp, tape: &crate::network::Tape) -> f32 {
    let last = mlp.layers().len() - 1;
    (0..last)
        .flat_map(|l| {
            let z = tape.inputs[l].dot(&mlp.layers()[l].weights) + &mlp.layers()[l].bias;
            z.into_iter().map(f32::abs).collect::<Vec<_>>()
        })
        .fold(f32::INFINITY, f32::min)
}

#[test]
fn gradients_match_finite_differences_through_every_layer_type() {
    // Dense, ReLU, dropout (fixed masks) and softmax cross-entropy, in f32: central differences
    // with a step of 1e-3 agree with the backward pass within 2e-3 + 2 % of the gradient.
    // ReLU has a kink at 0 where the two legitimately differ, so the network and masks are
    // chosen (deterministically) with every hidden pre-activation at least 0.05 from 0, more
    // than a step can move it.
    let (x, y) = blobs(1, 2, 5, 0.5);
    let mask_seed = 99;
    let mlp = (0..1000u64)
        .map(|seed| {
            let mut mlp = Mlp::new(5, &[4, 3], 3, 0.3, seed).unwrap();
            let mut rng = seeded(seed);
            for layer in mlp.layers_mut() {
                layer.bias.mapv_inplace(|_| rng.random_range(-0.3f32..0.3));
            }
            mlp
        })
        .find(|mlp| {
            let (_, tape) = mlp.forward_tape(x.view(), &mut seeded(mask_seed), true);
            closest_to_a_kink(mlp, &tape) > 0.05
        })
        .expect("some seed keeps every unit away from the ReLU kink");
    let (logits, tape) = mlp.forward_tape(x.view(), &mut seeded(mask_seed), true);
    let (_, dlogits) = cross_entropy(&logits, &y);
    let grads = mlp.backward(&tape, dlogits);
    let h = 1e-3f32;
    let mut checked = 0;
    for (l, (weight_grads, bias_grads)) in grads.iter().enumerate() {
        let (rows, cols) = weight_grads.dim();
        for r in 0..rows {
            for c in 0..cols {
                let mut plus = mlp.clone();
                plus.layers_mut()[l].weights[[r, c]] += h;
                let mut minus = mlp.clone();
                minus.layers_mut()[l].weights[[r, c]] -= h;
                let numeric = (loss_with_masks(&plus, x.view(), &y, mask_seed)
                    - loss_with_masks(&minus, x.view(), &y, mask_seed))
                    / (2.0 * h);
                let analytic = weight_grads[[r, c]];
                assert!(
                    (numeric - analytic).abs() <= 2e-3 + 0.02 * analytic.abs(),
                    "layer {l} weight ({r}, {c}): numeric {numeric}, analytic {analytic}"
                );
                checked += 1;
            }
        }
        for (c, &analytic) in bias_grads.iter().enumerate() {
            let mut plus = mlp.clone();
            plus.layers_mut()[l].bias[c] += h;
            let mut minus = mlp.clone();
            minus.layers_mut()[l].bias[c] -= h;
            let numeric = (loss_with_masks(&plus, x.view(), &y, mask_seed)
                - loss_with_masks(&minus, x.view(), &y, mask_seed))
                / (2.0 * h);
            assert!(
                (numeric - analytic).abs() <= 2e-3 + 0.02 * analytic.abs(),
                "layer {l} bias {c}: numeric {numeric}, analytic {analytic}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, mlp.n_params());
}

#[test]
fn cross_entropy_gradient_matches_finite_differences() {
    let logits =
        Array2::from_shape_vec((2, 4), vec![0.5f32, -1.0, 2.0, 0.1, 1.5, 1.4, -0.3, 0.0]).unwrap();
    let y = [2, 0];
    let (loss, grad) = cross_entropy(&logits, &y);
    // -ln(softmax) by hand, in f64.
    let reference: f64 = logits
        .rows()
        .into_iter()
        .zip(&y)
        .map(|(row, &t)| {
            let sum: f64 = row.iter().map(|v| f64::from(*v).exp()).sum();
            -(f64::from(row[t]).exp() / sum).ln()
        })
        .sum::<f64>()
        / 2.0;
    assert!((f64::from(loss) - reference).abs() < 1e-6);
    let h = 1e-3f32;
    for ((r, c), g) in grad.indexed_iter() {
        let mut plus = logits.clone();
        plus[[r, c]] += h;
        let mut minus = logits.clone();
        minus[[r, c]] -= h;
        let numeric = (cross_entropy(&plus, &y).0 - cross_entropy(&minus, &y).0) / (2.0 * h);
        assert!((numeric - g).abs() < 1e-3, "({r}, {c}): {numeric} vs {g}");
    }
}

#[test]
fn the_same_seed_gives_a_bit_identical_model() {
    let (x, y) = blobs(2, 20, 6, 0.8);
    let config = TrainConfig {
        hidden: vec![12, 8],
        max_epochs: 8,
        seed: 5,
        ..TrainConfig::default()
    };
    let run = || {
        fit(
            &config,
            Labelled { x: x.view(), y: &y },
            Some(Labelled { x: x.view(), y: &y }),
            3,
        )
        .unwrap()
    };
    let (a, history_a) = run();
    let (b, history_b) = run();
    assert_eq!(a, b);
    assert_eq!(history_a, history_b);
    // From another thread too: no hidden global state.
    let (c, _) = std::thread::scope(|s| s.spawn(run).join().unwrap());
    assert_eq!(a, c);
    let other = TrainConfig {
        seed: 6,
        ..config.clone()
    };
    let (d, _) = fit(&other, Labelled { x: x.view(), y: &y }, None, 3).unwrap();
    assert_ne!(a, d);
}

#[test]
fn early_stopping_restores_the_best_validation_weights() {
    // A tiny, noisy problem that overfits: validation loss turns up and training stops.
    let (x, y) = blobs(3, 10, 4, 2.0);
    let (xv, yv) = blobs(4, 10, 4, 2.0);
    let config = TrainConfig {
        hidden: vec![64, 64],
        max_epochs: 200,
        patience: 5,
        seed: 1,
        ..TrainConfig::default()
    };
    let (mlp, history) = fit(
        &config,
        Labelled { x: x.view(), y: &y },
        Some(Labelled {
            x: xv.view(),
            y: &yv,
        }),
        3,
    )
    .unwrap();
    assert!(history.epochs.len() < 200, "no early stop");
    assert_eq!(history.epochs.len(), history.best_epoch + config.patience);
    let best_loss = history.epochs[history.best_epoch - 1].val_loss.unwrap();
    let min_loss = history
        .epochs
        .iter()
        .filter_map(|e| e.val_loss)
        .fold(f32::INFINITY, f32::min);
    assert_eq!(best_loss, min_loss);
    let (restored_loss, _) = evaluate(
        &mlp,
        &Labelled {
            x: xv.view(),
            y: &yv,
        },
    )
    .unwrap();
    assert_eq!(restored_loss, best_loss);
}

#[test]
fn bad_inputs_are_errors() {
    let x = Array2::<f32>::zeros((4, 3));
    let config = TrainConfig {
        hidden: vec![4],
        max_epochs: 1,
        ..TrainConfig::default()
    };
    let wrong_labels = fit(
        &config,
        Labelled {
            x: x.view(),
            y: &[0, 1],
        },
        None,
        2,
    );
    assert!(matches!(wrong_labels, Err(MlpError::Shape { .. })));
    let big_label = fit(
        &config,
        Labelled {
            x: x.view(),
            y: &[0, 1, 5, 0],
        },
        None,
        2,
    );
    assert!(matches!(
        big_label,
        Err(MlpError::Label {
            row: 2,
            label: 5,
            classes: 2
        })
    ));
    let mut nan = x.clone();
    nan[[1, 2]] = f32::NAN;
    let nan_fit = fit(
        &config,
        Labelled {
            x: nan.view(),
            y: &[0, 1, 1, 0],
        },
        None,
        2,
    );
    assert!(matches!(
        nan_fit,
        Err(MlpError::NonFinite { row: 1, column: 2 })
    ));
    let bad_lr = TrainConfig {
        learning_rate: -1.0,
        ..config.clone()
    };
    assert!(matches!(
        bad_lr.validate(),
        Err(MlpError::Config {
            field: "learning_rate",
            ..
        })
    ));
    assert!(Mlp::new(3, &[4], 1, 0.1, 0).is_err());
    assert!(Mlp::new(3, &[0], 2, 0.1, 0).is_err());
    assert!(Mlp::new(3, &[4], 2, 1.0, 0).is_err());
    let mlp = Mlp::new(3, &[4], 2, 0.0, 0).unwrap();
    assert!(matches!(
        mlp.predict(Array2::zeros((1, 5)).view()),
        Err(MlpError::Shape { .. })
    ));
    assert!(Standardizer::fit(Array2::<f32>::zeros((0, 3)).view()).is_err());
}

#[test]
fn parameter_counts_match_the_presets() {
    assert_eq!(
        Mlp::new(180, &[256, 512, 64], 7, 0.1, 0)
            .unwrap()
            .n_params(),
        211_207
    );
    assert_eq!(
        Mlp::new(40, &[512, 256, 64], 7, 0.1, 0).unwrap().n_params(),
        169_223
    );
}

#[test]
fn mlp_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Mlp>();
    assert_send_sync::<Standardizer>();
    assert_send_sync::<MlpError>();
}

/// Pins a short seeded run. Exact bits can differ between CPUs (matrixmultiply picks FMA
/// kernels where available), so the values are compared within 1e-4; a larger change means the
/// training arithmetic changed, and this test says so.
#[test]
fn value_stability_of_a_short_seeded_run() {
    let (x, y) = blobs(7, 30, 8, 1.2);
    let (xv, yv) = blobs(8, 10, 8, 1.2);
    let scaler = Standardizer::fit(x.view()).unwrap();
    let (xs, xvs) = (
        scaler.transform(x.view()).unwrap(),
        scaler.transform(xv.view()).unwrap(),
    );
    let config = TrainConfig {
        hidden: vec![32, 16],
        max_epochs: 12,
        seed: 2024,
        ..TrainConfig::default()
    };
    let (_, history) = fit(
        &config,
        Labelled {
            x: xs.view(),
            y: &y,
        },
        Some(Labelled {
            x: xvs.view(),
            y: &yv,
        }),
        3,
    )
    .unwrap();
    let pinned = [
        (3, 0.867_713_75, 0.768_240_15, 29.0 / 30.0),
        (12, 0.496_947_9, 0.440_170_65, 1.0),
    ];
    for (epoch, train_loss, val_loss, val_accuracy) in pinned {
        let e = history.epochs[epoch - 1];
        assert!(
            (e.train_loss - train_loss).abs() < 1e-4,
            "epoch {epoch}: train loss {}",
            e.train_loss
        );
        assert!(
            (e.val_loss.unwrap() - val_loss).abs() < 1e-4,
            "epoch {epoch}: val loss {:?}",
            e.val_loss
        );
        assert!(
            (e.val_accuracy.unwrap() - val_accuracy).abs() < 1e-6,
            "epoch {epoch}: {:?}",
            e.val_accuracy
        );
    }
}

mod data_and_metrics {
    use crate::{
        Dataset, MlpError, classification_metrics, leave_one_speaker_out, stratified_kfold,
        stratified_split,
    };

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("features.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn reads_what_ser_features_writes() {
        let (_dir, path) = write(
            "path,label,speaker,mfcc_0,mfcc_1,tuning\n\
             \"a, b.wav\",sadness,03,1.5,-2,0.01\n\
             c.wav,anger,10,0.25,4e-3,-0.1\n\
             d.wav,sadness,,7,8,0\n",
        );
        let data = Dataset::from_csv(&path).unwrap();
        assert_eq!(data.classes, vec!["anger", "sadness"]);
        assert_eq!(data.labels, vec![1, 0, 1]);
        assert_eq!(data.feature_names, vec!["mfcc_0", "mfcc_1"]);
        assert_eq!(
            data.x,
            ndarray::array![[1.5f32, -2.0], [0.25, 0.004], [7.0, 8.0]]
        );
        assert_eq!(
            data.speakers,
            vec![Some("03".into()), Some("10".into()), None]
        );
        assert_eq!(data.paths[0], "a, b.wav");
        let sub = data.subset(&[2, 0]);
        assert_eq!(sub.labels, vec![1, 1]);
        assert_eq!(sub.classes, data.classes);
    }

    #[test]
    fn a_dataset_straight_from_audio() {
        use ser_features::corpus::{self, CorpusKind};
        use ser_features::{FeatureConfig, FeatureExtractor, encode_wav_pcm16};
        let dir = tempfile::tempdir().unwrap();
        for (i, name) in ["03a01Wa.wav", "03a02Ta.wav", "08b01Wb.wav"]
            .iter()
            .enumerate()
        {
            let tone: Vec<f32> = (0..8000)
                .map(|t| (t as f32 * 0.03 * (i + 1) as f32).sin() * 0.3)
                .collect();
            std::fs::write(dir.path().join(name), encode_wav_pcm16(&tone, 16_000)).unwrap();
        }
        std::fs::write(dir.path().join("08b02Nc.wav"), b"RIFF, but not really").unwrap();
        let listing = corpus::load(&[dir.path().to_path_buf()], &CorpusKind::Emodb).unwrap();
        let extractor = FeatureExtractor::new(FeatureConfig::default()).unwrap();
        let (data, failures) = Dataset::from_audio(&listing, &extractor).unwrap();
        assert_eq!(data.len(), 3);
        assert_eq!(failures.len(), 1);
        assert!(failures[0].to_string().contains("08b02Nc.wav"));
        assert_eq!(data.classes, vec!["anger", "sadness"]);
        assert_eq!(data.x.ncols(), 180);
        assert_eq!(data.speakers[2].as_deref(), Some("08"));
        let unlabelled = corpus::load(&[dir.path().to_path_buf()], &CorpusKind::None).unwrap();
        assert!(
            Dataset::from_audio(&unlabelled, &extractor)
                .unwrap_err()
                .to_string()
                .contains("no label")
        );
    }

    #[test]
    fn malformed_csvs_name_the_line() {
        let cases = [
            ("", "empty"),
            ("path,label,mfcc_0\na,b,1\n", "header"),
            ("path,label,speaker,f\na.wav,x,s,1\nb.wav,y,s\n", "line 3"),
            ("path,label,speaker,f\na.wav,x,s,1,2\n", "line 2"),
            (
                "path,label,speaker,f\na.wav,x,s,abc\n",
                "line 2: `f` is `abc`, not a number",
            ),
            (
                "path,label,speaker,f\na.wav,x,s,NaN\n",
                "line 2: `f` is NaN, not a finite number",
            ),
            ("path,label,speaker,f\na.wav,,s,1\n", "no label"),
            ("path,label,speaker,f\n", "no rows"),
            // The header's own line, after blank lines.
            ("\n\npath,label,speaker\n", "line 3: expected the header"),
        ];
        for (text, expected) in cases {
            let (_dir, path) = write(text);
            let err = Dataset::from_csv(&path).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
            // Every message starts with the file's name (fuzzing found one that named a column
            // instead).
            let from_str = Dataset::from_csv_str(text, "the.csv")
                .unwrap_err()
                .to_string();
            assert!(from_str.starts_with("the.csv: "), "{text:?}: {from_str}");
        }
    }

    #[test]
    fn stratified_split_is_proportional_disjoint_and_seeded() {
        // Uneven classes: 100, 50, 27.
        let labels: Vec<usize> = (0..177)
            .map(|i| {
                if i < 100 {
                    0
                } else if i < 150 {
                    1
                } else {
                    2
                }
            })
            .collect();
        let split = stratified_split(&labels, 0.1, 3).unwrap();
        assert_eq!(split.test.len(), 18); // ceil(17.7)
        let count = |rows: &[usize], c| rows.iter().filter(|&&i| labels[i] == c).count();
        assert_eq!(
            [
                count(&split.test, 0),
                count(&split.test, 1),
                count(&split.test, 2)
            ],
            [10, 5, 3]
        );
        let mut all: Vec<usize> = split.train.iter().chain(&split.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..177).collect::<Vec<_>>());
        assert_eq!(split, stratified_split(&labels, 0.1, 3).unwrap());
        assert_ne!(split, stratified_split(&labels, 0.1, 4).unwrap());
        assert!(stratified_split(&labels, 0.0, 3).is_err());
        assert!(stratified_split(&labels, 1.0, 3).is_err());
    }

    #[test]
    fn kfold_partitions_every_row_once_with_balanced_classes() {
        let labels: Vec<usize> = (0..103).map(|i| i % 4).collect();
        let folds = stratified_kfold(&labels, 5, 9).unwrap();
        let mut seen = vec![0; labels.len()];
        for fold in &folds {
            assert_eq!(fold.train.len() + fold.test.len(), labels.len());
            for &i in &fold.test {
                seen[i] += 1;
            }
            for c in 0..4 {
                let n = fold.test.iter().filter(|&&i| labels[i] == c).count();
                assert!((5..=6).contains(&n), "class {c}: {n}");
            }
        }
        assert!(seen.iter().all(|&s| s == 1));
        assert_eq!(folds, stratified_kfold(&labels, 5, 9).unwrap());
        assert!(stratified_kfold(&labels, 1, 9).is_err());
    }

    #[test]
    fn leave_one_speaker_out_needs_speakers() {
        let speakers = vec![
            Some("b".to_string()),
            Some("a".into()),
            Some("b".into()),
            Some("c".into()),
        ];
        let folds = leave_one_speaker_out(&speakers).unwrap();
        let names: Vec<&str> = folds.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(folds[1].1.test, vec![0, 2]);
        assert_eq!(folds[1].1.train, vec![1, 3]);
        let none = leave_one_speaker_out(&[None, None]).unwrap_err();
        assert!(none.to_string().contains("no speakers"));
        assert!(leave_one_speaker_out(&[Some("a".into()), None]).is_err());
        assert!(leave_one_speaker_out(&[Some("a".into()), Some("a".into())]).is_err());
    }

    #[test]
    fn metrics_match_hand_computed_values() {
        let m = classification_metrics(&[0, 0, 0, 1, 1, 2], &[0, 0, 1, 1, 1, 0], 3).unwrap();
        assert_eq!(m.support, vec![3, 2, 1]);
        assert!(
            (m.precision[0] - 2.0 / 3.0).abs() < 1e-12
                && (m.precision[1] - 2.0 / 3.0).abs() < 1e-12
        );
        assert_eq!(m.precision[2], 0.0);
        // F1: 2/3, 0.8 and 0; macro over the three classes seen.
        assert!((m.macro_f1 - (2.0 / 3.0 + 0.8) / 3.0).abs() < 1e-12);
        // A class absent from both the truth and the predictions does not count.
        let m4 = classification_metrics(&[0, 0, 0, 1, 1, 2], &[0, 0, 1, 1, 1, 0], 4).unwrap();
        assert_eq!((m4.ua, m4.macro_f1), (m.ua, m.macro_f1));
        assert!(matches!(
            classification_metrics(&[0], &[0, 1], 2),
            Err(MlpError::Shape { .. })
        ));
        assert!(matches!(
            classification_metrics(&[0, 3], &[0, 1], 2),
            Err(MlpError::Label { row: 1, .. })
        ));
        assert!(matches!(
            classification_metrics(&[], &[], 2),
            Err(MlpError::Empty)
        ));
    }
}

mod model_files {
    use ndarray::Array2;
    use ser_features::FeatureConfig;

    use crate::{Mlp, MlpError, Model, Standardizer, TrainingInfo};

    fn model() -> Model {
        let config = FeatureConfig::default();
        let names = config.feature_names();
        let x = Array2::from_shape_fn((12, 180), |(i, j)| ((i * 31 + j * 7) % 13) as f32 - 6.0);
        Model {
            mlp: Mlp::new(180, &[16, 8], 3, 0.1, 4).unwrap(),
            standardizer: Standardizer::fit(x.view()).unwrap(),
            classes: vec!["anger".into(), "neutral".into(), "sadness".into()],
            features: config,
            feature_names: names,
            training: TrainingInfo {
                seed: 4,
                epochs: 20,
                best_epoch: 12,
                train_rows: 12,
            },
        }
    }

    #[test]
    fn a_model_round_trips_exactly() {
        let m = model();
        let bytes = m.to_bytes().unwrap();
        let back = Model::from_bytes(&bytes, "test").unwrap();
        assert_eq!(back, m);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sermodel");
        m.save(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        assert_eq!(Model::load(&path).unwrap(), m);
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    fn reason(bytes: &[u8]) -> String {
        match Model::from_bytes(bytes, "m") {
            Err(MlpError::ModelFile { reason, .. }) => reason,
            other => panic!("expected a model file error, got {other:?}"),
        }
    }

    #[test]
    fn truncated_corrupt_foreign_and_future_files_are_refused() {
        let bytes = model().to_bytes().unwrap();
        let header_len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
        // Cut inside every section: magic, version, header length, header, standardisation,
        // weights, checksum; and at every 97th byte.
        let mut cuts = vec![
            0,
            4,
            8,
            10,
            14,
            16,
            16 + header_len / 2,
            16 + header_len,
            16 + header_len + 100,
            bytes.len() - 2,
        ];
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
        future[8..12].copy_from_slice(&2u32.to_le_bytes());
        assert!(reason(&future).contains("format version 2"));
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Model::load(&dir.path().join("missing")),
            Err(MlpError::ModelFile { .. })
        ));
    }

    /// `bytes` with its JSON header changed by `edit` and a valid checksum again.
    fn with_header(bytes: &[u8], edit: impl Fn(&mut serde_json::Value)) -> Vec<u8> {
        let header_len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
        let mut header: serde_json::Value =
            serde_json::from_slice(&bytes[16..16 + header_len]).unwrap();
        edit(&mut header);
        let json = serde_json::to_vec(&header).unwrap();
        let mut out = bytes[..12].to_vec();
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        out.extend_from_slice(&bytes[16 + header_len..bytes.len() - 4]);
        let crc = ser_quant::crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    #[test]
    fn sealed_files_with_impossible_contents_are_refused() {
        let m = model();
        let bytes = m.to_bytes().unwrap();
        // The helper alone changes nothing.
        assert_eq!(
            Model::from_bytes(&with_header(&bytes, |_| {}), "m").unwrap(),
            m
        );
        // Hidden widths whose products overflow usize are refused, not wrapped into a match.
        let (inputs, classes) = (m.feature_names.len(), m.classes.len());
        let huge = with_header(&bytes, |h| {
            h["layers"] = serde_json::json!([inputs, 1u64 << 62, 1u64 << 62, classes]);
        });
        assert!(reason(&huge).contains("too large"), "{}", reason(&huge));
        // A standardisation scale of 0 would divide by zero on every prediction.
        let mut zero_scale = m.clone();
        zero_scale.standardizer.scale[3] = 0.0;
        let why = reason(&zero_scale.to_bytes().unwrap());
        assert!(why.contains("scale 3 is 0, not a positive number"), "{why}");
    }

    #[test]
    fn features_made_another_way_are_refused() {
        let m = model();
        assert!(m.check_feature_names(&m.feature_names).is_ok());
        let mfcc_only = FeatureConfig {
            groups: ser_features::FeatureGroups::MFCC_ONLY,
            ..FeatureConfig::default()
        };
        let err = m
            .check_feature_names(&mfcc_only.feature_names())
            .unwrap_err()
            .to_string();
        assert!(err.contains("40 columns") && err.contains("180"), "{err}");
        let mut swapped = m.feature_names.clone();
        swapped.swap(0, 1);
        assert!(
            m.check_feature_names(&swapped)
                .unwrap_err()
                .to_string()
                .contains("column 0")
        );
        assert!(m.predict_proba(Array2::zeros((1, 40)).view()).is_err());
    }
}

#[test]
fn without_early_stopping_every_epoch_runs_and_the_final_weights_are_kept() {
    let (x, y) = blobs(3, 10, 4, 2.0);
    let (xv, yv) = blobs(4, 10, 4, 2.0);
    let config = TrainConfig {
        hidden: vec![64, 64],
        max_epochs: 40,
        patience: 5,
        early_stopping: false,
        seed: 1,
        ..TrainConfig::default()
    };
    let validation = Some(Labelled {
        x: xv.view(),
        y: &yv,
    });
    let (final_weights, history) =
        fit(&config, Labelled { x: x.view(), y: &y }, validation, 3).unwrap();
    assert_eq!(history.epochs.len(), 40);
    assert_eq!(history.best_epoch, 40);
    assert!(
        history.epochs.iter().all(|e| e.val_loss.is_some()),
        "validation is still reported"
    );
    // The same run without validation data ends with the same weights.
    let (no_validation, _) = fit(&config, Labelled { x: x.view(), y: &y }, None, 3).unwrap();
    assert_eq!(final_weights, no_validation);
}

mod quantized {
    use ndarray::Axis;
    use ser_features::FeatureConfig;
    use ser_quant::{BiasMode, BitWidth, PackedModel, Precision, QuantOptions, Scratch};

    use super::blobs;
    use crate::{Labelled, Model, Standardizer, TrainConfig, TrainingInfo, evaluate, fit};

    /// A small model trained on separable blobs with 180 features, as `ser train` makes them.
    fn trained() -> (Model, ndarray::Array2<f32>, Vec<usize>) {
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
        let features = FeatureConfig::default();
        let model = Model {
            mlp,
            standardizer,
            classes: vec!["a".into(), "b".into(), "c".into()],
            feature_names: features.feature_names(),
            features,
            training: TrainingInfo {
                seed: 3,
                epochs: 30,
                best_epoch: 30,
                train_rows: x.nrows(),
            },
        };
        (model, x, y)
    }

    #[test]
    fn packed_models_predict_what_their_fake_quantized_twins_predict() {
        let (model, x, y) = trained();
        let xs = model.standardizer.transform(x.view()).unwrap();
        let (_, f32_accuracy) = evaluate(
            &model.mlp,
            &Labelled {
                x: xs.view(),
                y: &y,
            },
        )
        .unwrap();
        assert_eq!(f32_accuracy, 1.0);
        for bias in [BiasMode::LayerWidth, BiasMode::Full] {
            for b in 1..=8u8 {
                let p = vec![Precision::Bits(BitWidth::new(b).unwrap()); 3];
                let options = QuantOptions {
                    bias,
                    ..QuantOptions::default()
                };
                let packed = model.quantize(&p, options).unwrap();
                let back = PackedModel::from_bytes(&packed.to_bytes().unwrap()).unwrap();
                assert_eq!(back, packed);
                let fake = model.fake_quantized(&p, options).unwrap();
                let logits = fake.mlp.logits(xs.view()).unwrap();
                let mut scratch = Scratch::default();
                for (i, row) in x.axis_iter(Axis(0)).enumerate() {
                    let got = back.logits(row.as_slice().unwrap(), &mut scratch).unwrap();
                    for (g, f) in got.iter().zip(logits.row(i)) {
                        let tolerance = 1e-4 * (1.0 + f.abs());
                        assert!((g - f).abs() <= tolerance, "{b} bits, row {i}: {g} vs {f}");
                    }
                }
                if b == 8 {
                    let (_, accuracy) = evaluate(
                        &fake.mlp,
                        &Labelled {
                            x: xs.view(),
                            y: &y,
                        },
                    )
                    .unwrap();
                    assert_eq!(accuracy, f32_accuracy, "8 bits keep the accuracy");
                }
            }
        }
        assert_eq!(
            crate::packed_feature_config(
                &model
                    .quantize(&[Precision::Full; 3], QuantOptions::default())
                    .unwrap()
            )
            .unwrap(),
            model.features
        );
        assert!(
            model
                .quantize(&[Precision::Full; 2], QuantOptions::default())
                .is_err()
        );
    }
}
