//! `ser eval`: a model of either kind on labelled data.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ArgMatches;
use ser_adaptive::model::Model;
use serde_json::json;

use crate::CliError;
use crate::data::{labelled_data, source_name};
use crate::output::outln;
use crate::report::{metrics_json, print_metrics};

/// The model named by `--model`.
pub(crate) fn load_model(m: &ArgMatches) -> Result<Model, CliError> {
    let path = m
        .get_one::<PathBuf>("model")
        .ok_or_else(|| CliError("--model MODEL is required".into()))?;
    Ok(Model::load(path)?)
}

/// Prints a warning for every label of the data the model was not trained on.
pub(crate) fn warn_left_out(left_out: &std::collections::BTreeMap<String, usize>) {
    for (label, count) in left_out {
        eprintln!(
            "warning: {count} row(s) labelled `{label}`, a class the model was not trained on, are left out"
        );
    }
}

pub(crate) fn eval(m: &ArgMatches) -> Result<ExitCode, CliError> {
    let model = load_model(m)?;
    let (data, _) = labelled_data(m, &model.features, true)?;
    // Rows whose label the model never saw cannot be scored: reported and left out.
    let evaluation = model.evaluate(&data, &source_name(m))?;
    warn_left_out(&evaluation.known.left_out);
    if m.get_flag("json") {
        let mut report = metrics_json(&evaluation.metrics, &model.classes);
        report["rows"] = json!(evaluation.known.rows.len());
        report["left_out"] = json!(evaluation.known.left_out);
        if let Some(t) = &model.training {
            report["epochs"] = json!(t.epochs);
        }
        outln!("{report}")?;
    } else {
        print_metrics(&evaluation.metrics, &model.classes)?;
    }
    Ok(ExitCode::SUCCESS)
}
