//! The settings Python passes as JSON: each a struct with every field optional (the library's
//! default when absent) and unknown fields refused, so that a misspelt keyword is an error,
//! never silently ignored.

use std::path::PathBuf;

use pyo3::prelude::*;
use ser_adaptive::experiment::{Method, RunConfig};
use ser_adaptive::mlp::{StopOn, TrainConfig};
use ser_adaptive::quant::{BiasMode, Granularity, QuantOptions, Scaling};
use ser_adaptive::search::{Budget, FinetuneConfig, SearchConfig};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::errors::ConfigError;

/// `json` as the settings `what` names; unknown or mistyped fields are a [`ConfigError`].
pub(crate) fn parse<T: DeserializeOwned>(what: &str, json: &str) -> PyResult<T> {
    serde_json::from_str(json).map_err(|e| {
        // The position in our own JSON text means nothing to the caller.
        let text = e.to_string();
        let reason = text
            .rsplit_once(" at line ")
            .map_or(text.as_str(), |(r, _)| r);
        ConfigError::new_err(format!("{what} options: {reason}"))
    })
}

/// The baseline's training (`ser train`'s options).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrainOptions {
    hidden: Option<Vec<usize>>,
    dropout: Option<f32>,
    learning_rate: Option<f32>,
    batch_size: Option<usize>,
    max_epochs: Option<usize>,
    early_stopping: Option<bool>,
    stop_on: Option<StopOn>,
    patience: Option<usize>,
    min_delta: Option<f32>,
    restore_best: Option<bool>,
    weight_decay: Option<f32>,
    seed: Option<u64>,
}

impl TrainOptions {
    /// The training settings, checked.
    pub(crate) fn config(&self) -> PyResult<TrainConfig> {
        let d = TrainConfig::default();
        let config = TrainConfig {
            hidden: self.hidden.clone().unwrap_or(d.hidden.clone()),
            dropout: self.dropout.unwrap_or(d.dropout),
            learning_rate: self.learning_rate.unwrap_or(d.learning_rate),
            batch_size: self.batch_size.unwrap_or(d.batch_size),
            max_epochs: self.max_epochs.unwrap_or(d.max_epochs),
            early_stopping: self.early_stopping.unwrap_or(d.early_stopping),
            stop_on: self.stop_on.unwrap_or(d.stop_on),
            patience: self.patience.unwrap_or(d.patience),
            min_delta: self.min_delta.unwrap_or(d.min_delta),
            restore_best: self.restore_best.unwrap_or(d.restore_best),
            weight_decay: self.weight_decay.unwrap_or(d.weight_decay),
            seed: self.seed.unwrap_or(d.seed),
            ..d
        };
        config
            .validate()
            .map_err(|e| ConfigError::new_err(e.to_string()))?;
        Ok(config)
    }
}

/// The quantizer (`ser quantize`'s options).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuantArgs {
    per_channel: Option<bool>,
    f32_bias: Option<bool>,
    scales: Option<Scaling>,
}

impl QuantArgs {
    /// `base` with what was given changed.
    pub(crate) fn options(&self, base: QuantOptions) -> PyResult<QuantOptions> {
        Ok(QuantOptions {
            granularity: match self.per_channel {
                None => base.granularity,
                Some(true) => Granularity::PerChannel,
                Some(false) => Granularity::PerTensor,
            },
            bias: match self.f32_bias {
                None => base.bias,
                Some(true) => BiasMode::Full,
                Some(false) => BiasMode::LayerWidth,
            },
            scaling: self.scales.unwrap_or(base.scaling),
        })
    }
}

/// The adaptive search on given rows.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchOptions {
    margin: Option<f64>,
    beta: Option<f64>,
    alpha: Option<f64>,
    target_bits: Option<f64>,
    per_channel: Option<bool>,
    f32_bias: Option<bool>,
    scales: Option<Scaling>,
}

impl SearchOptions {
    pub(crate) fn config(&self) -> PyResult<SearchConfig> {
        let mut config = SearchConfig::default();
        if let Some(m) = self.margin {
            config.margin = m;
        }
        if let Some(b) = self.beta {
            config.beta = b;
        }
        if let Some(a) = self.alpha {
            config.importance.alpha = a;
        }
        config.quant = QuantArgs {
            per_channel: self.per_channel,
            f32_bias: self.f32_bias,
            scales: self.scales,
        }
        .options(config.quant)?;
        config
            .validate()
            .map_err(|e| ConfigError::new_err(e.to_string()))?;
        Ok(config)
    }

    pub(crate) fn budget(&self) -> Option<Budget> {
        self.target_bits.map(Budget::AverageBits)
    }
}

/// `ser run`'s options.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunOptions {
    seeds: Option<Vec<u64>>,
    method: Option<Method>,
    finetune: Option<bool>,
    split: Option<String>,
    folds: Option<usize>,
    target_bits: Option<f64>,
    budget_kb: Option<f64>,
    gptq: Option<bool>,
    distill: Option<bool>,
    margin: Option<f64>,
    #[serde(default)]
    training: TrainOptions,
    per_channel: Option<bool>,
    f32_bias: Option<bool>,
    scales: Option<Scaling>,
    /// How labels and speakers come from the file names (`auto`, `emodb`, ...).
    #[serde(default = "auto")]
    pub(crate) corpus: String,
    pub(crate) jobs: Option<usize>,
    pub(crate) cache: Option<PathBuf>,
    #[serde(default)]
    pub(crate) no_cache: bool,
}

fn auto() -> String {
    "auto".into()
}

impl RunOptions {
    /// The run's settings and seeds (default 0..9), checked.
    pub(crate) fn config(&self) -> PyResult<(RunConfig, Vec<u64>)> {
        let method = self.method.unwrap_or_default();
        let mut config = RunConfig::for_method(method, self.finetune.unwrap_or(false));
        if let Some(split) = &self.split {
            config.split = split
                .parse()
                .map_err(|e| ConfigError::new_err(format!("split: {e}")))?;
        }
        if let Some(k) = self.folds {
            config.validation_folds = k;
        }
        match (self.target_bits, self.budget_kb) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::new_err(
                    "give target_bits or budget_kb, not both",
                ));
            }
            (Some(b), None) => config.budget = Some(Budget::AverageBits(b)),
            (None, Some(kb)) if kb.is_finite() && kb > 0.0 => {
                config.budget = Some(Budget::Bytes((kb * 1000.0).floor() as u64));
            }
            (None, Some(kb)) => {
                return Err(ConfigError::new_err(format!(
                    "budget_kb must be a number > 0, got {kb}"
                )));
            }
            (None, None) => {}
        }
        if self.gptq == Some(true) {
            config.search.gptq = Some(Default::default());
        }
        if let Some(m) = self.margin {
            config.search.margin = m;
        }
        config.search.quant = QuantArgs {
            per_channel: self.per_channel,
            f32_bias: self.f32_bias,
            scales: self.scales,
        }
        .options(config.search.quant)?;
        if self.distill == Some(true) {
            let Some(f) = &mut config.finetune else {
                return Err(ConfigError::new_err("distill needs finetune=True"));
            };
            f.distillation = Some(Default::default());
        }
        config.train = self.training.config()?;
        if let Some(f) = &config.finetune {
            FinetuneConfig::validate(f).map_err(|e| ConfigError::new_err(e.to_string()))?;
        }
        config
            .validate()
            .map_err(|e| ConfigError::new_err(e.to_string()))?;
        let seeds = self.seeds.clone().unwrap_or_else(|| (0..10).collect());
        if seeds.is_empty() {
            return Err(ConfigError::new_err("seeds: give at least one"));
        }
        Ok((config, seeds))
    }
}
