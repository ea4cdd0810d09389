//! Every golden fixture cut short must be an error naming the truncation, never a shorter
//! signal passed off as the whole file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::golden_dir;
use ser_features::{FeatureError, decode_bytes};

#[test]
fn files_cut_short_are_errors() {
    let dir = golden_dir().join("audio");
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".npy") || name.ends_with(".json") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for fraction in [0.6, 0.95] {
            let cut = (bytes.len() as f64 * fraction) as usize;
            let result = decode_bytes(bytes[..cut].to_vec());
            report.push(format!(
                "{name} cut at {fraction}: {:?}",
                result.as_ref().map(|a| a.samples.len())
            ));
            let ok = matches!(
                result,
                Err(FeatureError::Truncated { .. }
                    | FeatureError::TruncatedData { .. }
                    | FeatureError::TruncatedHeader
                    | FeatureError::Corrupt { .. })
            );
            if !ok {
                failures.push(format!(
                    "{name} cut at {fraction}: {:?}",
                    result.map(|a| format!("Ok with {} samples", a.samples.len()))
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(report.len() >= 28, "{report:#?}");
}

#[test]
fn an_aiff_cut_in_its_samples_says_so_not_header() {
    // symphonia reports only "end of file" while probing an AIFF whose SSND chunk is cut; the
    // chunk walk tells that from a cut header.
    let bytes = std::fs::read(golden_dir().join("audio").join("aiff_16.aiff")).unwrap();
    let cut = bytes.len() * 6 / 10;
    match decode_bytes(bytes[..cut].to_vec()) {
        Err(FeatureError::TruncatedData { declared, present }) => {
            assert!(present < declared, "{present} >= {declared}");
            // The SSND chunk is the file's last: what is missing is what was cut.
            assert!(
                declared - present == bytes.len() - cut,
                "{declared} {present}"
            );
        }
        other => panic!("expected TruncatedData, got {other:?}"),
    }
    // The same file behind leading junk, which symphonia's probe skips: the same numbers.
    let behind = [&b"junk"[..], &bytes[..cut]].concat();
    assert_eq!(
        format!("{:?}", decode_bytes(behind)),
        format!("{:?}", decode_bytes(bytes[..cut].to_vec()))
    );
    // Cut inside the header: still a truncated header.
    assert!(matches!(
        decode_bytes(bytes[..30].to_vec()),
        Err(FeatureError::TruncatedHeader | FeatureError::UnrecognisedFormat { .. })
    ));
}
