//! Mel scales and the mel filterbank (`librosa.filters.mel`).

use crate::config::{MelNorm, MelScale};
use crate::simd::dot_sq;

const SLANEY_F_SP: f64 = 200.0 / 3.0;
const SLANEY_MIN_LOG_HZ: f64 = 1000.0;
const SLANEY_MIN_LOG_MEL: f64 = SLANEY_MIN_LOG_HZ / SLANEY_F_SP;

fn slaney_logstep() -> f64 {
    6.4f64.ln() / 27.0
}

/// Converts a frequency in Hz to mels (`librosa.hz_to_mel`).
///
/// ```
/// use ser_features::{hz_to_mel, MelScale};
///
/// assert!((hz_to_mel(1000.0, MelScale::Slaney) - 15.0).abs() < 1e-12);
/// assert!((hz_to_mel(700.0, MelScale::Htk) - 2595.0 * 2f64.log10()).abs() < 1e-9);
/// ```
pub fn hz_to_mel(hz: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 2595.0 * (1.0 + hz / 700.0).log10(),
        MelScale::Slaney => {
            if hz >= SLANEY_MIN_LOG_HZ {
                SLANEY_MIN_LOG_MEL + (hz / SLANEY_MIN_LOG_HZ).ln() / slaney_logstep()
            } else {
                hz / SLANEY_F_SP
            }
        }
    }
}

/// Converts mels to Hz (`librosa.mel_to_hz`), the inverse of [`hz_to_mel`].
pub fn mel_to_hz(mel: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 700.0 * (10f64.powf(mel / 2595.0) - 1.0),
        MelScale::Slaney => {
            if mel >= SLANEY_MIN_LOG_MEL {
                SLANEY_MIN_LOG_HZ * (slaney_logstep() * (mel - SLANEY_MIN_LOG_MEL)).exp()
            } else {
                SLANEY_F_SP * mel
            }
        }
    }
}

/// `numpy.linspace(start, stop, n)` with numpy's rounding (step multiplied, then offset).
pub(crate) fn linspace(start: f64, stop: f64, n: usize) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![start],
        _ => {
            let step = (stop - start) / (n - 1) as f64;
            let mut v: Vec<f64> = (0..n).map(|i| i as f64 * step + start).collect();
            v[n - 1] = stop;
            v
        }
    }
}

/// Centre frequencies of the FFT bins (`librosa.fft_frequencies`, i.e. `numpy.fft.rfftfreq`).
pub fn fft_frequencies(sample_rate: f64, n_fft: usize) -> Vec<f64> {
    let val = 1.0 / (n_fft as f64 * (1.0 / sample_rate));
    (0..n_fft / 2 + 1).map(|i| i as f64 * val).collect()
}

/// `n` frequencies evenly spaced on the mel scale between `fmin` and `fmax`
/// (`librosa.mel_frequencies`).
pub fn mel_frequencies(n: usize, fmin: f64, fmax: f64, scale: MelScale) -> Vec<f64> {
    linspace(hz_to_mel(fmin, scale), hz_to_mel(fmax, scale), n)
        .into_iter()
        .map(|m| mel_to_hz(m, scale))
        .collect()
}

/// One mel filter: its non-zero weights and the first FFT bin they apply to.
#[derive(Debug, Clone, PartialEq)]
struct MelFilter {
    start: usize,
    weights: Vec<f32>,
}

/// A triangular mel filterbank, stored sparsely, equal to `librosa.filters.mel` (float32).
///
/// ```
/// use ser_features::{MelFilterbank, MelNorm, MelScale};
///
/// let fb = MelFilterbank::new(16_000.0, 2048, 128, 0.0, 8_000.0, MelScale::Slaney, MelNorm::Slaney);
/// assert_eq!(fb.n_mels(), 128);
/// let dense = fb.to_dense();
/// assert_eq!(dense.len(), 128 * 1025);
/// // Slaney-normalised filters have unit area in Hz: the weights sum to ~1/bin width.
/// let bin_hz = 16_000.0 / 2048.0;
/// let area: f32 = dense[64 * 1025..65 * 1025].iter().sum::<f32>() * bin_hz;
/// assert!((area - 1.0).abs() < 0.05);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MelFilterbank {
    n_bins: usize,
    filters: Vec<MelFilter>,
}

impl MelFilterbank {
    /// Builds the filterbank for `sample_rate` and `n_fft` (any `fmax` up to Nyquist).
    pub fn new(
        sample_rate: f64,
        n_fft: usize,
        n_mels: usize,
        fmin: f64,
        fmax: f64,
        scale: MelScale,
        norm: MelNorm,
    ) -> Self {
        let fft_freqs = fft_frequencies(sample_rate, n_fft);
        let mel_f = mel_frequencies(n_mels + 2, fmin, fmax, scale);
        let fdiff: Vec<f64> = mel_f.windows(2).map(|w| w[1] - w[0]).collect();
        let filters = (0..n_mels)
            .map(|i| {
                let enorm = match norm {
                    MelNorm::Slaney => Some(2.0 / (mel_f[i + 2] - mel_f[i])),
                    MelNorm::None => None,
                };
                let row: Vec<f32> = fft_freqs
                    .iter()
                    .map(|&f| {
                        let lower = -(mel_f[i] - f) / fdiff[i];
                        let upper = (mel_f[i + 2] - f) / fdiff[i + 1];
                        // librosa stores the triangle as float32, then scales it in float64.
                        let w = 0f64.max(lower.min(upper)) as f32;
                        match enorm {
                            Some(e) => (w as f64 * e) as f32,
                            None => w,
                        }
                    })
                    .collect();
                let first = row.iter().position(|&w| w != 0.0);
                let last = row.iter().rposition(|&w| w != 0.0);
                match (first, last) {
                    (Some(a), Some(b)) => MelFilter {
                        start: a,
                        weights: row[a..=b].to_vec(),
                    },
                    _ => MelFilter {
                        start: 0,
                        weights: Vec::new(),
                    },
                }
            })
            .collect();
        MelFilterbank {
            n_bins: fft_freqs.len(),
            filters,
        }
    }

    /// Number of mel bands.
    pub fn n_mels(&self) -> usize {
        self.filters.len()
    }

    /// Number of FFT bins the filterbank expects.
    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// Bands whose filter has no non-zero weight (too narrow for the FFT resolution); librosa
    /// warns about these, and their output is always zero.
    pub fn empty_bands(&self) -> usize {
        self.filters.iter().filter(|f| f.weights.is_empty()).count()
    }

    /// The dense `n_mels x n_bins` weight matrix, row-major.
    pub fn to_dense(&self) -> Vec<f32> {
        let mut dense = vec![0.0; self.n_mels() * self.n_bins];
        for (row, f) in dense.chunks_exact_mut(self.n_bins).zip(&self.filters) {
            row[f.start..f.start + f.weights.len()].copy_from_slice(&f.weights);
        }
        dense
    }

    /// Mel power of one frame given its magnitude spectrum: `out[m] = sum_k W[m, k] |X_k|^2`.
    ///
    /// `magnitude` holds `n_bins` values and `out` `n_mels` (the caller checks the lengths).
    #[inline(always)]
    pub(crate) fn apply_to_magnitude(&self, magnitude: &[f32], out: &mut [f32]) {
        for (o, f) in out.iter_mut().zip(&self.filters) {
            *o = dot_sq(&f.weights, &magnitude[f.start..f.start + f.weights.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_round_trip() {
        for scale in [MelScale::Slaney, MelScale::Htk] {
            for hz in [0.0, 20.0, 440.0, 999.9, 1000.0, 4000.0, 22050.0] {
                let back = mel_to_hz(hz_to_mel(hz, scale), scale);
                assert!((back - hz).abs() < 1e-9 * (1.0 + hz), "{scale:?} {hz}");
            }
        }
    }

    #[test]
    fn slaney_scale_is_linear_then_log() {
        assert!((hz_to_mel(500.0, MelScale::Slaney) - 7.5).abs() < 1e-12);
        // One "6.4x" frequency ratio above 1 kHz spans 27 mels.
        assert!((hz_to_mel(6400.0, MelScale::Slaney) - 42.0).abs() < 1e-9);
    }

    #[test]
    fn triangles_peak_at_their_centres_without_norm() {
        let fb = MelFilterbank::new(16000.0, 512, 20, 0.0, 8000.0, MelScale::Htk, MelNorm::None);
        let dense = fb.to_dense();
        for row in dense.chunks_exact(fb.n_bins()) {
            let peak = row.iter().cloned().fold(0.0f32, f32::max);
            assert!(peak > 0.5 && peak <= 1.0, "peak {peak}");
        }
        assert_eq!(fb.empty_bands(), 0);
    }

    #[test]
    fn apply_equals_the_dense_product() {
        let fb = MelFilterbank::new(
            22050.0,
            2048,
            128,
            0.0,
            11025.0,
            MelScale::Slaney,
            MelNorm::Slaney,
        );
        let magnitude: Vec<f32> = (0..fb.n_bins())
            .map(|k| ((k * 31 % 97) as f32) / 97.0)
            .collect();
        let mut out = vec![0.0; 128];
        fb.apply_to_magnitude(&magnitude, &mut out);
        let dense = fb.to_dense();
        for (m, row) in dense.chunks_exact(fb.n_bins()).enumerate() {
            let reference: f64 = row
                .iter()
                .zip(&magnitude)
                .map(|(w, x)| *w as f64 * (*x as f64).powi(2))
                .sum();
            assert!((out[m] as f64 - reference).abs() <= 1e-5 * reference.max(1e-3));
        }
    }

    #[test]
    fn linspace_matches_numpy_endpoints() {
        let v = linspace(-0.5, 0.5, 101);
        assert_eq!(v[0], -0.5);
        assert_eq!(v[100], 0.5);
        assert_eq!(v[50], 50.0 * 0.01 - 0.5);
        assert_eq!(linspace(3.0, 9.0, 1), vec![3.0]);
    }
}
