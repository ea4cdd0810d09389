//! The error type of ser-search.

/// What can go wrong searching.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// A setting outside its range.
    #[error("invalid search setting: {0}")]
    Config(String),
    /// Scoring the layers failed.
    #[error(transparent)]
    Importance(#[from] ser_importance::ImportanceError),
    /// Running the network failed (bad data shapes, labels, values).
    #[error(transparent)]
    Mlp(#[from] ser_mlp::MlpError),
    /// Quantizing layers.
    #[error(transparent)]
    Quant(#[from] ser_quant::QuantError),
}

/// A `Result` with [`SearchError`].
pub type Result<T> = std::result::Result<T, SearchError>;
