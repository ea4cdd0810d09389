//! Feature extraction speed: `cargo bench -p ser-benches --bench features`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ser_adaptive::data::demo::{DemoConfig, DemoCorpus};
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
        let bytes = ser_adaptive::features::encode_wav_pcm16(&samples, rate);
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

/// Files on disk through `extract_files` in a pool of 1 and 2 threads: the extraction's own
/// scaling, without the process start and the writing of a table that `ser features` adds.
fn files(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let corpus = DemoCorpus::new(DemoConfig {
        speakers: 10,
        utterances_per_emotion: 4,
        sample_rate: 16_000,
        ..Default::default()
    });
    let paths: Vec<_> = corpus
        .utterances()
        .into_iter()
        .enumerate()
        .map(|(i, u)| {
            let path = dir.path().join(format!("{i:03}.wav"));
            let bytes = ser_adaptive::features::encode_wav_pcm16(&u.samples, u.sample_rate);
            std::fs::write(&path, bytes).expect("a writable temporary directory");
            path
        })
        .collect();
    let extractor = FeatureExtractor::new(FeatureConfig::default()).expect("valid config");
    let mut group = c.benchmark_group("extract_files");
    group.throughput(Throughput::Elements(paths.len() as u64));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        // Every tuning's chroma filterbank built once, as on a corpus in steady state.
        pool.install(|| extractor.extract_files(&paths));
        group.bench_function(
            format!("{}_files_16000hz_{threads}_threads", paths.len()),
            |b| b.iter(|| pool.install(|| extractor.extract_files(&paths))),
        );
    }
    group.finish();
}

criterion_group!(benches, bench, files);
criterion_main!(benches);
