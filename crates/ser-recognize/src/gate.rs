//! The voice-activity gate: a window too quiet to hold speech is reported as silence, not
//! classified.

use serde::{Deserialize, Serialize};

use crate::error::{RecognizeError, Result};

/// An energy gate on analysis windows: the window is cut into frames, and it holds speech when
/// enough of them are louder than a threshold.
///
/// The level is the RMS of a frame in dB relative to full scale (a full-scale sine is -3 dBFS).
/// Speech recorded at working levels has most of its voiced frames between -35 and -10 dBFS,
/// and a quiet room lies below -55, so -45 dBFS with one frame in ten catches a short
/// utterance in a 3 s window while leaving out hum and breathing. A recording made at a very
/// low gain needs a lower threshold, or no gate.
///
/// ```
/// use ser_recognize::Gate;
///
/// let gate = Gate::default();
/// let rate = 16_000;
/// let hum: Vec<f32> = (0..3 * rate).map(|i| 0.002 * (i as f32 * 0.02).sin()).collect();
/// let speechlike: Vec<f32> = (0..3 * rate).map(|i| 0.2 * (i as f32 * 0.05).sin()).collect();
/// assert!(!gate.is_speech(&hum, rate as u32));
/// assert!(gate.is_speech(&speechlike, rate as u32));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    /// The frame level, in dBFS, above which a frame is active. Default: -45.0.
    pub threshold_db: f32,
    /// The fraction of active frames that makes a window speech, in `(0, 1]`. Default: 0.1.
    pub min_active: f32,
    /// The frame length in seconds. Default: 0.032 (512 samples at 16 kHz).
    pub frame: f64,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            threshold_db: -45.0,
            min_active: 0.1,
            frame: 0.032,
        }
    }
}

impl Gate {
    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        let bad = |field, reason: String| Err(RecognizeError::Config { field, reason });
        if !self.threshold_db.is_finite() || self.threshold_db > 0.0 {
            return bad(
                "gate threshold",
                format!(
                    "must be a level at or below 0 dBFS, got {}",
                    self.threshold_db
                ),
            );
        }
        if !(self.min_active > 0.0 && self.min_active <= 1.0) {
            return bad(
                "gate min_active",
                format!("must be in (0, 1], got {}", self.min_active),
            );
        }
        if !(self.frame.is_finite() && self.frame > 0.0 && self.frame <= 1.0) {
            return bad(
                "gate frame",
                format!("must be in (0, 1] seconds, got {}", self.frame),
            );
        }
        Ok(())
    }

    /// The level of `samples` in dBFS: the RMS over all of them (-inf for digital silence).
    pub fn level_db(samples: &[f32]) -> f32 {
        power_db(energy(samples), samples.len())
    }

    /// Whether a window of `samples` at `sample_rate` holds speech.
    pub fn is_speech(&self, samples: &[f32], sample_rate: u32) -> bool {
        self.measure(samples, sample_rate).0
    }

    /// Whether a window holds speech, and its level in dBFS, in one pass over its samples.
    pub(crate) fn measure(&self, samples: &[f32], sample_rate: u32) -> (bool, f32) {
        let frame = ((self.frame * f64::from(sample_rate)).round() as usize).max(1);
        let (mut active, mut frames, mut total) = (0usize, 0usize, 0.0f64);
        for f in samples.chunks(frame) {
            let e = energy(f);
            total += e;
            frames += 1;
            if power_db(e, f.len()) > self.threshold_db {
                active += 1;
            }
        }
        let speech = frames > 0 && active as f64 >= f64::from(self.min_active) * frames as f64;
        (speech, power_db(total, samples.len()))
    }
}

/// The sum of squares of `samples`, in eight f32 lanes (which vectorise) summed in f64: a
/// frame's worth of f32 squares loses nothing a level in tenths of a dB can show.
fn energy(samples: &[f32]) -> f64 {
    let mut lanes = [0.0f32; 8];
    let chunks = samples.chunks_exact(8);
    let tail: f64 = chunks
        .remainder()
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum();
    for chunk in chunks {
        for (l, &v) in lanes.iter_mut().zip(chunk) {
            *l += v * v;
        }
    }
    lanes.iter().map(|&l| f64::from(l)).sum::<f64>() + tail
}

/// The level in dBFS of `energy` over `n` samples.
fn power_db(energy: f64, n: usize) -> f32 {
    if n == 0 {
        return f32::NEG_INFINITY;
    }
    (10.0 * (energy / n as f64).log10()) as f32
}
