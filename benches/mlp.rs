//! MLP training and inference speed: `cargo bench -p ser-benches --bench mlp`.
//!
//! One training epoch of the poster architecture (180 -> 256-512-64 -> 7) on 432 rows, the
//! training part of EMODB's stratified 90/10 split with a 10 % validation hold-out, and batch
//! inference on its 54 test rows. The data are seeded synthetic rows of the same shape: the
//! arithmetic does not depend on the values.

use criterion::{Criterion, criterion_group, criterion_main};
use ser_adaptive::mlp::{Labelled, Mlp, TrainConfig, fit};
use ser_adaptive::ndarray::Array2;

fn rows(n: usize, seed: usize) -> (Array2<f32>, Vec<usize>) {
    let x = Array2::from_shape_fn((n, 180), |(i, j)| {
        (((i * 7919 + j * 104_729 + seed) % 1000) as f32 / 500.0) - 1.0
    });
    (x, (0..n).map(|i| i % 7).collect())
}

fn bench(c: &mut Criterion) {
    let (x, y) = rows(432, 1);
    let config = TrainConfig {
        max_epochs: 1,
        ..TrainConfig::default()
    };
    c.bench_function("train_one_epoch_432x180_poster", |b| {
        b.iter(|| fit(&config, Labelled { x: x.view(), y: &y }, None, 7).expect("valid data"))
    });
    let (test, _) = rows(54, 2);
    let mlp = Mlp::new(180, &[256, 512, 64], 7, 0.1, 0).expect("valid architecture");
    c.bench_function("predict_54x180_poster", |b| {
        b.iter(|| mlp.predict_proba(test.view()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
