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
