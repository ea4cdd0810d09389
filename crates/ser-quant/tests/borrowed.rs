//! The model file read in place (`BorrowedModel`) against the owned reader.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use ser_quant::{
    BiasMode, BitWidth, BorrowedModel, Granularity, PackedMlp, PackedModel, Precision, QuantError,
    QuantOptions, QuantizedLayer, Scratch,
};

/// A model of `shape` (inputs, then each layer's outputs) with weights from `seed`, every
/// layer at its precision in `widths`.
fn model(shape: &[usize], widths: &[Precision], options: QuantOptions, seed: u32) -> PackedModel {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state as f32 / u32::MAX as f32) * 2.0 - 1.0
    };
    let layers: Vec<QuantizedLayer> = shape
        .windows(2)
        .zip(widths)
        .map(|(io, &p)| {
            let w: Vec<f32> = (0..io[0] * io[1]).map(|_| next()).collect();
            let b: Vec<f32> = (0..io[1]).map(|_| 0.1 * next()).collect();
            QuantizedLayer::quantize(&w, &b, io[1], io[0], p, options).unwrap()
        })
        .collect();
    let n = shape[0];
    PackedModel {
        mlp: PackedMlp::new(layers).unwrap(),
        mean: (0..n).map(|i| i as f32 * 0.01).collect(),
        scale: (0..n).map(|i| 1.0 + i as f32 * 0.02).collect(),
        classes: (0..shape[shape.len() - 1])
            .map(|c| format!("c{c}"))
            .collect(),
        metadata: String::from("{}"),
    }
}

fn precision(b: u8) -> Precision {
    if b == 0 {
        Precision::Full
    } else {
        Precision::Bits(BitWidth::new(b).unwrap())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn borrowed_logits_are_the_owned_models(
        widths in prop::collection::vec(0u8..=8, 1..4),
        per_channel in any::<bool>(),
        quantized_bias in any::<bool>(),
        seed in 0u32..1000,
    ) {
        let shape: Vec<usize> = core::iter::once(37).chain(widths.iter().enumerate().map(|(i, _)| [19, 33, 5][i % 3])).collect();
        let options = QuantOptions {
            granularity: if per_channel { Granularity::PerChannel } else { Granularity::PerTensor },
            bias: if quantized_bias { BiasMode::LayerWidth } else { BiasMode::Full },
            ..QuantOptions::default()
        };
        let precisions: Vec<Precision> = widths.iter().map(|&b| precision(b)).collect();
        let owned = model(&shape, &precisions, options, seed);
        let bytes = owned.to_bytes().unwrap();
        let borrowed = BorrowedModel::from_bytes(&bytes).unwrap();
        prop_assert_eq!(borrowed.precisions().collect::<Vec<_>>(), owned.mlp.precisions());
        prop_assert_eq!(borrowed.params(), owned.mlp.params());
        prop_assert_eq!(borrowed.class(1).map(String::from), owned.classes.get(1).cloned());
        prop_assert_eq!(borrowed.class(99), None);
        let mut scratch = vec![0.0f32; borrowed.scratch_len()];
        let mut owned_scratch = Scratch::default();
        for row in 0..5 {
            let x: Vec<f32> = (0..37).map(|i| ((i * 7 + row * 13) % 11) as f32 * 0.3 - 1.5).collect();
            let want = owned.logits(&x, &mut owned_scratch).unwrap().to_vec();
            let got = borrowed.logits(&x, &mut scratch).unwrap();
            let size = want.iter().fold(1.0f32, |m, v| m.max(v.abs()));
            for (g, w) in got.iter().zip(&want) {
                prop_assert!((g - w).abs() <= 1e-4 * size, "{:?} vs {:?}", got, want);
            }
        }
    }
}

#[test]
fn bad_bytes_and_calls_are_errors() {
    let two = precision(2);
    let owned = model(&[6, 4, 3], &[two, two], QuantOptions::default(), 1);
    let bytes = owned.to_bytes().unwrap();
    let model = BorrowedModel::from_bytes(&bytes).unwrap();
    let mut scratch = [0.0f32; 32];
    assert!(matches!(
        model.logits(&[0.0; 5], &mut scratch),
        Err(QuantError::LengthMismatch {
            what: "features",
            ..
        })
    ));
    assert!(matches!(
        model.logits(&[0.0; 6], &mut scratch[..3]),
        Err(QuantError::LengthMismatch {
            what: "scratch",
            ..
        })
    ));
    let mut nan = [0.0f32; 6];
    nan[2] = f32::NAN;
    assert!(matches!(
        model.logits(&nan, &mut scratch),
        Err(QuantError::NonFinite { index: 2, .. })
    ));
    assert!(matches!(
        BorrowedModel::from_bytes(b"RIFF"),
        Err(QuantError::NotAModel)
    ));
    // Every cut of the file is refused, as the owned reader refuses it.
    for cut in 0..bytes.len() {
        assert!(
            BorrowedModel::from_bytes(&bytes[..cut]).is_err(),
            "cut at {cut}"
        );
    }
}
