//! The layer-wise adaptive bit-width search.
//!
//! This crate will hold (issue 5): the poster's search of a bit width per layer under
//! importance-dependent accuracy margins (`T_margin(l) = T_margin - beta * Importance(l)`),
//! the fixed 1..=8-bit sweep it is compared with, optional quantization-aware fine-tuning,
//! the Pareto front of (average bits, validation accuracy), and the reports.
//!
//! It holds no API yet: nothing here is a placeholder.
