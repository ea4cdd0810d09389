//! Running the `ser` binary from the integration tests.

#![allow(dead_code, unreachable_pub, clippy::expect_used)]

use std::process::{Command, Output};

/// Runs `ser` with `args`. Debug builds are slow, so the demo corpus is the small one
/// (210 utterances) and `ser demo` runs the poster's method unless `args` say otherwise;
/// `.ci/run` runs the full demo, with `--method best`, in release.
pub fn ser(args: &[&str]) -> Output {
    let mut all: Vec<&str> = args.to_vec();
    let demo = args.first() == Some(&"demo")
        || args.iter().any(|a| *a == "--demo" || *a == "--sweep-demo");
    if demo && !args.contains(&"--demo-size") {
        all.extend(["--demo-size", "small"]);
    }
    if args.first() == Some(&"demo") && !args.contains(&"--method") {
        all.extend(["--method", "poster"]);
    }
    Command::new(env!("CARGO_BIN_EXE_ser"))
        .args(all)
        .output()
        .expect("ser runs")
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes a 1 s, 16 kHz sine tone (angular step `step` per sample) as 16-bit WAV at `path`.
pub fn tone_wav(path: &std::path::Path, step: f32) {
    let tone: Vec<f32> = (0..16_000).map(|i| (i as f32 * step).sin() * 0.3).collect();
    std::fs::write(
        path,
        ser_adaptive::features::encode_wav_pcm16(&tone, 16_000),
    )
    .expect("writable");
}

/// Parses stdout as JSON, after checking that the command succeeded.
pub fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

/// Each line of `bytes` parsed as JSON (lines that are not JSON are left out).
pub fn json_lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    text(bytes)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The demo corpus's features as CSV in `dir` (made by `ser features --demo`).
pub fn demo_csv(dir: &std::path::Path) -> std::path::PathBuf {
    let csv = dir.join("demo.csv");
    let out = ser(&[
        "features",
        "--demo",
        "--quiet",
        "--out",
        csv.to_str().expect("UTF-8 path"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    csv
}
