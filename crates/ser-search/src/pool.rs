//! The pooled accuracy the search measures, with every dequantized layer made once.

use std::collections::HashMap;

use ser_mlp::{Dense, GptqConfig, Mlp, accuracy_percent};
use ser_quant::{Precision, QuantOptions};

use crate::error::{Result, SearchError};
use crate::search::Member;

/// Pooled accuracy of the members at given widths; each member's dequantized layer at each
/// width is computed once.
pub(crate) struct Pool<'a> {
    pub(crate) members: Vec<Member<'a>>,
    quant: QuantOptions,
    gptq: Option<GptqConfig>,
    cache: Vec<HashMap<(usize, Precision), Dense>>,
}

impl<'a> Pool<'a> {
    pub(crate) fn new(
        members: Vec<Member<'a>>,
        quant: QuantOptions,
        gptq: Option<GptqConfig>,
    ) -> Result<Self> {
        let shapes = |m: &Mlp| -> Vec<(usize, usize)> {
            m.layers().iter().map(|l| l.weights.dim()).collect()
        };
        let first = shapes(members[0].mlp);
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
        Ok(Pool {
            cache: vec![HashMap::new(); members.len()],
            members,
            quant,
            gptq,
        })
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

    pub(crate) fn accuracy(&mut self, precisions: &[Precision]) -> Result<f64> {
        Ok(self.score(precisions)?.0)
    }

    /// Pooled accuracy (percent) and mean cross-entropy of the true classes (nats).
    pub(crate) fn score(&mut self, precisions: &[Precision]) -> Result<(f64, f64)> {
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
