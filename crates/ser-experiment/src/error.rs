//! The error type of ser-experiment.

use std::path::PathBuf;

/// What can go wrong running the method as an experiment.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExperimentError {
    /// A setting outside its range, or settings that do not go together.
    #[error("invalid run setting: {0}")]
    Config(String),
    /// None of the sources gave features.
    #[error("no file could be read ({failed} failed)")]
    NothingRead {
        /// How many sources failed.
        failed: usize,
    },
    /// The extracted rows did not make a dataset (labels, speakers, classes).
    #[error("{0}")]
    Dataset(#[source] ser_data::DataError),
    /// The search, the budget or fine-tuning.
    #[error(transparent)]
    Search(#[from] ser_search::SearchError),
    /// Training, quantizing or evaluating a model.
    #[error(transparent)]
    Model(#[from] ser_model::ModelError),
    /// Splitting the data, or the dataset's rows.
    #[error(transparent)]
    Data(#[from] ser_data::DataError),
    /// Running a network (shapes, labels, values).
    #[error(transparent)]
    Mlp(#[from] ser_mlp::MlpError),
    /// Quantizing layers.
    #[error(transparent)]
    Quant(#[from] ser_quant::QuantError),
    /// A results file that is not one this crate reads.
    #[error("{}: not a results.json this version reads: {reason}", path.display())]
    Schema {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Reading or writing a report file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}

/// A `Result` with [`ExperimentError`].
pub type Result<T> = std::result::Result<T, ExperimentError>;
