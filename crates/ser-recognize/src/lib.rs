//! ser-recognize: emotion recognition to embed, from audio to emotion.
//!
//! A [`Recognizer`] is a model with everything its features need: load any model file, give it
//! a file, a signal, a batch of files or a live stream, and get a [`Prediction`] (the emotion,
//! its probability, every class's probability). A file to an emotion in three lines:
//!
//! ```
//! # let dir = tempfile::tempdir()?;
//! # let (model_path, wav) = (dir.path().join("model.sermodel"), dir.path().join("speech.wav"));
//! # let x = ndarray::Array2::from_shape_fn((4, 180), |(i, j)| ((i * 7 + j) % 5) as f32);
//! # let training = ser_model::TrainingInfo { seed: 0, epochs: 0, best_epoch: 0, train_rows: 4, sample_rates: vec![16_000] };
//! # ser_model::Model::new(ser_model::Network::F32(ser_mlp::Mlp::new(180, &[8], 2, 0.0, 1)?), ser_mlp::Standardizer::fit(x.view())?, vec!["calm".into(), "anger".into()], ser_features::FeatureConfig::default(), Some(training))?.save(&model_path)?;
//! # let tone: Vec<f32> = (0..16_000).map(|i| (i as f32 * 0.07).sin() * 0.3).collect();
//! # std::fs::write(&wav, ser_features::encode_wav_pcm16(&tone, 16_000))?;
//! let recognizer = ser_recognize::Recognizer::load(&model_path)?;
//! let prediction = recognizer.recognize_file(&wav)?;
//! println!("{} ({:.0} %)", prediction.emotion, 100.0 * prediction.probability);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Streams ([`Recognizer::stream`], [`StreamRecognizer`]) take chunks of any size and give a
//! [`WindowPrediction`] per analysis window (3 s every 1 s by default, [`StreamConfig`]),
//! with windows without speech reported as silence by the energy [`Gate`]; long recordings go
//! through the same path, decoded a piece at a time ([`Recognizer::timeline_file`]).
//!
//! | cargo feature | default | what it adds |
//! |---|---|---|
//! | `parallel` | on | [`Recognizer::recognize_files`] runs over all cores (rayon) |
//! | `plot` | on | `timeline_svg`: a timeline's class probabilities over time as an SVG (plotters) |

mod error;
mod gate;
#[cfg(feature = "plot")]
mod plot;
mod prediction;
mod recognizer;
mod stream;
mod timeline;

pub use error::{RecognizeError, Result};
pub use gate::Gate;
#[cfg(feature = "plot")]
pub use plot::timeline_svg;
pub use prediction::Prediction;
pub use recognizer::Recognizer;
pub use stream::{
    MAX_WINDOW_SAMPLES, MAX_WINDOW_SECONDS, StreamConfig, StreamEnd, StreamRecognizer,
    WindowPrediction,
};
