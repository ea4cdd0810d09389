//! The orthonormal DCT-II used for MFCC (`scipy.fft.dct(type=2, norm="ortho")`).

/// A planned orthonormal DCT-II keeping the first `n_out` of `n_in` coefficients.
///
/// ```
/// use ser_features::DctII;
///
/// let dct = DctII::new(4, 4);
/// let mut out = [0.0; 4];
/// dct.apply(&[1.0, 1.0, 1.0, 1.0], &mut out);
/// // A constant input has only a DC term, sqrt(n) times the value with ortho scaling.
/// assert!((out[0] - 2.0).abs() < 1e-6);
/// assert!(out[1..].iter().all(|v| v.abs() < 1e-6));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DctII {
    n_in: usize,
    n_out: usize,
    /// The basis transposed, `n_in x n_out`: row `i` holds input `i`'s weight in each output,
    /// so one pass over the input updates all outputs at once (vectorised across outputs, and
    /// each output summed in input order: the same result on every CPU).
    basis_t: Vec<f32>,
}

impl DctII {
    /// Plans the transform (`n_out <= n_in`).
    pub fn new(n_in: usize, n_out: usize) -> Self {
        let n_out = n_out.min(n_in);
        let n = n_in as f64;
        let mut basis_t = vec![0f32; n_in * n_out];
        for k in 0..n_out {
            let scale = if k == 0 {
                (1.0 / n).sqrt()
            } else {
                (2.0 / n).sqrt()
            };
            for i in 0..n_in {
                let angle = std::f64::consts::PI * k as f64 * (2 * i + 1) as f64 / (2.0 * n);
                basis_t[i * n_out + k] = (scale * angle.cos()) as f32;
            }
        }
        DctII {
            n_in,
            n_out,
            basis_t,
        }
    }

    /// Input length.
    pub fn n_in(&self) -> usize {
        self.n_in
    }

    /// Number of coefficients kept.
    pub fn n_out(&self) -> usize {
        self.n_out
    }

    /// Transforms `input` (`n_in` values) into `out` (`n_out` values); extra values are ignored.
    pub fn apply(&self, input: &[f32], out: &mut [f32]) {
        let n_out = self.n_out.min(out.len());
        let out = &mut out[..n_out];
        out.fill(0.0);
        if self.n_out == 0 {
            return;
        }
        for (x, row) in input.iter().zip(self.basis_t.chunks_exact(self.n_out)) {
            for (o, w) in out.iter_mut().zip(row) {
                *o += w * x;
            }
        }
    }
}

/// `librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db)` in place over a whole spectrogram:
/// `10 log10(max(S, 1e-10))`, then floored at the maximum minus `top_db`.
///
/// ```
/// use ser_features::power_to_db;
///
/// let mut s = [1.0, 1e-3, 0.0, 1e-12];
/// power_to_db(&mut s, Some(80.0));
/// assert_eq!(s, [0.0, -30.0, -80.0, -80.0]);
/// ```
pub fn power_to_db(values: &mut [f32], top_db: Option<f32>) {
    crate::simd::with_avx(
        #[inline(always)]
        || {
            for v in values.iter_mut() {
                *v = decibels(v.max(1e-10));
            }
        },
    );
    if let Some(top_db) = top_db {
        let floor = crate::simd::max(values) - top_db;
        for v in values.iter_mut() {
            *v = v.max(floor);
        }
    }
}

/// `10 log10(x)` of a positive normal `x`, in plain arithmetic that the compiler vectorises (a
/// call to libm's `log10f` per value does not), and that every CPU rounds alike (no fused
/// multiply-add, no libm whose last bit may differ between systems).
///
/// `x = 2^e m` with `m` in `[sqrt(1/2), sqrt(2))` from its bits; `ln m = 2 atanh(f)` with
/// `f = (m - 1) / (m + 1)`, `|f| <= 0.172`, summed to `f^11 / 11` (the next term is below
/// 1e-11 of the result) in f64, then rounded once to f32: within an ulp of the exact value.
#[inline(always)]
fn decibels(x: f32) -> f32 {
    debug_assert!(x.is_normal() && x > 0.0, "decibels of {x}");
    const SQRT_2: f64 = std::f64::consts::SQRT_2;
    const TEN_OVER_LN_10: f64 = 10.0 / std::f64::consts::LN_10;
    let bits = x.to_bits();
    let exponent = ((bits >> 23) & 0xff) as i32 - 127;
    let mantissa = f64::from(f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000));
    let high = mantissa > SQRT_2;
    let m = if high { mantissa * 0.5 } else { mantissa };
    let e = f64::from(exponent + i32::from(high));
    let f = (m - 1.0) / (m + 1.0);
    let f2 = f * f;
    let series =
        1.0 + f2 * (1.0 / 3.0 + f2 * (1.0 / 5.0 + f2 * (1.0 / 7.0 + f2 * (1.0 / 9.0 + f2 / 11.0))));
    let ln = e * std::f64::consts::LN_2 + 2.0 * f * series;
    (ln * TEN_OVER_LN_10) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_textbook_formula() {
        let (n_in, n_out) = (13, 7);
        let dct = DctII::new(n_in, n_out);
        let x: Vec<f32> = (0..n_in)
            .map(|i| (i as f32 * 0.7).sin() * 3.0 - 1.0)
            .collect();
        let mut out = vec![0.0; n_out];
        dct.apply(&x, &mut out);
        for (k, o) in out.iter().enumerate() {
            let s: f64 = x
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    *v as f64
                        * (std::f64::consts::PI * k as f64 * (2 * i + 1) as f64
                            / (2.0 * n_in as f64))
                            .cos()
                })
                .sum();
            let scale = if k == 0 {
                (1.0 / n_in as f64).sqrt()
            } else {
                (2.0 / n_in as f64).sqrt()
            };
            assert!((*o as f64 - scale * s).abs() < 1e-5);
        }
    }

    #[test]
    fn full_transform_is_orthonormal() {
        let dct = DctII::new(16, 16);
        let x: Vec<f32> = (0..16).map(|i| (i * i % 7) as f32 - 3.0).collect();
        let mut y = vec![0.0; 16];
        dct.apply(&x, &mut y);
        let ex: f32 = x.iter().map(|v| v * v).sum();
        let ey: f32 = y.iter().map(|v| v * v).sum();
        assert!((ex - ey).abs() < 1e-3 * ex);
    }

    #[test]
    fn decibels_are_within_an_ulp_of_the_exact_value() {
        // Every power of ten in range, the ends of each octave, and a dense sweep.
        let mut values: Vec<f32> = (-10..=10).map(|e| 10f32.powi(e)).collect();
        for e in -34..40 {
            let p = 2f32.powi(e);
            let root = std::f32::consts::SQRT_2;
            let above = f32::from_bits(root.to_bits() + 1);
            values.extend([p, p * root, p * above, p * (2.0 - f32::EPSILON)]);
        }
        values.extend((0..200_000).map(|i| 1e-10f32 * 1.000_2f32.powi(i)));
        for x in values.into_iter().filter(|x| x.is_normal()) {
            let exact = 10.0 * f64::from(x).log10();
            let got = decibels(x);
            let ulp = f64::from(got.abs().max(f32::MIN_POSITIVE)) * f64::from(f32::EPSILON);
            assert!(
                (f64::from(got) - exact).abs() <= ulp,
                "{x}: {got} vs {exact}"
            );
        }
        assert_eq!(decibels(1.0), 0.0);
    }

    #[test]
    fn power_to_db_without_floor_keeps_small_values() {
        let mut s = [1.0, 1e-12];
        power_to_db(&mut s, None);
        assert_eq!(s, [0.0, -100.0]);
    }
}
