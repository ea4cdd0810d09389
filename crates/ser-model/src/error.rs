//! The error type of ser-model.

/// A `Result` with [`ModelError`].
pub type Result<T> = std::result::Result<T, ModelError>;

/// What can go wrong training, running, reading or writing a model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A model file cannot be read or written, or its bytes are not a model.
    #[error("model file {path}: {reason}")]
    File {
        /// The file (or `<memory>`).
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The task does not fit the model or the data (a packed model asked to train, features
    /// made another way, too few classes).
    #[error("{0}")]
    Mismatch(String),
    /// The network, its training or its standardisation.
    #[error(transparent)]
    Mlp(#[from] ser_mlp::MlpError),
    /// Quantizing or running packed layers.
    #[error(transparent)]
    Quant(#[from] ser_quant::QuantError),
    /// The data: tables, splits, extraction.
    #[error(transparent)]
    Data(#[from] ser_data::DataError),
    /// The feature configuration.
    #[error(transparent)]
    Features(#[from] ser_features::FeatureError),
}
