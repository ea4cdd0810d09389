//! A model file of either kind: f32 (`ser train`) or packed (`ser quantize`).

use std::path::Path;

use ser_adaptive::features::FeatureConfig;
use ser_adaptive::mlp::{Dataset, MODEL_MAGIC, Model, packed_feature_config};
use ser_adaptive::ndarray::{ArrayView2, Axis};
use ser_adaptive::quant::{PACKED_MAGIC, PackedModel, Scratch};

use crate::CliError;

/// A trained classifier read from a model file, f32 or packed.
pub(crate) enum Classifier {
    /// An f32 model.
    Float(Model),
    /// A packed model and the feature configuration its file names.
    Packed(PackedModel, FeatureConfig),
}

impl Classifier {
    /// Reads a model file of either kind, told apart by its magic.
    pub(crate) fn load(path: &Path) -> Result<Self, CliError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| CliError(format!("model file {name}: {e}")))?;
        if bytes.starts_with(PACKED_MAGIC) {
            let model = PackedModel::from_bytes(&bytes)
                .map_err(|e| CliError(format!("packed model file {name}: {e}")))?;
            let features = packed_feature_config(&model)
                .map_err(|e| CliError(format!("packed model file {name}: {e}")))?;
            if features.dim() != model.mlp.inputs() {
                return Err(CliError(format!(
                    "packed model file {name}: its feature configuration gives {} features, its network takes {}",
                    features.dim(),
                    model.mlp.inputs()
                )));
            }
            return Ok(Classifier::Packed(model, features));
        }
        if !bytes.starts_with(MODEL_MAGIC) {
            return Err(CliError(format!(
                "{name} is not a ser model file (neither SERMODEL nor SERQMODL)"
            )));
        }
        Ok(Classifier::Float(Model::from_bytes(&bytes, &name)?))
    }

    pub(crate) fn classes(&self) -> &[String] {
        match self {
            Classifier::Float(m) => &m.classes,
            Classifier::Packed(m, _) => &m.classes,
        }
    }

    pub(crate) fn features(&self) -> &FeatureConfig {
        match self {
            Classifier::Float(m) => &m.features,
            Classifier::Packed(_, f) => f,
        }
    }

    /// Refuses feature columns other than the model's.
    pub(crate) fn check_feature_names(&self, names: &[String]) -> Result<(), CliError> {
        match self {
            Classifier::Float(m) => Ok(m.check_feature_names(names)?),
            Classifier::Packed(_, f) if f.feature_names() != names => Err(CliError(format!(
                "the features do not match the packed model's: {} columns against its {}",
                names.len(),
                f.dim()
            ))),
            Classifier::Packed(..) => Ok(()),
        }
    }

    /// The predicted class of every raw feature row (packed models run from their codes).
    pub(crate) fn predict(&self, x: ArrayView2<f32>) -> Result<Vec<usize>, CliError> {
        match self {
            Classifier::Float(m) => Ok(m.predict(x)?),
            Classifier::Packed(m, _) => predict_packed(m, x),
        }
    }

    /// Class probabilities of one raw feature vector.
    pub(crate) fn predict_proba(&self, row: &[f32]) -> Result<Vec<f32>, CliError> {
        match self {
            Classifier::Float(m) => {
                let x = ArrayView2::from_shape((1, row.len()), row)?;
                Ok(m.predict_proba(x)?.row(0).to_vec())
            }
            Classifier::Packed(m, _) => Ok(m.predict_proba(row, &mut Scratch::default())?),
        }
    }

    /// Epochs trained, when the file says.
    pub(crate) fn epochs(&self) -> Option<usize> {
        match self {
            Classifier::Float(m) => Some(m.training.epochs),
            Classifier::Packed(..) => None,
        }
    }
}

/// The predicted class of every raw feature row, one packed forward pass each.
pub(crate) fn predict_packed(
    model: &PackedModel,
    x: ArrayView2<f32>,
) -> Result<Vec<usize>, CliError> {
    let mut scratch = Scratch::default();
    x.axis_iter(Axis(0))
        .enumerate()
        .map(|(i, row)| {
            let row = row.to_vec();
            model
                .predict(&row, &mut scratch)
                .map_err(|e| CliError(format!("row {i}: {e}")))
        })
        .collect()
}

/// Row indices, their classes' indices in the model, and the count of each unknown label.
type KnownRows = (
    Vec<usize>,
    Vec<usize>,
    std::collections::BTreeMap<String, usize>,
);

/// The rows of `data` whose label is one of `classes`, with that class's index, and how many
/// rows of each unknown label were left out (reported as a warning). No known row at all is an
/// error naming `source` (the data file; `None` for the demo corpus).
pub(crate) fn known_rows(
    data: &Dataset,
    classes: &[String],
    source: Option<&Path>,
) -> Result<KnownRows, CliError> {
    let mut rows = Vec::new();
    let mut truth = Vec::new();
    let mut unknown = std::collections::BTreeMap::new();
    for (i, &l) in data.labels.iter().enumerate() {
        let name = data.classes[l].as_str();
        match classes.iter().position(|c| c == name) {
            Some(c) => {
                rows.push(i);
                truth.push(c);
            }
            None => *unknown.entry(name.to_string()).or_default() += 1,
        }
    }
    for (label, count) in &unknown {
        eprintln!(
            "warning: {count} row(s) labelled `{label}`, a class the model was not trained on, are left out"
        );
    }
    if rows.is_empty() {
        return Err(CliError(format!(
            "{}: no row has a label the model knows (the data's: {}; the model's: {})",
            source.map_or("the demo corpus".into(), |p| p.display().to_string()),
            data.classes.join(", "),
            classes.join(", ")
        )));
    }
    Ok((rows, truth, unknown))
}
