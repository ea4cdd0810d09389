//! The model bundle: everything needed to turn feature vectors into emotions.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use ser_features::FeatureConfig;
use ser_mlp::{Dense, Gptq, InputMoments, Mlp, Standardizer};
use ser_quant::{PackedMlp, Precision, QuantOptions, Scratch, argmax, softmax};
use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// Facts about how a model was trained, kept in its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// The training seed.
    pub seed: u64,
    /// Epochs run.
    pub epochs: usize,
    /// The epoch whose weights were kept.
    pub best_epoch: usize,
    /// Training rows.
    pub train_rows: usize,
    /// The distinct rates the training features were computed at, ascending; empty when
    /// unknown. Features mean different things at different rates, so a recognizer resamples
    /// audio at another rate to one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample_rates: Vec<u32>,
}

/// The network of a model: f32 layers (trainable, the search's starting point) or layers run
/// straight from their packed codes (any mix of widths, f32 layers among them).
#[derive(Debug, Clone, PartialEq)]
pub enum Network {
    /// Every layer in f32.
    F32(Mlp),
    /// Quantized layers, run from packed codes.
    Packed(PackedMlp),
}

impl Network {
    /// Inputs of the first layer.
    pub fn inputs(&self) -> usize {
        match self {
            Network::F32(m) => m.inputs(),
            Network::Packed(m) => m.inputs(),
        }
    }

    /// Outputs of the last layer.
    pub fn outputs(&self) -> usize {
        match self {
            Network::F32(m) => m.classes(),
            Network::Packed(m) => m.outputs(),
        }
    }

    /// Weights and biases.
    pub fn params(&self) -> usize {
        match self {
            Network::F32(m) => m.n_params(),
            Network::Packed(m) => m.params(),
        }
    }

    /// Each layer's `(inputs, outputs)`.
    pub fn shapes(&self) -> Vec<(usize, usize)> {
        match self {
            Network::F32(m) => m
                .layers()
                .iter()
                .map(|l| (l.inputs(), l.outputs()))
                .collect(),
            Network::Packed(m) => m
                .layers()
                .iter()
                .map(|l| (l.inputs(), l.outputs()))
                .collect(),
        }
    }

    /// Each layer's precision ([`Precision::Full`] for f32).
    pub fn precisions(&self) -> Vec<Precision> {
        match self {
            Network::F32(m) => vec![Precision::Full; m.layers().len()],
            Network::Packed(m) => m.precisions(),
        }
    }

    /// Each layer's width in bits (32 for f32), as reports write them.
    pub fn bits_per_layer(&self) -> Vec<u8> {
        self.precisions().iter().map(|p| p.bits()).collect()
    }

    /// The parameter-weighted mean width (32 for an f32 network).
    pub fn average_bits(&self) -> f64 {
        match self {
            Network::F32(_) => 32.0,
            Network::Packed(m) => m.average_bits(),
        }
    }

    /// The poster's size, `params x bits / 8 / 1000`.
    pub fn size_kb(&self) -> f64 {
        match self {
            Network::F32(m) => m.n_params() as f64 * 32.0 / 8000.0,
            Network::Packed(m) => m.size_kb(),
        }
    }
}

/// A trained emotion classifier with everything needed to use it on new audio: the feature
/// configuration its inputs are made with, the standardisation fitted on its training split,
/// the network (f32 or packed) and the class names. One file format holds every kind
/// ([`Model::to_bytes`], `docs/MODEL_FORMAT.md`).
///
/// ```
/// use ser_features::FeatureConfig;
/// use ser_mlp::{Mlp, Standardizer};
/// use ser_model::{Model, Network};
/// use ser_quant::{BitWidth, Precision};
///
/// let features = FeatureConfig::default();
/// let x = ndarray::Array2::from_shape_fn((4, 180), |(i, j)| (i * j % 7) as f32);
/// let model = Model::new(
///     Network::F32(Mlp::new(180, &[16], 2, 0.1, 3)?),
///     Standardizer::fit(x.view())?,
///     vec!["calm".into(), "anger".into()],
///     features,
///     None,
/// )?;
/// let two = Precision::Bits(BitWidth::new(2)?);
/// let packed = model.quantize(&[two, two])?;
/// assert_eq!(packed.network.average_bits(), 2.0);
/// // Either kind answers the same calls with the same shapes.
/// assert_eq!(packed.predict(x.view())?.len(), 4);
/// assert_eq!(model.predict_proba(x.view())?.dim(), (4, 2));
/// # Ok::<(), ser_model::ModelError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The network.
    pub network: Network,
    /// Standardisation fitted on the training split.
    pub standardizer: Standardizer,
    /// Class names, in the order of the network's outputs.
    pub classes: Vec<String>,
    /// How the features it takes are computed.
    pub features: FeatureConfig,
    /// How it was trained, when known.
    pub training: Option<TrainingInfo>,
}

impl Model {
    /// A model of these parts, checked to agree: the standardisation and the feature
    /// configuration give the network's inputs, the classes its outputs, the scales are
    /// positive. A packed network whose layers are all f32 becomes the f32 network it is
    /// (dropout 0), as its file reads back.
    pub fn new(
        network: Network,
        standardizer: Standardizer,
        classes: Vec<String>,
        features: FeatureConfig,
        training: Option<TrainingInfo>,
    ) -> Result<Model> {
        let network = match network {
            Network::Packed(m) => match unpacked(&m, 0.0)? {
                Some(mlp) => Network::F32(mlp),
                None => Network::Packed(m),
            },
            f32 => f32,
        };
        let model = Model {
            network,
            standardizer,
            classes,
            features,
            training,
        };
        model.validate()?;
        Ok(model)
    }

    /// Checks that the parts agree (see [`Model::new`]).
    pub fn validate(&self) -> Result<()> {
        let mismatch = |what: String| Err(ModelError::Mismatch(what));
        let n = self.network.inputs();
        if self.standardizer.mean.len() != n || self.standardizer.scale.len() != n {
            return mismatch(format!(
                "the standardisation has {} columns, the network takes {n} inputs",
                self.standardizer.mean.len()
            ));
        }
        if self.features.dim() != n {
            return mismatch(format!(
                "the feature configuration gives {} features, the network takes {n}",
                self.features.dim()
            ));
        }
        if self.classes.len() != self.network.outputs() {
            return mismatch(format!(
                "{} class names for a network of {} outputs",
                self.classes.len(),
                self.network.outputs()
            ));
        }
        let s = &self.standardizer;
        if let Some(i) = s.mean.iter().position(|v| !v.is_finite()) {
            return mismatch(format!("standardisation mean {i} is {}", s.mean[i]));
        }
        if let Some(i) = s.scale.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
            return mismatch(format!(
                "standardisation scale {i} is {}, not a positive number",
                s.scale[i]
            ));
        }
        self.features.validate()?;
        Ok(())
    }

    /// The f32 network, or `None` for a packed model.
    pub fn mlp(&self) -> Option<&Mlp> {
        match &self.network {
            Network::F32(m) => Some(m),
            Network::Packed(_) => None,
        }
    }

    /// The names of the feature columns it takes, in order.
    pub fn feature_names(&self) -> Vec<String> {
        self.features.feature_names()
    }

    /// Refuses features made another way: the column names must be the model's, in order.
    pub fn check_feature_names(&self, names: &[String]) -> Result<()> {
        let expected = self.feature_names();
        if names == expected.as_slice() {
            return Ok(());
        }
        let first = names.iter().zip(&expected).position(|(a, b)| a != b);
        Err(ModelError::Mismatch(format!(
            "the features do not match the model's: {} columns ({}) against the model's {}{}",
            names.len(),
            names.first().map_or("none", String::as_str),
            expected.len(),
            first.map_or(String::new(), |i| format!(
                "; column {i} is `{}`, the model expects `{}`",
                names[i], expected[i]
            ))
        )))
    }

    /// The output scores of raw (unstandardised) feature rows; packed layers run from their
    /// codes, row by row.
    pub fn logits(&self, features: ArrayView2<f32>) -> Result<Array2<f32>> {
        let x = self.standardizer.transform(features)?;
        match &self.network {
            Network::F32(m) => Ok(m.logits(x.view())?),
            Network::Packed(m) => {
                let mut out = Array2::zeros((x.nrows(), m.outputs()));
                let mut scratch = Scratch::default();
                let mut row = Vec::with_capacity(x.ncols());
                for (i, x_row) in x.axis_iter(Axis(0)).enumerate() {
                    row.clear();
                    row.extend(x_row.iter().copied());
                    let logits = m
                        .logits(&row, &mut scratch)
                        .map_err(|e| ModelError::Mismatch(format!("row {i}: {e}")))?;
                    out.row_mut(i).assign(&ndarray::ArrayView1::from(logits));
                }
                Ok(out)
            }
        }
    }

    /// Class probabilities (softmax) of raw feature rows, one row each.
    pub fn predict_proba(&self, features: ArrayView2<f32>) -> Result<Array2<f32>> {
        match &self.network {
            Network::F32(m) => Ok(m.predict_proba(self.standardizer.transform(features)?.view())?),
            Network::Packed(_) => {
                let mut p = self.logits(features)?;
                for mut row in p.rows_mut() {
                    if let Some(slice) = row.as_slice_mut() {
                        softmax(slice);
                    }
                }
                Ok(p)
            }
        }
    }

    /// The most probable class index of each raw feature row.
    pub fn predict(&self, features: ArrayView2<f32>) -> Result<Vec<usize>> {
        Ok(self
            .logits(features)?
            .rows()
            .into_iter()
            .map(|r| argmax(r.iter().copied()))
            .collect())
    }

    /// This model with its f32 layers quantized at `precisions` (one per layer;
    /// [`Precision::Full`] keeps a layer in f32), as packed codes: what `ser quantize` writes.
    /// The codes are rounded to nearest by [`QuantOptions::recommended`]'s quantizer
    /// (per-channel scales of least squared error), which holds at 2 bits where the poster's
    /// max-abs scales collapse; [`Model::quantize_with`] takes any quantizer and GPTQ.
    /// A packed model is not quantized again (its f32 weights are gone); with every layer at
    /// [`Precision::Full`] the model stays an f32 one.
    pub fn quantize(&self, precisions: &[Precision]) -> Result<Model> {
        self.quantize_with(precisions, QuantOptions::recommended(false), None)
    }

    /// [`Model::quantize`] by the quantizer `options`, each layer by GPTQ when `gptq` is given
    /// (its input moments on calibration rows, [`Model::calibration`]).
    pub fn quantize_with(
        &self,
        precisions: &[Precision],
        options: QuantOptions,
        gptq: Gptq<'_>,
    ) -> Result<Model> {
        let mlp = self.f32_mlp("quantized")?;
        let packed = PackedMlp::new(mlp.quantize_layers_with(precisions, options, gptq)?)?;
        // Every layer kept in f32 is the f32 model, as its file reads back.
        let network = if precisions.iter().all(|p| *p == Precision::Full) {
            Network::F32(mlp.clone())
        } else {
            Network::Packed(packed)
        };
        Ok(Model {
            network,
            ..self.clone()
        })
    }

    /// GPTQ's calibration of this model's f32 layers on `features`, raw feature rows (the
    /// training rows, never test rows): each layer's input moments, the rows standardised as
    /// the model takes them. A packed model has no f32 layers to calibrate.
    pub fn calibration(&self, features: ArrayView2<f32>) -> Result<Vec<InputMoments>> {
        let x = self.standardizer.transform(features)?;
        Ok(self.f32_mlp("calibrated")?.input_moments(x.view())?)
    }

    /// This model with every layer's weights replaced by their dequantized values at
    /// `precisions`, still in f32 (see [`Mlp::fake_quantized`]): it predicts what
    /// [`Model::quantize`]'s model does, and evaluates whole batches fast.
    pub fn fake_quantized(&self, precisions: &[Precision], options: QuantOptions) -> Result<Model> {
        let mlp = self.f32_mlp("fake-quantized")?;
        Ok(Model {
            network: Network::F32(mlp.fake_quantized(precisions, options)?),
            ..self.clone()
        })
    }

    /// This model with `mlp` as its f32 network (fine-tuned weights, say).
    pub fn with_mlp(&self, mlp: Mlp) -> Result<Model> {
        let model = Model {
            network: Network::F32(mlp),
            ..self.clone()
        };
        model.validate()?;
        Ok(model)
    }

    pub(crate) fn f32_mlp(&self, doing: &str) -> Result<&Mlp> {
        self.mlp().ok_or_else(|| {
            ModelError::Mismatch(format!(
                "a packed model cannot be {doing}: its f32 weights are not kept; use the f32 model it was made from"
            ))
        })
    }
}

/// The f32 network of packed layers that are all [`Precision::Full`], exactly (weights are
/// transposed back to `inputs x outputs`); `None` when a layer is quantized.
pub(crate) fn unpacked(packed: &PackedMlp, dropout: f32) -> Result<Option<Mlp>> {
    if packed.precisions().iter().any(|p| *p != Precision::Full) {
        return Ok(None);
    }
    let layers = packed
        .layers()
        .iter()
        .map(|layer| -> Result<Dense> {
            let (rows, bias) = layer.dequantize()?;
            let (inputs, outputs) = (layer.inputs(), layer.outputs());
            Ok(Dense {
                weights: Array2::from_shape_fn((inputs, outputs), |(i, o)| rows[o * inputs + i]),
                bias: Array1::from(bias),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(Mlp::from_layers(layers, dropout)?))
}
