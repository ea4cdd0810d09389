//! ser-adaptive: speech emotion recognition small enough for edge devices.
//!
//! Audio in, emotion out: a file to an emotion in three lines, with any model file (f32, or
//! packed at 1-8 bits per weight):
//!
//! ```
//! use ser_adaptive::prelude::*;
//! # let dir = tempfile::tempdir()?;
//! # let (model_path, wav) = (dir.path().join("model.sermodel"), dir.path().join("speech.wav"));
//! # let demo = ser_adaptive::data::demo::DemoConfig { speakers: 2, utterances_per_emotion: 2, ..Default::default() };
//! # let extractor = FeatureExtractor::new(FeatureConfig::default())?;
//! # let data = extract(Source::demo(demo.clone()), &extractor, None, &|| {}).into_dataset()?;
//! # let config = TrainConfig { hidden: vec![32], max_epochs: 20, ..TrainConfig::default() };
//! # let all: Vec<usize> = (0..data.len()).collect();
//! # train_model(&data, &all, &config, extractor.config(), &mut |_| {})?.model.save(&model_path)?;
//! # let utterance = &ser_adaptive::data::demo::DemoCorpus::new(demo).utterances()[0];
//! # std::fs::write(&wav, ser_adaptive::features::encode_wav_pcm16(&utterance.samples, utterance.sample_rate))?;
//! let recognizer = Recognizer::load(&model_path)?;
//! let prediction = recognizer.recognize_file(&wav)?;
//! println!("{} ({:.0} %)", prediction.emotion, 100.0 * prediction.probability);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The [`Recognizer`](recognize::Recognizer) carries the feature configuration its model was
//! trained on and the rates of its training audio (audio at another rate is resampled), takes
//! signals, batches of files, live streams ([`Recognizer::stream`](recognize::Recognizer::stream))
//! and recordings of any length ([`Recognizer::timeline_file`](recognize::Recognizer::timeline_file)).
//!
//! This facade re-exports the workspace's crates as modules, and `ndarray` so you get the
//! matching version:
//!
//! | module | crate | holds |
//! |---|---|---|
//! | [`recognize`] | `ser-recognize` | the `Recognizer`: files, signals, batches, streams and long recordings to emotions; the voice-activity gate |
//! | [`features`] | `ser-features` | decoding (whole or a packet at a time), librosa-exact MFCC / chroma / mel, pooling |
//! | [`data`] | `ser-data` | corpora and their file names, the demo corpus, datasets, CSV tables, splits, the feature cache |
//! | [`mlp`] | `ser-mlp` | the baseline MLP, training, metrics (numbers in, classes out) |
//! | [`quant`] | `ser-quant` | quantizers (max-abs or least-squared-error scales), bit packings, packed inference and the model file container (`no_std`) |
//! | [`model`] | `ser-model` | the model bundle (features, standardisation, f32 or packed network, classes), its one file format, training and cross-validation |
//! | [`importance`] | `ser-importance` | layer importance (the poster's Np/Nv score, entropy term), a Hessian-trace estimate, measured sensitivity, ranking |
//! | [`search`] | `ser-search` | the adaptive bit-width search (optionally cross-validated), the size budget over every mix, fine-tuning, Pareto fronts |
//! | [`experiment`] | `ser-experiment` | the method over seeds on a corpus (`Experiment`), `results.json`, the markdown report and its plots |
//!
//! | cargo feature | default | what it adds |
//! |---|---|---|
//! | `parallel` | on | parallel feature extraction and recognition over many files, and runs over many seeds (rayon) |
//! | `plot` | on | SVG plots (plotters): `recognize::timeline_svg`, a recording's class probabilities over time, and the report's figures (`experiment::svg`, `experiment::front_svg`) |
//!
//! The [`prelude`] holds the common path, and [`Error`] takes any of the crates' errors, so `?`
//! works across them. Training a model and quantizing it, on the built-in demo corpus:
//!
//! ```
//! use ser_adaptive::prelude::*;
//! use ser_adaptive::data::demo::DemoConfig;
//!
//! // A small labelled corpus, its features, and a model trained on them.
//! let extractor = FeatureExtractor::new(FeatureConfig::default())?;
//! let demo = DemoConfig { speakers: 2, utterances_per_emotion: 2, ..DemoConfig::default() };
//! let data = extract(Source::demo(demo.clone()), &extractor, None, &|| {}).into_dataset()?;
//! let config = TrainConfig { hidden: vec![32], max_epochs: 20, ..TrainConfig::default() };
//! let all: Vec<usize> = (0..data.len()).collect();
//! let model = train_model(&data, &all, &config, extractor.config(), &mut |_| {})?.model;
//!
//! // Packed at 2 bits, through a recognizer: one utterance of the corpus.
//! let two = Precision::Bits(BitWidth::new(2)?);
//! let packed = Recognizer::new(model.quantize(&[two; 2])?)?;
//! let utterance = &ser_adaptive::data::demo::DemoCorpus::new(demo).utterances()[0];
//! let prediction = packed.recognize(&utterance.samples, utterance.sample_rate)?;
//! println!("{} (said: {})", prediction.emotion, utterance.label);
//! # Ok::<(), ser_adaptive::Error>(())
//! ```

pub use ndarray;
pub use ser_data as data;
pub use ser_experiment as experiment;
pub use ser_features as features;
pub use ser_importance as importance;
pub use ser_mlp as mlp;
pub use ser_model as model;
pub use ser_quant as quant;
pub use ser_recognize as recognize;
pub use ser_search as search;

use std::path::{Path, PathBuf};

/// Any error of the workspace's crates, so that `?` works across them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file of the user's could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// Decoding or feature extraction.
    #[error(transparent)]
    Features(#[from] features::FeatureError),
    /// Corpora, tables, splits, the feature cache.
    #[error(transparent)]
    Data(#[from] data::DataError),
    /// The network, training, metrics.
    #[error(transparent)]
    Mlp(#[from] mlp::MlpError),
    /// Models: training, evaluation, quantization, model files.
    #[error(transparent)]
    Model(#[from] model::ModelError),
    /// Recognition: rates, streams, windows.
    #[error(transparent)]
    Recognize(#[from] recognize::RecognizeError),
    /// Quantization, packing, packed model files.
    #[error(transparent)]
    Quant(#[from] quant::QuantError),
    /// Layer importance.
    #[error(transparent)]
    Importance(#[from] importance::ImportanceError),
    /// The search, the budget, fine-tuning.
    #[error(transparent)]
    Search(#[from] search::SearchError),
    /// Runs over seeds, results files, reports.
    #[error(transparent)]
    Experiment(#[from] experiment::ExperimentError),
    /// A name that is none of an option's (`"minmax".parse::<Scaling>()`).
    #[error(transparent)]
    UnknownName(#[from] quant::UnknownName),
    /// An array built with the wrong shape.
    #[error(transparent)]
    Shape(#[from] ndarray::ShapeError),
}

impl Error {
    /// An [`Error::Io`] naming `path`, for `std::fs` calls:
    ///
    /// ```
    /// use ser_adaptive::Error;
    ///
    /// let path = std::path::Path::new("no/such/file.wav");
    /// let err = std::fs::read(path).map_err(|e| Error::io(path, e)).unwrap_err();
    /// assert!(err.to_string().starts_with("no/such/file.wav: "));
    /// ```
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The common path in one import: `use ser_adaptive::prelude::*;`.
///
/// Recognition ([`Recognizer`](recognize::Recognizer), [`Prediction`](recognize::Prediction),
/// [`StreamConfig`](recognize::StreamConfig)), features ([`FeatureConfig`](features::FeatureConfig),
/// [`FeatureExtractor`](features::FeatureExtractor)), data ([`Source`](data::Source),
/// [`extract`](data::extract), [`Dataset`](data::Dataset), [`SplitSpec`](data::SplitSpec)),
/// training and models ([`TrainConfig`](mlp::TrainConfig), [`train_model`](model::train_model),
/// [`cross_validate`](model::cross_validate), [`Model`](model::Model),
/// [`Preset`](model::Preset)), quantization ([`BitWidth`](quant::BitWidth),
/// [`Precision`](quant::Precision), [`QuantOptions`](quant::QuantOptions)), the search and
/// whole runs ([`SearchConfig`](search::SearchConfig),
/// [`adaptive_search`](search::adaptive_search)), whole runs
/// ([`Experiment`](experiment::Experiment), [`RunConfig`](experiment::RunConfig),
/// [`run_seed`](experiment::run_seed)), and [`Error`].
pub mod prelude {
    pub use crate::data::{Dataset, Source, SplitSpec, extract};
    pub use crate::experiment::{Experiment, RunConfig, run_seed};
    pub use crate::features::{FeatureConfig, FeatureExtractor};
    pub use crate::importance::{ImportanceConfig, Order};
    pub use crate::mlp::{Labelled, TrainConfig};
    pub use crate::model::{Model, Network, Preset, cross_validate, train_model};
    pub use crate::ndarray;
    pub use crate::quant::{BitWidth, Granularity, Precision, QuantOptions, Scaling};
    pub use crate::recognize::{Prediction, Recognizer, StreamConfig};
    pub use crate::search::{FinetuneConfig, SearchConfig, adaptive_search, finetune_quantized};
    pub use crate::{Error, Result};
}

/// The Rust snippets of `docs/GETTING_STARTED.md`, compiled and run as doctests so the guide
/// cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/GETTING_STARTED.md")]
pub struct GettingStartedGuide;
