//! The error type of ser-features.

use std::path::{Path, PathBuf};

/// A `Result` with [`FeatureError`].
pub type Result<T> = std::result::Result<T, FeatureError>;

/// Everything that can go wrong between a file on disk and a feature vector.
///
/// Errors raised while working on a file are wrapped in [`FeatureError::File`], which names the
/// file; [`FeatureError::path`] and [`FeatureError::cause`] reach through that wrapper.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeatureError {
    /// An error while working on one file; `source` is the cause.
    #[error("{}: {source}", path.display())]
    File {
        /// The file the error is about.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: Box<FeatureError>,
    },
    /// The file could not be read (missing, unreadable, a directory, ...).
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// A folder could not be listed (unreadable, ...).
    #[error("cannot read the folder: {0}")]
    Folder(#[source] std::io::Error),
    /// The file holds zero bytes.
    #[error("the file is empty (0 bytes)")]
    EmptyFile,
    /// The bytes are not in an audio container we can read.
    #[error("not a supported audio file ({reason})")]
    UnrecognisedFormat {
        /// What the demuxer said.
        reason: String,
    },
    /// The container is readable but its codec is not supported.
    #[error("unsupported audio codec {codec}")]
    UnsupportedCodec {
        /// The codec as the container names it.
        codec: String,
    },
    /// The container holds no audio track.
    #[error("the file holds no audio track")]
    NoAudioTrack,
    /// The header, or an ID3v2 tag leading the audio, ends before it is complete.
    #[error("truncated header: the file ends inside the header")]
    TruncatedHeader,
    /// The sample data chunk of a WAV or AIFF (`data`, `SSND`) ends before the length its
    /// header declares, and the parser stopped there.
    #[error(
        "truncated audio data: the sample data chunk declares {declared} bytes, the file holds {present}"
    )]
    TruncatedData {
        /// Bytes the chunk header declares.
        declared: usize,
        /// Bytes of the chunk present in the file.
        present: usize,
    },
    /// The audio data ends before the header says it should.
    #[error("{}", truncated_message(*expected, *got))]
    Truncated {
        /// Frames the header promises, when it says.
        expected: Option<u64>,
        /// Frames actually decoded.
        got: u64,
    },
    /// The audio data cannot be decoded.
    #[error("corrupt audio data: {reason}")]
    Corrupt {
        /// What the decoder said.
        reason: String,
    },
    /// The signal holds no samples.
    #[error("the audio holds no samples (zero-length signal)")]
    EmptySignal,
    /// A sample is NaN or infinite.
    #[error("sample {index} is not finite ({value})")]
    NonFiniteSample {
        /// Index of the first offending sample (in frames of the mono signal).
        index: usize,
        /// Its value.
        value: f32,
    },
    /// A finite sample far outside the audio range (beyond [`crate::MAX_ABS_SAMPLE`]): corrupt
    /// float data, whose power would overflow.
    #[error(
        "sample {index} is {value}, beyond +-{}: float audio is expected in [-1, 1]",
        crate::MAX_ABS_SAMPLE
    )]
    SampleOutOfRange {
        /// Index of the first offending sample (in frames of the mono signal).
        index: usize,
        /// Its value.
        value: f32,
    },
    /// The sample rate is zero or absurd.
    #[error(
        "sample rate {sample_rate} Hz is outside the supported range {}..={} Hz",
        crate::MIN_SAMPLE_RATE,
        crate::MAX_SAMPLE_RATE
    )]
    SampleRate {
        /// The offending rate in Hz.
        sample_rate: u64,
    },
    /// The channel count is zero or absurd.
    #[error(
        "channel count {channels} is outside the supported range 1..={}",
        crate::MAX_CHANNELS
    )]
    Channels {
        /// The offending count.
        channels: usize,
    },
    /// Resampling failed.
    #[error("resampling from {from} Hz to {to} Hz failed: {reason}")]
    Resample {
        /// Source rate.
        from: u32,
        /// Target rate.
        to: u32,
        /// What the resampler said.
        reason: String,
    },
    /// A configuration field holds an invalid value.
    #[error("invalid feature configuration: `{field}` {reason}")]
    Config {
        /// The field's name.
        field: &'static str,
        /// Why the value is invalid.
        reason: String,
    },
    /// A caller-owned buffer has the wrong length.
    #[error("{what}: expected length {expected}, got {got}")]
    LengthMismatch {
        /// Which buffer.
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length given.
        got: usize,
    },
}

fn truncated_message(expected: Option<u64>, got: u64) -> String {
    match expected {
        Some(n) => {
            format!("truncated audio data: the header promises {n} frames, the file holds {got}")
        }
        None => format!("truncated audio data: the stream ends mid-packet after {got} frames"),
    }
}

impl FeatureError {
    /// Wraps `self` with the file it is about (a no-op if it already names a file).
    pub fn in_file(self, path: &Path) -> Self {
        match self {
            FeatureError::File { .. } => self,
            other => FeatureError::File {
                path: path.to_path_buf(),
                source: Box::new(other),
            },
        }
    }

    /// The error with its sample index moved on by `offset` (for a check made on a piece of a
    /// longer signal).
    pub(crate) fn offset_by(self, offset: usize) -> Self {
        match self {
            FeatureError::NonFiniteSample { index, value } => FeatureError::NonFiniteSample {
                index: index + offset,
                value,
            },
            FeatureError::SampleOutOfRange { index, value } => FeatureError::SampleOutOfRange {
                index: index + offset,
                value,
            },
            other => other,
        }
    }

    /// The file this error is about, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            FeatureError::File { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The underlying cause, looking through [`FeatureError::File`].
    pub fn cause(&self) -> &FeatureError {
        match self {
            FeatureError::File { source, .. } => source.cause(),
            other => other,
        }
    }
}
