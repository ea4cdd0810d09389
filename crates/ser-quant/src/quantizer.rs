//! The uniform symmetric quantizer and 1-bit binarisation (METHOD.md, "Quantization primitives").

use alloc::vec;
use alloc::vec::Vec;

use crate::bitwidth::BitWidth;
use crate::error::{QuantError, Result};

/// Whether a tensor shares one scale or has one per output row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Granularity {
    /// One scale for the whole tensor (the method's default).
    #[default]
    PerTensor,
    /// One scale per row (for a dense layer stored `outputs x inputs`, per output channel).
    PerChannel,
}

/// A quantized tensor: integer codes, their scales, its shape and width.
///
/// Codes are `i8` in `-qmax..=qmax` (for 1 bit: -1 or +1); the value of code `q` in row `r` is
/// `q * scales[r]` (or `q * scales[0]` per tensor).
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizedTensor {
    /// The width.
    pub bits: BitWidth,
    /// Rows and columns.
    pub shape: (usize, usize),
    /// One scale, or one per row.
    pub scales: Vec<f32>,
    /// The codes, row-major.
    pub codes: Vec<i8>,
}

impl QuantizedTensor {
    /// The scale of row `r`.
    pub fn scale_of_row(&self, r: usize) -> f32 {
        if self.scales.len() == 1 {
            self.scales[0]
        } else {
            self.scales[r]
        }
    }

    /// The dequantized values, row-major: `code * scale`.
    pub fn dequantize(&self) -> Vec<f32> {
        let cols = self.shape.1.max(1);
        self.codes
            .iter()
            .enumerate()
            .map(|(i, &q)| f32::from(q) * self.scale_of_row(i / cols))
            .collect()
    }
}

/// The uniform symmetric quantizer: for `b >= 2`, `qmax = 2^(b-1) - 1`, `s = max|w| / qmax`,
/// `q = clamp(round(w / s), -qmax, qmax)`, `w' = q s`; for `b = 1`, binarisation
/// `w' = sign(w) mean|w|`.
///
/// Rounding is to the nearest integer with ties to even, as numpy and PyTorch round. In
/// binarisation `sign(0)` is +1, since one bit has no code for zero. An all-zero tensor (or
/// row) gets scale 0 and dequantizes to exact zeros; an empty tensor gives empty codes; NaN or
/// infinite weights are an error.
///
/// ```
/// use ser_quant::{BitWidth, Granularity, SymmetricQuantizer};
///
/// let q = SymmetricQuantizer::new(BitWidth::new(2)?, Granularity::PerTensor);
/// let t = q.quantize(&[0.9, -0.2, 0.4, -0.6], 2, 2)?;
/// assert_eq!(t.codes, vec![1, 0, 0, -1]); // qmax 1, scale 0.9
/// assert_eq!(t.dequantize(), vec![0.9, 0.0, 0.0, -0.9]);
/// # Ok::<(), ser_quant::QuantError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SymmetricQuantizer {
    bits: BitWidth,
    granularity: Granularity,
}

impl SymmetricQuantizer {
    /// A quantizer of `bits` width.
    pub fn new(bits: BitWidth, granularity: Granularity) -> Self {
        SymmetricQuantizer { bits, granularity }
    }

    /// The width.
    pub fn bits(&self) -> BitWidth {
        self.bits
    }

    /// Quantizes a `rows x cols` row-major tensor.
    pub fn quantize(&self, weights: &[f32], rows: usize, cols: usize) -> Result<QuantizedTensor> {
        if weights.len() != rows * cols {
            return Err(QuantError::LengthMismatch {
                what: "weights",
                expected: rows * cols,
                got: weights.len(),
            });
        }
        if let Some(index) = weights.iter().position(|w| !w.is_finite()) {
            return Err(QuantError::NonFinite {
                index,
                value: weights[index],
            });
        }
        let groups: Vec<&[f32]> = match self.granularity {
            Granularity::PerTensor => vec![weights],
            Granularity::PerChannel => weights.chunks(cols.max(1)).collect(),
        };
        let mut scales = Vec::with_capacity(groups.len());
        let mut codes = Vec::with_capacity(weights.len());
        for group in groups {
            let (scale, group_codes) = quantize_group(group, self.bits);
            scales.push(scale);
            codes.extend(group_codes);
        }
        if scales.is_empty() {
            scales.push(0.0);
        }
        Ok(QuantizedTensor {
            bits: self.bits,
            shape: (rows, cols),
            scales,
            codes,
        })
    }
}

/// Scale and codes of one group of finite weights.
fn quantize_group(w: &[f32], bits: BitWidth) -> (f32, Vec<i8>) {
    if bits.get() == 1 {
        let mean_abs = if w.is_empty() {
            0.0
        } else {
            (w.iter().map(|v| f64::from(v.abs())).sum::<f64>() / w.len() as f64) as f32
        };
        return (
            mean_abs,
            w.iter().map(|&v| if v < 0.0 { -1 } else { 1 }).collect(),
        );
    }
    let qmax = bits.qmax();
    let max_abs = w.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if max_abs == 0.0 {
        return (0.0, vec![0; w.len()]);
    }
    let scale = max_abs / f32::from(qmax);
    let q = f32::from(qmax);
    (
        scale,
        w.iter()
            .map(|&v| round_half_even((v / scale).clamp(-q, q)) as i8)
            .collect(),
    )
}

/// Rounds to the nearest integer, ties to even, for `|x| <= 2^23` (here at most 127), in core
/// arithmetic only (`f32::round_ties_even` needs std). Clamping before rounding is the same as
/// after, since the bounds are integers.
pub(crate) fn round_half_even(x: f32) -> i32 {
    let t = x as i32; // toward zero, exact in this range
    let frac = x - t as f32; // exact: x and t are within 1 of each other
    let away = if x < 0.0 { -1 } else { 1 };
    if frac.abs() > 0.5 || (frac.abs() == 0.5 && t % 2 != 0) {
        t + away
    } else {
        t
    }
}
