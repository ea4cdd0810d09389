//! `ser train`: the baseline MLP, trained and tested fold by fold, and the model saved.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ArgMatches;
use ser_adaptive::data::{Dataset, SplitSpec};
use ser_adaptive::mlp::{EpochStats, Metrics, StopOn, TrainConfig};
use ser_adaptive::model::{CrossValidation, Fold, Preset, SplitFile, cross_validate};
use serde_json::{Value, json};

use crate::CliError;
use crate::data::labelled_data;
use crate::output::{check_writable, outln, write_atomically};
use crate::report::{metrics_json, print_metrics};

fn parse_hidden(text: &str) -> Result<Vec<usize>, CliError> {
    text.split(',')
        .map(|s| s.trim().parse::<usize>().ok().filter(|&n| n > 0))
        .collect::<Option<Vec<_>>>()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            CliError(format!(
                "--hidden: expected sizes like 256,512,64, got `{text}`"
            ))
        })
}

/// `--split`, with `--test-fraction` for a plain `random`.
fn split_spec(m: &ArgMatches) -> Result<SplitSpec, CliError> {
    let text = m
        .get_one::<String>("split")
        .map_or("random", String::as_str);
    let spec: SplitSpec = text
        .parse()
        .map_err(|e| CliError(format!("--split: {e}")))?;
    let given = m.value_source("test-fraction") == Some(clap::parser::ValueSource::CommandLine);
    match m.get_one::<f64>("test-fraction") {
        Some(_) if given && text != "random" => Err(CliError(format!(
            "--test-fraction is the test share of `--split random`; with `--split {text}` drop \
             it (or say --split random:F)"
        ))),
        Some(&f) if !(f > 0.0 && f < 1.0) => Err(CliError(format!(
            "--test-fraction must be in (0, 1), got {f}"
        ))),
        Some(&test_fraction) if text == "random" => Ok(SplitSpec::Random { test_fraction }),
        _ => Ok(spec),
    }
}

fn train_config(m: &ArgMatches, preset: Preset) -> Result<TrainConfig, CliError> {
    let base = TrainConfig {
        hidden: match m.get_one::<String>("hidden") {
            Some(text) => parse_hidden(text)?,
            None => preset.hidden(),
        },
        seed: m.get_one::<u64>("seed").copied().unwrap_or(0),
        ..TrainConfig::default()
    };
    training_options(m, base)
}

/// `base` with the options of `training_args` that were given.
pub(crate) fn training_options(m: &ArgMatches, base: TrainConfig) -> Result<TrainConfig, CliError> {
    let config = TrainConfig {
        max_epochs: m
            .get_one::<usize>("max-epochs")
            .copied()
            .unwrap_or(base.max_epochs),
        patience: m
            .get_one::<usize>("patience")
            .copied()
            .unwrap_or(base.patience),
        stop_on: m
            .get_one::<StopOn>("stop-on")
            .copied()
            .unwrap_or(base.stop_on),
        min_delta: m
            .get_one::<f32>("min-delta")
            .copied()
            .unwrap_or(base.min_delta),
        restore_best: base.restore_best && !m.get_flag("no-restore-best"),
        weight_decay: m
            .get_one::<f32>("weight-decay")
            .copied()
            .unwrap_or(base.weight_decay),
        early_stopping: base.early_stopping && !m.get_flag("no-early-stopping"),
        ..base
    };
    config.validate()?;
    Ok(config)
}

pub(crate) fn train(m: &ArgMatches) -> Result<ExitCode, CliError> {
    let out = m
        .get_one::<PathBuf>("out")
        .cloned()
        .ok_or_else(|| CliError("--out MODEL is required".into()))?;
    check_writable(&out, m.get_flag("force"))?;
    let save_split = m.get_one::<PathBuf>("save-split");
    if let Some(path) = save_split {
        // Checked before any work, so an existing file fails fast, not after training.
        check_writable(path, m.get_flag("force"))?;
    }
    let preset = m.get_one::<Preset>("preset").copied().unwrap_or_default();
    let config = train_config(m, preset)?;
    let split = split_spec(m)?;
    let json_out = m.get_flag("json");
    let verbose = !m.get_flag("quiet") && !json_out;
    let (data, features) = labelled_data(m, &preset.features(), false)?;
    eprintln!(
        "data: {} rows, {} features, classes {:?}",
        data.len(),
        data.feature_names.len(),
        data.classes
    );
    let mut on_epoch = |fold: &str, e: &EpochStats| {
        if verbose {
            eprintln!(
                "[{fold}] epoch {:>3}: train loss {:.4}, validation loss {:.4}, validation accuracy {:.1} %",
                e.epoch,
                e.train_loss,
                e.val_loss.unwrap_or(f32::NAN),
                100.0 * e.val_accuracy.unwrap_or(f32::NAN)
            );
        }
    };
    let cv = cross_validate(&data, &split, &config, &features, &mut on_epoch)?;
    cv.model.model.save(&out)?;
    if let Some(path) = save_split {
        write_split(path, &cv, &data, &split, config.seed)?;
    }
    if json_out {
        outln!("{}", train_json(&cv, &data, &split, config.seed, &out))?;
    } else {
        print_folds(&cv, &data.classes, &out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The folds' rows as JSON (`SplitFile`), for other tools (`scripts/compare_sklearn.py`) to
/// train on the same rows.
fn write_split(
    path: &std::path::Path,
    cv: &CrossValidation,
    data: &Dataset,
    split: &SplitSpec,
    seed: u64,
) -> Result<(), CliError> {
    let file = SplitFile::new(cv, data, split, seed);
    write_atomically(path, |w| writeln!(w, "{}", file.to_json()))
}

fn tested(cv: &CrossValidation) -> Vec<(&Fold, &Metrics)> {
    cv.folds
        .iter()
        .filter_map(|f| f.metrics.as_ref().map(|m| (f, m)))
        .collect()
}

fn train_json(
    cv: &CrossValidation,
    data: &Dataset,
    split: &SplitSpec,
    seed: u64,
    out: &std::path::Path,
) -> Value {
    let s = cv.summary();
    let kept = &cv.model.model;
    let mut report = json!({
        "accuracy": s.accuracy.mean,
        "ua": s.ua.mean,
        "macro_f1": s.macro_f1.mean,
        "confusion": s.confusion,
        "classes": data.classes,
        "epochs": kept.training.as_ref().map(|t| t.epochs),
        "train_seconds": s.train_seconds,
        "split": split.to_string(),
        "seed": seed,
        "params": kept.network.params(),
        "rows": data.len(),
        "model": out.display().to_string(),
    });
    if cv.folds.len() > 1 {
        report["accuracy_std"] = json!(s.accuracy.std);
        report["ua_std"] = json!(s.ua.std);
        report["folds"] = tested(cv)
            .iter()
            .map(|(f, m)| {
                let mut v = metrics_json(m, &data.classes);
                v["fold"] = json!(f.name);
                v["epochs"] = json!(f.model.training.as_ref().map(|t| t.epochs));
                v["train_seconds"] = json!(f.seconds);
                v["test_rows"] = json!(m.support.iter().sum::<usize>());
                v
            })
            .collect();
    }
    report
}

fn print_folds(
    cv: &CrossValidation,
    classes: &[String],
    out: &std::path::Path,
) -> Result<(), CliError> {
    let epochs = |f: &Fold| f.model.training.as_ref().map_or(0, |t| t.epochs);
    let s = cv.summary();
    if cv.folds.len() > 1 {
        for (f, m) in tested(cv) {
            outln!(
                "{:<12} WA {:6.2} %  UA {:6.2} %  macro-F1 {:.4}  ({} test rows, {} epochs)",
                f.name,
                100.0 * m.accuracy,
                100.0 * m.ua,
                m.macro_f1,
                m.support.iter().sum::<usize>(),
                epochs(f)
            )?;
        }
        outln!(
            "mean over {} folds: WA {:.2} +- {:.2} %, UA {:.2} +- {:.2} %, macro-F1 {:.4}",
            tested(cv).len(),
            s.accuracy.mean,
            s.accuracy.std,
            s.ua.mean,
            s.ua.std,
            s.macro_f1.mean
        )?;
    } else if let Some((_, m)) = tested(cv).first() {
        print_metrics(m, classes)?;
    }
    let kept = &cv.model;
    let shape: Vec<String> = kept
        .model
        .network
        .shapes()
        .iter()
        .map(|(_, o)| o.to_string())
        .collect();
    outln!(
        "model: {} ({} parameters, {} epochs, best {}), written to {}; training took {:.2} s",
        shape.join("-"),
        kept.model.network.params(),
        epochs(kept),
        kept.model.training.as_ref().map_or(0, |t| t.best_epoch),
        out.display(),
        s.train_seconds
    )
}
