//! Layer scorers behind one trait: the poster's formula, a Hutchinson Hessian-trace estimate
//! (as in HAWQ-V2), and measured one-layer sensitivity.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ser_mlp::{Labelled, Mlp, accuracy_percent, loss_gradients};
use ser_quant::{BitWidth, Precision, QuantOptions};

use crate::{ImportanceConfig, ImportanceError, Result, importance, mlp_layer_stats};

/// Scores every layer of a trained network; higher means more important (quantize it more
/// carefully). Scorers that need data take labelled rows the network accepts (standardised);
/// use validation rows, never test rows.
///
/// ```
/// use ndarray::Array2;
/// use ser_importance::{HessianTrace, PosterScore, Scorer, Sensitivity};
/// use ser_mlp::{Labelled, Mlp};
///
/// let mlp = Mlp::new(4, &[8], 2, 0.0, 7)?;
/// let x = Array2::from_shape_fn((10, 4), |(i, j)| ((i + j) % 3) as f32 - 1.0);
/// let y: Vec<usize> = (0..10).map(|i| i % 2).collect();
/// let scorers: [&dyn Scorer; 3] = [&PosterScore::default(), &HessianTrace::default(), &Sensitivity::default()];
/// for scorer in scorers {
///     let scores = scorer.scores(&mlp, Some(Labelled { x: x.view(), y: &y }))?;
///     assert_eq!(scores.len(), 2, "{}", scorer.name());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Scorer {
    /// A short name for reports.
    fn name(&self) -> &'static str;

    /// One score per layer, in layer order.
    fn scores(&self, mlp: &Mlp, data: Option<Labelled<'_>>) -> Result<Vec<f64>>;
}

/// The poster's `Importance(l)` (with the optional entropy term): weights only, no data.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PosterScore(pub ImportanceConfig);

impl Scorer for PosterScore {
    fn name(&self) -> &'static str {
        "poster"
    }

    fn scores(&self, mlp: &Mlp, _data: Option<Labelled<'_>>) -> Result<Vec<f64>> {
        Ok(importance(&mlp_layer_stats(mlp), &self.0)?
            .iter()
            .map(|s| s.importance)
            .collect())
    }
}

fn need<'a>(data: Option<Labelled<'a>>, scorer: &str) -> Result<Labelled<'a>> {
    data.ok_or_else(|| ImportanceError::Config(format!("the {scorer} scorer needs labelled rows")))
}

fn mlp_error(e: ser_mlp::MlpError) -> ImportanceError {
    ImportanceError::Config(e.to_string())
}

/// Hutchinson's estimate of the trace of each layer's Hessian of the mean cross-entropy:
/// `tr(H_l) ~ mean over v of v' H_l v`, `v` Rademacher (+-1) over the layer's weights and
/// biases. `H_l v` comes from central differences of exact gradients,
/// `(g(w + h v) - g(w - h v)) / 2h`, with `h = step * RMS(w_l)`. HAWQ-V2 ranks layers by the
/// average trace (`tr(H_l) / params(l)`), the default here.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HessianTrace {
    /// Rademacher probes per layer. Default 32.
    pub samples: usize,
    /// Seed of the probes.
    pub seed: u64,
    /// Difference step relative to the layer's weight RMS. Default 1e-2.
    pub step: f32,
    /// Divide by the layer's parameter count (HAWQ-V2's average trace). Default true.
    pub per_parameter: bool,
}

impl Default for HessianTrace {
    fn default() -> Self {
        HessianTrace {
            samples: 32,
            seed: 0,
            step: 1e-2,
            per_parameter: true,
        }
    }
}

impl Scorer for HessianTrace {
    fn name(&self) -> &'static str {
        "hessian-trace"
    }

    fn scores(&self, mlp: &Mlp, data: Option<Labelled<'_>>) -> Result<Vec<f64>> {
        let data = need(data, self.name())?;
        if self.samples == 0 || !(self.step > 0.0 && self.step.is_finite()) {
            return Err(ImportanceError::Config(format!(
                "Hutchinson needs samples >= 1 and a positive step, got {} and {}",
                self.samples, self.step
            )));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut scores = Vec::with_capacity(mlp.layers().len());
        for l in 0..mlp.layers().len() {
            let layer = &mlp.layers()[l];
            let n = layer.n_params();
            let rms = (layer
                .weights
                .iter()
                .map(|w| f64::from(*w).powi(2))
                .sum::<f64>()
                / layer.weights.len().max(1) as f64)
                .sqrt() as f32;
            let h = self.step * if rms > 0.0 { rms } else { 1.0 };
            let mut total = 0.0f64;
            for _ in 0..self.samples {
                let vw = Array2::from_shape_simple_fn(layer.weights.dim(), || {
                    if rng.random::<bool>() { 1.0f32 } else { -1.0 }
                });
                let vb: ndarray::Array1<f32> = (0..layer.bias.len())
                    .map(|_| if rng.random::<bool>() { 1.0f32 } else { -1.0 })
                    .collect();
                let grad_at = |sign: f32| -> Result<(Array2<f32>, ndarray::Array1<f32>)> {
                    let mut shifted = mlp.clone();
                    let d = &mut shifted.layers_mut()[l];
                    d.weights.scaled_add(sign * h, &vw);
                    d.bias.scaled_add(sign * h, &vb);
                    let (_, mut g) = loss_gradients(&shifted, &data).map_err(mlp_error)?;
                    Ok(g.swap_remove(l))
                };
                let (plus_w, plus_b) = grad_at(1.0)?;
                let (minus_w, minus_b) = grad_at(-1.0)?;
                // v' H v = v . (g+ - g-) / 2h, in f64.
                let quad: f64 = vw
                    .iter()
                    .zip(plus_w.iter().zip(minus_w.iter()))
                    .chain(vb.iter().zip(plus_b.iter().zip(minus_b.iter())))
                    .map(|(v, (p, m))| f64::from(*v) * (f64::from(*p) - f64::from(*m)))
                    .sum::<f64>()
                    / (2.0 * f64::from(h));
                total += quad;
            }
            let trace = total / self.samples as f64;
            scores.push(if self.per_parameter {
                trace / n as f64
            } else {
                trace
            });
        }
        Ok(scores)
    }
}

/// Measured sensitivity: the accuracy drop (percentage points) when only that layer is
/// quantized to `bits` (1 by default) and the rest stay f32.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sensitivity {
    /// The width the layer is taken to. Default 1.
    pub bits: BitWidth,
    /// Quantizer options.
    pub quant: QuantOptions,
}

impl Default for Sensitivity {
    fn default() -> Self {
        Sensitivity {
            bits: BitWidth::ALL[0],
            quant: QuantOptions::default(),
        }
    }
}

impl Scorer for Sensitivity {
    fn name(&self) -> &'static str {
        "sensitivity"
    }

    fn scores(&self, mlp: &Mlp, data: Option<Labelled<'_>>) -> Result<Vec<f64>> {
        let data = need(data, self.name())?;
        let baseline = accuracy_percent(mlp, &data).map_err(mlp_error)?;
        let n = mlp.layers().len();
        (0..n)
            .map(|l| {
                let mut p = vec![Precision::Full; n];
                p[l] = Precision::Bits(self.bits);
                let q = mlp.fake_quantized(&p, self.quant).map_err(mlp_error)?;
                Ok(baseline - accuracy_percent(&q, &data).map_err(mlp_error)?)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array2, Axis};
    use ser_mlp::{Labelled, Mlp, TrainConfig, fit};

    use super::*;

    fn data() -> (Array2<f32>, Vec<usize>) {
        let x = Array2::from_shape_fn((90, 6), |(i, j)| {
            let centre = if j % 3 == i % 3 { 1.0 } else { -0.5 };
            centre + (((i * 7919 + j * 104_729) % 1000) as f32 / 1000.0 - 0.5)
        });
        (x, (0..90).map(|i| i % 3).collect())
    }

    #[test]
    fn hutchinson_matches_the_exact_trace_of_softmax_regression() {
        // One dense layer: the Hessian of the mean cross-entropy has the closed-form trace
        // (1/n) sum_i (|x_i|^2 + 1) sum_c p_ic (1 - p_ic).
        let (x, y) = data();
        let mlp = Mlp::new(6, &[], 3, 0.0, 2).unwrap();
        let p = mlp.predict_proba(x.view()).unwrap();
        let exact: f64 = x
            .axis_iter(Axis(0))
            .zip(p.axis_iter(Axis(0)))
            .map(|(xi, pi)| {
                let norm: f64 = xi.iter().map(|v| f64::from(*v).powi(2)).sum();
                let spread: f64 = pi
                    .iter()
                    .map(|&q| f64::from(q) * (1.0 - f64::from(q)))
                    .sum();
                (norm + 1.0) * spread
            })
            .sum::<f64>()
            / 90.0;
        let scorer = HessianTrace {
            samples: 400,
            per_parameter: false,
            ..HessianTrace::default()
        };
        let est = scorer
            .scores(&mlp, Some(Labelled { x: x.view(), y: &y }))
            .unwrap();
        assert!(
            (est[0] - exact).abs() <= 0.1 * exact,
            "{} vs exact {exact}",
            est[0]
        );
        // Per parameter divides by the 21 parameters; the same seed gives the same estimate.
        let avg = HessianTrace {
            samples: 400,
            ..HessianTrace::default()
        }
        .scores(&mlp, Some(Labelled { x: x.view(), y: &y }))
        .unwrap();
        assert!((avg[0] * 21.0 - est[0]).abs() < 1e-9 * est[0].abs());
    }

    #[test]
    fn sensitivity_is_the_one_layer_accuracy_drop() {
        let (x, y) = data();
        let config = TrainConfig {
            hidden: vec![16],
            max_epochs: 40,
            seed: 3,
            ..TrainConfig::default()
        };
        let (mlp, _) = fit(&config, Labelled { x: x.view(), y: &y }, None, 3).unwrap();
        let labelled = Labelled { x: x.view(), y: &y };
        let s = Sensitivity::default().scores(&mlp, Some(labelled)).unwrap();
        let acc = |m: &Mlp| {
            let p = m.predict(x.view()).unwrap();
            100.0 * p.iter().zip(&y).filter(|(a, b)| a == b).count() as f64 / 90.0
        };
        let base = acc(&mlp);
        let one = Precision::Bits(BitWidth::new(1).unwrap());
        for l in 0..2 {
            let mut p = vec![Precision::Full; 2];
            p[l] = one;
            let q = mlp.fake_quantized(&p, QuantOptions::default()).unwrap();
            assert_eq!(s[l], base - acc(&q));
        }
        // The poster's score needs no data and equals `importance`.
        let poster = PosterScore::default().scores(&mlp, None).unwrap();
        let direct = importance(&mlp_layer_stats(&mlp), &ImportanceConfig::default()).unwrap();
        assert_eq!(
            poster,
            direct.iter().map(|d| d.importance).collect::<Vec<_>>()
        );
        // Data-driven scorers refuse to run without data; bad settings are refused.
        assert!(Sensitivity::default().scores(&mlp, None).is_err());
        assert!(HessianTrace::default().scores(&mlp, None).is_err());
        let zero = HessianTrace {
            samples: 0,
            ..HessianTrace::default()
        };
        assert!(zero.scores(&mlp, Some(labelled)).is_err());
    }
}
