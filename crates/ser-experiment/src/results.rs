//! `results.json`: everything a run produced, as serde types with a versioned schema
//! (`docs/RESULTS_SCHEMA.md`).

use ser_features::FeatureConfig;
use ser_importance::Order;
use ser_quant::{BiasMode, Granularity, Scaling};
use serde::{Deserialize, Serialize};

use crate::report::{ReportMeta, Summary};
use crate::run::{RunConfig, SeedRun};
use ser_search::{Budget, MixScore, Strategy};

/// The version of the schema [`Results`] writes. It grows when a key is added, and keys are
/// never renamed or removed within a version's readers' expectations: a reader of version `n`
/// reads every later file's keys of version `n`.
pub const RESULTS_SCHEMA_VERSION: u32 = 1;

/// Fine-tuning settings as `results.json` records them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinetuneSettings {
    /// Most epochs.
    pub max_epochs: usize,
    /// Adam's learning rate.
    pub learning_rate: f32,
    /// Epochs without a better validation loss before stopping.
    pub patience: usize,
    /// The distillation weight, when the f32 model was distilled in (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distill_weight: Option<f32>,
    /// Its temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distill_temperature: Option<f32>,
    /// Whether the latent weights started from the quantized model's values (false: from
    /// the f32 weights, and in files written before it was recorded).
    #[serde(default)]
    pub from_quantized: bool,
}

fn nearest() -> String {
    "Nearest".into()
}

/// A size budget as `results.json` records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetSettings {
    /// `AverageBits` or `Bytes`.
    pub unit: String,
    /// The limit in that unit.
    pub limit: f64,
    /// What was maximised within it: `accuracy` (ties broken by the loss) or `loss`
    /// (`accuracy` in files written before it was recorded).
    #[serde(default = "accuracy")]
    pub score: String,
}

fn accuracy() -> String {
    "accuracy".into()
}

/// The baseline's training as `results.json` records it (`StopOn` as `Loss`/`Accuracy`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSettings {
    /// Hidden layer sizes.
    pub hidden: Vec<usize>,
    /// Dropout after every hidden layer.
    pub dropout: f32,
    /// Adam's learning rate.
    pub learning_rate: f32,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Most epochs.
    pub max_epochs: usize,
    /// Whether early stopping was on.
    pub early_stopping: bool,
    /// What it watched: `Loss` or `Accuracy`.
    pub stop_on: String,
    /// Epochs without an improvement before stopping.
    pub patience: usize,
    /// The improvement that resets the patience.
    pub min_delta: f32,
    /// Whether the best epoch's weights were restored.
    pub restore_best: bool,
    /// The L2 penalty on the weights.
    pub weight_decay: f32,
}

impl TrainingSettings {
    /// The record of `config`.
    pub fn new(config: &ser_mlp::TrainConfig) -> Self {
        TrainingSettings {
            hidden: config.hidden.clone(),
            dropout: config.dropout,
            learning_rate: config.learning_rate,
            batch_size: config.batch_size,
            max_epochs: config.max_epochs,
            early_stopping: config.early_stopping,
            stop_on: match config.stop_on {
                ser_mlp::StopOn::Loss => "Loss",
                ser_mlp::StopOn::Accuracy => "Accuracy",
            }
            .into(),
            patience: config.patience,
            min_delta: config.min_delta,
            restore_best: config.restore_best,
            weight_decay: config.weight_decay,
        }
    }
}

/// The quantizer as `results.json` records it: `PerTensor`/`PerChannel`, `LayerWidth`/`Full`,
/// `MaxAbs`/`MinMse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantSettings {
    /// One weight scale per layer or per output.
    pub granularity: String,
    /// Biases at the layer's width or in f32.
    pub bias: String,
    /// Max-abs or least-squared-error scales.
    pub scaling: String,
    /// How the codes were chosen: `Nearest` (rounding) or `Gptq` (absent in files written
    /// before it was recorded, which rounded).
    #[serde(default = "nearest")]
    pub rounding: String,
}

/// How a run was configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// The named method the settings started from (`poster` in files written before it was
    /// recorded).
    #[serde(default)]
    pub method: crate::Method,
    /// The seeds run, in order.
    pub seeds: Vec<u64>,
    /// The split, in the words of `--split` (`random`, `kfold:5`, `speakers:0.1`, `loso`).
    pub split: String,
    /// The test share of a random or speaker split (`null` for k-fold and leave-one-out).
    pub test_fraction: Option<f64>,
    /// The importance weight `a` of Np against Nv.
    pub alpha: f64,
    /// Margin tightening per unit of importance, points.
    pub beta: f64,
    /// The allowed validation accuracy drop, points.
    pub margin: f64,
    /// `MostImportantFirst` or `LeastImportantFirst`.
    pub order: String,
    /// `linear` or `binary`.
    pub search: String,
    /// What ranked the layers: `poster`, `hessian-trace` or `sensitivity`.
    pub scorer: String,
    /// The baseline's training (absent from files written before it was recorded).
    #[serde(default)]
    pub training: Option<TrainingSettings>,
    /// Fine-tuning, when run.
    pub finetune: Option<FinetuneSettings>,
    /// Folds of a cross-validated search (0: off).
    pub validation_folds: usize,
    /// Whether the fold models trained for the baseline's best epoch count instead of by its
    /// early stopping (false in files written before it was recorded).
    #[serde(default)]
    pub folds_at_baseline_epochs: bool,
    /// The budget mode's limit, when set: `{"unit": "AverageBits" | "Bytes", "limit": x}`
    /// (absent in older files).
    #[serde(default)]
    pub budget: Option<BudgetSettings>,
    /// The quantizer.
    pub quant: QuantSettings,
    /// How the features were computed.
    pub features: FeatureConfig,
    /// Layer shapes, `inputs x outputs`.
    pub layers: Vec<String>,
}

impl RunSettings {
    /// The settings of a run of `config` over `seeds` on features made with `features`.
    pub fn new(
        config: &RunConfig,
        seeds: &[u64],
        features: &FeatureConfig,
        layers: Vec<String>,
    ) -> Self {
        let q = config.search.quant;
        RunSettings {
            method: config.method,
            seeds: seeds.to_vec(),
            split: config.split.to_string(),
            test_fraction: match config.split {
                ser_data::SplitSpec::Random { test_fraction } => Some(test_fraction),
                ser_data::SplitSpec::Speakers { fraction } => Some(fraction),
                ser_data::SplitSpec::KFold(_) | ser_data::SplitSpec::Loso => None,
            },
            alpha: config.search.importance.alpha,
            beta: config.search.beta,
            margin: config.search.margin,
            order: match config.search.order {
                Order::MostImportantFirst => "MostImportantFirst",
                Order::LeastImportantFirst => "LeastImportantFirst",
            }
            .into(),
            search: match config.search.strategy {
                Strategy::Linear => "linear",
                Strategy::Binary => "binary",
            }
            .into(),
            scorer: config.search.score.name().into(),
            training: Some(TrainingSettings::new(&config.train)),
            finetune: config.finetune.as_ref().map(|f| FinetuneSettings {
                max_epochs: f.max_epochs,
                learning_rate: f.learning_rate,
                patience: f.patience,
                distill_weight: f.distillation.map(|d| d.weight),
                distill_temperature: f.distillation.map(|d| d.temperature),
                from_quantized: f.from_quantized,
            }),
            validation_folds: config.validation_folds,
            folds_at_baseline_epochs: config.folds_at_baseline_epochs,
            budget: config.budget.map(|b| BudgetSettings {
                unit: match b {
                    Budget::AverageBits(_) => "AverageBits",
                    Budget::Bytes(_) => "Bytes",
                }
                .into(),
                limit: b.limit(),
                score: match config.search.mix_score {
                    MixScore::Accuracy => "accuracy",
                    MixScore::Loss => "loss",
                }
                .into(),
            }),
            quant: QuantSettings {
                granularity: match q.granularity {
                    Granularity::PerTensor => "PerTensor",
                    Granularity::PerChannel => "PerChannel",
                }
                .into(),
                bias: match q.bias {
                    BiasMode::LayerWidth => "LayerWidth",
                    BiasMode::Full => "Full",
                }
                .into(),
                scaling: match q.scaling {
                    Scaling::MaxAbs => "MaxAbs",
                    Scaling::MinMse => "MinMse",
                }
                .into(),
                rounding: if config.search.gptq.is_some() {
                    "Gptq"
                } else {
                    "Nearest"
                }
                .into(),
            },
            features: features.clone(),
            layers,
        }
    }
}

/// Everything a run over seeds produced: what `ser run` writes as `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// [`RESULTS_SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// The data, as given.
    pub corpus: String,
    /// Files (rows) used.
    pub files: usize,
    /// Class names.
    pub classes: Vec<String>,
    /// Parameters of the network.
    pub params: usize,
    /// How the run was configured.
    pub config: RunSettings,
    /// One entry per seed, in the order of `config.seeds`.
    pub runs: Vec<SeedRun>,
    /// Every model's figures over the seeds.
    pub summary: Summary,
    /// The command that made the run.
    pub command: String,
    /// Seconds the whole run took.
    pub seconds: f64,
}

impl Results {
    /// The results of `runs`, described by `meta` and `config`.
    pub fn new(meta: &ReportMeta, config: RunSettings, runs: Vec<SeedRun>, seconds: f64) -> Self {
        Results {
            schema_version: RESULTS_SCHEMA_VERSION,
            corpus: meta.corpus.clone(),
            files: meta.files,
            classes: meta.classes.clone(),
            params: meta.params,
            summary: crate::report::summarize(&runs),
            config,
            runs,
            command: meta.command.clone(),
            seconds,
        }
    }

    /// The JSON text, pretty-printed.
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

impl Results {
    /// The size budget the run was given, if any.
    pub fn budget(&self) -> Option<Budget> {
        self.config.budget.as_ref().map(|b| match b.unit.as_str() {
            "Bytes" => Budget::Bytes(b.limit as u64),
            _ => Budget::AverageBits(b.limit),
        })
    }

    /// What the report says of the run besides the numbers.
    pub fn meta(&self) -> ReportMeta {
        ReportMeta {
            corpus: self.corpus.clone(),
            files: self.files,
            classes: self.classes.clone(),
            params: self.params,
            layers: self.config.layers.clone(),
            scorer: self.config.scorer.clone(),
            method: self.config.method,
            budget: self.budget().map(|b| format!("{} {}", b.limit(), b.unit())),
            command: self.command.clone(),
        }
    }

    /// The first seed's front of every mix ([`crate::front_svg`]), when the run had a budget.
    #[cfg(feature = "plot")]
    pub fn front_svg(&self) -> Option<String> {
        crate::front_plot::front_svg(self.runs.first()?, self.budget()?)
    }
}
