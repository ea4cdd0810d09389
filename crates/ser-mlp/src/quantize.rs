//! From f32 layers to quantized ones (`ser_quant`), at per-layer widths.

use ndarray::{Array1, Array2};
use ser_quant::{Precision, QuantOptions, QuantizedLayer};

use crate::error::{MlpError, Result};
use crate::network::{Dense, Mlp};

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
        self.check_widths(precisions)?;
        self.layers()
            .iter()
            .zip(precisions)
            .map(|(layer, &p)| layer.quantize(p, options))
            .collect()
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
        self.check_widths(precisions)?;
        let layers = self
            .layers()
            .iter()
            .zip(precisions)
            .map(|(layer, &p)| layer.fake_quantized(p, options))
            .collect::<Result<Vec<_>>>()?;
        Mlp::from_layers(layers, self.dropout())
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
        let q = self.quantize(precision, options)?;
        let (rows, bias) = q.dequantize()?;
        let outputs_by_inputs = Array2::from_shape_vec((q.outputs(), q.inputs()), rows)
            .map_err(|e| MlpError::Data(e.to_string()))?;
        Ok(Dense {
            weights: outputs_by_inputs.t().to_owned(),
            bias: Array1::from(bias),
        })
    }
}
