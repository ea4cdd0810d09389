//! Your own recordings, labelled by a CSV manifest (`path,label[,speaker]`), through training
//! and a speaker-independent evaluation.
//!
//! ```text
//! cargo run --release --example custom_corpus -- my-corpus/manifest.csv
//! cargo run --release --example custom_corpus
//! ```
//!
//! Paths in the manifest are relative to its folder. Without an argument the example writes a
//! small corpus of demo utterances, under names that follow no convention, and a manifest for
//! it (with one row naming a missing file, to show that it is reported and skipped).

use std::path::{Path, PathBuf};

use ser_adaptive::data::corpus::{self, CorpusKind};
use ser_adaptive::data::demo::{DemoConfig, DemoCorpus};
use ser_adaptive::features::encode_wav_pcm16;
use ser_adaptive::prelude::*;

/// An I/O error naming its file.
fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}

fn write_demo_corpus(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir.join("audio")).map_err(io(dir))?;
    let corpus = DemoCorpus::new(DemoConfig {
        speakers: 4,
        utterances_per_emotion: 3,
        ..DemoConfig::default()
    });
    let mut manifest = String::from("path,label,speaker\n");
    for (i, u) in corpus.utterances().iter().enumerate() {
        let name = format!("audio/take-{i:03}.wav");
        let path = dir.join(&name);
        std::fs::write(&path, encode_wav_pcm16(&u.samples, u.sample_rate)).map_err(io(&path))?;
        manifest.push_str(&format!("{name},{},{}\n", u.label, u.speaker));
    }
    manifest.push_str("audio/missing.wav,anger,spk00\n");
    let path = dir.join("manifest.csv");
    std::fs::write(&path, manifest).map_err(io(&path))?;
    Ok(path)
}

fn main() -> Result<()> {
    // Our own scratch folder (this process's), removed at the end.
    let scratch = std::env::temp_dir().join(format!("ser-custom-corpus-{}", std::process::id()));
    let manifest = match std::env::args().nth(1) {
        Some(path) => PathBuf::from(path),
        None => write_demo_corpus(&scratch)?,
    };
    let listing = corpus::load(&[], &CorpusKind::Manifest(manifest.clone()))?;
    println!(
        "{}: {} files, {} skipped",
        manifest.display(),
        listing.files.len(),
        listing.skipped.len()
    );
    for s in &listing.skipped {
        println!("  skipped {}: {}", s.path.display(), s.reason);
    }

    let extractor = FeatureExtractor::new(FeatureConfig::default())?;
    let extraction = extract(Source::files(listing), &extractor, None, &|| {});
    for (_, e) in &extraction.failures {
        println!("  could not read: {e}");
    }
    let data = extraction.into_dataset()?;
    println!("{} rows, classes {:?}", data.len(), data.classes);

    // Leave one speaker out: every speaker is the test set once, never heard in training;
    // then a model trained on every speaker, to keep.
    let config = TrainConfig {
        max_epochs: 60,
        ..TrainConfig::default()
    };
    let cv = cross_validate(
        &data,
        &SplitSpec::Loso,
        &config,
        extractor.config(),
        &mut |_, _| {},
    )?;
    for fold in &cv.folds {
        if let Some(m) = &fold.metrics {
            println!(
                "  held out {}: WA {:.1} %, UA {:.1} % ({} utterances)",
                fold.name,
                100.0 * m.accuracy,
                100.0 * m.ua,
                fold.rows.test.len()
            );
        }
    }
    let summary = cv.summary();
    println!(
        "mean WA over speakers: {:.1} % (std {:.1}); the model kept was trained on all {} rows",
        summary.accuracy.mean,
        summary.accuracy.std,
        cv.model.rows.train.len() + cv.model.rows.validation.len()
    );
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch).map_err(io(&scratch))?;
    }
    Ok(())
}
