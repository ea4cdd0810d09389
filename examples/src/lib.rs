//! Runnable examples of ser-adaptive live in `examples/*.rs`; this library is empty.
