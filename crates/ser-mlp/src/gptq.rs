//! Error-compensating post-training quantization: GPTQ (Frantar, Ashkboos, Hoefler and
//! Alistarh, arXiv 2210.17323), the fast form of Optimal Brain Quantization (Frantar and
//! Alistarh, NeurIPS 2022).
//!
//! Rounding each weight to its nearest code (what [`Dense::quantize`] does) minimises the error
//! of every weight alone. What matters is the error of the layer's outputs on the inputs it
//! sees, `|X W - X Q|^2`. GPTQ quantizes the weights one input at a time and moves the weights
//! of the inputs not yet quantized to cancel the error just made, in proportion to how the
//! inputs covary: with `H = X^T X + lambda I` and `U` the upper Cholesky factor of `H^-1`,
//! quantizing input `i` gives the error `e = (w_i - q_i) / U_ii` (per output) and the update
//! `w_j -= e U_ij` for every later input `j`. The scales are chosen first, from the original
//! weights, as the plain quantizer chooses them ([`QuantOptions`]); only the codes differ.
//!
//! Inputs that never vary together (an orthogonal `X`) leave nothing to compensate: the codes
//! are then the plain quantizer's (a test says so).

use std::sync::{Arc, OnceLock};

use ndarray::{Array2, ArrayView2, s};
use ser_quant::{
    Bias, BitWidth, Granularity, Kernel, Precision, QuantOptions, QuantizedLayer, QuantizedTensor,
    SymmetricQuantizer,
};

use crate::error::{MlpError, Result};
use crate::network::{Dense, Mlp};

/// Settings of [`Dense::quantize_gptq`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GptqConfig {
    /// `lambda` as a share of the mean of `diag(X^T X)`, which keeps `H` invertible when
    /// inputs are dead or dependent. Default: 0.01 (GPTQ's).
    pub damping: f64,
    /// Quantize the inputs in order of decreasing `H_ii` (the most active first, GPTQ's
    /// "act order") rather than in index order. Default: true.
    pub act_order: bool,
}

impl Default for GptqConfig {
    fn default() -> Self {
        GptqConfig {
            damping: 0.01,
            act_order: true,
        }
    }
}

/// `X^T X` of a layer's inputs on calibration rows, in f64: what [`Dense::quantize_gptq`]
/// compensates against.
#[derive(Debug, Clone)]
pub struct InputMoments {
    xtx: Array2<f64>,
    rows: usize,
    /// The factor of the first settings it was quantized with: every width of a layer
    /// compensates against the same `H`, and factoring it costs more than the codes.
    factor: OnceLock<(GptqConfig, Arc<Factor>)>,
}

impl PartialEq for InputMoments {
    fn eq(&self, other: &Self) -> bool {
        self.rows == other.rows && self.xtx == other.xtx
    }
}

/// What GPTQ needs of `H`: the quantization order and the upper Cholesky factor of the damped
/// inverse, permuted to that order.
#[derive(Debug)]
struct Factor {
    order: Vec<usize>,
    u: Array2<f64>,
}

impl InputMoments {
    /// The moments of `x` (`rows x inputs`); NaN or infinite values are an error.
    pub fn new(x: ArrayView2<f32>) -> Result<Self> {
        crate::standardize::check_finite(&x)?;
        let x64 = x.mapv(f64::from);
        Ok(InputMoments {
            xtx: x64.t().dot(&x64),
            rows: x.nrows(),
            factor: OnceLock::new(),
        })
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.xtx.nrows()
    }

    /// Calibration rows they were made from.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// `X^T X`.
    pub fn xtx(&self) -> ArrayView2<'_, f64> {
        self.xtx.view()
    }

    /// The factor for `config`, made once (for the first settings asked; others are made
    /// each time, which no caller here does).
    fn factor(&self, config: &GptqConfig) -> Result<Arc<Factor>> {
        if let Some((c, f)) = self.factor.get()
            && c == config
        {
            return Ok(Arc::clone(f));
        }
        let made = Arc::new(Factor {
            order: input_order(self, config),
            u: inverse_cholesky_upper(self, config)?,
        });
        // A racing thread may have set it first; both made the same factor.
        let _ = self.factor.set((*config, Arc::clone(&made)));
        Ok(made)
    }
}

impl Mlp {
    /// The [`InputMoments`] of every layer on the calibration rows `x` (standardised features,
    /// `rows x inputs`): layer 0's inputs are `x`, layer `l`'s the f32 network's ReLU outputs
    /// of layer `l - 1`. Made from the f32 network, so each layer's moments do not depend on
    /// how the others are quantized, and one set serves every mix of widths.
    ///
    /// ```
    /// use ndarray::Array2;
    /// use ser_mlp::Mlp;
    ///
    /// let mlp = Mlp::new(4, &[8], 3, 0.0, 1)?;
    /// let x = Array2::from_shape_fn((20, 4), |(i, j)| ((i * 7 + j) % 5) as f32 - 2.0);
    /// let moments = mlp.input_moments(x.view())?;
    /// assert_eq!((moments[0].inputs(), moments[1].inputs()), (4, 8));
    /// # Ok::<(), ser_mlp::MlpError>(())
    /// ```
    pub fn input_moments(&self, x: ArrayView2<f32>) -> Result<Vec<InputMoments>> {
        if x.ncols() != self.inputs() {
            return Err(MlpError::Shape {
                what: "calibration rows",
                expected: format!("{} columns", self.inputs()),
                got: format!("{} columns", x.ncols()),
            });
        }
        let n = self.layers().len();
        let mut moments = Vec::with_capacity(n);
        let mut a = x.to_owned();
        for (l, layer) in self.layers().iter().enumerate() {
            moments.push(InputMoments::new(a.view())?);
            if l + 1 < n {
                a = a.dot(&layer.weights) + &layer.bias;
                a.mapv_inplace(|v| v.max(0.0));
            }
        }
        Ok(moments)
    }
}

impl Dense {
    /// This layer quantized at `precision` by GPTQ against `moments` (its inputs' on
    /// calibration rows): the scales as [`Dense::quantize`] chooses them, the codes chosen one
    /// input at a time with the error compensated on the inputs left. The biases are
    /// quantized as `options.bias` says, as [`Dense::quantize`] does. [`Precision::Full`]
    /// keeps the layer as it is.
    ///
    /// A layer of many inputs and few calibration rows has a singular `X^T X`; the damping
    /// makes it invertible. Moments of another size, no calibration row, or a damping that
    /// is not positive are errors.
    ///
    /// ```
    /// use ndarray::Array2;
    /// use ser_mlp::{GptqConfig, InputMoments, Mlp};
    /// use ser_quant::{BitWidth, Precision, QuantOptions};
    ///
    /// let mlp = Mlp::new(6, &[4], 2, 0.0, 7)?;
    /// let layer = &mlp.layers()[0];
    /// // Calibration inputs whose columns move together, as real features do.
    /// let x = Array2::from_shape_fn((50, 6), |(r, c)| ((r * 13) % 7) as f32 * (1.0 + c as f32 / 5.0) + (c % 2) as f32);
    /// let moments = InputMoments::new(x.view())?;
    /// let two = Precision::Bits(BitWidth::new(2)?);
    /// let gptq = layer.quantize_gptq(two, QuantOptions::default(), &moments, &GptqConfig::default())?;
    /// let plain = layer.quantize(two, QuantOptions::default())?;
    /// // The same scales and size; codes chosen to lose less of the layer's outputs on `x`.
    /// assert_eq!(gptq.weight_scales(), plain.weight_scales());
    /// assert_eq!(gptq.size_bits(), plain.size_bits());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn quantize_gptq(
        &self,
        precision: Precision,
        options: QuantOptions,
        moments: &InputMoments,
        config: &GptqConfig,
    ) -> Result<QuantizedLayer> {
        let Precision::Bits(bits) = precision else {
            return self.quantize(precision, options);
        };
        let (tensor, bias) = self.gptq_parts(bits, options, moments, config)?;
        Ok(QuantizedLayer::from_quantized(
            tensor,
            bias,
            Kernel::default_for(bits, self.outputs()),
        )?)
    }

    /// [`Dense::quantize_gptq`], dequantized back to an f32 layer (see
    /// [`Mlp::fake_quantized`]), without packing the codes.
    pub fn fake_quantized_gptq(
        &self,
        precision: Precision,
        options: QuantOptions,
        moments: &InputMoments,
        config: &GptqConfig,
    ) -> Result<Dense> {
        let Precision::Bits(bits) = precision else {
            return self.fake_quantized(precision, options);
        };
        let (tensor, bias) = self.gptq_parts(bits, options, moments, config)?;
        Dense::from_rows(
            tensor.dequantize(),
            bias.values(),
            self.outputs(),
            self.inputs(),
        )
    }

    /// GPTQ's codes of the weights at `bits`, and the biases as `options.bias` says.
    fn gptq_parts(
        &self,
        bits: BitWidth,
        options: QuantOptions,
        moments: &InputMoments,
        config: &GptqConfig,
    ) -> Result<(QuantizedTensor, Bias)> {
        let (inputs, outputs) = (self.inputs(), self.outputs());
        if moments.inputs() != inputs {
            return Err(MlpError::Shape {
                what: "GPTQ input moments",
                expected: format!("{inputs} x {inputs} (the layer's inputs)"),
                got: format!("{0} x {0}", moments.inputs()),
            });
        }
        let factor = moments.factor(config)?;
        let (order, u) = (&factor.order, &factor.u);
        // Rows are outputs, as the packed kernels store them.
        let rows: Vec<f32> = self.weights.t().iter().copied().collect();
        let quantizer =
            SymmetricQuantizer::new(bits, options.granularity).with_scaling(options.scaling);
        let scales = quantizer.scales(&rows, outputs, inputs)?;
        let scale_of = |o: usize| match options.granularity {
            Granularity::PerTensor => scales[0],
            Granularity::PerChannel => scales[o],
        };
        // w[k][o] for the k-th input in quantization order, in f64, moved as the inputs
        // before it are quantized. The updates within a block of inputs are made at once;
        // those of the inputs after it wait for the block's end and go as one product
        // (GPTQ's lazy batches), which keeps the work in a matrix multiply.
        let mut w: Array2<f64> = Array2::from_shape_fn((inputs, outputs), |(k, o)| {
            f64::from(self.weights[[order[k], o]])
        });
        let mut codes = vec![0i8; outputs * inputs];
        for start in (0..inputs).step_by(GPTQ_BLOCK) {
            let end = (start + GPTQ_BLOCK).min(inputs);
            let mut err = Array2::<f64>::zeros((end - start, outputs));
            for k in start..end {
                let d = u[[k, k]];
                let i = order[k];
                for o in 0..outputs {
                    let s = scale_of(o);
                    let q = quantizer.code(w[[k, o]] as f32, s);
                    codes[o * inputs + i] = q;
                    err[[k - start, o]] = (w[[k, o]] - f64::from(f32::from(q) * s)) / d;
                }
                let e = err.row(k - start).to_owned();
                for j in k + 1..end {
                    let ukj = u[[k, j]];
                    if ukj != 0.0 {
                        w.row_mut(j).scaled_add(-ukj, &e);
                    }
                }
            }
            if end < inputs {
                let update = u.slice(s![start..end, end..]).t().dot(&err);
                let mut rest = w.slice_mut(s![end.., ..]);
                rest -= &update;
            }
        }
        let tensor = QuantizedTensor {
            bits,
            shape: (outputs, inputs),
            scales,
            codes,
        };
        let bias = ser_quant::quantized_bias(&self.bias.to_vec(), outputs, bits, options)?;
        Ok((tensor, bias))
    }
}

/// The order the inputs are quantized in.
/// Inputs per lazy batch of [`Dense::quantize_gptq`] (GPTQ uses 128 on far wider layers).
const GPTQ_BLOCK: usize = 64;

fn input_order(moments: &InputMoments, config: &GptqConfig) -> Vec<usize> {
    let mut order: Vec<usize> = (0..moments.inputs()).collect();
    if config.act_order {
        let diag = moments.xtx.diag();
        // Stable: equal activity keeps index order, so the result does not depend on the sort.
        order.sort_by(|&a, &b| diag[b].total_cmp(&diag[a]));
    }
    order
}

/// The upper Cholesky factor `U` of `(H + lambda I)^-1` (`H^-1 = U^T U`), with `H` permuted to
/// the quantization order.
fn inverse_cholesky_upper(moments: &InputMoments, config: &GptqConfig) -> Result<Array2<f64>> {
    if !(config.damping > 0.0 && config.damping.is_finite()) {
        return Err(MlpError::Config {
            field: "damping",
            reason: format!("must be finite and > 0, got {}", config.damping),
        });
    }
    let n = moments.inputs();
    if moments.rows == 0 {
        return Err(MlpError::Data(
            "GPTQ needs calibration rows: the input moments were made from none".into(),
        ));
    }
    let order = input_order(moments, config);
    let diag_mean = moments.xtx.diag().sum() / n.max(1) as f64;
    if !(diag_mean > 0.0 && diag_mean.is_finite()) {
        return Err(MlpError::Data(format!(
            "GPTQ: the calibration inputs' mean square is {diag_mean} (every input 0, or \
             values too large), so there is no error to compensate against"
        )));
    }
    let lambda = config.damping * diag_mean;
    let mut h = Array2::from_shape_fn((n, n), |(a, b)| moments.xtx[[order[a], order[b]]]);
    for k in 0..n {
        h[[k, k]] += lambda;
    }
    let l = cholesky(&h)?;
    let inverse = inverse_from_cholesky(&l);
    let lower = cholesky(&inverse)?;
    Ok(lower.t().to_owned())
}

/// The lower Cholesky factor `L` of a symmetric positive definite `a` (`a = L L^T`).
fn cholesky(a: &Array2<f64>) -> Result<Array2<f64>> {
    let n = a.nrows();
    let mut l = Array2::<f64>::zeros((n, n));
    for j in 0..n {
        let row_j = l.row(j).to_owned();
        let d = a[[j, j]]
            - row_j
                .slice(ndarray::s![..j])
                .dot(&row_j.slice(ndarray::s![..j]));
        if !(d > 0.0 && d.is_finite()) {
            return Err(MlpError::Data(format!(
                "GPTQ: the damped input moments are not positive definite (pivot {j} is {d})"
            )));
        }
        let djj = d.sqrt();
        l[[j, j]] = djj;
        for i in j + 1..n {
            let s = a[[i, j]]
                - l.row(i)
                    .slice(ndarray::s![..j])
                    .dot(&row_j.slice(ndarray::s![..j]));
            l[[i, j]] = s / djj;
        }
    }
    Ok(l)
}

/// `a^-1` from the Cholesky factor of `a`: `L^-T L^-1`.
fn inverse_from_cholesky(l: &Array2<f64>) -> Array2<f64> {
    let n = l.nrows();
    // M = L^-1, lower triangular, by forward substitution a row at a time:
    // row i = (e_i - sum_{k<i} L_ik M_k) / L_ii, over the first i + 1 columns.
    let mut m = Array2::<f64>::zeros((n, n));
    for i in 0..n {
        let mut row = ndarray::Array1::<f64>::zeros(i + 1);
        row[i] = 1.0;
        for k in 0..i {
            let lik = l[[i, k]];
            if lik != 0.0 {
                row.slice_mut(s![..=k])
                    .scaled_add(-lik, &m.slice(s![k, ..=k]));
            }
        }
        row /= l[[i, i]];
        m.slice_mut(s![i, ..=i]).assign(&row);
    }
    m.t().dot(&m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;
    use ser_quant::BitWidth;

    fn bits(b: u8) -> Precision {
        Precision::Bits(BitWidth::new(b).unwrap())
    }

    /// A layer with seeded weights in about [-1, 1].
    fn layer(inputs: usize, outputs: usize, seed: u64) -> Dense {
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f64 / (1u64 << 31) as f64 * 2.0 - 1.0) as f32
        };
        Dense {
            weights: Array2::from_shape_fn((inputs, outputs), |_| next()),
            bias: Array1::from_shape_fn(outputs, |_| next() * 0.1),
        }
    }

    /// `|X W - X Q|^2` of a quantized layer against the f32 one on rows `x`.
    fn output_error(dense: &Dense, q: &QuantizedLayer, x: &Array2<f32>) -> f64 {
        let (rows, _) = q.dequantize().unwrap();
        let wq = Array2::from_shape_vec((q.outputs(), q.inputs()), rows).unwrap();
        let diff = dense.weights.mapv(f64::from) - wq.t().mapv(f64::from);
        let e = x.mapv(f64::from).dot(&diff);
        e.iter().map(|v| v * v).sum()
    }

    #[test]
    fn orthogonal_inputs_leave_nothing_to_compensate() {
        // Each calibration row excites one input: X^T X is diagonal.
        let dense = layer(6, 4, 1);
        let x = Array2::from_shape_fn(
            (12, 6),
            |(r, c)| if r % 6 == c { 1.0 + r as f32 } else { 0.0 },
        );
        let moments = InputMoments::new(x.view()).unwrap();
        for b in 1..=4 {
            for granularity in [Granularity::PerTensor, Granularity::PerChannel] {
                let options = QuantOptions {
                    granularity,
                    ..QuantOptions::default()
                };
                for act_order in [false, true] {
                    let config = GptqConfig {
                        act_order,
                        ..GptqConfig::default()
                    };
                    let gptq = dense
                        .quantize_gptq(bits(b), options, &moments, &config)
                        .unwrap();
                    let plain = dense.quantize(bits(b), options).unwrap();
                    assert_eq!(
                        gptq, plain,
                        "{b} bits, {granularity:?}, act order {act_order}"
                    );
                }
            }
        }
    }

    #[test]
    fn duplicated_inputs_get_the_best_sum_of_codes() {
        // Inputs 0 and 1 are always equal: only q0 + q1 matters, and the best sum is the
        // nearest code of (w0 + w1) / s. Brute force over every pair of 3-bit codes.
        let dense = Dense {
            // One scale, 0.9 / 3 = 0.3: outputs 0 and 1 have fractions that rounding loses.
            weights: Array2::from_shape_vec((2, 3), vec![0.13, -0.44, 0.9, 0.13, -0.14, 0.0])
                .unwrap(),
            bias: Array1::zeros(3),
        };
        let x = Array2::from_shape_fn((10, 2), |(r, _)| (r as f32 - 4.5) / 3.0);
        let moments = InputMoments::new(x.view()).unwrap();
        let config = GptqConfig {
            damping: 1e-6,
            act_order: false,
        };
        let options = QuantOptions::default();
        let gptq = dense
            .quantize_gptq(bits(3), options, &moments, &config)
            .unwrap();
        let t = gptq.weight_codes().unwrap().unwrap();
        for o in 0..3 {
            let s = f64::from(t.scales[0]);
            let target = f64::from(dense.weights[[0, o]]) + f64::from(dense.weights[[1, o]]);
            let best = (-3i32..=3)
                .flat_map(|a| (-3i32..=3).map(move |b| a + b))
                .map(|sum| (target - f64::from(sum) * s).abs())
                .fold(f64::INFINITY, f64::min);
            let got = i32::from(t.codes[o * 2]) + i32::from(t.codes[o * 2 + 1]);
            assert!(
                ((target - f64::from(got) * s).abs() - best).abs() < 1e-9,
                "output {o}: codes {:?}, scale {s}, best error {best}",
                t.codes
            );
        }
        // Round to nearest gets at least one of these sums wrong.
        let plain = dense.quantize(bits(3), options).unwrap();
        assert!(output_error(&dense, &plain, &x) > output_error(&dense, &gptq, &x));
    }

    #[test]
    fn correlated_inputs_lose_less_than_rounding() {
        let (mut gptq_total, mut plain_total) = (0.0, 0.0);
        for seed in 0..8 {
            let dense = layer(24, 8, seed);
            let mix = layer(6, 24, seed + 100).weights;
            // 200 rows of 6 factors mixed into 24 inputs: strongly correlated.
            let z = layer(200, 6, seed + 200).weights;
            let x = z.dot(&mix);
            let moments = InputMoments::new(x.view()).unwrap();
            for b in [1, 2, 3] {
                let options = QuantOptions::default();
                let gptq = dense
                    .quantize_gptq(bits(b), options, &moments, &GptqConfig::default())
                    .unwrap();
                let plain = dense.quantize(bits(b), options).unwrap();
                gptq_total += output_error(&dense, &gptq, &x);
                plain_total += output_error(&dense, &plain, &x);
            }
        }
        assert!(
            gptq_total < 0.5 * plain_total,
            "GPTQ {gptq_total} vs rounding {plain_total}"
        );
    }

    /// GPTQ one input at a time, every later weight moved at once: the textbook loop the
    /// lazy batches must reproduce.
    fn textbook_codes(dense: &Dense, b: u8, moments: &InputMoments) -> Vec<i8> {
        let config = GptqConfig::default();
        let (inputs, outputs) = dense.weights.dim();
        let factor = moments.factor(&config).unwrap();
        let (order, u) = (&factor.order, &factor.u);
        let quantizer = SymmetricQuantizer::new(BitWidth::new(b).unwrap(), Granularity::PerTensor);
        let rows: Vec<f32> = dense.weights.t().iter().copied().collect();
        let s = quantizer.quantize(&rows, outputs, inputs).unwrap().scales[0];
        let mut w = dense.weights.mapv(f64::from);
        let mut codes = vec![0i8; outputs * inputs];
        for (k, &i) in order.iter().enumerate() {
            let err: Vec<f64> = (0..outputs)
                .map(|o| {
                    let q = quantizer.code(w[[i, o]] as f32, s);
                    codes[o * inputs + i] = q;
                    (w[[i, o]] - f64::from(f32::from(q) * s)) / u[[k, k]]
                })
                .collect();
            for (kj, &j) in order.iter().enumerate().skip(k + 1) {
                for o in 0..outputs {
                    w[[j, o]] -= err[o] * u[[k, kj]];
                }
            }
        }
        codes
    }

    #[test]
    fn lazy_batches_give_the_textbook_codes() {
        // 150 inputs: two whole blocks and a part, correlated as real features are.
        let dense = layer(150, 12, 5);
        let z = layer(400, 20, 6).weights;
        let x = z.dot(&layer(20, 150, 7).weights);
        let moments = InputMoments::new(x.view()).unwrap();
        for b in [1, 2, 4] {
            let q = dense
                .quantize_gptq(
                    bits(b),
                    QuantOptions::default(),
                    &moments,
                    &GptqConfig::default(),
                )
                .unwrap();
            let got = q.weight_codes().unwrap().unwrap().codes;
            let want = textbook_codes(&dense, b, &moments);
            // The sums run in another order, so a weight on a rounding boundary may differ.
            let differ = got.iter().zip(&want).filter(|(a, b)| a != b).count();
            assert!(
                differ * 1000 <= got.len(),
                "{b} bits: {differ} of {} codes differ",
                got.len()
            );
        }
    }

    #[test]
    fn bad_moments_and_settings_are_errors() {
        let dense = layer(4, 2, 3);
        let x = Array2::from_shape_fn((5, 4), |(r, c)| (r + c) as f32);
        let moments = InputMoments::new(x.view()).unwrap();
        let q = |m: &InputMoments, c: &GptqConfig| {
            dense.quantize_gptq(bits(2), QuantOptions::default(), m, c)
        };
        let other = InputMoments::new(Array2::<f32>::zeros((5, 3)).view()).unwrap();
        assert!(matches!(
            q(&other, &GptqConfig::default()),
            Err(MlpError::Shape { .. })
        ));
        let none = InputMoments::new(Array2::<f32>::zeros((0, 4)).view()).unwrap();
        assert!(matches!(
            q(&none, &GptqConfig::default()),
            Err(MlpError::Data(_))
        ));
        let dead = InputMoments::new(Array2::<f32>::zeros((5, 4)).view()).unwrap();
        assert!(matches!(
            q(&dead, &GptqConfig::default()),
            Err(MlpError::Data(_))
        ));
        for damping in [0.0, -1.0, f64::NAN] {
            let config = GptqConfig {
                damping,
                ..GptqConfig::default()
            };
            assert!(matches!(q(&moments, &config), Err(MlpError::Config { .. })));
        }
        let mut nan = x.clone();
        nan[[2, 1]] = f32::NAN;
        assert!(InputMoments::new(nan.view()).is_err());
        // Full precision is the layer as it is.
        let full = dense.quantize_gptq(
            Precision::Full,
            QuantOptions::default(),
            &moments,
            &GptqConfig::default(),
        );
        assert_eq!(
            full.unwrap(),
            dense
                .quantize(Precision::Full, QuantOptions::default())
                .unwrap()
        );
    }

    #[test]
    fn a_dead_input_among_live_ones_is_damped() {
        // Input 2 is always 0 (a dead ReLU unit): X^T X is singular, the damping makes it
        // invertible, and its weights are coded as rounding codes them (nothing depends on them).
        let dense = layer(5, 3, 9);
        let x = Array2::from_shape_fn((40, 5), |(r, c)| {
            if c == 2 {
                0.0
            } else {
                ((r * (c + 3)) % 7) as f32 - 3.0
            }
        });
        let moments = InputMoments::new(x.view()).unwrap();
        let gptq = dense
            .quantize_gptq(
                bits(2),
                QuantOptions::default(),
                &moments,
                &GptqConfig::default(),
            )
            .unwrap();
        let plain = dense.quantize(bits(2), QuantOptions::default()).unwrap();
        assert!(output_error(&dense, &gptq, &x) <= output_error(&dense, &plain, &x));
    }

    #[test]
    fn the_cholesky_helpers_invert() {
        let a = Array2::from_shape_vec((3, 3), vec![4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0])
            .unwrap();
        let l = cholesky(&a).unwrap();
        assert!((l.dot(&l.t()) - &a).iter().all(|v| v.abs() < 1e-12));
        let inv = inverse_from_cholesky(&l);
        let eye = a.dot(&inv);
        for i in 0..3 {
            for j in 0..3 {
                assert!((eye[[i, j]] - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        assert!(
            cholesky(&Array2::from_shape_vec((2, 2), vec![1.0, 2.0, 2.0, 1.0]).unwrap()).is_err()
        );
    }
}
