//! The layer-wise adaptive bit-width search, plain and pooled over fold models.

use ser_importance::{
    HessianTrace, ImportanceConfig, LayerImportance, Order, Scorer, Sensitivity, importance,
    mlp_layer_stats, rank,
};
use ser_mlp::{GptqConfig, InputMoments, Labelled, Mlp, accuracy_percent};
use ser_quant::{BitWidth, Precision, QuantOptions};

use crate::error::{Result, SearchError};
use crate::pool::ScoredPool;

ser_quant::named_options! {
    /// How the widths of one layer are searched.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum Strategy as "search" {
        /// Try every candidate and keep the smallest that passes (accuracy need not fall
        /// monotonically with the width, so none is skipped).
        #[default]
        Linear = "linear",
        /// Bisect the candidates, assuming that a width passes whenever a narrower one does:
        /// `ceil(log2(candidates + 1))` evaluations per layer instead of one per candidate.
        Binary = "binary",
    }
}

/// Which score ranks the layers and sets their margins.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum LayerScore {
    /// The poster's `Importance(l)` (METHOD.md), with [`SearchConfig::importance`]'s settings.
    #[default]
    Poster,
    /// Hutchinson's Hessian-trace estimate on the validation rows, divided by the largest
    /// layer's so it lies in [0, 1] like the poster's (negative estimates count as 0).
    HessianTrace(HessianTrace),
    /// The one-layer accuracy drop on the validation rows, divided by the largest (negative
    /// drops count as 0).
    Sensitivity(Sensitivity),
}

impl LayerScore {
    /// A short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            LayerScore::Poster => "poster",
            LayerScore::HessianTrace(s) => s.name(),
            LayerScore::Sensitivity(s) => s.name(),
        }
    }
}

/// Scores scaled to [0, 1] by the largest (all 0 when none is positive).
fn normalised(scores: Vec<f64>) -> Vec<f64> {
    let max = scores.iter().fold(0.0f64, |m, v| m.max(*v));
    scores
        .into_iter()
        .map(|v| if max > 0.0 { (v / max).max(0.0) } else { 0.0 })
        .collect()
}

/// Settings of the search; the defaults are METHOD.md's.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchConfig {
    /// The importance score (`a`, and the entropy weight).
    pub importance: ImportanceConfig,
    /// The score that ranks layers and sets margins: the poster's by default.
    pub score: LayerScore,
    /// `beta`: how much tighter, in percentage points per unit of importance, the margin of
    /// a more important layer is. Default 1.
    pub beta: f64,
    /// `T_margin`: the allowed validation accuracy drop, in percentage points. Default 2.
    pub margin: f64,
    /// The order layers are decided in. Default most important first.
    pub order: Order,
    /// Candidate widths, tried widest first. Default 8 down to 1.
    pub widths: Vec<BitWidth>,
    /// Linear (default) or binary search over the candidates.
    pub strategy: Strategy,
    /// Quantizer options (per-layer scales and biases at the layer's width by default).
    pub quant: QuantOptions,
    /// Code each layer by GPTQ (error compensation on calibration rows) instead of rounding
    /// to nearest; every member then needs its [`Member::calibration`]. Default: off.
    pub gptq: Option<GptqConfig>,
    /// What the budget mode maximises over the mixes within its budget. Default: accuracy.
    pub mix_score: crate::MixScore,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            importance: ImportanceConfig::default(),
            score: LayerScore::Poster,
            beta: 1.0,
            margin: 2.0,
            order: Order::MostImportantFirst,
            widths: BitWidth::ALL.iter().rev().copied().collect(),
            strategy: Strategy::Linear,
            quant: QuantOptions::default(),
            gptq: None,
            mix_score: crate::MixScore::default(),
        }
    }
}

impl SearchConfig {
    /// Refuses non-finite or negative margins and beta, and an empty candidate list.
    pub fn validate(&self) -> Result<()> {
        self.importance.validate()?;
        for (name, v) in [("beta", self.beta), ("margin", self.margin)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(SearchError::Config(format!(
                    "{name} must be finite and >= 0, got {v}"
                )));
            }
        }
        if self.widths.is_empty() {
            return Err(SearchError::Config("no candidate widths".into()));
        }
        Ok(())
    }
}

/// One evaluation the search made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trial {
    /// The layer being decided.
    pub layer: usize,
    /// The widths of every layer in this trial, as average bits (parameter-weighted).
    pub average_bits: f64,
    /// The width tried for `layer`.
    pub bits: Precision,
    /// Validation accuracy, percent.
    pub accuracy: f64,
    /// Whether it stayed within the margin.
    pub passed: bool,
}

/// What the search found.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    /// The width of each layer, in layer order. A layer for which no candidate stays within
    /// its margin is left at full precision.
    pub precisions: Vec<Precision>,
    /// The f32 network's validation accuracy, percent.
    pub baseline_accuracy: f64,
    /// The chosen model's validation accuracy, percent.
    pub accuracy: f64,
    /// Each layer's poster importance terms, in layer order (reported whatever the score).
    pub importance: Vec<LayerImportance>,
    /// The score of each layer that ranked it and set its margin (the poster's importance by
    /// default).
    pub scores: Vec<f64>,
    /// Each layer's margin `T_margin - beta * Importance(l)`, percentage points.
    pub margins: Vec<f64>,
    /// The order the layers were decided in.
    pub order: Vec<usize>,
    /// Every evaluation, in the order made.
    pub trials: Vec<Trial>,
    /// Parameter-weighted mean width of the chosen model (32 for f32 layers).
    pub average_bits: f64,
}

/// Validation accuracy in percent (correct rows over all rows) of `mlp` at `precisions`.
pub fn quantized_accuracy(
    mlp: &Mlp,
    precisions: &[Precision],
    quant: QuantOptions,
    data: Labelled<'_>,
) -> Result<f64> {
    if precisions.iter().all(|p| *p == Precision::Full) {
        return Ok(accuracy_percent(mlp, &data)?);
    }
    Ok(accuracy_percent(
        &mlp.fake_quantized(precisions, quant)?,
        &data,
    )?)
}

/// Parameter-weighted mean width.
pub fn average_bits(mlp: &Mlp, precisions: &[Precision]) -> f64 {
    let params: Vec<f64> = mlp.layers().iter().map(|l| l.n_params() as f64).collect();
    let weighted: f64 = params
        .iter()
        .zip(precisions)
        .map(|(p, b)| p * f64::from(b.bits()))
        .sum();
    weighted / params.iter().sum::<f64>()
}

/// The poster's adaptive search on `validation` rows (standardised, as the network takes them).
pub fn adaptive_search<'a>(
    mlp: &'a Mlp,
    validation: Labelled<'a>,
    config: &SearchConfig,
) -> Result<SearchResult> {
    adaptive_search_pooled(mlp, validation, &[], config)
}

/// A network and rows it was not trained on (standardised as it takes them): one member of a
/// pooled validation ([`adaptive_search_pooled`]).
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    /// The network, of the same layer shapes as the one searched.
    pub mlp: &'a Mlp,
    /// Its held-out rows.
    pub rows: Labelled<'a>,
    /// Its layers' input moments on its training rows ([`ser_mlp::Mlp::input_moments`]), which
    /// GPTQ needs ([`SearchConfig::gptq`]); `None` without GPTQ.
    pub calibration: Option<&'a [InputMoments]>,
}

/// The adaptive search with a steadier accuracy signal: every trial's widths are applied to
/// `mlp` and to each of `others` (say, the same recipe trained on other folds), and the
/// accuracy the margins are checked against is pooled over all their held-out rows (rows
/// predicted right over all rows). With one validation set of ~50 rows one row moves the
/// accuracy 2 points, more than the default margins; k folds of a training set make every
/// training row a validation row once.
///
/// The layers are scored (and so ranked and given margins) on `mlp` and `validation` alone:
/// its widths are the ones chosen. `others` must have `mlp`'s layer shapes. With no `others`
/// this is [`adaptive_search`].
///
/// ```
/// use ndarray::Array2;
/// use ser_mlp::{Labelled, TrainConfig, fit};
/// use ser_search::{Member, SearchConfig, adaptive_search_pooled};
///
/// let x = Array2::from_shape_fn((60, 6), |(i, j)| if (i % 2 == 0) == (j % 2 == 0) { 1.0 } else { -1.0 } + (i * j % 5) as f32 * 0.05);
/// let y: Vec<usize> = (0..60).map(|i| i % 2).collect();
/// let (first, second) = (x.slice(ndarray::s![..30, ..]), x.slice(ndarray::s![30.., ..]));
/// let config = |seed| TrainConfig { hidden: vec![16, 8], max_epochs: 40, seed, ..TrainConfig::default() };
/// // Two networks, each validated on the half it did not see.
/// let (a, _) = fit(&config(1), Labelled { x: first, y: &y[..30] }, None, 2)?;
/// let (b, _) = fit(&config(2), Labelled { x: second, y: &y[30..] }, None, 2)?;
/// let other = Member { mlp: &b, rows: Labelled { x: first, y: &y[..30] }, calibration: None };
/// let result = adaptive_search_pooled(&a, Labelled { x: second, y: &y[30..] }, &[other], &SearchConfig::default())?;
/// assert!(result.baseline_accuracy - result.accuracy <= 2.0);
/// # Ok::<(), ser_search::SearchError>(())
/// ```
pub fn adaptive_search_pooled<'a>(
    mlp: &'a Mlp,
    validation: Labelled<'a>,
    others: &[Member<'a>],
    config: &SearchConfig,
) -> Result<SearchResult> {
    config.validate()?;
    let mut members = vec![Member {
        mlp,
        rows: validation,
        calibration: None,
    }];
    members.extend_from_slice(others);
    ScoredPool::new(members, config.quant, config.gptq)?.search(config)
}

impl ScoredPool<'_> {
    /// The adaptive search over the pool, whose first member is the network searched with
    /// its validation rows. The pool keeps every dequantized layer it made, for the caller to
    /// score more widths with (a Pareto front, the budget).
    pub fn search(&mut self, config: &SearchConfig) -> Result<SearchResult> {
        search_in(self, config)
    }
}

fn search_in(pool: &mut ScoredPool<'_>, config: &SearchConfig) -> Result<SearchResult> {
    config.validate()?;
    let Member {
        mlp,
        rows: validation,
        ..
    } = pool.members()[0];
    let n = mlp.layers().len();
    let baseline = pool.accuracy(&vec![Precision::Full; n])?;
    let terms = importance(&mlp_layer_stats(mlp), &config.importance)?;
    let scores: Vec<f64> = match &config.score {
        LayerScore::Poster => terms.iter().map(|s| s.importance).collect(),
        LayerScore::HessianTrace(h) => normalised(h.scores(mlp, Some(validation))?),
        LayerScore::Sensitivity(s) => normalised(s.scores(mlp, Some(validation))?),
    };
    let margins: Vec<f64> = scores
        .iter()
        .map(|s| config.margin - config.beta * s)
        .collect();
    let order = rank(&scores, config.order);
    let mut precisions = vec![Precision::Full; n];
    let mut trials = Vec::new();
    for &layer in &order {
        let mut try_width = |b: BitWidth, precisions: &[Precision]| -> Result<bool> {
            let mut p = precisions.to_vec();
            p[layer] = Precision::Bits(b);
            let acc = pool.accuracy(&p)?;
            let passed = baseline - acc <= margins[layer];
            trials.push(Trial {
                layer,
                average_bits: average_bits(mlp, &p),
                bits: Precision::Bits(b),
                accuracy: acc,
                passed,
            });
            Ok(passed)
        };
        let chosen = match config.strategy {
            Strategy::Linear => {
                // Every candidate; the narrowest that passes wins (in any candidate order).
                let mut best: Option<BitWidth> = None;
                for &b in &config.widths {
                    if try_width(b, &precisions)? && best.is_none_or(|x| b < x) {
                        best = Some(b);
                    }
                }
                best.map(Precision::Bits)
            }
            Strategy::Binary => {
                // Candidates sorted widest first: find the last index that passes, assuming
                // passing is monotone in the width.
                let mut sorted = config.widths.clone();
                sorted.sort_by(|a, b| b.cmp(a));
                sorted.dedup();
                let (mut lo, mut hi) = (0usize, sorted.len());
                let mut best = None;
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    if try_width(sorted[mid], &precisions)? {
                        best = Some(Precision::Bits(sorted[mid]));
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                best
            }
        };
        precisions[layer] = chosen.unwrap_or(Precision::Full);
    }
    let acc = pool.accuracy(&precisions)?;
    Ok(SearchResult {
        average_bits: average_bits(mlp, &precisions),
        precisions,
        baseline_accuracy: baseline,
        accuracy: acc,
        importance: terms,
        scores,
        margins,
        order,
        trials,
    })
}

/// The points no other point beats: lower or equal average bits and higher or equal accuracy,
/// one strictly. Input `(average_bits, accuracy)`; output sorted by bits, duplicates once.
///
/// ```
/// let front = ser_search::pareto_front(&[(8.0, 90.0), (2.0, 88.0), (4.0, 87.0), (1.0, 70.0), (2.0, 88.0)]);
/// assert_eq!(front, vec![(1.0, 70.0), (2.0, 88.0), (8.0, 90.0)]);
/// ```
pub fn pareto_front(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut sorted: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(b, a)| b.is_finite() && a.is_finite())
        .collect();
    // By bits ascending, then accuracy descending: each point is kept when it beats the best
    // accuracy of every point with fewer (or equal) bits.
    sorted.sort_by(|x, y| x.0.total_cmp(&y.0).then(y.1.total_cmp(&x.1)));
    let mut front: Vec<(f64, f64)> = Vec::new();
    for p in sorted {
        if front.last().is_none_or(|last| p.1 > last.1) {
            front.push(p);
        }
    }
    front
}
