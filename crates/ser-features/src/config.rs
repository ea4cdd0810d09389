//! The feature configuration: what to compute and how, with librosa's defaults.

use serde::{Deserialize, Serialize};

use crate::error::{FeatureError, Result};
use crate::{MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};

/// The mel scale used to place the mel filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MelScale {
    /// Slaney's Auditory Toolbox scale: linear below 1 kHz, logarithmic above (librosa's default,
    /// `htk=False`).
    Slaney,
    /// The HTK formula `2595 * log10(1 + f / 700)` (librosa's `htk=True`).
    Htk,
}

/// How each mel filter is normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MelNorm {
    /// Slaney's area normalisation: each triangle is divided by its width in Hz
    /// (librosa's default, `norm="slaney"`).
    Slaney,
    /// No normalisation: every triangle peaks at 1 (librosa's `norm=None`).
    None,
}

/// Which spectrogram the chroma features are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChromaSource {
    /// The magnitude STFT `|X|`, as the popular SER reference pipeline does
    /// (`chroma_stft(S=np.abs(librosa.stft(y)))`).
    Magnitude,
    /// The power STFT `|X|^2`, as `librosa.feature.chroma_stft(y=y)` does.
    Power,
}

/// How the tuning offset of the chroma filterbank is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tuning {
    /// Estimated from each signal as `librosa.estimate_tuning` does (piptrack, then a histogram of
    /// pitch deviations with 0.01-semitone bins).
    Estimate,
    /// A fixed offset in fractions of a chroma bin, in `[-0.5, 0.5)` (librosa's `tuning=...`).
    Fixed(f64),
}

/// What the mel group of the vector holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MelOutput {
    /// The mel power spectrogram, pooled linearly (the community 180-dim vector does this).
    Power,
    /// `power_to_db` of the mel power spectrogram (ref 1, amin 1e-10, `top_db`).
    Decibels,
}

/// How frames are pooled into one vector per signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// The mean over frames of each coefficient.
    Mean,
    /// The mean, then the population standard deviation (ddof 0), as two blocks: the means of
    /// every group first, then the standard deviations in the same order.
    MeanStd,
}

/// The feature groups to compute, in the order they appear in the vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureGroups {
    /// MFCC (`n_mfcc` coefficients).
    pub mfcc: bool,
    /// Chroma (`n_chroma` bins).
    pub chroma: bool,
    /// Mel spectrogram (`n_mels` bands).
    pub mel: bool,
}

impl FeatureGroups {
    /// MFCC, chroma and mel: the 180-dim community vector.
    pub const ALL: FeatureGroups = FeatureGroups {
        mfcc: true,
        chroma: true,
        mel: true,
    };
    /// MFCC only (the poster's parameter count fits a 40-dim MFCC input).
    pub const MFCC_ONLY: FeatureGroups = FeatureGroups {
        mfcc: true,
        chroma: false,
        mel: false,
    };
}

/// Every parameter of feature extraction.
///
/// The defaults reproduce librosa 0.11 with the community SER pipeline's settings and give the
/// 180-dim vector `mfcc_0..mfcc_39, chroma_0..chroma_11, mel_0..mel_127`.
///
/// ```
/// use ser_features::FeatureConfig;
///
/// let config = FeatureConfig::default();
/// config.validate()?;
/// assert_eq!(config.dim(), 180);
/// # Ok::<(), ser_features::FeatureError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureConfig {
    /// FFT size and frame length in samples. Default: 2048.
    pub n_fft: usize,
    /// Hop between frames in samples. Default: 512.
    pub hop_length: usize,
    /// Number of mel bands. Default: 128.
    pub n_mels: usize,
    /// Mel scale. Default: [`MelScale::Slaney`].
    pub mel_scale: MelScale,
    /// Mel filter normalisation. Default: [`MelNorm::Slaney`].
    pub mel_norm: MelNorm,
    /// Lowest mel filter edge in Hz. Default: 0.0.
    pub fmin: f32,
    /// Highest mel filter edge in Hz; `None` is the Nyquist frequency. Default: `None`.
    pub fmax: Option<f32>,
    /// Number of MFCC coefficients (at most `n_mels`). Default: 40.
    pub n_mfcc: usize,
    /// Number of chroma bins per octave. Default: 12.
    pub n_chroma: usize,
    /// Spectrogram the chroma is computed from. Default: [`ChromaSource::Magnitude`].
    pub chroma_source: ChromaSource,
    /// Tuning of the chroma filterbank. Default: [`Tuning::Estimate`].
    pub tuning: Tuning,
    /// What the mel group holds. Default: [`MelOutput::Power`].
    pub mel_output: MelOutput,
    /// The dB floor below the file's maximum used by `power_to_db` (for MFCC and dB mel);
    /// `None` disables it. Default: `Some(80.0)`.
    pub top_db: Option<f32>,
    /// Pooling over frames. Default: [`Pooling::Mean`].
    pub pooling: Pooling,
    /// Groups in the vector. Default: [`FeatureGroups::ALL`].
    pub groups: FeatureGroups,
    /// Resample every signal to this rate first; `None` keeps the native rate. Default: `None`.
    pub sample_rate: Option<u32>,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            n_fft: 2048,
            hop_length: 512,
            n_mels: 128,
            mel_scale: MelScale::Slaney,
            mel_norm: MelNorm::Slaney,
            fmin: 0.0,
            fmax: None,
            n_mfcc: 40,
            n_chroma: 12,
            chroma_source: ChromaSource::Magnitude,
            tuning: Tuning::Estimate,
            mel_output: MelOutput::Power,
            top_db: Some(80.0),
            pooling: Pooling::Mean,
            groups: FeatureGroups::ALL,
            sample_rate: None,
        }
    }
}

/// Largest supported FFT size.
pub const MAX_N_FFT: usize = 1 << 16;

fn invalid(field: &'static str, reason: impl Into<String>) -> FeatureError {
    FeatureError::Config {
        field,
        reason: reason.into(),
    }
}

impl FeatureConfig {
    /// Checks every field; [`crate::FeatureExtractor::new`] calls it.
    pub fn validate(&self) -> Result<()> {
        if !(16..=MAX_N_FFT).contains(&self.n_fft) {
            return Err(invalid(
                "n_fft",
                format!("must be in 16..={MAX_N_FFT}, got {}", self.n_fft),
            ));
        }
        if self.hop_length == 0 || self.hop_length > self.n_fft {
            return Err(invalid(
                "hop_length",
                format!(
                    "must be in 1..=n_fft ({}), got {}",
                    self.n_fft, self.hop_length
                ),
            ));
        }
        if self.n_mels == 0 || self.n_mels > 1024 {
            return Err(invalid(
                "n_mels",
                format!("must be in 1..=1024, got {}", self.n_mels),
            ));
        }
        if self.groups.mfcc && (self.n_mfcc == 0 || self.n_mfcc > self.n_mels) {
            return Err(invalid(
                "n_mfcc",
                format!(
                    "must be in 1..=n_mels ({}), got {}",
                    self.n_mels, self.n_mfcc
                ),
            ));
        }
        if self.groups.chroma && (self.n_chroma == 0 || self.n_chroma > 120) {
            return Err(invalid(
                "n_chroma",
                format!("must be in 1..=120, got {}", self.n_chroma),
            ));
        }
        if !self.fmin.is_finite() || self.fmin < 0.0 {
            return Err(invalid(
                "fmin",
                format!("must be finite and >= 0, got {}", self.fmin),
            ));
        }
        if let Some(fmax) = self.fmax {
            if !fmax.is_finite() || fmax <= self.fmin {
                return Err(invalid(
                    "fmax",
                    format!("must be finite and above fmin ({}), got {fmax}", self.fmin),
                ));
            }
        }
        if let Tuning::Fixed(t) = self.tuning {
            if !(-0.5..0.5).contains(&t) {
                return Err(invalid(
                    "tuning",
                    format!("must be in [-0.5, 0.5), got {t}"),
                ));
            }
        }
        if let Some(top_db) = self.top_db {
            if !top_db.is_finite() || top_db <= 0.0 {
                return Err(invalid(
                    "top_db",
                    format!("must be finite and > 0, got {top_db}"),
                ));
            }
        }
        if !(self.groups.mfcc || self.groups.chroma || self.groups.mel) {
            return Err(invalid(
                "groups",
                "at least one feature group must be enabled",
            ));
        }
        if let Some(sr) = self.sample_rate {
            if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&sr) {
                return Err(invalid(
                    "sample_rate",
                    format!("must be in {MIN_SAMPLE_RATE}..={MAX_SAMPLE_RATE} Hz, got {sr}"),
                ));
            }
        }
        Ok(())
    }

    /// Checks the parts of the configuration that depend on the signal's sample rate.
    pub(crate) fn validate_for_rate(&self, sample_rate: u32) -> Result<()> {
        let nyquist = sample_rate as f32 / 2.0;
        if self.fmin >= nyquist {
            return Err(invalid(
                "fmin",
                format!(
                    "{} Hz is not below the Nyquist frequency {nyquist} Hz",
                    self.fmin
                ),
            ));
        }
        if let Some(fmax) = self.fmax {
            if fmax > nyquist {
                return Err(invalid(
                    "fmax",
                    format!("{fmax} Hz is above the Nyquist frequency {nyquist} Hz"),
                ));
            }
        }
        Ok(())
    }

    /// Length of the pooled vector this configuration produces.
    pub fn dim(&self) -> usize {
        let per_stat = self.frame_dim();
        match self.pooling {
            Pooling::Mean => per_stat,
            Pooling::MeanStd => 2 * per_stat,
        }
    }

    /// Number of coefficients per frame over all enabled groups.
    pub fn frame_dim(&self) -> usize {
        let g = self.groups;
        usize::from(g.mfcc) * self.n_mfcc
            + usize::from(g.chroma) * self.n_chroma
            + usize::from(g.mel) * self.n_mels
    }

    /// The names of the vector's columns, in order: `mfcc_0.., chroma_0.., mel_0..`, then with
    /// [`Pooling::MeanStd`] the same with a `_std` infix (`mfcc_std_0`, ...).
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.dim());
        let stats: &[&str] = match self.pooling {
            Pooling::Mean => &[""],
            Pooling::MeanStd => &["", "_std"],
        };
        for stat in stats {
            for (enabled, group, n) in [
                (self.groups.mfcc, "mfcc", self.n_mfcc),
                (self.groups.chroma, "chroma", self.n_chroma),
                (self.groups.mel, "mel", self.n_mels),
            ] {
                if enabled {
                    names.extend((0..n).map(|i| format!("{group}{stat}_{i}")));
                }
            }
        }
        names
    }
}

impl FeatureConfig {
    /// The configuration as one line of JSON (serde), the one way it is written: in model
    /// files, beside features tables, in cache keys and reports.
    pub fn to_json(&self) -> String {
        // Serialising plain fields to JSON cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a configuration written by [`FeatureConfig::to_json`] and validates it; an
    /// unknown field or value is an error naming it.
    ///
    /// ```
    /// use ser_features::{ChromaSource, FeatureConfig};
    ///
    /// let config = FeatureConfig { chroma_source: ChromaSource::Power, ..FeatureConfig::default() };
    /// assert_eq!(FeatureConfig::from_json(&config.to_json())?, config);
    /// assert!(FeatureConfig::from_json("something else").is_err());
    /// assert!(FeatureConfig::from_json(&config.to_json().replace("n_fft\":2048", "n_fft\":1")).is_err());
    /// # Ok::<(), ser_features::FeatureError>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Self> {
        let config: FeatureConfig = serde_json::from_str(text.trim())
            .map_err(|e| invalid("JSON", format!("is not readable: {e}")))?;
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_vector_layout_is_the_community_180() {
        let config = FeatureConfig::default();
        let names = config.feature_names();
        assert_eq!(names.len(), 180);
        assert_eq!(names[0], "mfcc_0");
        assert_eq!(names[39], "mfcc_39");
        assert_eq!(names[40], "chroma_0");
        assert_eq!(names[51], "chroma_11");
        assert_eq!(names[52], "mel_0");
        assert_eq!(names[179], "mel_127");
    }

    #[test]
    fn mean_std_appends_a_std_block() {
        let config = FeatureConfig {
            pooling: Pooling::MeanStd,
            ..FeatureConfig::default()
        };
        let names = config.feature_names();
        assert_eq!(names.len(), 360);
        assert_eq!(names[180], "mfcc_std_0");
        assert_eq!(names[359], "mel_std_127");
    }

    #[test]
    fn invalid_fields_are_named() {
        let cases: Vec<(FeatureConfig, &str)> = vec![
            (
                FeatureConfig {
                    n_fft: 4,
                    ..Default::default()
                },
                "n_fft",
            ),
            (
                FeatureConfig {
                    hop_length: 0,
                    ..Default::default()
                },
                "hop_length",
            ),
            (
                FeatureConfig {
                    n_mfcc: 200,
                    ..Default::default()
                },
                "n_mfcc",
            ),
            (
                FeatureConfig {
                    fmin: f32::NAN,
                    ..Default::default()
                },
                "fmin",
            ),
            (
                FeatureConfig {
                    fmax: Some(0.0),
                    ..Default::default()
                },
                "fmax",
            ),
            (
                FeatureConfig {
                    tuning: Tuning::Fixed(0.7),
                    ..Default::default()
                },
                "tuning",
            ),
            (
                FeatureConfig {
                    top_db: Some(-1.0),
                    ..Default::default()
                },
                "top_db",
            ),
            (
                FeatureConfig {
                    sample_rate: Some(10),
                    ..Default::default()
                },
                "sample_rate",
            ),
            (
                FeatureConfig {
                    groups: FeatureGroups {
                        mfcc: false,
                        chroma: false,
                        mel: false,
                    },
                    ..Default::default()
                },
                "groups",
            ),
        ];
        for (config, field) in cases {
            match config.validate() {
                Err(FeatureError::Config { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected a Config error on {field}, got {other:?}"),
            }
        }
    }

    #[test]
    fn fmax_above_nyquist_is_refused_for_that_rate() {
        let config = FeatureConfig {
            fmax: Some(10_000.0),
            ..Default::default()
        };
        assert!(config.validate().is_ok());
        assert!(config.validate_for_rate(16_000).is_err());
        assert!(config.validate_for_rate(22_050).is_ok());
    }

    #[test]
    fn json_reads_back() {
        for config in [
            FeatureConfig::default(),
            FeatureConfig {
                mel_scale: MelScale::Htk,
                mel_norm: MelNorm::None,
                fmin: 50.0,
                fmax: Some(7600.5),
                tuning: Tuning::Fixed(-0.25),
                mel_output: MelOutput::Decibels,
                top_db: None,
                pooling: Pooling::MeanStd,
                groups: FeatureGroups {
                    mfcc: true,
                    chroma: false,
                    mel: true,
                },
                sample_rate: Some(22_050),
                ..FeatureConfig::default()
            },
        ] {
            assert_eq!(FeatureConfig::from_json(&config.to_json()).unwrap(), config);
        }
        assert!(FeatureConfig::from_json(r#"{"n_fft":2048}"#).is_err());
        let typo = FeatureConfig::default()
            .to_json()
            .replace("\"n_mels\"", "\"n_mel\"");
        let err = FeatureConfig::from_json(&typo).unwrap_err().to_string();
        assert!(err.contains("n_mel"), "{err}");
    }

    #[test]
    fn json_changes_with_every_setting() {
        let base = FeatureConfig::default().to_json();
        for other in [
            FeatureConfig {
                n_mels: 64,
                ..Default::default()
            },
            FeatureConfig {
                chroma_source: ChromaSource::Power,
                ..Default::default()
            },
            FeatureConfig {
                tuning: Tuning::Fixed(0.0),
                ..Default::default()
            },
            FeatureConfig {
                sample_rate: Some(16_000),
                ..Default::default()
            },
            FeatureConfig {
                mel_scale: MelScale::Htk,
                ..Default::default()
            },
        ] {
            assert_ne!(other.to_json(), base);
        }
    }
}
