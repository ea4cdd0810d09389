//! `ser run` and `ser demo`: the whole method, end to end, with a report folder.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::ArgMatches;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use ser_adaptive::features::corpus::CorpusKind;
use ser_adaptive::features::{FeatureConfig, FeatureExtractor};
use ser_adaptive::importance::{HessianTrace, Order, Sensitivity};
use ser_adaptive::search::{
    FinetuneConfig, LayerScore, ReportMeta, RunConfig, SearchConfig, SplitKind, Strategy, markdown,
    run_seed, summarize, svg,
};
use serde_json::json;

use crate::CliError;
use crate::extract::{Cache, extract_cached, labelled_dataset, list, thread_pool};
use crate::output::{check_folder_takes_files, outln, write_atomically};

/// Seeds from `A..B` (inclusive: `0..9` is ten seeds), `A..=B`, or a list `0,3,7`.
fn parse_seeds(text: &str) -> Result<Vec<u64>, CliError> {
    let bad = || {
        CliError(format!(
            "--seeds: expected a range like 0..9 (inclusive) or a list like 0,3,7, got `{text}`"
        ))
    };
    if let Some((a, b)) = text.split_once("..") {
        let b = b.strip_prefix('=').unwrap_or(b);
        let (a, b): (u64, u64) = (
            a.trim().parse().map_err(|_| bad())?,
            b.trim().parse().map_err(|_| bad())?,
        );
        if b < a || b - a >= 1000 {
            return Err(bad());
        }
        return Ok((a..=b).collect());
    }
    let seeds: Vec<u64> = text
        .split(',')
        .map(|s| s.trim().parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let mut unique = seeds.clone();
    unique.sort_unstable();
    unique.dedup();
    if unique.len() != seeds.len() {
        return Err(CliError(format!("--seeds {text}: a seed is repeated")));
    }
    Ok(seeds)
}

fn number(m: &ArgMatches, id: &str, default: f64) -> Result<f64, CliError> {
    let v = m.get_one::<f64>(id).copied().unwrap_or(default);
    if !v.is_finite() {
        return Err(CliError(format!("--{id} must be a finite number, got {v}")));
    }
    Ok(v)
}

fn config(m: &ArgMatches) -> Result<RunConfig, CliError> {
    let mut search = SearchConfig::default();
    search.importance.alpha = number(m, "alpha", 0.5)?;
    search.beta = number(m, "beta", 1.0)?;
    search.margin = number(m, "margin", 2.0)?;
    if !(0.0..=1.0).contains(&search.importance.alpha) {
        return Err(CliError(format!(
            "--alpha must lie in [0, 1], got {}",
            search.importance.alpha
        )));
    }
    search.order = match m.get_one::<String>("order").map(String::as_str) {
        Some("ascending") => Order::LeastImportantFirst,
        _ => Order::MostImportantFirst,
    };
    search.score = match m.get_one::<String>("scorer").map(String::as_str) {
        Some("hessian") => LayerScore::HessianTrace(HessianTrace::default()),
        Some("sensitivity") => LayerScore::Sensitivity(Sensitivity::default()),
        _ => LayerScore::Poster,
    };
    search.strategy = match m.get_one::<String>("search").map(String::as_str) {
        Some("binary") => Strategy::Binary,
        _ => Strategy::Linear,
    };
    search.quant = crate::quantize::options(m);
    search.validate()?;
    let validation_folds = m.get_one::<usize>("folds").copied().unwrap_or(0);
    if validation_folds == 1 {
        return Err(CliError(
            "--folds must be 0 (the poster's single validation split) or at least 2".into(),
        ));
    }
    if let Some(lr) = m.get_one::<f32>("finetune-lr")
        && !(lr.is_finite() && *lr > 0.0)
    {
        return Err(CliError(format!(
            "--finetune-lr must be a finite number > 0, got {lr}"
        )));
    }
    if m.get_one::<usize>("finetune-epochs") == Some(&0) {
        return Err(CliError("--finetune-epochs must be at least 1".into()));
    }
    Ok(RunConfig {
        search,
        validation_folds,
        finetune: m.get_flag("finetune").then(|| {
            let d = FinetuneConfig::default();
            FinetuneConfig {
                max_epochs: m
                    .get_one::<usize>("finetune-epochs")
                    .copied()
                    .unwrap_or(d.max_epochs),
                learning_rate: m
                    .get_one::<f32>("finetune-lr")
                    .copied()
                    .unwrap_or(d.learning_rate),
                ..d
            }
        }),
        split: match m.get_one::<String>("split").map(String::as_str) {
            Some("speaker") => SplitKind::Speaker,
            Some("loso") => SplitKind::LeaveOneSpeakerOut,
            _ => SplitKind::Random,
        },
        ..RunConfig::default()
    })
}

/// `ser run DATA` (or `ser demo` with `demo`).
pub(crate) fn run(m: &ArgMatches, demo: bool) -> Result<ExitCode, CliError> {
    let started = Instant::now();
    let out = m
        .get_one::<PathBuf>("out")
        .cloned()
        .unwrap_or_else(|| PathBuf::from("ser-demo"));
    let force = m.get_flag("force");
    if out.exists() && !force {
        return Err(CliError(format!(
            "{} exists; pass --force to write the report into it (only report.md, results.json and plot.svg are replaced)",
            out.display()
        )));
    }
    if out.exists() && !out.is_dir() {
        return Err(CliError(format!(
            "{} exists and is not a folder",
            out.display()
        )));
    }
    // The report folder, or the nearest folder above it that exists (it is made later), must
    // take new files: found now, not after the whole run.
    let writable = out
        .ancestors()
        .find(|a| a.is_dir())
        .unwrap_or(Path::new("."));
    check_folder_takes_files(writable, &out)?;
    let quiet = m.get_flag("quiet");
    let seeds = parse_seeds(
        m.get_one::<String>("seeds")
            .map_or(if demo { "0..4" } else { "0..9" }, String::as_str),
    )?;
    let config = config(m)?;
    let features = FeatureConfig::default();
    let extractor = FeatureExtractor::new(features.clone())?;

    // Features, through the cache.
    // `ser demo` has neither.
    let data_path = m.try_get_one::<PathBuf>("data").ok().flatten();
    let kind: CorpusKind = m
        .try_get_one::<String>("corpus")
        .ok()
        .flatten()
        .map_or("auto", String::as_str)
        .parse()?;
    let paths: Vec<PathBuf> = data_path.cloned().into_iter().collect();
    let items = list(&paths, &kind, demo)?;
    let cache_dir = if m.get_flag("no-cache") {
        None
    } else {
        m.get_one::<PathBuf>("cache")
            .cloned()
            .or_else(Cache::default_dir)
    };
    let cache = cache_dir.map(|d| Cache::new(d, &extractor)).transpose()?;
    let pool = thread_pool(m.get_one::<usize>("jobs").copied())?;
    let t = Instant::now();
    let (rows, failed, hits) = extract_cached(&items, &extractor, &pool, quiet, cache.as_ref());
    let cached = match cache {
        Some(_) => format!("{hits} from the cache"),
        None => "not cached: --no-cache".into(),
    };
    eprintln!(
        "features: {} files ({cached}), {failed} failed, {:.1} s",
        rows.len(),
        t.elapsed().as_secs_f64()
    );
    if rows.is_empty() {
        return Err(CliError("no file could be read".into()));
    }
    let data = labelled_dataset(&rows, &extractor, &kind.to_string())?;

    // One run per seed.
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(seeds.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} seed {pos}/{len}, {elapsed} elapsed, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Seeds in parallel: each is computed on one thread from its seed alone, so the results do
    // not depend on the number of threads.
    let runs = pool.install(|| {
        seeds
            .par_iter()
            .map(|&seed| {
                let run = run_seed(&data, &features, seed, &config);
                bar.inc(1);
                run
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    bar.finish_and_clear();
    let summary = summarize(&runs);
    let widths: Vec<usize> = std::iter::once(extractor.dim())
        .chain(config.train.hidden.iter().copied())
        .chain(std::iter::once(data.classes.len()))
        .collect();
    let params: usize = widths.windows(2).map(|w| w[0] * w[1] + w[1]).sum();
    let command = std::env::args()
        .map(|a| if a.contains(' ') { format!("'{a}'") } else { a })
        .collect::<Vec<_>>()
        .join(" ");
    let meta = ReportMeta {
        corpus: if demo {
            "built-in demo corpus".into()
        } else {
            data_path.map_or(String::new(), |p| p.display().to_string())
        },
        files: data.len(),
        classes: data.classes.clone(),
        params,
        layers: widths
            .windows(2)
            .map(|w| format!("{}x{}", w[0], w[1]))
            .collect(),
        scorer: config.search.score.name().to_string(),
        command,
    };
    let results = json!({
        "corpus": meta.corpus,
        "files": meta.files,
        "classes": meta.classes,
        "params": meta.params,
        "config": {
            "seeds": seeds,
            "split": match config.split {
                SplitKind::Random => "random",
                SplitKind::Speaker => "speaker",
                SplitKind::LeaveOneSpeakerOut => "loso",
            },
            "test_fraction": config.test_fraction,
            "alpha": config.search.importance.alpha,
            "beta": config.search.beta,
            "margin": config.search.margin,
            "order": format!("{:?}", config.search.order),
            "search": format!("{:?}", config.search.strategy).to_lowercase(),
            "scorer": config.search.score.name(),
            "finetune": config.finetune.as_ref().map(|f| json!({
                "max_epochs": f.max_epochs,
                "learning_rate": f.learning_rate,
                "patience": f.patience,
            })),
            "validation_folds": config.validation_folds,
            "quant": {
                "granularity": format!("{:?}", config.search.quant.granularity),
                "bias": format!("{:?}", config.search.quant.bias),
                "scaling": format!("{:?}", config.search.quant.scaling),
            },
            "features": features.fingerprint(),
            "layers": meta.layers,
        },
        "runs": runs,
        "summary": summary,
        "command": meta.command,
        "seconds": started.elapsed().as_secs_f64(),
    });
    std::fs::create_dir_all(&out).map_err(|e| CliError(format!("{}: {e}", out.display())))?;
    let report = markdown(&meta, &runs, &summary);
    let write = |name: &str, text: &[u8]| -> Result<(), CliError> {
        write_atomically(&out.join(name), |w| w.write_all(text))
    };
    write(
        "results.json",
        serde_json::to_string_pretty(&results)?.as_bytes(),
    )?;
    write("report.md", report.as_bytes())?;
    write("plot.svg", svg(&summary).as_bytes())?;
    print_summary(&summary, &out)?;
    eprintln!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

fn print_summary(s: &ser_adaptive::search::Summary, out: &Path) -> Result<(), CliError> {
    outln!(
        "{:<24} {:>16} {:>10} {:>9}",
        "model",
        "test WA %",
        "size KB",
        "avg bits"
    )?;
    let line = |name: &str, e: &ser_adaptive::search::EvaluatedSummary| {
        outln!(
            "{:<24} {:>8.2} ± {:<5.2} {:>10.2} {:>9.3}",
            name,
            e.accuracy.mean,
            e.accuracy.std,
            e.size_kb.mean,
            e.average_bits.mean
        )
    };
    line("baseline (32-bit)", &s.baseline)?;
    for (i, f) in s.fixed.iter().enumerate().rev() {
        line(&format!("fixed {}-bit", i + 1), f)?;
    }
    line("adaptive", &s.adaptive)?;
    if let Some(f) = &s.adaptive_finetuned {
        line("adaptive + fine-tuning", f)?;
    }
    outln!(
        "adaptive minus baseline, paired over seeds: {:+.2} ± {:.2} points{}",
        s.adaptive_vs_baseline.mean,
        s.adaptive_vs_baseline.std,
        s.finetuned_vs_baseline.map_or(String::new(), |f| format!(
            " (fine-tuned {:+.2} ± {:.2})",
            f.mean, f.std
        ))
    )?;
    outln!(
        "report: {} (search {:.3} s per seed)",
        out.join("report.md").display(),
        s.search_seconds.mean
    )
}

#[cfg(test)]
mod tests {
    use super::parse_seeds;

    #[test]
    fn seeds_parse_as_inclusive_ranges_or_lists() {
        assert_eq!(parse_seeds("0..9").unwrap().len(), 10);
        assert_eq!(parse_seeds("3..=5").unwrap(), vec![3, 4, 5]);
        assert_eq!(parse_seeds("7, 1,2").unwrap(), vec![7, 1, 2]);
        for bad in ["", "a..b", "5..2", "1,1", "0..5000", "-1"] {
            assert!(parse_seeds(bad).is_err(), "{bad}");
        }
    }
}
