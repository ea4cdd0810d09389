//! `ser train`, `ser eval` and `ser predict`: the baseline MLP from the command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::ArgMatches;
use ser_adaptive::features::corpus::CorpusKind;
use ser_adaptive::features::{FeatureConfig, FeatureExtractor, FeatureGroups};
use ser_adaptive::mlp::{
    Dataset, Metrics, Model, Split, TrainConfig, argmax, classification_metrics,
    leave_one_speaker_out, stratified_kfold, stratified_split, train_model,
};
use ser_adaptive::ndarray::Axis;
use serde_json::{Value, json};

use crate::CliError;
use crate::classifier::{Classifier, known_rows};
use crate::extract::{extract_all, labelled_dataset, list, thread_pool};
use crate::output::{check_writable, out, outln};

/// The named architectures of METHOD.md.
fn preset(name: &str) -> Result<(Vec<usize>, FeatureConfig), CliError> {
    match name {
        "poster" => Ok((vec![256, 512, 64], FeatureConfig::default())),
        "paper-size" => Ok((
            vec![512, 256, 64],
            FeatureConfig {
                groups: FeatureGroups::MFCC_ONLY,
                ..FeatureConfig::default()
            },
        )),
        other => Err(CliError(format!(
            "unknown preset `{other}`: expected poster or paper-size"
        ))),
    }
}

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

/// Labelled data from a features CSV or from audio (extracted with `config`), and the feature
/// configuration the data was made with. A CSV's configuration comes from the `FILE.features`
/// file `ser features` writes beside it; with `must_match` (evaluation), one that differs from
/// `config` beyond the groups and pooling (which column selection handles) is an error.
pub(crate) fn load_data(
    m: &ArgMatches,
    config: &FeatureConfig,
    must_match: bool,
) -> Result<(Dataset, FeatureConfig), CliError> {
    let quiet = m.get_flag("quiet");
    let data = m.get_one::<PathBuf>("data");
    if let Some(path) =
        data.filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
    {
        let sidecar = crate::features::config_sidecar(path);
        let effective = match std::fs::read_to_string(&sidecar) {
            Ok(text) => {
                let made = FeatureConfig::from_fingerprint(&text)
                    .map_err(|e| CliError(format!("{}: {e}", sidecar.display())))?;
                let effective = FeatureConfig {
                    groups: config.groups,
                    pooling: config.pooling,
                    ..made
                };
                if must_match && effective != *config {
                    return Err(CliError(format!(
                        "{}: these features were made with another configuration than the model's:\n  features: {}\n  model:    {}",
                        path.display(),
                        effective.fingerprint(),
                        config.fingerprint()
                    )));
                }
                effective
            }
            Err(_) => {
                eprintln!(
                    "warning: no {} beside the features: their configuration cannot be checked; assuming {}",
                    sidecar.display(),
                    if must_match {
                        "the model's"
                    } else {
                        "the defaults"
                    }
                );
                config.clone()
            }
        };
        let data = Dataset::from_csv(path)?;
        return Ok((
            select_columns(data, &effective.feature_names(), path)?,
            effective,
        ));
    }
    let kind: CorpusKind = m
        .get_one::<String>("corpus")
        .map_or("auto", String::as_str)
        .parse()?;
    let paths: Vec<PathBuf> = data.cloned().into_iter().collect();
    let items = list(&paths, &kind, m.get_flag("demo"))?;
    let extractor = FeatureExtractor::new(config.clone())?;
    let pool = thread_pool(m.get_one::<usize>("jobs").copied())?;
    let (rows, failed) = extract_all(&items, &extractor, &pool, quiet);
    if failed > 0 {
        eprintln!("{failed} file(s) failed and are left out");
    }
    let dataset = labelled_dataset(&rows, &extractor, &kind.to_string())?;
    Ok((dataset, config.clone()))
}

/// The columns `names` of a CSV dataset, in that order; a missing one is an error.
fn select_columns(data: Dataset, names: &[String], path: &Path) -> Result<Dataset, CliError> {
    if data.feature_names == names {
        return Ok(data);
    }
    let indices =
        names
            .iter()
            .map(|n| {
                data.feature_names.iter().position(|f| f == n).ok_or_else(|| {
                CliError(format!(
                    "{}: no column `{n}`: these features were made with another configuration",
                    path.display()
                ))
            })
            })
            .collect::<Result<Vec<_>, _>>()?;
    Ok(Dataset {
        x: data.x.select(Axis(1), &indices),
        feature_names: names.to_vec(),
        ..data
    })
}

/// One trained fold: its model, test metrics, training facts and the rows it used.
struct Fold {
    name: String,
    model: Model,
    metrics: Option<Metrics>,
    seconds: f64,
    /// Rows trained on, held out for early stopping, and tested on (indices into the data).
    rows: [Vec<usize>; 3],
}

/// Trains on `train_rows` (10 % of them held out for early stopping) and tests on `test_rows`.
fn train_fold(
    data: &Dataset,
    name: String,
    train_rows: &[usize],
    test_rows: &[usize],
    config: &TrainConfig,
    features: &FeatureConfig,
    verbose: bool,
) -> Result<Fold, CliError> {
    let start = Instant::now();
    let label = name.clone();
    let mut on_epoch = |e: &ser_adaptive::mlp::EpochStats| {
        if verbose {
            eprintln!(
                "[{label}] epoch {:>3}: train loss {:.4}, validation loss {:.4}, validation accuracy {:.1} %",
                e.epoch,
                e.train_loss,
                e.val_loss.unwrap_or(f32::NAN),
                100.0 * e.val_accuracy.unwrap_or(f32::NAN)
            );
        }
    };
    let trained = train_model(data, train_rows, config, features, &mut on_epoch)?;
    let seconds = start.elapsed().as_secs_f64();
    let model = trained.model;
    let metrics = if test_rows.is_empty() {
        None
    } else {
        let test = data.subset(test_rows);
        let predicted = model.predict(test.x.view())?;
        Some(classification_metrics(
            &test.labels,
            &predicted,
            data.classes.len(),
        )?)
    };
    let rows = [
        trained.train_rows,
        trained.validation_rows,
        test_rows.to_vec(),
    ];
    Ok(Fold {
        name,
        model,
        metrics,
        seconds,
        rows,
    })
}

pub(crate) fn metrics_json(m: &Metrics, classes: &[String]) -> Value {
    json!({
        "accuracy": 100.0 * m.accuracy,
        "ua": 100.0 * m.ua,
        "macro_f1": m.macro_f1,
        "confusion": m.confusion,
        "classes": classes,
        "precision": m.precision,
        "recall": m.recall,
        "support": m.support,
    })
}

fn print_metrics(m: &Metrics, classes: &[String]) -> Result<(), CliError> {
    outln!(
        "test WA {:.2} %, UA {:.2} %, macro-F1 {:.4}",
        100.0 * m.accuracy,
        100.0 * m.ua,
        m.macro_f1
    )?;
    let width = classes.iter().map(String::len).max().unwrap_or(5).max(5);
    out!("{:>width$}", "true \\ predicted")?;
    for c in classes {
        out!(" {:>width$}", c)?;
    }
    outln!()?;
    for (c, row) in classes.iter().zip(&m.confusion) {
        out!("{:>width$}", c, width = width.max(16))?;
        for v in row {
            out!(" {v:>width$}")?;
        }
        outln!()?;
    }
    Ok(())
}

fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (
        mean,
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt(),
    )
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
    let (preset_hidden, features) = preset(
        m.get_one::<String>("preset")
            .map_or("poster", String::as_str),
    )?;
    let hidden = match m.get_one::<String>("hidden") {
        Some(text) => parse_hidden(text)?,
        None => preset_hidden,
    };
    let seed = m.get_one::<u64>("seed").copied().unwrap_or(0);
    let config = TrainConfig {
        hidden,
        seed,
        max_epochs: m.get_one::<usize>("max-epochs").copied().unwrap_or(200),
        patience: m.get_one::<usize>("patience").copied().unwrap_or(10),
        early_stopping: !m.get_flag("no-early-stopping"),
        ..TrainConfig::default()
    };
    config.validate()?;
    let split = m
        .get_one::<String>("split")
        .map_or("random", String::as_str)
        .to_string();
    let test_fraction = m.get_one::<f64>("test-fraction").copied().unwrap_or(0.1);
    let json_out = m.get_flag("json");
    let verbose = !m.get_flag("quiet") && !json_out;
    let (data, features) = load_data(m, &features, false)?;
    if data.classes.len() < 2 {
        return Err(CliError(format!(
            "training needs at least 2 classes, the data has {:?}",
            data.classes
        )));
    }
    eprintln!(
        "data: {} rows, {} features, classes {:?}",
        data.len(),
        data.feature_names.len(),
        data.classes
    );

    let folds: Vec<(String, Split)> = match split.as_str() {
        "random" => vec![(
            "random".into(),
            stratified_split(&data.labels, test_fraction, seed)?,
        )],
        "speaker" => leave_one_speaker_out(&data.speakers)?,
        other => match other
            .strip_prefix("kfold:")
            .and_then(|k| k.parse::<usize>().ok())
        {
            Some(k) => stratified_kfold(&data.labels, k, seed)?
                .into_iter()
                .enumerate()
                .map(|(i, s)| (format!("fold {}", i + 1), s))
                .collect(),
            None => {
                return Err(CliError(format!(
                    "--split: expected random, kfold:K or speaker, got `{other}`"
                )));
            }
        },
    };
    let mut trained = Vec::new();
    for (name, s) in &folds {
        trained.push(train_fold(
            &data,
            name.clone(),
            &s.train,
            &s.test,
            &config,
            &features,
            verbose,
        )?);
    }
    // One split: its model is the one saved. Folds: a final model on all the data.
    let final_fold = if folds.len() == 1 {
        trained.remove(0)
    } else {
        let all: Vec<usize> = (0..data.len()).collect();
        train_fold(
            &data,
            "final".into(),
            &all,
            &[],
            &config,
            &features,
            verbose,
        )?
    };
    let bytes = final_fold.model.to_bytes()?;
    crate::output::write_atomically(&out, |w| w.write_all(&bytes))?;
    if let Some(path) = save_split {
        // Row indices into the data as read (the CSV's row order), for other tools to reuse.
        let listed: Vec<&Fold> = if folds.len() == 1 {
            vec![&final_fold]
        } else {
            trained.iter().collect()
        };
        let report = json!({
            "split": split,
            "seed": seed,
            "rows": data.len(),
            "paths": data.paths,
            "folds": listed.iter().map(|f| json!({
                "name": f.name, "train": f.rows[0], "validation": f.rows[1], "test": f.rows[2],
            })).collect::<Vec<_>>(),
        });
        crate::output::write_atomically(path, |w| {
            use std::io::Write;
            writeln!(w, "{report}")
        })?;
    }
    let fold_metrics: Vec<(&Fold, &Metrics)> = if folds.len() == 1 {
        final_fold
            .metrics
            .iter()
            .map(|m| (&final_fold, m))
            .collect()
    } else {
        trained
            .iter()
            .filter_map(|f| f.metrics.as_ref().map(|m| (f, m)))
            .collect()
    };
    let accuracy: Vec<f64> = fold_metrics
        .iter()
        .map(|(_, m)| 100.0 * m.accuracy)
        .collect();
    let ua: Vec<f64> = fold_metrics.iter().map(|(_, m)| 100.0 * m.ua).collect();
    let f1: Vec<f64> = fold_metrics.iter().map(|(_, m)| m.macro_f1).collect();
    let ((acc_mean, acc_std), (ua_mean, ua_std), (f1_mean, _)) =
        (mean_std(&accuracy), mean_std(&ua), mean_std(&f1));
    let total_seconds: f64 = trained.iter().chain([&final_fold]).map(|f| f.seconds).sum();
    if json_out {
        let mut confusion = vec![vec![0usize; data.classes.len()]; data.classes.len()];
        for (_, m) in &fold_metrics {
            for (row, src) in confusion.iter_mut().zip(&m.confusion) {
                for (v, s) in row.iter_mut().zip(src) {
                    *v += s;
                }
            }
        }
        let mut report = json!({
            "accuracy": acc_mean,
            "ua": ua_mean,
            "macro_f1": f1_mean,
            "confusion": confusion,
            "classes": data.classes,
            "epochs": final_fold.model.training.epochs,
            "train_seconds": total_seconds,
            "split": split,
            "seed": seed,
            "params": final_fold.model.mlp.n_params(),
            "rows": data.len(),
            "model": out.display().to_string(),
        });
        if folds.len() > 1 {
            report["accuracy_std"] = json!(acc_std);
            report["ua_std"] = json!(ua_std);
            report["folds"] = Value::Array(
                fold_metrics
                    .iter()
                    .map(|(f, m)| {
                        let mut v = metrics_json(m, &data.classes);
                        v["fold"] = json!(f.name);
                        v["epochs"] = json!(f.model.training.epochs);
                        v["train_seconds"] = json!(f.seconds);
                        v["test_rows"] = json!(m.support.iter().sum::<usize>());
                        v
                    })
                    .collect(),
            );
        }
        outln!("{report}")?;
    } else {
        if folds.len() > 1 {
            for (f, m) in &fold_metrics {
                outln!(
                    "{:<12} WA {:6.2} %  UA {:6.2} %  macro-F1 {:.4}  ({} test rows, {} epochs)",
                    f.name,
                    100.0 * m.accuracy,
                    100.0 * m.ua,
                    m.macro_f1,
                    m.support.iter().sum::<usize>(),
                    f.model.training.epochs
                )?;
            }
            outln!(
                "mean over {} folds: WA {acc_mean:.2} +- {acc_std:.2} %, UA {ua_mean:.2} +- {ua_std:.2} %, macro-F1 {f1_mean:.4}",
                fold_metrics.len()
            )?;
        } else if let Some((_, m)) = fold_metrics.first() {
            print_metrics(m, &data.classes)?;
        }
        outln!(
            "model: {} ({} parameters, {} epochs, best {}), written to {}; training took {total_seconds:.2} s",
            final_fold
                .model
                .mlp
                .layers()
                .iter()
                .map(|l| l.outputs().to_string())
                .collect::<Vec<_>>()
                .join("-"),
            final_fold.model.mlp.n_params(),
            final_fold.model.training.epochs,
            final_fold.model.training.best_epoch,
            out.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn eval(m: &ArgMatches) -> Result<ExitCode, CliError> {
    let model_path = m
        .get_one::<PathBuf>("model")
        .ok_or_else(|| CliError("--model MODEL is required".into()))?;
    let model = Classifier::load(model_path)?;
    let (data, _) = load_data(m, model.features(), true)?;
    model.check_feature_names(&data.feature_names)?;
    // Rows whose label the model never saw cannot be scored: report and leave them out.
    let (rows, truth, unknown) = known_rows(
        &data,
        model.classes(),
        m.get_one::<PathBuf>("data").map(PathBuf::as_path),
    )?;
    let x = data.x.select(Axis(0), &rows);
    let predicted = model.predict(x.view())?;
    let metrics = classification_metrics(&truth, &predicted, model.classes().len())?;
    if m.get_flag("json") {
        let mut report = metrics_json(&metrics, model.classes());
        report["rows"] = json!(rows.len());
        report["left_out"] = json!(unknown);
        if let Some(epochs) = model.epochs() {
            report["epochs"] = json!(epochs);
        }
        outln!("{report}")?;
    } else {
        print_metrics(&metrics, model.classes())?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn predict(m: &ArgMatches) -> Result<ExitCode, CliError> {
    let model_path = m
        .get_one::<PathBuf>("model")
        .ok_or_else(|| CliError("--model MODEL is required".into()))?;
    let model = Classifier::load(model_path)?;
    let extractor = FeatureExtractor::new(model.features().clone())?;
    let json_out = m.get_flag("json");
    let mut failed = 0;
    let mut reports = Vec::new();
    for file in m.get_many::<PathBuf>("files").into_iter().flatten() {
        match extractor
            .extract_file(file)
            .map_err(CliError::from)
            .and_then(|f| model.predict_proba(&f.vector))
        {
            Ok(probs) => {
                let best = argmax(probs.iter().copied());
                if json_out {
                    let by_class: serde_json::Map<String, Value> = model
                        .classes()
                        .iter()
                        .zip(&probs)
                        .map(|(c, p)| (c.clone(), json!(p)))
                        .collect();
                    reports.push(json!({"file": file.display().to_string(), "label": model.classes()[best], "probabilities": by_class}));
                } else {
                    let shown: Vec<String> = model
                        .classes()
                        .iter()
                        .zip(&probs)
                        .map(|(c, p)| format!("{c} {p:.3}"))
                        .collect();
                    outln!(
                        "{}\t{}\t{}",
                        file.display(),
                        model.classes()[best],
                        shown.join(", ")
                    )?;
                }
            }
            Err(CliError(message)) => {
                failed += 1;
                eprintln!("error: {message}");
            }
        }
    }
    if json_out {
        outln!("{}", Value::Array(reports))?;
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
