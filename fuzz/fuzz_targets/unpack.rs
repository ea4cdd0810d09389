//! Arbitrary words through every layout's unpacker: any input must unpack to in-range codes or
//! give a typed error, and what unpacks packs back to the same words.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ser_quant::{BitPlanes, BitWidth, DenseStream, PackedCodes, Packing, RowAligned};

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let Ok(bits) = BitWidth::new(data[0] % 9) else { return };
    let (rows, cols) = (usize::from(data[1] % 17), usize::from(data[2]));
    let words: Vec<u32> = data[3..]
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let layouts: [&dyn Packing; 3] = [&DenseStream, &RowAligned, &BitPlanes];
    for layout in layouts {
        let packed = PackedCodes { bits, rows, cols, words: words.clone() };
        let Ok(codes) = layout.unpack(&packed) else { continue };
        assert_eq!(codes.len(), rows * cols);
        let q = bits.qmax();
        assert!(codes.iter().all(|c| (-q..=q).contains(c) && (bits.get() > 1 || *c != 0)));
        // Padding bits are not read, so repacking clears them: compare codes, not words.
        let again = layout.pack(&codes, rows, cols, bits).expect("codes in range");
        assert_eq!(layout.unpack(&again).expect("fresh packing"), codes);
    }
});
