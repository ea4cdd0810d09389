//! Streams: every window's features are the offline extractor's on the same samples, whatever
//! the chunks; silence is gated; bad input is a clear error.

#![allow(clippy::unwrap_used)]

use ndarray::Array2;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ser_features::{FeatureConfig, FeatureExtractor, Tuning, encode_wav_pcm16, resample};
use ser_mlp::{Mlp, Standardizer};
use ser_model::{Model, Network, TrainingInfo};
use ser_recognize::{Gate, RecognizeError, Recognizer, StreamConfig};

fn recognizer(features: FeatureConfig, rates: &[u32]) -> Recognizer {
    let dim = features.dim();
    let x = Array2::from_shape_fn((6, dim), |(i, j)| ((i * 7 + j * 3) % 11) as f32 * 0.1);
    let training = TrainingInfo {
        seed: 1,
        epochs: 1,
        best_epoch: 1,
        train_rows: 6,
        sample_rates: rates.to_vec(),
    };
    Recognizer::new(
        Model::new(
            Network::F32(Mlp::new(dim, &[8], 2, 0.0, 3).unwrap()),
            Standardizer::fit(x.view()).unwrap(),
            vec!["calm".into(), "anger".into()],
            features,
            Some(training),
        )
        .unwrap(),
    )
    .unwrap()
}

fn noise(seed: u64, n: usize) -> Vec<f32> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| 0.2 * (i as f32 * 0.031).sin() + 0.05 * r.random_range(-1.0f32..1.0))
        .collect()
}

/// Pushes `signal` in chunks cut at `cuts` (fractions of its length) and checks each window
/// against the offline extractor on its samples.
fn check_stream(
    recognizer: &Recognizer,
    rate: u32,
    signal: &[f32],
    config: StreamConfig,
    cuts: &[f64],
) {
    let mut bounds: Vec<usize> = cuts
        .iter()
        .map(|c| (c * signal.len() as f64) as usize)
        .collect();
    bounds.extend([0, signal.len()]);
    bounds.sort_unstable();
    bounds.dedup();
    let mut stream = recognizer.stream(rate, config).unwrap();
    let mut windows = Vec::new();
    for pair in bounds.windows(2) {
        windows.extend(stream.push(&signal[pair[0]..pair[1]]).unwrap());
    }
    let (window, hop) = config.in_samples(rate);
    let expected = if signal.len() >= window {
        (signal.len() - window) / hop + 1
    } else {
        0
    };
    assert_eq!(windows.len(), expected);
    let analysis = recognizer.analysis_rate(rate).unwrap();
    let extractor = FeatureExtractor::new(recognizer.model().features.clone()).unwrap();
    for (i, w) in windows.iter().enumerate() {
        let samples = &signal[i * hop..i * hop + window];
        let offline = if analysis == rate {
            extractor.extract(samples, rate).unwrap()
        } else {
            extractor
                .extract(&resample(samples, rate, analysis).unwrap(), analysis)
                .unwrap()
        };
        // Bit-identical: the same samples through the same extractor (docs/PARITY.md's
        // tolerance is for librosa; against ourselves there is none).
        assert_eq!(w.features, offline, "window {i}");
        assert_eq!(w.start, (i * hop) as f64 / f64::from(rate));
        assert_eq!(w.end, (i * hop + window) as f64 / f64::from(rate));
        let p = recognizer.predict_features(&offline).unwrap();
        assert_eq!(w.prediction.as_ref(), Some(&p));
    }
    match stream.finish() {
        Ok(end) => assert_eq!(end.windows as usize, expected),
        Err(e) => {
            assert_eq!(expected, 0);
            assert!(e.to_string().contains("before its first"), "{e}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn streamed_windows_are_the_offline_features(
        seed in 0u64..1000,
        window in 0.2f64..1.2,
        hop in 0.05f64..1.5,
        seconds in 0.1f64..3.0,
        cuts in prop::collection::vec(0.0f64..1.0, 0..12),
        fixed_tuning in any::<bool>(),
    ) {
        let features = FeatureConfig {
            tuning: if fixed_tuning { Tuning::Fixed(0.1) } else { Tuning::Estimate },
            ..FeatureConfig::default()
        };
        let r = recognizer(features, &[16_000]);
        let signal = noise(seed, (seconds * 16_000.0) as usize);
        let config = StreamConfig { window, hop, gate: None };
        check_stream(&r, 16_000, &signal, config, &cuts);
    }
}

#[test]
fn a_stream_at_another_rate_is_resampled_window_by_window() {
    let r = recognizer(FeatureConfig::default(), &[16_000]);
    let signal = noise(9, 22_050 * 2);
    let config = StreamConfig {
        window: 1.0,
        hop: 0.5,
        gate: None,
    };
    check_stream(&r, 22_050, &signal, config, &[0.1, 0.33, 0.34, 0.9]);
}

#[test]
fn one_sample_at_a_time_and_everything_at_once_agree() {
    let r = recognizer(FeatureConfig::default(), &[16_000]);
    let signal = noise(4, 16_000 * 3 / 2);
    let config = StreamConfig {
        window: 0.5,
        hop: 0.25,
        gate: None,
    };
    let mut whole = r.stream(16_000, config).unwrap();
    let at_once = whole.push(&signal).unwrap();
    let mut single = r.stream(16_000, config).unwrap();
    let mut one_by_one = Vec::new();
    for s in &signal {
        one_by_one.extend(single.push(std::slice::from_ref(s)).unwrap());
    }
    assert_eq!(at_once, one_by_one);
    assert_eq!(at_once.len(), 5);
    assert_eq!(whole.finish().unwrap(), single.finish().unwrap());
}

#[test]
fn silence_is_reported_not_classified() {
    let r = recognizer(FeatureConfig::default(), &[16_000]);
    let mut signal = vec![0.0f32; 16_000 * 2];
    signal.extend(noise(5, 16_000 * 2));
    signal.extend(vec![1e-4f32; 16_000 * 2]);
    let config = StreamConfig {
        window: 1.0,
        hop: 1.0,
        gate: Some(Gate::default()),
    };
    let mut stream = r.stream(16_000, config).unwrap();
    let windows = stream.push(&signal).unwrap();
    let speech: Vec<bool> = windows.iter().map(|w| w.prediction.is_some()).collect();
    assert_eq!(speech, [false, false, true, true, false, false]);
    assert_eq!(windows[0].level_db, f32::NEG_INFINITY);
    assert!(windows[0].features.is_empty());
    assert!(
        (windows[4].level_db - -80.0).abs() < 0.1,
        "{}",
        windows[4].level_db
    );
}

#[test]
fn bad_input_is_a_clear_error() {
    let r = recognizer(FeatureConfig::default(), &[16_000]);
    let mut stream = r.stream(16_000, StreamConfig::default()).unwrap();
    let err = stream.push(&[]).unwrap_err();
    assert!(matches!(err, RecognizeError::Empty(_)), "{err}");
    stream.push(&[0.1; 1000]).unwrap();
    let mut chunk = vec![0.1f32; 100];
    chunk[40] = f32::INFINITY;
    let err = stream.push(&chunk).unwrap_err().to_string();
    assert!(
        err.contains("sample 1040") && err.contains("0.065 s"),
        "{err}"
    );
    // Nothing of the bad chunk was taken.
    assert_eq!(stream.duration(), 1000.0 / 16_000.0);
    let err = stream.finish().unwrap_err().to_string();
    assert!(err.contains("before its first 3 s window"), "{err}");

    for (window, hop, field) in [
        (3.0, 0.0, "hop"),
        (3.0, -1.0, "hop"),
        (0.0, 1.0, "window"),
        (f64::NAN, 1.0, "window"),
        (1e6, 1.0, "window"),
    ] {
        let config = StreamConfig {
            window,
            hop,
            gate: None,
        };
        let err = r.stream(16_000, config).unwrap_err();
        assert!(
            matches!(&err, RecognizeError::Config { field: f, .. } if *f == field),
            "{err}"
        );
    }
    let gate = Gate {
        threshold_db: 3.0,
        ..Gate::default()
    };
    let config = StreamConfig {
        gate: Some(gate),
        ..StreamConfig::default()
    };
    assert!(r.stream(16_000, config).is_err());
    assert!(r.stream(0, StreamConfig::default()).is_err());
    let unknown = recognizer(FeatureConfig::default(), &[]);
    let err = unknown.stream(16_000, StreamConfig::default()).unwrap_err();
    assert!(matches!(err, RecognizeError::SampleRate(_)), "{err}");
}

#[test]
fn a_long_file_gives_the_windows_its_samples_give() {
    let dir = tempfile::tempdir().unwrap();
    let r = recognizer(FeatureConfig::default(), &[16_000]);
    let signal = noise(6, 16_000 * 7 + 500);
    let path = dir.path().join("call.wav");
    std::fs::write(&path, encode_wav_pcm16(&signal, 16_000)).unwrap();
    let decoded = ser_features::decode_file(&path).unwrap().samples;
    let mut from_file = Vec::new();
    let end = r
        .timeline_file(&path, StreamConfig::default(), &mut |w| {
            from_file.push(w);
            Ok::<(), RecognizeError>(())
        })
        .unwrap();
    let mut stream = r.stream(16_000, StreamConfig::default()).unwrap();
    assert_eq!(from_file, stream.push(&decoded).unwrap());
    assert_eq!(end, stream.finish().unwrap());
    assert_eq!(end.windows, 5);
    assert_eq!(end.partial, Some((5.0, 7.03125)));

    // Shorter than a window: said so, naming the file.
    std::fs::write(&path, encode_wav_pcm16(&signal[..8000], 16_000)).unwrap();
    let err = r
        .timeline_file(&path, StreamConfig::default(), &mut |_| {
            Ok::<(), RecognizeError>(())
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("call.wav") && err.contains("0.50 s"), "{err}");
}
