//! `ser features`: pooled feature vectors of many files, as CSV or npy.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ArgMatches;
use ser_adaptive::data::{Extraction, Sidecar, npy_companions, sidecar_path, write_sidecar};
use ser_adaptive::features::{ChromaSource, FeatureConfig, FeatureExtractor, Pooling, Tuning};

use crate::CliError;
use crate::data::{corpus_kind, demo_corpus, extract_with_progress, sources, thread_pool};
use crate::output::{check_writable, write_atomically};

fn config_from(m: &ArgMatches) -> Result<FeatureConfig, CliError> {
    let tuning = match m.get_one::<String>("tuning").map(String::as_str) {
        Some("estimate") | None => Tuning::Estimate,
        Some(v) => Tuning::Fixed(v.parse::<f64>().map_err(|_| {
            CliError(format!(
                "--tuning: expected `estimate` or a number in [-0.5, 0.5), got `{v}`"
            ))
        })?),
    };
    let config = FeatureConfig {
        sample_rate: m.get_one::<u32>("sr").copied(),
        chroma_source: match m.get_one::<String>("chroma-from").map(String::as_str) {
            Some("power") => ChromaSource::Power,
            _ => ChromaSource::Magnitude,
        },
        tuning,
        pooling: match m.get_one::<String>("pool").map(String::as_str) {
            Some("mean-std") => Pooling::MeanStd,
            _ => Pooling::Mean,
        },
        ..FeatureConfig::default()
    };
    config.validate()?;
    Ok(config)
}

fn describe(config: &FeatureConfig) -> String {
    let chroma = match config.chroma_source {
        ChromaSource::Magnitude => "chroma from the magnitude STFT",
        ChromaSource::Power => "chroma from the power STFT",
    };
    let tuning = match config.tuning {
        Tuning::Estimate => "tuning estimated per file".to_string(),
        Tuning::Fixed(t) => format!("tuning pinned at {t}"),
    };
    let rate = config
        .sample_rate
        .map_or("native sample rate".to_string(), |r| {
            format!("resampled to {r} Hz")
        });
    let pool = match config.pooling {
        Pooling::Mean => "mean over frames",
        Pooling::MeanStd => "mean and std over frames",
    };
    format!("{chroma}, {tuning}, {rate}, {pool}")
}

/// What `ser features` writes: CSV (to a file or stdout), npy, or Parquet.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Npy,
    Parquet,
}

/// Every file `ser features` will write for `out`: the table, and its sidecar (CSV, npy) with
/// npy's rows and columns files; a Parquet table carries its configuration inside.
fn outputs(out: &Path, format: Format) -> Vec<PathBuf> {
    let mut files = vec![out.to_path_buf()];
    if format != Format::Parquet {
        files.push(sidecar_path(out));
    }
    if format == Format::Npy {
        files.extend(npy_companions(out));
    }
    files
}

/// Writes the table to `out` (CSV, npy with its row and column files, or Parquet with the
/// failures as rows), or CSV to stdout.
fn write_outputs(
    out: Option<&Path>,
    format: Format,
    with_tuning: bool,
    extraction: &Extraction,
    config: &FeatureConfig,
) -> Result<(), CliError> {
    match (out, format) {
        (Some(out), Format::Npy) => extraction.write_npy_files(out)?,
        (Some(out), Format::Parquet) => {
            let mut bytes = Vec::new();
            ser_adaptive::data::parquet::write_parquet(&mut bytes, extraction, config)?;
            write_atomically(out, |w| w.write_all(&bytes))?;
        }
        (Some(out), Format::Csv) => {
            write_atomically(out, |w| extraction.write_csv(w, with_tuning))?;
        }
        (None, _) => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            match extraction
                .write_csv(&mut lock, with_tuning)
                .and_then(|_| lock.flush())
            {
                Ok(()) => {}
                // A closed pipe (`| head`) is the reader's choice, not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(CliError(format!("cannot write to stdout: {e}"))),
            }
        }
    }
    Ok(())
}

pub(crate) fn run(m: &ArgMatches) -> Result<ExitCode, CliError> {
    let config = config_from(m)?;
    let extractor = FeatureExtractor::new(config)?;
    let out = m.get_one::<PathBuf>("out").cloned();
    let format = match m.get_one::<String>("format").map(String::as_str) {
        Some("npy") => Format::Npy,
        Some("parquet") => Format::Parquet,
        Some(_) => Format::Csv,
        // Parquet by the name's extension.
        None if out
            .as_deref()
            .is_some_and(ser_adaptive::data::parquet::is_parquet) =>
        {
            Format::Parquet
        }
        None => Format::Csv,
    };
    let with_tuning = m.get_flag("with-tuning");
    // Parsed before anything else so a typo is reported even with --demo.
    let kind = corpus_kind(m)?;
    match &out {
        None if format == Format::Npy => {
            return Err(CliError("--format npy needs --out FILE".into()));
        }
        None if format == Format::Parquet => {
            return Err(CliError("Parquet needs --out FILE".into()));
        }
        None => {}
        Some(out) => {
            for file in outputs(out, format) {
                check_writable(&file, m.get_flag("force"))?;
            }
        }
    }
    let paths: Vec<PathBuf> = m
        .get_many::<PathBuf>("paths")
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let sources = sources(&paths, &kind, demo_corpus(m, m.get_flag("demo")))?;
    let pool = thread_pool(m.get_one::<usize>("jobs").copied())?;
    let extraction = extract_with_progress(sources, &extractor, None, &pool, m.get_flag("quiet"));
    // Rows are formatted in parallel: in the pool, so `--jobs` holds for the writing too.
    pool.install(|| {
        write_outputs(
            out.as_deref(),
            format,
            with_tuning,
            &extraction,
            extractor.config(),
        )
    })?;
    if let Some(out) = out.as_deref().filter(|_| format != Format::Parquet) {
        // The configuration beside the features, so `ser train` and `ser eval` can check it.
        let sidecar = Sidecar {
            features: extractor.config().clone(),
            sample_rates: extraction.sample_rates(),
        };
        write_sidecar(out, &sidecar)?;
    }
    let failed = extraction.failures.len();
    eprintln!(
        "features: {} extracted, {failed} failed ({}){}",
        extraction.rows.len(),
        describe(extractor.config()),
        out.map_or(String::new(), |o| format!(
            ", written to {}{}",
            o.display(),
            if format == Format::Parquet {
                " (Parquet; failures as rows)"
            } else {
                ""
            }
        ))
    );
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
