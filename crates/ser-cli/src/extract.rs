//! Listing a corpus and extracting its features in parallel, shared by the commands.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use ser_adaptive::features::FeatureExtractor;
use ser_adaptive::features::corpus::demo::{DemoConfig, DemoCorpus, DemoUtterance};
use ser_adaptive::features::corpus::{self, CorpusKind, LabelledFile};

use crate::CliError;

/// One thing to extract: a file, or an in-memory demo utterance.
pub(crate) enum Item {
    File(LabelledFile),
    Demo(DemoUtterance),
}

impl Item {
    pub(crate) fn name(&self) -> String {
        match self {
            Item::File(f) => f.path.display().to_string(),
            Item::Demo(u) => format!("demo:{}", u.name),
        }
    }

    pub(crate) fn label(&self) -> Option<&str> {
        match self {
            Item::File(f) => f.label.as_deref(),
            Item::Demo(u) => Some(&u.label),
        }
    }

    pub(crate) fn speaker(&self) -> Option<&str> {
        match self {
            Item::File(f) => f.speaker.as_deref(),
            Item::Demo(u) => Some(&u.speaker),
        }
    }
}

/// A successful extraction: the vector and the chroma tuning used.
pub(crate) struct Extracted {
    pub(crate) vector: Vec<f32>,
    pub(crate) tuning: Option<f64>,
}

/// The built-in demo corpus, or the audio under `paths` with labels from `kind`; reports
/// skipped files on stderr.
pub(crate) fn list(
    paths: &[PathBuf],
    kind: &CorpusKind,
    demo: bool,
) -> Result<Vec<Item>, CliError> {
    let items: Vec<Item> = if demo {
        let items: Vec<Item> = DemoCorpus::new(DemoConfig::default())
            .utterances()
            .into_iter()
            .map(Item::Demo)
            .collect();
        eprintln!("corpus: built-in demo, {} utterances", items.len());
        items
    } else {
        let listing = corpus::load(paths, kind)?;
        for skipped in &listing.skipped {
            eprintln!("skipped: {}: {}", skipped.path.display(), skipped.reason);
        }
        eprintln!(
            "corpus: {}, {} files, {} skipped",
            listing.kind,
            listing.files.len(),
            listing.skipped.len()
        );
        listing.files.into_iter().map(Item::File).collect()
    };
    if items.is_empty() {
        return Err(CliError(
            "nothing to extract: every file was skipped".into(),
        ));
    }
    Ok(items)
}

/// A thread pool of `jobs` workers (all cores when `None`).
pub(crate) fn thread_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, CliError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = jobs {
        if jobs == 0 {
            return Err(CliError("--jobs must be at least 1".into()));
        }
        builder = builder.num_threads(jobs);
    }
    Ok(builder.build()?)
}

/// Extracts every item in parallel, with a progress bar on stderr unless `quiet`. Failures are
/// reported on stderr with their path and reason; the successes are returned in order, with
/// the number that failed.
pub(crate) fn extract_all<'a>(
    items: &'a [Item],
    extractor: &FeatureExtractor,
    pool: &rayon::ThreadPool,
    quiet: bool,
) -> (Vec<(&'a Item, Extracted)>, usize) {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(items.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files, {elapsed} elapsed, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let results: Vec<Result<Extracted, String>> = pool.install(|| {
        items
            .par_iter()
            .map(|item| {
                let result = match item {
                    Item::File(f) => extractor
                        .extract_file(&f.path)
                        .map(|x| Extracted {
                            vector: x.vector,
                            tuning: x.tuning,
                        })
                        .map_err(|e| e.to_string()),
                    Item::Demo(u) => {
                        let mut vector = vec![0.0; extractor.dim()];
                        extractor
                            .extract_into(&u.samples, u.sample_rate, &mut vector)
                            .map(|tuning| Extracted { vector, tuning })
                            .map_err(|e| format!("{}: {e}", item.name()))
                    }
                };
                bar.inc(1);
                result
            })
            .collect()
    });
    bar.finish_and_clear();
    let mut rows = Vec::new();
    let mut failed = 0;
    for (item, result) in items.iter().zip(results) {
        match result {
            Ok(x) => rows.push((item, x)),
            Err(message) => {
                failed += 1;
                eprintln!("error: {message}");
            }
        }
    }
    (rows, failed)
}
