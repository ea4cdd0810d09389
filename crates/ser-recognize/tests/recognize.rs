//! The recognizer on files, signals and batches: rates, errors, and what it returns.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ser_features::{FeatureConfig, FeatureExtractor, encode_wav_pcm16, resample};
use ser_mlp::{Mlp, Standardizer};
use ser_model::{Model, Network, TrainingInfo};
use ser_recognize::{Prediction, RecognizeError, Recognizer};

/// A model of random weights over the default features, its training audio at `rates`.
fn model(rates: &[u32]) -> Model {
    let x = Array2::from_shape_fn((6, 180), |(i, j)| ((i * 7 + j * 3) % 11) as f32 * 0.1);
    let training = TrainingInfo {
        seed: 1,
        epochs: 1,
        best_epoch: 1,
        train_rows: 6,
        sample_rates: rates.to_vec(),
    };
    Model::new(
        Network::F32(Mlp::new(180, &[16], 3, 0.0, 7).unwrap()),
        Standardizer::fit(x.view()).unwrap(),
        vec!["anger".into(), "neutral".into(), "sadness".into()],
        FeatureConfig::default(),
        Some(training),
    )
    .unwrap()
}

fn speechlike(seed: u64, seconds: f64, rate: u32) -> Vec<f32> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let n = (seconds * f64::from(rate)) as usize;
    let f0 = r.random_range(100.0f32..250.0);
    (0..n)
        .map(|i| {
            let t = i as f32 / rate as f32;
            let envelope = 0.5 + 0.5 * (t * 3.0).sin();
            envelope
                * (0.2 * (t * f0 * std::f32::consts::TAU).sin()
                    + 0.1 * (t * 2.0 * f0 * std::f32::consts::TAU).sin())
                + 0.01 * r.random_range(-1.0f32..1.0)
        })
        .collect()
}

fn write_wav(path: &Path, samples: &[f32], rate: u32) {
    std::fs::write(path, encode_wav_pcm16(samples, rate)).unwrap();
}

#[test]
fn the_recognizer_is_send_and_sync() {
    fn both<T: Send + Sync>() {}
    both::<Recognizer>();
    both::<Prediction>();
    both::<ser_recognize::StreamRecognizer<'static>>();
}

#[test]
fn a_file_a_signal_and_a_batch_give_the_same_prediction() {
    let dir = tempfile::tempdir().unwrap();
    let recognizer = Recognizer::new(model(&[16_000])).unwrap();
    let signal = speechlike(1, 2.0, 16_000);
    let wav = dir.path().join("a.wav");
    write_wav(&wav, &signal, 16_000);
    let from_file = recognizer.recognize_file(&wav).unwrap();
    let decoded = ser_features::decode_file(&wav).unwrap();
    assert_eq!(
        recognizer.recognize(&decoded.samples, 16_000).unwrap(),
        from_file
    );
    // The prediction is the model's, through the extractor the model's configuration makes.
    let features = FeatureExtractor::new(FeatureConfig::default())
        .unwrap()
        .extract(&decoded.samples, 16_000)
        .unwrap();
    let row = Array2::from_shape_vec((1, 180), features).unwrap();
    let p = recognizer.model().predict_proba(row.view()).unwrap();
    let probabilities: Vec<f32> = from_file.probabilities.iter().map(|(_, p)| *p).collect();
    assert_eq!(probabilities, p.row(0).to_vec());
    let names: Vec<&str> = from_file
        .probabilities
        .iter()
        .map(|(c, _)| c.as_str())
        .collect();
    assert_eq!(names, ["anger", "neutral", "sadness"]);
    assert_eq!(from_file.emotion, names[from_file.index]);
    assert_eq!(from_file.probability, probabilities[from_file.index]);
    assert!(probabilities.iter().all(|&q| q <= from_file.probability));

    // A batch keeps the order, and a bad file fails alone, named.
    let missing = dir.path().join("missing.wav");
    let batch = recognizer.recognize_files(&[wav.clone(), missing, wav]);
    assert_eq!(batch[0].as_ref().unwrap(), &from_file);
    assert!(
        batch[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("missing.wav")
    );
    assert_eq!(batch[2].as_ref().unwrap(), &from_file);
}

#[test]
fn audio_at_another_rate_is_resampled_to_the_models() {
    let recognizer = Recognizer::new(model(&[16_000])).unwrap();
    assert_eq!(recognizer.sample_rates(), [16_000]);
    assert_eq!(recognizer.analysis_rate(48_000).unwrap(), 16_000);
    let at_48k = speechlike(2, 1.5, 48_000);
    let resampled = resample(&at_48k, 48_000, 16_000).unwrap();
    assert_eq!(
        recognizer.recognize(&at_48k, 48_000).unwrap(),
        recognizer.recognize(&resampled, 16_000).unwrap()
    );
    // Not classified at the native rate: the features differ.
    assert_ne!(
        recognizer.features(&at_48k, 48_000).unwrap(),
        FeatureExtractor::new(FeatureConfig::default())
            .unwrap()
            .extract(&at_48k, 48_000)
            .unwrap()
    );
}

#[test]
fn a_model_that_does_not_record_its_rate_refuses_until_told() {
    let recognizer = Recognizer::new(model(&[])).unwrap();
    let signal = speechlike(3, 1.0, 16_000);
    let err = recognizer.recognize(&signal, 16_000).unwrap_err();
    assert!(matches!(err, RecognizeError::SampleRate(_)));
    assert!(err.to_string().contains("with_sample_rate"), "{err}");
    let told = recognizer.with_sample_rate(16_000).unwrap();
    assert!(told.recognize(&signal, 16_000).is_ok());
    // A model that records its rates keeps them.
    let err = Recognizer::new(model(&[16_000]))
        .unwrap()
        .with_sample_rate(44_100)
        .unwrap_err();
    assert!(err.to_string().contains("16000 Hz, not 44100 Hz"), "{err}");
    assert!(
        Recognizer::new(model(&[]))
            .unwrap()
            .with_sample_rate(0)
            .is_err()
    );
}

#[test]
fn a_configuration_that_resamples_takes_any_rate() {
    let mut m = model(&[]);
    m.features.sample_rate = Some(16_000);
    let recognizer = Recognizer::new(m).unwrap();
    assert_eq!(recognizer.sample_rates(), [16_000]);
    let at_22k = speechlike(4, 1.0, 22_050);
    let extractor = FeatureExtractor::new(recognizer.model().features.clone()).unwrap();
    assert_eq!(
        recognizer.features(&at_22k, 22_050).unwrap(),
        extractor.extract(&at_22k, 22_050).unwrap()
    );
}

#[test]
fn bad_input_is_a_clear_error() {
    let recognizer = Recognizer::new(model(&[16_000])).unwrap();
    let err = Recognizer::from_bytes(&encode_wav_pcm16(&[0.0; 100], 16_000)).unwrap_err();
    assert!(err.to_string().contains("not a ser model file"), "{err}");
    assert!(Recognizer::from_bytes(&[]).is_err());
    let err = recognizer.recognize(&[], 16_000).unwrap_err();
    assert!(err.to_string().contains("no samples"), "{err}");
    let err = recognizer.recognize(&[0.1, f32::NAN], 16_000).unwrap_err();
    assert!(err.to_string().contains("sample 1"), "{err}");
    assert!(recognizer.recognize(&[0.1; 100], 0).is_err());
    let err = recognizer.predict_features(&[0.0; 3]).unwrap_err();
    assert!(err.to_string().contains("3 features given"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.wav");
    let wav = encode_wav_pcm16(&speechlike(5, 1.0, 16_000), 16_000);
    std::fs::write(&cut, &wav[..wav.len() / 2]).unwrap();
    let err = recognizer.recognize_file(&cut).unwrap_err().to_string();
    assert!(
        err.contains("cut.wav") && err.contains("truncated"),
        "{err}"
    );
}
