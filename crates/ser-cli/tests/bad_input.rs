//! Bad input and edge cases, end to end: the `ser` binary on broken audio, CSV and model files
//! and on bad options must fail with a non-zero exit code, without a panic, and with a message
//! naming the culprit; valid but unusual input must give a correct result. `docs/BAD_INPUT.md`
//! lists every case with what the user sees. The audio fixtures are built here, byte by byte,
//! in temporary folders (each well under a second of audio).
//!
//! Each test gathers the problems of all its cases and reports them together, by case name;
//! with `--nocapture` it prints what each case gave.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{demo_csv, json_lines, ser, text};

// ---------------------------------------------------------------------------------------------
// Checking cases
// ---------------------------------------------------------------------------------------------

/// The problems of every case of a test, so that one run reports them all.
#[derive(Default)]
struct Cases {
    problems: Vec<String>,
}

/// The line the user reads first: the first `error:` line, else the first line.
fn first_error(stderr: &str) -> &str {
    stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .or_else(|| stderr.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("")
}

impl Cases {
    /// A bad-input case: exit code `code` (never 101), no panic, and every one of `culprits`
    /// (the file, the option, the column, the reason) in the message on stderr.
    fn fails(&mut self, case: &str, out: &Output, code: i32, culprits: &[&str]) {
        let stderr = text(&out.stderr);
        eprintln!(
            "bad input [{case}]: exit {:?}: {}",
            out.status.code(),
            first_error(&stderr)
        );
        let mut wrong = Vec::new();
        if out.status.code() != Some(code) {
            wrong.push(format!(
                "exit code {:?}, expected {code}",
                out.status.code()
            ));
        }
        if out.status.code() == Some(101) || stderr.contains("panicked") {
            wrong.push("it panicked".to_string());
        }
        for culprit in culprits {
            if !stderr.contains(culprit) {
                wrong.push(format!("the message does not name `{culprit}`"));
            }
        }
        if !wrong.is_empty() {
            self.problems.push(format!(
                "[{case}] {}\n--- stderr:\n{stderr}",
                wrong.join("; ")
            ));
        }
    }

    /// A valid edge case: success without a panic, then `check` on the output (an error
    /// message when the result is wrong).
    fn works(
        &mut self,
        case: &str,
        out: &Output,
        check: impl FnOnce(&Output) -> Result<(), String>,
    ) {
        let stderr = text(&out.stderr);
        let verdict = if !out.status.success() {
            Err(format!("exit code {:?}", out.status.code()))
        } else if stderr.contains("panicked") {
            Err("it panicked".to_string())
        } else {
            check(out)
        };
        eprintln!(
            "edge case [{case}]: {}",
            match &verdict {
                Ok(()) => "ok".to_string(),
                Err(e) => format!("WRONG: {e}"),
            }
        );
        if let Err(e) = verdict {
            self.problems
                .push(format!("[{case}] {e}\n--- stderr:\n{stderr}"));
        }
    }

    /// A plain condition, for checks between commands.
    fn check(&mut self, case: &str, ok: bool, detail: impl FnOnce() -> String) {
        if !ok {
            self.problems.push(format!("[{case}] {}", detail()));
        }
    }

    fn finish(self) {
        assert!(
            self.problems.is_empty(),
            "{} case(s) went wrong:\n\n{}",
            self.problems.len(),
            self.problems.join("\n\n")
        );
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

// ---------------------------------------------------------------------------------------------
// Fixtures: tiny WAV and AIFF files, byte by byte
// ---------------------------------------------------------------------------------------------

/// `n` samples of a 220 Hz tone at `rate` (amplitude 0.3).
fn tone(n: usize, rate: u32) -> Vec<f32> {
    (0..n)
        .map(|i| (i as f32 * 220.0 * std::f32::consts::TAU / rate as f32).sin() * 0.3)
        .collect()
}

fn pcm16(samples: &[f32]) -> Vec<u8> {
    samples
        .iter()
        .flat_map(|s| ((s.clamp(-1.0, 1.0) * 32767.0).round() as i16).to_le_bytes())
        .collect()
}

fn float32(samples: &[f32]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// A RIFF/WAVE header (`format` 1 = PCM integer, 3 = IEEE float) whose `data` chunk claims
/// `data_len` bytes. Header fields are written as a broken writer would: block align wraps.
fn wav_header(rate: u32, channels: u16, bits: u16, format: u16, data_len: u32) -> Vec<u8> {
    let block = u32::from(channels) * u32::from(bits) / 8;
    let mut h = Vec::with_capacity(44);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&36u32.wrapping_add(data_len).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&format.to_le_bytes());
    h.extend_from_slice(&channels.to_le_bytes());
    h.extend_from_slice(&rate.to_le_bytes());
    h.extend_from_slice(&rate.wrapping_mul(block).to_le_bytes());
    h.extend_from_slice(&(block as u16).to_le_bytes());
    h.extend_from_slice(&bits.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_len.to_le_bytes());
    h
}

/// A whole WAV file around `data`.
fn wav(rate: u32, channels: u16, bits: u16, format: u16, data: &[u8]) -> Vec<u8> {
    let mut w = wav_header(rate, channels, bits, format, data.len() as u32);
    w.extend_from_slice(data);
    w
}

/// A mono 16-bit PCM WAV of `samples`.
fn wav16(rate: u32, samples: &[f32]) -> Vec<u8> {
    wav(rate, 1, 16, 1, &pcm16(samples))
}

/// An integer sample rate as the 80-bit IEEE extended float of an AIFF `COMM` chunk.
fn extended80(rate: u32) -> [u8; 10] {
    let exponent = 31 - rate.leading_zeros();
    let mantissa = u64::from(rate) << (63 - exponent);
    let mut b = [0u8; 10];
    b[..2].copy_from_slice(&((16383 + exponent) as u16).to_be_bytes());
    b[2..].copy_from_slice(&mantissa.to_be_bytes());
    b
}

/// A 16-bit AIFF file (FORM/COMM/SSND) of interleaved `samples`, whose `COMM` chunk declares
/// `channels` and `frames`.
fn aiff(rate: u32, channels: u16, frames: u32, samples: &[f32]) -> Vec<u8> {
    let mut comm = Vec::new();
    comm.extend_from_slice(&channels.to_be_bytes());
    comm.extend_from_slice(&frames.to_be_bytes());
    comm.extend_from_slice(&16u16.to_be_bytes());
    comm.extend_from_slice(&extended80(rate));
    let mut ssnd = vec![0u8; 8]; // offset, block size
    for s in samples {
        ssnd.extend_from_slice(&((s.clamp(-1.0, 1.0) * 32767.0).round() as i16).to_be_bytes());
    }
    let mut body = b"AIFF".to_vec();
    for (id, chunk) in [(b"COMM", &comm), (b"SSND", &ssnd)] {
        body.extend_from_slice(id);
        body.extend_from_slice(&(chunk.len() as u32).to_be_bytes());
        body.extend_from_slice(chunk);
    }
    let mut out = b"FORM".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// Deterministic garbage bytes.
fn garbage(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// An ID3v2.4 tag declaring `size` bytes (all zero) after its 10-byte header, as an MP3's
/// metadata (cover art, say) leads the audio.
fn id3v2_tag(size: usize) -> Vec<u8> {
    let mut tag = b"ID3\x04\0\0".to_vec();
    tag.extend((0..4).rev().map(|i| ((size >> (7 * i)) & 0x7f) as u8));
    tag.resize(10 + size, 0);
    tag
}

/// The valid but unusual audio files, by case name: silent, 1 sample, 10 ms, 8 channels,
/// 8 kHz, 96 kHz, AIFF data named `.wav`, audio behind a 1.2 MB ID3v2 tag.
fn edge_audio(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let eight: Vec<f32> = tone(4000, 16_000).iter().flat_map(|&v| [v; 8]).collect();
    let tagged = [id3v2_tag(1_200_000), wav16(16_000, &tone(4000, 16_000))].concat();
    vec![
        (
            "silent audio",
            write(dir, "silent.wav", &wav16(16_000, &[0.0; 8000])),
        ),
        (
            "1-sample audio",
            write(dir, "one.wav", &wav16(16_000, &[0.1])),
        ),
        (
            "10 ms audio",
            write(dir, "ten_ms.wav", &wav16(16_000, &tone(160, 16_000))),
        ),
        (
            "8-channel audio",
            write(dir, "eight.wav", &wav(16_000, 8, 16, 1, &pcm16(&eight))),
        ),
        (
            "8 kHz audio",
            write(dir, "8k.wav", &wav16(8_000, &tone(2000, 8_000))),
        ),
        (
            "96 kHz audio",
            write(dir, "96k.wav", &wav16(96_000, &tone(24_000, 96_000))),
        ),
        (
            "AIFF data named .wav",
            write(dir, "aiff.wav", &aiff(16_000, 1, 4000, &tone(4000, 16_000))),
        ),
        (
            "audio behind a 1.2 MB ID3v2 tag",
            write(dir, "tagged.wav", &tagged),
        ),
    ]
}

/// EMODB-named labelled files (4 anger, 2 sadness, 1 neutral), a quarter second each.
fn labelled_folder(dir: &Path) -> PathBuf {
    let folder = dir.join("emodb");
    std::fs::create_dir(&folder).unwrap();
    for (name, rate) in [
        ("03a01Wa.wav", 16_000),
        ("03a02Wb.wav", 16_000),
        ("08a01Wa.wav", 22_050),
        ("09b02Wa.wav", 16_000),
        ("10a01Ta.wav", 16_000),
        ("11b01Ta.wav", 8_000),
        ("12a01Na.wav", 16_000),
    ] {
        write(&folder, name, &wav16(rate, &tone(rate as usize / 4, rate)));
    }
    folder
}

/// The feature values of every data row of a features CSV (columns after path, label,
/// speaker).
fn csv_rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').skip(3).map(str::to_string).collect())
        .collect()
}

/// 180 finite numbers in the one data row of `ser features` output.
fn one_row_of_180_finite(out: &Output) -> Result<Vec<f32>, String> {
    let rows = csv_rows(&text(&out.stdout));
    if rows.len() != 1 {
        return Err(format!("{} rows, expected 1", rows.len()));
    }
    let values: Vec<f32> = rows[0]
        .iter()
        .map(|v| v.parse::<f32>().map_err(|e| format!("`{v}`: {e}")))
        .collect::<Result<_, _>>()?;
    if values.len() != 180 {
        return Err(format!("{} values, expected 180", values.len()));
    }
    if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
        return Err(format!("a value is {bad}"));
    }
    Ok(values)
}

/// Writes `lines` as a CSV beside a copy of `sidecar` (the `FILE.features` configuration).
fn write_csv(path: &Path, lines: &[String], sidecar: Option<&Path>) -> PathBuf {
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
    if let Some(sidecar) = sidecar {
        std::fs::copy(sidecar, format!("{}.features", path.display())).unwrap();
    }
    path.to_path_buf()
}

// ---------------------------------------------------------------------------------------------
// Bad audio files, folders and paths
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_audio_files_fail_cleanly_and_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut cases = Cases::default();
    let tone16 = pcm16(&tone(4000, 16_000)); // 0.25 s
    let full = wav(16_000, 1, 16, 1, &tone16);
    // The data chunk and the RIFF size both promise twice the data present.
    let mut promised_double = wav_header(16_000, 1, 16, 1, 2 * tone16.len() as u32);
    promised_double.extend_from_slice(&tone16);
    // The data chunk claims more than its (correctly sized) RIFF chunk holds.
    let mut data_past_riff = full.clone();
    data_past_riff[40..44].copy_from_slice(&(4 * tone16.len() as u32).to_le_bytes());
    let mut riff_garbage = b"RIFF".to_vec();
    riff_garbage.extend_from_slice(&200u32.to_le_bytes());
    riff_garbage.extend_from_slice(&garbage(200));
    let pcm_short = pcm16(&tone(1600, 16_000));
    let whole_aiff = aiff(16_000, 1, 4000, &tone(4000, 16_000));
    let cut_aiff = whole_aiff[..whole_aiff.len() / 2].to_vec();

    let files: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        (
            "truncated WAV (cut mid-data)",
            "cut.wav",
            full[..full.len() / 2].to_vec(),
            "truncated audio data: the header promises 4000 frames",
        ),
        (
            "truncated WAV (sizes promise twice the data)",
            "promised.wav",
            promised_double,
            "truncated audio data: the header promises 8000 frames, the file holds 4000",
        ),
        (
            "WAV data chunk longer than its RIFF chunk",
            "data_past_riff.wav",
            data_past_riff,
            "chunk length exceeds parent",
        ),
        (
            "truncated AIFF (cut mid-data)",
            "cut.aiff",
            cut_aiff,
            "truncated audio data: the sample data chunk declares",
        ),
        (
            "truncated WAV header",
            "cut_header.wav",
            full[..30].to_vec(),
            "truncated header",
        ),
        (
            "file cut inside its ID3v2 tag",
            "cut_tag.mp3",
            id3v2_tag(2_000)[..1_000].to_vec(),
            "truncated header",
        ),
        (
            "corrupt WAV (garbage after RIFF)",
            "garbage.wav",
            riff_garbage,
            "not a supported audio file",
        ),
        (
            "empty file (0 bytes)",
            "empty.wav",
            Vec::new(),
            "the file is empty (0 bytes)",
        ),
        (
            "text named .wav",
            "text.wav",
            b"this is a text file, not audio\n".repeat(5),
            "not a supported audio file",
        ),
        (
            "NaN-filled float WAV",
            "nan.wav",
            wav(16_000, 1, 32, 3, &float32(&[f32::NAN; 1600])),
            "sample 0 is not finite (NaN)",
        ),
        (
            "inf-filled float WAV",
            "inf.wav",
            wav(16_000, 1, 32, 3, &float32(&[f32::INFINITY; 1600])),
            "sample 0 is not finite (inf)",
        ),
        (
            "zero sample rate",
            "rate0.wav",
            wav(0, 1, 16, 1, &pcm_short),
            "sample rate 0 Hz is outside the supported range",
        ),
        (
            "absurd sample rate (4 GHz)",
            "rate4g.wav",
            wav(4_000_000_000, 1, 16, 1, &pcm_short),
            "sample rate 4000000000 Hz is outside the supported range",
        ),
        (
            "zero channels",
            "ch0.wav",
            wav(16_000, 0, 16, 1, &pcm_short),
            "channel count 0 is outside the supported range",
        ),
        (
            "65535 channels (WAV)",
            "ch65535.wav",
            wav(16_000, 65535, 16, 1, &pcm_short),
            "channel count 65535 is outside the supported range",
        ),
        (
            "65535 channels (AIFF)",
            "ch65535.aiff",
            aiff(16_000, 65535, 1, &[0.0; 100]),
            "channel count 65535 is outside the supported range",
        ),
    ];
    for (case, name, bytes, reason) in &files {
        let path = write(dir, name, bytes);
        let out = ser(&["features", s(&path), "--corpus", "none", "--quiet"]);
        cases.fails(case, &out, 1, &[s(&path), reason]);
        cases.check(case, text(&out.stdout).lines().count() == 1, || {
            format!("a row was written for a bad file:\n{}", text(&out.stdout))
        });
    }

    // A folder with no audio (a text file and an empty sub-folder).
    let no_audio = dir.join("no_audio");
    std::fs::create_dir_all(no_audio.join("sub")).unwrap();
    std::fs::write(no_audio.join("readme.txt"), "no audio here").unwrap();
    let out = ser(&["features", s(&no_audio)]);
    cases.fails(
        "folder with no audio",
        &out,
        2,
        &["no audio files", s(&no_audio)],
    );

    // Some bad files among good ones: the bad are reported by name and skipped, the good are
    // extracted, and the exit code is 1.
    let mixed = dir.join("mixed");
    std::fs::create_dir(&mixed).unwrap();
    let good_a = write(&mixed, "a.wav", &full);
    let good_b = write(&mixed, "b.wav", &wav16(8_000, &tone(2000, 8_000)));
    let bad_c = write(&mixed, "c.wav", b"not audio");
    let bad_d = write(&mixed, "d.wav", b"");
    let out = ser(&["features", s(&mixed), "--corpus", "none", "--quiet"]);
    cases.fails(
        "folder with bad files among good ones",
        &out,
        1,
        &[s(&bad_c), s(&bad_d), "2 extracted, 2 failed"],
    );
    let csv = text(&out.stdout);
    let paths: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    cases.check(
        "folder with bad files among good ones",
        paths == [s(&good_a), s(&good_b)],
        || format!("the good files' rows are not all there:\n{csv}"),
    );

    // Input paths that do not exist, for every command that reads one.
    let missing = dir.join("no_such.wav");
    let missing_csv = dir.join("no_such.csv");
    let missing_model = dir.join("no_such.sermodel");
    let model_out = dir.join("never.sermodel");
    let q_out = dir.join("never.q");
    let report = dir.join("never_report");
    for (case, args, code, culprit) in [
        (
            "nonexistent input: features",
            vec!["features", s(&missing)],
            2,
            s(&missing),
        ),
        (
            "nonexistent input: train",
            vec!["train", s(&missing_csv), "--out", s(&model_out)],
            2,
            s(&missing_csv),
        ),
        (
            "nonexistent input: eval model",
            vec!["eval", "--model", s(&missing_model), "--demo"],
            2,
            s(&missing_model),
        ),
        (
            "nonexistent input: predict model",
            vec!["predict", "--model", s(&missing_model), s(&missing)],
            2,
            s(&missing_model),
        ),
        (
            "nonexistent input: quantize model",
            vec![
                "quantize",
                "--model",
                s(&missing_model),
                "--bits",
                "2",
                "--out",
                s(&q_out),
            ],
            2,
            s(&missing_model),
        ),
        (
            "nonexistent input: run",
            vec!["run", s(&missing), "--out", s(&report), "--no-cache", "-q"],
            2,
            s(&missing),
        ),
    ] {
        let out = ser(&args);
        cases.fails(case, &out, code, &[culprit, "No such file"]);
    }
    for p in [&model_out, &q_out, &report] {
        cases.check("nonexistent input", !p.exists(), || {
            format!("{} was written", p.display())
        });
    }
    cases.finish();
}

// ---------------------------------------------------------------------------------------------
// CSV files, model files and options, with one small trained model
// ---------------------------------------------------------------------------------------------

/// Section offsets of a model file: the ends of the class names, the metadata and the
/// standardisation (MODEL_FORMAT.md).
fn model_sections(b: &[u8]) -> [usize; 3] {
    let u32_at = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    let mut at = 16;
    for _ in 0..u32_at(12) {
        at += 4 + u32_at(at);
    }
    let classes_end = at;
    let metadata_end = at + 4 + u32_at(at);
    let std_end = metadata_end + 4 + 8 * u32_at(metadata_end);
    [classes_end, metadata_end, std_end]
}

/// `bytes` with a CRC-32 (IEEE, as zlib) of them appended: a file whose checksum is right.
fn sealed(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out.extend_from_slice(&crc32fast::hash(bytes).to_le_bytes());
    out
}

/// A model file cut at each of `cuts`: `ser eval` must refuse it naming the file (not a model
/// file when even the magic is cut, truncated otherwise); then, with the checksum resealed so
/// the parser behind it must notice, `ser predict` must too, for the reason `resealed` gives.
fn truncations(
    cases: &mut Cases,
    (what, ext): (&str, &str),
    bytes: &[u8],
    cuts: &[(&str, usize)],
    (dir, csv, wav): (&Path, &Path, &Path),
    resealed: impl Fn(usize) -> &'static str,
) {
    let n = bytes.len();
    for &(place, cut) in cuts {
        let path = write(dir, &format!("cut_{cut}.{ext}"), &bytes[..cut]);
        let out = ser(&["eval", "--model", s(&path), s(csv)]);
        let reason = if cut < 8 {
            "not a ser model file"
        } else {
            "truncated"
        };
        cases.fails(
            &format!("{what} truncated {place} (byte {cut})"),
            &out,
            2,
            &[s(&path), reason],
        );
        if (12..n - 4).contains(&cut) {
            let path = write(
                dir,
                &format!("resealed_{cut}.{ext}"),
                &sealed(&bytes[..cut]),
            );
            let out = ser(&["predict", "--model", s(&path), s(wav)]);
            cases.fails(
                &format!("{what} truncated {place} (byte {cut}), checksum resealed"),
                &out,
                2,
                &[s(&path), resealed(cut)],
            );
        }
    }
}

/// The model file with one bit flipped (a checksum mismatch) and with version 3 in its
/// version field, resealed (`future_says` names what the user must read), each through
/// `ser eval`. Returns the flipped file.
fn flipped_and_future(
    cases: &mut Cases,
    (what, ext): (&str, &str),
    bytes: &[u8],
    (dir, csv): (&Path, &Path),
    future_says: &[&str],
) -> PathBuf {
    let n = bytes.len();
    let mut flipped = bytes.to_vec();
    flipped[n / 2] ^= 0x10;
    let flipped_path = write(dir, &format!("flipped.{ext}"), &flipped);
    let out = ser(&["eval", "--model", s(&flipped_path), s(csv)]);
    cases.fails(
        &format!("{what} with a bad checksum (one bit flipped)"),
        &out,
        2,
        &[s(&flipped_path), "checksum mismatch"],
    );
    let mut future = bytes[..n - 4].to_vec();
    future[8..12].copy_from_slice(&3u32.to_le_bytes());
    let path = write(dir, &format!("future.{ext}"), &sealed(&future));
    let out = ser(&["eval", "--model", s(&path), s(csv)]);
    let mut culprits = vec![s(&path)];
    culprits.extend_from_slice(future_says);
    cases.fails(
        &format!("{what} from a future format version (checksum resealed)"),
        &out,
        2,
        &culprits,
    );
    flipped_path
}

#[test]
fn bad_feature_and_model_files_fail_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut cases = Cases::default();
    let csv = demo_csv(dir);
    let sidecar = dir.join("demo.csv.features");
    let model = dir.join("m.sermodel");
    let out = ser(&[
        "train",
        s(&csv),
        "--out",
        s(&model),
        "--max-epochs",
        "5",
        "--seed",
        "1",
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let packed = dir.join("m4.q");
    let out = ser(&[
        "quantize",
        "--model",
        s(&model),
        "--bits",
        "4",
        "--out",
        s(&packed),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let wav_file = write(dir, "tone.wav", &wav16(16_000, &tone(4000, 16_000)));
    let classes = ser_adaptive::data::demo::EMOTIONS;

    // --- Features CSV files: each through `ser eval` and `ser train`.
    let lines: Vec<String> = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let without_field = |line: &str, index: usize| -> String {
        line.split(',')
            .enumerate()
            .filter(|(i, _)| *i != index)
            .map(|(_, f)| f)
            .collect::<Vec<_>>()
            .join(",")
    };
    let with_field = |line: &str, index: usize, value: &str| -> String {
        let mut f: Vec<&str> = line.split(',').collect();
        f[index] = value;
        f.join(",")
    };
    let edited = |edit: &dyn Fn(usize, &str) -> String| -> Vec<String> {
        lines.iter().enumerate().map(|(i, l)| edit(i, l)).collect()
    };
    // The lines with field `column` of line `row` (0 = the header) set to `value`.
    let one_field = |row: usize, column: usize, value: &str| -> Vec<String> {
        edited(&|i, l| {
            if i == row {
                with_field(l, column, value)
            } else {
                l.to_string()
            }
        })
    };
    let bad_csvs: Vec<(&str, &str, Vec<String>, Vec<&str>)> = vec![
        (
            "features CSV with a missing column",
            "missing_column.csv",
            edited(&|_, l| without_field(l, 8)),
            vec!["no column `mfcc_5`"],
        ),
        (
            "features CSV with an extra field in a row",
            "extra_field.csv",
            edited(&|i, l| {
                if i == 4 {
                    format!("{l},0.5")
                } else {
                    l.to_string()
                }
            }),
            vec!["line 5: 184 fields, the header has 183"],
        ),
        (
            "features CSV with a non-number",
            "not_a_number.csv",
            one_field(5, 20, "abc"),
            vec!["line 6", "`mfcc_17` is `abc`, not a number"],
        ),
        (
            "features CSV with a NaN value",
            "nan_value.csv",
            one_field(5, 20, "NaN"),
            vec!["line 6", "`mfcc_17` is NaN, not a finite number"],
        ),
        (
            "features CSV without the label column",
            "no_label_column.csv",
            edited(&|_, l| without_field(l, 1)),
            vec!["line 1", "path,label,speaker"],
        ),
        (
            "features CSV with a renamed column",
            "renamed.csv",
            one_field(0, 10, "mfcc_seven"),
            vec!["no column `mfcc_7`", "another configuration"],
        ),
    ];
    let never = dir.join("never.sermodel");
    for (case, name, content, culprits) in &bad_csvs {
        let path = write_csv(&dir.join(name), content, Some(&sidecar));
        let mut all = vec![s(&path)];
        all.extend(culprits);
        let out = ser(&["eval", "--model", s(&model), s(&path)]);
        cases.fails(&format!("{case} (eval)"), &out, 2, &all);
        let out = ser(&[
            "train",
            s(&path),
            "--out",
            s(&never),
            "--max-epochs",
            "1",
            "-q",
        ]);
        cases.fails(&format!("{case} (train)"), &out, 2, &all);
        cases.check(case, !never.exists(), || "train wrote a model".into());
    }
    // A table whose sidecar ser-adaptive 0.1 wrote (a fingerprint line, not JSON).
    let old_sidecar = write_csv(&dir.join("old_sidecar.csv"), &lines, None);
    write(
        dir,
        "old_sidecar.csv.features",
        b"ser-features/1 n_fft=2048 hop=512 n_mels=128\n",
    );
    let out = ser(&["eval", "--model", s(&model), s(&old_sidecar)]);
    cases.fails(
        "a features CSV whose sidecar ser-adaptive 0.1 wrote",
        &out,
        2,
        &["old_sidecar.csv.features", "written by ser-adaptive 0.1"],
    );

    // Every label unseen in training: nothing to score.
    let unseen_all = write_csv(
        &dir.join("all_unseen.csv"),
        &edited(&|i, l| {
            if i == 0 {
                l.to_string()
            } else {
                with_field(l, 1, "contempt")
            }
        }),
        Some(&sidecar),
    );
    let out = ser(&["eval", "--model", s(&model), s(&unseen_all)]);
    cases.fails(
        "every label unseen in training (eval)",
        &out,
        2,
        &[
            "210 row(s) labelled `contempt`",
            &format!("{}: no row has a label the model knows", s(&unseen_all)),
        ],
    );

    // Features made with another configuration than the model's (small CSVs of a labelled
    // folder): refused by name with both configurations shown.
    let folder = labelled_folder(dir);
    for (case, name, option, value, shown) in [
        (
            "features of another configuration (--chroma-from power)",
            "power.csv",
            "--chroma-from",
            "power",
            "\"chroma_source\":\"power\"",
        ),
        (
            "features of another configuration (--sr 8000)",
            "sr8000.csv",
            "--sr",
            "8000",
            "\"sample_rate\":8000",
        ),
    ] {
        let path = dir.join(name);
        let out = ser(&[
            "features",
            s(&folder),
            option,
            value,
            "--out",
            s(&path),
            "-q",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        for (kind, m) in [("f32", &model), ("packed", &packed)] {
            let out = ser(&["eval", "--model", s(m), s(&path)]);
            cases.fails(
                &format!("{case}, {kind} model"),
                &out,
                2,
                &[s(&path), "another configuration than the model's", shown],
            );
        }
    }

    // --- f32 model files: truncated at every section, with and without a resealed checksum.
    let bytes = std::fs::read(&model).unwrap();
    let n = bytes.len();
    cases.check(
        "f32 model checksum",
        sealed(&bytes[..n - 4]) == bytes,
        || "the stored CRC-32 is not crc32(body)".into(),
    );
    // The same layout as a packed model's (one format), with every layer in f32.
    let [classes_end, metadata_end, std_end] = model_sections(&bytes);
    let inputs = (std_end - metadata_end - 4) / 8;
    let cuts = [
        ("empty", 0),
        ("inside the magic", 4),
        ("inside the version", 10),
        ("inside the class names", 20),
        ("after the class names", classes_end),
        ("inside the metadata", classes_end + 40),
        ("after the metadata", metadata_end),
        (
            "inside the standardisation means",
            metadata_end + 4 + 2 * inputs,
        ),
        (
            "inside the standardisation scales",
            metadata_end + 4 + 6 * inputs,
        ),
        ("after the standardisation", std_end),
        ("inside the first layer", std_end + 1000),
        ("in the middle of the weights", n / 2),
        ("inside the last biases", n - 10),
        ("without the checksum", n - 4),
        ("inside the checksum", n - 1),
    ];
    truncations(
        &mut cases,
        ("f32 model", "sermodel"),
        &bytes,
        &cuts,
        (dir, &csv, &wav_file),
        |_| "truncated",
    );
    let path = flipped_and_future(
        &mut cases,
        ("f32 model", "sermodel"),
        &bytes,
        (dir, &csv),
        &["model format version 3 is newer than this build reads (2)"],
    );
    let out = ser(&[
        "quantize",
        "--model",
        s(&path),
        "--bits",
        "2",
        "--out",
        s(&dir.join("x.q")),
    ]);
    cases.fails(
        "f32 model with a bad checksum (quantize)",
        &out,
        2,
        &[s(&path), "checksum mismatch"],
    );
    let path = write(dir, "notes.sermodel", b"just some notes, not a model\n");
    let out = ser(&["predict", "--model", s(&path), s(&wav_file)]);
    cases.fails(
        "text file as a model",
        &out,
        2,
        &[s(&path), "not a ser model file"],
    );

    // --- Packed model files.
    let qbytes = std::fs::read(&packed).unwrap();
    let qn = qbytes.len();
    let [classes_end, metadata_end, std_end] = model_sections(&qbytes);
    let qcuts = [
        ("empty", 0),
        ("inside the magic", 6),
        ("inside the version", 10),
        ("inside the class names", 20),
        ("after the class names", classes_end),
        ("inside the metadata", classes_end + 20),
        ("after the metadata", metadata_end),
        ("inside the standardisation", metadata_end + 100),
        ("after the standardisation", std_end),
        ("inside the first layer's codes", std_end + 4 + 12 + 50),
        ("in the middle", qn / 2),
        ("without the checksum", qn - 4),
        ("inside the checksum", qn - 1),
    ];
    truncations(
        &mut cases,
        ("packed model", "q"),
        &qbytes,
        &qcuts,
        (dir, &csv, &wav_file),
        |_| "truncated",
    );
    flipped_and_future(
        &mut cases,
        ("packed model", "q"),
        &qbytes,
        (dir, &csv),
        &["model format version 3 is newer than this build reads (2)"],
    );
    // The two formats of ser-adaptive 0.1 are named as such.
    for (case, head) in [
        (
            "an f32 model of ser-adaptive 0.1",
            &b"SERMODEL\x01\0\0\0"[..],
        ),
        ("a packed model of ser-adaptive 0.1", b"SERQMODL\x01\0\0\0"),
    ] {
        let mut old = head.to_vec();
        old.extend_from_slice(&[0; 64]);
        let path = write(dir, "old.sermodel", &sealed(&old));
        let out = ser(&["predict", "--model", s(&path), s(&wav_file)]);
        cases.fails(
            case,
            &out,
            2,
            &[
                s(&path),
                "model format version 1 (ser-adaptive 0.1) is no longer read",
            ],
        );
    }
    let out = ser(&[
        "quantize",
        "--model",
        s(&packed),
        "--bits",
        "2",
        "--out",
        s(&dir.join("x.q")),
    ]);
    cases.fails(
        "a packed model given to quantize",
        &out,
        2,
        &[s(&packed), "is already a packed model"],
    );

    // --- Options and outputs.
    let q_out = dir.join("q.q");
    for (case, bits, message) in [
        (
            "quantize --bits 0",
            "0",
            "--bits 0: unsupported bit width 0",
        ),
        (
            "quantize --bits 9",
            "9",
            "--bits 9: unsupported bit width 9",
        ),
    ] {
        let out = ser(&[
            "quantize",
            "--model",
            s(&model),
            "--bits",
            bits,
            "--out",
            s(&q_out),
        ]);
        cases.fails(case, &out, 2, &[message]);
    }
    cases.check("quantize --bits", !q_out.exists(), || {
        "a packed model was written".into()
    });
    let existing = |name: &str| -> PathBuf { write(dir, name, b"precious") };
    let (e_csv, e_model, e_q) = (
        existing("exists.csv"),
        existing("exists.sermodel"),
        existing("exists.q"),
    );
    for (case, args, path) in [
        (
            "features output exists, no --force",
            vec!["features", s(&folder), "--out", s(&e_csv), "-q"],
            &e_csv,
        ),
        (
            "train output exists, no --force",
            vec!["train", s(&csv), "--out", s(&e_model), "-q"],
            &e_model,
        ),
        (
            "quantize output exists, no --force",
            vec![
                "quantize",
                "--model",
                s(&model),
                "--bits",
                "2",
                "--out",
                s(&e_q),
            ],
            &e_q,
        ),
    ] {
        let out = ser(&args);
        cases.fails(
            case,
            &out,
            2,
            &[s(path), "exists; pass --force to overwrite it"],
        );
        cases.check(case, std::fs::read(path).unwrap() == b"precious", || {
            "the existing file was changed".into()
        });
    }

    // Nonexistent data for a good model.
    let missing = dir.join("no_such.wav");
    let missing_csv = dir.join("no_such.csv");
    let out = ser(&["eval", "--model", s(&model), s(&missing_csv)]);
    cases.fails(
        "nonexistent input: eval data",
        &out,
        2,
        &[s(&missing_csv), "No such file"],
    );
    let out = ser(&["predict", "--model", s(&model), s(&missing)]);
    cases.fails(
        "nonexistent input: predict file",
        &out,
        1,
        &[s(&missing), "No such file"],
    );

    // `ser predict` on bad audio among good: the bad are named, the good predicted, exit 1.
    let empty = write(dir, "empty.wav", b"");
    let nan = write(
        dir,
        "nan.wav",
        &wav(16_000, 1, 32, 3, &float32(&[f32::NAN; 800])),
    );
    let out = ser(&[
        "predict",
        "--model",
        s(&model),
        s(&empty),
        s(&wav_file),
        s(&nan),
        "--json",
    ]);
    cases.fails(
        "predict: bad audio among good files",
        &out,
        1,
        &[s(&empty), "the file is empty", s(&nan), "not finite (NaN)"],
    );
    // One JSON line per file, in order: the bad ones say their error.
    let predicted = json_lines(&out.stdout);
    cases.check(
        "predict: bad audio among good files",
        {
            let good: Vec<&serde_json::Value> = predicted
                .iter()
                .filter(|v| v.get("error").is_none())
                .collect();
            good.len() == 1 && good[0]["file"] == s(&wav_file) && predicted.len() == 3
        },
        || format!("the good file is not predicted alone: {predicted:?}"),
    );

    // --- Valid edge cases with the same model.
    // Audio: every edge file gets one of the model's classes, probabilities summing to 1.
    let edge_dir = dir.join("edge");
    std::fs::create_dir(&edge_dir).unwrap();
    for (case, path) in edge_audio(&edge_dir) {
        let out = ser(&["predict", "--model", s(&model), s(&path), "--json"]);
        cases.works(&format!("predict: {case}"), &out, |out| {
            let v: serde_json::Value =
                serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
            let label = v["emotion"].as_str().unwrap_or("");
            let sum: f64 = v["probabilities"]
                .as_object()
                .map(|p| p.values().filter_map(serde_json::Value::as_f64).sum())
                .unwrap_or(0.0);
            if classes.contains(&label) && (sum - 1.0).abs() < 1e-4 {
                Ok(())
            } else {
                Err(format!(
                    "label `{label}`, probabilities summing to {sum}: {v}"
                ))
            }
        });
    }
    // The same audio through a packed model.
    let out = ser(&[
        "predict",
        "--model",
        s(&packed),
        s(&edge_dir.join("one.wav")),
    ]);
    cases.works("predict (packed model): 1-sample audio", &out, |out| {
        let line = text(&out.stdout);
        let label = line.split('\t').nth(1).unwrap_or("");
        if classes.contains(&label) {
            Ok(())
        } else {
            Err(format!("no class in `{line}`"))
        }
    });

    // Labels unseen in training: those rows are reported and left out, the rest is scored.
    let unseen = write_csv(
        &dir.join("unseen.csv"),
        &edited(&|i, l| {
            if i > 0 && l.split(',').nth(1) == Some("anger") {
                with_field(l, 1, "contempt")
            } else {
                l.to_string()
            }
        }),
        Some(&sidecar),
    );
    let out = ser(&["eval", "--model", s(&model), s(&unseen), "--json"]);
    cases.works("eval: labels unseen in training", &out, |out| {
        let stderr = text(&out.stderr);
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
        if !stderr.contains(
            "30 row(s) labelled `contempt`, a class the model was not trained on, are left out",
        ) {
            return Err(format!("no warning naming `contempt`: {stderr}"));
        }
        if v["rows"] != 180 || v["left_out"]["contempt"] != 30 {
            return Err(format!("expected 180 rows scored, 30 left out: {v}"));
        }
        Ok(())
    });

    // An extra named column: columns are picked by name, so it is ignored.
    let extra = write_csv(
        &dir.join("extra_column.csv"),
        &edited(&|i, l| {
            if i == 0 {
                format!("{l},notes")
            } else {
                format!("{l},1.5")
            }
        }),
        Some(&sidecar),
    );
    let plain = ser(&["eval", "--model", s(&model), s(&csv), "--json"]);
    // The output must be byte-identical to that of the plain CSV.
    let as_plain = |out: &Output| {
        if out.stdout == plain.stdout {
            Ok(())
        } else {
            Err(format!(
                "{} against {}",
                text(&out.stdout),
                text(&plain.stdout)
            ))
        }
    };
    let out = ser(&["eval", "--model", s(&model), s(&extra), "--json"]);
    cases.works(
        "eval: features CSV with an extra named column",
        &out,
        as_plain,
    );

    // A byte-order mark, as spreadsheets write one before the header, is not text.
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(&std::fs::read(&csv).unwrap());
    let bom_csv = write(dir, "bom.csv", &bom);
    std::fs::copy(&sidecar, dir.join("bom.csv.features")).unwrap();
    let out = ser(&["eval", "--model", s(&model), s(&bom_csv), "--json"]);
    cases.works(
        "eval: features CSV behind a UTF-8 byte-order mark",
        &out,
        as_plain,
    );

    // Mean-and-std features for a mean model: its columns are picked out of the 360.
    let mean_std = dir.join("mean_std.csv");
    let out = ser(&[
        "features",
        s(&folder),
        "--pool",
        "mean-std",
        "--out",
        s(&mean_std),
        "-q",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = ser(&["eval", "--model", s(&model), s(&mean_std), "--json"]);
    cases.works(
        "eval: --pool mean-std features on a mean model",
        &out,
        |out| {
            let v: serde_json::Value =
                serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
            if v["rows"] == 7 {
                Ok(())
            } else {
                Err(format!("{v}"))
            }
        },
    );

    // A class missing from the test split: one `fear` row in a features CSV.
    let mut fear_seen = 0;
    let one_fear: Vec<String> = lines
        .iter()
        .filter(|l| {
            let fear = l.split(',').nth(1) == Some("fear");
            fear_seen += usize::from(fear);
            !fear || fear_seen == 1
        })
        .cloned()
        .collect();
    let one_fear = write_csv(&dir.join("one_fear.csv"), &one_fear, Some(&sidecar));
    let out = ser(&[
        "train",
        s(&one_fear),
        "--out",
        s(&dir.join("one_fear.sermodel")),
        "--max-epochs",
        "3",
        "--json",
        "-q",
    ]);
    cases.works(
        "train: a class missing from the test split (CSV)",
        &out,
        |out| {
            let v: serde_json::Value =
                serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
            let fear = v["classes"]
                .as_array()
                .and_then(|c| c.iter().position(|c| c == "fear"))
                .ok_or(format!("no fear class: {v}"))?;
            let tested: u64 = v["confusion"][fear]
                .as_array()
                .map(|r| r.iter().filter_map(serde_json::Value::as_u64).sum())
                .unwrap_or(u64::MAX);
            if v["rows"] == 181 && tested == 0 && v["accuracy"].as_f64().is_some_and(f64::is_finite)
            {
                Ok(())
            } else {
                Err(format!(
                    "expected 181 rows, no fear row tested, a finite accuracy: {v}"
                ))
            }
        },
    );
    cases.finish();
}

// ---------------------------------------------------------------------------------------------
// `ser run` / `ser demo` settings
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_run_and_demo_settings_fail_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut cases = Cases::default();
    let data = dir.join("data");
    std::fs::create_dir(&data).unwrap();
    write(&data, "03a01Wa.wav", &wav16(16_000, &tone(4000, 16_000)));
    let report = dir.join("report");
    for command in ["demo", "run"] {
        let base: Vec<&str> = if command == "demo" {
            vec!["demo", "--out", s(&report), "--no-cache", "-q"]
        } else {
            vec!["run", s(&data), "--out", s(&report), "--no-cache", "-q"]
        };
        for (case, extra, message) in [
            (
                "--alpha 1.5",
                vec!["--alpha", "1.5"],
                "--alpha must lie in [0, 1], got 1.5",
            ),
            (
                "--alpha -0.1",
                vec!["--alpha", "-0.1"],
                "--alpha must lie in [0, 1], got -0.1",
            ),
            (
                "--alpha NaN",
                vec!["--alpha", "NaN"],
                "--alpha must be a finite number",
            ),
            (
                "--seeds garbage",
                vec!["--seeds", "garbage"],
                "--seeds: expected a range like 0..9 (inclusive) or a list like 0,3,7, got `garbage`",
            ),
            (
                "--seeds 1,1",
                vec!["--seeds", "1,1"],
                "--seeds 1,1: a seed is repeated",
            ),
            (
                "--split speaker (the word of 0.1)",
                vec!["--split", "speaker"],
                "`speaker` is no longer a split: say `loso`",
            ),
            (
                "--split kfold:1",
                vec!["--split", "kfold:1"],
                "--split: invalid split: `kfold:1`: K must be a whole number >= 2",
            ),
        ] {
            let mut args = base.clone();
            args.extend(extra);
            let out = ser(&args);
            cases.fails(&format!("{command} {case}"), &out, 2, &[message]);
        }
    }
    cases.check("bad settings", !report.exists(), || {
        "a report folder was made".into()
    });
    // An existing report folder without --force.
    std::fs::create_dir(&report).unwrap();
    std::fs::write(report.join("report.md"), "precious").unwrap();
    for (case, args) in [
        (
            "demo output exists, no --force",
            vec!["demo", "--out", s(&report), "-q"],
        ),
        (
            "run output exists, no --force",
            vec!["run", s(&data), "--out", s(&report), "-q"],
        ),
    ] {
        let out = ser(&args);
        cases.fails(case, &out, 2, &[s(&report), "exists; pass --force"]);
    }
    cases.check(
        "output exists",
        std::fs::read_to_string(report.join("report.md")).unwrap() == "precious",
        || "the existing report was changed".into(),
    );
    cases.finish();
}

// ---------------------------------------------------------------------------------------------
// Permissions: an unreadable file or folder, a read-only output folder
// ---------------------------------------------------------------------------------------------

/// How to run `ser` so that file permissions apply: directly when not root; as root (who reads
/// and writes anything) through `setpriv` as `nobody`; `None` when neither is possible.
#[cfg(unix)]
fn permission_runner(locked: &Path) -> Option<Vec<String>> {
    if std::fs::read(locked).is_err() {
        return Some(Vec::new());
    }
    let prefix: Vec<String> = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
    ]
    .map(String::from)
    .to_vec();
    let works = std::process::Command::new(&prefix[0])
        .args(&prefix[1..])
        .args(["cat", s(locked)])
        .output()
        .is_ok_and(|o| !o.status.success() && text(&o.stderr).contains("Permission denied"));
    works.then_some(prefix)
}

#[cfg(unix)]
#[test]
fn unreadable_inputs_and_read_only_outputs_fail_cleanly() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Traversable by `nobody` when run through setpriv.
    mode(dir, 0o755).unwrap();
    let mut cases = Cases::default();
    let locked = write(dir, "locked.wav", &wav16(16_000, &tone(4000, 16_000)));
    mode(&locked, 0o000).unwrap();
    let Some(prefix) = permission_runner(&locked) else {
        eprintln!(
            "skipping the permission cases: running as root, which reads and writes anything, \
             and `setpriv` cannot run ser as nobody here"
        );
        return;
    };
    if !prefix.is_empty() {
        eprintln!("running as root: the permission cases run ser as nobody through setpriv");
    }
    let run = |args: &[&str]| -> Output {
        if prefix.is_empty() {
            return ser(args);
        }
        std::process::Command::new(&prefix[0])
            .args(&prefix[1..])
            .arg(env!("CARGO_BIN_EXE_ser"))
            .args(args)
            .output()
            .expect("setpriv runs")
    };
    let folder = labelled_folder(dir);
    let csv = dir.join("small.csv");
    let out = ser(&["features", s(&folder), "--out", s(&csv), "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let model = dir.join("small.sermodel");
    let out = ser(&[
        "train",
        s(&csv),
        "--out",
        s(&model),
        "--hidden",
        "8",
        "--max-epochs",
        "2",
        "-q",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = run(&["features", s(&locked), "--corpus", "none", "-q"]);
    cases.fails(
        "unreadable file (chmod 000)",
        &out,
        1,
        &[s(&locked), "Permission denied"],
    );
    let out = run(&["predict", "--model", s(&model), s(&locked)]);
    cases.fails(
        "unreadable file (chmod 000), predict",
        &out,
        1,
        &[s(&locked), "Permission denied"],
    );
    let locked_dir = dir.join("locked_dir");
    std::fs::create_dir(&locked_dir).unwrap();
    write(&locked_dir, "a.wav", &wav16(16_000, &tone(4000, 16_000)));
    mode(&locked_dir, 0o000).unwrap();
    let out = run(&["features", s(&locked_dir)]);
    cases.fails(
        "unreadable folder (chmod 000)",
        &out,
        2,
        &[
            s(&locked_dir),
            "cannot read the folder",
            "Permission denied",
        ],
    );
    let locked_model = dir.join("locked.sermodel");
    std::fs::copy(&model, &locked_model).unwrap();
    mode(&locked_model, 0o000).unwrap();
    let out = run(&["eval", "--model", s(&locked_model), s(&csv)]);
    cases.fails(
        "unreadable model (chmod 000)",
        &out,
        2,
        &[s(&locked_model), "Permission denied"],
    );

    let read_only = dir.join("read_only");
    std::fs::create_dir(&read_only).unwrap();
    mode(&read_only, 0o555).unwrap();
    let (f_out, m_out, q_out, r_out) = (
        read_only.join("f.csv"),
        read_only.join("m.sermodel"),
        read_only.join("m.q"),
        read_only.join("report"),
    );
    for (case, args, culprit) in [
        (
            "read-only output folder: features",
            vec!["features", s(&folder), "--out", s(&f_out), "-q"],
            s(&f_out),
        ),
        (
            "read-only output folder: train",
            vec![
                "train",
                s(&csv),
                "--out",
                s(&m_out),
                "--hidden",
                "8",
                "--max-epochs",
                "1",
                "-q",
            ],
            s(&m_out),
        ),
        (
            "read-only output folder: quantize",
            vec![
                "quantize",
                "--model",
                s(&model),
                "--bits",
                "2",
                "--out",
                s(&q_out),
            ],
            s(&q_out),
        ),
        (
            "read-only output folder: run",
            vec![
                "run",
                s(&folder),
                "--out",
                s(&r_out),
                "--seeds",
                "0",
                "--no-cache",
                "-q",
            ],
            s(&r_out),
        ),
    ] {
        let out = run(&args);
        cases.fails(case, &out, 2, &[culprit, "Permission denied"]);
        // Found before any work: nothing was extracted or trained first.
        let stderr = text(&out.stderr);
        cases.check(
            case,
            !stderr.contains("features:") && !stderr.contains("data:"),
            || format!("failed only after the work: {stderr}"),
        );
    }
    cases.check(
        "read-only output folder",
        std::fs::read_dir(&read_only).unwrap().count() == 0,
        || "something was written into the read-only folder".into(),
    );
    // Back to deletable, for the temporary folder's clean-up.
    mode(&read_only, 0o755).unwrap();
    mode(&locked_dir, 0o755).unwrap();
    cases.finish();
}

// ---------------------------------------------------------------------------------------------
// Valid edge cases: correct results, not errors
// ---------------------------------------------------------------------------------------------

#[test]
fn unusual_but_valid_audio_gives_features() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut cases = Cases::default();
    let features = |path: &Path| ser(&["features", s(path), "--corpus", "none", "--quiet"]);
    let mut vectors = std::collections::HashMap::new();
    for (case, path) in edge_audio(dir) {
        let out = features(&path);
        cases.works(&format!("features: {case}"), &out, |out| {
            vectors.insert(case, one_row_of_180_finite(out)?);
            Ok(())
        });
    }
    // The reference: the same quarter-second tone as a mono 16 kHz WAV.
    let mono = write(dir, "mono.wav", &wav16(16_000, &tone(4000, 16_000)));
    let reference = one_row_of_180_finite(&features(&mono)).unwrap();
    for case in [
        "8-channel audio",
        "AIFF data named .wav",
        "audio behind a 1.2 MB ID3v2 tag",
    ] {
        cases.check(case, vectors.get(case) == Some(&reference), || {
            "its features differ from those of the same tone as a mono WAV".into()
        });
    }
    // Silence: MFCC 0 at its floor, no chroma or mel energy.
    if let Some(v) = vectors.get("silent audio") {
        cases.check(
            "silent audio",
            v[40..180].iter().all(|&x| x.abs() < 1e-6),
            || format!("chroma and mel are not zero: {:?}", &v[40..60]),
        );
    }

    // A file name that is not UTF-8 cannot be named in a features table without loss: it is
    // skipped with that reason, and the folder's other files are extracted.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let folder = dir.join("names");
        std::fs::create_dir(&folder).unwrap();
        let wav = wav16(16_000, &tone(4000, 16_000));
        std::fs::write(folder.join("good.wav"), &wav).unwrap();
        let bad = folder.join(std::ffi::OsStr::from_bytes(b"caf\xe9.wav"));
        std::fs::write(&bad, &wav).unwrap();
        let out = features(&folder);
        cases.works("features: a file name that is not UTF-8", &out, |out| {
            let stderr = text(&out.stderr);
            if !stderr.contains("the path is not valid UTF-8") {
                return Err(format!("no reason given: {stderr}"));
            }
            let table = text(&out.stdout);
            let paths: Vec<&str> = table
                .lines()
                .skip(1)
                .filter_map(|l| l.split(',').next())
                .collect();
            match paths.as_slice() {
                [path] if path.ends_with("names/good.wav") => Ok(()),
                _ => Err(format!("rows of {paths:?}")),
            }
        });
    }

    // An AIFF whose COMM chunk declares 4000 frames but whose SSND chunk holds 400: decoded
    // as the 400 frames present, like the same samples as a WAV.
    let short = tone(400, 16_000);
    let overclaim = write(dir, "overclaim.aiff", &aiff(16_000, 1, 4000, &short));
    let short_wav = write(dir, "short.wav", &wav16(16_000, &short));
    let expected = one_row_of_180_finite(&features(&short_wav)).unwrap();
    let out = features(&overclaim);
    cases.works(
        "AIFF whose COMM frame count exceeds its data",
        &out,
        |out| {
            if one_row_of_180_finite(out)? == expected {
                Ok(())
            } else {
                Err("its features differ from those of the 400 frames as a WAV".into())
            }
        },
    );

    // Training on an audio folder where a class is missing from the test split: 7 files, one
    // test row; the classes never tested have no support, and the model is written.
    let folder = labelled_folder(dir);
    let model = dir.join("small.sermodel");
    let split = dir.join("split.json");
    let out = ser(&[
        "train",
        s(&folder),
        "--out",
        s(&model),
        "--max-epochs",
        "2",
        "--save-split",
        s(&split),
        "--json",
        "-q",
    ]);
    cases.works(
        "train: a class missing from the test split (audio folder)",
        &out,
        |out| {
            let v: serde_json::Value =
                serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
            let support: Vec<u64> = v["confusion"]
                .as_array()
                .map(|rows| {
                    rows.iter()
                        .map(|r| {
                            r.as_array()
                                .map_or(0, |r| r.iter().filter_map(|x| x.as_u64()).sum())
                        })
                        .collect()
                })
                .unwrap_or_default();
            if v["classes"] != serde_json::json!(["anger", "neutral", "sadness"]) {
                return Err(format!("classes: {v}"));
            }
            if support.iter().filter(|&&n| n == 0).count() < 1 || !model.exists() {
                return Err(format!(
                    "expected a class without test rows and a model: {v}"
                ));
            }
            Ok(())
        },
    );
    cases.finish();
}
