//! `ser train`, `ser eval` and `ser predict` end to end, on the built-in demo corpus.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{demo_csv, json, ser, text, tone_wav};

#[test]
fn train_eval_predict_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let csv = demo_csv(dir.path());
    let model = dir.path().join("m.sermodel");
    let (csv_s, model_s) = (csv.to_str().unwrap(), model.to_str().unwrap());
    let report = json(&ser(&[
        "train",
        csv_s,
        "--out",
        model_s,
        "--max-epochs",
        "30",
        "--seed",
        "3",
        "--json",
    ]));
    for key in [
        "accuracy",
        "ua",
        "macro_f1",
        "confusion",
        "classes",
        "epochs",
        "train_seconds",
    ] {
        assert!(report.get(key).is_some(), "missing {key}: {report}");
    }
    assert_eq!(report["classes"].as_array().unwrap().len(), 7);
    assert_eq!(report["params"], 211_207);
    // The demo emotions are separable: far above the 14 % of chance.
    assert!(report["accuracy"].as_f64().unwrap() > 50.0, "{report}");
    let confusion_total: u64 = report["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(confusion_total, 21); // ceil(210 * 0.1) test rows

    // The same seed trains the same model, bit for bit.
    let again = dir.path().join("again.sermodel");
    let out = ser(&[
        "train",
        csv_s,
        "--out",
        again.to_str().unwrap(),
        "--max-epochs",
        "30",
        "--seed",
        "3",
        "--quiet",
    ]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(&model).unwrap(),
        std::fs::read(&again).unwrap()
    );

    // Never overwritten without --force.
    let refused = ser(&["train", csv_s, "--out", model_s, "--quiet"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("--force"));

    let eval = json(&ser(&["eval", "--model", model_s, csv_s, "--json"]));
    assert_eq!(eval["rows"], 210);
    assert!(eval["accuracy"].as_f64().unwrap() > 50.0);

    let wav = dir.path().join("tone.wav");
    tone_wav(&wav, 0.07);
    let predicted = json(&ser(&[
        "predict",
        "--model",
        model_s,
        wav.to_str().unwrap(),
        "--json",
    ]));
    // The table's sidecar gave the model its rate, so predict takes the file as it is.
    let probabilities = predicted["probabilities"].as_object().unwrap();
    assert_eq!(probabilities.len(), 7);
    assert!(probabilities.contains_key(predicted["emotion"].as_str().unwrap()));
    let sum: f64 = probabilities.values().map(|v| v.as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-4);
    let missing = ser(&["predict", "--model", model_s, "/no/such.wav"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("/no/such.wav"));
}

#[test]
fn folds_report_each_fold_and_the_mean() {
    let dir = tempfile::tempdir().unwrap();
    let csv = demo_csv(dir.path());
    let model = dir.path().join("m.sermodel");
    for (split, folds) in [("kfold:3", 3), ("loso", 6)] {
        let report = json(&ser(&[
            "train",
            csv.to_str().unwrap(),
            "--out",
            model.to_str().unwrap(),
            "--force",
            "--split",
            split,
            "--max-epochs",
            "5",
            "--hidden",
            "32",
            "--json",
        ]));
        let fold_list = report["folds"].as_array().unwrap();
        assert_eq!(fold_list.len(), folds, "{split}");
        let rows: u64 = fold_list
            .iter()
            .map(|f| f["test_rows"].as_u64().unwrap())
            .sum();
        assert_eq!(rows, 210, "{split}: every row is tested once");
        let mean = fold_list
            .iter()
            .map(|f| f["accuracy"].as_f64().unwrap())
            .sum::<f64>()
            / folds as f64;
        assert!((mean - report["accuracy"].as_f64().unwrap()).abs() < 1e-9);
        assert!(report["accuracy_std"].as_f64().is_some());
    }
}

#[test]
fn bad_training_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.sermodel");
    let m = model.to_str().unwrap();
    // Features without labels.
    let unlabelled = dir.path().join("unlabelled.csv");
    let out = ser(&[
        "features",
        "--demo",
        "--corpus",
        "none",
        "--quiet",
        "--out",
        unlabelled.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let csv = std::fs::read_to_string(&unlabelled).unwrap();
    // The demo corpus is labelled; blank the labels to make an unlabelled CSV.
    let blanked: String = csv
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                return format!("{l}\n");
            }
            let mut f: Vec<&str> = l.splitn(3, ',').collect();
            f[1] = "";
            format!("{}\n", f.join(","))
        })
        .collect();
    std::fs::write(&unlabelled, blanked).unwrap();
    let out = ser(&["train", unlabelled.to_str().unwrap(), "--out", m]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no label"),
        "{}",
        text(&out.stderr)
    );
    assert!(!model.exists());

    let csv = demo_csv(dir.path());
    for (args, expected) in [
        (vec!["--split", "kfold:1"], "k"),
        (vec!["--split", "bogus"], "--split"),
        (vec!["--hidden", "256,,64"], "--hidden"),
        (vec!["--test-fraction", "1.5"], "--test-fraction"),
        (vec!["--split", "speaker"], "speakers:FRACTION"),
        (
            vec!["--split", "loso", "--test-fraction", "0.2"],
            "--split random:F",
        ),
    ] {
        let mut all = vec![
            "train",
            csv.to_str().unwrap(),
            "--out",
            m,
            "--max-epochs",
            "1",
        ];
        all.extend(args);
        let out = ser(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        assert!(
            text(&out.stderr).contains(expected),
            "{all:?}: {}",
            text(&out.stderr)
        );
    }

    // A corrupt model file is refused by name.
    let corrupt = dir.path().join("corrupt.sermodel");
    std::fs::write(&corrupt, b"SERMODEL\x01\x00\x00\x00garbage").unwrap();
    let out = ser(&[
        "eval",
        "--model",
        corrupt.to_str().unwrap(),
        csv.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("corrupt.sermodel"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn models_refuse_features_made_with_another_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let default_csv = demo_csv(dir.path());
    let power_csv = dir.path().join("power.csv");
    let out = ser(&[
        "features",
        "--demo",
        "--quiet",
        "--chroma-from",
        "power",
        "--out",
        power_csv.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    // `ser features` writes the configuration beside the features.
    let sidecar = std::fs::read_to_string(dir.path().join("power.csv.features")).unwrap();
    assert!(sidecar.contains("\"chroma_source\":\"power\""), "{sidecar}");

    // A model trained on power-chroma features records that configuration...
    let power_model = dir.path().join("power.sermodel");
    let out = ser(&[
        "train",
        power_csv.to_str().unwrap(),
        "--out",
        power_model.to_str().unwrap(),
        "--max-epochs",
        "2",
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(&power_model).unwrap();
    assert!(text(&bytes).contains("\"chroma_source\":\"power\""));

    // ...and a model trained on the defaults refuses them.
    let default_model = dir.path().join("default.sermodel");
    let out = ser(&[
        "train",
        default_csv.to_str().unwrap(),
        "--out",
        default_model.to_str().unwrap(),
        "--max-epochs",
        "2",
        "--quiet",
    ]);
    assert!(out.status.success());
    let out = ser(&[
        "eval",
        "--model",
        default_model.to_str().unwrap(),
        power_csv.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("another configuration") && stderr.contains("\"chroma_source\":\"power\""),
        "{stderr}"
    );

    // Without the sidecar the configuration cannot be checked, and ser says so.
    std::fs::remove_file(dir.path().join("power.csv.features")).unwrap();
    let out = ser(&[
        "eval",
        "--model",
        default_model.to_str().unwrap(),
        power_csv.to_str().unwrap(),
    ]);
    assert!(
        text(&out.stderr).contains("cannot be checked"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn same_seed_same_model_and_report_with_one_and_many_threads() {
    // From audio, so the threads do real work: the demo corpus is extracted in parallel.
    let dir = tempfile::tempdir().unwrap();
    let train = |jobs: &str, name: &str| {
        let model = dir.path().join(name);
        let mut report = json(&ser(&[
            "train",
            "--demo",
            "--jobs",
            jobs,
            "--split",
            "kfold:3",
            "--max-epochs",
            "4",
            "--seed",
            "11",
            "--out",
            model.to_str().unwrap(),
            "--json",
            "--quiet",
        ]));
        // Wall-clock times and the model's path are the only fields that may differ.
        let strip = |v: &mut serde_json::Value| {
            v.as_object_mut().unwrap().remove("train_seconds");
        };
        strip(&mut report);
        report.as_object_mut().unwrap().remove("model");
        for fold in report["folds"].as_array_mut().unwrap() {
            strip(fold);
        }
        (std::fs::read(model).unwrap(), report)
    };
    let (one_model, one_report) = train("1", "one.sermodel");
    let (three_model, three_report) = train("3", "three.sermodel");
    assert!(three_model == one_model, "--jobs 3 trained another model");
    assert_eq!(three_report, one_report);
}

/// Runs `ser` with a stdout whose reader has already gone, as `ser eval ... | head -0` leaves it.
fn ser_into_closed_pipe(args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    std::process::Command::new(env!("CARGO_BIN_EXE_ser"))
        .args(args)
        .stdout(writer)
        .output()
        .unwrap()
}

#[test]
fn a_closed_stdout_ends_the_output_quietly_and_the_work_still_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let csv = demo_csv(dir.path());
    let (model, packed) = (dir.path().join("m.sermodel"), dir.path().join("m.serq"));
    let wav = dir.path().join("tone.wav");
    tone_wav(&wav, 0.07);
    let (csv, model_s, packed_s, wav) = (
        csv.to_str().unwrap(),
        model.to_str().unwrap(),
        packed.to_str().unwrap(),
        wav.to_str().unwrap(),
    );
    let commands: [&[&str]; 7] = [
        &[
            "train",
            csv,
            "--out",
            model_s,
            "--hidden",
            "8",
            "--max-epochs",
            "2",
            "--quiet",
        ],
        &["eval", "--model", model_s, csv, "--quiet"],
        &["predict", "--model", model_s, wav],
        &[
            "quantize", "--model", model_s, "--bits", "2", "--out", packed_s, "--quiet",
        ],
        &["quantize", "--model", model_s, "--sweep", csv, "--quiet"],
        &["eval", "--model", packed_s, csv, "--json", "--quiet"],
        &["features", wav, "--corpus", "none", "--quiet"],
    ];
    for args in commands {
        let out = ser_into_closed_pipe(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "ser {args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "ser {args:?}: {stderr}");
    }
    // The files were still written.
    assert!(model.is_file() && packed.is_file());
}
