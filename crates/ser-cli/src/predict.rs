//! `ser predict`: the emotion of audio files, with a model of either kind.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ArgMatches;
use ser_adaptive::features::FeatureExtractor;
use ser_adaptive::mlp::argmax;
use ser_adaptive::model::Model;
use ser_adaptive::ndarray::ArrayView2;
use serde_json::{Value, json};

use crate::CliError;
use crate::eval::load_model;
use crate::output::outln;

/// Class probabilities of one audio file.
fn probabilities(
    model: &Model,
    extractor: &FeatureExtractor,
    file: &std::path::Path,
) -> Result<Vec<f32>, CliError> {
    let features = extractor.extract_file(file)?.vector;
    let row = ArrayView2::from_shape((1, features.len()), &features)?;
    let p = model
        .predict_proba(row)
        .map_err(|e| CliError(format!("{}: {e}", file.display())))?;
    Ok(p.row(0).to_vec())
}

pub(crate) fn predict(m: &ArgMatches) -> Result<ExitCode, CliError> {
    let model = load_model(m)?;
    let extractor = FeatureExtractor::new(model.features.clone())?;
    let json_out = m.get_flag("json");
    let mut failed = 0;
    let mut reports = Vec::new();
    for file in m.get_many::<PathBuf>("files").into_iter().flatten() {
        match probabilities(&model, &extractor, file) {
            Ok(probs) => {
                let best = model.classes[argmax(probs.iter().copied())].as_str();
                if json_out {
                    let by_class: serde_json::Map<String, Value> = model
                        .classes
                        .iter()
                        .zip(&probs)
                        .map(|(c, p)| (c.clone(), json!(p)))
                        .collect();
                    reports.push(json!({"file": file.display().to_string(), "label": best, "probabilities": by_class}));
                } else {
                    let shown: Vec<String> = model
                        .classes
                        .iter()
                        .zip(&probs)
                        .map(|(c, p)| format!("{c} {p:.3}"))
                        .collect();
                    outln!("{}\t{best}\t{}", file.display(), shown.join(", "))?;
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
