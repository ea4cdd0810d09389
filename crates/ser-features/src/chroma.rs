//! The chroma filterbank (`librosa.filters.chroma`) and tuning estimation
//! (`librosa.piptrack`, `librosa.estimate_tuning`, `librosa.pitch_tuning`).

use crate::mel::fft_frequencies;
use crate::simd::{dot, dot2};

/// Scales a raw chroma frame to a maximum of 1.
fn normalise(out: &mut [f32]) {
    // The raw chroma is a sum of non-negative weights times non-negative magnitudes.
    let peak = crate::simd::max(out).max(0.0);
    // librosa leaves columns below the smallest normal float unnormalised.
    if peak >= f32::MIN_POSITIVE {
        for o in out.iter_mut() {
            *o /= peak;
        }
    }
}

/// Python's `%` (numpy's `remainder`) for a positive divisor, with numpy's rounding but without
/// a call to `fmod`: with `q = floor(a / b)` (moved by one if the division rounded across a
/// multiple of `b`), `a - b q` is exact (`b q` is an integer multiple of a small integer, and
/// Sterbenz's lemma covers the subtraction), and where numpy's `fmod(a, b) + b` rounds, this
/// rounds the same exact value once.
#[inline(always)]
fn py_mod(a: f64, b: f64) -> f64 {
    let q = (a / b).floor();
    let r = a - b * q;
    if r < 0.0 {
        return a - b * (q - 1.0);
    }
    // `r` may round up to `b` itself for a tiny negative `a`, as numpy's `fmod(a, b) + b` does;
    // only a quotient that was one too small leaves a non-negative remainder with one more.
    let above = a - b * (q + 1.0);
    if r >= b && above >= 0.0 { above } else { r }
}

/// `e^x` for each value: [`exp`] when every value is above -700, else the standard library's.
#[inline(always)]
fn exp_in_place(values: &mut [f64]) {
    if values.iter().all(|&x| x >= -700.0) {
        values.iter_mut().for_each(|x| *x = exp(*x));
    } else {
        values.iter_mut().for_each(|x| *x = x.exp());
    }
}

/// `e^x` for `x` in `[-700, 0]`, within an ulp, in plain arithmetic that vectorises and that
/// every CPU rounds alike: `x = k ln 2 + r` (Cody and Waite's two-part `ln 2`), `|r| <= ln 2 / 2`,
/// `e^r` by its Taylor series to `r^13 / 13!` (the next term is below 1e-17 of the sum), scaled
/// by `2^k` from its bits.
#[inline(always)]
fn exp(x: f64) -> f64 {
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    const INVERSE_FACTORIALS: [f64; 13] = [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        1.0 / 2.0,
        1.0,
        1.0,
    ];
    let k = (x * std::f64::consts::LOG2_E).round_ties_even();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let mut p = 1.0 / 6_227_020_800.0;
    for c in INVERSE_FACTORIALS {
        p = p * r + c;
    }
    // `k` is in [-1010, 0] for x in [-700, 0]: a normal power of two.
    p * f64::from_bits(((k as i64 + 1023) as u64) << 52)
}

/// A chroma filterbank: Gaussian bumps on the octave-folded log-frequency axis, equal to
/// `librosa.filters.chroma(sr, n_fft, tuning, n_chroma)` (float32), bins starting at C.
///
/// ```
/// use ser_features::ChromaFilterbank;
///
/// let fb = ChromaFilterbank::new(22_050.0, 2048, 12, 0.0);
/// assert_eq!((fb.n_chroma(), fb.n_bins()), (12, 1025));
/// // A 440 Hz bin lights up A, the 10th pitch class counting from C.
/// let bin = (440.0f64 * 2048.0 / 22_050.0).round() as usize;
/// let column: Vec<f32> = (0..12).map(|c| fb.weights()[c * 1025 + bin]).collect();
/// let loudest = (0..12).max_by(|&a, &b| column[a].total_cmp(&column[b])).unwrap();
/// assert_eq!(loudest, 9);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ChromaFilterbank {
    n_chroma: usize,
    n_bins: usize,
    weights: Vec<f32>,
}

impl ChromaFilterbank {
    /// Builds the filterbank; `tuning` is in fractions of a chroma bin.
    pub fn new(sample_rate: f64, n_fft: usize, n_chroma: usize, tuning: f64) -> Self {
        const CTROCT: f64 = 5.0;
        const OCTWIDTH: f64 = 2.0;
        let nc = n_chroma as f64;
        let a440 = 440.0 * 2f64.powf(tuning / nc);
        let step = sample_rate / n_fft as f64;
        // librosa builds all n_fft columns, then keeps the first n_fft / 2 + 1. A column depends
        // only on its own bin's frequency and the next one's, so we build just the kept columns
        // (for n_fft >= 16 the next bin always exists, so librosa's "last column has width 1"
        // never applies to a kept column).
        let n_bins = n_fft / 2 + 1;
        // frqbins[0..=n_bins]; bin 0 is placed 1.5 octaves below bin 1.
        let mut frqbins = Vec::with_capacity(n_bins + 1);
        frqbins.push(0.0);
        frqbins.extend((1..=n_bins).map(|i| nc * ((i as f64 * step) / (a440 / 16.0)).log2()));
        frqbins[0] = frqbins[1] - 1.5 * nc;
        let binwidth: Vec<f64> = frqbins.windows(2).map(|w| (w[1] - w[0]).max(1.0)).collect();

        let n2 = (nc / 2.0).round_ties_even();
        let mut column = vec![0f64; n_chroma];
        let mut wts = vec![0f64; n_chroma * n_bins];
        // 12 exponentials per column dominate the build (one build per tuning on a corpus):
        // with AVX the column vectorises, four at a time.
        crate::simd::with_avx(
            #[inline(always)]
            || {
                for k in 0..n_bins {
                    let (f, width) = (frqbins[k], binwidth[k]);
                    for (c, w) in column.iter_mut().enumerate() {
                        let d = py_mod(f - c as f64 + n2 + 10.0 * nc, nc) - n2;
                        let z = 2.0 * d / width;
                        *w = -0.5 * (z * z);
                    }
                    exp_in_place(&mut column);
                    let mut len = column.iter().map(|w| w * w).sum::<f64>().sqrt();
                    if len < f64::MIN_POSITIVE {
                        len = 1.0;
                    }
                    let octave = (-0.5 * ((f / nc - CTROCT) / OCTWIDTH).powi(2)).exp();
                    for (c, w) in column.iter().enumerate() {
                        wts[c * n_bins + k] = w / len * octave;
                    }
                }
            },
        );
        // Start at C rather than A: roll the rows by -3 bins per 12.
        let roll = 3 * (n_chroma / 12);
        let mut weights = vec![0f32; n_chroma * n_bins];
        for c in 0..n_chroma {
            let src = (c + roll) % n_chroma;
            for k in 0..n_bins {
                weights[c * n_bins + k] = wts[src * n_bins + k] as f32;
            }
        }
        ChromaFilterbank {
            n_chroma,
            n_bins,
            weights,
        }
    }

    /// Number of chroma bins.
    pub fn n_chroma(&self) -> usize {
        self.n_chroma
    }

    /// Number of FFT bins the filterbank expects.
    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// The `n_chroma x n_bins` weights, row-major.
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// The chroma of each spectrum frame of `spectra` (frame-major, `n_bins` per frame) into
    /// `out` (`n_chroma` per frame), each normalised so its largest bin is 1 (librosa's
    /// `norm=np.inf`); an all-zero frame stays zero.
    pub(crate) fn apply_normalised(&self, spectra: &[f32], out: &mut [f32]) {
        let (n, k) = (self.n_bins, self.n_chroma);
        // Frames in pairs: the weights (48 KiB at 2048 points, more than L1) are read once for
        // two frames, which halves the traffic this product is bound by.
        let pairs = spectra.chunks_exact(2 * n).zip(out.chunks_exact_mut(2 * k));
        for (s, o) in pairs {
            let ((s0, s1), (o0, o1)) = (s.split_at(n), o.split_at_mut(k));
            for (r, row) in self.weights.chunks_exact(n).enumerate() {
                (o0[r], o1[r]) = dot2(s0, s1, row);
            }
            normalise(o0);
            normalise(o1);
        }
        let frames = spectra.len() / n;
        if frames % 2 == 1 {
            let (s, o) = (
                &spectra[(frames - 1) * n..frames * n],
                &mut out[(frames - 1) * k..],
            );
            for (o, row) in o.iter_mut().zip(self.weights.chunks_exact(n)) {
                *o = dot(row, s);
            }
            normalise(o);
        }
    }
}

/// Frequency range and bin geometry of `librosa.piptrack` with its defaults
/// (fmin 150 Hz, fmax min(4000 Hz, Nyquist), threshold 0.1).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PitchTracker {
    sample_rate: f64,
    n_fft: usize,
    /// Bins `k` with `150 <= f_k < fmax`.
    bins: std::ops::Range<usize>,
}

/// Scratch buffers of [`PitchTracker::peaks`], reused across frames.
#[derive(Debug, Default)]
pub(crate) struct PeakScratch {
    /// Bit `j` says bin `lo + j` is a local maximum (see [`crate::simd::local_maxima`]).
    maxima: Vec<u64>,
    /// The peaks of every frame so far, and the buffers of [`estimate_tuning`].
    pub(crate) peaks: Vec<Peak>,
    magnitudes: Vec<f32>,
    strong: Vec<f32>,
}

/// One spectral peak: its interpolated frequency and magnitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Peak {
    pub(crate) pitch: f32,
    pub(crate) magnitude: f32,
}

impl PitchTracker {
    pub(crate) fn new(sample_rate: f64, n_fft: usize) -> Self {
        let fmin = 150.0f64;
        let fmax = 4000.0f64.min(sample_rate / 2.0);
        let freqs = fft_frequencies(sample_rate, n_fft);
        let first = freqs.iter().position(|&f| fmin <= f).unwrap_or(freqs.len());
        let end = freqs
            .iter()
            .position(|&f| f >= fmax)
            .unwrap_or(freqs.len())
            .max(first);
        PitchTracker {
            sample_rate,
            n_fft,
            bins: first..end,
        }
    }

    /// Appends the peaks of one frame (`spectrum` holds `n_fft / 2 + 1` non-negative values).
    ///
    /// `flags` is scratch space, reused across frames.
    #[inline(always)]
    pub(crate) fn peaks(&self, spectrum: &[f32], flags: &mut PeakScratch, out: &mut Vec<Peak>) {
        let n = spectrum.len();
        // The feasible bins (150 Hz to 4 kHz, below Nyquist) never include the first or last
        // bin, so every candidate has two neighbours; clamp in case of a tiny FFT.
        let (lo, hi) = (
            self.bins.start.max(1),
            self.bins.end.min(n.saturating_sub(1)),
        );
        if lo >= hi {
            return;
        }
        let reference = 0.1f32 * crate::simd::max(spectrum);
        // librosa's localmax of the gated spectrum (bins at most `reference` set to 0), as bit
        // flags; only the few flagged bins are visited below.
        crate::simd::local_maxima(spectrum, lo..hi, reference, &mut flags.maxima);
        let flagged = flags.maxima.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let j = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    64 * w + j
                })
            })
        });
        for offset in flagged {
            let i = lo + offset;
            let (below, mid, above) = (spectrum[i - 1], spectrum[i], spectrum[i + 1]);
            // Parabolic interpolation and gradient at bin i, with librosa's mixed f32/f64
            // arithmetic (numba promotes `2 * x` and `x / 2` to f64 in the stencil).
            let a = (above + below) as f64 - 2.0 * mid as f64;
            let b = (above - below) as f64 / 2.0;
            let shift = if b.abs() >= a.abs() {
                0.0
            } else {
                (-b / a) as f32
            };
            let avg = (above - below) / 2.0;
            let dskew = 0.5f32 * avg * shift;
            let pitch = ((i as f64 + shift as f64) * self.sample_rate / self.n_fft as f64) as f32;
            out.push(Peak {
                pitch,
                magnitude: mid + dskew,
            });
        }
    }
}

/// numpy's median of f32 values (the mean of the two middle values for an even count, in f32).
fn median_f32(values: &mut [f32]) -> f32 {
    let n = values.len();
    let (below, &mut upper, _) = values.select_nth_unstable_by(n / 2, f32::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        // The largest value below the upper middle is the lower middle.
        let lower = below.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        (lower + upper) / 2.0
    }
}

/// `librosa.estimate_tuning` from the peaks `piptrack` found: keep the peaks at least as strong
/// as their median and return [`pitch_tuning`] of their frequencies.
pub(crate) fn estimate_tuning(scratch: &mut PeakScratch, bins_per_octave: usize) -> f64 {
    let PeakScratch {
        peaks,
        magnitudes,
        strong,
        ..
    } = scratch;
    let voiced = |p: &&Peak| p.pitch > 0.0;
    magnitudes.clear();
    magnitudes.extend(peaks.iter().filter(voiced).map(|p| p.magnitude));
    let threshold = if magnitudes.is_empty() {
        0.0
    } else {
        median_f32(magnitudes)
    };
    strong.clear();
    strong.extend(
        peaks
            .iter()
            .filter(voiced)
            .filter(|p| p.magnitude >= threshold)
            .map(|p| p.pitch),
    );
    pitch_tuning(strong, bins_per_octave)
}

/// numpy.histogram's bin of `r` over the ascending `edges`: `[e_j, e_j+1)`, except the last
/// bin, which is closed; `None` outside. The edges are evenly spaced, so the bin is found from
/// a guess within one of it, then moved to `edges.partition_point(|e| e <= r) - 1` exactly.
fn histogram_bin(edges: &[f64], r: f64) -> Option<usize> {
    let n = edges.len() - 1;
    if !(r >= edges[0] && r <= edges[n]) {
        return None;
    }
    let guess = (r - edges[0]) / (edges[n] - edges[0]) * n as f64;
    let mut bin = (guess as usize).min(n - 1);
    while bin + 1 < n && edges[bin + 1] <= r {
        bin += 1;
    }
    while bin > 0 && edges[bin] > r {
        bin -= 1;
    }
    Some(bin)
}

/// `librosa.pitch_tuning(frequencies, resolution=0.01)`: the most common deviation of the
/// frequencies from the equal-tempered grid, in fractions of a bin, in `[-0.5, 0.5)`.
/// Returns 0 when no frequency is positive (librosa warns and does the same).
///
/// ```
/// use ser_features::pitch_tuning;
///
/// // 30 cents sharp of A4 and its octave.
/// let sharp = 440.0 * 2f32.powf(0.3 / 12.0);
/// let tuning = pitch_tuning(&[sharp, 2.0 * sharp, sharp], 12);
/// assert!((tuning - 0.3).abs() < 0.011);
/// assert_eq!(pitch_tuning(&[], 12), 0.0);
/// ```
pub fn pitch_tuning(frequencies: &[f32], bins_per_octave: usize) -> f64 {
    const N_BINS: usize = 100; // ceil(1 / resolution)
    // numpy.linspace(-0.5, 0.5, N_BINS + 1), as `mel::linspace` computes it, on the stack.
    let step = 1.0 / N_BINS as f64;
    let mut edges: [f64; N_BINS + 1] = core::array::from_fn(|i| i as f64 * step - 0.5);
    edges[N_BINS] = 0.5;
    let mut counts = [0u32; N_BINS];
    let mut any = false;
    let bpo = bins_per_octave as f32;
    for &f in frequencies.iter().filter(|&&f| f > 0.0) {
        any = true;
        let octs = (f / 27.5f32).log2();
        let x = bpo * octs;
        // `x % 1.0`, exactly (the fraction bits of `x`, with its sign; a zero of either sign
        // is treated alike below).
        let mut r = x - x.trunc();
        if r != 0.0 && r < 0.0 {
            r += 1.0;
        }
        if r >= 0.5 {
            r -= 1.0;
        }
        let r = r as f64;
        if let Some(bin) = histogram_bin(&edges, r) {
            counts[bin] += 1;
        }
    }
    if !any {
        return 0.0;
    }
    let mut best = 0;
    for (j, &c) in counts.iter().enumerate() {
        if c > counts[best] {
            best = j;
        }
    }
    edges[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The filterbank as librosa computes it, with libm's `exp` and `pow`: the reference for
    /// the vectorised build.
    fn libm_filterbank(
        sample_rate: f64,
        n_fft: usize,
        n_chroma: usize,
        tuning: f64,
    ) -> ChromaFilterbank {
        const CTROCT: f64 = 5.0;
        const OCTWIDTH: f64 = 2.0;
        let nc = n_chroma as f64;
        let a440 = 440.0 * 2f64.powf(tuning / nc);
        let step = sample_rate / n_fft as f64;
        // librosa builds all n_fft columns, then keeps the first n_fft / 2 + 1. A column depends
        // only on its own bin's frequency and the next one's, so we build just the kept columns
        // (for n_fft >= 16 the next bin always exists, so librosa's "last column has width 1"
        // never applies to a kept column).
        let n_bins = n_fft / 2 + 1;
        // frqbins[0..=n_bins]; bin 0 is placed 1.5 octaves below bin 1.
        let mut frqbins = Vec::with_capacity(n_bins + 1);
        frqbins.push(0.0);
        frqbins.extend((1..=n_bins).map(|i| nc * ((i as f64 * step) / (a440 / 16.0)).log2()));
        frqbins[0] = frqbins[1] - 1.5 * nc;
        let binwidth: Vec<f64> = frqbins.windows(2).map(|w| (w[1] - w[0]).max(1.0)).collect();

        let n2 = (nc / 2.0).round_ties_even();
        let mut column = vec![0f64; n_chroma];
        let mut wts = vec![0f64; n_chroma * n_bins];
        for k in 0..n_bins {
            for (c, w) in column.iter_mut().enumerate() {
                let d = py_mod(frqbins[k] - c as f64 + n2 + 10.0 * nc, nc) - n2;
                *w = (-0.5 * (2.0 * d / binwidth[k]).powi(2)).exp();
            }
            let mut len = column.iter().map(|w| w * w).sum::<f64>().powf(0.5);
            if len < f64::MIN_POSITIVE {
                len = 1.0;
            }
            let octave = (-0.5 * ((frqbins[k] / nc - CTROCT) / OCTWIDTH).powi(2)).exp();
            for (c, w) in column.iter().enumerate() {
                wts[c * n_bins + k] = w / len * octave;
            }
        }
        // Start at C rather than A: roll the rows by -3 bins per 12.
        let roll = 3 * (n_chroma / 12);
        let mut weights = vec![0f32; n_chroma * n_bins];
        for c in 0..n_chroma {
            let src = (c + roll) % n_chroma;
            for k in 0..n_bins {
                weights[c * n_bins + k] = wts[src * n_bins + k] as f32;
            }
        }
        ChromaFilterbank {
            n_chroma,
            n_bins,
            weights,
        }
    }

    #[test]
    fn the_vectorised_build_equals_libms_bit_for_bit() {
        let mut tunings: Vec<f64> = (0..100).map(|i| i as f64 * 0.01 - 0.5).collect();
        tunings.extend([0.123_456, -0.333_3, 0.499_9]);
        for (sr, n_fft, n_chroma) in [
            (16_000.0, 2048, 12),
            (22_050.0, 2048, 12),
            (44_100.0, 4096, 12),
            (8_000.0, 512, 24),
            (48_000.0, 1024, 36),
        ] {
            for &t in &tunings {
                let (want, got) = (
                    libm_filterbank(sr, n_fft, n_chroma, t),
                    ChromaFilterbank::new(sr, n_fft, n_chroma, t),
                );
                let same = want
                    .weights
                    .iter()
                    .zip(&got.weights)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(
                    same,
                    "sr {sr}, n_fft {n_fft}, n_chroma {n_chroma}, tuning {t}"
                );
            }
        }
    }

    #[test]
    fn exp_is_within_an_ulp_of_libms() {
        for i in 0..=700_000 {
            let x = -(i as f64) * 1e-3 - (i % 7) as f64 * 1e-11;
            let (ours, libm) = (exp(x), x.exp());
            assert!(
                (ours.to_bits() as i64 - libm.to_bits() as i64).abs() <= 1,
                "{x}"
            );
        }
        assert_eq!(exp(0.0), 1.0);
    }

    /// numpy's `remainder` as the reference: `fmod`, then the divisor added to a remainder of
    /// the other sign.
    fn numpy_remainder(a: f64, b: f64) -> f64 {
        let r = a % b;
        if r != 0.0 && ((r < 0.0) != (b < 0.0)) {
            r + b
        } else {
            r
        }
    }

    #[test]
    fn py_mod_is_numpys_remainder() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for b in [12.0, 24.0, 7.0, 1.0] {
            for i in 0..200_000 {
                let a = match i % 3 {
                    // Anywhere in the range the filterbank uses, negative values included.
                    0 => (next() >> 11) as f64 / (1u64 << 53) as f64 * 600.0 - 200.0,
                    // Next to a multiple of b, where the division rounds.
                    1 => {
                        let m = b * ((next() % 40) as f64 - 15.0);
                        let ulps = (next() % 7) as i64 - 3;
                        f64::from_bits((m.to_bits() as i64 + ulps) as u64)
                    }
                    _ => {
                        f64::from_bits(next() % 0x4070_0000_0000_0000)
                            * if i % 2 == 0 { 1.0 } else { -1.0 }
                    }
                };
                if !a.is_finite() {
                    continue;
                }
                assert_eq!(py_mod(a, b), numpy_remainder(a, b), "{a} % {b}");
            }
        }
    }

    #[test]
    fn columns_are_unit_norm_before_octave_weighting() {
        // With the octave weighting divided out, every column has unit L2 norm.
        let fb = ChromaFilterbank::new(16000.0, 1024, 12, 0.0);
        let step = 16000.0 / 1024.0;
        for k in 1..fb.n_bins() {
            let frq = 12.0 * ((k as f64 * step) / 27.5).log2();
            let octave = (-0.5 * ((frq / 12.0 - 5.0) / 2.0).powi(2)).exp();
            let norm: f64 = (0..12)
                .map(|c| (fb.weights()[c * fb.n_bins() + k] as f64 / octave).powi(2))
                .sum::<f64>()
                .sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "bin {k}: {norm}");
        }
    }

    #[test]
    fn normalised_chroma_peaks_at_one_and_zero_stays_zero() {
        let fb = ChromaFilterbank::new(16000.0, 2048, 12, 0.0);
        let mut spectrum = vec![0.0f32; fb.n_bins()];
        let mut out = vec![0.0; 12];
        fb.apply_normalised(&spectrum, &mut out);
        assert!(out.iter().all(|&v| v == 0.0));
        spectrum[56] = 3.0; // ~437 Hz
        fb.apply_normalised(&spectrum, &mut out);
        assert_eq!(out.iter().cloned().fold(0.0, f32::max), 1.0);
        assert_eq!(out[9], 1.0);
    }

    #[test]
    fn frames_in_pairs_equal_frames_one_at_a_time() {
        let fb = ChromaFilterbank::new(16000.0, 2048, 12, 0.13);
        let n = fb.n_bins();
        let spectra: Vec<f32> = crate::test_util::seeded_signal(5, 5 * n)
            .iter()
            .map(|v| v.abs())
            .collect();
        let mut together = vec![0.0; 5 * 12];
        fb.apply_normalised(&spectra, &mut together);
        for t in 0..5 {
            let mut alone = vec![0.0; 12];
            fb.apply_normalised(&spectra[t * n..(t + 1) * n], &mut alone);
            let same = alone
                .iter()
                .zip(&together[t * 12..])
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "frame {t}");
        }
    }

    #[test]
    fn histogram_bins_are_numpys() {
        // pitch_tuning's edges.
        let mut edges: Vec<f64> = (0..=100).map(|i| i as f64 * 0.01 - 0.5).collect();
        edges[100] = 0.5;
        let edges = &edges[..];
        let search = |r: f64| {
            (r >= edges[0] && r <= edges[100])
                .then(|| edges.partition_point(|&e| e <= r).saturating_sub(1).min(99))
        };
        for &e in edges {
            for r in [e, e.next_up(), e.next_down(), e + 0.003, e - 0.007] {
                assert_eq!(histogram_bin(edges, r), search(r), "{r}");
            }
        }
        assert_eq!(histogram_bin(edges, f64::NAN), None);
    }

    #[test]
    fn tuning_histogram_follows_numpy_edges() {
        // Exactly on the grid: residual 0 falls in the bin starting at 0.0.
        assert_eq!(pitch_tuning(&[440.0, 880.0, 220.0], 12), 0.0);
        // Slightly flat: residual -0.2 -> bin starting at -0.2 (or the one below, by rounding).
        let flat = 440.0 * 2f32.powf(-0.2 / 12.0);
        let t = pitch_tuning(&[flat; 5], 12);
        assert!((t + 0.2).abs() <= 0.0100001, "{t}");
        // Near a semitone boundary the residual wraps to the negative side.
        let wrap = 440.0 * 2f32.powf(0.55 / 12.0);
        assert!(pitch_tuning(&[wrap], 12) < 0.0);
    }

    #[test]
    fn peaks_find_an_interpolated_sinusoid() {
        let tracker = PitchTracker::new(16000.0, 2048);
        // A peak between bins 56 and 57 (~441 Hz).
        let mut spectrum = vec![0.0f32; 1025];
        spectrum[55] = 0.2;
        spectrum[56] = 1.0;
        spectrum[57] = 0.8;
        spectrum[58] = 0.1;
        let mut peaks = Vec::new();
        tracker.peaks(&spectrum, &mut PeakScratch::default(), &mut peaks);
        assert_eq!(peaks.len(), 1);
        // librosa's parabola: a = x[+1] + x[-1] - 2 x[0] = -1.0, b = (x[+1] - x[-1]) / 2 = 0.3,
        // shift = -b / a = 0.3 bins.
        let expected = (56.0 + 0.3) * 16000.0 / 2048.0;
        assert!(
            (peaks[0].pitch as f64 - expected).abs() < 1e-3,
            "{:?}",
            peaks[0]
        );
        assert!(peaks[0].magnitude > 1.0);
    }

    #[test]
    fn median_is_numpys() {
        assert_eq!(median_f32(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median_f32(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn python_modulo_takes_the_divisor_sign() {
        assert_eq!(py_mod(-1.5, 12.0), 10.5);
        assert_eq!(py_mod(25.0, 12.0), 1.0);
    }
}
