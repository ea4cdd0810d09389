//! `ser run` and `ser demo`: the whole method, end to end, with a report folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::ArgMatches;
use indicatif::ProgressBar;
use ser_adaptive::data::{Extraction, FeatureCache};
use ser_adaptive::experiment::{
    EvaluatedSummary, Experiment, ExperimentError, Method, Observer, RunConfig, Stage, Summary,
};
use ser_adaptive::importance::{HessianTrace, Order, Sensitivity};
use ser_adaptive::mlp::{Distillation, GptqConfig};
use ser_adaptive::search::{Budget, FinetuneConfig, LayerScore, MixScore, Strategy};

use crate::CliError;
use crate::data::{corpus_kind, demo_corpus, progress_bar, sources, thread_pool};
use crate::output::{check_folder_takes_files, outln};

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

/// Whether the user gave `id` on the command line (not its default).
fn given(m: &ArgMatches, id: &str) -> bool {
    m.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
}

fn config(m: &ArgMatches) -> Result<RunConfig, CliError> {
    let method = m.get_one::<Method>("method").copied().unwrap_or_default();
    // The method's settings, each replaced by what the user gave.
    let base = RunConfig::for_method(method, m.get_flag("finetune"));
    let mut search = base.search.clone();
    search.importance.alpha = number(m, "alpha", 0.5)?;
    search.beta = number(m, "beta", 1.0)?;
    search.margin = number(m, "margin", 2.0)?;
    if !(0.0..=1.0).contains(&search.importance.alpha) {
        return Err(CliError(format!(
            "--alpha must lie in [0, 1], got {}",
            search.importance.alpha
        )));
    }
    search.order = m.get_one::<Order>("order").copied().unwrap_or_default();
    search.score = match m.get_one::<String>("scorer").map(String::as_str) {
        Some("hessian") => LayerScore::HessianTrace(HessianTrace::default()),
        Some("sensitivity") => LayerScore::Sensitivity(Sensitivity::default()),
        _ => LayerScore::Poster,
    };
    search.strategy = m.get_one::<Strategy>("search").copied().unwrap_or_default();
    search.quant = crate::quantize::options(m, base.search.quant);
    if let Some(&score) = m.get_one::<MixScore>("budget-score") {
        search.mix_score = score;
    }
    if m.get_flag("gptq") {
        search.gptq = Some(GptqConfig::default());
    }
    let validation_folds = if given(m, "folds") {
        m.get_one::<usize>("folds").copied().unwrap_or(0)
    } else {
        base.validation_folds
    };
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
    let config = RunConfig {
        method,
        search,
        validation_folds,
        finetune: base.finetune.map(|d| FinetuneConfig {
            max_epochs: m
                .get_one::<usize>("finetune-epochs")
                .copied()
                .unwrap_or(d.max_epochs),
            learning_rate: m
                .get_one::<f32>("finetune-lr")
                .copied()
                .unwrap_or(d.learning_rate),
            distillation: if m.get_flag("distill") {
                let plain = Distillation::default();
                Some(Distillation {
                    weight: m
                        .get_one::<f32>("distill-weight")
                        .copied()
                        .unwrap_or(plain.weight),
                    ..plain
                })
            } else {
                d.distillation
            },
            from_quantized: match m.get_one::<String>("finetune-from").map(String::as_str) {
                Some(from) => from == "quantized",
                None => d.from_quantized,
            },
            ..d
        }),
        split: m
            .get_one::<String>("split")
            .map_or("random", String::as_str)
            .parse()
            .map_err(|e| CliError(format!("--split: {e}")))?,
        train: crate::train::training_options(m, RunConfig::default().train)?,
        budget: match (
            m.get_one::<f64>("target-bits"),
            m.get_one::<f64>("budget-kb"),
        ) {
            (Some(&b), _) => Some(Budget::AverageBits(b)),
            (None, Some(&kb)) if kb.is_finite() && kb > 0.0 => {
                Some(Budget::Bytes((kb * 1000.0).floor() as u64))
            }
            (None, Some(kb)) => {
                return Err(CliError(format!(
                    "--budget-kb must be a number > 0, got {kb}"
                )));
            }
            (None, None) => base.budget,
        },
        folds_at_baseline_epochs: match m.get_one::<String>("fold-epochs").map(String::as_str) {
            Some(how) => how == "baseline",
            None => base.folds_at_baseline_epochs,
        },
    };
    config.validate()?;
    Ok(config)
}

/// Fails unless `out` can become the report folder: new, or existing with `--force`, and in a
/// folder that takes new files (found now, not after the whole run).
fn check_report_folder(out: &Path, force: bool) -> Result<(), CliError> {
    if out.exists() && !force {
        return Err(CliError(format!(
            "{} exists; pass --force to write the report into it (only report.md, results.json, plot.svg and front.svg are replaced)",
            out.display()
        )));
    }
    if out.exists() && !out.is_dir() {
        return Err(CliError(format!(
            "{} exists and is not a folder",
            out.display()
        )));
    }
    // The report folder, or the nearest folder above it that exists (it is made later).
    let writable = out
        .ancestors()
        .find(|a| a.is_dir())
        .unwrap_or(Path::new("."));
    check_folder_takes_files(writable, out)
}

/// Progress bars for the files and the seeds, and the extraction's messages, on stderr.
struct Progress {
    quiet: bool,
    no_cache: bool,
    bar: std::sync::Mutex<Option<ProgressBar>>,
}

impl Progress {
    fn bar(&self) -> Option<ProgressBar> {
        self.bar
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl Observer for Progress {
    fn start(&self, stage: Stage, total: usize) {
        let what = match stage {
            Stage::Features => "files",
            Stage::Seeds => "seeds",
        };
        let old = self
            .bar
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .replace(progress_bar(total, what, self.quiet));
        if let Some(old) = old {
            old.finish_and_clear();
        }
    }

    fn step(&self, _stage: Stage) {
        if let Some(bar) = self.bar() {
            bar.inc(1);
        }
    }

    fn extracted(&self, extraction: &Extraction, seconds: f64) {
        if let Some(bar) = self.bar() {
            bar.finish_and_clear();
        }
        for (_, e) in &extraction.failures {
            eprintln!("error: {e}");
        }
        eprintln!(
            "features: {} files ({}), {} failed, {seconds:.1} s",
            extraction.rows.len(),
            if self.no_cache {
                "not cached: --no-cache".to_string()
            } else {
                format!("{} from the cache", extraction.cache_hits)
            },
            extraction.failures.len(),
        );
    }
}

/// The command line, as the report quotes it.
fn command_line() -> String {
    std::env::args()
        .map(|a| if a.contains(' ') { format!("'{a}'") } else { a })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `ser run DATA` (or `ser demo` with `demo`).
pub(crate) fn run(m: &ArgMatches, demo: bool) -> Result<ExitCode, CliError> {
    let started = Instant::now();
    let out = m
        .get_one::<PathBuf>("out")
        .cloned()
        .unwrap_or_else(|| PathBuf::from("ser-demo"));
    check_report_folder(&out, m.get_flag("force"))?;
    let seeds = parse_seeds(
        m.get_one::<String>("seeds")
            .map_or(if demo { "0..4" } else { "0..9" }, String::as_str),
    )?;
    let mut experiment = Experiment::new(config(m)?, seeds);
    experiment.cache = if m.get_flag("no-cache") {
        None
    } else {
        m.get_one::<PathBuf>("cache")
            .cloned()
            .or_else(FeatureCache::default_dir)
    };
    let data: Option<&PathBuf> = m.try_get_one::<PathBuf>("data").ok().flatten();
    experiment.corpus = match (demo, data) {
        (true, _) => "built-in demo corpus".into(),
        (false, Some(p)) => p.display().to_string(),
        (false, None) => String::new(),
    };
    experiment.command = command_line();
    let kind = corpus_kind(m)?;
    let sources = sources(
        &data.cloned().into_iter().collect::<Vec<_>>(),
        &kind,
        demo_corpus(m, demo),
    )?;
    let pool = thread_pool(m.get_one::<usize>("jobs").copied())?;
    let progress = Progress {
        quiet: m.get_flag("quiet"),
        no_cache: experiment.cache.is_none(),
        bar: std::sync::Mutex::new(None),
    };
    let results = pool
        .install(|| experiment.run(sources, &progress))
        .map_err(|e| match e {
            ExperimentError::Dataset(e) => {
                CliError(format!("{e} (this data was read as `--corpus {kind}`)"))
            }
            e => e.into(),
        })?;
    if let Some(bar) = progress.bar() {
        bar.finish_and_clear();
    }
    results.write_dir(&out)?;
    print_summary(&results.summary, &out)?;
    eprintln!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

fn print_summary(s: &Summary, out: &Path) -> Result<(), CliError> {
    outln!(
        "{:<24} {:>16} {:>10} {:>9}",
        "model",
        "test WA %",
        "size KB",
        "avg bits"
    )?;
    let line = |name: &str, e: &EvaluatedSummary| {
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
    if let Some(b) = &s.budgeted {
        line("within the budget", b)?;
    }
    if let Some(b) = &s.budgeted_finetuned {
        line("budget + fine-tuning", b)?;
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
    if let Some(b) = &s.budgeted_vs_baseline {
        outln!(
            "within the budget minus baseline: {:+.2} ± {:.2} points (standard error){}",
            b.mean,
            b.stderr(s.seeds),
            s.budgeted_finetuned_vs_baseline
                .map_or(String::new(), |f| format!(
                    "; fine-tuned {:+.2} ± {:.2}",
                    f.mean,
                    f.stderr(s.seeds)
                ))
        )?;
    }
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
