//! Streams and long recordings: a prediction for every analysis window as soon as it is
//! complete, in memory bounded by the window.

use serde::{Deserialize, Serialize};

use crate::error::{RecognizeError, Result};
use crate::gate::Gate;
use crate::prediction::Prediction;
use crate::recognizer::Recognizer;

/// Longest analysis window, in seconds: the stream keeps one window of samples, and a window
/// longer than this is a mistake in the settings, not a use.
pub const MAX_WINDOW_SECONDS: f64 = 600.0;

/// Most samples a window may hold (600 s at 48 kHz, 115 MB of f32): at higher rates the
/// longest window is shorter, so that a setting cannot ask for gigabytes.
pub const MAX_WINDOW_SAMPLES: usize = 600 * 48_000;

/// How a stream is cut into analysis windows.
///
/// Emotion shows over whole phrases: 3 s windows hold one or two of them (EMODB's utterances
/// last 1.2 to 9 s, 2.8 s on average), and a 1 s hop gives one answer a second, which a live
/// display can follow without flicker. Each window is analysed exactly as the offline extractor
/// analyses a file of the same samples, the chroma tuning included (estimated per window, or
/// the model's pinned one).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamConfig {
    /// Window length in seconds. Default: 3.0.
    pub window: f64,
    /// Time between the starts of consecutive windows, in seconds (longer than the window
    /// leaves gaps). Default: 1.0.
    pub hop: f64,
    /// The voice-activity gate; `None` classifies every window. Default: `Some(Gate::default())`.
    pub gate: Option<Gate>,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            window: 3.0,
            hop: 1.0,
            gate: Some(Gate::default()),
        }
    }
}

impl StreamConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        let bad = |field, reason: String| Err(RecognizeError::Config { field, reason });
        if !(self.window.is_finite() && self.window > 0.0 && self.window <= MAX_WINDOW_SECONDS) {
            return bad(
                "window",
                format!(
                    "must be in (0, {MAX_WINDOW_SECONDS}] seconds, got {}",
                    self.window
                ),
            );
        }
        if !(self.hop.is_finite() && self.hop > 0.0 && self.hop <= MAX_WINDOW_SECONDS) {
            return bad(
                "hop",
                format!(
                    "must be in (0, {MAX_WINDOW_SECONDS}] seconds, got {}",
                    self.hop
                ),
            );
        }
        if let Some(gate) = &self.gate {
            gate.validate()?;
        }
        Ok(())
    }

    /// The window and hop in samples at `sample_rate` (each at least one sample).
    pub fn in_samples(&self, sample_rate: u32) -> (usize, usize) {
        let n = |s: f64| ((s * f64::from(sample_rate)).round() as usize).max(1);
        (n(self.window), n(self.hop))
    }
}

/// What the stream says about one analysis window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowPrediction {
    /// Start, in seconds from the start of the stream.
    pub start: f64,
    /// End, in seconds.
    pub end: f64,
    /// The window's level in dBFS (RMS over the window).
    pub level_db: f32,
    /// The emotion, or `None` when the gate found no speech.
    pub prediction: Option<Prediction>,
    /// The window's feature vector (empty for silence), exactly as the offline extractor makes
    /// it from the window's samples.
    #[serde(skip)]
    pub features: Vec<f32>,
}

/// How a stream ended ([`StreamRecognizer::finish`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StreamEnd {
    /// Samples pushed, in seconds.
    pub duration: f64,
    /// Windows reported.
    pub windows: u64,
    /// The window the stream ended in, with samples after the last reported window but too few
    /// to complete it: `(start, end)` in seconds, not classified.
    pub partial: Option<(f64, f64)>,
}

/// A recognizer listening to a stream: push chunks of any size (one sample to minutes), get a
/// prediction for each analysis window as soon as it is complete. It keeps one window of
/// samples, whatever the length of the stream.
///
/// ```
/// use ser_recognize::{StreamConfig, Recognizer};
/// # let dir = tempfile::tempdir()?;
/// # let model_path = dir.path().join("model.sermodel");
/// # let x = ndarray::Array2::from_shape_fn((4, 180), |(i, j)| ((i * 7 + j) % 5) as f32);
/// # let training = ser_model::TrainingInfo { seed: 0, epochs: 0, best_epoch: 0, train_rows: 4, sample_rates: vec![16_000] };
/// # ser_model::Model::new(ser_model::Network::F32(ser_mlp::Mlp::new(180, &[8], 2, 0.0, 1)?), ser_mlp::Standardizer::fit(x.view())?, vec!["calm".into(), "anger".into()], ser_features::FeatureConfig::default(), Some(training))?.save(&model_path)?;
/// let recognizer = Recognizer::load(&model_path)?;
/// let mut stream = recognizer.stream(16_000, StreamConfig::default())?;
/// // 4.5 s of a tone, a tenth of a second at a time: windows at 0 and 1 s, and the one
/// // from 2 s was cut at 4.5 s.
/// let tone: Vec<f32> = (0..72_000).map(|i| 0.3 * (i as f32 * 0.07).sin()).collect();
/// let mut windows = Vec::new();
/// for chunk in tone.chunks(1_600) {
///     windows.extend(stream.push(chunk)?);
/// }
/// assert_eq!(windows.iter().map(|w| (w.start, w.end)).collect::<Vec<_>>(), [(0.0, 3.0), (1.0, 4.0)]);
/// assert!(windows.iter().all(|w| w.prediction.is_some()));
/// let end = stream.finish()?;
/// assert_eq!(end.partial, Some((2.0, 4.5)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct StreamRecognizer<'a> {
    recognizer: &'a Recognizer,
    config: StreamConfig,
    sample_rate: u32,
    window: usize,
    hop: usize,
    /// The samples of the window being filled, from sample `start` of the stream on.
    buffer: Vec<f32>,
    start: u64,
    /// Samples pushed so far.
    pushed: u64,
    /// End of the last reported window, in samples.
    reported_end: u64,
    windows: u64,
}

impl Recognizer {
    /// A stream of mono audio at `sample_rate` Hz, cut into windows as `config` says. The rate
    /// is checked now: a model that cannot take it refuses before the first sample.
    pub fn stream(&self, sample_rate: u32, config: StreamConfig) -> Result<StreamRecognizer<'_>> {
        config.validate()?;
        if !(ser_features::MIN_SAMPLE_RATE..=ser_features::MAX_SAMPLE_RATE).contains(&sample_rate) {
            return Err(ser_features::FeatureError::SampleRate {
                sample_rate: sample_rate.into(),
            }
            .into());
        }
        self.analysis_rate(sample_rate)?;
        let (window, hop) = config.in_samples(sample_rate);
        if window > MAX_WINDOW_SAMPLES {
            return Err(RecognizeError::Config {
                field: "window",
                reason: format!(
                    "{} s at {sample_rate} Hz is {window} samples, more than the {MAX_WINDOW_SAMPLES} a window may hold",
                    config.window
                ),
            });
        }
        Ok(StreamRecognizer {
            recognizer: self,
            config,
            sample_rate,
            window,
            hop,
            // Grown as samples come, so a stream that ends early never holds a whole window.
            buffer: Vec::new(),
            start: 0,
            pushed: 0,
            reported_end: 0,
            windows: 0,
        })
    }
}

impl StreamRecognizer<'_> {
    /// The settings.
    pub fn config(&self) -> &StreamConfig {
        &self.config
    }

    /// The stream's rate.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Seconds of audio pushed so far.
    pub fn duration(&self) -> f64 {
        self.pushed as f64 / f64::from(self.sample_rate)
    }

    /// Takes the next `chunk` of samples (mono, in `[-1, 1]`) and returns the windows it
    /// completed, in order. An empty chunk, or a NaN, infinite or huge sample (named by its
    /// position in the stream) is an error, and nothing of that chunk is taken. A window whose
    /// analysis fails (which checked samples at a supported rate do not make happen) is an
    /// error too; the windows the chunk completed before it are then not returned.
    pub fn push(&mut self, chunk: &[f32]) -> Result<Vec<WindowPrediction>> {
        if chunk.is_empty() {
            return Err(RecognizeError::Empty(
                "an empty chunk was pushed: push samples, or call finish at the end of the stream"
                    .into(),
            ));
        }
        self.check(chunk)?;
        let mut out = Vec::new();
        let mut rest = chunk;
        while !rest.is_empty() {
            // With a hop longer than the window, the samples between windows are skipped.
            let skip = (self.start.saturating_sub(self.pushed)).min(rest.len() as u64) as usize;
            rest = &rest[skip..];
            self.pushed += skip as u64;
            let take = (self.window - self.buffer.len()).min(rest.len());
            self.buffer.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            self.pushed += take as u64;
            if self.buffer.len() == self.window {
                out.push(self.analyse()?);
                self.advance();
            }
        }
        Ok(out)
    }

    fn check(&self, chunk: &[f32]) -> Result<()> {
        let bad = chunk
            .iter()
            .position(|v| !v.is_finite() || v.abs() > ser_features::MAX_ABS_SAMPLE);
        match bad {
            None => Ok(()),
            Some(i) => {
                let position = self.pushed + i as u64;
                Err(RecognizeError::BadSample {
                    position,
                    seconds: position as f64 / f64::from(self.sample_rate),
                    value: chunk[i],
                })
            }
        }
    }

    /// The prediction of the full window in the buffer.
    fn analyse(&mut self) -> Result<WindowPrediction> {
        let rate = self.sample_rate;
        let seconds = |s: u64| s as f64 / f64::from(rate);
        let (speech, level_db) = match &self.config.gate {
            Some(g) => g.measure(&self.buffer, rate),
            None => (true, Gate::level_db(&self.buffer)),
        };
        let (prediction, features) = if speech {
            let features = self.recognizer.features(&self.buffer, rate)?;
            (Some(self.recognizer.predict_features(&features)?), features)
        } else {
            (None, Vec::new())
        };
        self.windows += 1;
        self.reported_end = self.start + self.window as u64;
        Ok(WindowPrediction {
            start: seconds(self.start),
            end: seconds(self.reported_end),
            level_db,
            prediction,
            features,
        })
    }

    /// Moves the window on by one hop, keeping the samples the next window shares.
    fn advance(&mut self) {
        if self.hop < self.window {
            self.buffer.copy_within(self.hop.., 0);
            self.buffer.truncate(self.window - self.hop);
        } else {
            self.buffer.clear();
        }
        self.start += self.hop as u64;
    }

    /// Ends the stream: says how long it was, how many windows it gave, and which samples at
    /// its end were too few for a window (not classified). A stream that ended before its
    /// first window is an error saying so.
    pub fn finish(self) -> Result<StreamEnd> {
        let seconds = |s: u64| s as f64 / f64::from(self.sample_rate);
        if self.windows == 0 {
            return Err(RecognizeError::Empty(format!(
                "the stream ended after {:.2} s, before its first {} s window was complete: use \
                 a shorter window",
                seconds(self.pushed),
                self.config.window
            )));
        }
        let partial = (self.pushed > self.reported_end && self.pushed > self.start)
            .then(|| (seconds(self.start), seconds(self.pushed)));
        Ok(StreamEnd {
            duration: seconds(self.pushed),
            windows: self.windows,
            partial,
        })
    }
}
