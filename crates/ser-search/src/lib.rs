//! The layer-wise adaptive bit-width search (METHOD.md, "Ranking and adaptive search").
//!
//! Layers are ranked by importance ([`ser_importance`]), most important first by default. For
//! each layer in that order, with the layers already decided held at their widths and the rest
//! still at full precision, the search tries the candidate widths (8 down to 1 by default) and
//! keeps the smallest whose validation accuracy stays within
//! `T_margin(l) = T_margin - beta * Importance(l)` percentage points of the f32 baseline's.
//! Accuracy is measured on validation rows (never the test rows) with the fake-quantized f32
//! network ([`ser_mlp::Mlp::fake_quantized`]), which predicts what the packed one does.
//!
//! ```
//! use ndarray::Array2;
//! use ser_mlp::{Labelled, TrainConfig, fit};
//! use ser_search::{SearchConfig, adaptive_search};
//!
//! // Two separable classes in 6 dimensions, and a small trained network.
//! let x = Array2::from_shape_fn((60, 6), |(i, j)| if (i % 2 == 0) == (j % 2 == 0) { 1.0 } else { -1.0 } + (i * j % 5) as f32 * 0.05);
//! let y: Vec<usize> = (0..60).map(|i| i % 2).collect();
//! let config = TrainConfig { hidden: vec![16, 8], max_epochs: 40, seed: 1, ..TrainConfig::default() };
//! let (mlp, _) = fit(&config, Labelled { x: x.view(), y: &y }, None, 2)?;
//! let result = adaptive_search(&mlp, Labelled { x: x.view(), y: &y }, &SearchConfig::default())?;
//! // Every layer got a width, and the model stayed within the margins.
//! assert_eq!(result.precisions.len(), 3);
//! assert!(result.baseline_accuracy - result.accuracy <= 2.0);
//! assert!(result.average_bits < 8.0);
//! # Ok::<(), ser_search::SearchError>(())
//! ```
//!
//! [`adaptive_search_pooled`] steadies the accuracy signal by pooling it over networks trained
//! on other folds (`ser run --folds K`); [`SearchConfig::quant`] picks the quantizer (per-layer
//! or per-channel, max-abs or least-squared-error scales).
//!
//! [`LayerScore`] swaps the poster's importance for a Hessian-trace estimate or measured
//! sensitivity (each scaled to [0, 1]) to compare them.
//!
//! **No separate global check.** METHOD.md names a final whole-model check against
//! `T_margin` as an option. Under its rules it cannot fail: every trial the search accepts is a
//! whole-model evaluation (decided layers at their widths, the rest f32) against
//! `T_margin(l) <= T_margin` (importance is never negative), and the final model is exactly the
//! last accepted trial's (or the f32 baseline when none passed). The test
//! `the_final_model_is_always_within_the_global_margin` checks this over many settings.
//!
//! [`finetune_quantized`] then trains the network a few epochs through its quantized weights
//! (quantization-aware fine-tuning, straight-through estimator), so accuracy lost in
//! quantization can come back.
//!
//! [`ScoredPool`] holds the networks and rows the search scores, so that an experiment can
//! run the margin search and the budget over every mix on one pool, each layer quantized once
//! per width. Runs over seeds, `results.json` and the reports are the `ser-experiment` crate's.

mod budget;
mod error;
mod finetune;
mod pool;
mod search;

pub use budget::{
    Budget, BudgetResult, Costs, MAX_EXACT_MIXES, Mix, MixScore, best_within, best_within_by,
    budget_search, mix_front,
};
pub use error::{Result, SearchError};
pub use finetune::{FinetuneConfig, Finetuned, finetune_quantized, finetune_quantized_from};
pub use pool::ScoredPool;
pub use search::{
    LayerScore, Member, SearchConfig, SearchResult, Strategy, Trial, adaptive_search,
    adaptive_search_pooled, average_bits, pareto_front, quantized_accuracy,
};

#[cfg(test)]
mod tests;
