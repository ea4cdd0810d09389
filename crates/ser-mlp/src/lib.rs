//! The baseline multilayer perceptron of ser-adaptive.
//!
//! Dense layers with ReLU and dropout, a softmax output, softmax cross-entropy, Adam,
//! mini-batch training with L2 weight decay and early stopping on the validation accuracy or
//! loss (best weights restored),
//! standardisation fitted on the training split, and seeded, bit-reproducible training.
//!
//! ```
//! use ndarray::Array2;
//! use ser_mlp::{fit, Labelled, Standardizer, TrainConfig};
//!
//! // Three classes of 2-D points around (0, 3), (3, 0) and (-3, -3).
//! let centres = [[0.0f32, 3.0], [3.0, 0.0], [-3.0, -3.0]];
//! let x = Array2::from_shape_fn((60, 2), |(i, j)| centres[i % 3][j] + ((i * 7 + j * 3) % 5) as f32 * 0.2);
//! let y: Vec<usize> = (0..60).map(|i| i % 3).collect();
//! let scaler = Standardizer::fit(x.view())?;
//! let xs = scaler.transform(x.view())?;
//! let config = TrainConfig { hidden: vec![16], max_epochs: 40, seed: 7, ..TrainConfig::default() };
//! let (mlp, _) = fit(&config, Labelled { x: xs.view(), y: &y }, None, 3)?;
//! let (_, accuracy) = ser_mlp::evaluate(&mlp, &Labelled { x: xs.view(), y: &y })?;
//! assert_eq!(accuracy, 1.0);
//! # Ok::<(), ser_mlp::MlpError>(())
//! ```
//!
//! [`classification_metrics`] gives WA, UA, macro-F1, per-class precision and recall and the
//! confusion matrix; [`Mlp::quantize_layers`] quantizes the layers at any per-layer widths for
//! ser-quant's packed kernels, and [`Mlp::fake_quantized`] gives the f32 network those widths
//! stand for, for fast batch evaluation.
//!
//! The crate knows numbers, not audio: rows of features in, class indices out. Data sets and
//! splits are ser-data's; the model bundle with its feature configuration and file is
//! ser-model's.

mod adam;
mod distill;
mod error;
mod gptq;
mod metrics;
mod network;
mod quantize;
mod rng;
mod standardize;
mod train;

pub use distill::{Distillation, fine_tune_distilled};
pub use error::{MlpError, Result};
pub use gptq::{GptqConfig, InputMoments};
pub use metrics::{Metrics, classification_metrics};
pub use network::{Dense, Mlp};
pub use quantize::Gptq;
pub use ser_quant::argmax;
pub use standardize::Standardizer;
pub use train::{
    EpochStats, Gradient, History, Labelled, StopOn, TrainConfig, accuracy_percent, evaluate,
    fine_tune, fit, fit_with_progress, loss_gradients,
};

#[cfg(test)]
mod tests;
