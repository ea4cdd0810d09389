//! The pooled accuracy the search measures, with every dequantized layer made once.

use std::collections::HashMap;

use ser_mlp::{Dense, GptqConfig, Mlp, accuracy_percent};
use ser_quant::{Precision, QuantOptions};

use crate::error::{Result, SearchError};
use crate::search::Member;

/// Networks and their held-out rows, scored at any widths: the pooled accuracy the margin
/// search and the budget measure. Each member's dequantized layer at each width is made once
/// and kept, so an experiment that runs the search ([`ScoredPool::search`]), then scores the
/// fixed widths or every mix ([`ScoredPool::budget`]) on the same pool quantizes each layer
/// once per width.
///
/// ```
/// use ndarray::Array2;
/// use ser_mlp::{Labelled, TrainConfig, fit};
/// use ser_quant::{BitWidth, Precision, QuantOptions};
/// use ser_search::{Budget, Costs, Member, MixScore, ScoredPool, SearchConfig};
///
/// let x = Array2::from_shape_fn((60, 6), |(i, j)| if (i % 2 == 0) == (j % 2 == 0) { 1.0 } else { -1.0 });
/// let y: Vec<usize> = (0..60).map(|i| i % 2).collect();
/// let config = TrainConfig { hidden: vec![8], max_epochs: 30, ..TrainConfig::default() };
/// let (mlp, _) = fit(&config, Labelled { x: x.view(), y: &y }, None, 2)?;
/// let member = Member { mlp: &mlp, rows: Labelled { x: x.view(), y: &y }, calibration: None };
/// let mut pool = ScoredPool::new(vec![member], QuantOptions::default(), None)?;
/// // The margin search, then the budget over every mix, sharing the dequantized layers.
/// let searched = pool.search(&SearchConfig::default())?;
/// let widths: Vec<Precision> = BitWidth::ALL.iter().map(|&b| Precision::Bits(b)).collect();
/// let costs = Costs::average_bits(&mlp, &widths);
/// let budget = pool.budget(&widths, &costs, Budget::AverageBits(2.0), MixScore::Accuracy)?;
/// assert!(budget.chosen.cost <= 2.0);
/// let two = pool.accuracy(&[Precision::Bits(BitWidth::new(2)?); 2])?;
/// assert!((0.0..=100.0).contains(&two) && searched.accuracy <= searched.baseline_accuracy + 100.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ScoredPool<'a> {
    members: Vec<Member<'a>>,
    quant: QuantOptions,
    gptq: Option<GptqConfig>,
    cache: Vec<HashMap<(usize, Precision), Dense>>,
}

impl<'a> ScoredPool<'a> {
    /// A pool of `members` (the first is the network searched, with its validation rows),
    /// quantized by `quant`, with GPTQ's codes when `gptq` is given (every member then needs
    /// its calibration). The members must share the first's layer shapes.
    pub fn new(
        members: Vec<Member<'a>>,
        quant: QuantOptions,
        gptq: Option<GptqConfig>,
    ) -> Result<Self> {
        let shapes = |m: &Mlp| -> Vec<(usize, usize)> {
            m.layers().iter().map(|l| l.weights.dim()).collect()
        };
        let Some(first) = members.first().map(|m| shapes(m.mlp)) else {
            return Err(SearchError::Config(
                "a pool needs at least one network".into(),
            ));
        };
        for (i, m) in members.iter().enumerate() {
            if shapes(m.mlp) != first {
                return Err(SearchError::Config(format!(
                    "pooled network {i} has layers {:?}, the searched one {first:?}",
                    shapes(m.mlp)
                )));
            }
            // Checks the rows' width, labels and that there are any.
            accuracy_percent(m.mlp, &m.rows)?;
            if gptq.is_some() && m.calibration.is_none() {
                return Err(SearchError::Config(format!(
                    "GPTQ needs calibration rows for every pooled network; network {i} has none"
                )));
            }
        }
        Ok(ScoredPool {
            cache: vec![HashMap::new(); members.len()],
            members,
            quant,
            gptq,
        })
    }

    /// The members, the searched network first.
    pub fn members(&self) -> &[Member<'a>] {
        &self.members
    }

    /// Member `m`'s layer `i` at `p`, dequantized (made once, then from the cache).
    pub(crate) fn layer(&mut self, m: usize, i: usize, p: Precision) -> Result<Dense> {
        let member = &self.members[m];
        let layer = &member.mlp.layers()[i];
        if p == Precision::Full {
            return Ok(layer.clone());
        }
        if let Some(d) = self.cache[m].get(&(i, p)) {
            return Ok(d.clone());
        }
        let d = match (&self.gptq, member.calibration) {
            (Some(config), Some(moments)) => {
                let moments = moments.get(i).ok_or_else(|| {
                    SearchError::Config("GPTQ: fewer input moments than layers".into())
                })?;
                layer.fake_quantized_gptq(p, self.quant, moments, config)?
            }
            _ => layer.fake_quantized(p, self.quant)?,
        };
        self.cache[m].insert((i, p), d.clone());
        Ok(d)
    }

    /// Pooled accuracy in percent (rows predicted right over all members' rows) at
    /// `precisions`, one per layer.
    pub fn accuracy(&mut self, precisions: &[Precision]) -> Result<f64> {
        Ok(self.score(precisions)?.0)
    }

    /// Pooled accuracy (percent) and mean cross-entropy of the true classes (nats) at
    /// `precisions`, one per layer.
    pub fn score(&mut self, precisions: &[Precision]) -> Result<(f64, f64)> {
        let (mut correct, mut rows, mut loss) = (0usize, 0usize, 0f64);
        for m in 0..self.members.len() {
            let layers = precisions
                .iter()
                .enumerate()
                .map(|(i, &p)| self.layer(m, i, p))
                .collect::<Result<Vec<Dense>>>()?;
            let member = &self.members[m];
            let logits = Mlp::from_layers(layers, member.mlp.dropout())?.logits(member.rows.x)?;
            let classes = logits.ncols();
            let flat = logits.as_slice().unwrap_or(&[]);
            for (r, &y) in flat.chunks_exact(classes.max(1)).zip(member.rows.y) {
                let (right, l) = crate::budget::row_score(r, y);
                correct += usize::from(right);
                loss += l;
            }
            rows += member.rows.y.len();
        }
        Ok((100.0 * correct as f64 / rows as f64, loss / rows as f64))
    }
}
