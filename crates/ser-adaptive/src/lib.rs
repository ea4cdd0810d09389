//! ser-adaptive: speech emotion recognition small enough for edge devices.
//!
//! Audio in, emotion out, through a model squeezed to 1-3 bits per weight by layer-wise
//! adaptive quantization. This facade re-exports the workspace's crates as modules, and
//! `ndarray` so you get the matching version:
//!
//! | module | crate | holds |
//! |---|---|---|
//! | [`features`] | `ser-features` | decoding, librosa-exact MFCC / chroma / mel, corpora |
//! | [`mlp`] | `ser-mlp` | the baseline MLP, training, evaluation, model files |
//! | [`quant`] | `ser-quant` | quantizers (max-abs or least-squared-error scales), bit packings, packed inference and packed model files (`no_std`) |
//! | [`importance`] | `ser-importance` | layer importance (the poster's Np/Nv score, entropy term), a Hessian-trace estimate, measured sensitivity, ranking |
//! | [`search`] | `ser-search` | the adaptive bit-width search (optionally cross-validated), fixed-width sweep, fine-tuning, Pareto front, whole runs and their reports |
//!
//! | cargo feature | default | what it adds |
//! |---|---|---|
//! | `parallel` | on | parallel feature extraction over many files (rayon) |
//!
//! ```
//! use ser_adaptive::features::{FeatureConfig, FeatureExtractor};
//!
//! let extractor = FeatureExtractor::new(FeatureConfig::default())?;
//! let silence = vec![0.0f32; 8_000];
//! let vector = extractor.extract(&silence, 16_000)?;
//! assert_eq!(vector.len(), 180);
//! # Ok::<(), ser_adaptive::features::FeatureError>(())
//! ```

pub use ndarray;
pub use ser_features as features;
pub use ser_importance as importance;
pub use ser_mlp as mlp;
pub use ser_quant as quant;
pub use ser_search as search;
