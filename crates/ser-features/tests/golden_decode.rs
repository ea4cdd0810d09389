//! Decoding every supported container and codec, against libsndfile's decode of the same files
//! (fixtures by `scripts/make_golden.py`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{golden_dir, read_npy};
use serde_json::Value;

#[test]
fn every_fixture_decodes_like_libsndfile() {
    let dir = golden_dir().join("audio");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    for entry in manifest.as_array().unwrap() {
        let file = entry["file"].as_str().unwrap();
        let audio = ser_features::decode_file(dir.join(file)).unwrap_or_else(|e| panic!("{e}"));
        let want = read_npy(&dir.join(entry["expected"].as_str().unwrap())).data;
        assert_eq!(
            audio.sample_rate as u64,
            entry["sr"].as_u64().unwrap(),
            "{file}"
        );
        assert_eq!(
            audio.channels as u64,
            entry["channels"].as_u64().unwrap(),
            "{file}"
        );
        let lossy = entry["lossy"].as_bool().unwrap();
        let n = audio.samples.len().min(want.len());
        let worst = audio.samples[..n]
            .iter()
            .zip(&want[..n])
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        println!(
            "{file}: {} vs {} samples, worst difference {worst:.3e}",
            audio.samples.len(),
            want.len()
        );
        if lossy {
            // Two decoders of one lossy stream (symphonia against libsndfile's mpg123 and
            // libvorbis): the same gapless length, samples within float rounding of the
            // synthesis filterbanks. Measured 4.8e-7 (MP3) and 2.4e-7 (Vorbis).
            assert_eq!(audio.samples.len(), want.len(), "{file}: length");
            assert!(worst <= 1e-5, "{file}: worst difference {worst}");
        } else {
            // Lossless: the same integer-to-float scaling as libsndfile, up to f32 rounding of
            // the channel mean.
            assert_eq!(audio.samples.len(), want.len(), "{file}: length");
            assert!(worst <= 1e-7, "{file}: worst difference {worst}");
        }
    }
}
