//! Trained models and their files: self-describing, checksummed, written atomically.

use std::io::Write;
use std::path::Path;

use ndarray::{Array1, Array2, ArrayView2};
use ser_features::{
    ChromaSource, FeatureConfig, FeatureGroups, MelNorm, MelOutput, MelScale, Pooling, Tuning,
};
use serde::{Deserialize, Serialize};

use crate::error::{MlpError, Result};
use crate::network::{Dense, Mlp};
use crate::standardize::Standardizer;
use ser_quant::crc32;

/// The first bytes of every model file.
pub const MODEL_MAGIC: &[u8; 8] = b"SERMODEL";
/// The format version this build writes and the newest it reads.
pub const MODEL_FORMAT_VERSION: u32 = 1;

/// Facts about how a model was trained, kept in its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// The training seed.
    pub seed: u64,
    /// Epochs run.
    pub epochs: usize,
    /// The epoch whose weights were kept.
    pub best_epoch: usize,
    /// Training rows.
    pub train_rows: usize,
}

/// A trained classifier with everything needed to use it on new audio: the feature
/// configuration, the standardisation fitted on its training split, the class names.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The network.
    pub mlp: Mlp,
    /// Standardisation fitted on the training split.
    pub standardizer: Standardizer,
    /// Class names, in the order of the network's outputs.
    pub classes: Vec<String>,
    /// How the features it expects are computed.
    pub features: FeatureConfig,
    /// The names of the feature columns it expects, in order.
    pub feature_names: Vec<String>,
    /// How it was trained.
    pub training: TrainingInfo,
}

/// The JSON header of a model file.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    classes: Vec<String>,
    feature_names: Vec<String>,
    features: FeatureSpec,
    /// Layer widths, input first, classes last.
    layers: Vec<usize>,
    dropout: f32,
    training: TrainingInfo,
}

/// [`FeatureConfig`] as it is written in the header.
#[derive(Debug, Serialize, Deserialize)]
struct FeatureSpec {
    n_fft: usize,
    hop_length: usize,
    n_mels: usize,
    mel_scale: String,
    mel_norm: String,
    fmin: f32,
    fmax: Option<f32>,
    n_mfcc: usize,
    n_chroma: usize,
    chroma_source: String,
    /// `None` when estimated.
    tuning: Option<f64>,
    mel_output: String,
    top_db: Option<f32>,
    pooling: String,
    groups: [bool; 3],
    sample_rate: Option<u32>,
}

impl From<&FeatureConfig> for FeatureSpec {
    fn from(c: &FeatureConfig) -> Self {
        FeatureSpec {
            n_fft: c.n_fft,
            hop_length: c.hop_length,
            n_mels: c.n_mels,
            mel_scale: format!("{:?}", c.mel_scale),
            mel_norm: format!("{:?}", c.mel_norm),
            fmin: c.fmin,
            fmax: c.fmax,
            n_mfcc: c.n_mfcc,
            n_chroma: c.n_chroma,
            chroma_source: format!("{:?}", c.chroma_source),
            tuning: match c.tuning {
                Tuning::Estimate => None,
                Tuning::Fixed(t) => Some(t),
            },
            mel_output: format!("{:?}", c.mel_output),
            top_db: c.top_db,
            pooling: format!("{:?}", c.pooling),
            groups: [c.groups.mfcc, c.groups.chroma, c.groups.mel],
            sample_rate: c.sample_rate,
        }
    }
}

impl FeatureSpec {
    fn to_config(&self) -> std::result::Result<FeatureConfig, String> {
        let pick = |field: &str, value: &str| format!("unknown {field} `{value}`");
        let config = FeatureConfig {
            n_fft: self.n_fft,
            hop_length: self.hop_length,
            n_mels: self.n_mels,
            mel_scale: match self.mel_scale.as_str() {
                "Slaney" => MelScale::Slaney,
                "Htk" => MelScale::Htk,
                other => return Err(pick("mel_scale", other)),
            },
            mel_norm: match self.mel_norm.as_str() {
                "Slaney" => MelNorm::Slaney,
                "None" => MelNorm::None,
                other => return Err(pick("mel_norm", other)),
            },
            fmin: self.fmin,
            fmax: self.fmax,
            n_mfcc: self.n_mfcc,
            n_chroma: self.n_chroma,
            chroma_source: match self.chroma_source.as_str() {
                "Magnitude" => ChromaSource::Magnitude,
                "Power" => ChromaSource::Power,
                other => return Err(pick("chroma_source", other)),
            },
            tuning: self.tuning.map_or(Tuning::Estimate, Tuning::Fixed),
            mel_output: match self.mel_output.as_str() {
                "Power" => MelOutput::Power,
                "Decibels" => MelOutput::Decibels,
                other => return Err(pick("mel_output", other)),
            },
            top_db: self.top_db,
            pooling: match self.pooling.as_str() {
                "Mean" => Pooling::Mean,
                "MeanStd" => Pooling::MeanStd,
                other => return Err(pick("pooling", other)),
            },
            groups: FeatureGroups {
                mfcc: self.groups[0],
                chroma: self.groups[1],
                mel: self.groups[2],
            },
            sample_rate: self.sample_rate,
        };
        config.validate().map_err(|e| e.to_string())?;
        Ok(config)
    }
}

impl Model {
    /// Class probabilities of raw (unstandardised) feature rows.
    pub fn predict_proba(&self, features: ArrayView2<f32>) -> Result<Array2<f32>> {
        let x = self.standardizer.transform(features)?;
        self.mlp.predict_proba(x.view())
    }

    /// The most probable class index of each raw feature row.
    pub fn predict(&self, features: ArrayView2<f32>) -> Result<Vec<usize>> {
        let x = self.standardizer.transform(features)?;
        self.mlp.predict(x.view())
    }

    /// Refuses features made another way: the column names must be the model's, in order.
    pub fn check_feature_names(&self, names: &[String]) -> Result<()> {
        if names != self.feature_names.as_slice() {
            let first = names
                .iter()
                .zip(&self.feature_names)
                .position(|(a, b)| a != b);
            return Err(MlpError::Data(format!(
                "the features do not match the model's: {} columns ({}) against the model's {}{}",
                names.len(),
                names.first().map_or("none", String::as_str),
                self.feature_names.len(),
                first.map_or(String::new(), |i| format!(
                    "; column {i} is `{}`, the model expects `{}`",
                    names[i], self.feature_names[i]
                ))
            )));
        }
        Ok(())
    }

    /// The model file's bytes (see `docs/MODEL_FORMAT.md`).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let layers = self.mlp.layers();
        let widths: Vec<usize> = std::iter::once(self.mlp.inputs())
            .chain(layers.iter().map(Dense::outputs))
            .collect();
        let header = Header {
            classes: self.classes.clone(),
            feature_names: self.feature_names.clone(),
            features: FeatureSpec::from(&self.features),
            layers: widths,
            dropout: self.mlp.dropout(),
            training: self.training.clone(),
        };
        let json = serde_json::to_vec(&header).map_err(|e| MlpError::ModelFile {
            path: "<memory>".into(),
            reason: e.to_string(),
        })?;
        let mut out = Vec::new();
        out.extend_from_slice(MODEL_MAGIC);
        out.extend_from_slice(&MODEL_FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        let mut put = |values: &mut dyn Iterator<Item = &f32>| {
            for v in values {
                out.extend_from_slice(&v.to_le_bytes());
            }
        };
        put(&mut self.standardizer.mean.iter());
        put(&mut self.standardizer.scale.iter());
        for layer in layers {
            put(&mut layer.weights.iter());
            put(&mut layer.bias.iter());
        }
        let crc = crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        Ok(out)
    }

    /// Reads a model from its file's bytes; `name` is used in errors.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Model> {
        let fail = |reason: String| MlpError::ModelFile {
            path: name.to_string(),
            reason,
        };
        if bytes.len() < 8 || &bytes[..8] != MODEL_MAGIC {
            return Err(fail(
                "not a ser model file (it does not start with SERMODEL)".into(),
            ));
        }
        if bytes.len() < 20 {
            return Err(fail(format!(
                "truncated: {} bytes, shorter than the fixed header",
                bytes.len()
            )));
        }
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if version == 0 || version > MODEL_FORMAT_VERSION {
            return Err(fail(format!(
                "format version {version}; this build reads versions 1..={MODEL_FORMAT_VERSION} (a newer ser wrote it?)"
            )));
        }
        let (body, tail) = bytes.split_at(bytes.len() - 4);
        let stored = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
        if crc32(body) != stored {
            return Err(fail(
                "checksum mismatch: the file is corrupt or truncated".into(),
            ));
        }
        let header_len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
        let json = body
            .get(16..16 + header_len)
            .ok_or_else(|| fail("truncated inside the header".into()))?;
        let header: Header =
            serde_json::from_slice(json).map_err(|e| fail(format!("bad header: {e}")))?;
        let features = header
            .features
            .to_config()
            .map_err(|e| fail(format!("bad feature configuration: {e}")))?;
        let widths = &header.layers;
        if widths.len() < 2 || widths.contains(&0) {
            return Err(fail(format!("bad architecture {widths:?}")));
        }
        let (inputs, classes) = (widths[0], widths[widths.len() - 1]);
        if header.classes.len() != classes || header.feature_names.len() != inputs {
            return Err(fail(format!(
                "the header names {} classes and {} features, the network has {classes} and {inputs}",
                header.classes.len(),
                header.feature_names.len()
            )));
        }
        // Checked: the widths come from the file, and a wrapped product could match a short
        // payload.
        let expected_bytes = inputs
            .checked_mul(2)
            .and_then(|standardizer| {
                widths.windows(2).try_fold(standardizer, |sum, w| {
                    sum.checked_add(w[0].checked_mul(w[1])?.checked_add(w[1])?)
                })
            })
            .and_then(|values| values.checked_mul(4))
            .ok_or_else(|| fail(format!("bad architecture {widths:?}: too large")))?;
        let payload = &body[16 + header_len..];
        if payload.len() != expected_bytes {
            return Err(fail(format!(
                "{} bytes of weights, the architecture {widths:?} needs {expected_bytes}",
                payload.len(),
            )));
        }
        let mut values = payload
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let mut take = |n: usize| -> Vec<f32> { values.by_ref().take(n).collect() };
        let standardizer = Standardizer {
            mean: Array1::from(take(inputs)),
            scale: Array1::from(take(inputs)),
        };
        let layers: Vec<Dense> = widths
            .windows(2)
            .map(|w| -> Result<Dense> {
                let weights = Array2::from_shape_vec((w[0], w[1]), take(w[0] * w[1]))
                    .map_err(|e| fail(e.to_string()))?;
                Ok(Dense {
                    weights,
                    bias: Array1::from(take(w[1])),
                })
            })
            .collect::<Result<_>>()?;
        let all_finite = standardizer
            .mean
            .iter()
            .chain(&standardizer.scale)
            .all(|v| v.is_finite())
            && layers
                .iter()
                .all(|l| l.weights.iter().chain(&l.bias).all(|v| v.is_finite()));
        if !all_finite {
            return Err(fail("holds NaN or infinite weights".into()));
        }
        if let Some(i) = standardizer.scale.iter().position(|s| *s <= 0.0) {
            return Err(fail(format!(
                "standardisation scale {i} is {}, not a positive number",
                standardizer.scale[i]
            )));
        }
        let mlp = Mlp::from_layers(layers, header.dropout).map_err(|e| fail(e.to_string()))?;
        Ok(Model {
            mlp,
            standardizer,
            classes: header.classes,
            features,
            feature_names: header.feature_names,
            training: header.training,
        })
    }

    /// Writes the model to `path` through [`write_atomically`](crate::write_atomically): an
    /// interrupted write leaves the old file or none, never half of one. It replaces an
    /// existing file; callers that must not (the CLI without `--force`) check first.
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = self.to_bytes()?;
        crate::write_atomically(path, |w| w.write_all(&bytes)).map_err(|e| MlpError::ModelFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Reads a model file.
    pub fn load(path: &Path) -> Result<Model> {
        let bytes = std::fs::read(path).map_err(|e| MlpError::ModelFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Model::from_bytes(&bytes, &path.display().to_string())
    }
}

/// A model trained by [`train_model`], with the rows it used.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The model (standardisation fitted on `train_rows`).
    pub model: Model,
    /// Rows trained on (indices into the dataset).
    pub train_rows: Vec<usize>,
    /// Rows held out for early stopping (indices into the dataset).
    pub validation_rows: Vec<usize>,
    /// Training history.
    pub history: crate::train::History,
}

/// Trains a [`Model`] on the dataset's `rows`: 10 % of them (stratified, seeded by
/// `config.seed`) are held out for early stopping, the standardisation is fitted on the rest,
/// and the model records `features`, the classes and how it was trained. This is what
/// `ser train` does for each fold.
pub fn train_model(
    data: &crate::data::Dataset,
    rows: &[usize],
    config: &crate::train::TrainConfig,
    features: &FeatureConfig,
    on_epoch: &mut dyn FnMut(&crate::train::EpochStats),
) -> Result<Trained> {
    let pool = data.subset(rows);
    let inner = crate::data::stratified_split(&pool.labels, 0.1, config.seed)?;
    let (train, validation) = (pool.subset(&inner.train), pool.subset(&inner.test));
    let scaler = Standardizer::fit(train.x.view())?;
    let (xt, xv) = (
        scaler.transform(train.x.view())?,
        scaler.transform(validation.x.view())?,
    );
    let (mlp, history) = crate::train::fit_with_progress(
        config,
        crate::train::Labelled {
            x: xt.view(),
            y: &train.labels,
        },
        Some(crate::train::Labelled {
            x: xv.view(),
            y: &validation.labels,
        }),
        data.classes.len(),
        on_epoch,
    )?;
    let model = Model {
        mlp,
        standardizer: scaler,
        classes: data.classes.clone(),
        features: features.clone(),
        feature_names: data.feature_names.clone(),
        training: TrainingInfo {
            seed: config.seed,
            epochs: history.epochs.len(),
            best_epoch: history.best_epoch,
            train_rows: train.len(),
        },
    };
    let original = |inner: &[usize]| inner.iter().map(|&i| rows[i]).collect::<Vec<_>>();
    Ok(Trained {
        model,
        train_rows: original(&inner.train),
        validation_rows: original(&inner.test),
        history,
    })
}
