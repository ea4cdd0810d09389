//! Bit packings and packed inference: `cargo bench -p ser-benches --bench quant`.
//!
//! Over every width 1..=8 and the poster MLP's layer shapes (inputs x outputs: 180x256,
//! 256x512, 512x64, 64x7):
//! - `pack/<layout>` and `unpack/<layout>`: codes to words and back, for the three layouts;
//! - `matvec/<kernel>`: one input vector through one layer, for every kernel that computes the
//!   width, beside the f32 product two ways (`f32-ndarray`: `x . W` as `ser_mlp` computes it;
//!   `f32-rows`: our own row-major f32 kernel);
//! - `utterance/<model>`: the whole 180-256-512-64-7 network on one feature vector, f32
//!   (`ser_mlp::Mlp::logits`, and `f32-rows`: our row kernel) against packed models at every
//!   fixed width and one mixed.
//!
//! - `quantize/<scaling>-<granularity>`: choosing the scales and codes of the 256x512 layer at
//!   2 and 8 bits, max-abs against least-squared-error scales, per tensor and per channel.
//!
//! Weights and inputs are seeded synthetic values; the arithmetic does not depend on them.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ser_adaptive::mlp::Mlp;
use ser_adaptive::ndarray::{Array1, Array2};
use ser_adaptive::quant::{
    BitPlanes, BitWidth, DenseStream, Granularity, Kernel, PackedMlp, Packing, Precision,
    QuantOptions, QuantizedLayer, RowAligned, Scaling, Scratch, SymmetricQuantizer,
};

const SHAPES: [(usize, usize); 4] = [(180, 256), (256, 512), (512, 64), (64, 7)];

fn values(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 7919 + seed * 104_729) % 2001) as f32 / 1000.0 - 1.0)
        .collect()
}

fn short<'c>(
    c: &'c mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'c, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(900))
        .sample_size(20);
    g
}

fn packings(c: &mut Criterion) {
    let layouts: [&dyn Packing; 3] = [&DenseStream, &RowAligned, &BitPlanes];
    for (inputs, outputs) in SHAPES {
        let w = values(inputs * outputs, 1);
        for bits in BitWidth::ALL {
            let t = SymmetricQuantizer::new(bits, Default::default())
                .quantize(&w, outputs, inputs)
                .expect("finite weights");
            let id = format!("{}bit/{inputs}x{outputs}", bits.get());
            for layout in layouts {
                let mut g = short(c, &format!("pack/{}", layout.name()));
                g.throughput(Throughput::Elements((inputs * outputs) as u64));
                g.bench_function(BenchmarkId::from_parameter(&id), |b| {
                    b.iter(|| layout.pack(black_box(&t.codes), outputs, inputs, bits))
                });
                g.finish();
                let packed = layout
                    .pack(&t.codes, outputs, inputs, bits)
                    .expect("codes in range");
                let mut g = short(c, &format!("unpack/{}", layout.name()));
                g.throughput(Throughput::Elements((inputs * outputs) as u64));
                g.bench_function(BenchmarkId::from_parameter(&id), |b| {
                    b.iter(|| layout.unpack(black_box(&packed)))
                });
                g.finish();
            }
        }
    }
}

fn matvec(c: &mut Criterion) {
    for (inputs, outputs) in SHAPES {
        let w = values(inputs * outputs, 2);
        let bias = values(outputs, 3);
        let x = values(inputs, 4);
        let shape = format!("{inputs}x{outputs}");
        let mut scratch = Scratch::default();
        let mut y = vec![0.0f32; outputs];
        // f32 as ser_mlp stores it (inputs x outputs) and multiplies it.
        let w_in_out = Array2::from_shape_fn((inputs, outputs), |(i, o)| w[o * inputs + i]);
        let x_row = Array2::from_shape_vec((1, inputs), x.clone()).expect("shape");
        let b_arr = Array1::from(bias.clone());
        let mut g = short(c, "matvec/f32-ndarray");
        g.throughput(Throughput::Elements((inputs * outputs) as u64));
        g.bench_function(BenchmarkId::from_parameter(&shape), |b| {
            b.iter(|| black_box(&x_row).dot(&w_in_out) + &b_arr)
        });
        g.finish();
        let full = QuantizedLayer::full(w.clone(), bias.clone(), outputs, inputs).expect("finite");
        let mut g = short(c, "matvec/f32-rows");
        g.throughput(Throughput::Elements((inputs * outputs) as u64));
        g.bench_function(BenchmarkId::from_parameter(&shape), |b| {
            b.iter(|| full.forward(black_box(&x), &mut y, &mut scratch))
        });
        g.finish();
        for bits in BitWidth::ALL {
            let layer = QuantizedLayer::quantize(
                &w,
                &bias,
                outputs,
                inputs,
                Precision::Bits(bits),
                QuantOptions::default(),
            )
            .expect("finite weights");
            for kernel in [Kernel::Unpack, Kernel::SetBits, Kernel::PlaneLut] {
                let Ok(layer) = layer.clone().with_kernel(kernel) else {
                    continue; // set-bits is 1-bit only
                };
                let mut g = short(c, &format!("matvec/{}", kernel.name()));
                g.throughput(Throughput::Elements((inputs * outputs) as u64));
                g.bench_function(
                    BenchmarkId::from_parameter(format!("{}bit/{shape}", bits.get())),
                    |b| b.iter(|| layer.forward(black_box(&x), &mut y, &mut scratch)),
                );
                g.finish();
            }
        }
    }
}

fn utterance(c: &mut Criterion) {
    let mlp = Mlp::new(180, &[256, 512, 64], 7, 0.1, 0).expect("valid architecture");
    let x = values(180, 5);
    let x_row = Array2::from_shape_vec((1, 180), x.clone()).expect("shape");
    let mut g = short(c, "utterance");
    g.bench_function("f32", |b| b.iter(|| mlp.logits(black_box(&x_row).view())));
    // Widths per layer; 0 keeps the layer in f32 (so `f32-rows` is the f32 network through our
    // own row kernel, in the same packed-inference code path).
    let mut models: Vec<(String, Vec<u8>)> = vec![("f32-rows".into(), vec![0; 4])];
    models.extend((1..=8).map(|b| (format!("{b}bit"), vec![b; 4])));
    models.push(("mixed-2-1-2-3".into(), vec![2, 1, 2, 3]));
    for (name, widths) in models {
        let layers = mlp
            .layers()
            .iter()
            .zip(&widths)
            .map(|(d, &b)| {
                let w: Vec<f32> = d.weights.t().iter().copied().collect();
                QuantizedLayer::quantize(
                    &w,
                    d.bias.as_slice().expect("contiguous"),
                    d.outputs(),
                    d.inputs(),
                    match b {
                        0 => Precision::Full,
                        b => Precision::Bits(BitWidth::new(b).expect("1..=8")),
                    },
                    QuantOptions::default(),
                )
                .expect("finite weights")
            })
            .collect();
        let packed = PackedMlp::new(layers).expect("layers chain");
        let mut scratch = Scratch::default();
        g.bench_function(&name, |b| {
            b.iter(|| packed.logits(black_box(&x), &mut scratch).map(|l| l[0]))
        });
    }
    g.finish();
}

fn quantize(c: &mut Criterion) {
    let mut g = short(c, "quantize");
    let (inputs, outputs) = (256, 512);
    // Roughly bell-shaped weights (a sum of three uniforms), as trained layers have.
    let w: Vec<f32> = values(inputs * outputs, 1)
        .iter()
        .zip(values(inputs * outputs, 2))
        .zip(values(inputs * outputs, 3))
        .map(|((a, b), c)| (a + b + c) / 3.0)
        .collect();
    g.throughput(Throughput::Elements((inputs * outputs) as u64));
    for bits in [2u8, 8] {
        let width = BitWidth::ALL[usize::from(bits) - 1];
        for (scaling, s_name) in [(Scaling::MaxAbs, "max-abs"), (Scaling::MinMse, "mse")] {
            for (granularity, g_name) in [
                (Granularity::PerTensor, "per-tensor"),
                (Granularity::PerChannel, "per-channel"),
            ] {
                let q = SymmetricQuantizer::new(width, granularity).with_scaling(scaling);
                g.bench_function(
                    BenchmarkId::new(format!("{s_name}-{g_name}"), format!("{bits}-bit")),
                    |b| b.iter(|| q.quantize(black_box(&w), outputs, inputs)),
                );
            }
        }
    }
    g.finish();
}

criterion_group!(benches, utterance, matvec, packings, quantize);
criterion_main!(benches);
