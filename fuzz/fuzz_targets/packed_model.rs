//! Arbitrary bytes as a packed model file: any input must load or give a typed error, never a
//! panic or a huge allocation. Inputs are resealed with a valid CRC-32 half of the time (the
//! first byte decides), so the fuzzer reaches the parser behind the checksum.
#![no_main]

mod framing;

use libfuzzer_sys::fuzz_target;
use ser_quant::{PACKED_MAGIC, PackedModel, Scratch};

fuzz_target!(|data: &[u8]| {
    let Some(bytes) = framing::file_bytes(data, PACKED_MAGIC) else { return };
    let Ok(model) = PackedModel::from_bytes(&bytes) else { return };
    // A model that loads runs, and what it writes reads back as the same model (not always
    // the same bytes: padding bits are ignored on reading and written as zeros).
    let x = vec![0.5f32; model.mean.len()];
    let mut scratch = Scratch::default();
    let logits = model.logits(&x, &mut scratch).expect("shapes were validated");
    assert_eq!(logits.len(), model.classes.len());
    let again = model.to_bytes().expect("a loaded model writes");
    assert_eq!(PackedModel::from_bytes(&again).expect("what it wrote loads"), model);
});
