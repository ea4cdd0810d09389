//! Arbitrary bytes as an f32 model file (`ser train`'s output): any input must load or give a
//! typed error, never a panic or a huge allocation. Half of the inputs (the first byte decides)
//! are framed with the magic, version 1 and a valid CRC-32, so the fuzzer reaches the JSON
//! header and the weights behind the checksum.
#![no_main]

mod framing;

use libfuzzer_sys::fuzz_target;
use ser_mlp::{MODEL_MAGIC, Model};

fuzz_target!(|data: &[u8]| {
    let Some(bytes) = framing::file_bytes(data, MODEL_MAGIC) else { return };
    let Ok(model) = Model::from_bytes(&bytes, "fuzz") else { return };
    // A model that loads runs on a row of its width, and what it writes reads back equal.
    let x = ndarray::Array2::from_elem((1, model.feature_names.len()), 0.5f32);
    let proba = model.predict_proba(x.view()).expect("shapes were validated");
    assert_eq!(proba.dim(), (1, model.classes.len()));
    let again = model.to_bytes().expect("a loaded model writes");
    assert_eq!(Model::from_bytes(&again, "again").expect("what it wrote loads"), model);
});
