//! Property tests of the quantizers (proptest) and their edge cases.

use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use crate::{BitWidth, Granularity, Precision, QuantError, SymmetricQuantizer};

fn weights() -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(-10.0f32..10.0, 0..200)
}

fn width() -> impl Strategy<Value = BitWidth> {
    (1u8..=8).prop_map(|b| BitWidth::new(b).unwrap())
}

fn per_tensor(bits: BitWidth) -> SymmetricQuantizer {
    SymmetricQuantizer::new(bits, Granularity::PerTensor)
}

proptest! {
    #[test]
    fn codes_are_always_in_range(w in weights(), bits in width()) {
        let t = per_tensor(bits).quantize(&w, 1, w.len()).unwrap();
        let q = bits.qmax();
        for &c in &t.codes {
            if bits.get() == 1 {
                prop_assert!(c == -1 || c == 1);
            } else {
                prop_assert!((-q..=q).contains(&c));
            }
        }
    }

    #[test]
    fn error_is_at_most_half_a_step(w in weights(), b in 2u8..=8) {
        let bits = BitWidth::new(b).unwrap();
        let t = per_tensor(bits).quantize(&w, 1, w.len()).unwrap();
        let s = t.scales[0];
        for (x, d) in w.iter().zip(t.dequantize()) {
            // Max-abs scaling never clips, so every weight is within s/2 (plus f32 rounding).
            prop_assert!((x - d).abs() <= s / 2.0 * (1.0 + 1e-5) + 1e-6, "{} vs {} (s {})", x, d, s);
        }
    }

    #[test]
    fn quantize_is_idempotent(w in weights(), bits in width()) {
        let q = per_tensor(bits);
        let once = q.quantize(&w, 1, w.len()).unwrap();
        let twice = q.quantize(&once.dequantize(), 1, w.len()).unwrap();
        // Binarised values all have magnitude mean|w|, so signs and scale are kept too.
        prop_assert_eq!(&twice.codes, &once.codes);
        prop_assert!((twice.scales[0] - once.scales[0]).abs() <= 1e-6 * once.scales[0].max(1e-30));
    }

    #[test]
    fn scaling_the_input_scales_the_scale(w in weights(), bits in width(), k in -2i32..=3) {
        // Powers of two scale exactly in floating point, so codes match bit for bit.
        let c = 2f32.powi(k);
        let q = per_tensor(bits);
        let a = q.quantize(&w, 1, w.len()).unwrap();
        let scaled: Vec<f32> = w.iter().map(|v| v * c).collect();
        let b = q.quantize(&scaled, 1, w.len()).unwrap();
        prop_assert_eq!(&b.codes, &a.codes);
        prop_assert!((b.scales[0] - c * a.scales[0]).abs() <= 1e-6 * (c * a.scales[0]).max(1e-30));
    }

    #[test]
    fn binarisation_keeps_signs(w in weights()) {
        let t = per_tensor(BitWidth::new(1).unwrap()).quantize(&w, 1, w.len()).unwrap();
        for ((x, &c), d) in w.iter().zip(&t.codes).zip(t.dequantize()) {
            if *x != 0.0 {
                prop_assert_eq!(c > 0, *x > 0.0);
                prop_assert!(d == 0.0 || (d > 0.0) == (*x > 0.0));
            }
        }
        let mean_abs = w.iter().map(|v| f64::from(v.abs())).sum::<f64>() / w.len().max(1) as f64;
        prop_assert!((f64::from(t.scales[0]) - mean_abs).abs() <= 1e-6 * mean_abs.max(1e-30));
    }

    #[test]
    fn per_channel_is_per_tensor_row_by_row(rows in 1usize..6, cols in 1usize..20, bits in width(), seed in any::<u32>()) {
        let w: Vec<f32> = (0..rows * cols).map(|i| (((i as u32).wrapping_mul(2_654_435_761) ^ seed) % 2001) as f32 / 100.0 - 10.0).collect();
        let pc = SymmetricQuantizer::new(bits, Granularity::PerChannel).quantize(&w, rows, cols).unwrap();
        prop_assert_eq!(pc.scales.len(), rows);
        for r in 0..rows {
            let row = per_tensor(bits).quantize(&w[r * cols..(r + 1) * cols], 1, cols).unwrap();
            prop_assert_eq!(&pc.codes[r * cols..(r + 1) * cols], &row.codes[..]);
            prop_assert_eq!(pc.scales[r], row.scales[0]);
        }
    }
}

proptest! {
    #[test]
    fn rounding_matches_std(x in -200.0f32..200.0) {
        prop_assert_eq!(crate::quantizer::round_half_even(x) as f32, x.round_ties_even());
    }
}

#[test]
fn rounding_ties_go_to_even() {
    for (x, r) in [
        (0.5f32, 0),
        (1.5, 2),
        (2.5, 2),
        (-0.5, 0),
        (-1.5, -2),
        (-2.5, -2),
        (0.49999997, 0),
        (127.0, 127),
    ] {
        assert_eq!(crate::quantizer::round_half_even(x), r, "{x}");
    }
}

#[test]
fn bit_widths_and_precisions() {
    assert_eq!(
        BitWidth::ALL.iter().map(|b| b.qmax()).collect::<Vec<_>>(),
        vec![1, 1, 3, 7, 15, 31, 63, 127]
    );
    assert_eq!(BitWidth::new(0), Err(QuantError::UnsupportedBitWidth(0)));
    assert_eq!(BitWidth::new(9), Err(QuantError::UnsupportedBitWidth(9)));
    assert_eq!(Precision::Full.bits(), 32);
    assert_eq!(Precision::Bits(BitWidth::new(3).unwrap()).bits(), 3);
}

#[test]
fn edge_cases_have_defined_results() {
    let q4 = per_tensor(BitWidth::new(4).unwrap());
    let zeros = q4.quantize(&[0.0; 6], 2, 3).unwrap();
    assert_eq!(
        (zeros.scales.clone(), zeros.dequantize()),
        (vec![0.0], vec![0.0; 6])
    );
    let binary_zeros = per_tensor(BitWidth::new(1).unwrap())
        .quantize(&[0.0; 4], 1, 4)
        .unwrap();
    assert_eq!(binary_zeros.dequantize(), vec![0.0; 4]);
    let empty = q4.quantize(&[], 0, 5).unwrap();
    assert!(empty.codes.is_empty() && empty.dequantize().is_empty());
    assert!(matches!(
        q4.quantize(&[0.1, f32::NAN], 1, 2),
        Err(QuantError::NonFinite { index: 1, .. })
    ));
    assert!(matches!(
        q4.quantize(&[0.1, f32::INFINITY], 1, 2),
        Err(QuantError::NonFinite { index: 1, .. })
    ));
    assert!(matches!(
        q4.quantize(&[0.1; 5], 2, 3),
        Err(QuantError::LengthMismatch {
            expected: 6,
            got: 5,
            ..
        })
    ));
    // Ties round to even: 0.5 steps go to the even code.
    let q3 = per_tensor(BitWidth::new(3).unwrap()); // qmax 3
    let t = q3.quantize(&[3.0, 1.5, 2.5, -0.5], 1, 4).unwrap(); // scale 1
    assert_eq!(t.codes, vec![3, 2, 2, 0]);
}

mod packing {
    use alloc::vec;
    use alloc::vec::Vec;

    use proptest::prelude::*;

    use crate::{BitPlanes, BitWidth, DenseStream, Packing, QuantError, RowAligned};

    const LAYOUTS: [&dyn Packing; 3] = [&DenseStream, &RowAligned, &BitPlanes];

    /// A tensor shape, a width and in-range codes for it.
    fn tensor() -> impl Strategy<Value = (usize, usize, BitWidth, Vec<i8>)> {
        (0usize..7, 0usize..80, 1u8..=8).prop_flat_map(|(rows, cols, b)| {
            let bits = BitWidth::new(b).unwrap();
            let code = if b == 1 {
                prop_oneof![Just(-1i8), Just(1i8)].boxed()
            } else {
                (-bits.qmax()..=bits.qmax()).boxed()
            };
            (
                Just(rows),
                Just(cols),
                Just(bits),
                prop::collection::vec(code, rows * cols),
            )
        })
    }

    proptest! {
        #[test]
        fn every_layout_round_trips((rows, cols, bits, codes) in tensor()) {
            for layout in LAYOUTS {
                let packed = layout.pack(&codes, rows, cols, bits).unwrap();
                prop_assert_eq!(packed.words.len(), layout.words_for(rows, cols, bits), "{}", layout.name());
                prop_assert_eq!(layout.unpack(&packed).unwrap(), codes.clone(), "{}", layout.name());
            }
        }

        #[test]
        fn the_dense_stream_is_as_small_as_possible((rows, cols, bits, codes) in tensor()) {
            let packed = DenseStream.pack(&codes, rows, cols, bits).unwrap();
            prop_assert_eq!(packed.bytes(), (rows * cols * usize::from(bits.get())).div_ceil(32) * 4);
        }
    }

    #[test]
    fn bad_codes_and_bad_words_are_refused() {
        let two = BitWidth::new(2).unwrap();
        for layout in LAYOUTS {
            assert!(matches!(
                layout.pack(&[0, 2], 1, 2, two),
                Err(QuantError::CodeOutOfRange { index: 1, .. })
            ));
            assert!(matches!(
                layout.pack(&[0, 1, 0], 1, 2, two),
                Err(QuantError::LengthMismatch { .. })
            ));
            assert!(matches!(
                layout.pack(&[0], 1, 1, BitWidth::new(1).unwrap()),
                Err(QuantError::CodeOutOfRange { .. })
            ));
            let mut packed = layout.pack(&[1, -1, 0, 1], 2, 2, two).unwrap();
            packed.words.push(0);
            assert!(
                matches!(
                    layout.unpack(&packed),
                    Err(QuantError::LengthMismatch { .. })
                ),
                "{}",
                layout.name()
            );
            // All ones is field 3, code 2: more than 2 bits' qmax of 1; no packer writes it.
            packed.words = vec![u32::MAX; layout.words_for(2, 2, two)];
            assert!(
                matches!(
                    layout.unpack(&packed),
                    Err(QuantError::CodeOutOfRange { .. })
                ),
                "{}",
                layout.name()
            );
        }
    }
}

mod packed_layer {
    use alloc::vec;
    use alloc::vec::Vec;

    use proptest::prelude::*;

    use crate::{BitWidth, Granularity, PackedLayer, QuantError, SymmetricQuantizer};

    proptest! {
        #[test]
        fn forward_equals_the_dequantized_f32_product(
            outputs in 1usize..6,
            inputs in 1usize..70,
            b in 1u8..=8,
            per_channel in any::<bool>(),
            seed in any::<u32>(),
        ) {
            let bits = BitWidth::new(b).unwrap();
            let granularity = if per_channel { Granularity::PerChannel } else { Granularity::PerTensor };
            let quantizer = SymmetricQuantizer::new(bits, granularity);
            let value = |i: usize, salt: u32| (((i as u32).wrapping_mul(2_654_435_761) ^ seed ^ salt) % 2001) as f32 / 1000.0 - 1.0;
            let w: Vec<f32> = (0..outputs * inputs).map(|i| value(i, 1)).collect();
            let bias: Vec<f32> = (0..outputs).map(|i| value(i, 2)).collect();
            let x: Vec<f32> = (0..inputs).map(|i| value(i, 3)).collect();
            let layer = PackedLayer::quantize(&w, &bias, outputs, inputs, &quantizer).unwrap();
            let mut y = vec![0.0; outputs];
            layer.forward(&x, &mut y).unwrap();
            // Reference: dequantize, then an f64 product.
            let dq = quantizer.quantize(&w, outputs, inputs).unwrap().dequantize();
            for r in 0..outputs {
                let terms: Vec<f64> = (0..inputs).map(|j| f64::from(dq[r * inputs + j]) * f64::from(x[j])).collect();
                let reference = terms.iter().sum::<f64>() + f64::from(bias[r]);
                let magnitude = terms.iter().map(|t| t.abs()).sum::<f64>() + f64::from(bias[r].abs());
                // f32 accumulation: a few ulps of the sum of magnitudes.
                prop_assert!((f64::from(y[r]) - reference).abs() <= 1e-5 * magnitude.max(1e-6),
                    "row {}: {} vs {}", r, y[r], reference);
            }
        }
    }

    #[test]
    fn wrong_shapes_are_refused() {
        let q = SymmetricQuantizer::new(BitWidth::new(4).unwrap(), Granularity::PerTensor);
        assert!(matches!(
            PackedLayer::quantize(&[0.1; 6], &[0.0; 3], 2, 3, &q),
            Err(QuantError::LengthMismatch { what: "bias", .. })
        ));
        assert!(matches!(
            PackedLayer::quantize(&[0.1; 6], &[0.0, f32::NAN], 2, 3, &q),
            Err(QuantError::NonFinite { .. })
        ));
        let layer = PackedLayer::quantize(&[0.1; 6], &[0.0; 2], 2, 3, &q).unwrap();
        assert_eq!(
            (layer.inputs(), layer.outputs(), layer.bits().get()),
            (3, 2, 4)
        );
        assert!(matches!(
            layer.forward(&[1.0; 4], &mut [0.0; 2]),
            Err(QuantError::LengthMismatch { .. })
        ));
        assert!(matches!(
            layer.forward(&[1.0; 3], &mut [0.0; 3]),
            Err(QuantError::LengthMismatch { .. })
        ));
    }
}
