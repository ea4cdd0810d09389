//! `ser demo` and `ser run` end to end: the report folder, the feature cache, reproducibility.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ser, text};

fn results(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("results.json")).unwrap()).unwrap()
}

/// The runs without their wall-clock fields.
fn runs_without_timing(v: &serde_json::Value) -> serde_json::Value {
    let mut runs = v["runs"].clone();
    for r in runs.as_array_mut().unwrap() {
        let r = r.as_object_mut().unwrap();
        r.remove("search_seconds");
        r.remove("folds_seconds");
    }
    runs
}

/// report.md without its wall-clock column (the per-seed table's last, `search s`) and
/// without the command that made it (the output folder differs).
fn report_without_timing(dir: &std::path::Path) -> String {
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    let body = report.split("## Command").next().unwrap();
    let mut timed = false;
    let mut kept = Vec::new();
    for line in body.lines() {
        timed = if line.starts_with('|') {
            timed || line.ends_with("| search s |")
        } else {
            false
        };
        kept.push(if timed {
            // "| a | b | t |" -> "| a | b |"
            let cut = line.trim_end_matches('|').rfind('|').unwrap();
            line[..=cut].to_string()
        } else {
            line.to_string()
        });
    }
    kept.join("\n")
}

#[test]
fn the_demo_writes_a_complete_report_and_reuses_its_features() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, cache) = (tmp.path().join("report"), tmp.path().join("cache"));
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut a = vec![
            "demo",
            "--out",
            out.to_str().unwrap(),
            "--cache",
            cache.to_str().unwrap(),
            "--seeds",
            "0..1",
            "--finetune",
            "--quiet",
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect()
    };
    let run = |a: Vec<String>| ser(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let first = run(args(&[]));
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stderr).contains("(0 from the cache)"),
        "{}",
        text(&first.stderr)
    );
    let v = results(&out);
    for key in [
        "corpus", "files", "classes", "params", "config", "runs", "summary",
    ] {
        assert!(v.get(key).is_some(), "results.json lacks {key}");
    }
    assert_eq!(v["files"], 210);
    assert_eq!(v["params"], 211_207);
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for (r, seed) in runs.iter().zip([0, 1]) {
        assert_eq!(r["seed"], seed);
        assert_eq!(r["fixed"].as_array().unwrap().len(), 8);
        for model in [
            &r["baseline"],
            &r["fixed"][0],
            &r["adaptive"],
            &r["adaptive_finetuned"],
        ] {
            for key in [
                "accuracy",
                "ua",
                "size_kb",
                "bytes",
                "bits_per_layer",
                "average_bits",
            ] {
                assert!(model.get(key).is_some(), "{key} missing in {model}");
            }
        }
        assert_eq!(
            r["fixed"][1]["size_kb"].as_f64().unwrap(),
            211_207.0 * 2.0 / 8000.0
        );
        assert_eq!(r["adaptive"]["bits_per_layer"].as_array().unwrap().len(), 4);
    }
    for key in ["baseline", "adaptive", "adaptive_finetuned"] {
        assert!(
            v["summary"][key]["accuracy"]["mean"].is_number(),
            "summary.{key}"
        );
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    for needle in [
        "| baseline (32-bit) |",
        "| fixed 1-bit |",
        "| adaptive |",
        "| adaptive + fine-tuning |",
        "ser demo",
    ] {
        assert!(report.contains(needle), "report.md lacks {needle}");
    }
    assert!(
        std::fs::read_to_string(out.join("plot.svg"))
            .unwrap()
            .starts_with("<svg")
    );

    // Not over an existing folder without --force.
    let refused = run(args(&[]));
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("--force"));

    // Again with --force: every feature from the cache, the same models, bit for bit.
    let again = run(args(&["--force"]));
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("(210 from the cache)"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(runs_without_timing(&results(&out)), runs_without_timing(&v));

    // And with one thread, still the same: the models, report.md and the plot.
    let (report, plot) = (
        report_without_timing(&out),
        std::fs::read(out.join("plot.svg")).unwrap(),
    );
    let one = run(args(&["--force", "--jobs", "1"]));
    assert!(one.status.success());
    assert_eq!(runs_without_timing(&results(&out)), runs_without_timing(&v));
    assert_eq!(report_without_timing(&out), report);
    assert!(std::fs::read(out.join("plot.svg")).unwrap() == plot);
}

#[test]
fn bad_run_settings_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let out_s = out.to_str().unwrap();
    for (args, message) in [
        (vec!["--alpha", "1.5"], "--alpha must lie in [0, 1]"),
        (vec!["--margin", "-1"], "margin must be finite and >= 0"),
        (vec!["--seeds", "x"], "--seeds"),
        (vec!["--seeds", "3..1"], "--seeds"),
        (vec!["--folds", "1"], "--folds must be 0"),
        (
            vec!["--finetune", "--finetune-lr", "0"],
            "--finetune-lr must be",
        ),
        (
            vec!["--finetune", "--finetune-epochs", "0"],
            "--finetune-epochs must be",
        ),
        (vec!["--scales", "minmax"], "--scales"),
        (
            vec!["--target-bits", "0.5"],
            "outside 1 (every layer at 1 bit) to 32",
        ),
        (
            vec!["--target-bits", "33"],
            "outside 1 (every layer at 1 bit) to 32",
        ),
        // Model sizes are known once a model is trained: one seed is enough.
        (
            vec!["--budget-kb", "1", "--seeds", "0"],
            "below the smallest model's",
        ),
        (
            vec!["--budget-kb", "5000", "--seeds", "0"],
            "not below the f32 model's",
        ),
        (
            vec!["--budget-kb", "-3"],
            "--budget-kb must be a number > 0",
        ),
        (
            vec!["--target-bits", "2", "--budget-kb", "40"],
            "cannot be used with",
        ),
    ] {
        let mut all = vec!["demo", "--out", out_s, "--no-cache", "-q"];
        all.extend(&args);
        let r = ser(&all);
        assert_eq!(r.status.code(), Some(2), "{args:?}");
        assert!(
            text(&r.stderr).contains(message),
            "{args:?}: {}",
            text(&r.stderr)
        );
    }
    assert!(!out.exists(), "a failed run leaves no report folder");
    let missing = ser(&["run", "/no/such/folder", "--out", out_s, "--no-cache", "-q"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("/no/such/folder"));
    // A file where the folder should be.
    std::fs::write(&out, b"x").unwrap();
    let r = ser(&[
        "demo",
        "--out",
        out_s,
        "--no-cache",
        "--force",
        "-q",
        "--seeds",
        "0",
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r.stderr).contains("not a folder"));
}

#[test]
fn speaker_independent_runs_hold_out_whole_speakers() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let r = ser(&[
        "demo",
        "--out",
        out.to_str().unwrap(),
        "--no-cache",
        "--split",
        "speakers:0.1",
        "--scorer",
        "hessian",
        "--seeds",
        "0",
        "-q",
    ]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let v = results(&out);
    // 6 demo speakers: one held out, 35 of the 210 utterances.
    assert_eq!(v["runs"][0]["rows"][2], 35);
    assert_eq!(v["config"]["split"], "speakers:0.1");
    assert_eq!(v["config"]["test_fraction"], 0.1);
    assert_eq!(v["config"]["scorer"], "hessian-trace");

    // Leave one speaker out: one whole speaker per seed (which one: ser-search's tests).
    let loso = tmp.path().join("loso");
    let r = ser(&[
        "demo",
        "--out",
        loso.to_str().unwrap(),
        "--no-cache",
        "--split",
        "loso",
        "--seeds",
        "0,1",
        "-q",
    ]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let v = results(&loso);
    assert_eq!(v["config"]["split"], "loso");
    for run in v["runs"].as_array().unwrap() {
        assert_eq!(run["rows"][2], 35);
    }

    // The spelling of ser-adaptive 0.1 is refused, and the message names the new words.
    let r = ser(&[
        "demo",
        "--out",
        tmp.path().join("old").to_str().unwrap(),
        "--split",
        "speaker",
        "-q",
    ]);
    assert_eq!(r.status.code(), Some(2));
    let err = text(&r.stderr);
    assert!(
        err.contains("loso") && err.contains("speakers:FRACTION"),
        "{err}"
    );
}

#[test]
fn a_cross_validated_search_pools_every_non_test_row() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let r = ser(&[
        "demo",
        "--out",
        out.to_str().unwrap(),
        "--no-cache",
        "--folds",
        "3",
        "--scales",
        "mse",
        "--per-channel",
        "--seeds",
        "0",
        "-q",
    ]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let v = results(&out);
    let run = &v["runs"][0];
    let rows: Vec<u64> = run["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_u64().unwrap())
        .collect();
    // The searched model's validation rows, plus each non-test row once through its fold.
    assert_eq!(
        run["search_rows"].as_u64().unwrap(),
        rows[1] + rows[0] + rows[1]
    );
    assert!(run["folds_seconds"].as_f64().unwrap() > 0.0);
    // The Pareto front: fewer bits always means lower search accuracy, and it ends at the
    // best accuracy of anything tried (at most 32 bits).
    let front: Vec<(f64, f64)> = run["pareto"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    assert!(!front.is_empty());
    for w in front.windows(2) {
        assert!(w[0].0 < w[1].0 && w[0].1 < w[1].1, "{front:?}");
    }
    let best = front.last().unwrap();
    assert!(best.0 <= 32.0);
    assert!(best.1 >= run["validation_accuracy"][0].as_f64().unwrap());
    assert_eq!(v["config"]["validation_folds"], 3);
    assert_eq!(v["config"]["quant"]["scaling"], "MinMse");
    assert_eq!(v["config"]["quant"]["granularity"], "PerChannel");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("Paired over seeds"), "{report}");
}

#[test]
fn a_budget_keeps_the_most_accurate_mix_that_fits() {
    // One seed of the demo, every one of the 4,096 mixes scored (GPTQ and budgets in bytes
    // are tested in ser-search, where the networks are small).
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let r = ser(&[
        "demo",
        "--out",
        out.to_str().unwrap(),
        "--no-cache",
        "-q",
        "--seeds",
        "0",
        "--target-bits",
        "2",
    ]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(text(&r.stdout).contains("within the budget"));
    let v = results(&out);
    let b = &v["runs"][0]["budgeted"];
    assert_eq!(
        (b["exact"].as_bool(), b["scored"].as_u64()),
        (Some(true), Some(4096))
    );
    assert!(b["model"]["average_bits"].as_f64().unwrap() <= 2.0);
    // The front rises with the cost.
    let front = b["front"].as_array().unwrap();
    assert!(front.len() >= 2);
    assert!(
        front
            .windows(2)
            .all(|w| w[0][0].as_f64() < w[1][0].as_f64() && w[0][1].as_f64() < w[1][1].as_f64())
    );
    assert_eq!(v["config"]["budget"]["unit"], "AverageBits");
    assert_eq!(v["config"]["quant"]["rounding"], "Nearest");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("| within the budget (every mix scored) |"));
}
