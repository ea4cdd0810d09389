//! The error type of ser-recognize.

/// A `Result` with [`RecognizeError`].
pub type Result<T> = std::result::Result<T, RecognizeError>;

/// What can go wrong recognizing emotions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecognizeError {
    /// Decoding or feature extraction (the error names the file when there is one).
    #[error(transparent)]
    Features(#[from] ser_features::FeatureError),
    /// The model: its file, or running it.
    #[error(transparent)]
    Model(#[from] ser_model::ModelError),
    /// Audio at a rate the model's features cannot be made at.
    #[error("{0}")]
    SampleRate(String),
    /// A stream or gate setting out of range.
    #[error("{field}: {reason}")]
    Config {
        /// The setting.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A sample of a stream is NaN or infinite (or absurdly large), at this position.
    #[error("sample {position} (at {seconds:.3} s) is {value}: audio must be finite, in [-1, 1]")]
    BadSample {
        /// Its index in the stream, counting from 0 (in frames, after mixing to mono).
        position: u64,
        /// Its time in the stream.
        seconds: f64,
        /// The value.
        value: f32,
    },
    /// Nothing to recognize: an empty push, a stream that ended before its first window.
    #[error("{0}")]
    Empty(String),
}
