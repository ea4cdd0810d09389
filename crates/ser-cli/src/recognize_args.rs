//! The arguments `ser predict` and `ser listen` share: the model, its rate, the windows, the
//! gate, and how a window is printed.

use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};
use ser_adaptive::recognize::{Gate, Prediction, Recognizer, StreamConfig, WindowPrediction};
use serde::Serialize;

use crate::CliError;

/// `--model`, `--model-rate`, `--json`.
pub(crate) fn model_args(cmd: Command) -> Command {
    cmd.arg(
        Arg::new("model")
            .long("model")
            .short('m')
            .value_name("MODEL")
            .value_parser(value_parser!(PathBuf))
            .required(true)
            .help("A model file (f32 or packed)"),
    )
    .arg(
        Arg::new("model-rate")
            .long("model-rate")
            .value_name("HZ")
            .value_parser(value_parser!(u32))
            .help(
                "The sample rate of the model's training audio, for a model file that does not \
                 record it",
            ),
    )
    .arg(
        Arg::new("json")
            .long("json")
            .action(ArgAction::SetTrue)
            .help("Print one JSON object per line"),
    )
}

/// `--window`, `--hop`, `--gate-db`, `--no-gate`.
pub(crate) fn window_args(cmd: Command) -> Command {
    let defaults = StreamConfig::default();
    let gate = Gate::default();
    cmd.arg(
        Arg::new("window")
            .long("window")
            .value_name("SECONDS")
            .value_parser(value_parser!(f64))
            .allow_negative_numbers(true)
            .help(format!(
                "Analysis window length [default: {}]",
                defaults.window
            )),
    )
    .arg(
        Arg::new("hop")
            .long("hop")
            .value_name("SECONDS")
            .value_parser(value_parser!(f64))
            .allow_negative_numbers(true)
            .help(format!(
                "Time between window starts [default: {}]",
                defaults.hop
            )),
    )
    .arg(
        Arg::new("gate-db")
            .long("gate-db")
            .value_name("DBFS")
            .value_parser(value_parser!(f32))
            .allow_negative_numbers(true)
            .help(format!(
                "Voice-activity gate: a window is speech when a tenth of its 32 ms frames are \
                 louder than this [default: {}]",
                gate.threshold_db
            )),
    )
    .arg(
        Arg::new("no-gate")
            .long("no-gate")
            .action(ArgAction::SetTrue)
            .conflicts_with("gate-db")
            .help("Classify every window, speech or not"),
    )
}

/// The recognizer `--model` and `--model-rate` give.
pub(crate) fn recognizer(m: &ArgMatches) -> Result<Recognizer, CliError> {
    let path = m
        .get_one::<PathBuf>("model")
        .ok_or_else(|| CliError("--model MODEL is required".into()))?;
    let recognizer = Recognizer::load(path)?;
    Ok(match m.get_one::<u32>("model-rate") {
        Some(&rate) => recognizer.with_sample_rate(rate)?,
        None => recognizer,
    })
}

/// The stream settings of `--window`, `--hop` and the gate flags.
pub(crate) fn stream_config(m: &ArgMatches) -> StreamConfig {
    let defaults = StreamConfig::default();
    let gate = Gate {
        threshold_db: m
            .get_one::<f32>("gate-db")
            .copied()
            .unwrap_or(Gate::default().threshold_db),
        ..Gate::default()
    };
    StreamConfig {
        window: m
            .get_one::<f64>("window")
            .copied()
            .unwrap_or(defaults.window),
        hop: m.get_one::<f64>("hop").copied().unwrap_or(defaults.hop),
        gate: (!m.get_flag("no-gate")).then_some(gate),
    }
}

/// A window as one JSON line: its place, its level, whether it holds speech, and its
/// prediction's fields (in the prediction's order, classes in the model's).
#[derive(Serialize)]
struct WindowLine<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    start: f64,
    end: f64,
    /// `null` for digital silence (-inf dBFS).
    level_db: Option<f32>,
    /// Whether the gate found speech; left out when no gate ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    speech: Option<bool>,
    #[serde(flatten)]
    prediction: Option<&'a Prediction>,
}

/// A window as one JSON object, with `file` first when given; `speech` says what the gate
/// found, when one ran (`gated`).
pub(crate) fn window_json(
    file: Option<&str>,
    w: &WindowPrediction,
    gated: bool,
) -> Result<String, CliError> {
    let line = WindowLine {
        file,
        start: w.start,
        end: w.end,
        level_db: w.level_db.is_finite().then_some(w.level_db),
        speech: gated.then_some(w.prediction.is_some()),
        prediction: w.prediction.as_ref(),
    };
    Ok(serde_json::to_string(&line)?)
}

/// A file's prediction as one JSON line, `file` first.
#[derive(Serialize)]
pub(crate) struct FileLine<'a> {
    pub(crate) file: &'a str,
    #[serde(flatten)]
    pub(crate) prediction: &'a Prediction,
}

/// The header of the timeline CSV.
pub(crate) fn csv_header(classes: &[String]) -> String {
    let names: Vec<String> = classes
        .iter()
        .map(|c| ser_adaptive::data::csv::field(c).into_owned())
        .collect();
    format!(
        "file,start,end,level_db,speech,emotion,probability,{}",
        names.join(",")
    )
}

/// A window as a CSV row under [`csv_header`]; a window without speech has `speech` false and
/// no emotion or probabilities (so no class name, `silence` included, can be mistaken for it).
pub(crate) fn csv_row(file: &str, w: &WindowPrediction, classes: usize) -> String {
    let file = ser_adaptive::data::csv::field(file);
    let level = if w.level_db.is_finite() {
        format!("{:.1}", w.level_db)
    } else {
        "-inf".into()
    };
    match &w.prediction {
        Some(p) => {
            let probs: Vec<String> = p
                .probabilities
                .iter()
                .map(|(_, q)| format!("{q:.4}"))
                .collect();
            format!(
                "{file},{:.3},{:.3},{level},true,{},{:.4},{}",
                w.start,
                w.end,
                ser_adaptive::data::csv::field(&p.emotion),
                p.probability,
                probs.join(",")
            )
        }
        None => format!(
            "{file},{:.3},{:.3},{level},false,,,{}",
            w.start,
            w.end,
            vec![""; classes].join(",")
        ),
    }
}
