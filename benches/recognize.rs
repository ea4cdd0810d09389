//! Recognition speed: `cargo bench -p ser-benches --bench recognize`. The streaming path per
//! hop (3 s windows every 1 s, the defaults) and one clip, with the poster's network in f32 and
//! packed at 2 bits.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ser_adaptive::data::demo::{DemoConfig, DemoCorpus};
use ser_adaptive::features::FeatureConfig;
use ser_adaptive::mlp::{Mlp, Standardizer};
use ser_adaptive::model::{Model, Network, TrainingInfo};
use ser_adaptive::quant::{BitWidth, Precision, QuantOptions};
use ser_adaptive::recognize::{Recognizer, StreamConfig};

/// Speech-like demo audio of one speaker, `seconds` long, at 16 kHz.
fn speech(seconds: usize) -> Vec<f32> {
    let corpus = DemoCorpus::new(DemoConfig {
        speakers: 2,
        utterances_per_emotion: 2,
        ..Default::default()
    });
    let all: Vec<f32> = corpus
        .utterances()
        .into_iter()
        .flat_map(|u| u.samples)
        .collect();
    all.iter().cycle().take(seconds * 16_000).copied().collect()
}

/// The poster's network (180 -> 256-512-64 -> 7) with seeded weights, trained on 16 kHz audio.
fn poster_model() -> Model {
    let x = ser_adaptive::ndarray::Array2::from_shape_fn((8, 180), |(i, j)| {
        ((i * 13 + j * 7) % 17) as f32
    });
    let classes = (0..7).map(|c| format!("class{c}")).collect();
    let training = TrainingInfo {
        seed: 0,
        epochs: 0,
        best_epoch: 0,
        train_rows: 8,
        sample_rates: vec![16_000],
    };
    Model::new(
        Network::F32(Mlp::new(180, &[256, 512, 64], 7, 0.0, 1).expect("valid network")),
        Standardizer::fit(x.view()).expect("finite rows"),
        classes,
        FeatureConfig::default(),
        Some(training),
    )
    .expect("parts agree")
}

fn bench(c: &mut Criterion) {
    let f32_model = poster_model();
    let two = Precision::Bits(BitWidth::new(2).expect("2 bits is valid"));
    let packed = f32_model
        .quantize_with(&[two; 4], QuantOptions::default(), None)
        .expect("quantizes");
    let audio = speech(60);
    let mut group = c.benchmark_group("stream");
    group.throughput(Throughput::Elements(1));
    for (name, model) in [("f32", f32_model), ("2bit", packed)] {
        let recognizer = Recognizer::new(model).expect("valid model");
        let mut stream = recognizer
            .stream(16_000, StreamConfig::default())
            .expect("valid stream");
        stream.push(&audio[..32_000]).expect("primed");
        let mut hops = audio[32_000..].chunks_exact(16_000).cycle();
        // Each push of one second completes one 3 s window.
        group.bench_function(format!("hop_1s_window_3s_16000hz_{name}"), |b| {
            b.iter(|| stream.push(hops.next().expect("cycles forever")))
        });
        let clip = &audio[..48_000];
        group.bench_function(format!("recognize_3s_16000hz_{name}"), |b| {
            b.iter(|| recognizer.recognize(clip, 16_000))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
