//! Tests of the search on a small trained network.

use ndarray::Array2;
use ser_importance::{Order, rank};
use ser_mlp::{Labelled, Mlp, TrainConfig, fit};
use ser_quant::{BitWidth, Precision, QuantOptions};

use crate::*;

/// Three noisy classes in 12 dimensions and a network trained on them (seeded).
fn trained() -> (Mlp, Array2<f32>, Vec<usize>) {
    trained_with(2.0)
}

/// The same with noise of amplitude `noise` (larger: harder).
fn trained_with(noise: f32) -> (Mlp, Array2<f32>, Vec<usize>) {
    let n = 120;
    let x = Array2::from_shape_fn((n, 12), |(i, j)| {
        let centre = if j % 3 == i % 3 { 1.5 } else { -0.5 };
        centre + (((i * 7919 + j * 104_729) % 1000) as f32 / 1000.0 - 0.5) * noise
    });
    let y: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let config = TrainConfig {
        hidden: vec![32, 16],
        max_epochs: 60,
        seed: 5,
        ..TrainConfig::default()
    };
    let (mlp, _) = fit(&config, Labelled { x: x.view(), y: &y }, None, 3).unwrap();
    (mlp, x, y)
}

#[test]
fn the_search_follows_the_method() {
    let (mlp, x, y) = trained();
    let data = Labelled { x: x.view(), y: &y };
    let config = SearchConfig::default();
    let r = adaptive_search(&mlp, data, &config).unwrap();
    // Margins and order from the importance scores.
    let scores: Vec<f64> = r.importance.iter().map(|s| s.importance).collect();
    assert_eq!(r.scores, scores);
    assert_eq!(r.order, rank(&scores, Order::MostImportantFirst));
    for (m, s) in r.margins.iter().zip(&scores) {
        assert!((m - (2.0 - s)).abs() < 1e-12);
    }
    // Linear: 8 candidates per layer, tried 8 down to 1, layers in ranked order.
    assert_eq!(r.trials.len(), 3 * 8);
    for (k, &layer) in r.order.iter().enumerate() {
        let tried: Vec<&Trial> = r.trials[8 * k..8 * (k + 1)].iter().collect();
        assert!(tried.iter().all(|t| t.layer == layer));
        assert_eq!(
            tried.iter().map(|t| t.bits.bits()).collect::<Vec<_>>(),
            [8, 7, 6, 5, 4, 3, 2, 1]
        );
        // The narrowest passing width is kept.
        let best = tried
            .iter()
            .filter(|t| t.passed)
            .map(|t| t.bits.bits())
            .min();
        assert_eq!(best.unwrap_or(32), r.precisions[layer].bits());
        for t in tried {
            assert_eq!(
                t.passed,
                r.baseline_accuracy - t.accuracy <= r.margins[layer]
            );
        }
    }
    // The reported accuracy is the chosen model's, and the average its widths'.
    assert_eq!(
        r.accuracy,
        quantized_accuracy(&mlp, &r.precisions, QuantOptions::default(), data).unwrap()
    );
    assert!((r.average_bits - average_bits(&mlp, &r.precisions)).abs() < 1e-12);
    // Deterministic.
    assert_eq!(adaptive_search(&mlp, data, &config).unwrap(), r);
}

#[test]
fn margins_decide_the_widths() {
    let (mlp, x, y) = trained();
    let data = Labelled { x: x.view(), y: &y };
    // Any drop allowed: every layer goes to 1 bit.
    let loose = SearchConfig {
        margin: 100.0,
        ..SearchConfig::default()
    };
    let r = adaptive_search(&mlp, data, &loose).unwrap();
    assert!(r.precisions.iter().all(|p| p.bits() == 1));
    assert_eq!(r.average_bits, 1.0);
    // Margins below zero need a gain over the baseline: no width passes, all stay f32.
    let tight = SearchConfig {
        margin: 0.0,
        beta: 100.0,
        ..SearchConfig::default()
    };
    let r = adaptive_search(&mlp, data, &tight).unwrap();
    assert!(r.precisions.iter().all(|p| *p == Precision::Full));
    assert_eq!(r.accuracy, r.baseline_accuracy);
}

#[test]
fn binary_search_bisects_the_candidates() {
    let (mlp, x, y) = trained();
    let data = Labelled { x: x.view(), y: &y };
    let config = SearchConfig {
        strategy: Strategy::Binary,
        ..SearchConfig::default()
    };
    let r = adaptive_search(&mlp, data, &config).unwrap();
    for &layer in &r.order {
        let tried: Vec<&Trial> = r.trials.iter().filter(|t| t.layer == layer).collect();
        assert!(
            tried.len() <= 4,
            "{} evaluations for 8 candidates",
            tried.len()
        );
        // The chosen width passed (or nothing did and the layer stayed f32).
        match r.precisions[layer] {
            Precision::Full => assert!(tried.iter().all(|t| !t.passed)),
            p => assert!(tried.iter().any(|t| t.bits == p && t.passed)),
        }
    }
    let loose = SearchConfig {
        margin: 100.0,
        ..config
    };
    let r = adaptive_search(&mlp, data, &loose).unwrap();
    assert!(r.precisions.iter().all(|p| p.bits() == 1));
}

#[test]
fn the_final_model_is_always_within_the_global_margin() {
    let (mlp, x, y) = trained();
    let data = Labelled { x: x.view(), y: &y };
    for margin in [0.0, 0.5, 1.0, 2.0, 5.0] {
        for beta in [0.0, 0.5, 1.0, 3.0] {
            for strategy in [Strategy::Linear, Strategy::Binary] {
                for order in [Order::MostImportantFirst, Order::LeastImportantFirst] {
                    let config = SearchConfig {
                        margin,
                        beta,
                        strategy,
                        order,
                        ..SearchConfig::default()
                    };
                    let r = adaptive_search(&mlp, data, &config).unwrap();
                    assert!(
                        r.baseline_accuracy - r.accuracy <= margin,
                        "{config:?}: {r:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn fixed_sweep_and_pareto_front() {
    let (mlp, x, y) = trained();
    let data = Labelled { x: x.view(), y: &y };
    let sweep: Vec<(BitWidth, f64)> = BitWidth::ALL
        .iter()
        .map(|&b| {
            let p = [Precision::Bits(b); 3];
            (
                b,
                quantized_accuracy(&mlp, &p, QuantOptions::default(), data).unwrap(),
            )
        })
        .collect();
    assert_eq!(sweep.len(), 8);
    let base =
        quantized_accuracy(&mlp, &[Precision::Full; 3], QuantOptions::default(), data).unwrap();
    // 8 bits keep a trained network's accuracy within a row or two.
    assert!(
        (sweep[7].1 - base).abs() <= 2.0 * 100.0 / 120.0 + 1e-9,
        "{sweep:?} vs {base}"
    );
    let points: Vec<(f64, f64)> = sweep
        .iter()
        .map(|(b, a)| (f64::from(b.get()), *a))
        .collect();
    let front = pareto_front(&points);
    assert!(!front.is_empty());
    for w in front.windows(2) {
        assert!(w[0].0 < w[1].0 && w[0].1 < w[1].1);
    }
    for p in &points {
        assert!(
            front.iter().any(|f| f.0 <= p.0 && f.1 >= p.1),
            "{p:?} not dominated by the front"
        );
    }
    assert!(pareto_front(&[(f64::NAN, 1.0)]).is_empty());
}

#[test]
fn bad_settings_and_data_are_refused() {
    let (mlp, x, y) = trained();
    let data = Labelled { x: x.view(), y: &y };
    for config in [
        SearchConfig {
            margin: -1.0,
            ..SearchConfig::default()
        },
        SearchConfig {
            beta: f64::NAN,
            ..SearchConfig::default()
        },
        SearchConfig {
            widths: vec![],
            ..SearchConfig::default()
        },
    ] {
        assert!(matches!(
            adaptive_search(&mlp, data, &config),
            Err(SearchError::Config(_))
        ));
    }
    let mut bad = SearchConfig::default();
    bad.importance.alpha = 2.0;
    assert!(matches!(
        adaptive_search(&mlp, data, &bad),
        Err(SearchError::Importance(_))
    ));
    let empty = Labelled {
        x: x.slice(ndarray::s![..0, ..]),
        y: &[],
    };
    assert!(adaptive_search(&mlp, empty, &SearchConfig::default()).is_err());
    let wrong = Array2::<f32>::zeros((4, 5));
    let labels = [0, 1, 2, 0];
    assert!(matches!(
        adaptive_search(
            &mlp,
            Labelled {
                x: wrong.view(),
                y: &labels
            },
            &SearchConfig::default()
        ),
        Err(SearchError::Mlp(_))
    ));
}

#[test]
fn fine_tuning_recovers_accuracy_lost_to_quantization() {
    // Noisy enough that 1-bit weights lose accuracy (66.7 % of the 30 validation rows against
    // 90.0 % after fine-tuning, when this test was written).
    let (mlp, x, y) = trained_with(8.0);
    // Train on the first 90 rows, validate on the last 30.
    let (xt, xv) = (
        x.slice(ndarray::s![..90, ..]),
        x.slice(ndarray::s![90.., ..]),
    );
    let (yt, yv) = (&y[..90], &y[90..]);
    let one = vec![Precision::Bits(BitWidth::new(1).unwrap()); 3];
    let config = FinetuneConfig {
        learning_rate: 1e-3,
        ..FinetuneConfig::default()
    };
    let tune = || {
        finetune_quantized(
            &mlp,
            &one,
            Labelled { x: xt, y: yt },
            Labelled { x: xv, y: yv },
            &config,
        )
        .unwrap()
    };
    let r = tune();
    assert!(r.epochs >= 1 && r.epochs <= 30);
    assert!(r.improved && r.accuracy > r.accuracy_before + 10.0, "{r:?}");
    assert_eq!(
        r.accuracy,
        quantized_accuracy(
            &r.mlp,
            &one,
            QuantOptions::default(),
            Labelled { x: xv, y: yv }
        )
        .unwrap()
    );
    // Deterministic.
    assert_eq!(tune(), r);
}

#[test]
fn distilled_fine_tuning_recovers_accuracy_too_and_differs_from_plain() {
    let (mlp, x, y) = trained_with(8.0);
    let (xt, xv) = (
        x.slice(ndarray::s![..90, ..]),
        x.slice(ndarray::s![90.., ..]),
    );
    let (yt, yv) = (&y[..90], &y[90..]);
    let one = vec![Precision::Bits(BitWidth::new(1).unwrap()); 3];
    let tune = |distillation| {
        let config = FinetuneConfig {
            learning_rate: 1e-3,
            distillation,
            ..FinetuneConfig::default()
        };
        finetune_quantized(
            &mlp,
            &one,
            Labelled { x: xt, y: yt },
            Labelled { x: xv, y: yv },
            &config,
        )
    };
    let plain = tune(None).unwrap();
    let distilled = tune(Some(ser_mlp::Distillation::default())).unwrap();
    assert!(
        distilled.improved && distilled.accuracy > distilled.accuracy_before,
        "{distilled:?}"
    );
    assert_ne!(distilled.mlp, plain.mlp);
    let bad = ser_mlp::Distillation {
        weight: 2.0,
        ..ser_mlp::Distillation::default()
    };
    assert!(tune(Some(bad)).is_err());
}

#[test]
fn other_scores_rank_and_set_margins_in_unit_range() {
    let (mlp, x, y) = trained();
    let data = Labelled { x: x.view(), y: &y };
    for score in [
        LayerScore::HessianTrace(ser_importance::HessianTrace {
            samples: 4,
            ..Default::default()
        }),
        LayerScore::Sensitivity(ser_importance::Sensitivity::default()),
    ] {
        let config = SearchConfig {
            score,
            ..SearchConfig::default()
        };
        let r = adaptive_search(&mlp, data, &config).unwrap();
        assert!(
            r.scores.iter().all(|s| (0.0..=1.0).contains(s)),
            "{}: {:?}",
            score.name(),
            r.scores
        );
        assert_eq!(r.order, rank(&r.scores, Order::MostImportantFirst));
        for (m, s) in r.margins.iter().zip(&r.scores) {
            assert!((m - (2.0 - s)).abs() < 1e-12);
        }
        assert!(r.baseline_accuracy - r.accuracy <= 2.0);
    }
}

#[test]
fn pooled_search_counts_every_members_rows() {
    let (a, x, y) = trained();
    let (b, _, _) = trained_with(3.0);
    let (first, second) = (
        Labelled {
            x: x.slice(ndarray::s![..50, ..]),
            y: &y[..50],
        },
        Labelled {
            x: x.slice(ndarray::s![50.., ..]),
            y: &y[50..],
        },
    );
    let other = Member {
        mlp: &b,
        rows: second,
        calibration: None,
    };
    let config = SearchConfig::default();
    let r = adaptive_search_pooled(&a, first, &[other], &config).unwrap();
    // Correct rows over all rows of both members, at full precision and at the chosen widths.
    let pooled = |p: &[Precision]| {
        let q = QuantOptions::default();
        let (ra, rb) = (
            quantized_accuracy(&a, p, q, first).unwrap(),
            quantized_accuracy(&b, p, q, second).unwrap(),
        );
        (ra * 50.0 + rb * 70.0) / 120.0
    };
    assert!((r.baseline_accuracy - pooled(&[Precision::Full; 3])).abs() < 1e-9);
    assert!((r.accuracy - pooled(&r.precisions)).abs() < 1e-9);
    // Scores and order are the searched network's own.
    let alone = adaptive_search(&a, first, &config).unwrap();
    assert_eq!((&r.scores, &r.order), (&alone.scores, &alone.order));
    // Every trial is judged on the pooled accuracy.
    for t in &r.trials {
        assert_eq!(
            t.passed,
            r.baseline_accuracy - t.accuracy <= r.margins[t.layer]
        );
    }
    // A member of another shape is refused, naming the shapes.
    let narrow = Mlp::new(12, &[8, 16], 3, 0.0, 1).unwrap();
    let bad = Member {
        mlp: &narrow,
        rows: second,
        calibration: None,
    };
    let err = adaptive_search_pooled(&a, first, &[bad], &config)
        .unwrap_err()
        .to_string();
    assert!(err.contains("pooled network 1"), "{err}");
}

#[test]
fn gptq_without_calibration_rows_is_refused() {
    let (mlp, x, y) = trained();
    let rows = ser_mlp::Labelled { x: x.view(), y: &y };
    let config = SearchConfig {
        gptq: Some(ser_mlp::GptqConfig::default()),
        ..SearchConfig::default()
    };
    let err = adaptive_search(&mlp, rows, &config).unwrap_err();
    assert!(
        err.to_string().contains("GPTQ needs calibration rows"),
        "{err}"
    );
}

mod budget {
    use proptest::prelude::*;
    use ser_mlp::Labelled;
    use ser_quant::{BitWidth, Precision, QuantOptions};

    use crate::budget::{budget_in, every_mix, proxy_mixes};
    use crate::pool::ScoredPool;
    use crate::*;

    fn widths() -> Vec<Precision> {
        (1..=8)
            .map(|b| Precision::Bits(BitWidth::new(b).unwrap()))
            .collect()
    }

    /// The 3-layer network of the tests above, pooled with its own rows.
    fn pool_of<'a>(
        mlp: &'a ser_mlp::Mlp,
        x: &'a ndarray::Array2<f32>,
        y: &'a [usize],
    ) -> ScoredPool<'a> {
        let member = Member {
            mlp,
            rows: Labelled { x: x.view(), y },
            calibration: None,
        };
        ScoredPool::new(vec![member], QuantOptions::default(), None).unwrap()
    }

    #[test]
    fn every_mix_is_scored_as_the_pool_scores_it() {
        let (mlp, x, y) = super::trained_with(4.0);
        let mut pool = pool_of(&mlp, &x, &y);
        let widths = widths();
        let costs = Costs::average_bits(&mlp, &widths);
        let mixes = every_mix(&mut pool, &widths, &costs).unwrap();
        assert_eq!(mixes.len(), 512);
        for mix in &mixes {
            // Brute force: the whole network at this mix, through the pool's own path.
            let (accuracy, loss) = pool.score(&mix.precisions).unwrap();
            assert_eq!(mix.accuracy, accuracy, "{:?}", mix.precisions);
            // The walk adds the same rows' losses in the same order.
            assert_eq!(mix.loss, loss, "{:?}", mix.precisions);
            assert!(loss.is_finite() && loss > 0.0);
            assert!((mix.cost - average_bits(&mlp, &mix.precisions)).abs() < 1e-12);
        }
        // The mixes are not all alike: quantization costs accuracy somewhere.
        assert!(
            mixes
                .iter()
                .any(|m| m.accuracy != mixes[mixes.len() - 1].accuracy)
        );
        let front = mix_front(&mixes);
        for w in front.windows(2) {
            assert!(w[0].cost < w[1].cost && w[0].accuracy < w[1].accuracy);
        }
        for m in &mixes {
            assert!(
                front
                    .iter()
                    .any(|f| f.cost <= m.cost && f.accuracy >= m.accuracy)
            );
        }
    }

    #[test]
    fn the_proxy_scores_its_mixes_exactly_and_reaches_the_cheapest() {
        let (mlp, x, y) = super::trained_with(4.0);
        let mut pool = pool_of(&mlp, &x, &y);
        let widths = widths();
        let costs = Costs::average_bits(&mlp, &widths);
        let mixes = proxy_mixes(&mut pool, &widths, &costs).unwrap();
        assert!(!mixes.is_empty());
        for m in &mixes {
            assert_eq!(m.accuracy, pool.accuracy(&m.precisions).unwrap());
        }
        assert!(
            mixes.iter().any(|m| (m.cost - 1.0).abs() < 1e-12),
            "1 bit everywhere"
        );
    }

    #[test]
    fn bad_budgets_are_refused() {
        let (mlp, x, y) = super::trained();
        let rows = Labelled { x: x.view(), y: &y };
        let config = SearchConfig::default();
        let widths = widths();
        let search =
            |b: Budget, c: Option<&Costs>| budget_search(&mlp, rows, &[], &config, &widths, b, c);
        for (budget, needle) in [
            (Budget::AverageBits(0.5), "below the smallest model"),
            (Budget::AverageBits(f64::NAN), "below the smallest model"),
            (Budget::AverageBits(33.0), "above f32"),
            (Budget::Bytes(1000), "needs each layer's bytes"),
        ] {
            let err = search(budget, None).unwrap_err().to_string();
            assert!(err.contains(needle), "{budget:?}: {err}");
        }
        let wrong = Costs {
            base: 0.0,
            layer: vec![vec![1.0; 8]; 2],
        };
        assert!(search(Budget::AverageBits(2.0), Some(&wrong)).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn the_budget_is_never_exceeded_and_nothing_within_it_is_better(limit in 1.0f64..8.5) {
            let (mlp, x, y) = super::trained_with(4.0);
            let mut pool = pool_of(&mlp, &x, &y);
            let widths = widths();
            let costs = Costs::average_bits(&mlp, &widths);
            let found = budget_in(
                &mut pool,
                &widths,
                &costs,
                Budget::AverageBits(limit),
                MixScore::Accuracy,
            )
            .unwrap();
            prop_assert!(found.chosen.cost <= limit);
            let all = every_mix(&mut pool, &widths, &costs).unwrap();
            for m in all.iter().filter(|m| m.cost <= limit) {
                prop_assert!(m.accuracy <= found.chosen.accuracy);
            }
            prop_assert!(found.exact && found.scored == 512);
            // By loss: nothing within the budget has a lower loss.
            let by_loss = budget_in(
                &mut pool,
                &widths,
                &costs,
                Budget::AverageBits(limit),
                MixScore::Loss,
            )
            .unwrap();
            prop_assert!(by_loss.chosen.cost <= limit);
            for m in all.iter().filter(|m| m.cost <= limit) {
                prop_assert!(m.loss >= by_loss.chosen.loss);
            }
        }
    }

    #[test]
    fn ties_of_accuracy_go_to_the_lower_loss_then_the_cheaper() {
        let mix = |cost: f64, accuracy: f64, loss: f64| Mix {
            precisions: vec![],
            accuracy,
            loss,
            cost,
        };
        let mixes = [
            mix(1.0, 70.0, 0.9),
            mix(1.5, 70.0, 0.8),
            mix(1.2, 70.0, 0.8),
            mix(1.9, 69.0, 0.5),
        ];
        assert_eq!(best_within(&mixes, 2.0).unwrap().cost, 1.2);
        assert_eq!(
            best_within_by(&mixes, 2.0, MixScore::Loss).unwrap().cost,
            1.9
        );
        assert_eq!(
            best_within_by(&mixes, 1.4, MixScore::Loss).unwrap().cost,
            1.2
        );
    }
}
