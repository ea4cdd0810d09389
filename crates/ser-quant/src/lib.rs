//! Quantization primitives of ser-adaptive.
//!
//! [`BitWidth`] (1..=8; full precision is [`Precision::Full`]), the uniform symmetric
//! [`SymmetricQuantizer`] (`qmax = 2^(b-1) - 1`, `s = max|w| / qmax`), per tensor or per output
//! channel, and 1-bit binarisation (`sign(w) * mean|w|`); [`Scaling::MinMse`] chooses the scale
//! that minimises the squared error instead of `max|w|`.
//!
//! The crate is `no_std` + `alloc` without its default `std` feature, so models can run on
//! microcontrollers.
//!
//! ```
//! use ser_quant::{BitWidth, Granularity, SymmetricQuantizer};
//!
//! let weights = [0.5f32, -0.25, 0.125, -1.0, 0.0, 0.75];
//! let q = SymmetricQuantizer::new(BitWidth::new(4)?, Granularity::PerTensor);
//! let t = q.quantize(&weights, 2, 3)?;
//! // Every dequantized weight lies within half a step of the original.
//! let step = t.scales[0];
//! for (w, d) in weights.iter().zip(t.dequantize()) {
//!     assert!((w - d).abs() <= step / 2.0 + 1e-7);
//! }
//! # Ok::<(), ser_quant::QuantError>(())
//! ```
//!
//! [`Packing`] lays the codes out in words: [`DenseStream`] (smallest), [`RowAligned`] (rows
//! readable on their own) and [`BitPlanes`] (one plane per bit, for popcount kernels).
//!
//! [`QuantizedLayer`] runs a dense layer straight from its packed codes with one of three
//! [`Kernel`]s; [`PackedMlp`] chains them, each layer at its own [`Precision`]; [`PackedModel`]
//! adds standardisation and class names and reads and writes the workspace's one model file
//! format (`docs/MODEL_FORMAT.md`, packed and f32 layers alike), all without `std`.
//!
//! | cargo feature | default | what it adds |
//! |---|---|---|
//! | `std` | on | the standard library (off: `no_std` + `alloc`) |
//! | `serde` | off | `Serialize`/`Deserialize` of the option enums ([`Granularity`], [`Scaling`], [`BiasMode`]) by their names, `no_std` too |

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod bitwidth;
mod borrowed;
mod error;
mod kernel;
mod layer;
mod mlp;
mod model;
mod names;
mod pack;
mod quantizer;

pub use bitwidth::{BitWidth, Precision};
pub use borrowed::BorrowedModel;
pub use error::{QuantError, Result};
pub use layer::{Bias, BiasMode, Kernel, QuantOptions, QuantizedLayer, Scratch, quantized_bias};
#[cfg(feature = "std")]
pub use mlp::softmax;
pub use mlp::{PackedMlp, argmax};
pub use model::{FileSize, MODEL_FORMAT_VERSION, MODEL_MAGIC, PackedModel};
#[doc(hidden)]
pub use names::__private;
pub use names::UnknownName;
pub use pack::{BitPlanes, DenseStream, PackedCodes, Packing, RowAligned};
pub use quantizer::{Granularity, QuantizedTensor, Scaling, SymmetricQuantizer};

#[cfg(test)]
mod tests;
