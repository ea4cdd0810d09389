//! `ser listen` driven through a pipe, and `ser predict --timeline`: windows as they complete,
//! cut streams, NaN samples, a closed stdout.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{json_lines, ser, text};
use ser_adaptive::features::{FeatureConfig, encode_wav_pcm16};
use ser_adaptive::mlp::{Mlp, Standardizer};
use ser_adaptive::model::{Model, Network, TrainingInfo};

/// A model of random weights that knows its audio was at 16 kHz.
fn model(dir: &Path) -> PathBuf {
    let x = ndarray_rows();
    let training = TrainingInfo {
        seed: 0,
        epochs: 1,
        best_epoch: 1,
        train_rows: 6,
        sample_rates: vec![16_000],
    };
    let path = dir.join("m.sermodel");
    Model::new(
        Network::F32(Mlp::new(180, &[8], 3, 0.0, 2).unwrap()),
        Standardizer::fit(x.view()).unwrap(),
        vec!["anger".into(), "calm".into(), "sadness".into()],
        FeatureConfig::default(),
        Some(training),
    )
    .unwrap()
    .save(&path)
    .unwrap();
    path
}

fn ndarray_rows() -> ser_adaptive::ndarray::Array2<f32> {
    ser_adaptive::ndarray::Array2::from_shape_fn((6, 180), |(i, j)| ((i * 5 + j) % 7) as f32)
}

fn voice(seconds: f64) -> Vec<f32> {
    (0..(seconds * 16_000.0) as usize)
        .map(|i| {
            let t = i as f32 / 16_000.0;
            0.3 * (t * 180.0 * std::f32::consts::TAU).sin() * (0.6 + 0.4 * (t * 2.0).sin())
        })
        .collect()
}

fn s16(samples: &[f32]) -> Vec<u8> {
    samples
        .iter()
        .flat_map(|v| ((v * 32_767.0).round() as i16).to_le_bytes())
        .collect()
}

/// Runs `ser listen ARGS` with `input` on stdin.
fn listen(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ser"))
        .arg("listen")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        // The listener may stop reading first (an error): a broken pipe here is expected.
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

#[test]
fn a_wav_stream_and_raw_pcm_give_one_line_per_window() {
    let dir = tempfile::tempdir().unwrap();
    let model = model(dir.path());
    let m = model.to_str().unwrap();
    let audio = voice(5.5);

    let out = listen(&["--model", m, "-"], &encode_wav_pcm16(&audio, 16_000));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    let starts: Vec<&str> = lines
        .iter()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(starts, ["0.00", "1.00", "2.00"], "{lines:?}");
    for l in &lines {
        let fields: Vec<&str> = l.split('\t').collect();
        assert!(["anger", "calm", "sadness"].contains(&fields[2]), "{l}");
    }
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("stream ended at 5.50 s after 3 windows")
            && stderr.contains("the window from 3.00 s is incomplete (2.50 s)"),
        "{stderr}"
    );

    // The same samples as raw 16-bit PCM, as JSON lines.
    let out = listen(
        &["--model", m, "--rate", "16000", "--json", "-"],
        &s16(&audio),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let windows = json_lines(&out.stdout);
    assert_eq!(windows.len(), 3);
    assert_eq!(
        (windows[1]["start"].as_f64(), windows[1]["end"].as_f64()),
        (Some(1.0), Some(4.0))
    );
    assert_eq!(windows[1]["speech"], true);
    assert_eq!(windows[1]["probabilities"].as_object().unwrap().len(), 3);

    // Stereo float: mixed to mono, the same windows.
    let stereo: Vec<u8> = audio
        .iter()
        .flat_map(|v| [v.to_le_bytes(), v.to_le_bytes()])
        .flatten()
        .collect();
    let args = [
        "--model",
        m,
        "--format",
        "f32le",
        "--rate",
        "16000",
        "--channels",
        "2",
        "--json",
    ];
    let out = listen(&args, &stereo);
    assert_eq!(json_lines(&out.stdout).len(), 3, "{}", text(&out.stderr));

    // Silence is reported as such.
    let out = listen(
        &["--model", m, "--rate", "16000"],
        &vec![0u8; 16_000 * 2 * 4],
    );
    let lines = text(&out.stdout);
    assert!(
        lines.lines().all(|l| l.contains("silence")) && lines.lines().count() == 2,
        "{lines}"
    );
}

#[test]
fn a_cut_stream_ends_cleanly_and_bad_samples_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let model = model(dir.path());
    let m = model.to_str().unwrap();
    // A WAV header promising 5.5 s, cut after 4.2 s and half a sample.
    let wav = encode_wav_pcm16(&voice(5.5), 16_000);
    let out = listen(&["--model", m], &wav[..44 + 2 * 67_200 + 1]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 2);
    let stderr = text(&out.stderr);
    for said in [
        "inside a frame",
        "the WAV stream was cut",
        "stream ended at 4.20 s after 2 windows",
    ] {
        assert!(stderr.contains(said), "{said}: {stderr}");
    }

    // A stream shorter than one window.
    let out = listen(&["--model", m, "--rate", "16000"], &s16(&voice(1.0)));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("before its first 3 s window"),
        "{}",
        text(&out.stderr)
    );

    // NaN and infinity in float PCM: the error names the sample and its time.
    let mut samples = voice(4.0);
    samples[40_000] = f32::NAN;
    let bytes: Vec<u8> = samples.iter().flat_map(|v| v.to_le_bytes()).collect();
    let out = listen(
        &["--model", m, "--format", "f32le", "--rate", "16000"],
        &bytes,
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("sample 40000 (at 2.500 s) is NaN"),
        "{stderr}"
    );
    assert_eq!(
        text(&out.stdout).lines().count(),
        0,
        "the window holding the NaN is not reported"
    );

    // Settings a stream cannot take.
    for (args, said) in [
        (vec!["--model", m, "--rate", "16000", "--hop", "0"], "hop"),
        (
            vec!["--model", m, "--rate", "16000", "--window", "-3"],
            "window",
        ),
        (vec!["--model", m], "--rate"),
        (vec!["--model", m, "--rate", "0"], "sample rate"),
    ] {
        let out = listen(&args, &s16(&voice(0.5)));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(said),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = listen(&["--model", m], b"RIFF\x10\0\0\0WAVEjunk");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("standard input"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn windows_arrive_while_the_stream_goes_on_and_a_closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let model = model(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_ser"))
        .args([
            "listen",
            "--model",
            model.to_str().unwrap(),
            "--rate",
            "16000",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // 3.5 s: the first window is complete, and the stream stays open.
    stdin.write_all(&s16(&voice(3.5))).unwrap();
    stdin.flush().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        reader.read_line(&mut line).unwrap();
        tx.send(line).unwrap();
        // Then the reader goes away, as `| head -1` does.
        drop(reader);
    });
    let first = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the first window is printed before the stream ends");
    assert!(first.starts_with("0.00\t3.00\t"), "{first}");
    // More audio after stdout closed: the listener notices at its next line and ends.
    let _ = stdin.write_all(&s16(&voice(30.0)));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("error"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn predict_timeline_writes_rows_and_a_plot() {
    let dir = tempfile::tempdir().unwrap();
    let model = model(dir.path());
    let m = model.to_str().unwrap();
    let wav = dir.path().join("call.wav");
    let mut audio = voice(4.0);
    audio.extend(vec![0.0; 16_000 * 4]);
    std::fs::write(&wav, encode_wav_pcm16(&audio, 16_000)).unwrap();
    let w = wav.to_str().unwrap();
    let plot = dir.path().join("timeline.svg");
    let out = ser(&[
        "predict",
        "--model",
        m,
        "--timeline",
        w,
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "file,start,end,level_db,speech,emotion,probability,anger,calm,sadness"
    );
    assert_eq!(rows.len(), 1 + 6);
    assert!(
        rows[1].starts_with(&format!("{w},0.000,3.000,")),
        "{}",
        rows[1]
    );
    assert_eq!(rows[1].split(',').nth(4), Some("true"), "{}", rows[1]);
    // The last window (5-8 s) is digital silence: no emotion, no probabilities.
    assert_eq!(rows[6], format!("{w},5.000,8.000,-inf,false,,,,,"));
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("sadness"));
    // The plot is not overwritten without --force.
    let out = ser(&[
        "predict",
        "--model",
        m,
        "--timeline",
        w,
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--force"));

    let out = ser(&[
        "predict",
        "--model",
        m,
        "--timeline",
        "--json",
        "--hop",
        "2",
        w,
    ]);
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["speech"], false);
    assert_eq!(lines[2]["file"], w);
    // Without a gate every window is classified, and none claims to be speech or not.
    let out = ser(&[
        "predict",
        "--model",
        m,
        "--timeline",
        "--json",
        "--no-gate",
        w,
    ]);
    let lines = json_lines(&out.stdout);
    assert!(
        lines
            .iter()
            .all(|l| l.get("speech").is_none() && l.get("emotion").is_some())
    );

    // A window longer than the file: said, naming the file, exit 1, and no plot of it.
    let short_plot = dir.path().join("short.svg");
    let p = short_plot.to_str().unwrap();
    let args = [
        "predict",
        "--model",
        m,
        "--timeline",
        "--window",
        "20",
        w,
        "--plot",
        p,
    ];
    let out = ser(&args);
    assert!(!short_plot.exists(), "no plot of a file that failed");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("call.wav") && stderr.contains("before its first 20 s window"),
        "{stderr}"
    );
    let out = ser(&[
        "predict",
        "--model",
        m,
        "--timeline",
        w,
        w,
        "--plot",
        "x.svg",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("one file"));
}

#[test]
fn a_wav_stream_ends_where_its_header_says_even_with_stdin_open() {
    let dir = tempfile::tempdir().unwrap();
    let model = model(dir.path());
    // A header declaring 3 bytes of 16-bit samples: one frame and half of another.
    let mut wav = encode_wav_pcm16(&[0.5, 0.5], 16_000);
    wav[40..44].copy_from_slice(&3u32.to_le_bytes());
    wav.truncate(44 + 3);
    let mut child = Command::new(env!("CARGO_BIN_EXE_ser"))
        .args(["listen", "--model", model.to_str().unwrap(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&wav).unwrap();
    stdin.flush().unwrap();
    // stdin stays open: the listener must end on its own.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output().unwrap()).unwrap());
    let out = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the listener ends at the end of the declared data");
    drop(stdin);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("inside a frame") && stderr.contains("before its first"),
        "{stderr}"
    );
}
