//! The recognizer: a model with the extractor its features need, from audio to emotion.

use std::path::Path;

use ndarray::ArrayView2;
use ser_features::{FeatureExtractor, resample};
use ser_model::Model;

use crate::error::{RecognizeError, Result};
use crate::prediction::Prediction;

/// A model ready for audio: it carries the feature configuration the model was trained on, so
/// nobody builds an extractor by hand, and it knows the rates the model's features were made
/// at, so that audio at another rate is resampled, never misread.
///
/// Every model file works, f32 or packed. The recognizer is `Send + Sync`: share one across
/// threads.
///
/// ```
/// use ser_recognize::Recognizer;
/// # let x = ndarray::Array2::from_shape_fn((4, 180), |(i, j)| ((i * 7 + j) % 5) as f32);
/// # let training = ser_model::TrainingInfo { seed: 0, epochs: 0, best_epoch: 0, train_rows: 4, sample_rates: vec![16_000] };
/// # let model_bytes = ser_model::Model::new(ser_model::Network::F32(ser_mlp::Mlp::new(180, &[8], 2, 0.0, 1)?), ser_mlp::Standardizer::fit(x.view())?, vec!["calm".into(), "anger".into()], ser_features::FeatureConfig::default(), Some(training))?.to_bytes()?;
///
/// // A model trained on 16 kHz speech, from its file's bytes (`include_bytes!` works too).
/// let recognizer = Recognizer::from_bytes(&model_bytes)?;
/// assert_eq!(recognizer.sample_rates(), [16_000]);
/// // One second at 44.1 kHz: resampled to 16 kHz before its features are made.
/// let tone: Vec<f32> = (0..44_100).map(|i| 0.3 * (i as f32 * 0.03).sin()).collect();
/// assert_eq!(recognizer.analysis_rate(44_100)?, 16_000);
/// let prediction = recognizer.recognize(&tone, 44_100)?;
/// assert_eq!(prediction.probabilities.len(), recognizer.classes().len());
/// println!("{} ({:.0} %)", prediction.emotion, 100.0 * prediction.probability);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Recognizer {
    model: Model,
    extractor: FeatureExtractor,
    rates: Vec<u32>,
}

/// The rate audio at `rate` Hz is analysed at, among `rates` (the model's): the rate itself
/// when the model knows it, else the nearest on a log scale (the higher on a tie), since a
/// ratio, not a difference, says how far apart two rates' spectra are.
fn nearest_rate(rates: &[u32], rate: u32) -> Option<u32> {
    if rates.contains(&rate) {
        return Some(rate);
    }
    // The ratio of two rates, larger over smaller, as a fraction; fractions compare exactly by
    // cross-multiplication (rates fit in u32, their products in u64), so ties are ties.
    let ratio = |r: u32| (u64::from(r.max(rate)), u64::from(r.min(rate)));
    rates.iter().copied().min_by(|&a, &b| {
        let ((pa, qa), (pb, qb)) = (ratio(a), ratio(b));
        (pa * qb).cmp(&(pb * qa)).then(b.cmp(&a))
    })
}

impl Recognizer {
    /// A recognizer for `model`. The model's rates come from its feature configuration when it
    /// resamples, else from its training ([`ser_model::TrainingInfo::sample_rates`]); a model
    /// that records neither takes audio only after [`Recognizer::with_sample_rate`].
    pub fn new(model: Model) -> Result<Self> {
        let extractor = FeatureExtractor::new(model.features.clone())?;
        let rates = match model.features.sample_rate {
            Some(rate) => vec![rate],
            None => model
                .training
                .as_ref()
                .map_or_else(Vec::new, |t| t.sample_rates.clone()),
        };
        Ok(Recognizer {
            model,
            extractor,
            rates,
        })
    }

    /// Reads a model file of either kind (`docs/MODEL_FORMAT.md`).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Recognizer::new(Model::load(path.as_ref())?)
    }

    /// Reads a model from its file's bytes (say, `include_bytes!`).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Recognizer::new(Model::from_bytes(bytes, "<memory>")?)
    }

    /// Declares the rate the model's training audio had, for a model file that does not record
    /// it (one trained from a features table without its sidecar); audio at other rates is then
    /// resampled to it. A model that records its rates keeps them: declaring another is an error.
    pub fn with_sample_rate(mut self, rate: u32) -> Result<Self> {
        if !(ser_features::MIN_SAMPLE_RATE..=ser_features::MAX_SAMPLE_RATE).contains(&rate) {
            return Err(ser_features::FeatureError::SampleRate {
                sample_rate: rate.into(),
            }
            .into());
        }
        if !self.rates.is_empty() && !self.rates.contains(&rate) {
            return Err(RecognizeError::SampleRate(format!(
                "the model records that its features were made at {}, not {rate} Hz",
                list_rates(&self.rates)
            )));
        }
        self.rates = vec![rate];
        Ok(self)
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The model's classes, in the order of every prediction's probabilities.
    pub fn classes(&self) -> &[String] {
        &self.model.classes
    }

    /// The rates the model's features were made at, ascending: audio at one of them is analysed
    /// as it is, audio at any other rate is resampled to the nearest. Empty when the model does
    /// not say.
    pub fn sample_rates(&self) -> &[u32] {
        &self.rates
    }

    /// The rate audio at `rate` Hz is analysed at: `rate` itself, or the rate it is resampled to.
    /// An error when the model does not record the rate its features were made at.
    pub fn analysis_rate(&self, rate: u32) -> Result<u32> {
        nearest_rate(&self.rates, rate).ok_or_else(|| {
            RecognizeError::SampleRate(format!(
                "the model does not record the sample rate of its training audio, so audio at \
                 {rate} Hz could be misread (features mean different things at different rates): \
                 declare it with `Recognizer::with_sample_rate` (`ser`: --model-rate HZ), or \
                 train the model again from audio or a features table with its sidecar"
            ))
        })
    }

    /// The feature vector of a mono signal at `sample_rate`, made as the model's were.
    pub fn features(&self, samples: &[f32], sample_rate: u32) -> Result<Vec<f32>> {
        let mut out = vec![0.0; self.extractor.dim()];
        self.features_into(samples, sample_rate, &mut out)?;
        Ok(out)
    }

    pub(crate) fn features_into(
        &self,
        samples: &[f32],
        sample_rate: u32,
        out: &mut [f32],
    ) -> Result<()> {
        let target = self.analysis_rate(sample_rate)?;
        // A configuration that resamples does so itself, so the features of audio at any rate
        // are made exactly as the training features were.
        if target == sample_rate || self.model.features.sample_rate.is_some() {
            self.extractor.extract_into(samples, sample_rate, out)?;
        } else {
            let resampled = resample(samples, sample_rate, target)?;
            self.extractor.extract_into(&resampled, target, out)?;
        }
        Ok(())
    }

    /// The prediction of one feature vector (made by [`Recognizer::features`]).
    pub fn predict_features(&self, features: &[f32]) -> Result<Prediction> {
        let wrong = || {
            ser_model::ModelError::Mismatch(format!(
                "{} features given, the model takes {}",
                features.len(),
                self.extractor.dim()
            ))
        };
        if features.len() != self.extractor.dim() {
            return Err(wrong().into());
        }
        let row = ArrayView2::from_shape((1, features.len()), features).map_err(|_| wrong())?;
        let p = self.model.predict_proba(row)?;
        let probabilities: Vec<f32> = p.row(0).to_vec();
        Ok(Prediction::from_probabilities(
            &self.model.classes,
            &probabilities,
        ))
    }

    /// The emotion of a mono signal (samples in `[-1, 1]`) at `sample_rate` Hz.
    pub fn recognize(&self, samples: &[f32], sample_rate: u32) -> Result<Prediction> {
        self.predict_features(&self.features(samples, sample_rate)?)
    }

    /// The emotion of an audio file (any format [`ser_features::decode_file`] reads); errors
    /// name the file.
    pub fn recognize_file(&self, path: impl AsRef<Path>) -> Result<Prediction> {
        let path = path.as_ref();
        let audio = ser_features::decode_file(path)?;
        self.recognize(&audio.samples, audio.sample_rate)
            .map_err(|e| in_file(e, path))
    }

    /// The emotion of each file, in the order of `paths`, over all cores with the `parallel`
    /// feature; a file that fails gives its error and the others go on.
    pub fn recognize_files<P: AsRef<Path> + Sync>(&self, paths: &[P]) -> Vec<Result<Prediction>> {
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            paths.par_iter().map(|p| self.recognize_file(p)).collect()
        }
        #[cfg(not(feature = "parallel"))]
        {
            paths.iter().map(|p| self.recognize_file(p)).collect()
        }
    }
}

/// `e`, naming `path` when it does not yet.
pub(crate) fn in_file(e: RecognizeError, path: &Path) -> RecognizeError {
    match e {
        RecognizeError::Features(f) => RecognizeError::Features(f.in_file(path)),
        RecognizeError::SampleRate(m) => {
            RecognizeError::SampleRate(format!("{}: {m}", path.display()))
        }
        RecognizeError::Empty(m) => RecognizeError::Empty(format!("{}: {m}", path.display())),
        other => other,
    }
}

/// `16000 Hz` or `16000 and 44100 Hz`.
pub(crate) fn list_rates(rates: &[u32]) -> String {
    let names: Vec<String> = rates.iter().map(u32::to_string).collect();
    format!("{} Hz", names.join(" and "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_goes_to_the_nearest_rate_on_a_log_scale() {
        assert_eq!(nearest_rate(&[16_000], 16_000), Some(16_000));
        assert_eq!(nearest_rate(&[16_000, 48_000], 44_100), Some(48_000));
        assert_eq!(nearest_rate(&[16_000, 48_000], 22_050), Some(16_000));
        // 8 kHz and 32 kHz are both a factor 2 from 16 kHz: the higher wins.
        assert_eq!(nearest_rate(&[8_000, 32_000], 16_000), Some(32_000));
        // 16 and 36 kHz are both a factor 1.5 from 24 kHz: a tie, exactly.
        assert_eq!(nearest_rate(&[16_000, 36_000], 24_000), Some(36_000));
        assert_eq!(nearest_rate(&[], 16_000), None);
    }
}
