//! The error type of ser-mlp.

/// A `Result` with [`MlpError`].
pub type Result<T> = std::result::Result<T, MlpError>;

/// What can go wrong building, training or running the MLP.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MlpError {
    /// A configuration field holds an invalid value.
    #[error("invalid MLP configuration: `{field}` {reason}")]
    Config {
        /// The field's name.
        field: &'static str,
        /// Why the value is invalid.
        reason: String,
    },
    /// An input has the wrong shape.
    #[error("{what}: expected {expected}, got {got}")]
    Shape {
        /// Which input.
        what: &'static str,
        /// The shape required.
        expected: String,
        /// The shape given.
        got: String,
    },
    /// A label is not below the number of classes.
    #[error("label {label} at row {row} is not below the number of classes ({classes})")]
    Label {
        /// Row of the offending label.
        row: usize,
        /// The label.
        label: usize,
        /// Number of classes.
        classes: usize,
    },
    /// A feature value is NaN or infinite.
    #[error("feature value at row {row}, column {column} is not finite")]
    NonFinite {
        /// Row.
        row: usize,
        /// Column.
        column: usize,
    },
    /// Data does not fit the task.
    #[error("{0}")]
    Data(String),
    /// Quantizing or running a quantized model failed.
    #[error(transparent)]
    Quant(#[from] ser_quant::QuantError),
    /// There is nothing to train on.
    #[error("empty training data")]
    Empty,
    /// Training diverged (a NaN or infinite loss).
    #[error("training diverged at epoch {epoch}: the loss is {loss}")]
    Diverged {
        /// The epoch (from 1).
        epoch: usize,
        /// The loss.
        loss: f32,
    },
}
