//! Running the `ser` binary from the integration tests.

#![allow(dead_code, unreachable_pub, clippy::expect_used)]

use std::process::{Command, Output};

/// Runs `ser` with `args`.
pub fn ser(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ser"))
        .args(args)
        .output()
        .expect("ser runs")
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
