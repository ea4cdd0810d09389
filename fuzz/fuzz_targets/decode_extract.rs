//! Arbitrary bytes through decoding and feature extraction: any input must give a vector or a
//! typed error, never a panic, and a vector must be finite.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ser_features::{FeatureConfig, FeatureExtractor};

fn extractor() -> &'static FeatureExtractor {
    static EXTRACTOR: OnceLock<FeatureExtractor> = OnceLock::new();
    EXTRACTOR.get_or_init(|| FeatureExtractor::new(FeatureConfig::default()).expect("valid default"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(audio) = ser_features::decode_bytes(data.to_vec()) else { return };
    // Keep each run short: long decoded signals add time, not coverage.
    let samples = &audio.samples[..audio.samples.len().min(48_000)];
    if let Ok(vector) = extractor().extract(samples, audio.sample_rate) {
        assert!(vector.iter().all(|v| v.is_finite()), "non-finite feature");
    }
});
