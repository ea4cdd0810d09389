//! Tests of the network, its gradients and training.

use ndarray::{Array2, ArrayView2};
use rand::Rng;

use crate::network::cross_entropy;
use crate::rng::seeded;
use crate::{
    EpochStats, Labelled, Mlp, MlpError, Standardizer, StopOn, TrainConfig, evaluate, fit,
};

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
        // The pinned values are of plain Adam.
        weight_decay: 0.0,
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

mod metrics {
    use crate::{MlpError, classification_metrics};

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

#[test]
fn accuracy_stopping_restores_the_best_accuracy_and_breaks_ties_by_loss() {
    let (x, y) = blobs(3, 10, 4, 2.0);
    let (xv, yv) = blobs(4, 10, 4, 2.0);
    let config = TrainConfig {
        hidden: vec![64, 64],
        max_epochs: 200,
        patience: 8,
        stop_on: StopOn::Accuracy,
        seed: 1,
        ..TrainConfig::default()
    };
    let validation = Labelled {
        x: xv.view(),
        y: &yv,
    };
    let (mlp, history) = fit(
        &config,
        Labelled { x: x.view(), y: &y },
        Some(validation),
        3,
    )
    .unwrap();
    let score = |e: &EpochStats| (e.val_accuracy.unwrap(), -e.val_loss.unwrap());
    let kept = &history.epochs[history.best_epoch - 1];
    // The kept epoch is the best (accuracy, then lower loss) of all, and the first of equals.
    for e in &history.epochs {
        let better = score(e).0 > score(kept).0
            || (score(e).0 == score(kept).0 && score(e).1 > score(kept).1);
        assert!(
            !better,
            "epoch {} beats the kept epoch {}",
            e.epoch, kept.epoch
        );
    }
    let (loss, accuracy) = evaluate(&mlp, &validation).unwrap();
    assert_eq!(
        (loss, accuracy),
        (kept.val_loss.unwrap(), kept.val_accuracy.unwrap())
    );
    // Stopped `patience` epochs after the last epoch that improved by more than min_delta = 0.
    assert!(history.epochs.len() < 200);
}

#[test]
fn without_restoring_the_last_epochs_weights_are_kept() {
    let (x, y) = blobs(3, 10, 4, 2.0);
    let (xv, yv) = blobs(4, 10, 4, 2.0);
    let config = TrainConfig {
        hidden: vec![64, 64],
        patience: 5,
        restore_best: false,
        seed: 1,
        ..TrainConfig::default()
    };
    let validation = Labelled {
        x: xv.view(),
        y: &yv,
    };
    let (mlp, history) = fit(
        &config,
        Labelled { x: x.view(), y: &y },
        Some(validation),
        3,
    )
    .unwrap();
    assert_eq!(history.best_epoch, history.epochs.len());
    let last = history.epochs.last().unwrap();
    assert_eq!(
        evaluate(&mlp, &validation).unwrap().0,
        last.val_loss.unwrap()
    );
    // The same run stops at the same epoch as with restoring: only the weights kept differ.
    let restored = TrainConfig {
        restore_best: true,
        ..config.clone()
    };
    let (_, h) = fit(
        &restored,
        Labelled { x: x.view(), y: &y },
        Some(validation),
        3,
    )
    .unwrap();
    assert_eq!(h.epochs, history.epochs);
}

#[test]
fn weight_decay_shrinks_the_weights() {
    let (x, y) = blobs(3, 10, 4, 2.0);
    let config = TrainConfig {
        hidden: vec![32],
        max_epochs: 40,
        seed: 2,
        weight_decay: 0.0,
        ..TrainConfig::default()
    };
    let norm = |m: &Mlp| -> f32 {
        m.layers()
            .iter()
            .map(|l| l.weights.iter().map(|w| w * w).sum::<f32>())
            .sum()
    };
    let (plain, _) = fit(&config, Labelled { x: x.view(), y: &y }, None, 3).unwrap();
    let decayed = TrainConfig {
        weight_decay: 1.0,
        ..config.clone()
    };
    let (shrunk, _) = fit(&decayed, Labelled { x: x.view(), y: &y }, None, 3).unwrap();
    assert!(
        norm(&shrunk) < 0.9 * norm(&plain),
        "{} vs {}",
        norm(&shrunk),
        norm(&plain)
    );
}

#[test]
fn bad_stopping_settings_are_errors() {
    for config in [
        TrainConfig {
            min_delta: -0.1,
            ..TrainConfig::default()
        },
        TrainConfig {
            min_delta: f32::NAN,
            ..TrainConfig::default()
        },
        TrainConfig {
            weight_decay: -1.0,
            ..TrainConfig::default()
        },
        TrainConfig {
            weight_decay: f32::INFINITY,
            ..TrainConfig::default()
        },
    ] {
        assert!(
            matches!(config.validate(), Err(MlpError::Config { .. })),
            "{config:?}"
        );
    }
    assert_eq!("accuracy".parse::<StopOn>().unwrap(), StopOn::Accuracy);
    assert!("acc".parse::<StopOn>().is_err());
}

/// Fake quantization codes each weight where it lies; it must give exactly what the packed
/// layer dequantizes to, for every width, granularity, scaling and bias mode.
#[test]
fn fake_quantization_equals_the_packed_layer_dequantized() {
    use ser_quant::{BiasMode, BitWidth, Granularity, Precision, QuantOptions, Scaling};

    let mlp = Mlp::new(13, &[9], 3, 0.0, 4).unwrap();
    let layer = &mlp.layers()[0];
    let mut zeros = layer.clone();
    zeros.weights.fill(0.0);
    for dense in [layer, &zeros] {
        for b in 1..=8u8 {
            for granularity in [Granularity::PerTensor, Granularity::PerChannel] {
                for scaling in [Scaling::MaxAbs, Scaling::MinMse] {
                    for bias in [BiasMode::LayerWidth, BiasMode::Full] {
                        let options = QuantOptions {
                            granularity,
                            bias,
                            scaling,
                        };
                        let p = Precision::Bits(BitWidth::new(b).unwrap());
                        let fake = dense.fake_quantized(p, options).unwrap();
                        let packed = dense.quantize(p, options).unwrap();
                        let (rows, biases) = packed.dequantize().unwrap();
                        let want = Array2::from_shape_vec((9, 13), rows).unwrap();
                        assert_eq!(fake.weights, want.t(), "{b} bits, {options:?}");
                        assert_eq!(fake.bias.to_vec(), biases, "{b} bits, {options:?}");
                    }
                }
            }
        }
    }
    let mut bad = layer.clone();
    bad.weights[[2, 1]] = f32::NAN;
    let two = Precision::Bits(BitWidth::new(2).unwrap());
    assert!(bad.fake_quantized(two, QuantOptions::default()).is_err());
    assert!(
        bad.fake_quantized(Precision::Full, QuantOptions::default())
            .is_err()
    );
}
