//! A dense layer stored as packed codes, run without materialising its f32 weights.

use alloc::vec::Vec;

use crate::bitwidth::BitWidth;
use crate::error::{QuantError, Result};
use crate::pack::{PackedCodes, Packing, RowAligned, get};
use crate::quantizer::SymmetricQuantizer;

/// A dense layer `y = W x + b` with `W` quantized and packed row by row ([`RowAligned`], one
/// row per output), and `b` in f32.
///
/// ```
/// use ser_quant::{BitWidth, Granularity, PackedLayer, SymmetricQuantizer};
///
/// // 2 outputs x 3 inputs, row-major.
/// let w = [0.5f32, -1.0, 0.25, 1.0, 0.0, -0.5];
/// let q = SymmetricQuantizer::new(BitWidth::new(8)?, Granularity::PerTensor);
/// let layer = PackedLayer::quantize(&w, &[0.1, -0.1], 2, 3, &q)?;
/// let mut y = [0.0; 2];
/// layer.forward(&[1.0, 2.0, 4.0], &mut y)?;
/// assert!((y[0] - (0.5 - 2.0 + 1.0 + 0.1)).abs() < 0.02);
/// assert!((y[1] - (1.0 - 2.0 - 0.1)).abs() < 0.02);
/// # Ok::<(), ser_quant::QuantError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PackedLayer {
    /// Packed weight codes, `outputs x inputs`, row-aligned.
    pub weights: PackedCodes,
    /// One scale for the layer, or one per output.
    pub scales: Vec<f32>,
    /// Biases, one per output.
    pub bias: Vec<f32>,
}

impl PackedLayer {
    /// Quantizes and packs row-major `outputs x inputs` weights.
    pub fn quantize(
        weights: &[f32],
        bias: &[f32],
        outputs: usize,
        inputs: usize,
        quantizer: &SymmetricQuantizer,
    ) -> Result<Self> {
        if bias.len() != outputs {
            return Err(QuantError::LengthMismatch {
                what: "bias",
                expected: outputs,
                got: bias.len(),
            });
        }
        if let Some(index) = bias.iter().position(|b| !b.is_finite()) {
            return Err(QuantError::NonFinite {
                index,
                value: bias[index],
            });
        }
        let t = quantizer.quantize(weights, outputs, inputs)?;
        let packed = RowAligned.pack(&t.codes, outputs, inputs, t.bits)?;
        Ok(PackedLayer {
            weights: packed,
            scales: t.scales,
            bias: bias.to_vec(),
        })
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.weights.cols
    }

    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        self.weights.rows
    }

    /// The width of the weights.
    pub fn bits(&self) -> BitWidth {
        self.weights.bits
    }

    fn scale(&self, row: usize) -> f32 {
        if self.scales.len() == 1 {
            self.scales[0]
        } else {
            self.scales[row]
        }
    }

    /// `out = W x + b`, decoding the codes on the fly (`x` holds `inputs` values, `out`
    /// `outputs`). For 1 bit, `sum(+-x)` is computed as `2 sum(x where bit set) - sum(x)`.
    pub fn forward(&self, x: &[f32], out: &mut [f32]) -> Result<()> {
        let (inputs, outputs) = (self.inputs(), self.outputs());
        if x.len() != inputs {
            return Err(QuantError::LengthMismatch {
                what: "layer input",
                expected: inputs,
                got: x.len(),
            });
        }
        if out.len() != outputs {
            return Err(QuantError::LengthMismatch {
                what: "layer output",
                expected: outputs,
                got: out.len(),
            });
        }
        let b = usize::from(self.bits().get());
        let per_row = (inputs * b).div_ceil(32);
        let words = &self.weights.words;
        if words.len() != outputs * per_row {
            return Err(QuantError::LengthMismatch {
                what: "packed words",
                expected: outputs * per_row,
                got: words.len(),
            });
        }
        if b == 1 {
            let total: f32 = x.iter().sum();
            for (r, o) in out.iter_mut().enumerate() {
                let row = &words[r * per_row..(r + 1) * per_row];
                let mut set = 0.0f32;
                for (w, chunk) in row.iter().zip(x.chunks(32)) {
                    let mut bits = *w;
                    while bits != 0 {
                        let j = bits.trailing_zeros() as usize;
                        set += chunk[j];
                        bits &= bits - 1;
                    }
                }
                *o = (2.0 * set - total) * self.scale(r) + self.bias[r];
            }
            return Ok(());
        }
        let qmax = i32::from(self.bits().qmax());
        let bits = b as u32;
        for (r, o) in out.iter_mut().enumerate() {
            let row = &words[r * per_row..(r + 1) * per_row];
            let mut acc = 0.0f32;
            for (j, xj) in x.iter().enumerate() {
                acc += (get(row, j * b, bits) as i32 - qmax) as f32 * xj;
            }
            *o = acc * self.scale(r) + self.bias[r];
        }
        Ok(())
    }
}
