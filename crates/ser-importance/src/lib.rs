//! Layer importance for mixed-precision quantization.
//!
//! This crate will hold (issue 5): the poster's importance score
//! `Importance(l) = a * Np(l) + (1 - a) * Nv(l)` with the optional entropy term, layer ranking,
//! and alternative scorers behind one trait (a Hutchinson Hessian-trace estimate and measured
//! one-layer sensitivity).
//!
//! It holds no API yet: nothing here is a placeholder.
