//! Training a model on labelled rows, the named architectures, and training fold by fold.

use std::time::Instant;

use ser_data::{Dataset, SplitSpec, stratified_split};
use ser_features::{FeatureConfig, FeatureGroups};
use ser_mlp::{
    EpochStats, History, Labelled, Metrics, Standardizer, TrainConfig, classification_metrics,
    fit_with_progress,
};

use crate::error::{ModelError, Result};
use crate::model::{Model, Network, TrainingInfo};

/// The share of a training split held out for early stopping.
pub const VALIDATION_FRACTION: f64 = 0.1;

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
    pub history: History,
}

/// Trains a [`Model`] on the dataset's `rows`: [`VALIDATION_FRACTION`] of them (stratified,
/// seeded by `config.seed`) are held out for early stopping, the standardisation is fitted on
/// the rest, and the model records `features`, the classes and how it was trained. The
/// dataset's columns must be `features`' (the columns the model will be given).
///
/// ```
/// use ser_data::{Source, demo::DemoConfig, extract};
/// use ser_features::{FeatureConfig, FeatureExtractor};
/// use ser_mlp::TrainConfig;
///
/// let extractor = FeatureExtractor::new(FeatureConfig::default())?;
/// let demo = DemoConfig { speakers: 2, utterances_per_emotion: 2, ..DemoConfig::default() };
/// let data = extract(Source::demo(demo), &extractor, None, &|| {}).into_dataset()?;
/// let config = TrainConfig { hidden: vec![32], max_epochs: 5, ..TrainConfig::default() };
/// let all: Vec<usize> = (0..data.len()).collect();
/// let trained = ser_model::train_model(&data, &all, &config, extractor.config(), &mut |_| {})?;
/// assert_eq!(trained.train_rows.len() + trained.validation_rows.len(), 28);
/// assert_eq!(trained.model.classes.len(), 7);
/// # Ok::<(), ser_model::ModelError>(())
/// ```
pub fn train_model(
    data: &Dataset,
    rows: &[usize],
    config: &TrainConfig,
    features: &FeatureConfig,
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<Trained> {
    if data.feature_names != features.feature_names() {
        return Err(ModelError::Mismatch(format!(
            "the data's {} columns are not the {} features the configuration gives",
            data.feature_names.len(),
            features.dim()
        )));
    }
    let pool = data.subset(rows);
    let inner = stratified_split(&pool.labels, VALIDATION_FRACTION, config.seed)?;
    let (train, validation) = (pool.subset(&inner.train), pool.subset(&inner.test));
    let scaler = Standardizer::fit(train.x.view())?;
    let (xt, xv) = (
        scaler.transform(train.x.view())?,
        scaler.transform(validation.x.view())?,
    );
    let (mlp, history) = fit_with_progress(
        config,
        Labelled {
            x: xt.view(),
            y: &train.labels,
        },
        Some(Labelled {
            x: xv.view(),
            y: &validation.labels,
        }),
        data.classes.len(),
        on_epoch,
    )?;
    let training = TrainingInfo {
        seed: config.seed,
        epochs: history.epochs.len(),
        best_epoch: history.best_epoch,
        train_rows: train.len(),
        sample_rates: data.sample_rates.clone(),
    };
    let model = Model::new(
        Network::F32(mlp),
        scaler,
        data.classes.clone(),
        features.clone(),
        Some(training),
    )?;
    let original = |inner: &[usize]| inner.iter().map(|&i| rows[i]).collect::<Vec<_>>();
    Ok(Trained {
        model,
        train_rows: original(&inner.train),
        validation_rows: original(&inner.test),
        history,
    })
}

ser_quant::named_options! {
    /// The named architectures of METHOD.md: hidden layers and the features they take.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum Preset as "preset" {
        /// The poster's network: the 180 features -> 256-512-64.
        #[default]
        Poster = "poster",
        /// The poster's parameter count: 40 MFCC -> 512-256-64 (169,223 parameters for 7
        /// classes).
        PaperSize = "paper-size",
    }
}

impl Preset {
    /// The hidden layer sizes.
    pub fn hidden(self) -> Vec<usize> {
        match self {
            Preset::Poster => vec![256, 512, 64],
            Preset::PaperSize => vec![512, 256, 64],
        }
    }

    /// The features the network takes.
    pub fn features(self) -> FeatureConfig {
        match self {
            Preset::Poster => FeatureConfig::default(),
            Preset::PaperSize => FeatureConfig {
                groups: FeatureGroups::MFCC_ONLY,
                ..FeatureConfig::default()
            },
        }
    }
}

/// The rows one fold trained on, held out for early stopping, and tested on (indices into the
/// dataset).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FoldRows {
    /// Trained on.
    pub train: Vec<usize>,
    /// Held out for early stopping.
    pub validation: Vec<usize>,
    /// Tested on (empty for a final model trained on every row).
    pub test: Vec<usize>,
}

/// One trained and tested fold.
#[derive(Debug, Clone)]
pub struct Fold {
    /// `random`, `fold 3`, a speaker's name, or `final`.
    pub name: String,
    /// Its model.
    pub model: Model,
    /// Its test metrics (none for a final model without test rows).
    pub metrics: Option<Metrics>,
    /// Seconds training took.
    pub seconds: f64,
    /// The rows it used.
    pub rows: FoldRows,
}

/// Trains on `train_rows` (see [`train_model`]) and tests on `test_rows`; `on_epoch` hears
/// every epoch.
pub fn train_fold(
    data: &Dataset,
    name: &str,
    train_rows: &[usize],
    test_rows: &[usize],
    config: &TrainConfig,
    features: &FeatureConfig,
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<Fold> {
    let start = Instant::now();
    let trained = train_model(data, train_rows, config, features, on_epoch)?;
    let seconds = start.elapsed().as_secs_f64();
    let metrics = if test_rows.is_empty() {
        None
    } else {
        let test = data.subset(test_rows);
        let predicted = trained.model.predict(test.x.view())?;
        Some(classification_metrics(
            &test.labels,
            &predicted,
            data.classes.len(),
        )?)
    };
    Ok(Fold {
        name: name.to_string(),
        model: trained.model,
        metrics,
        seconds,
        rows: FoldRows {
            train: trained.train_rows,
            validation: trained.validation_rows,
            test: test_rows.to_vec(),
        },
    })
}

/// Every fold of a split, trained and tested, and the model to keep.
#[derive(Debug, Clone)]
pub struct CrossValidation {
    /// The tested folds, in the split's order (one for `random` and `speakers:F`).
    pub folds: Vec<Fold>,
    /// The model to keep: the one fold's with a single split, else a final model trained on
    /// every row (untested).
    pub model: Fold,
}

/// Mean and population standard deviation (ddof 0) over folds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FoldStat {
    /// Mean.
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
}

impl FoldStat {
    fn of(values: &[f64]) -> FoldStat {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        FoldStat { mean, std }
    }
}

/// The folds' test metrics together.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FoldSummary {
    /// Test WA, percent.
    pub accuracy: FoldStat,
    /// Test UA, percent.
    pub ua: FoldStat,
    /// Macro-F1.
    pub macro_f1: FoldStat,
    /// The confusion matrices of every fold, summed.
    pub confusion: Vec<Vec<usize>>,
    /// Seconds of training, the final model's included.
    pub train_seconds: f64,
}

/// Trains and tests every fold of `split` (dealt by `config.seed`), then the model to keep
/// (see [`CrossValidation::model`]); `on_epoch` hears every epoch with the fold's name. This is
/// `ser train`.
pub fn cross_validate(
    data: &Dataset,
    split: &SplitSpec,
    config: &TrainConfig,
    features: &FeatureConfig,
    on_epoch: &mut dyn FnMut(&str, &EpochStats),
) -> Result<CrossValidation> {
    if data.classes.len() < 2 {
        return Err(ModelError::Mismatch(format!(
            "training needs at least 2 classes, the data has {:?}",
            data.classes
        )));
    }
    config.validate()?;
    let mut folds = Vec::new();
    for (name, s) in split.folds(data, config.seed)? {
        let mut hear = |e: &EpochStats| on_epoch(&name, e);
        folds.push(train_fold(
            data, &name, &s.train, &s.test, config, features, &mut hear,
        )?);
    }
    let model = if folds.len() == 1 {
        folds[0].clone()
    } else {
        let all: Vec<usize> = (0..data.len()).collect();
        let mut hear = |e: &EpochStats| on_epoch("final", e);
        train_fold(data, "final", &all, &[], config, features, &mut hear)?
    };
    Ok(CrossValidation { folds, model })
}

impl CrossValidation {
    /// The folds' test metrics together.
    pub fn summary(&self) -> FoldSummary {
        let tested: Vec<&Metrics> = self
            .folds
            .iter()
            .filter_map(|f| f.metrics.as_ref())
            .collect();
        let stat =
            |f: fn(&Metrics) -> f64| FoldStat::of(&tested.iter().map(|m| f(m)).collect::<Vec<_>>());
        let classes = tested.first().map_or(0, |m| m.confusion.len());
        let mut confusion = vec![vec![0usize; classes]; classes];
        for m in &tested {
            for (row, src) in confusion.iter_mut().zip(&m.confusion) {
                for (v, s) in row.iter_mut().zip(src) {
                    *v += s;
                }
            }
        }
        let mut train_seconds: f64 = self.folds.iter().map(|f| f.seconds).sum();
        if self.folds.len() > 1 {
            train_seconds += self.model.seconds;
        }
        FoldSummary {
            accuracy: stat(|m| 100.0 * m.accuracy),
            ua: stat(|m| 100.0 * m.ua),
            macro_f1: stat(|m| m.macro_f1),
            confusion,
            train_seconds,
        }
    }
}
