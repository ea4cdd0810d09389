//! Arbitrary bytes as a model file (`ser train`'s and `ser quantize`'s output, one format for
//! f32 and packed models): any input must load or give a typed error, never a panic or a huge
//! allocation. Half of the inputs (the first byte decides) are framed with the magic, the
//! format version and a valid CRC-32, so the fuzzer reaches the container's layers and the
//! metadata behind the checksum.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ser_model::{MODEL_FORMAT_VERSION, MODEL_MAGIC, Model};

/// The input as it is, or framed as a whole file (magic, version, the rest, a valid CRC-32).
fn file_bytes(data: &[u8]) -> Option<Vec<u8>> {
    let (&mode, rest) = data.split_first()?;
    if mode & 1 == 0 {
        return Some(rest.to_vec());
    }
    let mut sealed = MODEL_MAGIC.to_vec();
    sealed.extend_from_slice(&MODEL_FORMAT_VERSION.to_le_bytes());
    sealed.extend_from_slice(rest);
    let crc = crc32fast::hash(&sealed);
    sealed.extend_from_slice(&crc.to_le_bytes());
    Some(sealed)
}

fuzz_target!(|data: &[u8]| {
    let Some(bytes) = file_bytes(data) else { return };
    // The container read in place accepts exactly what the owned reader accepts.
    let container = ser_quant::PackedModel::from_bytes(&bytes);
    let borrowed = ser_quant::BorrowedModel::from_bytes(&bytes);
    assert_eq!(container.is_ok(), borrowed.is_ok(), "{:?} / {:?}", container.err(), borrowed.err());
    if let (Ok(owned), Ok(borrowed)) = (&container, &borrowed) {
        let x = vec![0.5f32; borrowed.inputs()];
        let mut scratch = vec![0.0f32; borrowed.scratch_len()];
        let got = borrowed.logits(&x, &mut scratch).expect("shapes were validated").to_vec();
        let mut owned_scratch = ser_quant::Scratch::default();
        let want = owned.logits(&x, &mut owned_scratch).expect("validated");
        assert_eq!(got.len(), want.len());
    }
    let Ok(model) = Model::from_bytes(&bytes, "fuzz") else { return };
    // A model that loads predicts a row of its width, and what it writes reads back as the same
    // model (not always the same bytes: padding bits are ignored on reading, written as zeros).
    let x = ndarray::Array2::from_elem((1, model.network.inputs()), 0.5f32);
    let proba = model.predict_proba(x.view()).expect("shapes were validated");
    assert_eq!(proba.dim(), (1, model.classes.len()));
    let again = model.to_bytes().expect("a loaded model writes");
    assert_eq!(Model::from_bytes(&again, "again").expect("what it wrote loads"), model);
});
