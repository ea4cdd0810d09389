//! The bit packings and kernels side by side on the first layer of the poster's network (180
//! inputs, 256 outputs): bytes per layout at every width (rows of 180 codes do not fill whole
//! words, so the layouts differ), a round trip through each, and every kernel's output against
//! the f32 product of the dequantized weights.
//!
//! ```text
//! cargo run --release --example bit_packing
//! ```
//!
//! Timings here are one quick run for orientation; the criterion benches
//! (`cargo bench -p ser-benches --bench quant`) and docs/PERFORMANCE.md are the measurements.

use std::time::Instant;

use ser_adaptive::prelude::*;
use ser_adaptive::quant::{
    BitPlanes, DenseStream, Kernel, Packing, QuantizedLayer, RowAligned, Scratch,
    SymmetricQuantizer,
};

fn main() -> Result<()> {
    let (inputs, outputs) = (180, 256);
    // Seeded bell-shaped weights and an input vector.
    let value = |i: usize, salt: usize| {
        (((i * 7919 + salt * 104_729) % 2001) as f32 / 1000.0 - 1.0)
            + (((i * 104_723 + salt) % 1999) as f32 / 1000.0 - 1.0)
    };
    let w: Vec<f32> = (0..inputs * outputs).map(|i| value(i, 1) * 0.05).collect();
    let bias: Vec<f32> = (0..outputs).map(|i| value(i, 2) * 0.01).collect();
    let x: Vec<f32> = (0..inputs).map(|i| value(i, 3)).collect();

    layouts(&w, outputs, inputs)?;
    kernels(&w, &bias, &x, outputs, inputs)
}

/// The bytes of the codes at every width in every layout (each round-tripped).
fn layouts(w: &[f32], outputs: usize, inputs: usize) -> Result<()> {
    println!(
        "bytes of the {outputs}x{inputs} codes per layout (f32: {} bytes)",
        4 * w.len()
    );
    println!(
        "{:>4} {:>12} {:>12} {:>12}",
        "bits", "dense", "row-aligned", "bit-planes"
    );
    let layouts: [&dyn Packing; 3] = [&DenseStream, &RowAligned, &BitPlanes];
    for bits in BitWidth::ALL {
        let t =
            SymmetricQuantizer::new(bits, Granularity::PerTensor).quantize(w, outputs, inputs)?;
        let mut sizes = Vec::new();
        for layout in layouts {
            let packed = layout.pack(&t.codes, outputs, inputs, bits)?;
            assert_eq!(
                layout.unpack(&packed)?,
                t.codes,
                "{} round trip",
                layout.name()
            );
            sizes.push(packed.bytes());
        }
        println!(
            "{:>4} {:>12} {:>12} {:>12}",
            bits.get(),
            sizes[0],
            sizes[1],
            sizes[2]
        );
    }

    Ok(())
}

/// Each kernel's largest difference from the f32 product of the dequantized weights, and its time.
fn kernels(w: &[f32], bias: &[f32], x: &[f32], outputs: usize, inputs: usize) -> Result<()> {
    println!(
        "\nkernels: largest difference from the f32 product of the dequantized weights, and time"
    );
    for bits in [1u8, 2, 4, 8] {
        let bits = BitWidth::new(bits)?;
        let layer = QuantizedLayer::quantize(
            w,
            bias,
            outputs,
            inputs,
            Precision::Bits(bits),
            QuantOptions::default(),
        )?;
        let (dw, db) = layer.dequantize()?;
        let reference: Vec<f64> = (0..outputs)
            .map(|o| {
                f64::from(db[o])
                    + (0..inputs)
                        .map(|i| f64::from(dw[o * inputs + i]) * f64::from(x[i]))
                        .sum::<f64>()
            })
            .collect();
        let kernels: Vec<Kernel> = [Kernel::Unpack, Kernel::SetBits, Kernel::PlaneLut]
            .into_iter()
            .filter(|k| *k != Kernel::SetBits || bits.get() == 1)
            .collect();
        for kernel in kernels {
            let layer = layer.clone().with_kernel(kernel)?;
            let mut y = vec![0.0f32; outputs];
            let mut scratch = Scratch::default();
            let reps = 200;
            let start = Instant::now();
            for _ in 0..reps {
                layer.forward(std::hint::black_box(x), &mut y, &mut scratch)?;
            }
            let us = start.elapsed().as_secs_f64() * 1e6 / f64::from(reps);
            let err = y
                .iter()
                .zip(&reference)
                .map(|(a, b)| (f64::from(*a) - b).abs())
                .fold(0.0, f64::max);
            println!(
                "  {} bits, {:<9} max |diff| {err:.2e}, {us:6.1} us",
                bits.get(),
                kernel.name()
            );
        }
    }
    Ok(())
}
