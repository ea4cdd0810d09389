//! Data for speech emotion recognition: which files, with which labels and speakers, and the
//! labelled feature rows made of them.
//!
//! - [`corpus`]: labels and speakers from the file names of EMODB, TESS, SAVEE, RAVDESS and
//!   CREMA-D, a folder-per-label layout, or a CSV manifest; [`demo`]: a built-in synthetic
//!   corpus, so everything runs with no download.
//! - [`extract`]: a list of [`Source`]s to feature rows, through a [`FeatureCache`] when given,
//!   over all cores with the `parallel` feature; [`Extraction::into_dataset`] gives the
//!   [`Dataset`].
//! - [`Dataset`]: feature rows with labels, speakers and paths; [`csv`] reads and writes them
//!   as the features tables `ser features` writes, and [`read_table`] checks a table against
//!   the feature configuration kept beside it ([`write_sidecar`]).
//! - [`SplitSpec`] (`random`, `kfold:K`, `speakers:FRACTION`, `loso`) and the splits behind it
//!   ([`stratified_split`], [`stratified_kfold`], [`speaker_split`],
//!   [`leave_one_speaker_out`]), each seeded and reproducible.
//! - [`write_atomically`]: every file the workspace writes is whole or absent.
//!
//! ```
//! use ser_data::{SplitSpec, Source, demo::DemoConfig, extract};
//! use ser_features::{FeatureConfig, FeatureExtractor};
//!
//! let extractor = FeatureExtractor::new(FeatureConfig::default())?;
//! let sources = Source::demo(DemoConfig { speakers: 3, utterances_per_emotion: 1, ..DemoConfig::default() });
//! let data = extract(sources, &extractor, None, &|| {}).into_dataset()?;
//! // Leave one speaker out: seed 1 holds out the second of the three speakers.
//! let split = SplitSpec::Loso.for_seed(&data, 1)?;
//! assert_eq!((split.train.len(), split.test.len()), (14, 7));
//! # Ok::<(), ser_data::DataError>(())
//! ```
//!
//! | cargo feature | default | what it adds |
//! |---|---|---|
//! | `parallel` | on | [`extract`] runs over all cores (rayon) |

mod cache;
pub mod corpus;
pub mod csv;
mod dataset;
pub mod demo;
mod error;
mod extract;
mod manifest;
mod names;
mod npy;
#[cfg(feature = "parquet")]
pub mod parquet;
mod rng;
mod sidecar;
mod split;
mod write;

pub use cache::FeatureCache;
pub use dataset::{Dataset, KnownRows};
pub use error::{DataError, Result};
pub use extract::{Extracted, Extraction, Source, extract};
pub use npy::{npy_companions, write_npy};
pub use sidecar::{FeatureTable, Sidecar, read_sidecar, read_table, sidecar_path, write_sidecar};
pub use split::{
    RANDOM_TEST_FRACTION, Split, SplitSpec, leave_one_speaker_out, speaker_split, stratified_kfold,
    stratified_split,
};
pub use write::write_atomically;
