//! Arbitrary bytes as a packed model file: any input must load or give a typed error, never a
//! panic or a huge allocation. Inputs are resealed with a valid CRC-32 half of the time (the
//! first byte decides), so the fuzzer reaches the parser behind the checksum.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ser_quant::{PACKED_MAGIC, PackedModel, Scratch, crc32};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut bytes = rest.to_vec();
    if mode & 1 == 1 {
        // Magic, version 1, then the fuzzer's body, then a matching checksum.
        let mut sealed = PACKED_MAGIC.to_vec();
        sealed.extend_from_slice(&1u32.to_le_bytes());
        sealed.extend_from_slice(&bytes);
        let crc = crc32(&sealed);
        sealed.extend_from_slice(&crc.to_le_bytes());
        bytes = sealed;
    }
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
