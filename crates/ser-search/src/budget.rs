//! Every mix of widths, evaluated exactly, and the best model within a size budget.
//!
//! The poster's search walks the layers once with margins. With few layers and widths every
//! mix can be scored instead: the poster's network has 4 layers and 8 widths, 4,096 mixes. A
//! mix's accuracy is measured on the search's rows (every pooled member's held-out rows), as
//! the margin search measures it, and the outputs of a layer are shared by all the mixes that
//! agree on the layers before it (a depth-first walk of the tree of prefixes), so the 4,096
//! evaluations cost about as much as 585 layer products per member instead of 16,384. When the
//! mixes are too many ([`MAX_EXACT_MIXES`]), a Lagrangian over an additive proxy (each layer's
//! accuracy drop when it alone is quantized) picks the mixes instead, as HAWQ-V3's ILP and
//! llama.cpp's bits-per-weight targets do.

use ndarray::Array2;
use ser_mlp::Dense;
use ser_quant::Precision;

use crate::error::{Result, SearchError};
use crate::pool::ScoredPool;

/// The most mixes scored exactly; beyond, a Lagrangian over an additive proxy picks the mixes.
pub const MAX_EXACT_MIXES: usize = 1 << 16;

/// One mix of widths and what it measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Mix {
    /// One width per layer.
    pub precisions: Vec<Precision>,
    /// Accuracy on the search's rows, percent (rows right over all rows, pooled).
    pub accuracy: f64,
    /// Mean cross-entropy of the true classes on the same rows, in nats: what breaks ties
    /// of accuracy, or what is minimised under [`MixScore::Loss`].
    pub loss: f64,
    /// Its cost: what the budget counts (average bits, or bytes).
    pub cost: f64,
}

/// What a budget counts, and how much of it a model may have.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Budget {
    /// The parameter-weighted mean width, in bits (the poster's measure).
    AverageBits(f64),
    /// The model file's bytes.
    Bytes(u64),
}

impl Budget {
    /// The limit, in the budget's unit.
    ///
    /// ```
    /// use ser_search::Budget;
    ///
    /// assert_eq!(Budget::AverageBits(1.5).limit(), 1.5);
    /// assert_eq!(Budget::Bytes(40_000).limit(), 40_000.0);
    /// ```
    pub fn limit(&self) -> f64 {
        match *self {
            Budget::AverageBits(b) => b,
            Budget::Bytes(b) => b as f64,
        }
    }

    /// The unit, in words: `average bits` or `bytes`.
    ///
    /// ```
    /// use ser_search::Budget;
    ///
    /// assert_eq!(Budget::AverageBits(1.5).unit(), "average bits");
    /// assert_eq!(Budget::Bytes(40_000).unit(), "bytes");
    /// ```
    pub fn unit(&self) -> &'static str {
        match self {
            Budget::AverageBits(_) => "average bits",
            Budget::Bytes(_) => "bytes",
        }
    }
}

/// The cost of every width of every layer, additive over layers: `base + sum(layer[l][w_l])`.
#[derive(Debug, Clone, PartialEq)]
pub struct Costs {
    /// The part no layer's width changes.
    pub base: f64,
    /// `layer[l][k]`: layer `l` at the `k`-th candidate width.
    pub layer: Vec<Vec<f64>>,
}

impl Costs {
    /// The cost of the mix whose candidate indices are `choice`.
    ///
    /// ```
    /// use ser_search::Costs;
    ///
    /// let costs = Costs { base: 100.0, layer: vec![vec![1.0, 2.0], vec![10.0, 20.0]] };
    /// assert_eq!(costs.of(&[1, 0]), 112.0);
    /// ```
    pub fn of(&self, choice: &[usize]) -> f64 {
        self.base
            + choice
                .iter()
                .zip(&self.layer)
                .map(|(&k, costs)| costs[k])
                .sum::<f64>()
    }
}

/// Every mix of `widths` (one candidate list for all layers), scored exactly on the pool's
/// rows, in the order of the mixed-radix numbers of their candidate indices (the first
/// layer's index most significant). Refuses more than [`MAX_EXACT_MIXES`] mixes.
pub(crate) fn every_mix(
    pool: &mut ScoredPool<'_>,
    widths: &[Precision],
    costs: &Costs,
) -> Result<Vec<Mix>> {
    let n = pool.members()[0].mlp.layers().len();
    let total = mix_count(widths.len(), n)
        .filter(|&t| t <= MAX_EXACT_MIXES)
        .ok_or_else(|| {
            SearchError::Config(format!(
                "{} widths over {n} layers is more than {MAX_EXACT_MIXES} mixes to score exactly",
                widths.len()
            ))
        })?;
    let mut tally = Tally {
        correct: vec![0usize; total],
        loss: vec![0f64; total],
    };
    let mut rows = 0usize;
    for m in 0..pool.members().len() {
        let layers: Vec<Vec<Dense>> = (0..n)
            .map(|i| widths.iter().map(|&p| pool.layer(m, i, p)).collect())
            .collect::<Result<_>>()?;
        let member = &pool.members()[m];
        rows += member.rows.y.len();
        let x = member.rows.x.to_owned();
        walk(&layers, 0, x, 0, member.rows.y, &mut tally);
    }
    let mut mixes = Vec::with_capacity(total);
    let mut choice = vec![0usize; n];
    for (index, (&c, &loss)) in tally.correct.iter().zip(&tally.loss).enumerate() {
        let mut rest = index;
        for slot in choice.iter_mut().rev() {
            *slot = rest % widths.len();
            rest /= widths.len();
        }
        mixes.push(Mix {
            precisions: choice.iter().map(|&k| widths[k]).collect(),
            accuracy: 100.0 * c as f64 / rows as f64,
            loss: loss / rows as f64,
            cost: costs.of(&choice),
        });
    }
    Ok(mixes)
}

/// `widths^layers`, when it fits in a usize.
fn mix_count(widths: usize, layers: usize) -> Option<usize> {
    (0..layers).try_fold(1usize, |acc, _| acc.checked_mul(widths))
}

/// Per mix: rows predicted right, and the sum of their cross-entropies.
struct Tally {
    correct: Vec<usize>,
    loss: Vec<f64>,
}

/// Whether `logits` predict class `y` (their first largest value, as `ser_quant::argmax`
/// takes it), and the cross-entropy of `y` in nats (the log-sum-exp shifted by the largest
/// logit; in f32, as 4,096 mixes times every row make it the walk's hot spot).
pub(crate) fn row_score(logits: &[f32], y: usize) -> (bool, f64) {
    let mut best = (0, f32::NEG_INFINITY);
    for (i, &v) in logits.iter().enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    let sum: f32 = logits.iter().map(|&v| (v - best.1).exp()).sum();
    let at_y = logits.get(y).map_or(f32::NAN, |&v| v - best.1);
    (best.0 == y, f64::from(sum.ln() - at_y))
}

/// The depth-first walk: `h` is the input of layer `level` (the same for every mix whose
/// first `level` indices make `prefix`); at the last layer the rows predicted right and their
/// cross-entropies are added up for each completed mix. The arithmetic is `Mlp::logits`' own,
/// so each mix's predictions are those of its fake-quantized network.
fn walk(
    layers: &[Vec<Dense>],
    level: usize,
    h: Array2<f32>,
    prefix: usize,
    truth: &[usize],
    tally: &mut Tally,
) {
    let last = layers.len() - 1;
    for (k, layer) in layers[level].iter().enumerate() {
        let mut z = h.dot(&layer.weights) + &layer.bias;
        let index = prefix * layers[level].len() + k;
        if level < last {
            z.mapv_inplace(|v| v.max(0.0));
            walk(layers, level + 1, z, index, truth, tally);
        } else {
            let classes = z.ncols();
            let flat = z.as_slice().unwrap_or(&[]);
            for (r, &y) in flat.chunks_exact(classes.max(1)).zip(truth) {
                let (right, loss) = row_score(r, y);
                tally.correct[index] += usize::from(right);
                tally.loss[index] += loss;
            }
        }
    }
}

/// The exact Pareto front of `mixes`: those no other mix beats on both cost (lower) and
/// accuracy (higher), by increasing cost; of equal points the first is kept.
///
/// ```
/// use ser_quant::Precision;
/// use ser_search::{Mix, best_within, mix_front};
///
/// let mix = |cost: f64, accuracy: f64| Mix { precisions: vec![Precision::Full], accuracy, loss: 1.0, cost };
/// let mixes = [mix(2.0, 70.0), mix(1.0, 60.0), mix(1.5, 55.0), mix(3.0, 70.0)];
/// let front = mix_front(&mixes);
/// assert_eq!(front.iter().map(|m| m.cost).collect::<Vec<_>>(), [1.0, 2.0]);
/// // The most accurate within 1.8 is the 1.0 one; within 5, the cheaper of the two at 70 %.
/// assert_eq!(best_within(&mixes, 1.8).unwrap().cost, 1.0);
/// assert_eq!(best_within(&mixes, 5.0).unwrap().cost, 2.0);
/// assert!(best_within(&mixes, 0.5).is_none());
/// ```
pub fn mix_front(mixes: &[Mix]) -> Vec<Mix> {
    let mut order: Vec<&Mix> = mixes.iter().collect();
    // By cost, then higher accuracy first, so the first of a cost is its best.
    order.sort_by(|a, b| {
        a.cost
            .total_cmp(&b.cost)
            .then(b.accuracy.total_cmp(&a.accuracy))
    });
    let mut front: Vec<Mix> = Vec::new();
    for m in order {
        if front.last().is_none_or(|f| m.accuracy > f.accuracy) {
            front.push(m.clone());
        }
    }
    front
}

/// The most accurate mix within `limit` (of equally accurate ones the one of least loss,
/// then the cheapest, then the first); `None` when none fits.
pub fn best_within(mixes: &[Mix], limit: f64) -> Option<&Mix> {
    best_within_by(mixes, limit, MixScore::Accuracy)
}

ser_quant::named_options! {
    /// What the budget mode maximises over the mixes within the budget.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum MixScore as "budget score" {
        /// Accuracy on the search's rows, ties broken by the lower loss (the poster's measure).
        #[default]
        Accuracy = "accuracy",
        /// The lower mean cross-entropy on the search's rows: a smooth measure, less moved by
        /// the few rows on which the choice between two mixes turns.
        Loss = "loss",
    }
}

/// The best mix within `limit` by `score`, then the cheapest, then the first; `None` when
/// none fits.
///
/// ```
/// use ser_quant::Precision;
/// use ser_search::{Mix, MixScore, best_within_by};
///
/// let mix = |cost: f64, accuracy: f64, loss: f64| Mix { precisions: vec![Precision::Full], accuracy, loss, cost };
/// let mixes = [mix(1.0, 70.0, 0.9), mix(1.5, 70.0, 0.7), mix(1.9, 68.0, 0.5)];
/// // Equal accuracy: the lower loss wins, although it costs more.
/// assert_eq!(best_within_by(&mixes, 2.0, MixScore::Accuracy).unwrap().cost, 1.5);
/// assert_eq!(best_within_by(&mixes, 2.0, MixScore::Loss).unwrap().cost, 1.9);
/// ```
pub fn best_within_by(mixes: &[Mix], limit: f64, score: MixScore) -> Option<&Mix> {
    let better = |m: &Mix, b: &Mix| -> bool {
        let by_loss = m.loss.total_cmp(&b.loss);
        let order = match score {
            MixScore::Accuracy => b.accuracy.total_cmp(&m.accuracy).then(by_loss),
            MixScore::Loss => by_loss,
        };
        order.then(m.cost.total_cmp(&b.cost)).is_lt()
    };
    mixes
        .iter()
        .filter(|m| m.cost <= limit)
        .fold(None, |best: Option<&Mix>, m| match best {
            Some(b) if !better(m, b) => Some(b),
            _ => Some(m),
        })
}

/// Mixes chosen by a Lagrangian over an additive proxy, for networks with too many mixes to
/// score: each layer's accuracy drop when it alone is at a width (the others in f32), then for
/// each multiplier `lambda` the mix minimising `sum(drop) + lambda * cost`, over a sweep of
/// multipliers; each chosen mix is then scored exactly. They lie on the lower convex hull of
/// the proxy, so fewer than the exact front, but always within reach of any budget the
/// cheapest mix fits.
pub(crate) fn proxy_mixes(
    pool: &mut ScoredPool<'_>,
    widths: &[Precision],
    costs: &Costs,
) -> Result<Vec<Mix>> {
    let n = pool.members()[0].mlp.layers().len();
    let full = pool.accuracy(&vec![Precision::Full; n])?;
    let mut drop = vec![vec![0.0f64; widths.len()]; n];
    for (l, row) in drop.iter_mut().enumerate() {
        for (k, d) in row.iter_mut().enumerate() {
            let mut p = vec![Precision::Full; n];
            p[l] = widths[k];
            *d = full - pool.accuracy(&p)?;
        }
    }
    let span = costs
        .layer
        .iter()
        .map(|c| {
            c.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
                - c.iter().cloned().fold(f64::INFINITY, f64::min)
        })
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    let mut choices: Vec<Vec<usize>> = Vec::new();
    // Multipliers from "accuracy only" to "cost only", geometrically.
    for step in 0..=64 {
        let lambda = if step == 0 {
            0.0
        } else {
            100.0 / span * 10f64.powf((step as f64 - 32.0) / 8.0)
        };
        let choice: Vec<usize> = (0..n)
            .map(|l| {
                (0..widths.len())
                    .min_by(|&a, &b| {
                        let f = |k: usize| drop[l][k] + lambda * costs.layer[l][k];
                        f(a).total_cmp(&f(b))
                    })
                    .unwrap_or(0)
            })
            .collect();
        if !choices.contains(&choice) {
            choices.push(choice);
        }
    }
    choices
        .into_iter()
        .map(|choice| {
            let precisions: Vec<Precision> = choice.iter().map(|&k| widths[k]).collect();
            let (accuracy, loss) = pool.score(&precisions)?;
            Ok(Mix {
                accuracy,
                loss,
                cost: costs.of(&choice),
                precisions,
            })
        })
        .collect()
}

/// What [`budget_search`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetResult {
    /// The most accurate mix within the budget.
    pub chosen: Mix,
    /// The Pareto front of (cost, accuracy) over the mixes scored: every mix when
    /// [`BudgetResult::exact`], else the proxy's.
    pub front: Vec<Mix>,
    /// Whether every mix was scored.
    pub exact: bool,
    /// How many mixes were scored.
    pub scored: usize,
    /// The f32 network's accuracy on the same rows, percent.
    pub baseline_accuracy: f64,
}

impl Costs {
    /// Average bits: layer `l` at `b` bits costs `params(l) * b / params`.
    ///
    /// ```
    /// use ser_mlp::Mlp;
    /// use ser_quant::{BitWidth, Precision};
    /// use ser_search::Costs;
    ///
    /// let mlp = Mlp::new(4, &[8], 3, 0.0, 1)?; // 40 and 27 parameters
    /// let widths = [Precision::Bits(BitWidth::new(1)?), Precision::Bits(BitWidth::new(8)?)];
    /// let costs = Costs::average_bits(&mlp, &widths);
    /// assert!((costs.of(&[0, 0]) - 1.0).abs() < 1e-12);
    /// assert!((costs.of(&[1, 0]) - (40.0 * 8.0 + 27.0) / 67.0).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn average_bits(mlp: &ser_mlp::Mlp, widths: &[Precision]) -> Costs {
        let params: Vec<f64> = mlp.layers().iter().map(|l| l.n_params() as f64).collect();
        let total: f64 = params.iter().sum();
        Costs {
            base: 0.0,
            layer: params
                .iter()
                .map(|p| {
                    widths
                        .iter()
                        .map(|w| p * f64::from(w.bits()) / total)
                        .collect()
                })
                .collect(),
        }
    }
}

impl ScoredPool<'_> {
    /// The most accurate mix of `widths` whose cost (`costs`) is within `budget`, scored on
    /// the pool's rows by `score`: every mix when there are at most [`MAX_EXACT_MIXES`], else
    /// the Lagrangian proxy's. A limit below the cheapest mix, or not finite, is an error.
    pub fn budget(
        &mut self,
        widths: &[Precision],
        costs: &Costs,
        budget: Budget,
        score: MixScore,
    ) -> Result<BudgetResult> {
        budget_in(self, widths, costs, budget, score)
    }
}

pub(crate) fn budget_in(
    pool: &mut ScoredPool<'_>,
    widths: &[Precision],
    costs: &Costs,
    budget: Budget,
    score: MixScore,
) -> Result<BudgetResult> {
    let (limit, unit) = match budget {
        Budget::AverageBits(b) => (b, "average bits"),
        Budget::Bytes(b) => (b as f64, "bytes"),
    };
    let n = pool.members()[0].mlp.layers().len();
    if widths.is_empty()
        || costs.layer.len() != n
        || costs.layer.iter().any(|c| c.len() != widths.len())
    {
        return Err(SearchError::Config(format!(
            "the costs must give one value per candidate width ({}) for each of the {n} layers",
            widths.len()
        )));
    }
    let cheapest = costs.base
        + costs
            .layer
            .iter()
            .map(|c| c.iter().cloned().fold(f64::INFINITY, f64::min))
            .sum::<f64>();
    if !limit.is_finite() || limit < cheapest {
        return Err(SearchError::Config(format!(
            "a budget of {limit} {unit} is below the smallest model's {cheapest} {unit} (every \
             layer at its narrowest width)"
        )));
    }
    let baseline_accuracy = pool.accuracy(&vec![Precision::Full; n])?;
    let exact = mix_count(widths.len(), n).is_some_and(|t| t <= MAX_EXACT_MIXES);
    let mixes = if exact {
        every_mix(pool, widths, costs)?
    } else {
        proxy_mixes(pool, widths, costs)?
    };
    let chosen = best_within_by(&mixes, limit, score)
        .cloned()
        .ok_or_else(|| SearchError::Config(format!("no mix fits a budget of {limit} {unit}")))?;
    Ok(BudgetResult {
        chosen,
        front: mix_front(&mixes),
        exact,
        scored: mixes.len(),
        baseline_accuracy,
    })
}

/// The most accurate mix of `widths` within `budget` for `mlp` on `validation` rows (pooled
/// with `others`, as [`crate::adaptive_search_pooled`] pools them), with the exact Pareto
/// front of every mix. `Budget::Bytes` needs `costs`; average bits are computed when `costs`
/// is `None`.
///
/// ```
/// use ndarray::Array2;
/// use ser_mlp::{Labelled, TrainConfig, fit};
/// use ser_quant::{BitWidth, Precision};
/// use ser_search::{Budget, SearchConfig, budget_search};
///
/// let x = Array2::from_shape_fn((60, 6), |(i, j)| if (i % 2 == 0) == (j % 2 == 0) { 1.0 } else { -1.0 });
/// let y: Vec<usize> = (0..60).map(|i| i % 2).collect();
/// let config = TrainConfig { hidden: vec![8], max_epochs: 30, ..TrainConfig::default() };
/// let (mlp, _) = fit(&config, Labelled { x: x.view(), y: &y }, None, 2)?;
/// let widths: Vec<Precision> = (1..=8).map(|b| Precision::Bits(BitWidth::new(b).unwrap())).collect();
/// let rows = Labelled { x: x.view(), y: &y };
/// let found = budget_search(&mlp, rows, &[], &SearchConfig::default(), &widths, Budget::AverageBits(2.0), None)?;
/// assert!(found.exact && found.scored == 64);
/// assert!(found.chosen.cost <= 2.0);
/// # Ok::<(), ser_search::SearchError>(())
/// ```
pub fn budget_search<'a>(
    mlp: &'a ser_mlp::Mlp,
    validation: ser_mlp::Labelled<'a>,
    others: &[crate::Member<'a>],
    config: &crate::SearchConfig,
    widths: &[Precision],
    budget: Budget,
    costs: Option<&Costs>,
) -> Result<BudgetResult> {
    let mut members = vec![crate::Member {
        mlp,
        rows: validation,
        calibration: None,
    }];
    members.extend_from_slice(others);
    let mut pool = ScoredPool::new(members, config.quant, config.gptq)?;
    let average;
    let costs = match (budget, costs) {
        (_, Some(c)) => c,
        (Budget::AverageBits(_), None) => {
            average = Costs::average_bits(mlp, widths);
            &average
        }
        (Budget::Bytes(_), None) => {
            return Err(SearchError::Config(
                "a budget in bytes needs each layer's bytes at each width".into(),
            ));
        }
    };
    if let Budget::AverageBits(b) = budget
        && b > 32.0
    {
        return Err(SearchError::Config(format!(
            "a budget of {b} average bits is above f32's 32: nothing to quantize"
        )));
    }
    pool.budget(widths, costs, budget, config.mix_score)
}
