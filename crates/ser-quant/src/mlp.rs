//! A multilayer perceptron run from packed codes, each layer at its own precision.

use alloc::format;
use alloc::vec::Vec;

use crate::bitwidth::Precision;
use crate::error::{QuantError, Result};
use crate::layer::{QuantizedLayer, Scratch};

/// An MLP of [`QuantizedLayer`]s with ReLU between them: the inference half of `ser_mlp::Mlp`,
/// with every layer at its own width (or f32), computed from the packed codes.
///
/// ```
/// use ser_quant::{BitWidth, PackedMlp, Precision, QuantOptions, QuantizedLayer, Scratch};
///
/// let opts = QuantOptions::default();
/// let two = Precision::Bits(BitWidth::new(2)?);
/// // 3 inputs -> 2 hidden (2 bits) -> 2 outputs (f32).
/// let hidden = QuantizedLayer::quantize(&[1.0, -1.0, 0.5, 0.0, 1.0, -1.0], &[0.0, 0.0], 2, 3, two, opts)?;
/// let output = QuantizedLayer::full(vec![1.0, 0.0, 0.0, 1.0], vec![0.0, 0.0], 2, 2)?;
/// let mlp = PackedMlp::new(vec![hidden, output])?;
/// let mut scratch = Scratch::default();
/// let logits = mlp.logits(&[1.0, 0.0, 0.0], &mut scratch)?;
/// assert_eq!(logits, &[1.0, 0.0]); // ReLU(1), ReLU(0)
/// assert_eq!(mlp.predict(&[1.0, 0.0, 0.0], &mut scratch)?, 0);
/// # Ok::<(), ser_quant::QuantError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PackedMlp {
    layers: Vec<QuantizedLayer>,
}

impl PackedMlp {
    /// An MLP of `layers`, in order; each must take the previous one's outputs.
    pub fn new(layers: Vec<QuantizedLayer>) -> Result<Self> {
        if layers.is_empty() {
            return Err(QuantError::Corrupt(
                "an MLP needs at least one layer".into(),
            ));
        }
        for (i, pair) in layers.windows(2).enumerate() {
            if pair[1].inputs() != pair[0].outputs() {
                return Err(QuantError::Corrupt(format!(
                    "layer {} takes {} inputs but layer {} gives {} outputs",
                    i + 1,
                    pair[1].inputs(),
                    i,
                    pair[0].outputs()
                )));
            }
        }
        Ok(PackedMlp { layers })
    }

    /// The layers.
    pub fn layers(&self) -> &[QuantizedLayer] {
        &self.layers
    }

    /// Inputs of the first layer.
    pub fn inputs(&self) -> usize {
        self.layers[0].inputs()
    }

    /// Outputs of the last layer (the classes).
    pub fn outputs(&self) -> usize {
        self.layers[self.layers.len() - 1].outputs()
    }

    /// Weights and biases of every layer.
    pub fn params(&self) -> usize {
        self.layers.iter().map(QuantizedLayer::params).sum()
    }

    /// The precision of each layer.
    pub fn precisions(&self) -> Vec<Precision> {
        self.layers.iter().map(QuantizedLayer::precision).collect()
    }

    /// The poster's size in bits: every parameter at its width.
    pub fn size_bits(&self) -> u64 {
        self.layers.iter().map(QuantizedLayer::size_bits).sum()
    }

    /// The poster's size in KB: `bits / 8 / 1000`.
    pub fn size_kb(&self) -> f64 {
        self.size_bits() as f64 / 8000.0
    }

    /// The average bit width: parameter-weighted mean of the layer widths (32 for f32), as
    /// METHOD.md defines it.
    pub fn average_bits(&self) -> f64 {
        let weighted: f64 = self
            .layers
            .iter()
            .map(|l| l.params() as f64 * f64::from(l.precision().bits()))
            .sum();
        weighted / self.params() as f64
    }

    /// The output scores (logits) of one input vector; the slice lives in `scratch`.
    pub fn logits<'s>(&self, x: &[f32], scratch: &'s mut Scratch) -> Result<&'s [f32]> {
        if x.len() != self.inputs() {
            return Err(QuantError::LengthMismatch {
                what: "MLP input",
                expected: self.inputs(),
                got: x.len(),
            });
        }
        let mut a = core::mem::take(&mut scratch.a);
        let mut b = core::mem::take(&mut scratch.b);
        a.clear();
        a.extend_from_slice(x);
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            b.clear();
            b.resize(layer.outputs(), 0.0);
            let done = layer.forward(&a, &mut b, scratch);
            if let Err(e) = done {
                scratch.a = a;
                scratch.b = b;
                return Err(e);
            }
            if i < last {
                for v in &mut b {
                    *v = v.max(0.0);
                }
            }
            core::mem::swap(&mut a, &mut b);
        }
        scratch.a = a;
        scratch.b = b;
        Ok(&scratch.a)
    }

    /// The index of the highest output of one input vector (the first on ties).
    pub fn predict(&self, x: &[f32], scratch: &mut Scratch) -> Result<usize> {
        Ok(argmax(self.logits(x, scratch)?.iter().copied()))
    }
}

/// The index of the largest value (the first on ties; 0 when empty).
///
/// ```
/// assert_eq!(ser_quant::argmax([0.1f32, 0.7, 0.7, 0.2].into_iter()), 1);
/// ```
pub fn argmax(values: impl Iterator<Item = f32>) -> usize {
    let mut best = (0, f32::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

/// Softmax of `logits` in place (stable: the maximum is subtracted first).
#[cfg(feature = "std")]
pub fn softmax(logits: &mut [f32]) {
    let max = logits.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
    let mut sum = 0.0;
    for v in logits.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in logits.iter_mut() {
        *v /= sum;
    }
}
