//! The error type of ser-quant.

use alloc::string::String;

/// A `Result` with [`QuantError`].
pub type Result<T> = core::result::Result<T, QuantError>;

/// What can go wrong quantizing, packing, running or loading a quantized model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum QuantError {
    /// A bit width outside 1..=8.
    #[error("unsupported bit width {0}: widths are 1..=8")]
    UnsupportedBitWidth(u8),
    /// A code outside the range of its width (or a packed field no packer writes).
    #[error("code {code} at index {index} is out of range for {bits} bits")]
    CodeOutOfRange {
        /// Its index in the tensor.
        index: usize,
        /// The code.
        code: i32,
        /// The width.
        bits: u8,
    },
    /// A weight (or scale) is NaN or infinite (or a scale is negative).
    #[error("value {index} is not finite ({value})")]
    NonFinite {
        /// Its index in the tensor.
        index: usize,
        /// Its value.
        value: f32,
    },
    /// The data does not fill the stated shape.
    #[error("{what}: expected length {expected}, got {got}")]
    LengthMismatch {
        /// What was measured.
        what: &'static str,
        /// The length the shape implies.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A kernel asked for a width it does not compute.
    #[error("the {kernel} kernel does not compute {bits}-bit layers")]
    KernelWidth {
        /// The kernel's name.
        kernel: &'static str,
        /// The layer's width.
        bits: u8,
    },
    /// Bytes that do not start like a model file.
    #[error("not a ser model file (it does not start with SERMODEL)")]
    NotAModel,
    /// A model file of another format version than this build reads.
    #[error("{}", version_message(*found, *supported))]
    UnsupportedVersion {
        /// The file's version (1 for the files of ser-adaptive 0.1, f32 or packed).
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// The file ends before `what`.
    #[error("truncated: the file ends inside {what}")]
    Truncated {
        /// The section being read.
        what: &'static str,
    },
    /// The checksum does not match the contents.
    #[error(
        "checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the file is corrupt or truncated"
    )]
    Checksum {
        /// The CRC-32 in the file.
        stored: u32,
        /// The CRC-32 of its contents.
        computed: u32,
    },
    /// Contents that are well framed but make no sense (a bad width, inconsistent shapes, ...).
    #[error("corrupt: {0}")]
    Corrupt(String),
}

fn version_message(found: u32, supported: u32) -> alloc::string::String {
    if found == 1 {
        alloc::format!(
            "model format version {found} (ser-adaptive 0.1) is no longer read; this build reads \
             version {supported}: train or quantize the model again"
        )
    } else if found > supported {
        alloc::format!("model format version {found} is newer than this build reads ({supported})")
    } else {
        alloc::format!("model format version {found} does not exist (this build reads {supported})")
    }
}
