//! The uniform symmetric quantizer and 1-bit binarisation (METHOD.md, "Quantization primitives").

use alloc::vec;
use alloc::vec::Vec;

use crate::bitwidth::BitWidth;
use crate::error::{QuantError, Result};

crate::named_options! {
    /// Whether a tensor shares one scale or has one per output row.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
    pub enum Granularity as "granularity" {
        /// One scale for the whole tensor (the method's default).
        #[default]
        PerTensor = "per-tensor",
        /// One scale per row (for a dense layer stored `outputs x inputs`, per output channel).
        PerChannel = "per-channel",
    }
}

crate::named_options! {
/// How a group's scale is chosen (for 2..=8 bits; 1 bit always uses `mean|w|`, which is already
/// the squared-error-optimal scale of sign codes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Scaling as "scales" {
    /// `s = max|w| / qmax`: no weight is clipped (METHOD.md's quantizer, the default).
    #[default]
    MaxAbs = "max-abs",
    /// The scale that minimises the squared quantization error `sum (w - q s)^2`: clipping
    /// the largest weights buys a finer step for the rest. Found by a grid over clipping
    /// ratios `1.00, 0.99, .., 0.01` of `max|w|`, then refined by alternating the codes and
    /// the least-squares scale `sum(w q) / sum(q^2)` while the error falls. Never worse than
    /// [`Scaling::MaxAbs`], which is the grid's first point.
    MinMse = "mse",
}
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
    scaling: Scaling,
}

impl SymmetricQuantizer {
    /// A quantizer of `bits` width with max-abs scales.
    pub fn new(bits: BitWidth, granularity: Granularity) -> Self {
        SymmetricQuantizer {
            bits,
            granularity,
            scaling: Scaling::MaxAbs,
        }
    }

    /// The same quantizer choosing its scales by `scaling`.
    ///
    /// ```
    /// use ser_quant::{BitWidth, Granularity, Scaling, SymmetricQuantizer};
    ///
    /// // Many small weights and one outlier: max-abs spends the range on the outlier and
    /// // rounds the rest to 0; min-MSE clips the outlier instead.
    /// let mut w: Vec<f32> = (0..200).map(|i| ((i % 21) as f32 - 10.0) / 100.0).collect();
    /// w.push(0.5);
    /// let err = |s: Scaling| -> f32 {
    ///     let q = SymmetricQuantizer::new(BitWidth::new(3).unwrap(), Granularity::PerTensor).with_scaling(s);
    ///     let t = q.quantize(&w, 1, w.len()).unwrap();
    ///     w.iter().zip(t.dequantize()).map(|(a, b)| (a - b) * (a - b)).sum()
    /// };
    /// assert!(err(Scaling::MinMse) < err(Scaling::MaxAbs));
    /// ```
    pub fn with_scaling(self, scaling: Scaling) -> Self {
        SymmetricQuantizer { scaling, ..self }
    }

    /// The width.
    pub fn bits(&self) -> BitWidth {
        self.bits
    }

    /// The code of `value` in a group of scale `scale`, by the rule [`Self::quantize`] uses:
    /// for `b >= 2` `clamp(round(value / scale), -qmax, qmax)` (0 when the scale is 0), for
    /// `b = 1` the sign (+1 for 0). Error-compensating quantizers (GPTQ) choose their scales
    /// first and then code each weight as it comes, so they need the rule on its own.
    ///
    /// ```
    /// use ser_quant::{BitWidth, Granularity, SymmetricQuantizer};
    ///
    /// let q = SymmetricQuantizer::new(BitWidth::new(3)?, Granularity::PerTensor);
    /// assert_eq!([q.code(0.26, 0.1), q.code(-9.0, 0.1), q.code(0.3, 0.0)], [3, -3, 0]);
    /// let one = SymmetricQuantizer::new(BitWidth::new(1)?, Granularity::PerTensor);
    /// assert_eq!([one.code(-0.01, 0.5), one.code(0.0, 0.5)], [-1, 1]);
    /// # Ok::<(), ser_quant::QuantError>(())
    /// ```
    pub fn code(&self, value: f32, scale: f32) -> i8 {
        if self.bits.get() == 1 {
            return if value < 0.0 { -1 } else { 1 };
        }
        if scale == 0.0 {
            return 0;
        }
        code(value, scale, f32::from(self.bits.qmax()))
    }

    /// Quantizes a `rows x cols` row-major tensor.
    pub fn quantize(&self, weights: &[f32], rows: usize, cols: usize) -> Result<QuantizedTensor> {
        let scales = self.scales(weights, rows, cols)?;
        let per_row = scales.len() > 1;
        let mut codes = Vec::with_capacity(weights.len());
        for (r, row) in weights.chunks(cols.max(1)).enumerate() {
            let scale = scales[if per_row { r } else { 0 }];
            codes.extend(row.iter().map(|&v| self.code(v, scale)));
        }
        Ok(QuantizedTensor {
            bits: self.bits,
            shape: (rows, cols),
            scales,
            codes,
        })
    }

    /// The scales [`Self::quantize`] gives a `rows x cols` row-major tensor (one, or one per
    /// row per channel), without the codes: what training through the quantizer, which
    /// codes each weight where it lies, needs. Errors are [`Self::quantize`]'s.
    ///
    /// ```
    /// use ser_quant::{BitWidth, Granularity, SymmetricQuantizer};
    ///
    /// let w = [0.5, -1.0, 0.25, 2.0];
    /// let q = SymmetricQuantizer::new(BitWidth::new(2)?, Granularity::PerChannel);
    /// assert_eq!(q.scales(&w, 2, 2)?, q.quantize(&w, 2, 2)?.scales);
    /// assert_eq!(q.scales(&w, 2, 2)?, [1.0, 2.0]);
    /// # Ok::<(), ser_quant::QuantError>(())
    /// ```
    pub fn scales(&self, weights: &[f32], rows: usize, cols: usize) -> Result<Vec<f32>> {
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
        let mut scales: Vec<f32> = groups
            .into_iter()
            .map(|g| group_scale(g, self.bits, self.scaling))
            .collect();
        if scales.is_empty() {
            scales.push(0.0);
        }
        Ok(scales)
    }
}

/// The scale of one group of finite weights (0 for a group of zeros, whose codes are 0).
fn group_scale(w: &[f32], bits: BitWidth, scaling: Scaling) -> f32 {
    if bits.get() == 1 {
        return if w.is_empty() {
            0.0
        } else {
            (w.iter().map(|v| f64::from(v.abs())).sum::<f64>() / w.len() as f64) as f32
        };
    }
    let max_abs = w.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if max_abs == 0.0 {
        return 0.0;
    }
    let q = f32::from(bits.qmax());
    match scaling {
        Scaling::MaxAbs => max_abs / q,
        Scaling::MinMse => min_mse_scale(w, max_abs, q),
    }
}

fn code(v: f32, scale: f32, q: f32) -> i8 {
    round_half_even((v / scale).clamp(-q, q)) as i8
}

/// [`Scaling::MinMse`]'s scale: the grid, then alternating least-squares refinement.
///
/// With the magnitudes sorted once and their prefix sums, the error of a scale is a sum over
/// the code levels `c = 0..=qmax` of `S2 - 2 c s S1 + c^2 s^2 N` (the count, sum and sum of
/// squares of the magnitudes that round to `c`), so each candidate costs `qmax` binary
/// searches (or one walk, when that is shorter) rather than a pass over the weights. (A magnitude exactly halfway between two
/// levels is as far from both, so how ties round does not change the error.)
fn min_mse_scale(w: &[f32], max_abs: f32, q: f32) -> f32 {
    const GRID: u16 = 100; // ratios 1.00 down to 0.01
    const REFINE: usize = 10;
    let mut mags: Vec<f64> = w.iter().map(|v| f64::from(v.abs())).collect();
    mags.sort_unstable_by(f64::total_cmp);
    let (mut p1, mut p2) = (vec![0.0f64], vec![0.0f64]);
    for &m in &mags {
        p1.push(p1[p1.len() - 1] + m);
        p2.push(p2[p2.len() - 1] + m * m);
    }
    let levels = q as usize;
    // Many levels over few weights (a row of a per-channel layer at 8 bits): one walk over
    // the magnitudes beats a binary search per level.
    let walk = levels * (usize::BITS - mags.len().leading_zeros()) as usize > mags.len();
    // (squared error, sum of c |w|, sum of c^2) at `scale`.
    let stats = |scale: f32| -> (f64, f64, f64) {
        let s = f64::from(scale);
        let (mut err, mut num, mut den) = (0.0, 0.0, 0.0);
        let mut start = 0;
        for c in 0..=levels {
            let cf = c as f64;
            let end = if c == levels {
                mags.len()
            } else if walk {
                let bound = (cf + 0.5) * s;
                let mut end = start;
                while end < mags.len() && mags[end] < bound {
                    end += 1;
                }
                end
            } else {
                start + mags[start..].partition_point(|&m| m < (cf + 0.5) * s)
            };
            let (n, s1, s2) = (
                (end - start) as f64,
                p1[end] - p1[start],
                p2[end] - p2[start],
            );
            err += s2 - 2.0 * cf * s * s1 + cf * cf * s * s * n;
            num += cf * s1;
            den += cf * cf * n;
            start = end;
        }
        (err.max(0.0), num, den)
    };
    let mut best = (stats(max_abs / q), max_abs / q);
    for i in 1..GRID {
        let scale = max_abs * (1.0 - f32::from(i) / 100.0) / q;
        let st = stats(scale);
        if st.0 < best.0.0 {
            best = (st, scale);
        }
    }
    for _ in 0..REFINE {
        let (_, num, den) = best.0;
        if den == 0.0 {
            break;
        }
        let scale = (num / den) as f32;
        if !(scale > 0.0 && scale.is_finite()) {
            break;
        }
        let st = stats(scale);
        if st.0 >= best.0.0 {
            break;
        }
        best = (st, scale);
    }
    // The sums above are f64; the dequantized values are f32 products. Judged by those, as a
    // user measures it, the result is never worse than max-abs's.
    let plain = max_abs / q;
    if dequantized_error(w, best.1, q) > dequantized_error(w, plain, q) {
        plain
    } else {
        best.1
    }
}

/// Squared error of the f32 dequantized values `code * scale`, summed in f64.
fn dequantized_error(w: &[f32], scale: f32, q: f32) -> f64 {
    w.iter()
        .map(|&v| {
            let d = f64::from(v) - f64::from(f32::from(code(v, scale, q)) * scale);
            d * d
        })
        .sum()
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
