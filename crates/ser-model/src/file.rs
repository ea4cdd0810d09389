//! The one model file format: ser-quant's checksummed container (readable without `std`, so a
//! microcontroller reads the same file) with this crate's metadata, as JSON, inside it.

use std::path::Path;

use ndarray::Array1;
use ser_features::FeatureConfig;
use ser_mlp::Standardizer;
use ser_quant::{FileSize, PackedMlp, PackedModel, Precision, QuantOptions};
use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::model::{Model, Network, TrainingInfo, unpacked};

/// What the container's metadata text holds (`docs/MODEL_FORMAT.md`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata {
    /// How the inputs are computed.
    features: FeatureConfig,
    /// How the model was trained, when known.
    training: Option<TrainingInfo>,
    /// The dropout of an f32 network's training (kept so that fine-tuning a loaded model
    /// trains it as before); 0 for packed networks.
    dropout: f32,
}

fn file_error(path: &str, reason: impl std::fmt::Display) -> ModelError {
    ModelError::File {
        path: path.to_string(),
        reason: reason.to_string(),
    }
}

impl Model {
    /// The file's bytes and where they go (codes, scales, everything else).
    pub fn to_bytes_with_size(&self) -> Result<(Vec<u8>, FileSize)> {
        let (mlp, dropout) = match &self.network {
            Network::F32(m) => {
                let full = vec![Precision::Full; m.layers().len()];
                (
                    PackedMlp::new(m.quantize_layers(&full, QuantOptions::default())?)?,
                    m.dropout(),
                )
            }
            Network::Packed(m) => (m.clone(), 0.0),
        };
        let metadata = Metadata {
            features: self.features.clone(),
            training: self.training.clone(),
            dropout,
        };
        let container = PackedModel {
            mlp,
            mean: self.standardizer.mean.to_vec(),
            scale: self.standardizer.scale.to_vec(),
            classes: self.classes.clone(),
            metadata: serde_json::to_string(&metadata).map_err(|e| file_error("<memory>", e))?,
        };
        Ok(container.to_bytes_with_size()?)
    }

    /// The file's bytes (`docs/MODEL_FORMAT.md`): the same format for f32 and packed models.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(self.to_bytes_with_size()?.0)
    }

    /// Reads a model of either kind from its file's bytes; `name` is used in errors. Magic,
    /// version and checksum are checked first, then every count, width, code and value, then
    /// the metadata and that the parts agree. A file whose layers are all f32 gives an
    /// [`Network::F32`] model, exactly as it was written.
    ///
    /// ```
    /// use ser_model::Model;
    ///
    /// let err = Model::from_bytes(b"RIFF....WAVE", "song.wav").unwrap_err();
    /// assert_eq!(err.to_string(), "model file song.wav: not a ser model file (it does not start with SERMODEL)");
    /// ```
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Model> {
        let container = PackedModel::from_bytes(bytes).map_err(|e| file_error(name, e))?;
        let metadata: Metadata = serde_json::from_str(&container.metadata)
            .map_err(|e| file_error(name, format!("the metadata is not readable: {e}")))?;
        metadata
            .features
            .validate()
            .map_err(|e| file_error(name, e))?;
        let network =
            match unpacked(&container.mlp, metadata.dropout).map_err(|e| file_error(name, e))? {
                Some(mlp) => Network::F32(mlp),
                None => Network::Packed(container.mlp),
            };
        Model::new(
            network,
            Standardizer {
                mean: Array1::from(container.mean),
                scale: Array1::from(container.scale),
            },
            container.classes,
            metadata.features,
            metadata.training,
        )
        .map_err(|e| file_error(name, e))
    }

    /// Writes the model to `path` through [`ser_data::write_atomically`]: an interrupted
    /// write leaves the old file or none, never half of one. It replaces an existing file;
    /// callers that must not (the CLI without `--force`) check first.
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = self.to_bytes()?;
        ser_data::write_atomically(path, |w| std::io::Write::write_all(w, &bytes))
            .map_err(|e| file_error(&path.display().to_string(), e))
    }

    /// Reads a model file of either kind.
    pub fn load(path: &Path) -> Result<Model> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| file_error(&name, e))?;
        Model::from_bytes(&bytes, &name)
    }
}
