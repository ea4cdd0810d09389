//! The whole method for one seed: split, train the f32 baseline, the fixed-width sweep, the
//! adaptive search, optional fine-tuning, each evaluated on the test rows as packed models.

use std::time::Instant;

use ndarray::{Array2, Axis};
use ser_data::{Dataset, SplitSpec, stratified_kfold};
use ser_features::FeatureConfig;
use ser_mlp::{Gptq, InputMoments, Labelled, TrainConfig};
use ser_model::{Evaluated, Model, Trained, train_model};
use ser_quant::{BitWidth, Precision};
use serde::{Deserialize, Serialize};

use ser_search::{
    Budget, BudgetResult, Costs, FinetuneConfig, Member, ScoredPool, SearchConfig, SearchResult,
    finetune_quantized_from, pareto_front,
};

use crate::error::{ExperimentError, Result};

ser_quant::named_options! {
    /// A named starting point for [`RunConfig`]: the poster's method, or the best this crate
    /// measured ([`RunConfig::for_method`]).
    ///
    /// ```
    /// use ser_experiment::Method;
    ///
    /// assert_eq!(Method::Best.name(), "best");
    /// assert_eq!("poster".parse::<Method>()?, Method::Poster);
    /// assert!("fastest".parse::<Method>().is_err());
    /// # Ok::<(), ser_quant::UnknownName>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum Method as "method" {
        /// The poster's method as METHOD.md gives it: codes rounded to nearest, the search on
        /// one validation split, no budget.
        #[default]
        Poster = "poster",
        /// What docs/REPRODUCTION.md measured best on the seeds kept for choosing: GPTQ codes,
        /// the search's rows pooled over [`BEST_FOLDS`] fold models (each trained for the
        /// baseline's best epoch count), and the budget mode at [`BEST_BITS`] average bits, or
        /// [`BEST_FINETUNED_BITS`] when fine-tuning (plain cross-entropy, from the f32 weights).
        Best = "best",
    }
}

/// Fold models of [`Method::Best`].
pub const BEST_FOLDS: usize = 5;
/// Average bits of [`Method::Best`]'s budget without fine-tuning.
pub const BEST_BITS: f64 = 2.0;
/// Average bits of [`Method::Best`]'s budget with fine-tuning.
pub const BEST_FINETUNED_BITS: f64 = 1.5;

/// Settings of [`run_seed`]; every part's default is its own type's.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunConfig {
    /// The named method the settings started from ([`RunConfig::for_method`]); reports say
    /// it, the other fields are what runs. Default: [`Method::Poster`].
    pub method: Method,
    /// Training of the f32 baseline (its seed is replaced by the run's). Default: METHOD.md's.
    pub train: TrainConfig,
    /// The adaptive search. Default: METHOD.md's.
    pub search: SearchConfig,
    /// Fine-tuning of the run's model, when wanted: the budget's when [`RunConfig::budget`]
    /// is set, else the adaptive search's (its seed is replaced by the run's). Default: none.
    pub finetune: Option<FinetuneConfig>,
    /// How each seed's test rows are chosen ([`SplitSpec::for_seed`]). Default: `random`,
    /// METHOD.md's stratified 90/10.
    pub split: SplitSpec,
    /// `k` for a cross-validated search (0: off, the poster's single validation split).
    /// With `k >= 2` the non-test rows are dealt into `k` stratified folds, the baseline recipe
    /// is trained once per fold on the other folds, and the search pools the accuracy of the
    /// model it quantizes (on its validation rows) and of the `k` fold models (each on its
    /// fold): [`ser_search::adaptive_search_pooled`]. Costs `k` more trainings per seed. Default: 0.
    pub validation_folds: usize,
    /// A size budget: besides the margin search, every mix of widths is scored on the same
    /// rows and the most accurate within the budget is kept ([`SeedRun::budgeted`]).
    /// Default: none.
    pub budget: Option<Budget>,
    /// Train each fold model of a cross-validated search for as many epochs as the
    /// baseline's best, without early stopping, rather than by the baseline's recipe: the
    /// same networks, without the patience's epochs past the best (about half of each
    /// training). Default: false.
    pub folds_at_baseline_epochs: bool,
}

impl RunConfig {
    /// The settings of `method`, fine-tuning (with its defaults) when `finetune` is set.
    ///
    /// ```
    /// use ser_experiment::{BEST_FINETUNED_BITS, Method, RunConfig};
    /// use ser_search::Budget;
    ///
    /// let poster = RunConfig::for_method(Method::Poster, false);
    /// assert_eq!(poster, RunConfig::default());
    /// let best = RunConfig::for_method(Method::Best, true);
    /// assert!(best.search.gptq.is_some() && best.validation_folds > 0);
    /// assert_eq!(best.budget, Some(Budget::AverageBits(BEST_FINETUNED_BITS)));
    /// // Plain cross-entropy: distillation did worse on the choosing seeds.
    /// assert!(best.finetune.unwrap().distillation.is_none());
    /// ```
    pub fn for_method(method: Method, finetune: bool) -> RunConfig {
        let finetune = finetune.then(FinetuneConfig::default);
        match method {
            Method::Poster => RunConfig {
                finetune,
                ..RunConfig::default()
            },
            Method::Best => {
                let mut config = RunConfig {
                    method,
                    validation_folds: BEST_FOLDS,
                    folds_at_baseline_epochs: true,
                    budget: Some(Budget::AverageBits(if finetune.is_some() {
                        BEST_FINETUNED_BITS
                    } else {
                        BEST_BITS
                    })),
                    finetune,
                    ..RunConfig::default()
                };
                config.search.gptq = Some(ser_mlp::GptqConfig::default());
                config
            }
        }
    }

    /// Checks every part before any work.
    pub fn validate(&self) -> Result<()> {
        self.train.validate()?;
        self.search.validate()?;
        if self.validation_folds == 1 {
            return Err(ExperimentError::Config(
                "validation folds must be 0 (off) or at least 2".into(),
            ));
        }
        if let Some(f) = &self.finetune {
            f.validate()?;
        }
        match self.budget {
            Some(Budget::AverageBits(b)) if !(1.0..=32.0).contains(&b) => {
                Err(ExperimentError::Config(format!(
                    "a budget of {b} average bits is outside 1 (every layer at 1 bit) to 32 (f32)"
                )))
            }
            _ => Ok(()),
        }
    }
}

/// Everything one seed produced (an entry of `results.json`'s `runs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedRun {
    /// The seed (split, initialisation, shuffling, dropout).
    pub seed: u64,
    /// The f32 model.
    pub baseline: Evaluated,
    /// Every layer at 1..=8 bits, in that order.
    pub fixed: Vec<Evaluated>,
    /// The adaptive search's model.
    pub adaptive: Evaluated,
    /// The adaptive model after fine-tuning, when run (not with a budget, whose model is
    /// fine-tuned instead).
    pub adaptive_finetuned: Option<Evaluated>,
    /// Validation accuracy (percent) of the baseline, and of the adaptive model.
    pub validation_accuracy: [f64; 2],
    /// Each layer's score (the poster's importance unless another was chosen).
    pub importance: Vec<f64>,
    /// The order the search decided the layers in.
    pub search_order: Vec<usize>,
    /// Seconds the adaptive search took (scoring, every trial, the choice).
    pub search_seconds: f64,
    /// Seconds spent training the fold models of a cross-validated search (0 without).
    pub folds_seconds: f64,
    /// Epochs the baseline trained.
    pub epochs: usize,
    /// Rows trained on, validated on, tested on.
    pub rows: [usize; 3],
    /// The Pareto front of (average bits, search accuracy in percent) over everything tried:
    /// the f32 baseline, every fixed width and every trial of the search, judged on the
    /// search's (validation) rows, sorted by bits.
    pub pareto: Vec<[f64; 2]>,
    /// Rows the search's accuracy was pooled over (the validation rows, plus every non-test
    /// row once with cross-validated search).
    pub search_rows: usize,
    /// The budget mode's model, when a budget was set (absent in older files).
    #[serde(default)]
    pub budgeted: Option<Budgeted>,
}

/// The budget mode's result for one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Budgeted {
    /// The most accurate mix within the budget, as a packed model on the test rows.
    pub model: Evaluated,
    /// The same widths after fine-tuning, when fine-tuning ran.
    #[serde(default)]
    pub finetuned: Option<Evaluated>,
    /// Its search accuracy (percent, on the search's rows).
    pub search_accuracy: f64,
    /// The exact Pareto front of (cost, search accuracy) over every mix (or the proxy's
    /// mixes), by increasing cost; the cost is in the budget's unit.
    pub front: Vec<[f64; 2]>,
    /// Whether every mix was scored.
    pub exact: bool,
    /// How many mixes were scored.
    pub scored: usize,
    /// Seconds the scoring took.
    pub seconds: f64,
}

/// Rows of `data` standardised as `model` takes them, with their labels.
fn standardised(
    data: &Dataset,
    model: &Model,
    rows: &[usize],
) -> Result<(Array2<f32>, Vec<usize>)> {
    let part = data.subset(rows);
    Ok((model.standardizer.transform(part.x.view())?, part.labels))
}

/// The f32 network of a model this crate trained.
fn mlp(model: &Model) -> Result<&ser_mlp::Mlp> {
    model
        .mlp()
        .ok_or_else(|| ExperimentError::Config("the search needs an f32 model".into()))
}

/// Runs the method once: split (by `seed`), train the f32 baseline (`config.train`, early
/// stopping on a validation share of the training rows), evaluate every fixed width and the adaptive search's
/// model (searched on the validation rows) on the test rows, each as the packed model
/// `ser quantize` would write, and optionally fine-tune the adaptive model.
pub fn run_seed(
    data: &Dataset,
    features: &FeatureConfig,
    seed: u64,
    config: &RunConfig,
) -> Result<SeedRun> {
    config.validate()?;
    let split = config.split.for_seed(data, seed)?;
    let train_config = TrainConfig {
        seed,
        ..config.train.clone()
    };
    let trained = train_model(data, &split.train, &train_config, features, &mut |_| {})?;
    let model = &trained.model;
    let quant = config.search.quant;
    let test_x = data.x.select(Axis(0), &split.test);
    let test_y: Vec<usize> = split.test.iter().map(|&r| data.labels[r]).collect();
    let moments = calibration(data, model, &trained.train_rows, config)?;
    let gptq: Gptq<'_> = moments.as_deref().zip(config.search.gptq.as_ref());
    let packed = |p: &[Precision], m: &Model, gptq: Gptq<'_>| -> Result<Evaluated> {
        Ok(m.quantize_with(p, quant, gptq)?
            .evaluated(test_x.view(), &test_y)?)
    };
    let baseline = model.evaluated(test_x.view(), &test_y)?;
    let fixed = model.fixed_sweep_with(quant, gptq, test_x.view(), &test_y)?;
    let searched = search(
        data,
        &trained,
        moments.as_deref(),
        &split.train,
        &train_config,
        features,
        config,
    )?;
    let search = &searched.result;
    let adaptive = packed(&search.precisions, model, gptq)?;
    let budgeted = match &searched.budget {
        None => None,
        Some((found, seconds)) => {
            let model = packed(&found.chosen.precisions, model, gptq)?;
            if let Some(Budget::Bytes(limit)) = config.budget
                && model.bytes as u64 > limit
            {
                return Err(ExperimentError::Config(format!(
                    "the chosen model is {} bytes, over the budget of {limit}: the per-layer \
                     sizes did not add up",
                    model.bytes
                )));
            }
            let finetuned = match &config.finetune {
                None => None,
                Some(f) => {
                    let tuned = finetune(
                        data,
                        &trained,
                        &found.chosen.precisions,
                        f,
                        seed,
                        quant,
                        gptq,
                    )?;
                    Some(packed(&found.chosen.precisions, &tuned, None)?)
                }
            };
            Some(Budgeted {
                model,
                finetuned,
                search_accuracy: found.chosen.accuracy,
                front: found.front.iter().map(|m| [m.cost, m.accuracy]).collect(),
                exact: found.exact,
                scored: found.scored,
                seconds: *seconds,
            })
        }
    };
    // With a budget the run is for the budget's model, and only it is fine-tuned.
    let adaptive_finetuned = match &config.finetune {
        Some(f) if config.budget.is_none() => {
            // Fine-tuning trains through round-to-nearest codes (the straight-through view),
            // so its result is packed the same way.
            let tuned = finetune(data, &trained, &search.precisions, f, seed, quant, gptq)?;
            Some(packed(&search.precisions, &tuned, None)?)
        }
        _ => None,
    };
    Ok(SeedRun {
        seed,
        baseline,
        fixed,
        adaptive,
        adaptive_finetuned,
        validation_accuracy: [search.baseline_accuracy, search.accuracy],
        importance: search.scores.clone(),
        search_order: search.order.clone(),
        search_seconds: searched.seconds,
        folds_seconds: searched.folds_seconds,
        epochs: trained.history.epochs.len(),
        rows: [
            trained.train_rows.len(),
            trained.validation_rows.len(),
            split.test.len(),
        ],
        search_rows: searched.rows,
        pareto: searched.pareto,
        budgeted,
    })
}

/// The search of one seed, with what the report says of it.
struct Searched {
    result: SearchResult,
    seconds: f64,
    folds_seconds: f64,
    rows: usize,
    pareto: Vec<[f64; 2]>,
    /// The budget mode's choice and front, with its seconds, when a budget was set.
    budget: Option<(BudgetResult, f64)>,
}

/// The adaptive search on the baseline's validation rows (pooled with fold models when
/// `config.validation_folds` is set), and the Pareto front of everything it and the fixed
/// widths scored on those rows.
fn search(
    data: &Dataset,
    trained: &Trained,
    moments: Option<&[InputMoments]>,
    train_rows: &[usize],
    train_config: &TrainConfig,
    features: &FeatureConfig,
    config: &RunConfig,
) -> Result<Searched> {
    let model = &trained.model;
    let (xv, yv) = standardised(data, model, &trained.validation_rows)?;
    let start = Instant::now();
    let fold_epochs = config
        .folds_at_baseline_epochs
        .then_some(trained.history.best_epoch.max(1));
    let folds = fold_members(
        data,
        train_rows,
        train_config,
        fold_epochs,
        features,
        config,
    )?;
    let folds_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    // One pool for the search and the fixed widths of the Pareto front: each member's layers
    // are quantized once per width.
    let members = std::iter::once(Ok(Member {
        mlp: mlp(model)?,
        rows: Labelled {
            x: xv.view(),
            y: &yv,
        },
        calibration: moments,
    }))
    .chain(folds.iter().map(|f| {
        Ok(Member {
            mlp: mlp(&f.model)?,
            rows: Labelled {
                x: f.x.view(),
                y: &f.y,
            },
            calibration: f.moments.as_deref(),
        })
    }))
    .collect::<Result<Vec<_>>>()?;
    let mut pool = ScoredPool::new(members, config.search.quant, config.search.gptq)?;
    let result = pool.search(&config.search)?;
    let seconds = start.elapsed().as_secs_f64();
    let n = model.network.shapes().len();
    let mut points = vec![(32.0, result.baseline_accuracy)];
    for &b in &BitWidth::ALL {
        points.push((
            f64::from(b.get()),
            pool.accuracy(&vec![Precision::Bits(b); n])?,
        ));
    }
    points.extend(result.trials.iter().map(|t| (t.average_bits, t.accuracy)));
    let pareto = pareto_front(&points)
        .into_iter()
        .map(|(b, a)| [b, a])
        .collect();
    let budget = match config.budget {
        None => None,
        Some(budget) => {
            let start = Instant::now();
            let widths: Vec<Precision> =
                BitWidth::ALL.iter().map(|&b| Precision::Bits(b)).collect();
            let costs = match budget {
                Budget::AverageBits(_) => Costs::average_bits(mlp(model)?, &widths),
                Budget::Bytes(limit) => {
                    let f32_bytes = model.to_bytes()?.len() as u64;
                    if limit >= f32_bytes {
                        return Err(ExperimentError::Config(format!(
                            "a budget of {limit} bytes is not below the f32 model's {f32_bytes}: \
                             nothing to quantize"
                        )));
                    }
                    file_costs(model, &widths, config.search.quant)?
                }
            };
            let found = pool.budget(&widths, &costs, budget, config.search.mix_score)?;
            Some((found, start.elapsed().as_secs_f64()))
        }
    };
    Ok(Searched {
        result,
        seconds,
        folds_seconds,
        rows: yv.len() + folds.iter().map(|f| f.y.len()).sum::<usize>(),
        pareto,
        budget,
    })
}

/// The model file's bytes as [`Costs`]: the file at the narrowest width everywhere, plus
/// what each layer adds at each width. The codes' values do not change a file's size (GPTQ's
/// or rounding's), so the sizes are those of rounded models.
fn file_costs(
    model: &Model,
    widths: &[Precision],
    quant: ser_quant::QuantOptions,
) -> Result<Costs> {
    let n = model.network.shapes().len();
    let bytes = |p: &[Precision]| -> Result<f64> {
        Ok(model.quantize_with(p, quant, None)?.to_bytes()?.len() as f64)
    };
    let narrowest = vec![widths[0]; n];
    let base = bytes(&narrowest)?;
    let layer = (0..n)
        .map(|l| {
            widths
                .iter()
                .map(|&w| {
                    let mut p = narrowest.clone();
                    p[l] = w;
                    Ok(bytes(&p)? - base)
                })
                .collect::<Result<Vec<f64>>>()
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Costs { base, layer })
}

/// The baseline fine-tuned through its quantized weights at `precisions`, as a model; from
/// its quantized values (GPTQ's with `gptq`) when `config.from_quantized`.
fn finetune(
    data: &Dataset,
    trained: &Trained,
    precisions: &[Precision],
    config: &FinetuneConfig,
    seed: u64,
    quant: ser_quant::QuantOptions,
    gptq: Gptq<'_>,
) -> Result<Model> {
    let model = &trained.model;
    let f32_mlp = mlp(model)?;
    let start = if config.from_quantized {
        f32_mlp.fake_quantized_with(precisions, quant, gptq)?
    } else {
        f32_mlp.clone()
    };
    let (xt, yt) = standardised(data, model, &trained.train_rows)?;
    let (xv, yv) = standardised(data, model, &trained.validation_rows)?;
    let config = FinetuneConfig {
        seed,
        quant,
        ..config.clone()
    };
    let tuned = finetune_quantized_from(
        &start,
        f32_mlp,
        precisions,
        Labelled {
            x: xt.view(),
            y: &yt,
        },
        Labelled {
            x: xv.view(),
            y: &yv,
        },
        &config,
    )?;
    Ok(model.with_mlp(tuned.mlp)?)
}

/// A fold model with its held-out rows (standardised as it takes them), their labels, and
/// its layers' input moments on its training rows when GPTQ is on.
struct Fold {
    model: Model,
    x: Array2<f32>,
    y: Vec<usize>,
    moments: Option<Vec<InputMoments>>,
}

/// The input moments of `model`'s layers on `rows` (standardised as it takes them), when
/// `config.search` quantizes by GPTQ.
fn calibration(
    data: &Dataset,
    model: &Model,
    rows: &[usize],
    config: &RunConfig,
) -> Result<Option<Vec<InputMoments>>> {
    if config.search.gptq.is_none() {
        return Ok(None);
    }
    Ok(Some(model.calibration(data.subset(rows).x.view())?))
}

/// The fold models of a cross-validated search, each with its fold's rows standardised as it
/// takes them (none when `config.validation_folds` is 0); trained for exactly `epochs` when
/// given, else by `train_config`'s early stopping.
fn fold_members(
    data: &Dataset,
    train_rows: &[usize],
    train_config: &TrainConfig,
    epochs: Option<usize>,
    features: &FeatureConfig,
    config: &RunConfig,
) -> Result<Vec<Fold>> {
    // `RunConfig::validate` (run by `run_seed`) has refused k = 1.
    let k = config.validation_folds;
    if k == 0 {
        return Ok(Vec::new());
    }
    let labels: Vec<usize> = train_rows.iter().map(|&r| data.labels[r]).collect();
    stratified_kfold(&labels, k, train_config.seed ^ 0xF01D)?
        .into_iter()
        .enumerate()
        .map(|(f, split)| {
            let rows = |inner: &[usize]| inner.iter().map(|&i| train_rows[i]).collect::<Vec<_>>();
            let mut fold_config = TrainConfig {
                seed: train_config.seed ^ ((f as u64 + 1) << 32),
                ..train_config.clone()
            };
            if let Some(epochs) = epochs {
                fold_config.max_epochs = epochs;
                fold_config.early_stopping = false;
            }
            let trained = train_model(
                data,
                &rows(&split.train),
                &fold_config,
                features,
                &mut |_| {},
            )?;
            let (x, y) = standardised(data, &trained.model, &rows(&split.test))?;
            let moments = calibration(data, &trained.model, &trained.train_rows, config)?;
            Ok(Fold {
                model: trained.model,
                x,
                y,
                moments,
            })
        })
        .collect()
}

/// [`run_seed`] for every seed (in parallel with the `parallel` feature, in the caller's rayon
/// pool), in the order given; `progress` is called as each seed finishes. Each seed is computed
/// on one thread from its seed alone, so the results do not depend on the number of threads.
pub fn run_seeds(
    data: &Dataset,
    features: &FeatureConfig,
    seeds: &[u64],
    config: &RunConfig,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<SeedRun>> {
    config.validate()?;
    let one = |&seed: &u64| {
        let run = run_seed(data, features, seed, config);
        progress();
        run
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        seeds.par_iter().map(one).collect()
    }
    #[cfg(not(feature = "parallel"))]
    seeds.iter().map(one).collect()
}
