//! The plan-once feature extractor.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use ndarray::Array2;

use crate::audio::{check_samples, decode_file};
use crate::chroma::{ChromaFilterbank, PeakScratch, PitchTracker, estimate_tuning};
use crate::config::{ChromaSource, FeatureConfig, MelOutput, Pooling, Tuning};
use crate::dct::{DctII, power_to_db};
use crate::error::{FeatureError, Result};
use crate::mel::MelFilterbank;
use crate::pooling::pool;
use crate::resample::resample;
use crate::scratch;
use crate::stft::Stft;
use crate::{MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};

thread_local! {
    /// The peak tracker's buffers, reused from one signal to the next on each thread.
    static PEAKS: std::cell::RefCell<PeakScratch> = std::cell::RefCell::new(PeakScratch::default());
}

/// What depends on the sample rate: built once per rate, then shared.
#[derive(Debug)]
struct RatePlan {
    mel: Option<MelFilterbank>,
    pitch: PitchTracker,
}

/// Per-frame features of one signal, shaped like librosa's (`coefficients x frames`).
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureFrames {
    /// MFCC, `n_mfcc x frames` (when enabled).
    pub mfcc: Option<Array2<f32>>,
    /// Chroma, `n_chroma x frames`, each frame scaled to a maximum of 1 (when enabled).
    pub chroma: Option<Array2<f32>>,
    /// Mel spectrogram, `n_mels x frames`, power or dB per [`MelOutput`] (when enabled).
    pub mel: Option<Array2<f32>>,
    /// The chroma tuning used, in fractions of a chroma bin (when chroma is enabled).
    pub tuning: Option<f64>,
    /// The rate the features were computed at (after any resampling).
    pub sample_rate: u32,
    /// Number of frames.
    pub n_frames: usize,
}

/// The pooled features of one file, with what was learnt about it on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct FileFeatures {
    /// The file.
    pub path: PathBuf,
    /// The pooled vector, laid out as [`FeatureConfig::feature_names`].
    pub vector: Vec<f32>,
    /// The file's own sample rate.
    pub native_sample_rate: u32,
    /// The rate the features were computed at.
    pub sample_rate: u32,
    /// Channels in the file (mixed to mono before analysis).
    pub channels: usize,
    /// Duration in seconds.
    pub duration: f64,
    /// The chroma tuning used (when chroma is enabled).
    pub tuning: Option<f64>,
}

/// Frame-major intermediate results of one signal.
struct Analysis {
    n_frames: usize,
    sample_rate: u32,
    /// Per-frame MFCC, or empty when only their mean is wanted: the DCT is linear, so the mean
    /// of the frames' MFCC is the DCT of the mean of their dB mel spectra (`mel_db`), one
    /// transform instead of one per frame.
    mfcc: Vec<f32>,
    mel_db: Vec<f32>,
    chroma: Vec<f32>,
    mel: Vec<f32>,
    tuning: Option<f64>,
}

impl Analysis {
    /// Gives the buffers back for the next signal on this thread.
    fn recycle(self) {
        for v in [self.mfcc, self.mel_db, self.chroma, self.mel] {
            scratch::give(v);
        }
    }
}

/// Extracts MFCC, chroma and mel features as librosa 0.11 does, planned once for many signals.
///
/// `new` validates the configuration and plans the FFT, window and DCT; filterbanks are built
/// once per sample rate (and chroma filterbanks once per tuning) and then shared. The extractor
/// is `Send + Sync`: share one across threads.
///
/// ```
/// use ser_features::{FeatureConfig, FeatureExtractor};
///
/// let extractor = FeatureExtractor::new(FeatureConfig::default())?;
/// let sr = 16_000;
/// let tone: Vec<f32> = (0..sr).map(|i| (i as f32 * 440.0 * std::f32::consts::TAU / sr as f32).sin() * 0.3).collect();
/// let vector = extractor.extract(&tone, sr as u32)?;
/// assert_eq!(vector.len(), 180);
/// // A 440 Hz tone is an A: chroma_9 (C = chroma_0) is the strongest pitch class.
/// let chroma = &vector[40..52];
/// let loudest = (0..12).max_by(|&a, &b| chroma[a].total_cmp(&chroma[b])).unwrap();
/// assert_eq!(loudest, 9);
/// # Ok::<(), ser_features::FeatureError>(())
/// ```
#[derive(Debug)]
pub struct FeatureExtractor {
    config: FeatureConfig,
    stft: Stft,
    dct: Option<DctII>,
    plans: RwLock<HashMap<u32, Arc<RatePlan>>>,
    chroma_banks: RwLock<HashMap<(u32, u64), Arc<ChromaFilterbank>>>,
}

impl FeatureExtractor {
    /// Validates `config` and plans the extraction.
    pub fn new(config: FeatureConfig) -> Result<Self> {
        config.validate()?;
        let stft = Stft::new(config.n_fft, config.hop_length)?;
        let dct = config
            .groups
            .mfcc
            .then(|| DctII::new(config.n_mels, config.n_mfcc));
        Ok(FeatureExtractor {
            config,
            stft,
            dct,
            plans: RwLock::new(HashMap::new()),
            chroma_banks: RwLock::new(HashMap::new()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    /// Length of the pooled vector.
    pub fn dim(&self) -> usize {
        self.config.dim()
    }

    /// Column names of the pooled vector.
    pub fn feature_names(&self) -> Vec<String> {
        self.config.feature_names()
    }

    fn plan(&self, sample_rate: u32) -> Arc<RatePlan> {
        if let Some(plan) = self
            .plans
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&sample_rate)
        {
            return Arc::clone(plan);
        }
        let c = &self.config;
        let sr = f64::from(sample_rate);
        let plan = Arc::new(RatePlan {
            mel: (c.groups.mel || c.groups.mfcc).then(|| {
                MelFilterbank::new(
                    sr,
                    c.n_fft,
                    c.n_mels,
                    f64::from(c.fmin),
                    c.fmax.map_or(sr / 2.0, f64::from),
                    c.mel_scale,
                    c.mel_norm,
                )
            }),
            pitch: PitchTracker::new(sr, c.n_fft),
        });
        let mut plans = self.plans.write().unwrap_or_else(|p| p.into_inner());
        Arc::clone(plans.entry(sample_rate).or_insert(plan))
    }

    fn chroma_bank(&self, sample_rate: u32, tuning: f64) -> Arc<ChromaFilterbank> {
        let key = (sample_rate, tuning.to_bits());
        if let Some(fb) = self
            .chroma_banks
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Arc::clone(fb);
        }
        let fb = Arc::new(ChromaFilterbank::new(
            f64::from(sample_rate),
            self.config.n_fft,
            self.config.n_chroma,
            tuning,
        ));
        let mut banks = self.chroma_banks.write().unwrap_or_else(|p| p.into_inner());
        Arc::clone(banks.entry(key).or_insert(fb))
    }

    /// The frames of `signal`; `checked` when its samples are known to be finite and in range
    /// already (decoded audio is checked as it is decoded).
    fn analyse(
        &self,
        signal: &[f32],
        sample_rate: u32,
        frame_mfcc: bool,
        checked: bool,
    ) -> Result<Analysis> {
        if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&sample_rate) {
            return Err(FeatureError::SampleRate {
                sample_rate: sample_rate.into(),
            });
        }
        if signal.is_empty() {
            return Err(FeatureError::EmptySignal);
        }
        if !checked {
            check_samples(signal)?;
        }
        let resampled;
        let (signal, sr) = match self.config.sample_rate {
            Some(target) if target != sample_rate => {
                resampled = resample(signal, sample_rate, target)?;
                (&resampled[..], target)
            }
            _ => (signal, sample_rate),
        };
        let c = &self.config;
        c.validate_for_rate(sr)?;
        let plan = self.plan(sr);
        let n_bins = self.stft.n_bins();
        let n_frames = self.stft.n_frames(signal.len());
        let mut spectrum = scratch::take(n_frames * n_bins);
        self.stft.magnitude(signal, &mut spectrum)?;

        let mel = plan.mel.as_ref().map_or_else(Vec::new, |fb| {
            let mut mel = scratch::take(n_frames * c.n_mels);
            crate::simd::with_avx(
                #[inline(always)]
                || {
                    for (frame, out) in spectrum
                        .chunks_exact(n_bins)
                        .zip(mel.chunks_exact_mut(c.n_mels))
                    {
                        fb.apply_to_magnitude(frame, out);
                    }
                },
            );
            mel
        });
        let (chroma, tuning) = if c.groups.chroma {
            self.chroma_frames(&plan, &mut spectrum, n_bins, sr)
        } else {
            (Vec::new(), None)
        };
        scratch::give(spectrum);
        let (mfcc, mel, mel_db) = self.mfcc_and_mel(mel, n_frames, frame_mfcc);
        Ok(Analysis {
            n_frames,
            sample_rate: sr,
            mfcc,
            mel_db,
            chroma,
            mel,
            tuning,
        })
    }

    /// The chroma frames of a magnitude `spectrum` (squared in place first for power chroma),
    /// and the tuning they were made with.
    fn chroma_frames(
        &self,
        plan: &RatePlan,
        spectrum: &mut [f32],
        n_bins: usize,
        sample_rate: u32,
    ) -> (Vec<f32>, Option<f64>) {
        let c = &self.config;
        if c.chroma_source == ChromaSource::Power {
            // librosa squares the magnitude (`np.abs(D) ** 2`), so do we.
            spectrum.iter_mut().for_each(|v| *v *= *v);
        }
        let t = match c.tuning {
            Tuning::Fixed(t) => t,
            Tuning::Estimate => PEAKS.with(|cell| {
                let mut scratch = cell.borrow_mut();
                let mut peaks = std::mem::take(&mut scratch.peaks);
                peaks.clear();
                crate::simd::with_avx(
                    #[inline(always)]
                    || {
                        for frame in spectrum.chunks_exact(n_bins) {
                            plan.pitch.peaks(frame, &mut scratch, &mut peaks);
                        }
                    },
                );
                scratch.peaks = peaks;
                estimate_tuning(&mut scratch, c.n_chroma)
            }),
        };
        let fb = self.chroma_bank(sample_rate, t);
        let mut chroma = scratch::take(spectrum.len() / n_bins * c.n_chroma);
        fb.apply_normalised(spectrum, &mut chroma);
        (chroma, Some(t))
    }

    /// The MFCC frames (with `frame_mfcc`; otherwise none, and the dB mel frames they would be
    /// made from) and the mel group's frames of the mel power `mel`. MFCC and dB mel both need
    /// `power_to_db` of the mel power; the power itself is kept only when the mel group holds
    /// power.
    fn mfcc_and_mel(
        &self,
        mut mel: Vec<f32>,
        n_frames: usize,
        frame_mfcc: bool,
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let c = &self.config;
        let keep_power = c.groups.mel && c.mel_output == MelOutput::Power;
        let db_group = c.groups.mel && c.mel_output == MelOutput::Decibels;
        let mut mel_db = Vec::new();
        if c.groups.mfcc || db_group {
            mel_db = if keep_power {
                let mut copy = scratch::take(mel.len());
                copy.copy_from_slice(&mel);
                copy
            } else {
                std::mem::take(&mut mel)
            };
            power_to_db(&mut mel_db, c.top_db);
        }
        let mut mfcc = Vec::new();
        if let (Some(dct), true) = (&self.dct, frame_mfcc) {
            mfcc = scratch::take(n_frames * c.n_mfcc);
            for (frame, out) in mel_db
                .chunks_exact(c.n_mels)
                .zip(mfcc.chunks_exact_mut(c.n_mfcc))
            {
                dct.apply(frame, out);
            }
        }
        let (mel, mel_db) = match (c.groups.mel, c.mel_output) {
            (false, _) => (Vec::new(), mel_db),
            (true, MelOutput::Power) => (mel, mel_db),
            // The dB frames are the mel group's; the pooled MFCC read them there.
            (true, MelOutput::Decibels) => (mel_db, Vec::new()),
        };
        (mfcc, mel, mel_db)
    }

    /// Per-frame features of a mono signal, shaped `coefficients x frames` like librosa's.
    ///
    /// ```
    /// use ser_features::{FeatureConfig, FeatureExtractor};
    ///
    /// let extractor = FeatureExtractor::new(FeatureConfig::default())?;
    /// let frames = extractor.frames(&vec![0.1f32; 16_000], 16_000)?;
    /// assert_eq!(frames.n_frames, 1 + 16_000 / 512);
    /// assert_eq!(frames.mfcc.unwrap().dim(), (40, frames.n_frames));
    /// # Ok::<(), ser_features::FeatureError>(())
    /// ```
    pub fn frames(&self, signal: &[f32], sample_rate: u32) -> Result<FeatureFrames> {
        let a = self.analyse(signal, sample_rate, true, false)?;
        let c = &self.config;
        let shape = |data: Vec<f32>, rows: usize| -> Option<Array2<f32>> {
            if data.is_empty() && a.n_frames > 0 {
                return None;
            }
            // Frame-major data is `frames x rows`; librosa's layout is its transpose.
            Array2::from_shape_vec((a.n_frames, rows), data)
                .ok()
                .map(|m| m.t().to_owned())
        };
        Ok(FeatureFrames {
            mfcc: if c.groups.mfcc {
                shape(a.mfcc, c.n_mfcc)
            } else {
                None
            },
            chroma: if c.groups.chroma {
                shape(a.chroma, c.n_chroma)
            } else {
                None
            },
            mel: if c.groups.mel {
                shape(a.mel, c.n_mels)
            } else {
                None
            },
            tuning: a.tuning,
            sample_rate: a.sample_rate,
            n_frames: a.n_frames,
        })
    }

    /// The pooled feature vector of a mono signal (see [`FeatureExtractor::extract_into`]).
    pub fn extract(&self, signal: &[f32], sample_rate: u32) -> Result<Vec<f32>> {
        let mut out = vec![0.0; self.dim()];
        self.extract_into(signal, sample_rate, &mut out)?;
        Ok(out)
    }

    /// Writes the pooled feature vector of a mono signal into `out` (length [`Self::dim`]) and
    /// returns the chroma tuning used, if chroma is enabled.
    ///
    /// Signals shorter than a frame are zero-padded as librosa pads them (centred frames), so
    /// even one sample gives a vector. An empty signal, NaN or infinite samples and sample
    /// rates outside the supported range are errors.
    pub fn extract_into(
        &self,
        signal: &[f32],
        sample_rate: u32,
        out: &mut [f32],
    ) -> Result<Option<f64>> {
        self.extract_checked(signal, sample_rate, out, false)
    }

    /// [`FeatureExtractor::extract_into`], told whether the samples were checked already.
    fn extract_checked(
        &self,
        signal: &[f32],
        sample_rate: u32,
        out: &mut [f32],
        checked: bool,
    ) -> Result<Option<f64>> {
        if out.len() != self.dim() {
            return Err(FeatureError::LengthMismatch {
                what: "feature vector",
                expected: self.dim(),
                got: out.len(),
            });
        }
        let c = &self.config;
        // The standard deviation of the MFCC needs every frame's; their mean does not.
        let a = self.analyse(signal, sample_rate, c.pooling == Pooling::MeanStd, checked)?;
        let (means, stds) = out.split_at_mut(c.frame_dim());
        let mut offset = 0;
        if let (Some(dct), true) = (&self.dct, a.mfcc.is_empty()) {
            let db = if a.mel_db.is_empty() {
                &a.mel
            } else {
                &a.mel_db
            };
            let mut mean_db = scratch::take(c.n_mels);
            pool(db, c.n_mels, a.n_frames, &mut mean_db, None);
            dct.apply(&mean_db, &mut means[..c.n_mfcc]);
            scratch::give(mean_db);
            offset = c.n_mfcc;
        }
        let groups = [
            (c.groups.mfcc && offset == 0, &a.mfcc[..], c.n_mfcc),
            (c.groups.chroma, &a.chroma[..], c.n_chroma),
            (c.groups.mel, &a.mel[..], c.n_mels),
        ];
        for (_, data, width) in groups.into_iter().filter(|(on, _, _)| *on) {
            let std = match c.pooling {
                Pooling::Mean => None,
                Pooling::MeanStd => Some(&mut stds[offset..offset + width]),
            };
            pool(
                data,
                width,
                a.n_frames,
                &mut means[offset..offset + width],
                std,
            );
            offset += width;
        }
        let tuning = a.tuning;
        a.recycle();
        Ok(tuning)
    }

    /// Decodes a file (see [`crate::decode_file`]) and returns its pooled features; errors name
    /// the file.
    pub fn extract_file(&self, path: impl AsRef<Path>) -> Result<FileFeatures> {
        let path = path.as_ref();
        let audio = decode_file(path)?;
        let mut vector = vec![0.0; self.dim()];
        let tuning = self
            // decode_file checked every sample as it decoded them.
            .extract_checked(&audio.samples, audio.sample_rate, &mut vector, true)
            .map_err(|e| e.in_file(path))?;
        Ok(FileFeatures {
            path: path.to_path_buf(),
            vector,
            native_sample_rate: audio.sample_rate,
            sample_rate: self.config.sample_rate.unwrap_or(audio.sample_rate),
            channels: audio.channels,
            duration: audio.duration(),
            tuning,
        })
    }

    /// Extracts many files, in parallel over all cores with the `parallel` feature (the
    /// default); results are in the order of `paths`, one per file, failures included.
    pub fn extract_files<P: AsRef<Path> + Sync>(&self, paths: &[P]) -> Vec<Result<FileFeatures>> {
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            paths.par_iter().map(|p| self.extract_file(p)).collect()
        }
        #[cfg(not(feature = "parallel"))]
        {
            paths.iter().map(|p| self.extract_file(p)).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{FeatureGroups, MelOutput};
    use crate::test_util::seeded_signal;

    #[test]
    fn extractor_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<FeatureExtractor>();
        assert_send_sync::<FeatureConfig>();
        assert_send_sync::<FeatureError>();
    }

    #[test]
    fn pooled_vector_is_the_mean_of_the_frames() {
        let extractor = FeatureExtractor::new(FeatureConfig {
            pooling: Pooling::MeanStd,
            ..FeatureConfig::default()
        })
        .unwrap();
        let signal = seeded_signal(11, 9000);
        let frames = extractor.frames(&signal, 16_000).unwrap();
        let vector = extractor.extract(&signal, 16_000).unwrap();
        let mfcc = frames.mfcc.unwrap();
        for j in 0..40 {
            let row = mfcc.row(j);
            let mean = row.iter().map(|v| *v as f64).sum::<f64>() / row.len() as f64;
            let var =
                row.iter().map(|v| (*v as f64 - mean).powi(2)).sum::<f64>() / row.len() as f64;
            assert!((vector[j] as f64 - mean).abs() < 1e-4 * mean.abs().max(1.0));
            assert!((vector[180 + j] as f64 - var.sqrt()).abs() < 1e-4 * var.sqrt().max(1.0));
        }
    }

    #[test]
    fn groups_can_be_switched_off() {
        let config = FeatureConfig {
            groups: FeatureGroups::MFCC_ONLY,
            mel_output: MelOutput::Decibels,
            ..FeatureConfig::default()
        };
        let extractor = FeatureExtractor::new(config).unwrap();
        let full = FeatureExtractor::new(FeatureConfig::default()).unwrap();
        let signal = seeded_signal(5, 4000);
        let only = extractor.extract(&signal, 22_050).unwrap();
        let all = full.extract(&signal, 22_050).unwrap();
        assert_eq!(only.len(), 40);
        assert_eq!(&only[..], &all[..40]);
        let frames = extractor.frames(&signal, 22_050).unwrap();
        assert!(frames.chroma.is_none() && frames.mel.is_none() && frames.tuning.is_none());
    }

    #[test]
    fn bad_signals_are_refused() {
        let extractor = FeatureExtractor::new(FeatureConfig::default()).unwrap();
        assert!(matches!(
            extractor.extract(&[], 16_000),
            Err(FeatureError::EmptySignal)
        ));
        assert!(matches!(
            extractor.extract(&[0.0, f32::INFINITY], 16_000),
            Err(FeatureError::NonFiniteSample { index: 1, .. })
        ));
        assert!(matches!(
            extractor.extract(&[0.0; 10], 0),
            Err(FeatureError::SampleRate { .. })
        ));
        assert!(matches!(
            extractor.extract_into(&[0.0; 10], 16_000, &mut [0.0; 3]),
            Err(FeatureError::LengthMismatch {
                expected: 180,
                got: 3,
                ..
            })
        ));
    }

    #[test]
    fn resampling_option_changes_the_analysis_rate() {
        let extractor = FeatureExtractor::new(FeatureConfig {
            sample_rate: Some(16_000),
            ..FeatureConfig::default()
        })
        .unwrap();
        let signal = seeded_signal(2, 48_000);
        let frames = extractor.frames(&signal, 48_000).unwrap();
        assert_eq!(frames.sample_rate, 16_000);
        assert_eq!(frames.n_frames, 1 + 16_000 / 512);
    }

    #[test]
    fn same_input_gives_bit_identical_output_across_threads() {
        let extractor = FeatureExtractor::new(FeatureConfig::default()).unwrap();
        let signal = seeded_signal(9, 20_000);
        let reference = extractor.extract(&signal, 16_000).unwrap();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| extractor.extract(&signal, 16_000).unwrap()))
                .collect();
            for h in handles {
                assert_eq!(h.join().unwrap(), reference);
            }
        });
    }
}
