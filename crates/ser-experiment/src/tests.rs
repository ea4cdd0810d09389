//! Runs over seeds, results.json and the reports, on a small generated dataset.

use ndarray::Array2;
use ser_data::{Dataset, SplitSpec};
use ser_features::{FeatureConfig, FeatureGroups};
use ser_mlp::TrainConfig;

use ser_search::{Budget, FinetuneConfig};

use crate::*;

/// Features of 4 MFCC columns (so a model records a real configuration), 72 rows of 3
/// separable classes from 4 speakers.
fn data() -> (Dataset, FeatureConfig) {
    let features = FeatureConfig {
        n_mfcc: 4,
        groups: FeatureGroups::MFCC_ONLY,
        ..FeatureConfig::default()
    };
    let x = Array2::from_shape_fn((72, 4), |(i, j)| {
        let centre = if j % 3 == i % 3 { 2.0 } else { 0.0 };
        centre + ((i * 31 + j * 17) % 11) as f32 / 11.0
    });
    let labels: Vec<String> = (0..72).map(|i| format!("c{}", i % 3)).collect();
    let data = Dataset::from_rows(
        x,
        &labels,
        (0..72).map(|i| Some(format!("s{}", i % 4))).collect(),
        (0..72).map(|i| format!("{i}.wav")).collect(),
        features.feature_names(),
    )
    .unwrap();
    (data, features)
}

fn config(split: SplitSpec) -> RunConfig {
    RunConfig {
        train: TrainConfig {
            hidden: vec![8],
            max_epochs: 15,
            ..TrainConfig::default()
        },
        finetune: Some(FinetuneConfig {
            max_epochs: 3,
            ..FinetuneConfig::default()
        }),
        split,
        validation_folds: 2,
        ..RunConfig::default()
    }
}

/// The runs without their timings, which are all that may differ between two runs.
fn untimed(mut runs: Vec<SeedRun>) -> Vec<SeedRun> {
    for r in &mut runs {
        (r.search_seconds, r.folds_seconds) = (0.0, 0.0);
    }
    runs
}

#[test]
fn runs_do_not_depend_on_the_number_of_threads() {
    let (data, features) = data();
    let config = config(SplitSpec::Loso);
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let runs = pool.install(|| run_seeds(&data, &features, &[0, 1, 2], &config, &|| {}));
        untimed(runs.unwrap())
    };
    let one = on(1);
    assert_eq!(one, on(2));
    // Leave one speaker out: each seed tests on one whole speaker's 18 rows.
    assert!(one.iter().all(|r| r.rows[2] == 18));
    assert!(one.iter().all(|r| r.adaptive_finetuned.is_some()));
}

#[test]
fn gptq_runs_through_the_search_folds_and_packed_models() {
    let (data, features) = data();
    let mut config = config(SplitSpec::KFold(3));
    let nearest = run_seeds(&data, &features, &[0], &config, &|| {}).unwrap();
    config.search.gptq = Some(ser_mlp::GptqConfig::default());
    let gptq = run_seeds(&data, &features, &[0], &config, &|| {}).unwrap();
    let again = run_seeds(&data, &features, &[0], &config, &|| {}).unwrap();
    assert_eq!(
        untimed(gptq.clone()),
        untimed(again),
        "GPTQ runs are reproducible"
    );
    // The same baseline; the codes of the quantized models are GPTQ's, so at some width
    // the packed model differs from the rounded one (its bytes are the same: same format).
    assert_eq!(gptq[0].baseline, nearest[0].baseline);
    assert!(
        gptq[0]
            .fixed
            .iter()
            .zip(&nearest[0].fixed)
            .any(|(g, n)| g != n)
    );
    assert!(
        gptq[0]
            .fixed
            .iter()
            .zip(&nearest[0].fixed)
            .all(|(g, n)| g.bytes == n.bytes)
    );
    let settings = RunSettings::new(&config, &[0], &features, vec![]);
    assert_eq!(settings.quant.rounding, "Gptq");
}

#[test]
fn budgets_in_bits_and_bytes_are_kept_with_gptq() {
    let (data, features) = data();
    for budget in [Budget::AverageBits(2.0), Budget::Bytes(600)] {
        let mut config = config(SplitSpec::KFold(3));
        config.search.gptq = Some(ser_mlp::GptqConfig::default());
        config.budget = Some(budget);
        let runs = run_seeds(&data, &features, &[0, 1], &config, &|| {}).unwrap();
        for r in &runs {
            let b = r.budgeted.as_ref().unwrap();
            assert!(b.exact && b.scored == 64, "2 layers, 8 widths");
            let tuned = b
                .finetuned
                .as_ref()
                .expect("fine-tuning ran on the budget's widths");
            assert_eq!(tuned.bits_per_layer, b.model.bits_per_layer);
            match budget {
                Budget::AverageBits(limit) => assert!(b.model.average_bits <= limit),
                Budget::Bytes(limit) => assert!(b.model.bytes as u64 <= limit),
            }
            assert!(
                b.front
                    .windows(2)
                    .all(|w| w[0][0] < w[1][0] && w[0][1] < w[1][1])
            );
        }
    }
}

#[test]
fn results_json_reads_back_and_keeps_the_schema_keys() {
    let (data, features) = data();
    let config = config(SplitSpec::KFold(3));
    let runs = run_seeds(&data, &features, &[0, 1], &config, &|| {}).unwrap();
    let meta = ReportMeta::new("made up".into(), &data, &config, "a test".into());
    assert_eq!(
        (meta.params, &meta.layers[..]),
        (
            4 * 8 + 8 + 8 * 3 + 3,
            &["4x8".to_string(), "8x3".to_string()][..]
        )
    );
    let settings = RunSettings::new(&config, &[0, 1], &features, meta.layers.clone());
    let results = Results::new(&meta, settings, runs, 1.5);
    let json = results.to_json();
    let back: Results = serde_json::from_str(&json).unwrap();
    assert_eq!(back, results);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema_version"], RESULTS_SCHEMA_VERSION);
    assert_eq!(v["config"]["split"], "kfold:3");
    assert!(v["config"]["test_fraction"].is_null());
    for model in ["baseline", "adaptive", "adaptive_finetuned"] {
        for key in [
            "accuracy",
            "ua",
            "size_kb",
            "bytes",
            "bits_per_layer",
            "average_bits",
        ] {
            assert!(!v["runs"][0][model][key].is_null(), "runs[0].{model}.{key}");
        }
    }
    assert_eq!(v["runs"][1]["fixed"].as_array().unwrap().len(), 8);
    assert_eq!(v["summary"]["seeds"], 2);
    assert!(v["summary"]["adaptive_vs_baseline"]["mean"].is_number());
}
