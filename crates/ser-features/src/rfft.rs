//! Magnitudes of a real FFT of even length, with the real-input post-processing fused into the
//! magnitudes.
//!
//! A real FFT of `n` points is a complex FFT of `n / 2` points of the samples taken in pairs,
//! followed by a post-processing step that combines bins `k` and `n / 2 - k` with a twiddle
//! factor. realfft does that step one complex value at a time and writes the spectrum out, and
//! the magnitudes read it back. Here the step runs eight bin pairs at a time with AVX and writes
//! the magnitudes straight away. The arithmetic is realfft's, operation for operation (the same
//! twiddles, products and sums, no fused multiply-add), and every lane does it alike, so the
//! magnitudes are bit-identical to `realfft` followed by [`crate::simd::magnitudes`] on every
//! CPU; a test compares them for many lengths.

use std::sync::Arc;

use realfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// A planned magnitude real FFT of an even length.
#[derive(Clone)]
pub(crate) struct RealFftMagnitude {
    n: usize,
    half: Arc<dyn Fft<f32>>,
    /// realfft's twiddles, `exp(-2 pi i k / n) / 2` for `k = 1..` (rounded to f32 as realfft
    /// rounds them), split into their real and imaginary parts.
    twiddle_re: Vec<f32>,
    twiddle_im: Vec<f32>,
}

impl RealFftMagnitude {
    /// Plans a transform of `n` points; `None` when `n` is odd or zero.
    pub(crate) fn new(n: usize) -> Option<Self> {
        if n == 0 || n % 2 == 1 {
            return None;
        }
        // The same count and values as realfft's `RealToComplexEven::new`.
        let count = if n.is_multiple_of(4) {
            n / 4
        } else {
            n / 4 + 1
        };
        let (twiddle_re, twiddle_im) = (1..count)
            .map(|k| {
                let angle = -2f64 * std::f64::consts::PI / n as f64 * k as f64;
                (angle.cos() as f32 * 0.5, angle.sin() as f32 * 0.5)
            })
            .unzip();
        Some(RealFftMagnitude {
            n,
            half: FftPlanner::new().plan_fft_forward(n / 2),
            twiddle_re,
            twiddle_im,
        })
    }

    /// Length of the complex scratch [`Self::process`] needs.
    pub(crate) fn scratch_len(&self) -> usize {
        self.half.get_outofplace_scratch_len()
    }

    /// Writes `|FFT(frame)|` (`n / 2 + 1` bins) to `out`; `frame` (`n` samples) is overwritten.
    /// `half` holds `n / 2` values and `scratch` [`Self::scratch_len`].
    pub(crate) fn process(
        &self,
        frame: &mut [f32],
        half: &mut [Complex<f32>],
        scratch: &mut [Complex<f32>],
        out: &mut [f32],
    ) {
        let m = self.n / 2;
        debug_assert!(frame.len() == self.n && half.len() == m && out.len() == m + 1);
        self.half
            .process_outofplace_with_scratch(as_complex(frame), half, scratch);
        let first = half[0];
        let dc = first.re + first.im;
        let nyquist = first.re - first.im;
        // realfft's bins 0 and m are real: `re^2 + 0^2` is `re^2`.
        out[0] = (dc * dc).sqrt();
        out[m] = (nyquist * nyquist).sqrt();
        let pairs = self.twiddle_re.len();
        let done = pairs_simd(half, &self.twiddle_re, &self.twiddle_im, out);
        for k in done + 1..=pairs {
            let (fwd, rev) = pair(
                half[k],
                half[m - k],
                self.twiddle_re[k - 1],
                self.twiddle_im[k - 1],
            );
            out[k] = fwd;
            out[m - k] = rev;
        }
        // An even `m` leaves the middle bin unpaired; realfft negates its imaginary part,
        // which its magnitude does not see.
        if m.is_multiple_of(2) && m > 0 {
            let c = half[m / 2];
            out[m / 2] = (c.re * c.re + c.im * c.im).sqrt();
        }
    }
}

/// The samples in pairs, as the complex input of the half-length FFT (even samples real, odd
/// ones imaginary); a trailing odd sample is left out.
#[allow(unsafe_code)]
fn as_complex(frame: &mut [f32]) -> &mut [Complex<f32>] {
    // SAFETY: `Complex<f32>` is `repr(C)` with two f32 fields, so it has f32's alignment and
    // twice its size: `len / 2` complex values cover the first `2 (len / 2)` floats, and the
    // borrow of `frame` is moved into the result.
    unsafe { std::slice::from_raw_parts_mut(frame.as_mut_ptr().cast(), frame.len() / 2) }
}

/// The magnitudes of bins `k` and `m - k` from the half-length FFT's bins `x = X[k]` and
/// `y = X[m - k]`: realfft's post-processing, then `sqrt(re^2 + im^2)`.
#[inline(always)]
fn pair(x: Complex<f32>, y: Complex<f32>, tw_re: f32, tw_im: f32) -> (f32, f32) {
    let (sum_re, sum_im) = (x.re + y.re, x.im + y.im);
    let (diff_re, diff_im) = (x.re - y.re, x.im - y.im);
    let half_sum_re = 0.5 * sum_re;
    let half_diff_im = 0.5 * diff_im;
    let twiddled_re = sum_im * tw_re + diff_re * tw_im;
    let twiddled_im = sum_im * tw_im - diff_re * tw_re;
    let (re, im) = (half_sum_re + twiddled_re, half_diff_im + twiddled_im);
    let (rev_re, rev_im) = (half_sum_re - twiddled_re, twiddled_im - half_diff_im);
    (
        (re * re + im * im).sqrt(),
        (rev_re * rev_re + rev_im * rev_im).sqrt(),
    )
}

/// The pairs `k = 1..=done` done eight at a time, returning `done` (a multiple of 8; 0 without
/// AVX).
#[allow(unsafe_code)]
fn pairs_simd(half: &[Complex<f32>], tw_re: &[f32], tw_im: &[f32], out: &mut [f32]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU supports AVX, checked just above.
        return unsafe { avx::pairs(half, tw_re, tw_im, out) };
    }
    let _ = (half, tw_re, tw_im, out);
    0
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx {
    use std::arch::x86_64::*;

    use realfft::num_complex::Complex;

    /// Four complex values from `c[at..at + 4]` (8 floats).
    ///
    /// # Safety
    /// AVX must be available and `at + 4 <= c.len()`.
    #[inline(always)]
    unsafe fn load4(c: &[Complex<f32>], at: usize) -> __m256 {
        debug_assert!(at + 4 <= c.len());
        // SAFETY: `Complex<f32>` is `repr(C)`, two f32; the caller keeps the 8 floats in bounds.
        unsafe { _mm256_loadu_ps(c.as_ptr().add(at).cast::<f32>()) }
    }

    /// The real and imaginary parts, in order, of the eight complex values in `a` then `b`.
    #[inline(always)]
    fn split(a: __m256, b: __m256) -> (__m256, __m256) {
        // SAFETY: register-only AVX operations; the enclosing function enables AVX.
        unsafe {
            let lo = _mm256_permute2f128_ps(a, b, 0x20);
            let hi = _mm256_permute2f128_ps(a, b, 0x31);
            (
                _mm256_shuffle_ps(lo, hi, 0b10_00_10_00),
                _mm256_shuffle_ps(lo, hi, 0b11_01_11_01),
            )
        }
    }

    /// The eight lanes of `v` in reverse order.
    #[inline(always)]
    fn reverse(v: __m256) -> __m256 {
        // SAFETY: register-only AVX operations; the enclosing function enables AVX.
        unsafe { _mm256_permute_ps(_mm256_permute2f128_ps(v, v, 0x01), 0b00_01_10_11) }
    }

    /// [`super::pair`] for `k = 1..=8 j` in blocks of eight, over every whole block.
    #[target_feature(enable = "avx")]
    pub(super) fn pairs(
        half: &[Complex<f32>],
        tw_re: &[f32],
        tw_im: &[f32],
        out: &mut [f32],
    ) -> usize {
        let m = half.len();
        let blocks = tw_re.len().min(tw_im.len()) / 8;
        // Pairs are k and m - k with k <= tw_re.len() < m - k, so both sides stay in bounds.
        assert!(m > 2 * blocks * 8 && out.len() > m);
        for b in 0..blocks {
            let k = 1 + 8 * b;
            // SAFETY: AVX is enabled for this function. Loads read X[k..k + 8], X[m - k - 7
            // ..= m - k] and twiddles k - 1 .. k + 7, stores write out[k..k + 8] and
            // out[m - k - 7 ..= m - k]: inside the slices by the assertion above.
            unsafe {
                let (x_re, x_im) = split(load4(half, k), load4(half, k + 4));
                let (y_re, y_im) = split(load4(half, m - k - 7), load4(half, m - k - 3));
                let (y_re, y_im) = (reverse(y_re), reverse(y_im));
                let t_re = _mm256_loadu_ps(tw_re.as_ptr().add(k - 1));
                let t_im = _mm256_loadu_ps(tw_im.as_ptr().add(k - 1));
                let half_v = _mm256_set1_ps(0.5);
                let sum_re = _mm256_add_ps(x_re, y_re);
                let sum_im = _mm256_add_ps(x_im, y_im);
                let diff_re = _mm256_sub_ps(x_re, y_re);
                let diff_im = _mm256_sub_ps(x_im, y_im);
                let half_sum_re = _mm256_mul_ps(half_v, sum_re);
                let half_diff_im = _mm256_mul_ps(half_v, diff_im);
                let twiddled_re =
                    _mm256_add_ps(_mm256_mul_ps(sum_im, t_re), _mm256_mul_ps(diff_re, t_im));
                let twiddled_im =
                    _mm256_sub_ps(_mm256_mul_ps(sum_im, t_im), _mm256_mul_ps(diff_re, t_re));
                let re = _mm256_add_ps(half_sum_re, twiddled_re);
                let im = _mm256_add_ps(half_diff_im, twiddled_im);
                let rev_re = _mm256_sub_ps(half_sum_re, twiddled_re);
                let rev_im = _mm256_sub_ps(twiddled_im, half_diff_im);
                let fwd =
                    _mm256_sqrt_ps(_mm256_add_ps(_mm256_mul_ps(re, re), _mm256_mul_ps(im, im)));
                let rev = _mm256_sqrt_ps(_mm256_add_ps(
                    _mm256_mul_ps(rev_re, rev_re),
                    _mm256_mul_ps(rev_im, rev_im),
                ));
                _mm256_storeu_ps(out.as_mut_ptr().add(k), fwd);
                _mm256_storeu_ps(out.as_mut_ptr().add(m - k - 7), reverse(rev));
            }
        }
        blocks * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::seeded_signal;
    use realfft::RealFftPlanner;

    /// realfft's spectrum, then the crate's magnitudes: what [`RealFftMagnitude`] replaces.
    fn reference(samples: &[f32]) -> Vec<f32> {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(samples.len());
        let mut input = samples.to_vec();
        let mut spectrum = fft.make_output_vec();
        fft.process(&mut input, &mut spectrum).unwrap();
        let mut out = vec![0.0; spectrum.len()];
        crate::simd::magnitudes(&spectrum, &mut out);
        out
    }

    fn fused(samples: &[f32]) -> Vec<f32> {
        let fft = RealFftMagnitude::new(samples.len()).unwrap();
        let mut frame = samples.to_vec();
        let mut half = vec![Complex::default(); frame.len() / 2];
        let mut scratch = vec![Complex::default(); fft.scratch_len()];
        let mut out = vec![0.0; frame.len() / 2 + 1];
        fft.process(&mut frame, &mut half, &mut scratch, &mut out);
        out
    }

    #[test]
    fn equals_realfft_then_magnitudes_bit_for_bit() {
        let lengths = (2..=80).step_by(2).chain([
            126, 128, 130, 254, 256, 510, 512, 1000, 1024, 2046, 2048, 4096,
        ]);
        for (seed, n) in lengths.enumerate() {
            let samples = seeded_signal(seed as u64, n);
            let (want, got) = (reference(&samples), fused(&samples));
            let same = want
                .iter()
                .zip(&got)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same && want.len() == got.len(), "n = {n}");
        }
    }

    #[test]
    fn zeros_and_tiny_values_give_the_same_bits() {
        for n in [16, 2048] {
            let mut samples = vec![0.0f32; n];
            assert_eq!(reference(&samples), fused(&samples));
            samples[3] = f32::MIN_POSITIVE;
            samples[n - 1] = -1e-30;
            let (want, got) = (reference(&samples), fused(&samples));
            assert!(
                want.iter()
                    .zip(&got)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );
        }
    }

    #[test]
    fn odd_and_zero_lengths_are_not_planned() {
        assert!(RealFftMagnitude::new(0).is_none());
        assert!(RealFftMagnitude::new(15).is_none());
    }
}
