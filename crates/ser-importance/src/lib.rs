//! Layer importance for mixed-precision quantization (METHOD.md, "Layer importance").
//!
//! The poster scores each layer `l` (the weights and biases of one dense layer) by
//!
//! - `Np(l) = params(l) / total params`,
//! - `Nv(l) = ln(e - 1 + Var(l) / max_k Var(k))`, the variance over the layer's weights,
//!   so `Nv` lies in `[ln(e - 1), 1]`,
//! - `Importance(l) = a Np(l) + (1 - a) Nv(l)`, `a` = 0.5 by default,
//!
//! and the paper's abstract adds weight entropy: here `Ne(l) = H(l) / max_k H(k)`, the Shannon
//! entropy of the layer's weight histogram normalised over layers, with its own weight (0 by
//! default, so the poster's formula is the default):
//! `Importance(l) = a Np(l) + (1 - a) Nv(l) + w_e Ne(l)`.
//!
//! ```
//! use ser_importance::{ImportanceConfig, LayerStats, Order, importance, rank};
//!
//! // Three layers: many small weights, few wide ones, and a middle one.
//! let layers = [
//!     LayerStats::from_weights(&[0.01, -0.02, 0.015, -0.01, 0.02, 0.0], 2, 256),
//!     LayerStats::from_weights(&[0.9, -1.1], 1, 256),
//!     LayerStats::from_weights(&[0.3, -0.2, 0.25], 1, 256),
//! ];
//! let scores = importance(&layers, &ImportanceConfig::default())?;
//! // The widest weights have the largest variance: Nv = 1 for that layer.
//! assert!((scores[1].nv - 1.0).abs() < 1e-12);
//! assert_eq!(rank(&scores.iter().map(|s| s.importance).collect::<Vec<_>>(), Order::MostImportantFirst), vec![1, 0, 2]);
//! # Ok::<(), ser_importance::ImportanceError>(())
//! ```
//!
//! Behind the [`Scorer`] trait, alternatives to compare against: [`PosterScore`] (the formula
//! above), [`HessianTrace`] (Hutchinson's estimate of each layer's Hessian trace, as in
//! HAWQ-V2) and [`Sensitivity`] (the accuracy drop when only that layer goes to 1 bit). Their
//! comparison on EMODB is in `docs/REPRODUCTION.md`.

mod scorer;

pub use scorer::{HessianTrace, PosterScore, Scorer, Sensitivity};

/// What can go wrong scoring layers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportanceError {
    /// A setting outside its range.
    #[error("invalid importance setting: {0}")]
    Config(String),
    /// No layers, or a layer without weights.
    #[error("nothing to score: {0}")]
    Empty(&'static str),
    /// A weight is NaN or infinite.
    #[error("layer {layer} has a weight that is not finite")]
    NonFinite {
        /// The layer's index.
        layer: usize,
    },
}

/// A `Result` with [`ImportanceError`].
pub type Result<T> = std::result::Result<T, ImportanceError>;

/// What the importance formulas need of one layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerStats {
    /// Weights plus biases.
    pub params: usize,
    /// Population variance of the weights (numpy's `var`, ddof 0).
    pub variance: f64,
    /// Shannon entropy (nats) of the weights' histogram.
    pub entropy: f64,
    /// Whether every weight was finite.
    pub finite: bool,
}

impl LayerStats {
    /// Statistics of a layer's weights (biases are counted in `params` only, as METHOD.md
    /// takes the variance over the weights), the entropy from a histogram of `bins` equal
    /// bins spanning the weights' range. Non-finite weights are recorded, and
    /// [`importance`] refuses them. `bins` is usually [`DEFAULT_HISTOGRAM_BINS`]; 0 counts as 1.
    pub fn from_weights(weights: &[f32], biases: usize, bins: usize) -> Self {
        let finite = weights.iter().all(|w| w.is_finite());
        let n = weights.len() as f64;
        let (variance, entropy) = if weights.is_empty() || !finite {
            (0.0, 0.0)
        } else {
            let mean = weights.iter().map(|&w| f64::from(w)).sum::<f64>() / n;
            let variance = weights
                .iter()
                .map(|&w| (f64::from(w) - mean).powi(2))
                .sum::<f64>()
                / n;
            (variance, histogram_entropy(weights, bins.max(1)))
        };
        LayerStats {
            params: weights.len() + biases,
            variance,
            entropy,
            finite,
        }
    }
}

/// The statistics of every dense layer of a trained network, in layer order, with
/// [`DEFAULT_HISTOGRAM_BINS`] bins.
///
/// ```
/// let mlp = ser_mlp::Mlp::new(180, &[256, 512, 64], 7, 0.1, 0)?;
/// let stats = ser_importance::mlp_layer_stats(&mlp);
/// assert_eq!(stats.iter().map(|s| s.params).collect::<Vec<_>>(), [46_336, 131_584, 32_832, 455]);
/// # Ok::<(), ser_mlp::MlpError>(())
/// ```
pub fn mlp_layer_stats(mlp: &ser_mlp::Mlp) -> Vec<LayerStats> {
    mlp.layers()
        .iter()
        .map(|layer| {
            let weights: Vec<f32> = layer.weights.iter().copied().collect();
            LayerStats::from_weights(&weights, layer.bias.len(), DEFAULT_HISTOGRAM_BINS)
        })
        .collect()
}

/// Shannon entropy (nats) of a histogram of `bins` equal bins from min to max (numpy's
/// `histogram` binning: the last bin includes the maximum). All-equal values have entropy 0.
fn histogram_entropy(values: &[f32], bins: usize) -> f64 {
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(f64::from(v)), hi.max(f64::from(v)))
        });
    if hi <= lo {
        return 0.0;
    }
    let mut counts = vec![0usize; bins];
    let width = (hi - lo) / bins as f64;
    for &v in values {
        let i = ((f64::from(v) - lo) / width) as usize;
        counts[i.min(bins - 1)] += 1;
    }
    let n = values.len() as f64;
    -counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            p * p.ln()
        })
        .sum::<f64>()
}

/// Settings of the importance score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImportanceConfig {
    /// `a`: the weight of `Np` (and `1 - a` of `Nv`), in [0, 1]. Default 0.5.
    pub alpha: f64,
    /// The weight of the entropy term `Ne`, >= 0. Default 0 (the poster's formula).
    pub entropy_weight: f64,
}

/// Bins of the weight histogram for the entropy, unless told otherwise (equal bins over the
/// layer's range, so the entropy is at most `ln 256`).
pub const DEFAULT_HISTOGRAM_BINS: usize = 256;

impl Default for ImportanceConfig {
    fn default() -> Self {
        ImportanceConfig {
            alpha: 0.5,
            entropy_weight: 0.0,
        }
    }
}

impl ImportanceConfig {
    /// Refuses `alpha` outside [0, 1] and a negative or non-finite entropy weight.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.alpha) {
            return Err(ImportanceError::Config(format!(
                "alpha must lie in [0, 1], got {}",
                self.alpha
            )));
        }
        if !(self.entropy_weight >= 0.0 && self.entropy_weight.is_finite()) {
            return Err(ImportanceError::Config(format!(
                "the entropy weight must be finite and >= 0, got {}",
                self.entropy_weight
            )));
        }
        Ok(())
    }
}

/// The terms and the score of one layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerImportance {
    /// `Np`: the layer's share of the parameters.
    pub np: f64,
    /// `Nv`: `ln(e - 1 + Var / max Var)`.
    pub nv: f64,
    /// `Ne`: entropy over the largest layer entropy (0 when every layer's is 0).
    pub ne: f64,
    /// `a Np + (1 - a) Nv + w_e Ne`.
    pub importance: f64,
}

/// The importance of every layer, in layer order.
///
/// When every layer has zero variance (an untrained all-zero model), `Var / max Var` is taken
/// as 0, so `Nv = ln(e - 1)` for all.
pub fn importance(
    layers: &[LayerStats],
    config: &ImportanceConfig,
) -> Result<Vec<LayerImportance>> {
    config.validate()?;
    if layers.is_empty() {
        return Err(ImportanceError::Empty("no layers"));
    }
    if let Some(layer) = layers.iter().position(|l| !l.finite) {
        return Err(ImportanceError::NonFinite { layer });
    }
    let total: usize = layers.iter().map(|l| l.params).sum();
    if total == 0 {
        return Err(ImportanceError::Empty("the layers have no parameters"));
    }
    let max_var = layers.iter().fold(0.0f64, |m, l| m.max(l.variance));
    let max_entropy = layers.iter().fold(0.0f64, |m, l| m.max(l.entropy));
    let e = std::f64::consts::E;
    Ok(layers
        .iter()
        .map(|l| {
            let np = l.params as f64 / total as f64;
            let ratio = if max_var > 0.0 {
                l.variance / max_var
            } else {
                0.0
            };
            let nv = (e - 1.0 + ratio).ln();
            let ne = if max_entropy > 0.0 {
                l.entropy / max_entropy
            } else {
                0.0
            };
            LayerImportance {
                np,
                nv,
                ne,
                importance: config.alpha * np
                    + (1.0 - config.alpha) * nv
                    + config.entropy_weight * ne,
            }
        })
        .collect())
}

ser_quant::named_options! {
    /// The order layers are visited in.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum Order as "order" {
        /// Highest score first (the poster: "critical layers are quantized first").
        #[default]
        MostImportantFirst = "descending",
        /// Lowest score first.
        LeastImportantFirst = "ascending",
    }
}

/// Layer indices sorted by score in `order`; equal scores keep layer order (a stable sort), so
/// the ranking is deterministic. NaN scores sort last.
pub fn rank(scores: &[f64], order: Order) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| {
        let (x, y) = (scores[a], scores[b]);
        match (x.is_nan(), y.is_nan()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            _ => match order {
                Order::MostImportantFirst => y.total_cmp(&x),
                Order::LeastImportantFirst => x.total_cmp(&y),
            },
        }
    });
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poster_formula_by_hand() {
        // Layer 0: 4 weights {1, -1, 1, -1} (var 1) + 2 biases; layer 1: 2 weights {0.5, -0.5}
        // (var 0.25) + 2 biases.
        let layers = [
            LayerStats::from_weights(&[1.0, -1.0, 1.0, -1.0], 2, 4),
            LayerStats::from_weights(&[0.5, -0.5], 2, 4),
        ];
        assert_eq!((layers[0].params, layers[1].params), (6, 4));
        assert!((layers[0].variance - 1.0).abs() < 1e-12);
        assert!((layers[1].variance - 0.25).abs() < 1e-12);
        let s = importance(&layers, &ImportanceConfig::default()).unwrap();
        let e = std::f64::consts::E;
        assert!((s[0].np - 0.6).abs() < 1e-12 && (s[1].np - 0.4).abs() < 1e-12);
        assert!((s[0].nv - 1.0).abs() < 1e-12);
        assert!((s[1].nv - (e - 1.0 + 0.25).ln()).abs() < 1e-12);
        assert!((s[0].importance - 0.8).abs() < 1e-12);
        assert!((s[1].importance - (0.2 + 0.5 * (e - 0.75).ln())).abs() < 1e-12);
        // alpha 1 is Np alone, alpha 0 is Nv alone.
        let np_only = importance(
            &layers,
            &ImportanceConfig {
                alpha: 1.0,
                ..Default::default()
            },
        )
        .unwrap();
        assert!((np_only[1].importance - 0.4).abs() < 1e-12);
        let nv_only = importance(
            &layers,
            &ImportanceConfig {
                alpha: 0.0,
                ..Default::default()
            },
        )
        .unwrap();
        assert!((nv_only[1].importance - s[1].nv).abs() < 1e-12);
    }

    #[test]
    fn entropy_is_the_histograms_and_off_by_default() {
        // Two values split evenly over two bins: ln 2; four over four bins: ln 4.
        let two = LayerStats::from_weights(&[0.0, 1.0], 0, 2);
        let four = LayerStats::from_weights(&[0.0, 1.0, 2.0, 3.0], 0, 4);
        assert!((two.entropy - 2f64.ln()).abs() < 1e-12);
        assert!((four.entropy - 4f64.ln()).abs() < 1e-12);
        assert_eq!(LayerStats::from_weights(&[0.3; 5], 0, 8).entropy, 0.0);
        let layers = [two, four];
        let off = importance(&layers, &ImportanceConfig::default()).unwrap();
        assert!((off[0].ne - 0.5).abs() < 1e-12 && (off[1].ne - 1.0).abs() < 1e-12);
        let on = importance(
            &layers,
            &ImportanceConfig {
                entropy_weight: 0.3,
                ..Default::default()
            },
        )
        .unwrap();
        for (a, b) in off.iter().zip(&on) {
            assert!((b.importance - a.importance - 0.3 * a.ne).abs() < 1e-12);
        }
    }

    #[test]
    fn nv_spans_its_stated_range_and_degenerate_layers_are_defined() {
        let layers: Vec<LayerStats> = (1..=5)
            .map(|k| LayerStats::from_weights(&[k as f32, -(k as f32)], 1, 16))
            .collect();
        let s = importance(&layers, &ImportanceConfig::default()).unwrap();
        let low = (std::f64::consts::E - 1.0).ln();
        assert!(s.iter().all(|l| l.nv > low && l.nv <= 1.0));
        let zeros = [LayerStats::from_weights(&[0.0; 4], 2, 16); 2];
        let z = importance(&zeros, &ImportanceConfig::default()).unwrap();
        assert!(z.iter().all(|l| (l.nv - low).abs() < 1e-12 && l.ne == 0.0));
    }

    #[test]
    fn bad_settings_and_inputs_are_refused() {
        let ok = [LayerStats::from_weights(&[1.0, 2.0], 1, 8)];
        for config in [
            ImportanceConfig {
                alpha: -0.1,
                ..Default::default()
            },
            ImportanceConfig {
                alpha: 1.5,
                ..Default::default()
            },
            ImportanceConfig {
                alpha: f64::NAN,
                ..Default::default()
            },
            ImportanceConfig {
                entropy_weight: -1.0,
                ..Default::default()
            },
        ] {
            assert!(
                matches!(importance(&ok, &config), Err(ImportanceError::Config(_))),
                "{config:?}"
            );
        }
        assert!(matches!(
            importance(&[], &ImportanceConfig::default()),
            Err(ImportanceError::Empty(_))
        ));
        let bad = [ok[0], LayerStats::from_weights(&[f32::NAN], 0, 8)];
        assert_eq!(
            importance(&bad, &ImportanceConfig::default()),
            Err(ImportanceError::NonFinite { layer: 1 })
        );
    }

    #[test]
    fn ranking_is_stable_in_both_orders() {
        let scores = [0.5, 0.9, 0.5, f64::NAN, 0.1];
        assert_eq!(
            rank(&scores, Order::MostImportantFirst),
            vec![1, 0, 2, 4, 3]
        );
        assert_eq!(
            rank(&scores, Order::LeastImportantFirst),
            vec![4, 0, 2, 1, 3]
        );
        assert!(rank(&[], Order::default()).is_empty());
    }
}
