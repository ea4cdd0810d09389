//! Quantization primitives of ser-adaptive.
//!
//! This crate will hold (issue 4): `BitWidth` (1..=8), the uniform symmetric per-layer
//! quantizer (`qmax = 2^(b-1) - 1`, `s = max|w| / qmax`) with per-channel scales as an option,
//! 1-bit binarisation (`sign(w) * mean|w|`), several bit-packing layouts behind one trait,
//! inference straight from packed codes with mixed widths per layer, exact size accounting,
//! and a `no_std` + `alloc` build for microcontrollers.
//!
//! It holds no API yet: nothing here is a placeholder.
