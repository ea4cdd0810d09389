//! A trained speech emotion classifier as one bundle, and its one file format.
//!
//! A [`Model`] holds what turns feature vectors into emotions: the feature configuration its
//! inputs are computed with, the standardisation of its training split, the network
//! ([`Network::F32`], or [`Network::Packed`] layers run from their codes at 1..=8 bits, any
//! mix) and the class names. Both kinds answer the same calls ([`Model::predict`],
//! [`Model::predict_proba`], [`Model::evaluate`]) and are kept in the same checksummed file
//! ([`Model::save`], [`Model::load`], `docs/MODEL_FORMAT.md`), which ser-quant reads without
//! `std` on a microcontroller.
//!
//! [`train_model`] trains one on labelled rows, [`cross_validate`] fold by fold over a
//! [`ser_data::SplitSpec`], with the architectures of METHOD.md as [`Preset`]s;
//! [`Model::quantize`] packs it at any per-layer widths and [`Model::fixed_sweep`] evaluates
//! every fixed width.
//!
//! ```
//! use ser_data::{Source, SplitSpec, demo::DemoConfig, extract};
//! use ser_features::FeatureExtractor;
//! use ser_mlp::TrainConfig;
//! use ser_model::{Model, Preset, cross_validate};
//! use ser_quant::{BitWidth, Precision};
//!
//! let features = Preset::Poster.features();
//! let extractor = FeatureExtractor::new(features.clone())?;
//! let demo = DemoConfig { speakers: 3, utterances_per_emotion: 2, ..DemoConfig::default() };
//! let data = extract(Source::demo(demo), &extractor, None, &|| {}).into_dataset()?;
//! let config = TrainConfig { hidden: vec![32], max_epochs: 10, ..TrainConfig::default() };
//! // Leave one speaker out: three folds, then a model trained on every row.
//! let cv = cross_validate(&data, &SplitSpec::Loso, &config, &features, &mut |_, _| {})?;
//! assert_eq!(cv.folds.len(), 3);
//!
//! // Packed at 2 bits, through its file and back.
//! let two = Precision::Bits(BitWidth::new(2)?);
//! let packed = cv.model.model.quantize(&[two, two])?;
//! let back = Model::from_bytes(&packed.to_bytes()?, "two-bit")?;
//! assert_eq!(back.predict(data.x.view())?, packed.predict(data.x.view())?);
//! # Ok::<(), ser_model::ModelError>(())
//! ```

mod error;
mod evaluate;
mod file;
mod model;
mod split_file;
mod train;

pub use error::{ModelError, Result};
pub use evaluate::{Evaluated, Evaluation};
pub use model::{Model, Network, TrainingInfo};
pub use ser_quant::{FileSize, MODEL_FORMAT_VERSION, MODEL_MAGIC};
pub use split_file::{SplitFile, SplitFold};
pub use train::{
    CrossValidation, Fold, FoldRows, FoldStat, FoldSummary, Preset, Trained, VALIDATION_FRACTION,
    cross_validate, train_fold, train_model,
};

#[cfg(test)]
mod tests;
