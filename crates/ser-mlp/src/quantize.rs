//! From f32 layers to quantized ones (`ser_quant`), at per-layer widths.

use ndarray::{Array1, Array2};
use ser_quant::{Precision, QuantOptions, QuantizedLayer, SymmetricQuantizer};

use crate::error::{MlpError, Result};
use crate::gptq::{GptqConfig, InputMoments};
use crate::network::{Dense, Mlp};

/// GPTQ's calibration for a whole network: every layer's [`InputMoments`] (from
/// [`Mlp::input_moments`]) and the settings. `None` where one is taken means round to nearest.
pub type Gptq<'a> = Option<(&'a [InputMoments], &'a GptqConfig)>;

impl Mlp {
    fn check_widths(&self, precisions: &[Precision]) -> Result<()> {
        if precisions.len() == self.layers().len() {
            return Ok(());
        }
        Err(MlpError::Shape {
            what: "bit widths",
            expected: format!("one per layer ({})", self.layers().len()),
            got: format!("{}", precisions.len()),
        })
    }

    /// Quantizes layer `i` at `precisions[i]` (one per layer). Weights are transposed to the
    /// `outputs x inputs` rows the packed kernels read.
    pub fn quantize_layers(
        &self,
        precisions: &[Precision],
        options: QuantOptions,
    ) -> Result<Vec<QuantizedLayer>> {
        self.quantize_layers_with(precisions, options, None)
    }

    /// The f32 network the quantized one stands for: every layer's weights and biases replaced
    /// by their dequantized values ("fake quantization"). It predicts what the packed network
    /// predicts, up to f32 rounding, and evaluates whole batches fast.
    ///
    /// ```
    /// use ser_mlp::Mlp;
    /// use ser_quant::{BitWidth, Precision, QuantOptions};
    ///
    /// let mlp = Mlp::new(4, &[8], 3, 0.0, 1)?;
    /// let one = Precision::Bits(BitWidth::new(1)?);
    /// let binary = mlp.fake_quantized(&[one, one], QuantOptions::default())?;
    /// // Every weight of a binarised layer is +-mean|w|.
    /// let w = &binary.layers()[0].weights;
    /// let m = w[[0, 0]].abs();
    /// assert!(w.iter().all(|v| v.abs() == m));
    /// # Ok::<(), ser_mlp::MlpError>(())
    /// ```
    pub fn fake_quantized(&self, precisions: &[Precision], options: QuantOptions) -> Result<Mlp> {
        self.fake_quantized_with(precisions, options, None)
    }

    /// [`Mlp::quantize_layers`], each layer by GPTQ when `gptq` is given.
    pub fn quantize_layers_with(
        &self,
        precisions: &[Precision],
        options: QuantOptions,
        gptq: Gptq<'_>,
    ) -> Result<Vec<QuantizedLayer>> {
        self.check_widths(precisions)?;
        self.check_moments(gptq)?;
        self.layers()
            .iter()
            .zip(precisions)
            .enumerate()
            .map(|(i, (layer, &p))| match gptq {
                Some((moments, config)) => layer.quantize_gptq(p, options, &moments[i], config),
                None => layer.quantize(p, options),
            })
            .collect()
    }

    /// [`Mlp::fake_quantized`], each layer by GPTQ when `gptq` is given.
    pub fn fake_quantized_with(
        &self,
        precisions: &[Precision],
        options: QuantOptions,
        gptq: Gptq<'_>,
    ) -> Result<Mlp> {
        self.check_widths(precisions)?;
        self.check_moments(gptq)?;
        let layers = self
            .layers()
            .iter()
            .zip(precisions)
            .enumerate()
            .map(|(i, (layer, &p))| match gptq {
                Some((moments, config)) => {
                    layer.fake_quantized_gptq(p, options, &moments[i], config)
                }
                None => layer.fake_quantized(p, options),
            })
            .collect::<Result<Vec<_>>>()?;
        Mlp::from_layers(layers, self.dropout())
    }

    fn check_moments(&self, gptq: Gptq<'_>) -> Result<()> {
        match gptq {
            Some((moments, _)) if moments.len() != self.layers().len() => Err(MlpError::Shape {
                what: "GPTQ input moments",
                expected: format!("one per layer ({})", self.layers().len()),
                got: format!("{}", moments.len()),
            }),
            _ => Ok(()),
        }
    }
}

impl Dense {
    /// This layer quantized at `precision` ([`Precision::Full`] keeps it as it is).
    pub fn quantize(&self, precision: Precision, options: QuantOptions) -> Result<QuantizedLayer> {
        let rows: Vec<f32> = self.weights.t().iter().copied().collect();
        Ok(QuantizedLayer::quantize(
            &rows,
            &self.bias.to_vec(),
            self.outputs(),
            self.inputs(),
            precision,
            options,
        )?)
    }

    /// This layer with its weights and biases replaced by their dequantized values at
    /// `precision` (see [`Mlp::fake_quantized`]).
    ///
    /// ```
    /// use ser_mlp::Mlp;
    /// use ser_quant::{BitWidth, Precision, QuantOptions};
    ///
    /// let mlp = Mlp::new(4, &[8], 3, 0.0, 1)?;
    /// let two = Precision::Bits(BitWidth::new(2)?);
    /// let layer = mlp.layers()[0].fake_quantized(two, QuantOptions::default())?;
    /// // At 2 bits the codes are -1, 0, +1: at most three distinct weight values.
    /// let mut values: Vec<f32> = layer.weights.iter().copied().collect();
    /// values.sort_by(f32::total_cmp);
    /// values.dedup();
    /// assert!(values.len() <= 3);
    /// # Ok::<(), ser_mlp::MlpError>(())
    /// ```
    pub fn fake_quantized(&self, precision: Precision, options: QuantOptions) -> Result<Dense> {
        let bias = self.bias.to_vec();
        // The `outputs x inputs` rows the packed layer is made of.
        let rows: Vec<f32> = self.weights.t().iter().copied().collect();
        let Precision::Bits(bits) = precision else {
            // What quantizing at full precision checks.
            let (o, i) = (self.outputs(), self.inputs());
            QuantizedLayer::fake_quantize(&rows, &bias, o, i, precision, options)?;
            return Ok(self.clone());
        };
        // The scales from the rows; then each weight coded where it lies, as the packed
        // layer's dequantized values have it.
        let quantizer =
            SymmetricQuantizer::new(bits, options.granularity).with_scaling(options.scaling);
        let scales = quantizer.scales(&rows, self.outputs(), self.inputs())?;
        let per_output = scales.len() > 1;
        let mut weights = self.weights.clone();
        for mut row in weights.rows_mut() {
            for (o, w) in row.iter_mut().enumerate() {
                let s = scales[if per_output { o } else { 0 }];
                *w = f32::from(quantizer.code(*w, s)) * s;
            }
        }
        let bias = ser_quant::quantized_bias(&bias, self.outputs(), bits, options)?.values();
        Ok(Dense {
            weights,
            bias: Array1::from(bias),
        })
    }

    /// A layer from row-major `outputs x inputs` weights, as the packed kernels store them.
    pub(crate) fn from_rows(
        rows: Vec<f32>,
        bias: Vec<f32>,
        outputs: usize,
        inputs: usize,
    ) -> Result<Dense> {
        let outputs_by_inputs = Array2::from_shape_vec((outputs, inputs), rows)
            .map_err(|e| MlpError::Data(e.to_string()))?;
        Ok(Dense {
            weights: outputs_by_inputs.t().to_owned(),
            bias: Array1::from(bias),
        })
    }
}
