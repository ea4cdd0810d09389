//! ser-adaptive: speech emotion recognition small enough for edge devices.
//!
//! Audio in, emotion out, through a model squeezed to 1-3 bits per weight by layer-wise
//! adaptive quantization. This facade re-exports the workspace's crates as modules, and
//! `ndarray` so you get the matching version:
//!
//! | module | crate | holds |
//! |---|---|---|
//! | [`features`] | `ser-features` | decoding, librosa-exact MFCC / chroma / mel, pooling |
//! | [`data`] | `ser-data` | corpora and their file names, the demo corpus, datasets, CSV tables, splits, the feature cache |
//! | [`mlp`] | `ser-mlp` | the baseline MLP, training, metrics (numbers in, classes out) |
//! | [`quant`] | `ser-quant` | quantizers (max-abs or least-squared-error scales), bit packings, packed inference and the model file container (`no_std`) |
//! | [`model`] | `ser-model` | the model bundle (features, standardisation, f32 or packed network, classes), its one file format, training and cross-validation |
//! | [`importance`] | `ser-importance` | layer importance (the poster's Np/Nv score, entropy term), a Hessian-trace estimate, measured sensitivity, ranking |
//! | [`search`] | `ser-search` | the adaptive bit-width search (optionally cross-validated), fine-tuning, Pareto front, whole runs, `results.json` and reports |
//!
//! | cargo feature | default | what it adds |
//! |---|---|---|
//! | `parallel` | on | parallel feature extraction over many files and runs over many seeds (rayon) |
//!
//! The [`prelude`] holds the common path, and [`Error`] takes any of the crates' errors, so `?`
//! works across them. Audio in, emotion out, with a model trained on the built-in demo corpus:
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
//! // One utterance through the model: f32, then packed at 2 bits.
//! let utterance = &ser_adaptive::data::demo::DemoCorpus::new(demo).utterances()[0];
//! let features = extractor.extract(&utterance.samples, utterance.sample_rate)?;
//! let row = ndarray::Array2::from_shape_vec((1, features.len()), features)?;
//! let two = Precision::Bits(BitWidth::new(2)?);
//! let packed = model.quantize(&[two; 2], QuantOptions::default())?;
//! let (f32_class, class) = (model.predict(row.view())?[0], packed.predict(row.view())?[0]);
//! println!("{} (f32 says {})", packed.classes[class], model.classes[f32_class]);
//! # Ok::<(), ser_adaptive::Error>(())
//! ```

pub use ndarray;
pub use ser_data as data;
pub use ser_features as features;
pub use ser_importance as importance;
pub use ser_mlp as mlp;
pub use ser_model as model;
pub use ser_quant as quant;
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
    /// Quantization, packing, packed model files.
    #[error(transparent)]
    Quant(#[from] quant::QuantError),
    /// Layer importance.
    #[error(transparent)]
    Importance(#[from] importance::ImportanceError),
    /// The search, fine-tuning, whole runs.
    #[error(transparent)]
    Search(#[from] search::SearchError),
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
/// Features ([`FeatureConfig`](features::FeatureConfig),
/// [`FeatureExtractor`](features::FeatureExtractor)), data ([`Source`](data::Source),
/// [`extract`](data::extract), [`Dataset`](data::Dataset), [`SplitSpec`](data::SplitSpec)),
/// training and models ([`TrainConfig`](mlp::TrainConfig), [`train_model`](model::train_model),
/// [`cross_validate`](model::cross_validate), [`Model`](model::Model),
/// [`Preset`](model::Preset)), quantization ([`BitWidth`](quant::BitWidth),
/// [`Precision`](quant::Precision), [`QuantOptions`](quant::QuantOptions)), the search and
/// whole runs ([`SearchConfig`](search::SearchConfig),
/// [`adaptive_search`](search::adaptive_search), [`RunConfig`](search::RunConfig),
/// [`run_seed`](search::run_seed)), and [`Error`].
pub mod prelude {
    pub use crate::data::{Dataset, Source, SplitSpec, extract};
    pub use crate::features::{FeatureConfig, FeatureExtractor};
    pub use crate::importance::{ImportanceConfig, Order};
    pub use crate::mlp::{Labelled, TrainConfig};
    pub use crate::model::{Model, Network, Preset, cross_validate, train_model};
    pub use crate::ndarray;
    pub use crate::quant::{BitWidth, Granularity, Precision, QuantOptions, Scaling};
    pub use crate::search::{
        FinetuneConfig, RunConfig, SearchConfig, adaptive_search, finetune_quantized, run_seed,
    };
    pub use crate::{Error, Result};
}

/// The Rust snippets of `docs/GETTING_STARTED.md`, compiled and run as doctests so the guide
/// cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/GETTING_STARTED.md")]
pub struct GettingStartedGuide;
