//! Feature extraction speed: `cargo bench -p ser-benches --bench features`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ser_adaptive::features::corpus::demo::{DemoConfig, DemoCorpus};
use ser_adaptive::features::{FeatureConfig, FeatureExtractor, Stft, Tuning};

/// A 3 s speech-like clip: demo utterances of one speaker, concatenated, at `rate`.
fn clip(rate: u32) -> Vec<f32> {
    let corpus = DemoCorpus::new(DemoConfig {
        speakers: 1,
        utterances_per_emotion: 1,
        sample_rate: rate,
        ..Default::default()
    });
    let mut samples: Vec<f32> = corpus
        .utterances()
        .into_iter()
        .flat_map(|u| u.samples)
        .collect();
    samples.truncate(3 * rate as usize);
    samples
}

fn wav_bytes(samples: &[f32], rate: u32) -> Vec<u8> {
    let data: Vec<u8> = samples
        .iter()
        .flat_map(|s| ((s * 32767.0) as i16).to_le_bytes())
        .collect();
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    out
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("extract_3s");
    for rate in [16_000u32, 44_100] {
        let samples = clip(rate);
        group.throughput(Throughput::Elements(1));
        let default =
            FeatureExtractor::new(FeatureConfig::default()).expect("default config is valid");
        // Warm the per-rate plan so the bench measures steady-state extraction.
        default.extract(&samples, rate).expect("clip extracts");
        group.bench_function(format!("default_{rate}hz"), |b| {
            b.iter(|| default.extract(&samples, rate))
        });
        let pinned = FeatureExtractor::new(FeatureConfig {
            tuning: Tuning::Fixed(0.0),
            ..FeatureConfig::default()
        })
        .expect("config is valid");
        group.bench_function(format!("pinned_tuning_{rate}hz"), |b| {
            b.iter(|| pinned.extract(&samples, rate))
        });
        let bytes = wav_bytes(&samples, rate);
        group.bench_function(format!("decode_and_extract_wav_{rate}hz"), |b| {
            b.iter(|| {
                let audio = ser_adaptive::features::decode_bytes(bytes.clone()).expect("valid wav");
                default.extract(&audio.samples, audio.sample_rate)
            })
        });
    }
    group.finish();

    let samples = clip(16_000);
    let stft = Stft::new(2048, 512).expect("valid STFT");
    let mut out = vec![0.0; stft.n_frames(samples.len()) * stft.n_bins()];
    c.bench_function("stft_3s_16000hz", |b| {
        b.iter(|| stft.magnitude(&samples, &mut out))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
