//! Reports of a run over seeds: the summary (mean and spread) and the poster's table in
//! Markdown.

use std::fmt::Write as _;

use ser_model::Evaluated;
use serde::{Deserialize, Serialize};

use crate::run::SeedRun;

/// Mean and sample standard deviation (n - 1; 0 for a single value) over seeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// The mean.
    pub mean: f64,
    /// The sample standard deviation.
    pub std: f64,
}

impl Stat {
    /// Of `values` (NaN when empty).
    pub fn of(values: &[f64]) -> Stat {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let std = if values.len() > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        Stat { mean, std }
    }
}

/// [`Evaluated`] over seeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EvaluatedSummary {
    /// Test WA, percent.
    pub accuracy: Stat,
    /// Test UA, percent.
    pub ua: Stat,
    /// The poster's size, KB.
    pub size_kb: Stat,
    /// Bytes on disk.
    pub bytes: Stat,
    /// Average bits.
    pub average_bits: Stat,
}

impl EvaluatedSummary {
    fn of(items: &[&Evaluated]) -> Self {
        let get =
            |f: fn(&Evaluated) -> f64| Stat::of(&items.iter().map(|e| f(e)).collect::<Vec<_>>());
        EvaluatedSummary {
            accuracy: get(|e| e.accuracy),
            ua: get(|e| e.ua),
            size_kb: get(|e| e.size_kb),
            bytes: get(|e| e.bytes as f64),
            average_bits: get(|e| e.average_bits),
        }
    }
}

/// Every model's figures over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Seeds summarised.
    pub seeds: usize,
    /// The f32 baseline.
    pub baseline: EvaluatedSummary,
    /// Every layer at 1..=8 bits, in that order.
    pub fixed: Vec<EvaluatedSummary>,
    /// The adaptive model.
    pub adaptive: EvaluatedSummary,
    /// The adaptive model fine-tuned, when every seed ran it.
    pub adaptive_finetuned: Option<EvaluatedSummary>,
    /// Seconds per adaptive search.
    pub search_seconds: Stat,
    /// Test WA of the adaptive model minus the baseline's, seed by seed (points).
    pub adaptive_vs_baseline: Stat,
    /// The same for the fine-tuned adaptive model, when every seed ran it.
    pub finetuned_vs_baseline: Option<Stat>,
    /// The budget mode's model, when every seed ran it (absent in older files).
    #[serde(default)]
    pub budgeted: Option<EvaluatedSummary>,
    /// Its test WA minus the baseline's, seed by seed (points).
    #[serde(default)]
    pub budgeted_vs_baseline: Option<Stat>,
    /// The budget mode's model fine-tuned, when every seed ran both.
    #[serde(default)]
    pub budgeted_finetuned: Option<EvaluatedSummary>,
    /// Its test WA minus the baseline's.
    #[serde(default)]
    pub budgeted_finetuned_vs_baseline: Option<Stat>,
}

/// Summarises the runs (at least one).
pub fn summarize(runs: &[SeedRun]) -> Summary {
    let all = |f: fn(&SeedRun) -> &Evaluated| {
        EvaluatedSummary::of(&runs.iter().map(f).collect::<Vec<_>>())
    };
    let fixed_len = runs.iter().map(|r| r.fixed.len()).min().unwrap_or(0);
    let finetuned: Option<Vec<&Evaluated>> =
        runs.iter().map(|r| r.adaptive_finetuned.as_ref()).collect();
    let budgeted: Option<Vec<&Evaluated>> = runs
        .iter()
        .map(|r| r.budgeted.as_ref().map(|b| &b.model))
        .collect();
    Summary {
        seeds: runs.len(),
        baseline: all(|r| &r.baseline),
        fixed: (0..fixed_len)
            .map(|i| EvaluatedSummary::of(&runs.iter().map(|r| &r.fixed[i]).collect::<Vec<_>>()))
            .collect(),
        adaptive: all(|r| &r.adaptive),
        adaptive_finetuned: finetuned
            .filter(|f| !f.is_empty())
            .map(|f| EvaluatedSummary::of(&f)),
        search_seconds: Stat::of(&runs.iter().map(|r| r.search_seconds).collect::<Vec<_>>()),
        adaptive_vs_baseline: paired(runs, |r| Some(&r.adaptive)).unwrap_or(Stat {
            mean: f64::NAN,
            std: f64::NAN,
        }),
        finetuned_vs_baseline: paired(runs, |r| r.adaptive_finetuned.as_ref()),
        budgeted: budgeted
            .filter(|b| !b.is_empty())
            .map(|b| EvaluatedSummary::of(&b)),
        budgeted_vs_baseline: paired(runs, |r| r.budgeted.as_ref().map(|b| &b.model)),
        budgeted_finetuned: runs
            .iter()
            .map(|r| r.budgeted.as_ref().and_then(|b| b.finetuned.as_ref()))
            .collect::<Option<Vec<_>>>()
            .filter(|b| !b.is_empty())
            .map(|b| EvaluatedSummary::of(&b)),
        budgeted_finetuned_vs_baseline: paired(runs, |r| {
            r.budgeted.as_ref().and_then(|b| b.finetuned.as_ref())
        }),
    }
}

/// Test WA of `model` minus the baseline's over seeds (None when a seed lacks the model).
fn paired(runs: &[SeedRun], model: fn(&SeedRun) -> Option<&Evaluated>) -> Option<Stat> {
    let d: Option<Vec<f64>> = runs
        .iter()
        .map(|r| model(r).map(|m| m.accuracy - r.baseline.accuracy))
        .collect();
    d.filter(|d| !d.is_empty()).map(|d| Stat::of(&d))
}

impl Stat {
    /// The standard error of the mean over `n` values: `std / sqrt(n)`.
    pub fn stderr(&self, n: usize) -> f64 {
        self.std / (n as f64).sqrt()
    }
}

/// What a report says about the run besides the numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportMeta {
    /// The data, as given.
    pub corpus: String,
    /// Files (rows) used.
    pub files: usize,
    /// Class names.
    pub classes: Vec<String>,
    /// Parameters of the network.
    pub params: usize,
    /// Layer shapes, `inputs x outputs`.
    pub layers: Vec<String>,
    /// What ranked the layers: `poster`, `hessian-trace` or `sensitivity`.
    pub scorer: String,
    /// The named method the settings started from (`poster` or `best`).
    #[serde(default)]
    pub method: crate::Method,
    /// The budget mode's limit in words (`2 average bits`), when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<String>,
    /// The command that made the report.
    pub command: String,
}

impl ReportMeta {
    /// What a report says of a run of `config` on `data` (read from `corpus`), the network
    /// taking `data`'s columns: its shapes and parameters follow from the configuration.
    pub fn new(
        corpus: String,
        data: &ser_data::Dataset,
        config: &crate::RunConfig,
        command: String,
    ) -> Self {
        let widths: Vec<usize> = std::iter::once(data.feature_names.len())
            .chain(config.train.hidden.iter().copied())
            .chain(std::iter::once(data.classes.len()))
            .collect();
        ReportMeta {
            corpus,
            files: data.len(),
            classes: data.classes.clone(),
            params: widths.windows(2).map(|w| w[0] * w[1] + w[1]).sum(),
            layers: widths
                .windows(2)
                .map(|w| format!("{}x{}", w[0], w[1]))
                .collect(),
            scorer: config.search.score.name().to_string(),
            method: config.method,
            budget: config.budget.map(|b| format!("{} {}", b.limit(), b.unit())),
            command,
        }
    }
}

fn pm(s: Stat, digits: usize) -> String {
    format!("{:.*} ± {:.*}", digits, s.mean, digits, s.std)
}

fn row(out: &mut String, name: &str, s: &EvaluatedSummary, widths: &str) {
    let _ = writeln!(
        out,
        "| {name} | {} | {} | {:.2} | {:.0} | {:.3} | {widths} |",
        pm(s.accuracy, 2),
        pm(s.ua, 2),
        s.size_kb.mean,
        s.bytes.mean,
        s.average_bits.mean
    );
}

fn join(w: &[u8]) -> String {
    w.iter().map(u8::to_string).collect::<Vec<_>>().join("-")
}

/// The report in Markdown: the poster's table (mean ± std over seeds), per-seed widths and
/// importance, and the command.
pub fn markdown(meta: &ReportMeta, runs: &[SeedRun], summary: &Summary) -> String {
    let mut out = String::new();
    poster_table(&mut out, meta, runs, summary);
    per_seed(&mut out, runs);
    pareto_fronts(&mut out, runs);
    mix_fronts(&mut out, meta, runs);
    how_layers_were_searched(&mut out, meta);
    let _ = writeln!(out, "## Command\n\n```sh\n{}\n```", meta.command);
    out
}

/// The title, the data, and the poster's table over seeds with the paired differences.
fn poster_table(out: &mut String, meta: &ReportMeta, runs: &[SeedRun], summary: &Summary) {
    let _ = writeln!(out, "# ser-adaptive report\n");
    let _ = writeln!(
        out,
        "Method: `{}`. Data: `{}`, {} files, {} classes ({}). Network: {} ({} parameters). \
         Seeds: {}.\n",
        meta.method.name(),
        meta.corpus,
        meta.files,
        meta.classes.len(),
        meta.classes.join(", "),
        meta.layers.join(", "),
        meta.params,
        runs.iter()
            .map(|r| r.seed.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "Test accuracy (WA) and unweighted average recall (UA) in percent, mean ± sample std over \
         the seeds; size in the poster's KB (`params x bits / 8 / 1000`) and in bytes of the model \
         file (f32: `ser train`'s; quantized: the packed file `ser quantize` writes).\n"
    );
    let _ = writeln!(
        out,
        "| model | WA % | UA % | size KB | bytes on disk | average bits | widths per layer |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---|");
    row(out, "baseline (32-bit)", &summary.baseline, "32 everywhere");
    for (i, s) in summary.fixed.iter().enumerate().rev() {
        row(
            out,
            &format!("fixed {}-bit", i + 1),
            s,
            &format!("{} everywhere", i + 1),
        );
    }
    row(out, "adaptive", &summary.adaptive, "per seed, below");
    if let Some(f) = &summary.adaptive_finetuned {
        row(out, "adaptive + fine-tuning", f, "as adaptive");
    }
    if let Some(b) = &summary.budgeted {
        row(
            out,
            "within the budget (every mix scored)",
            b,
            "per seed, in results.json",
        );
    }
    if let Some(b) = &summary.budgeted_finetuned {
        row(
            out,
            "within the budget + fine-tuning",
            b,
            "as within the budget",
        );
    }
    let n = summary.seeds;
    let _ = writeln!(
        out,
        "\nPaired over seeds, test WA minus the baseline's: adaptive {:+.2} ± {:.2} points \
         (standard error of the mean {:.2}){}.",
        summary.adaptive_vs_baseline.mean,
        summary.adaptive_vs_baseline.std,
        summary.adaptive_vs_baseline.stderr(n),
        summary
            .finetuned_vs_baseline
            .map_or(String::new(), |f| format!(
                "; fine-tuned {:+.2} ± {:.2} (standard error {:.2})",
                f.mean,
                f.std,
                f.stderr(n)
            ))
    );
    if let Some(b) = summary.budgeted_vs_baseline {
        let _ = writeln!(
            out,
            "\nWithin the budget, minus the baseline: {:+.2} ± {:.2} points (standard error \
             {:.2}){}.",
            b.mean,
            b.std,
            b.stderr(n),
            summary
                .budgeted_finetuned_vs_baseline
                .map_or(String::new(), |f| format!(
                    "; fine-tuned {:+.2} ± {:.2} (standard error {:.2})",
                    f.mean,
                    f.std,
                    f.stderr(n)
                ))
        );
    }
}

/// The widths, scores and search figures of every seed.
fn per_seed(out: &mut String, runs: &[SeedRun]) {
    let _ = writeln!(out, "\n## Per seed\n");
    let _ = writeln!(
        out,
        "| seed | baseline WA % | adaptive WA % | widths per layer | average bits | search order | score per layer | search WA % (baseline / adaptive) | search rows | search s |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---|---:|---|---|---|---:|---:|");
    for r in runs {
        let _ = writeln!(
            out,
            "| {} | {:.2} | {:.2} | {} | {:.3} | {} | {} | {:.2} / {:.2} | {} | {:.3} |",
            r.seed,
            r.baseline.accuracy,
            r.adaptive.accuracy,
            join(&r.adaptive.bits_per_layer),
            r.adaptive.average_bits,
            r.search_order
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(" > "),
            r.importance
                .iter()
                .map(|v| format!("{v:.3}"))
                .collect::<Vec<_>>()
                .join(", "),
            r.validation_accuracy[0],
            r.validation_accuracy[1],
            r.search_rows,
            r.search_seconds
        );
    }
}

/// Each seed's Pareto front of what the search tried.
fn pareto_fronts(out: &mut String, runs: &[SeedRun]) {
    let _ = writeln!(
        out,
        "\n## Pareto front\n\nPer seed, the points (average bits: search accuracy %) that no other \
         model tried beats on both: the f32 baseline, every fixed width and every trial of the \
         search, judged on the search's rows (validation, never test).\n"
    );
    for r in runs {
        let _ = writeln!(
            out,
            "- seed {}: {}",
            r.seed,
            r.pareto
                .iter()
                .map(|[b, a]| format!("{b:.2}: {a:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

/// Each seed's exact front over every mix of widths, when the budget mode ran.
fn mix_fronts(out: &mut String, meta: &ReportMeta, runs: &[SeedRun]) {
    let Some(budget) = &meta.budget else {
        return;
    };
    let unit = budget.split_once(' ').map_or("", |(_, u)| u);
    let _ = writeln!(
        out,
        "\n## Every mix of widths (the budget mode)\n\nThe budget: at most {budget}. Per seed, \
         the Pareto front of ({unit}: search accuracy %) over every mix of widths scored on the \
         search's rows, then the mix chosen (the most accurate within the budget); front.svg \
         draws the first seed's beside the margin search's.\n"
    );
    for r in runs {
        let Some(b) = &r.budgeted else { continue };
        let _ = writeln!(
            out,
            "- seed {} ({} mixes{}, {:.2} s): {}; chosen {} at {:.2} %",
            r.seed,
            b.scored,
            if b.exact { "" } else { " by the proxy" },
            b.seconds,
            b.front
                .iter()
                .map(|[c, a]| format!("{c:.3}: {a:.2}"))
                .collect::<Vec<_>>()
                .join(", "),
            join(&b.model.bits_per_layer),
            b.search_accuracy
        );
    }
}

/// How the layers were ranked and searched.
fn how_layers_were_searched(out: &mut String, meta: &ReportMeta) {
    let how = if meta.scorer == "poster" {
        "the poster's importance (`a Np + (1 - a) Nv`)".to_string()
    } else {
        format!(
            "the `{}` score, scaled to [0, 1] by the largest layer's",
            meta.scorer
        )
    };
    let _ = writeln!(
        out,
        "\nLayers are numbered from the input (0). The search ranks them by {how} and decides \
         the most important first (unless told otherwise), each within `T_margin - beta * score` \
         of the baseline; accuracy during the search is measured on the validation rows (with \
         `--folds K`, pooled with K fold models' held-out rows), never the test rows.\n"
    );
}
