//! The network: dense layers with ReLU and dropout between them, and a softmax output.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use ndarray_rand::RandomExt;
use ndarray_rand::rand_distr::Uniform;
use rand::Rng;

use crate::error::{MlpError, Result};
use crate::rng::seeded;

/// One fully connected layer: `y = x W + b`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// Weights, `inputs x outputs`.
    pub weights: Array2<f32>,
    /// Biases, one per output.
    pub bias: Array1<f32>,
}

impl Dense {
    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.weights.nrows()
    }

    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        self.weights.ncols()
    }

    /// Weights plus biases.
    pub fn n_params(&self) -> usize {
        self.weights.len() + self.bias.len()
    }
}

/// A multilayer perceptron for classification: dense layers with ReLU and (in training)
/// inverted dropout after every hidden layer, and a softmax over the classes.
///
/// ```
/// use ndarray::array;
/// use ser_mlp::Mlp;
///
/// // 180 inputs, hidden layers 256-512-64, 7 classes: the poster's architecture.
/// let mlp = Mlp::new(180, &[256, 512, 64], 7, 0.1, 42)?;
/// assert_eq!(mlp.n_params(), 211_207);
/// let probabilities = mlp.predict_proba(ndarray::Array2::zeros((2, 180)).view())?;
/// assert!((probabilities.row(0).sum() - 1.0).abs() < 1e-5);
/// # Ok::<(), ser_mlp::MlpError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    layers: Vec<Dense>,
    dropout: f32,
}

/// What a training forward pass keeps for the backward pass.
#[derive(Debug)]
pub(crate) struct Tape {
    /// The input of each layer (after ReLU and dropout for hidden ones).
    pub(crate) inputs: Vec<Array2<f32>>,
    /// For each hidden layer, the factor its ReLU and dropout applied to each unit
    /// (0, or 1 / keep probability, or 1 without dropout).
    gates: Vec<Array2<f32>>,
}

impl Mlp {
    /// A network with Glorot-uniform weights and zero biases, seeded (scikit-learn's
    /// initialisation: bound `sqrt(6 / (fan_in + fan_out))`).
    pub fn new(
        inputs: usize,
        hidden: &[usize],
        classes: usize,
        dropout: f32,
        seed: u64,
    ) -> Result<Self> {
        if inputs == 0 {
            return Err(MlpError::Config {
                field: "inputs",
                reason: "must be at least 1".into(),
            });
        }
        if classes < 2 {
            return Err(MlpError::Config {
                field: "classes",
                reason: format!("must be at least 2, got {classes}"),
            });
        }
        if hidden.contains(&0) {
            return Err(MlpError::Config {
                field: "hidden",
                reason: "hidden layers must have at least 1 unit".into(),
            });
        }
        check_dropout(dropout)?;
        let mut rng = seeded(seed);
        let sizes: Vec<usize> = std::iter::once(inputs)
            .chain(hidden.iter().copied())
            .chain([classes])
            .collect();
        let layers = sizes
            .windows(2)
            .map(|w| {
                let bound = (6.0 / (w[0] + w[1]) as f32).sqrt();
                // The bounds are finite and ordered, so the distribution always exists.
                let dist = Uniform::new(-bound, bound).map_err(|e| MlpError::Config {
                    field: "hidden",
                    reason: e.to_string(),
                })?;
                Ok(Dense {
                    weights: Array2::random_using((w[0], w[1]), dist, &mut rng),
                    bias: Array1::zeros(w[1]),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Mlp { layers, dropout })
    }

    /// A network from its layers (each layer's inputs must equal the previous one's outputs).
    pub fn from_layers(layers: Vec<Dense>, dropout: f32) -> Result<Self> {
        if layers.is_empty() {
            return Err(MlpError::Config {
                field: "layers",
                reason: "a network needs at least one layer".into(),
            });
        }
        for (i, pair) in layers.windows(2).enumerate() {
            if pair[0].outputs() != pair[1].inputs() {
                return Err(MlpError::Shape {
                    what: "layer sizes",
                    expected: format!("layer {} with {} inputs", i + 1, pair[0].outputs()),
                    got: format!("{} inputs", pair[1].inputs()),
                });
            }
        }
        if layers.iter().any(|l| l.bias.len() != l.outputs()) {
            return Err(MlpError::Config {
                field: "layers",
                reason: "a bias length differs from its layer's outputs".into(),
            });
        }
        check_dropout(dropout)?;
        Ok(Mlp { layers, dropout })
    }

    /// The layers, input first.
    pub fn layers(&self) -> &[Dense] {
        &self.layers
    }

    /// Mutable access to the layers (for quantization and fine-tuning).
    pub fn layers_mut(&mut self) -> &mut [Dense] {
        &mut self.layers
    }

    /// Dropout probability of the hidden layers in training.
    pub fn dropout(&self) -> f32 {
        self.dropout
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.layers[0].inputs()
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.layers[self.layers.len() - 1].outputs()
    }

    /// Total number of parameters.
    pub fn n_params(&self) -> usize {
        self.layers.iter().map(Dense::n_params).sum()
    }

    fn check_input(&self, x: &ArrayView2<f32>) -> Result<()> {
        if x.ncols() != self.inputs() {
            return Err(MlpError::Shape {
                what: "input",
                expected: format!("{} columns", self.inputs()),
                got: format!("{} columns", x.ncols()),
            });
        }
        Ok(())
    }

    /// The logits (pre-softmax scores) of each row, without dropout.
    pub fn logits(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.check_input(&x)?;
        let last = self.layers.len() - 1;
        let mut h = x.to_owned();
        for (i, layer) in self.layers.iter().enumerate() {
            h = h.dot(&layer.weights) + &layer.bias;
            if i < last {
                h.mapv_inplace(|v| v.max(0.0));
            }
        }
        Ok(h)
    }

    /// Class probabilities of each row (softmax of the logits).
    pub fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        let mut logits = self.logits(x)?;
        softmax_rows(&mut logits);
        Ok(logits)
    }

    /// The most probable class of each row (the first on ties).
    pub fn predict(&self, x: ArrayView2<f32>) -> Result<Vec<usize>> {
        Ok(self
            .logits(x)?
            .rows()
            .into_iter()
            .map(|r| ser_quant::argmax(r.iter().copied()))
            .collect())
    }

    /// A training forward pass: dropout masks drawn from `rng` (none when `train` is false).
    pub(crate) fn forward_tape<R: Rng>(
        &self,
        x: ArrayView2<f32>,
        rng: &mut R,
        train: bool,
    ) -> (Array2<f32>, Tape) {
        let last = self.layers.len() - 1;
        let keep = 1.0 - self.dropout;
        let mut tape = Tape {
            inputs: Vec::with_capacity(self.layers.len()),
            gates: Vec::with_capacity(last),
        };
        let mut h = x.to_owned();
        for (i, layer) in self.layers.iter().enumerate() {
            let z = h.dot(&layer.weights) + &layer.bias;
            tape.inputs.push(h);
            if i == last {
                return (z, tape);
            }
            // The ReLU's gate, times the dropout mask when training (one draw per unit, in
            // row order), and the layer's output, in one pass.
            let dropout = train && self.dropout > 0.0;
            let mut gate = Array2::<f32>::zeros(z.raw_dim());
            let mut out = Array2::<f32>::zeros(z.raw_dim());
            ndarray::Zip::from(&mut gate)
                .and(&mut out)
                .and(&z)
                .for_each(|g, o, &v| {
                    let relu = if v > 0.0 { 1.0 } else { 0.0 };
                    *g = if !dropout {
                        relu
                    } else if rng.random::<f32>() < keep {
                        relu / keep
                    } else {
                        0.0
                    };
                    *o = v * *g;
                });
            h = out;
            tape.gates.push(gate);
        }
        unreachable!("the loop returns at the last layer")
    }

    /// Gradients of the loss with respect to every layer's weights and biases, given the
    /// gradient with respect to the logits.
    #[cfg(test)]
    pub(crate) fn backward(
        &self,
        tape: &Tape,
        dlogits: Array2<f32>,
    ) -> Vec<(Array2<f32>, Array1<f32>)> {
        let mut grads = self.zero_grads();
        self.backward_into(tape, dlogits, &mut grads);
        grads
    }

    /// Zeroed gradient buffers shaped like the layers.
    pub(crate) fn zero_grads(&self) -> Vec<(Array2<f32>, Array1<f32>)> {
        self.layers
            .iter()
            .map(|l| {
                (
                    Array2::zeros(l.weights.raw_dim()),
                    Array1::zeros(l.bias.raw_dim()),
                )
            })
            .collect()
    }

    /// [`Mlp::backward`] into caller-owned buffers (from [`Mlp::zero_grads`]), so training does
    /// not allocate the large weight gradients again for every batch.
    pub(crate) fn backward_into(
        &self,
        tape: &Tape,
        dlogits: Array2<f32>,
        grads: &mut [(Array2<f32>, Array1<f32>)],
    ) {
        let mut dz = dlogits;
        for i in (0..self.layers.len()).rev() {
            let (gw, gb) = &mut grads[i];
            general_mat_mul(1.0, &tape.inputs[i].t(), &dz, 0.0, gw);
            gb.assign(&dz.sum_axis(Axis(0)));
            if i > 0 {
                let mut back = dz.dot(&self.layers[i].weights.t());
                back *= &tape.gates[i - 1];
                dz = back;
            }
        }
    }
}

/// Dropout must leave some units: a probability in [0, 1).
fn check_dropout(dropout: f32) -> Result<()> {
    if !(0.0..1.0).contains(&dropout) {
        return Err(MlpError::Config {
            field: "dropout",
            reason: format!("must be in [0, 1), got {dropout}"),
        });
    }
    Ok(())
}

/// Softmax of each row, in place (shifted by the row maximum for stability).
pub(crate) fn softmax_rows(logits: &mut Array2<f32>) {
    for mut row in logits.rows_mut() {
        let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        row.mapv_inplace(|v| (v - max).exp());
        let sum = row.sum();
        row.mapv_inplace(|v| v / sum);
    }
}

/// Mean softmax cross-entropy of `logits` against `labels`, and its gradient with respect to
/// the logits.
pub(crate) fn cross_entropy(logits: &Array2<f32>, labels: &[usize]) -> (f32, Array2<f32>) {
    let mut probs = logits.clone();
    softmax_rows(&mut probs);
    let n = labels.len() as f32;
    let mut loss = 0.0f64;
    for (row, &y) in probs.rows().into_iter().zip(labels) {
        loss -= f64::from(row[y].max(1e-12)).ln();
    }
    let mut grad = probs;
    for (mut row, &y) in grad.rows_mut().into_iter().zip(labels) {
        row[y] -= 1.0;
    }
    grad.mapv_inplace(|g| g / n);
    ((loss / f64::from(n)) as f32, grad)
}
