//! `ser features`: pooled feature vectors of many files, as CSV or npy.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ArgMatches;
use ser_adaptive::features::corpus::CorpusKind;
use ser_adaptive::features::{ChromaSource, FeatureConfig, FeatureExtractor, Pooling, Tuning};

use crate::CliError;
use crate::extract::{Extracted, extract_all, list, thread_pool};
use crate::output::{check_writable, csv_field, write_atomically, write_npy};

/// Where the feature configuration of an output file is written: `FILE.features`.
pub(crate) fn config_sidecar(out: &std::path::Path) -> PathBuf {
    PathBuf::from(format!("{}.features", out.display()))
}

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

pub(crate) fn run(m: &ArgMatches) -> Result<ExitCode, CliError> {
    let config = config_from(m)?;
    let extractor = FeatureExtractor::new(config)?;
    let out = m.get_one::<PathBuf>("out").cloned();
    let npy = m.get_one::<String>("format").map(String::as_str) == Some("npy");
    let force = m.get_flag("force");
    let with_tuning = m.get_flag("with-tuning");
    let quiet = m.get_flag("quiet");
    // Parsed before anything else so a typo is reported even with --demo.
    let kind: CorpusKind = m
        .get_one::<String>("corpus")
        .map_or("auto", String::as_str)
        .parse()?;
    let sidecars = |out: &PathBuf| {
        let base = out.as_os_str().to_string_lossy().into_owned();
        (
            PathBuf::from(format!("{base}.rows.csv")),
            PathBuf::from(format!("{base}.columns.txt")),
        )
    };
    match (&out, npy) {
        (None, true) => return Err(CliError("--format npy needs --out FILE".into())),
        (Some(out), npy) => {
            check_writable(out, force)?;
            check_writable(&config_sidecar(out), force)?;
            if npy {
                let (rows, cols) = sidecars(out);
                check_writable(&rows, force)?;
                check_writable(&cols, force)?;
            }
        }
        (None, false) => {}
    }

    let paths: Vec<PathBuf> = m
        .get_many::<PathBuf>("paths")
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let items = list(&paths, &kind, m.get_flag("demo"))?;
    let pool = thread_pool(m.get_one::<usize>("jobs").copied())?;
    let (rows, failed) = extract_all(&items, &extractor, &pool, quiet);

    let mut names = extractor.feature_names();
    if with_tuning {
        names.push("tuning".to_string());
    }
    let tuning_text = |t: Option<f64>| t.map_or(String::new(), |t| format!("{t}"));
    let write_csv = |w: &mut dyn Write| -> std::io::Result<()> {
        writeln!(w, "path,label,speaker,{}", names.join(","))?;
        for (item, Extracted { vector, tuning }) in &rows {
            write!(
                w,
                "{},{},{}",
                csv_field(&item.name()),
                csv_field(item.label().unwrap_or("")),
                csv_field(item.speaker().unwrap_or(""))
            )?;
            for v in vector {
                write!(w, ",{v}")?;
            }
            if with_tuning {
                write!(w, ",{}", tuning_text(*tuning))?;
            }
            writeln!(w)?;
        }
        Ok(())
    };
    match (&out, npy) {
        (Some(out), true) => {
            let data: Vec<f32> = rows
                .iter()
                .flat_map(|(_, x)| x.vector.iter().copied())
                .collect();
            write_atomically(out, |w| write_npy(w, rows.len(), extractor.dim(), &data))?;
            let (rows_file, cols_file) = sidecars(out);
            write_atomically(&rows_file, |w| {
                writeln!(w, "row,path,label,speaker,tuning")?;
                for (i, (item, Extracted { tuning, .. })) in rows.iter().enumerate() {
                    writeln!(
                        w,
                        "{i},{},{},{},{}",
                        csv_field(&item.name()),
                        csv_field(item.label().unwrap_or("")),
                        csv_field(item.speaker().unwrap_or("")),
                        tuning_text(*tuning)
                    )?;
                }
                Ok(())
            })?;
            write_atomically(&cols_file, |w| {
                for name in extractor.feature_names() {
                    writeln!(w, "{name}")?;
                }
                Ok(())
            })?;
        }
        (Some(out), false) => write_atomically(out, |w| write_csv(w))?,
        (None, _) => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            match write_csv(&mut lock).and_then(|_| lock.flush()) {
                Ok(()) => {}
                // A closed pipe (`| head`) is the reader's choice, not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(CliError(format!("cannot write to stdout: {e}"))),
            }
        }
    }
    if let Some(out) = &out {
        // The configuration beside the features, so `ser train` and `ser eval` can check it.
        write_atomically(&config_sidecar(out), |w| {
            writeln!(w, "{}", extractor.config().fingerprint())
        })?;
    }
    eprintln!(
        "features: {} extracted, {failed} failed ({}){}",
        rows.len(),
        describe(extractor.config()),
        out.map_or(String::new(), |o| format!(", written to {}", o.display()))
    );
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
