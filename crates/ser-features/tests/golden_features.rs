//! Parity with librosa 0.11 on synthesised signals (fixtures by `scripts/make_golden.py`).
//!
//! Every comparison states its tolerance as the worst absolute error divided by the largest
//! magnitude of librosa's array for that signal and feature group.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{golden_dir, read_npy, relative_error};
use ser_features::{
    ChromaSource, FeatureConfig, FeatureExtractor, MelOutput, MelScale, Pooling, Tuning,
};
use serde_json::Value;

struct Case {
    name: String,
    sr: u32,
    tuning_magnitude: f64,
    tuning_power: f64,
    n_frames: usize,
    params: Value,
    signal: Vec<f32>,
}

fn cases() -> Vec<Case> {
    let dir = golden_dir().join("features");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_string(),
            sr: c["sr"].as_u64().unwrap() as u32,
            tuning_magnitude: c["tuning_magnitude"].as_f64().unwrap(),
            tuning_power: c["tuning_power"].as_f64().unwrap(),
            n_frames: c["n_frames"].as_u64().unwrap() as usize,
            params: c["params"].clone(),
            signal: read_npy(&dir.join(c["arrays"]["signal"].as_str().unwrap())).data,
        })
        .collect()
}

fn base_config(case: &Case) -> FeatureConfig {
    let p = &case.params;
    let mut config = FeatureConfig::default();
    if let Some(n) = p.get("n_mels").and_then(Value::as_u64) {
        config.n_mels = n as usize;
    }
    if let Some(n) = p.get("n_mfcc").and_then(Value::as_u64) {
        config.n_mfcc = n as usize;
    }
    if let Some(f) = p.get("fmin").and_then(Value::as_f64) {
        config.fmin = f as f32;
    }
    if let Some(f) = p.get("fmax").and_then(Value::as_f64) {
        config.fmax = Some(f as f32);
    }
    config
}

fn golden(case: &Case, key: &str) -> Vec<f32> {
    let npy = read_npy(
        &golden_dir()
            .join("features")
            .join(format!("{}.{key}.npy", case.name)),
    );
    npy.data
}

/// librosa's `coefficients x frames` layout, row-major, like ours.
fn ours(matrix: Option<ndarray::Array2<f32>>) -> Vec<f32> {
    matrix.expect("group enabled").iter().copied().collect()
}

/// Runs `check` on every case, collecting the worst error, and asserts it under `tolerance`.
fn assert_all(what: &str, tolerance: f64, mut error: impl FnMut(&Case) -> Option<f64>) {
    let mut worst = (0.0f64, String::new());
    let mut compared = 0;
    for case in cases() {
        if let Some(e) = error(&case) {
            compared += 1;
            if e > worst.0 || e.is_nan() {
                worst = (e, case.name.clone());
            }
        }
    }
    println!(
        "{what}: worst relative error {:.3e} ({}) over {compared} cases",
        worst.0, worst.1
    );
    assert!(compared > 0, "{what}: nothing compared");
    assert!(
        worst.0 <= tolerance,
        "{what}: {:.3e} on {} exceeds {tolerance:e}",
        worst.0,
        worst.1
    );
}

#[test]
fn frame_counts_match() {
    let extractor = FeatureExtractor::new(FeatureConfig::default()).unwrap();
    for case in cases() {
        let frames = extractor.frames(&case.signal, case.sr).unwrap();
        assert_eq!(frames.n_frames, case.n_frames, "{}", case.name);
    }
}

#[test]
fn mel_power_slaney_matches() {
    // f32 STFT against librosa's f64 one. Measured 4.1e-7.
    assert_all("mel (Slaney)", 1e-5, |case| {
        let x = FeatureExtractor::new(base_config(case)).unwrap();
        Some(relative_error(
            &ours(x.frames(&case.signal, case.sr).unwrap().mel),
            &golden(case, "mel"),
        ))
    });
}

#[test]
fn mel_power_htk_matches() {
    assert_all("mel (HTK)", 1e-5, |case| {
        let config = FeatureConfig {
            mel_scale: MelScale::Htk,
            ..base_config(case)
        };
        let x = FeatureExtractor::new(config).unwrap();
        Some(relative_error(
            &ours(x.frames(&case.signal, case.sr).unwrap().mel),
            &golden(case, "mel_htk"),
        ))
    });
}

#[test]
fn mel_db_matches() {
    // Measured 2.0e-5: bands near the 80 dB floor, where f32 FFT rounding is a larger share.
    assert_all("mel dB", 1e-4, |case| {
        let config = FeatureConfig {
            mel_output: MelOutput::Decibels,
            ..base_config(case)
        };
        let x = FeatureExtractor::new(config).unwrap();
        Some(relative_error(
            &ours(x.frames(&case.signal, case.sr).unwrap().mel),
            &golden(case, "mel_db"),
        ))
    });
}

#[test]
fn mfcc_matches() {
    // Measured 1.8e-6.
    assert_all("mfcc", 1e-5, |case| {
        let x = FeatureExtractor::new(base_config(case)).unwrap();
        Some(relative_error(
            &ours(x.frames(&case.signal, case.sr).unwrap().mfcc),
            &golden(case, "mfcc"),
        ))
    });
}

#[test]
fn chroma_with_pinned_tuning_matches() {
    // Measured 9.5e-7.
    assert_all("chroma (magnitude, tuning 0)", 1e-5, |case| {
        let config = FeatureConfig {
            tuning: Tuning::Fixed(0.0),
            ..base_config(case)
        };
        let x = FeatureExtractor::new(config).unwrap();
        Some(relative_error(
            &ours(x.frames(&case.signal, case.sr).unwrap().chroma),
            &golden(case, "chroma_mag_pinned"),
        ))
    });
}

#[test]
fn estimated_tuning_and_chroma_match() {
    for (source, key, tuning_of) in [
        (
            ChromaSource::Magnitude,
            "chroma_mag",
            (|c: &Case| c.tuning_magnitude) as fn(&Case) -> f64,
        ),
        (ChromaSource::Power, "chroma_pow", |c: &Case| c.tuning_power),
    ] {
        let mut mismatches = Vec::new();
        assert_all(
            &format!("chroma ({source:?}, estimated tuning)"),
            1e-5,
            |case| {
                let config = FeatureConfig {
                    chroma_source: source,
                    ..base_config(case)
                };
                let x = FeatureExtractor::new(config).unwrap();
                let frames = x.frames(&case.signal, case.sr).unwrap();
                let tuning = frames.tuning.unwrap();
                if (tuning - tuning_of(case)).abs() > 1e-9 {
                    mismatches.push(format!(
                        "{}: ours {tuning}, librosa {}",
                        case.name,
                        tuning_of(case)
                    ));
                    return None;
                }
                Some(relative_error(&ours(frames.chroma), &golden(case, key)))
            },
        );
        // Every synthesised case estimates exactly librosa's tuning.
        assert!(
            mismatches.is_empty(),
            "{source:?} tuning differs: {mismatches:#?}"
        );
    }
}

#[test]
fn pooled_vectors_match_per_group() {
    let groups = |case: &Case| {
        let c = base_config(case);
        [
            ("mfcc", 0, c.n_mfcc),
            ("chroma", c.n_mfcc, c.n_chroma),
            ("mel", c.n_mfcc + c.n_chroma, c.n_mels),
        ]
    };
    for (pooling, key) in [
        (Pooling::Mean, "pooled_mean"),
        (Pooling::MeanStd, "pooled_std"),
    ] {
        // Measured 1.4e-6 (mean) and 3.8e-6 (std).
        assert_all(&format!("pooled {key}"), 5e-5, |case| {
            let x = FeatureExtractor::new(FeatureConfig {
                pooling,
                ..base_config(case)
            })
            .unwrap();
            let vector = x.extract(&case.signal, case.sr).unwrap();
            let offset = if pooling == Pooling::MeanStd {
                x.config().frame_dim()
            } else {
                0
            };
            let want = golden(case, key);
            let worst = groups(case)
                .iter()
                .map(|(_, start, n)| {
                    relative_error(
                        &vector[offset + start..offset + start + n],
                        &want[*start..start + n],
                    )
                })
                .fold(0.0, f64::max);
            Some(worst)
        });
    }
}
