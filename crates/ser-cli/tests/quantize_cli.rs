//! `ser quantize`, and `ser eval` / `ser predict` on packed models, on the built-in demo corpus.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{demo_csv, json, ser, text, tone_wav};

/// The demo features and a model trained on them.
fn trained(dir: &Path) -> (PathBuf, PathBuf) {
    let csv = demo_csv(dir);
    let model = dir.join("m.sermodel");
    let out = ser(&[
        "train",
        csv.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--max-epochs",
        "30",
        "--seed",
        "1",
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    (csv, model)
}

#[test]
fn quantize_writes_packed_models_that_eval_and_predict_read() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, model) = trained(dir.path());
    let (csv_s, model_s) = (csv.to_str().unwrap(), model.to_str().unwrap());
    let f32_bytes = std::fs::metadata(&model).unwrap().len();
    let f32_eval = json(&ser(&["eval", "--model", model_s, csv_s, "--json"]));

    let q8 = dir.path().join("m8.q");
    let report = json(&ser(&[
        "quantize",
        "--model",
        model_s,
        "--bits",
        "8",
        "--out",
        q8.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(report["params"], 211_207);
    assert_eq!(
        report["bytes"].as_u64().unwrap(),
        std::fs::metadata(&q8).unwrap().len()
    );
    // 8 bits keep the accuracy within a couple of rows of f32 on the demo data.
    let eval8 = json(&ser(&[
        "eval",
        "--model",
        q8.to_str().unwrap(),
        csv_s,
        "--json",
    ]));
    assert_eq!(eval8["rows"], 210);
    let drop = f32_eval["accuracy"].as_f64().unwrap() - eval8["accuracy"].as_f64().unwrap();
    assert!(drop.abs() <= 3.0, "8-bit accuracy moved by {drop} points");
    // A packed model keeps how its f32 model was trained.
    assert!(eval8["epochs"].as_u64().is_some());
    assert_eq!(eval8["epochs"], f32_eval["epochs"]);

    // 2 bits with the poster's quantizer: the file is the poster's accounting plus a fixed
    // header, ~1/16 of the f32 file.
    let q2 = dir.path().join("m2.q");
    let r2 = json(&ser(&[
        "quantize",
        "--model",
        model_s,
        "--bits",
        "2",
        "--poster-scales",
        "--out",
        q2.to_str().unwrap(),
        "--json",
    ]));
    let accounting = 211_207.0 * 2.0 / 8.0;
    assert_eq!(r2["size_kb"].as_f64().unwrap(), accounting / 1000.0);
    let codes = r2["codes_bytes"].as_f64().unwrap();
    assert!(codes >= accounting && codes <= accounting * 1.01, "{r2}");
    let bytes = r2["bytes"].as_f64().unwrap();
    assert_eq!(
        bytes,
        codes + r2["scales_bytes"].as_f64().unwrap() + r2["header_bytes"].as_f64().unwrap()
    );
    let ratio = f32_bytes as f64 / bytes;
    assert!(
        (15.0..16.5).contains(&ratio),
        "f32 / 2-bit file sizes: {ratio}"
    );

    // The default, least-squared-error per-channel scales: the same codes' size, each
    // layer's one f32 weight scale replaced by one per output, and a file that evaluates.
    let q2m = dir.path().join("m2mse.q");
    let r2m = json(&ser(&[
        "quantize",
        "--model",
        model_s,
        "--bits",
        "2",
        "--out",
        q2m.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(
        r2m["quantizer"],
        "per-channel least-squared-error scales, biases at the layer's width, codes rounded to nearest"
    );
    let explicit = dir.path().join("m2explicit.q");
    ser(&[
        "quantize",
        "--model",
        model_s,
        "--bits",
        "2",
        "--scales",
        "mse",
        "--per-channel",
        "--out",
        explicit.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(&explicit).unwrap(),
        std::fs::read(&q2m).unwrap()
    );
    assert_eq!(r2m["codes_bytes"], r2["codes_bytes"]);
    let outputs = 256.0 + 512.0 + 64.0 + 7.0;
    assert_eq!(
        r2m["scales_bytes"].as_f64().unwrap(),
        r2["scales_bytes"].as_f64().unwrap() - 4.0 * 4.0 + 4.0 * outputs
    );
    let eval2m = json(&ser(&[
        "eval",
        "--model",
        q2m.to_str().unwrap(),
        csv_s,
        "--json",
    ]));
    assert_eq!(eval2m["rows"], 210);

    // Mixed widths per layer, f32 kept for one.
    let mixed = dir.path().join("mixed.q");
    let r = json(&ser(&[
        "quantize",
        "--model",
        model_s,
        "--bits",
        "2,1,3,32",
        "--out",
        mixed.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(r["bits_per_layer"], "2,1,3,32");
    let expected = (46_336.0 * 2.0 + 131_584.0 + 32_832.0 * 3.0 + 455.0 * 32.0) / 211_207.0;
    assert!((r["average_bits"].as_f64().unwrap() - expected).abs() < 1e-9);

    // predict reads packed models too.
    let wav = dir.path().join("tone.wav");
    tone_wav(&wav, 0.05);
    let predicted = json(&ser(&[
        "predict",
        "--model",
        mixed.to_str().unwrap(),
        wav.to_str().unwrap(),
        "--json",
    ]));
    let p = predicted["probabilities"].as_object().unwrap();
    assert_eq!(p.len(), 7);
    assert!((p.values().map(|v| v.as_f64().unwrap()).sum::<f64>() - 1.0).abs() < 1e-4);

    // The sweep: f32 and 8..1 bits, sizes shrinking with the width.
    let sweep = json(&ser(&[
        "quantize", "--model", model_s, "--sweep", csv_s, "--json",
    ]));
    let rows = sweep["sweep"].as_array().unwrap();
    assert_eq!(rows.len(), 9);
    assert_eq!(rows[0]["bits"], "32 (f32)");
    assert_eq!(rows[0]["accuracy"], f32_eval["accuracy"]);
    assert_eq!(
        rows[1]["accuracy"], eval8["accuracy"],
        "the sweep's 8 bits are the file's"
    );
    for pair in rows.windows(2) {
        assert!(pair[1]["bytes"].as_u64() < pair[0]["bytes"].as_u64());
    }
    assert_eq!(rows[8]["bits"], "1");
    assert_eq!(rows[8]["size_kb"].as_f64().unwrap(), 211_207.0 / 8000.0);
}

#[test]
fn bad_quantize_requests_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, model) = trained(dir.path());
    let (csv_s, model_s) = (csv.to_str().unwrap(), model.to_str().unwrap());
    let out = dir.path().join("q.q");
    let out_s = out.to_str().unwrap();
    for (args, message) in [
        (
            vec!["--bits", "0", "--out", out_s],
            "unsupported bit width 0",
        ),
        (
            vec!["--bits", "9", "--out", out_s],
            "unsupported bit width 9",
        ),
        (
            vec!["--bits", "2,2", "--out", out_s],
            "2 widths for a model of 4 layers",
        ),
        (vec!["--bits", "two", "--out", out_s], "expected a width"),
        (vec!["--bits", "2"], "--out QMODEL is required"),
    ] {
        let mut all = vec!["quantize", "--model", model_s];
        all.extend(&args);
        let r = ser(&all);
        assert_eq!(r.status.code(), Some(2), "{args:?}");
        assert!(
            text(&r.stderr).contains(message),
            "{args:?}: {}",
            text(&r.stderr)
        );
        assert!(!text(&r.stderr).contains("panicked"));
    }
    assert!(!out.exists());
    // Never overwritten without --force.
    assert!(
        ser(&[
            "quantize", "--model", model_s, "--bits", "4", "--out", out_s
        ])
        .status
        .success()
    );
    let first = std::fs::read(&out).unwrap();
    let again = ser(&[
        "quantize", "--model", model_s, "--bits", "1", "--out", out_s,
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("--force"));
    assert_eq!(std::fs::read(&out).unwrap(), first);
    // A packed model is not a model to quantize; a corrupt packed model is refused by name.
    let r = ser(&["quantize", "--model", out_s, "--bits", "2", "--out", "x.q"]);
    assert_eq!(r.status.code(), Some(2));
    let mut bytes = first.clone();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    let corrupt = dir.path().join("corrupt.q");
    std::fs::write(&corrupt, &bytes).unwrap();
    let r = ser(&["eval", "--model", corrupt.to_str().unwrap(), csv_s]);
    assert_eq!(r.status.code(), Some(2));
    assert!(
        text(&r.stderr).contains("corrupt.q") && text(&r.stderr).contains("checksum"),
        "{}",
        text(&r.stderr)
    );
    std::fs::write(&corrupt, &first[..n / 3]).unwrap();
    let r = ser(&["predict", "--model", corrupt.to_str().unwrap(), csv_s]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r.stderr).contains("corrupt.q"));
}

#[test]
fn gptq_codes_are_calibrated_on_a_features_table() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, model) = trained(dir.path());
    let (csv_s, model_s) = (csv.to_str().unwrap(), model.to_str().unwrap());
    let quantize = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "quantize",
            "--model",
            model_s,
            "--bits",
            "2",
            "--out",
            out.to_str().unwrap(),
            "--json",
        ];
        args.extend_from_slice(extra);
        json(&ser(&args))
    };
    let (rounded, gptq) = (dir.path().join("r.q"), dir.path().join("g.q"));
    let a = quantize(&rounded, &[]);
    let b = quantize(&gptq, &["--gptq", csv_s]);
    // The same widths, scales and size; other codes.
    assert_eq!(a["bytes"], b["bytes"]);
    assert_ne!(
        std::fs::read(&rounded).unwrap(),
        std::fs::read(&gptq).unwrap()
    );
    let eval = json(&ser(&[
        "eval",
        "--model",
        gptq.to_str().unwrap(),
        csv_s,
        "--json",
    ]));
    assert_eq!(eval["rows"], 210);
    // The sweep takes it too.
    let sweep = json(&ser(&[
        "quantize", "--model", model_s, "--sweep", csv_s, "--gptq", csv_s, "--json",
    ]));
    assert!(sweep.to_string().contains("\"bits\""));
    // Calibration rows must be a features table.
    let wav = dir.path().join("a.wav");
    tone_wav(&wav, 0.05);
    let r = ser(&[
        "quantize",
        "--model",
        model_s,
        "--bits",
        "2",
        "--out",
        dir.path().join("x.q").to_str().unwrap(),
        "--gptq",
        wav.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(
        text(&r.stderr).contains("features table"),
        "{}",
        text(&r.stderr)
    );
}
