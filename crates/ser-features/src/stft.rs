//! The centred short-time Fourier transform with zero padding and a periodic Hann window.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use crate::error::{FeatureError, Result};
use crate::rfft::RealFftMagnitude;
use crate::simd::magnitudes;

/// The per-thread buffers of [`Stft::magnitude`]: one frame, its spectrum, the FFT's scratch.
type FftBuffers = (Vec<f32>, Vec<Complex<f32>>, Vec<Complex<f32>>);

thread_local! {
    /// Reused by every STFT on the thread, so a frame allocates nothing.
    static FFT_BUFFERS: RefCell<FftBuffers> = const { RefCell::new((Vec::new(), Vec::new(), Vec::new())) };
}

/// A planned magnitude STFT: `librosa.stft(y, n_fft, hop_length, window="hann", center=True,
/// pad_mode="constant")` followed by `np.abs`.
///
/// Frames are centred: the signal is padded with `n_fft / 2` zeros on each side, so a signal of
/// `n` samples gives `1 + n / hop_length` frames (for even `n_fft`), and even a one-sample signal
/// gives one frame. The plan (window and FFT) is built once; [`Stft::magnitude`] can then be
/// called from many threads at once.
///
/// ```
/// use ser_features::Stft;
///
/// let stft = Stft::new(2048, 512)?;
/// let signal = vec![0.5f32; 4000];
/// let frames = stft.n_frames(signal.len());
/// let mut spectrogram = vec![0.0; frames * stft.n_bins()];
/// stft.magnitude(&signal, &mut spectrogram)?;
/// // A constant signal puts its energy at DC in the middle frames.
/// let middle = &spectrogram[3 * stft.n_bins()..4 * stft.n_bins()];
/// assert!(middle[0] > 100.0 * middle[10]);
/// # Ok::<(), ser_features::FeatureError>(())
/// ```
#[derive(Clone)]
pub struct Stft {
    n_fft: usize,
    hop_length: usize,
    window: Vec<f32>,
    fft: Fft,
}

/// The transform behind an [`Stft`]: the fused magnitude FFT for even sizes, realfft for odd.
#[derive(Clone)]
enum Fft {
    Even(RealFftMagnitude),
    Odd(Arc<dyn RealToComplex<f32>>),
}

impl Fft {
    fn new(n: usize) -> Self {
        match RealFftMagnitude::new(n) {
            Some(fft) => Fft::Even(fft),
            None => Fft::Odd(RealFftPlanner::<f32>::new().plan_fft_forward(n)),
        }
    }

    /// Complex values of the spectrum buffer, and of the scratch.
    fn buffer_lens(&self, n: usize) -> (usize, usize) {
        match self {
            Fft::Even(fft) => (n / 2, fft.scratch_len()),
            Fft::Odd(fft) => (fft.complex_len(), fft.get_scratch_len()),
        }
    }
}

impl fmt::Debug for Stft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stft")
            .field("n_fft", &self.n_fft)
            .field("hop_length", &self.hop_length)
            .finish_non_exhaustive()
    }
}

/// The periodic Hann window of length `n` (`scipy.signal.get_window("hann", n, fftbins=True)`).
pub fn hann_window(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let phase = 2.0 * std::f64::consts::PI * i as f64 / n as f64;
            (0.5 - 0.5 * phase.cos()) as f32
        })
        .collect()
}

impl Stft {
    /// Plans an STFT of `n_fft` points with a hop of `hop_length` samples.
    pub fn new(n_fft: usize, hop_length: usize) -> Result<Self> {
        if n_fft < 2 {
            return Err(FeatureError::Config {
                field: "n_fft",
                reason: "must be >= 2".into(),
            });
        }
        if hop_length == 0 {
            return Err(FeatureError::Config {
                field: "hop_length",
                reason: "must be >= 1".into(),
            });
        }
        Ok(Stft {
            n_fft,
            hop_length,
            window: hann_window(n_fft),
            fft: Fft::new(n_fft),
        })
    }

    /// FFT size.
    pub fn n_fft(&self) -> usize {
        self.n_fft
    }

    /// Hop length in samples.
    pub fn hop_length(&self) -> usize {
        self.hop_length
    }

    /// Frequency bins per frame: `n_fft / 2 + 1`.
    pub fn n_bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// Frames a signal of `len` samples gives (0 for an empty signal).
    pub fn n_frames(&self, len: usize) -> usize {
        if len == 0 {
            return 0;
        }
        let padded = len + 2 * (self.n_fft / 2);
        if padded < self.n_fft {
            0
        } else {
            1 + (padded - self.n_fft) / self.hop_length
        }
    }

    /// Writes the magnitude spectrogram of `signal`, frame-major (`out[t * n_bins + k]` is bin
    /// `k` of frame `t`). `out` must hold exactly `n_frames(signal.len()) * n_bins()` values.
    pub fn magnitude(&self, signal: &[f32], out: &mut [f32]) -> Result<()> {
        let n_bins = self.n_bins();
        let n_frames = self.n_frames(signal.len());
        if out.len() != n_frames * n_bins {
            return Err(FeatureError::LengthMismatch {
                what: "STFT output",
                expected: n_frames * n_bins,
                got: out.len(),
            });
        }
        FFT_BUFFERS.with(|b| {
            let mut b = b.borrow_mut();
            let (frame, spectrum, scratch) = &mut *b;
            let (spectrum_len, scratch_len) = self.fft.buffer_lens(self.n_fft);
            frame.resize(self.n_fft, 0.0);
            spectrum.resize(spectrum_len, Complex::default());
            scratch.resize(scratch_len, Complex::default());
            crate::simd::with_avx(
                #[inline(always)]
                || self.frames_into(signal, out, frame, spectrum, scratch),
            )
        })
    }

    #[inline(always)]
    fn frames_into(
        &self,
        signal: &[f32],
        out: &mut [f32],
        frame: &mut [f32],
        spectrum: &mut [Complex<f32>],
        scratch: &mut [Complex<f32>],
    ) -> Result<()> {
        let n_bins = self.n_bins();
        let pad = self.n_fft / 2;
        for (t, row) in out.chunks_exact_mut(n_bins).enumerate() {
            // Frame t covers signal[t*hop - pad .. t*hop - pad + n_fft]; outside the signal it
            // is zero (centred frames, zero padding). Only the overlap is multiplied.
            let start = (t * self.hop_length) as isize - pad as isize;
            let lo = (-start).clamp(0, self.n_fft as isize) as usize;
            let hi =
                (signal.len() as isize - start).clamp(lo as isize, self.n_fft as isize) as usize;
            frame[..lo].fill(0.0);
            frame[hi..].fill(0.0);
            let from = (start + lo as isize) as usize;
            let samples = &signal[from..from + (hi - lo)];
            for ((x, s), w) in frame[lo..hi]
                .iter_mut()
                .zip(samples)
                .zip(&self.window[lo..hi])
            {
                *x = s * w;
            }
            match &self.fft {
                Fft::Even(fft) => fft.process(frame, spectrum, scratch, row),
                Fft::Odd(fft) => {
                    // realfft only fails on buffers of the wrong length; these come from the
                    // plan.
                    fft.process_with_scratch(frame, spectrum, scratch)
                        .map_err(|_| FeatureError::LengthMismatch {
                            what: "FFT input",
                            expected: self.n_fft,
                            got: frame.len(),
                        })?;
                    magnitudes(spectrum, row);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::seeded_signal;

    /// The textbook DFT magnitude of one windowed, zero-padded frame, in f64.
    fn naive_frame(signal: &[f32], n_fft: usize, start: isize) -> Vec<f64> {
        let window = hann_window(n_fft);
        let x: Vec<f64> = (0..n_fft)
            .map(|i| {
                let j = start + i as isize;
                if j >= 0 && (j as usize) < signal.len() {
                    signal[j as usize] as f64 * window[i] as f64
                } else {
                    0.0
                }
            })
            .collect();
        (0..n_fft / 2 + 1)
            .map(|k| {
                let (mut re, mut im) = (0.0, 0.0);
                for (n, v) in x.iter().enumerate() {
                    let phase = -2.0 * std::f64::consts::PI * (k * n) as f64 / n_fft as f64;
                    re += v * phase.cos();
                    im += v * phase.sin();
                }
                (re * re + im * im).sqrt()
            })
            .collect()
    }

    #[test]
    fn matches_a_naive_dft_on_every_frame() {
        let (n_fft, hop) = (64, 16);
        let signal = seeded_signal(7, 150);
        let stft = Stft::new(n_fft, hop).unwrap();
        let frames = stft.n_frames(signal.len());
        assert_eq!(frames, 1 + 150 / 16);
        let mut out = vec![0.0; frames * stft.n_bins()];
        stft.magnitude(&signal, &mut out).unwrap();
        for t in 0..frames {
            let reference = naive_frame(&signal, n_fft, (t * hop) as isize - 32);
            for (k, r) in reference.iter().enumerate() {
                let got = out[t * stft.n_bins() + k] as f64;
                // f32 FFT against an f64 DFT: a few ulps of the frame's energy.
                assert!(
                    (got - r).abs() <= 1e-5 * (1.0 + r.abs()),
                    "frame {t} bin {k}: {got} vs {r}"
                );
            }
        }
    }

    #[test]
    fn short_signals_get_one_padded_frame_and_odd_sizes_work() {
        let stft = Stft::new(2048, 512).unwrap();
        assert_eq!(stft.n_frames(1), 1);
        assert_eq!(stft.n_frames(511), 1);
        assert_eq!(stft.n_frames(512), 2);
        assert_eq!(stft.n_frames(0), 0);
        let odd = Stft::new(15, 4).unwrap();
        let signal = seeded_signal(3, 40);
        let mut out = vec![0.0; odd.n_frames(40) * odd.n_bins()];
        odd.magnitude(&signal, &mut out).unwrap();
        let reference = naive_frame(&signal, 15, 8 - 7);
        for (k, r) in reference.iter().enumerate() {
            assert!((out[2 * odd.n_bins() + k] as f64 - r).abs() < 1e-5);
        }
    }

    #[test]
    fn wrong_output_length_is_an_error() {
        let stft = Stft::new(64, 16).unwrap();
        let err = stft.magnitude(&[0.0; 100], &mut [0.0; 3]).unwrap_err();
        assert!(matches!(err, FeatureError::LengthMismatch { got: 3, .. }));
    }

    #[test]
    fn window_is_periodic_hann() {
        let w = hann_window(8);
        assert_eq!(w[0], 0.0);
        assert!((w[4] - 1.0).abs() < 1e-7);
        assert!((w[2] - 0.5).abs() < 1e-7);
        assert!((w[1] - w[7]).abs() < 1e-7);
    }
}
