//! Audio decoding and speech features for speech emotion recognition, numerically equal to
//! librosa 0.11 and much faster.
//!
//! - [`decode_file`]: WAV (8/16/24/32-bit integer, 32/64-bit float), FLAC, MP3, OGG/Vorbis and
//!   AIFF, detected from the content, mixed to mono by the mean, at the native rate;
//!   [`resample`] converts rates on request.
//! - [`FeatureExtractor`]: a centred STFT with a periodic Hann window, the mel power
//!   spectrogram (Slaney or HTK scale), MFCC (orthonormal DCT-II of `power_to_db(mel)`) and
//!   chroma (with librosa's tuning estimation, or pinned), pooled over frames. The default
//!   [`FeatureConfig`] gives the 180-dim vector `mfcc_0..39, chroma_0..11, mel_0..127`.
//!
//! Corpora, labels and data sets are ser-data's concern; this crate knows only signals.
//!
//! ```
//! use ser_features::{FeatureConfig, FeatureExtractor};
//!
//! let extractor = FeatureExtractor::new(FeatureConfig::default())?;
//! // Half a second of a 220 Hz tone with a little vibrato, at 16 kHz.
//! let samples: Vec<f32> = (0..8_000)
//!     .map(|i| i as f32 / 16_000.0)
//!     .map(|t| 0.3 * (2.0 * std::f32::consts::PI * (220.0 * t + 0.5 * (6.0 * t).sin())).sin())
//!     .collect();
//! let vector = extractor.extract(&samples, 16_000)?;
//! assert_eq!(vector.len(), 180);
//! assert!(vector.iter().all(|v| v.is_finite()));
//! # Ok::<(), ser_features::FeatureError>(())
//! ```
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `parallel` | on | [`FeatureExtractor::extract_files`] runs over all cores (rayon) |

mod audio;
mod chroma;
mod config;
mod container;
mod dct;
mod error;
mod extractor;
mod mel;
mod pcm;
mod pcm_stream;
mod pooling;
mod reader;
mod resample;
mod rfft;
mod scratch;
mod simd;
mod stft;
#[cfg(test)]
mod test_util;

pub use audio::{Audio, decode_bytes, decode_file, encode_wav_pcm16};
pub use chroma::{ChromaFilterbank, pitch_tuning};
pub use config::{
    ChromaSource, FeatureConfig, FeatureGroups, MAX_N_FFT, MelNorm, MelOutput, MelScale, Pooling,
    Tuning,
};
pub use dct::{DctII, power_to_db};
pub use error::{FeatureError, Result};
pub use extractor::{FeatureExtractor, FeatureFrames, FileFeatures};
pub use mel::{MelFilterbank, fft_frequencies, hz_to_mel, mel_frequencies, mel_to_hz};
pub use pcm::{PcmDecoder, PcmFormat, WavHeader};
pub use pcm_stream::{Overridden, PcmStream, StreamEncoding, StreamEnd, StreamSpec};
pub use reader::AudioReader;
pub use resample::resample;
pub use stft::{Stft, hann_window};

/// Lowest sample rate accepted, in Hz.
pub const MIN_SAMPLE_RATE: u32 = 1_000;
/// Highest sample rate accepted, in Hz.
pub const MAX_SAMPLE_RATE: u32 = 768_000;
/// Largest sample magnitude accepted. Audio is expected in [-1, 1]; float files written in
/// the 16-bit integer scale (up to 32768) still pass, while corrupt float data, whose power
/// would overflow f32, is refused.
pub const MAX_ABS_SAMPLE: f32 = 1e6;
/// Most channels accepted in a file.
pub const MAX_CHANNELS: usize = 256;
