//! `ser features` end to end: the binary on small files made here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
mod common;

use std::process::Output;

use common::{ser, text};

/// A 16-bit mono WAV of a 220 Hz tone.
fn write_wav(path: &Path, rate: u32, n: usize) {
    let tone: Vec<f32> = (0..n)
        .map(|i| (i as f32 * 220.0 * std::f32::consts::TAU / rate as f32).sin() * 0.3)
        .collect();
    std::fs::write(path, ser_adaptive::features::encode_wav_pcm16(&tone, rate)).unwrap();
}

#[test]
fn emodb_names_give_labels_and_a_bad_file_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("03a01Wa.wav"), 16_000, 8000);
    write_wav(&dir.path().join("10b02Ta.wav"), 16_000, 12000);
    std::fs::write(dir.path().join("11a04Fd.wav"), b"RIFF....garbage").unwrap();
    let out_csv = dir.path().join("out.csv");
    let out = ser(&[
        "features",
        dir.path().to_str().unwrap(),
        "--out",
        out_csv.to_str().unwrap(),
        "--quiet",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("11a04Fd.wav"), "{stderr}");
    assert!(stderr.contains("2 extracted, 1 failed"), "{stderr}");
    let csv = std::fs::read_to_string(&out_csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("path,label,speaker,mfcc_0,"));
    assert_eq!(lines[0].split(',').count(), 3 + 180);
    assert!(lines[1].contains(",anger,03,"), "{}", lines[1]);
    assert!(lines[2].contains(",sadness,10,"), "{}", lines[2]);
}

#[test]
fn existing_output_is_not_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"), 22_050, 5000);
    let out_csv = dir.path().join("keep.csv");
    std::fs::write(&out_csv, "precious").unwrap();
    let args = [
        "features",
        dir.path().to_str().unwrap(),
        "--corpus",
        "none",
        "--out",
        out_csv.to_str().unwrap(),
        "--quiet",
    ];
    let out = ser(&args);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&out_csv).unwrap(), "precious");
    let mut forced = args.to_vec();
    forced.push("--force");
    assert!(ser(&forced).status.success());
    assert!(
        std::fs::read_to_string(&out_csv)
            .unwrap()
            .starts_with("path,label,speaker,")
    );
}

#[test]
fn npy_output_has_rows_and_columns_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"), 16_000, 4000);
    write_wav(&dir.path().join("b.wav"), 44_100, 9000);
    let npy = dir.path().join("x.npy");
    let out = ser(&[
        "features",
        dir.path().to_str().unwrap(),
        "--corpus",
        "none",
        "--format",
        "npy",
        "--out",
        npy.to_str().unwrap(),
        "--pool",
        "mean-std",
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(&npy).unwrap();
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert!(text(&bytes[10..10 + header_len]).contains("'shape': (2, 360)"));
    assert_eq!(bytes.len(), 10 + header_len + 2 * 360 * 4);
    let rows = std::fs::read_to_string(dir.path().join("x.npy.rows.csv")).unwrap();
    assert_eq!(rows.lines().count(), 3);
    let cols = std::fs::read_to_string(dir.path().join("x.npy.columns.txt")).unwrap();
    assert_eq!(cols.lines().nth(180), Some("mfcc_std_0"));
}

#[test]
fn pinned_tuning_and_power_chroma_change_only_chroma() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"), 16_000, 16000);
    let path = dir.path().to_str().unwrap();
    let base = ser(&[
        "features",
        path,
        "--corpus",
        "none",
        "--quiet",
        "--with-tuning",
    ]);
    let pinned = ser(&[
        "features",
        path,
        "--corpus",
        "none",
        "--quiet",
        "--tuning",
        "0",
        "--with-tuning",
    ]);
    let row = |o: &Output| {
        text(&o.stdout)
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let (a, b) = (row(&base), row(&pinned));
    assert_eq!(a.len(), 3 + 180 + 1);
    assert_eq!(a[3..43], b[3..43], "MFCC must not depend on chroma tuning");
    assert_eq!(
        a[55..183],
        b[55..183],
        "mel must not depend on chroma tuning"
    );
    assert_eq!(b[183], "0");
    let bad = ser(&["features", path, "--tuning", "0.7"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("tuning"));
}

#[test]
fn demo_corpus_and_bad_arguments() {
    let out = ser(&["features", "--demo", "--quiet", "--jobs", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert_eq!(csv.lines().count(), 1 + 210);
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("demo:spk01_anger_00,anger,spk01,")
    );

    let empty = tempfile::tempdir().unwrap();
    let out = ser(&["features", empty.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no audio files"));
    let out = ser(&["features", "/no/such/folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/no/such/folder"));
    let out = ser(&["features", "--demo", "--format", "npy"]);
    assert_eq!(out.status.code(), Some(2));
    let out = ser(&["features", "--demo", "--corpus", "timit"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn features_are_byte_identical_with_one_and_two_threads() {
    let one = ser(&[
        "features",
        "--demo",
        "--quiet",
        "--jobs",
        "1",
        "--with-tuning",
    ]);
    let two = ser(&[
        "features",
        "--demo",
        "--quiet",
        "--jobs",
        "2",
        "--with-tuning",
    ]);
    assert!(one.status.success() && two.status.success());
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn a_killed_run_leaves_the_old_output_or_the_whole_new_one() {
    // `ser features --force` over an existing file, killed (SIGKILL, no clean-up) at points
    // spread over its whole run: every time, the output is the old file or the complete new
    // one, never a mix or a prefix.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.csv");
    let args = [
        "features",
        "--demo",
        "--demo-size",
        "small",
        "--quiet",
        "--force",
        "--out",
        out.to_str().unwrap(),
    ];
    let started = std::time::Instant::now();
    assert!(ser(&args).status.success());
    let whole = std::fs::read(&out).unwrap();
    let run_time = started.elapsed();
    let old = b"path,label,speaker,f0\nold.wav,anger,03,1\n".to_vec();
    let points = 8;
    for k in 0..=points {
        std::fs::write(&out, &old).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ser"))
            .args(args)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(run_time * k / points);
        let _ = child.kill();
        child.wait().unwrap();
        let now = std::fs::read(&out).unwrap();
        assert!(
            now == old || now == whole,
            "killed after {k}/{points} of the run: {} bytes, neither the old file nor the new",
            now.len()
        );
        // Whatever was left behind is a hidden temporary file, never a visible output.
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                name == "f.csv" || name == "f.csv.features" || name.starts_with(".f.csv"),
                "{name}"
            );
        }
    }
}

#[test]
fn parquet_tables_keep_failures_as_rows_and_train_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("demo.parquet");
    let out = ser(&[
        "features",
        "--demo",
        "--quiet",
        "--out",
        table.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    assert!(
        !ser_adaptive::data::sidecar_path(&table).exists(),
        "the configuration is inside"
    );
    // The same rows as the CSV table, so the same model, bit for bit.
    let csv = common::demo_csv(dir.path());
    let train = |data: &std::path::Path, model: &str| {
        let model = dir.path().join(model);
        let out = ser(&[
            "train",
            data.to_str().unwrap(),
            "--out",
            model.to_str().unwrap(),
            "--max-epochs",
            "3",
            "--quiet",
        ]);
        assert!(out.status.success(), "{}", common::text(&out.stderr));
        std::fs::read(model).unwrap()
    };
    assert!(train(&table, "p.sermodel") == train(&csv, "c.sermodel"));
    // A file that cannot be read is a row with its error; the exit code says some failed.
    let audio = dir.path().join("audio");
    std::fs::create_dir(&audio).unwrap();
    common::tone_wav(&audio.join("a.wav"), 0.05);
    std::fs::write(audio.join("b.wav"), b"RIFF\x10\x00\x00\x00WAVEfmt ").unwrap();
    let broken = dir.path().join("broken.parquet");
    let out = ser(&[
        "features",
        audio.to_str().unwrap(),
        "--corpus",
        "none",
        "--quiet",
        "--out",
        broken.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let read = ser_adaptive::data::parquet::read_parquet(
        &broken,
        &ser_adaptive::features::FeatureConfig::default(),
        false,
    );
    // Unlabelled (`--corpus none`) rows are not training data: a clear error naming the file.
    let err = read.unwrap_err().to_string();
    assert!(err.contains("a.wav") && err.contains("no label"), "{err}");
    // Parquet needs a file to write to.
    let out = ser(&["features", "--demo", "--format", "parquet"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::text(&out.stderr).contains("--out"),
        "{}",
        common::text(&out.stderr)
    );
}
