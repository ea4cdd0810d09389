//! Property tests of the quantizers (proptest) and their edge cases.

use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use crate::{BitWidth, Granularity, Precision, QuantError, Scaling, SymmetricQuantizer};

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

fn squared_error(w: &[f32], t: &crate::QuantizedTensor) -> f64 {
    w.iter()
        .zip(t.dequantize())
        .map(|(a, b)| (f64::from(*a) - f64::from(b)).powi(2))
        .sum()
}

proptest! {
    #[test]
    fn min_mse_scales_never_do_worse_than_max_abs(
        w in weights(), bits in width(), per_channel in any::<bool>(), rows in 1usize..4,
    ) {
        let cols = w.len() / rows;
        let w = &w[..rows * cols];
        let g = if per_channel { Granularity::PerChannel } else { Granularity::PerTensor };
        let plain = SymmetricQuantizer::new(bits, g).quantize(w, rows, cols).unwrap();
        let mse = SymmetricQuantizer::new(bits, g)
            .with_scaling(Scaling::MinMse)
            .quantize(w, rows, cols)
            .unwrap();
        let q = bits.qmax();
        prop_assert!(mse.codes.iter().all(|c| (-q..=q).contains(c)));
        prop_assert!(mse.scales.iter().all(|s| s.is_finite() && *s >= 0.0));
        let (e_plain, e_mse) = (squared_error(w, &plain), squared_error(w, &mse));
        prop_assert!(e_mse <= e_plain, "{} > {}", e_mse, e_plain);
        if bits.get() == 1 {
            // mean|w| is already the optimal scale of sign codes: nothing changes.
            prop_assert_eq!(&mse, &plain);
        }
    }
}

#[test]
fn min_mse_clips_an_outlier_and_is_locally_optimal() {
    // 999 small weights and one outlier: at 2 bits max-abs rounds every small weight to 0.
    let mut w: Vec<f32> = (0..999).map(|i| ((i % 21) as f32 - 10.0) / 100.0).collect();
    w.push(1.0);
    let bits = BitWidth::new(2).unwrap();
    let quant = |s: Scaling| {
        SymmetricQuantizer::new(bits, Granularity::PerTensor)
            .with_scaling(s)
            .quantize(&w, 1, w.len())
            .unwrap()
    };
    let (plain, mse) = (quant(Scaling::MaxAbs), quant(Scaling::MinMse));
    assert_eq!(plain.codes.iter().filter(|&&c| c != 0).count(), 1);
    assert!(mse.scales[0] < 0.25, "scale {}", mse.scales[0]);
    let e = squared_error(&w, &mse);
    assert!(e < 0.5 * squared_error(&w, &plain));
    // No nearby scale does better by more than rounding (the refinement converged).
    for k in [0.98f32, 0.99, 1.01, 1.02] {
        let mut t = mse.clone();
        t.scales[0] *= k;
        t.codes = w
            .iter()
            .map(|v| (v / t.scales[0]).clamp(-1.0, 1.0).round_ties_even() as i8)
            .collect();
        assert!(
            squared_error(&w, &t) >= e * (1.0 - 1e-9),
            "scale x{k} is better"
        );
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

    use crate::{
        Bias, BiasMode, BitWidth, Granularity, Kernel, PackedMlp, Precision, QuantError,
        QuantOptions, QuantizedLayer, Scaling, Scratch, SymmetricQuantizer,
    };

    /// Deterministic pseudo-random values in [-1, 1].
    fn values(n: usize, seed: u32, salt: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                (((i as u32).wrapping_mul(2_654_435_761) ^ seed.wrapping_mul(40_503) ^ salt) % 2001)
                    as f32
                    / 1000.0
                    - 1.0
            })
            .collect()
    }

    fn kernels(bits: BitWidth) -> Vec<Kernel> {
        let mut k = vec![Kernel::Unpack, Kernel::PlaneLut];
        if bits.get() == 1 {
            k.push(Kernel::SetBits);
        }
        k
    }

    /// Checks `layer.forward(x)` against the f64 product of its dequantized weights. The
    /// kernels accumulate in f32 over fields `code + qmax`, so the bound is a few f32 ulps of
    /// `s (2 qmax + 1) sum|x|`, the largest partial sum they form, plus the reference magnitude.
    fn check_layer(layer: &QuantizedLayer, x: &[f32]) -> Result<(), TestCaseError> {
        let (outputs, inputs) = (layer.outputs(), layer.inputs());
        let mut y = vec![0.0; outputs];
        layer.forward(x, &mut y, &mut Scratch::default()).unwrap();
        let (w, b) = layer.dequantize().unwrap();
        let sum_abs_x: f64 = x.iter().map(|v| f64::from(v.abs())).sum();
        let qmax = f64::from(match layer.precision() {
            Precision::Bits(bits) => bits.qmax(),
            Precision::Full => 0,
        });
        for r in 0..outputs {
            let terms: Vec<f64> = (0..inputs)
                .map(|j| f64::from(w[r * inputs + j]) * f64::from(x[j]))
                .collect();
            let reference = terms.iter().sum::<f64>() + f64::from(b[r]);
            let s = layer
                .weight_scales()
                .get(if layer.weight_scales().len() == 1 {
                    0
                } else {
                    r
                });
            let s = f64::from(s.copied().unwrap_or(0.0));
            let magnitude = terms.iter().map(|t| t.abs()).sum::<f64>()
                + f64::from(b[r].abs())
                + s * (2.0 * qmax + 1.0) * sum_abs_x;
            prop_assert!(
                (f64::from(y[r]) - reference).abs() <= 4e-6 * magnitude.max(1e-6),
                "{:?} row {}: {} vs {}",
                layer.kernel(),
                r,
                y[r],
                reference
            );
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn every_kernel_equals_the_dequantized_f32_product(
            outputs in 1usize..6,
            inputs in 0usize..100,
            b in 1u8..=8,
            per_channel in any::<bool>(),
            full_bias in any::<bool>(),
            min_mse in any::<bool>(),
            seed in any::<u32>(),
        ) {
            let bits = BitWidth::new(b).unwrap();
            let options = QuantOptions {
                granularity: if per_channel { Granularity::PerChannel } else { Granularity::PerTensor },
                bias: if full_bias { BiasMode::Full } else { BiasMode::LayerWidth },
                scaling: if min_mse { Scaling::MinMse } else { Scaling::MaxAbs },
            };
            let w = values(outputs * inputs, seed, 1);
            let bias = values(outputs, seed, 2);
            let x = values(inputs, seed, 3);
            let layer = QuantizedLayer::quantize(&w, &bias, outputs, inputs, Precision::Bits(bits), options).unwrap();
            prop_assert_eq!(layer.kernel(), Some(Kernel::default_for(bits, outputs)));
            // The layer holds what the quantizer gives, and the biases as the option says.
            let t = SymmetricQuantizer::new(bits, options.granularity)
                .with_scaling(options.scaling)
                .quantize(&w, outputs, inputs)
                .unwrap();
            prop_assert_eq!(layer.dequantize().unwrap().0, t.dequantize());
            // Fake quantization skips the packing and gives the same values, biases included.
            prop_assert_eq!(
                QuantizedLayer::fake_quantize(&w, &bias, outputs, inputs, Precision::Bits(bits), options).unwrap(),
                layer.dequantize().unwrap()
            );
            match layer.bias() {
                Bias::Full(v) => prop_assert!(full_bias && v == &bias),
                Bias::Quantized(q) => prop_assert!(!full_bias && q.bits == bits && q.codes.len() == outputs),
            }
            let bias_bits = if full_bias { 32 } else { u64::from(b) };
            prop_assert_eq!(layer.size_bits(), (outputs * inputs) as u64 * u64::from(b) + outputs as u64 * bias_bits);
            for kernel in kernels(bits) {
                let layer = layer.clone().with_kernel(kernel).unwrap();
                prop_assert_eq!(layer.kernel(), Some(kernel));
                check_layer(&layer, &x)?;
            }
        }

        #[test]
        fn packed_mlps_equal_their_dequantized_f32_forward(
            widths in prop::collection::vec(1usize..40, 2..5),
            precisions in prop::collection::vec(0u8..=8, 4),
            seed in any::<u32>(),
        ) {
            let mut layers = Vec::new();
            for (i, pair) in widths.windows(2).enumerate() {
                let (inputs, outputs) = (pair[0], pair[1]);
                let p = match precisions[i] {
                    0 => Precision::Full,
                    b => Precision::Bits(BitWidth::new(b).unwrap()),
                };
                let w = values(inputs * outputs, seed, 10 + i as u32);
                let bias = values(outputs, seed, 20 + i as u32);
                layers.push(QuantizedLayer::quantize(&w, &bias, outputs, inputs, p, QuantOptions::default()).unwrap());
            }
            let mlp = PackedMlp::new(layers).unwrap();
            let x = values(widths[0], seed, 99);
            let mut scratch = Scratch::default();
            let logits = mlp.logits(&x, &mut scratch).unwrap().to_vec();
            // Reference: dequantize every layer, then an f64 forward pass with ReLU.
            let mut a: Vec<f64> = x.iter().map(|v| f64::from(*v)).collect();
            let mut bound: Vec<f64> = x.iter().map(|v| f64::from(v.abs())).collect();
            let last = mlp.layers().len() - 1;
            for (i, layer) in mlp.layers().iter().enumerate() {
                let (w, b) = layer.dequantize().unwrap();
                let n = layer.inputs();
                let s = f64::from(layer.weight_scales().first().copied().unwrap_or(1.0));
                let q = f64::from(match layer.precision() { Precision::Bits(b) => b.qmax(), Precision::Full => 0 });
                let next: Vec<f64> = (0..layer.outputs())
                    .map(|r| (0..n).map(|j| f64::from(w[r * n + j]) * a[j]).sum::<f64>() + f64::from(b[r]))
                    .map(|v| if i < last { v.max(0.0) } else { v })
                    .collect();
                let total: f64 = bound.iter().sum();
                bound = (0..layer.outputs())
                    .map(|r| (0..n).map(|j| f64::from(w[r * n + j].abs()) * bound[j]).sum::<f64>()
                        + f64::from(b[r].abs()) + s * (2.0 * q + 1.0) * total)
                    .collect();
                a = next;
            }
            for (r, (y, reference)) in logits.iter().zip(&a).enumerate() {
                prop_assert!((f64::from(*y) - reference).abs() <= 1e-5 * bound[r].max(1e-6),
                    "output {}: {} vs {}", r, y, reference);
            }
            prop_assert_eq!(mlp.predict(&x, &mut scratch).unwrap(), crate::argmax(logits.iter().copied()));
        }
    }

    #[test]
    fn wrong_shapes_and_kernels_are_refused() {
        let four = Precision::Bits(BitWidth::new(4).unwrap());
        let opts = QuantOptions::default();
        assert!(matches!(
            QuantizedLayer::quantize(&[0.1; 6], &[0.0; 3], 2, 3, four, opts),
            Err(QuantError::LengthMismatch { what: "bias", .. })
        ));
        assert!(matches!(
            QuantizedLayer::quantize(&[0.1; 6], &[0.0, f32::NAN], 2, 3, four, opts),
            Err(QuantError::NonFinite { .. })
        ));
        assert!(matches!(
            QuantizedLayer::quantize(&[0.1, f32::INFINITY], &[0.0], 1, 2, Precision::Full, opts),
            Err(QuantError::NonFinite { index: 1, .. })
        ));
        let layer = QuantizedLayer::quantize(&[0.1; 6], &[0.0; 2], 2, 3, four, opts).unwrap();
        assert_eq!(
            (layer.inputs(), layer.outputs(), layer.precision()),
            (3, 2, four)
        );
        let mut s = Scratch::default();
        assert!(matches!(
            layer.forward(&[1.0; 4], &mut [0.0; 2], &mut s),
            Err(QuantError::LengthMismatch { .. })
        ));
        assert!(matches!(
            layer.forward(&[1.0; 3], &mut [0.0; 3], &mut s),
            Err(QuantError::LengthMismatch { .. })
        ));
        assert!(matches!(
            layer.clone().with_kernel(Kernel::SetBits),
            Err(QuantError::KernelWidth { bits: 4, .. })
        ));
        // Layers that do not chain, and an empty MLP.
        let other = QuantizedLayer::quantize(&[0.1; 6], &[0.0; 3], 3, 2, four, opts).unwrap();
        assert!(PackedMlp::new(vec![layer.clone(), layer.clone()]).is_err());
        assert!(PackedMlp::new(vec![]).is_err());
        let mlp = PackedMlp::new(vec![layer, other]).unwrap();
        assert_eq!((mlp.inputs(), mlp.outputs(), mlp.params()), (3, 3, 17));
        assert!(matches!(
            mlp.logits(&[1.0; 2], &mut s),
            Err(QuantError::LengthMismatch {
                what: "MLP input",
                ..
            })
        ));
    }

    #[test]
    fn size_and_average_bits_follow_the_widths() {
        // The poster's architecture at mixed widths: 180-256-512-64-7.
        let widths = [180usize, 256, 512, 64, 7];
        let bits = [2u8, 1, 3, 8];
        let mut layers = Vec::new();
        for (i, pair) in widths.windows(2).enumerate() {
            let p = Precision::Bits(BitWidth::new(bits[i]).unwrap());
            let w = values(pair[0] * pair[1], 7, i as u32);
            layers.push(
                QuantizedLayer::quantize(
                    &w,
                    &vec![0.5; pair[1]],
                    pair[1],
                    pair[0],
                    p,
                    QuantOptions::default(),
                )
                .unwrap(),
            );
        }
        let mlp = PackedMlp::new(layers).unwrap();
        let params = [46_336u64, 131_584, 32_832, 455];
        assert_eq!(mlp.params() as u64, params.iter().sum::<u64>());
        let expected_bits: u64 = params.iter().zip(bits).map(|(p, b)| p * u64::from(b)).sum();
        assert_eq!(mlp.size_bits(), expected_bits);
        assert!((mlp.size_kb() - expected_bits as f64 / 8000.0).abs() < 1e-12);
        assert!((mlp.average_bits() - expected_bits as f64 / 211_207.0).abs() < 1e-12);
    }
}

mod packed_file {
    use alloc::string::String;
    use alloc::vec;
    use alloc::vec::Vec;

    use crate::{
        BiasMode, BitWidth, MODEL_FORMAT_VERSION, PackedMlp, PackedModel, Precision, QuantError,
        QuantOptions, QuantizedLayer, Scratch,
    };

    /// A poster-shaped model (180-256-512-64-7) at the given precisions.
    fn model(precisions: [Precision; 4], bias: BiasMode) -> PackedModel {
        let widths = [180usize, 256, 512, 64, 7];
        let layers = widths
            .windows(2)
            .enumerate()
            .map(|(i, p)| {
                let w: Vec<f32> = (0..p[0] * p[1])
                    .map(|j| ((j * 37 + i) % 101) as f32 / 50.0 - 1.0)
                    .collect();
                let b: Vec<f32> = (0..p[1]).map(|j| (j % 7) as f32 / 10.0 - 0.3).collect();
                let options = QuantOptions {
                    bias,
                    ..QuantOptions::default()
                };
                QuantizedLayer::quantize(&w, &b, p[1], p[0], precisions[i], options).unwrap()
            })
            .collect();
        PackedModel {
            mlp: PackedMlp::new(layers).unwrap(),
            mean: (0..180).map(|i| i as f32 / 10.0).collect(),
            scale: vec![2.0; 180],
            classes: [
                "angry", "boredom", "disgust", "fear", "happy", "neutral", "sad",
            ]
            .map(String::from)
            .to_vec(),
            metadata: r#"{"features":{"n_fft":2048}}"#.into(),
        }
    }

    fn bits(b: u8) -> Precision {
        Precision::Bits(BitWidth::new(b).unwrap())
    }

    /// Rewrites the checksum so a hand-made change reaches the parser.
    fn reseal(bytes: &mut [u8]) {
        let n = bytes.len() - 4;
        let crc = crc32fast::hash(&bytes[..n]);
        bytes[n..].copy_from_slice(&crc.to_le_bytes());
    }

    #[test]
    fn models_round_trip_and_predict_alike() {
        let features: Vec<f32> = (0..180).map(|i| (i as f32 * 0.37).sin() * 5.0).collect();
        for bias in [BiasMode::LayerWidth, BiasMode::Full] {
            for p in [
                [bits(1); 4],
                [bits(2); 4],
                [bits(8); 4],
                [bits(2), bits(1), bits(3), Precision::Full],
                [Precision::Full; 4],
            ] {
                let m = model(p, bias);
                let (bytes, size) = m.to_bytes_with_size().unwrap();
                assert_eq!(size.total(), bytes.len());
                let back = PackedModel::from_bytes(&bytes).unwrap();
                assert_eq!(back, m);
                let mut s = Scratch::default();
                assert_eq!(
                    back.logits(&features, &mut s).unwrap().to_vec(),
                    m.logits(&features, &mut Scratch::default())
                        .unwrap()
                        .to_vec()
                );
                let p = back.predict_proba(&features, &mut s).unwrap();
                assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
                assert_eq!(
                    crate::argmax(p.into_iter()),
                    back.predict(&features, &mut s).unwrap()
                );
            }
        }
    }

    #[test]
    fn the_file_is_the_accounting_plus_a_fixed_header() {
        let header = model([bits(2); 4], BiasMode::LayerWidth)
            .to_bytes_with_size()
            .unwrap()
            .1
            .header;
        for b in 1..=8u8 {
            let m = model([bits(b); 4], BiasMode::LayerWidth);
            let (bytes, size) = m.to_bytes_with_size().unwrap();
            let accounting = m.mlp.size_bits().div_ceil(8) as usize;
            // Codes: each of the 8 tensors pads to a 32-bit word at most.
            assert!(
                size.codes >= accounting && size.codes <= accounting + 8 * 4,
                "{b} bits: {size:?}"
            );
            // Scales: one per weight tensor and one per bias tensor.
            assert_eq!(size.scales, 8 * 4);
            assert_eq!(
                size.header, header,
                "the header does not depend on the width"
            );
            assert!(bytes.len() <= accounting + accounting / 100 + header + size.scales);
        }
        // f32 biases cost 32 bits each, in the accounting and in the file.
        let m = model([bits(2); 4], BiasMode::Full);
        let (_, size) = m.to_bytes_with_size().unwrap();
        let accounting = m.mlp.size_bits().div_ceil(8) as usize;
        assert_eq!(m.mlp.size_bits(), 210_368 * 2 + 839 * 32);
        assert!(size.codes >= accounting && size.codes <= accounting + 4 * 4);
    }

    #[test]
    fn every_truncation_and_every_bit_flip_is_an_error() {
        let bytes = model(
            [bits(2), bits(1), bits(3), Precision::Full],
            BiasMode::LayerWidth,
        )
        .to_bytes()
        .unwrap();
        // Truncations: every length in the first kilobyte, then a stride through the rest.
        for n in (0..bytes.len()).filter(|n| *n < 1024 || n % 97 == 0) {
            assert!(PackedModel::from_bytes(&bytes[..n]).is_err(), "cut at {n}");
        }
        for i in (0..bytes.len()).step_by(61) {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            let e = PackedModel::from_bytes(&b).unwrap_err();
            assert!(
                matches!(
                    e,
                    QuantError::Checksum { .. }
                        | QuantError::NotAModel
                        | QuantError::UnsupportedVersion { .. }
                ),
                "flip at {i}: {e}"
            );
        }
        let mut b = bytes.clone();
        b[8..12].copy_from_slice(&(MODEL_FORMAT_VERSION + 1).to_le_bytes());
        reseal(&mut b);
        assert_eq!(
            PackedModel::from_bytes(&b),
            Err(QuantError::UnsupportedVersion {
                found: MODEL_FORMAT_VERSION + 1,
                supported: MODEL_FORMAT_VERSION
            })
        );
        // The files of ser-adaptive 0.1 are named as such, not as noise: the f32 format
        // (SERMODEL version 1) and the separate packed format (SERQMODL).
        for old in [&b"SERMODEL\x01\0\0\0\0\0\0\0"[..], b"SERQMODL\x01\0\0\0"] {
            let e = PackedModel::from_bytes(old).unwrap_err();
            assert_eq!(
                e,
                QuantError::UnsupportedVersion {
                    found: 1,
                    supported: MODEL_FORMAT_VERSION
                }
            );
            assert!(e.to_string().contains("no longer read"), "{e}");
        }
        assert_eq!(
            PackedModel::from_bytes(b"SERQMODX\x02\0\0\0"),
            Err(QuantError::NotAModel)
        );
    }

    #[test]
    fn well_sealed_nonsense_is_refused_without_huge_allocations() {
        let good = model([bits(2); 4], BiasMode::LayerWidth)
            .to_bytes()
            .unwrap();
        // The class count is at offset 12; an absurd one must not allocate.
        let mut b = good.clone();
        b[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        reseal(&mut b);
        assert!(matches!(
            PackedModel::from_bytes(&b),
            Err(QuantError::Truncated { .. })
        ));
        // The first layer header follows the layer count; find it by its known shape.
        let start = good
            .windows(8)
            .position(|w| w == [180, 0, 0, 0, 0, 1, 0, 0])
            .unwrap();
        for (offset, value) in [(0usize, u32::MAX), (4, u32::MAX), (0, 0)] {
            let mut b = good.clone();
            b[start + offset..start + offset + 4].copy_from_slice(&value.to_le_bytes());
            reseal(&mut b);
            assert!(
                PackedModel::from_bytes(&b).is_err(),
                "dimension {value} at +{offset}"
            );
        }
        // Width 9, a bias width unlike the weights', unknown flags.
        for (offset, value) in [(8usize, 9u8), (9, 3), (10, 2), (11, 1)] {
            let mut b = good.clone();
            b[start + offset] = value;
            reseal(&mut b);
            let e = PackedModel::from_bytes(&b).unwrap_err();
            assert!(
                matches!(e, QuantError::Corrupt(_) | QuantError::Truncated { .. }),
                "{e}"
            );
        }
        // A negative standardisation scale.
        let mut m = model([bits(2); 4], BiasMode::LayerWidth);
        m.scale[3] = -1.0;
        assert!(m.to_bytes().is_err());
        m.scale[3] = 1.0;
        m.classes.pop();
        assert!(matches!(
            m.to_bytes(),
            Err(QuantError::LengthMismatch {
                what: "class names",
                ..
            })
        ));
    }

    #[test]
    fn features_of_the_wrong_length_or_not_finite_are_refused() {
        let m = model([bits(4); 4], BiasMode::LayerWidth);
        let mut s = Scratch::default();
        assert!(matches!(
            m.predict(&[0.0; 179], &mut s),
            Err(QuantError::LengthMismatch { .. })
        ));
        let mut x = vec![0.0; 180];
        x[5] = f32::NAN;
        assert!(matches!(
            m.predict(&x, &mut s),
            Err(QuantError::NonFinite { index: 5, .. })
        ));
    }
}

mod names {
    use crate::{BiasMode, Granularity, Scaling, UnknownName};

    /// Every name parses to a value that displays as it, and a near miss is refused with the
    /// names it takes.
    fn round_trips<T>(values: &[T], names: &[&str])
    where
        T: core::str::FromStr<Err = UnknownName>
            + core::fmt::Display
            + PartialEq
            + core::fmt::Debug,
    {
        assert_eq!(values.len(), names.len());
        for (v, n) in values.iter().zip(names) {
            assert_eq!(&v.to_string(), n);
            assert_eq!(&n.parse::<T>().unwrap(), v);
            let err = format!("{n}x").parse::<T>().unwrap_err();
            assert_eq!(err.expected, names);
        }
    }

    #[test]
    fn option_names_are_one_spelling_for_display_fromstr_and_serde() {
        round_trips(
            &[Granularity::PerTensor, Granularity::PerChannel],
            Granularity::NAMES,
        );
        round_trips(&[Scaling::MaxAbs, Scaling::MinMse], Scaling::NAMES);
        round_trips(&[BiasMode::LayerWidth, BiasMode::Full], BiasMode::NAMES);
        assert_eq!(Scaling::NAMES, &["max-abs", "mse"]);
        assert_eq!(
            "minmax".parse::<Scaling>().unwrap_err().to_string(),
            "unknown scales `minmax`: expected max-abs or mse"
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_spells_options_by_their_names() {
        for s in [Scaling::MaxAbs, Scaling::MinMse] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{s}\""));
            assert_eq!(serde_json::from_str::<Scaling>(&json).unwrap(), s);
        }
        let err = serde_json::from_str::<Granularity>("\"PerChannel\"").unwrap_err();
        assert!(
            err.to_string()
                .contains("expected per-tensor or per-channel"),
            "{err}"
        );
    }
}
