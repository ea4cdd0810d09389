//! The error type of ser-quant.

/// A `Result` with [`QuantError`].
pub type Result<T> = core::result::Result<T, QuantError>;

/// What can go wrong quantizing.
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
    /// A weight is NaN or infinite.
    #[error("weight {index} is not finite ({value})")]
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
}
