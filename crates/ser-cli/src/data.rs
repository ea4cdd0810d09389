//! The data every command reads: a corpus listed and extracted (with a progress bar), or a
//! features table; all of it library calls.

use std::path::{Path, PathBuf};

use clap::ArgMatches;
use indicatif::{ProgressBar, ProgressStyle};
use ser_adaptive::data::corpus::{self, CorpusKind};
use ser_adaptive::data::demo::DemoConfig;
use ser_adaptive::data::{Dataset, Extraction, FeatureCache, Source, extract, read_table};
use ser_adaptive::features::{FeatureConfig, FeatureExtractor};

use crate::CliError;

/// The demo corpus of `--demo-size` when `wanted`.
pub(crate) fn demo_corpus(m: &ArgMatches, wanted: bool) -> Option<DemoConfig> {
    let size = m.try_get_one::<String>("demo-size").ok().flatten();
    wanted.then(|| match size.map(String::as_str) {
        Some("small") => DemoConfig::small(),
        _ => DemoConfig::default(),
    })
}

/// The demo corpus (with `demo`), or the audio under `paths` with labels from `kind`; skipped
/// files are reported on stderr.
pub(crate) fn sources(
    paths: &[PathBuf],
    kind: &CorpusKind,
    demo: Option<DemoConfig>,
) -> Result<Vec<Source>, CliError> {
    let sources = if let Some(demo) = demo {
        let sources = Source::demo(demo);
        eprintln!("corpus: built-in demo, {} utterances", sources.len());
        sources
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
        Source::files(listing)
    };
    if sources.is_empty() {
        return Err(CliError(
            "nothing to extract: every file was skipped".into(),
        ));
    }
    Ok(sources)
}

/// The `--corpus` naming.
pub(crate) fn corpus_kind(m: &ArgMatches) -> Result<CorpusKind, CliError> {
    let text = m
        .try_get_one::<String>("corpus")
        .ok()
        .flatten()
        .map_or("auto", String::as_str);
    Ok(text.parse()?)
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

/// A progress bar on stderr (hidden when `quiet`) counting `len` things.
pub(crate) fn progress_bar(len: usize, what: &str, quiet: bool) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len as u64)
    };
    let template = format!("{{bar:40}} {{pos}}/{{len}} {what}, {{elapsed}} elapsed, eta {{eta}}");
    bar.set_style(
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Extracts every source in `pool` with a progress bar; each failure is printed with its file
/// and reason.
pub(crate) fn extract_with_progress(
    sources: Vec<Source>,
    extractor: &FeatureExtractor,
    cache: Option<&FeatureCache>,
    pool: &rayon::ThreadPool,
    quiet: bool,
) -> Extraction {
    let bar = progress_bar(sources.len(), "files", quiet);
    let extraction = pool.install(|| extract(sources, extractor, cache, &|| bar.inc(1)));
    bar.finish_and_clear();
    for (_, e) in &extraction.failures {
        eprintln!("error: {e}");
    }
    extraction
}

/// Labelled data for `train`, `eval` and `quantize --sweep`: a features table (its columns
/// selected to `config`'s; with `must_match`, made with `config` or refused), or audio (or the
/// demo corpus) extracted with `config`. Returns the data and how its features were made.
pub(crate) fn labelled_data(
    m: &ArgMatches,
    config: &FeatureConfig,
    must_match: bool,
) -> Result<(Dataset, FeatureConfig), CliError> {
    let data = m.get_one::<PathBuf>("data");
    if let Some(path) = data.filter(|p| is_table(p)) {
        let table = read_table(path, config, must_match)?;
        if table.unchecked {
            eprintln!(
                "warning: no {} beside the features: their configuration cannot be checked; assuming {}",
                ser_adaptive::data::sidecar_path(path).display(),
                if must_match {
                    "the model's"
                } else {
                    "the defaults"
                }
            );
        }
        return Ok((table.data, table.config));
    }
    let kind = corpus_kind(m)?;
    let paths: Vec<PathBuf> = data.cloned().into_iter().collect();
    let sources = sources(&paths, &kind, demo_corpus(m, m.get_flag("demo")))?;
    let extractor = FeatureExtractor::new(config.clone())?;
    let pool = thread_pool(m.get_one::<usize>("jobs").copied())?;
    let extraction = extract_with_progress(sources, &extractor, None, &pool, m.get_flag("quiet"));
    if !extraction.failures.is_empty() {
        eprintln!(
            "{} file(s) failed and are left out",
            extraction.failures.len()
        );
    }
    let data = extraction
        .into_dataset()
        .map_err(|e| CliError(format!("{e} (this data was read as `--corpus {kind}`)")))?;
    Ok((data, config.clone()))
}

/// Whether `path` names a features table rather than audio: a CSV file, or a Parquet table
/// (a file, or a folder of them as a Ray job writes).
pub(crate) fn is_table(path: &Path) -> bool {
    let csv = path.is_file()
        && path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    csv || ser_adaptive::data::parquet::is_parquet(path)
}

/// What the data is called in messages: its path, or the demo corpus.
pub(crate) fn source_name(m: &ArgMatches) -> String {
    m.get_one::<PathBuf>("data")
        .map_or("the demo corpus".into(), |p| p.display().to_string())
}
