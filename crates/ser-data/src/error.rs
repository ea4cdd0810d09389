//! The error type of ser-data.

use std::path::PathBuf;

/// A `Result` with [`DataError`].
pub type Result<T> = std::result::Result<T, DataError>;

/// What can go wrong listing a corpus, reading or writing feature tables, splitting them, or
/// extracting their features.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A file could not be read or written.
    #[error("{}: cannot read the file: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The feature cache's folder could not be made.
    #[error("feature cache {}: {source} (run without the cache with --no-cache)", path.display())]
    Cache {
        /// The folder.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A folder could not be listed.
    #[error("{}: cannot read the folder: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A corpus could not be listed (no audio, a bad manifest, an unknown corpus name).
    #[error("corpus: {0}")]
    Corpus(String),
    /// A table's text is malformed or does not fit the task; the message names the file and
    /// line where it applies.
    #[error("{0}")]
    Table(String),
    /// A setting outside its range (a split's fraction, a fold count).
    #[error("invalid {field}: {reason}")]
    Config {
        /// The setting.
        field: &'static str,
        /// Why the value is invalid.
        reason: String,
    },
    /// Parts of a table disagree in length.
    #[error("{what}: expected {expected}, got {got}")]
    Shape {
        /// Which parts.
        what: &'static str,
        /// The lengths required.
        expected: String,
        /// The lengths given.
        got: String,
    },
    /// Decoding or feature extraction.
    #[error(transparent)]
    Features(#[from] ser_features::FeatureError),
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }
}
