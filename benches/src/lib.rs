//! Criterion benches of ser-adaptive live in `benches/*.rs`; this library is empty.
