//! A model's figures on labelled rows: the metrics, and what the poster's table shows.

use ndarray::ArrayView2;
use ser_data::{Dataset, KnownRows};
use ser_mlp::{Gptq, Metrics, classification_metrics};
use ser_quant::{BitWidth, Precision, QuantOptions};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::Model;

/// One model on test rows, as the poster's table shows it (a row of `results.json`'s
/// `baseline`, `fixed`, `adaptive`, `adaptive_finetuned`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluated {
    /// Test accuracy (WA), percent.
    pub accuracy: f64,
    /// Unweighted average recall, percent.
    pub ua: f64,
    /// The poster's size: `params x bits / 8 / 1000`.
    pub size_kb: f64,
    /// Bytes of the model file.
    pub bytes: usize,
    /// The width of each layer (32 for f32).
    pub bits_per_layer: Vec<u8>,
    /// Parameter-weighted mean width.
    pub average_bits: f64,
}

/// A model's metrics on a dataset, over the rows whose label it knows.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The metrics, over the model's classes.
    pub metrics: Metrics,
    /// The rows scored, and how many of each unknown label were left out.
    pub known: KnownRows,
}

impl Model {
    /// The metrics of raw feature rows `x` against their true class indices (the model's).
    pub fn metrics(&self, x: ArrayView2<f32>, truth: &[usize]) -> Result<Metrics> {
        let predicted = self.predict(x)?;
        Ok(classification_metrics(
            truth,
            &predicted,
            self.classes.len(),
        )?)
    }

    /// Evaluates on `data` (a features table or extraction, named `source` in errors): its
    /// columns must be the model's, and rows of labels the model was not trained on are left
    /// out and counted.
    pub fn evaluate(&self, data: &Dataset, source: &str) -> Result<Evaluation> {
        self.check_feature_names(&data.feature_names)?;
        let known = data.rows_of_classes(&self.classes, source)?;
        let x = data.x.select(ndarray::Axis(0), &known.rows);
        let metrics = self.metrics(x.view(), &known.classes)?;
        Ok(Evaluation { metrics, known })
    }

    /// This model's row of the poster's table on raw feature rows `x` and their classes.
    pub fn evaluated(&self, x: ArrayView2<f32>, truth: &[usize]) -> Result<Evaluated> {
        let m = self.metrics(x, truth)?;
        Ok(Evaluated {
            accuracy: 100.0 * m.accuracy,
            ua: 100.0 * m.ua,
            size_kb: self.network.size_kb(),
            bytes: self.to_bytes()?.len(),
            bits_per_layer: self.network.bits_per_layer(),
            average_bits: self.network.average_bits(),
        })
    }

    /// The fixed-width sweep: every layer at 1, 2, ..., 8 bits (in that order), each as the
    /// packed model [`Model::quantize_with`] gives with `options`, evaluated on `x` and `truth`.
    pub fn fixed_sweep(
        &self,
        options: QuantOptions,
        x: ArrayView2<f32>,
        truth: &[usize],
    ) -> Result<Vec<Evaluated>> {
        self.fixed_sweep_with(options, None, x, truth)
    }

    /// [`Model::fixed_sweep`], each layer by GPTQ when `gptq` is given.
    pub fn fixed_sweep_with(
        &self,
        options: QuantOptions,
        gptq: Gptq<'_>,
        x: ArrayView2<f32>,
        truth: &[usize],
    ) -> Result<Vec<Evaluated>> {
        let n = self.network.shapes().len();
        BitWidth::ALL
            .iter()
            .map(|&b| {
                self.quantize_with(&vec![Precision::Bits(b); n], options, gptq)?
                    .evaluated(x, truth)
            })
            .collect()
    }
}
