//! ser-adaptive: speech emotion recognition small enough for edge devices.
//!
//! Audio in, emotion out, through a model squeezed to 1-3 bits per weight by layer-wise
//! adaptive quantization. This facade re-exports the workspace's crates as modules, and
//! `ndarray` so you get the matching version:
//!
//! | module | crate | holds |
//! |---|---|---|
//! | [`features`] | `ser-features` | decoding, librosa-exact MFCC / chroma / mel, corpora |
//! | [`mlp`] | `ser-mlp` | the baseline MLP, training, evaluation, model files |
//! | [`quant`] | `ser-quant` | quantizers (max-abs or least-squared-error scales), bit packings, packed inference and packed model files (`no_std`) |
//! | [`importance`] | `ser-importance` | layer importance (the poster's Np/Nv score, entropy term), a Hessian-trace estimate, measured sensitivity, ranking |
//! | [`search`] | `ser-search` | the adaptive bit-width search (optionally cross-validated), fixed-width sweep, fine-tuning, Pareto front, whole runs and their reports |
//!
//! | cargo feature | default | what it adds |
//! |---|---|---|
//! | `parallel` | on | parallel feature extraction over many files (rayon) |
//!
//! ```
//! use ser_adaptive::features::{FeatureConfig, FeatureExtractor};
//!
//! let extractor = FeatureExtractor::new(FeatureConfig::default())?;
//! let silence = vec![0.0f32; 8_000];
//! let vector = extractor.extract(&silence, 16_000)?;
//! assert_eq!(vector.len(), 180);
//! # Ok::<(), ser_adaptive::features::FeatureError>(())
//! ```

//!
//! The [`prelude`] holds the common path, and [`Error`] takes any of the crates' errors, so `?`
//! works across them. Audio file in, emotion out, with a model trained on the built-in demo
//! corpus:
//!
//! ```
//! use ser_adaptive::prelude::*;
//! use ser_adaptive::features::corpus::demo::{DemoConfig, DemoCorpus};
//!
//! // A small labelled corpus, its features, and a model trained on them.
//! let corpus = DemoCorpus::new(DemoConfig { speakers: 2, utterances_per_emotion: 2, ..Default::default() });
//! let extractor = FeatureExtractor::new(FeatureConfig::default())?;
//! let utterances = corpus.utterances();
//! let mut rows = Vec::new();
//! for u in &utterances {
//!     rows.extend(extractor.extract(&u.samples, u.sample_rate)?);
//! }
//! let x = ndarray::Array2::from_shape_vec((utterances.len(), extractor.dim()), rows)?;
//! let labels: Vec<String> = utterances.iter().map(|u| u.label.clone()).collect();
//! let data = Dataset::from_rows(x, &labels, vec![None; labels.len()], vec![String::new(); labels.len()], extractor.feature_names())?;
//! let config = TrainConfig { hidden: vec![32], max_epochs: 20, ..TrainConfig::default() };
//! let all: Vec<usize> = (0..data.len()).collect();
//! let model = train_model(&data, &all, &config, extractor.config(), &mut |_| {})?.model;
//!
//! // One utterance through the model: f32, then packed at 2 bits.
//! let features = extractor.extract(&utterances[0].samples, utterances[0].sample_rate)?;
//! let f32_class = model.predict(ndarray::Array2::from_shape_vec((1, features.len()), features.clone())?.view())?[0];
//! let two = Precision::Bits(BitWidth::new(2)?);
//! let packed = model.quantize(&[two; 2], QuantOptions::default())?;
//! let class = packed.predict(&features, &mut Scratch::default())?;
//! assert!(class < 7 && f32_class < 7);
//! println!("{} (f32 says {})", packed.classes[class], model.classes[f32_class]);
//! # Ok::<(), ser_adaptive::Error>(())
//! ```

pub use ndarray;
pub use ser_features as features;
pub use ser_importance as importance;
pub use ser_mlp as mlp;
pub use ser_quant as quant;
pub use ser_search as search;

/// Any error of the workspace's crates, so that `?` works across them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Decoding or feature extraction.
    #[error(transparent)]
    Features(#[from] features::FeatureError),
    /// Data, training, evaluation, model files.
    #[error(transparent)]
    Mlp(#[from] mlp::MlpError),
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

/// A `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The common path in one import: `use ser_adaptive::prelude::*;`.
///
/// Features ([`FeatureConfig`](features::FeatureConfig),
/// [`FeatureExtractor`](features::FeatureExtractor)), data and training
/// ([`Dataset`](mlp::Dataset), [`TrainConfig`](mlp::TrainConfig),
/// [`train_model`](mlp::train_model), [`Model`](mlp::Model)), quantization
/// ([`BitWidth`](quant::BitWidth), [`Precision`](quant::Precision),
/// [`QuantOptions`](quant::QuantOptions), [`PackedModel`](quant::PackedModel),
/// [`Scratch`](quant::Scratch)), the search and whole runs
/// ([`SearchConfig`](search::SearchConfig), [`adaptive_search`](search::adaptive_search),
/// [`RunConfig`](search::RunConfig), [`run_seed`](search::run_seed)), and [`Error`].
pub mod prelude {
    pub use crate::features::{FeatureConfig, FeatureExtractor};
    pub use crate::importance::{ImportanceConfig, Order};
    pub use crate::mlp::{Dataset, Labelled, Model, TrainConfig, train_model};
    pub use crate::ndarray;
    pub use crate::quant::{
        BitWidth, Granularity, PackedModel, Precision, QuantOptions, Scaling, Scratch,
    };
    pub use crate::search::{
        FinetuneConfig, RunConfig, SearchConfig, SplitKind, adaptive_search, finetune_quantized,
        run_seed,
    };
    pub use crate::{Error, Result};
}

/// The Rust snippets of `docs/GETTING_STARTED.md`, compiled and run as doctests so the guide
/// cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/GETTING_STARTED.md")]
pub struct GettingStartedGuide;
