//! `ser quantize`: a trained model to a packed one at fixed widths, or the 1..8-bit sweep.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ArgMatches;
use ser_adaptive::mlp::{Model, classification_metrics};
use ser_adaptive::ndarray::Axis;
use ser_adaptive::quant::{
    BiasMode, BitWidth, Granularity, PackedModel, Precision, QuantOptions, Scaling,
};
use serde_json::{Value, json};

use crate::CliError;
use crate::classifier::{known_rows, predict_packed};
use crate::output::{check_writable, outln, write_atomically};
use crate::train::load_data;

/// Widths from `--bits`: one for every layer (`2`), or one per layer (`2,1,3,32`; 32 is f32).
fn parse_bits(text: &str, layers: usize) -> Result<Vec<Precision>, CliError> {
    let widths = text
        .split(',')
        .map(|w| {
            let w = w.trim();
            match w.parse::<u8>() {
                Ok(32) => Ok(Precision::Full),
                Ok(b) => BitWidth::new(b).map(Precision::Bits).map_err(|e| {
                    CliError(format!("--bits {text}: {e} (or 32 for f32)"))
                }),
                Err(_) => Err(CliError(format!(
                    "--bits: expected a width 1..=8 (or 32) or one per layer like 2,1,3,4, got `{text}`"
                ))),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    match widths.len() {
        1 => Ok(vec![widths[0]; layers]),
        n if n == layers => Ok(widths),
        n => Err(CliError(format!(
            "--bits {text}: {n} widths for a model of {layers} layers (give one, or one per layer)"
        ))),
    }
}

/// The quantizer options of `--per-channel`, `--f32-bias` and `--scales`.
pub(crate) fn options(m: &ArgMatches) -> QuantOptions {
    QuantOptions {
        granularity: if m.get_flag("per-channel") {
            Granularity::PerChannel
        } else {
            Granularity::PerTensor
        },
        bias: if m.get_flag("f32-bias") {
            BiasMode::Full
        } else {
            BiasMode::LayerWidth
        },
        scaling: match m.get_one::<String>("scales").map(String::as_str) {
            Some("mse") => Scaling::MinMse,
            _ => Scaling::MaxAbs,
        },
    }
}

fn describe(p: &[Precision]) -> String {
    p.iter()
        .map(|p| match p {
            Precision::Full => "32".to_string(),
            Precision::Bits(b) => b.get().to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn run(m: &ArgMatches) -> Result<ExitCode, CliError> {
    let model_path = m
        .get_one::<PathBuf>("model")
        .ok_or_else(|| CliError("--model MODEL is required".into()))?;
    if std::fs::read(model_path).is_ok_and(|b| b.starts_with(ser_adaptive::quant::PACKED_MAGIC)) {
        return Err(CliError(format!(
            "{} is already a packed model: quantize the f32 model `ser train` wrote",
            model_path.display()
        )));
    }
    let model = Model::load(model_path)?;
    let options = options(m);
    if m.contains_id("data") || m.get_flag("demo") {
        return sweep(m, &model, options);
    }
    let out = m
        .get_one::<PathBuf>("out")
        .ok_or_else(|| CliError("--out QMODEL is required with --bits".into()))?;
    let bits = m
        .get_one::<String>("bits")
        .ok_or_else(|| CliError("give --bits N (and --out QMODEL), or --sweep DATA".into()))?;
    check_writable(out, m.get_flag("force"))?;
    let precisions = parse_bits(bits, model.mlp.layers().len())?;
    let packed = model.quantize(&precisions, options)?;
    let (bytes, size) = packed.to_bytes_with_size()?;
    write_atomically(out, |w| w.write_all(&bytes))?;
    let f32_bytes = model.to_bytes()?.len();
    let report = json!({
        "out": out.display().to_string(),
        "bits_per_layer": describe(&precisions),
        "average_bits": packed.mlp.average_bits(),
        "params": packed.mlp.params(),
        "size_kb": packed.mlp.size_kb(),
        "bytes": bytes.len(),
        "codes_bytes": size.codes,
        "scales_bytes": size.scales,
        "header_bytes": size.header,
        "f32_model_bytes": f32_bytes,
    });
    if m.get_flag("json") {
        outln!("{report}")?;
    } else {
        outln!(
            "wrote {} ({} bits per layer, average {:.3}): {} parameters, poster size {:.2} KB; \
             {} bytes on disk = codes {} + scales {} + header {} (the f32 model file: {} bytes, {:.1}x larger)",
            out.display(),
            describe(&precisions),
            packed.mlp.average_bits(),
            packed.mlp.params(),
            packed.mlp.size_kb(),
            bytes.len(),
            size.codes,
            size.scales,
            size.header,
            f32_bytes,
            f32_bytes as f64 / bytes.len() as f64
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The fixed-width table: f32, then every layer at 8..=1 bits, on labelled data.
fn sweep(m: &ArgMatches, model: &Model, options: QuantOptions) -> Result<ExitCode, CliError> {
    if m.contains_id("bits") || m.contains_id("out") {
        return Err(CliError(
            "--sweep evaluates every width and writes no model: drop --bits and --out".into(),
        ));
    }
    let (data, _) = load_data(m, &model.features, true)?;
    model.check_feature_names(&data.feature_names)?;
    let (rows, truth, unknown) = known_rows(
        &data,
        &model.classes,
        m.get_one::<PathBuf>("data").map(PathBuf::as_path),
    )?;
    let x = data.x.select(Axis(0), &rows);
    let layers = model.mlp.layers().len();
    let mut table = Vec::new();
    let mut widths: Vec<Option<BitWidth>> = vec![None];
    widths.extend(BitWidth::ALL.iter().rev().map(|&b| Some(b)));
    for width in widths {
        let (label, predicted, size_kb, bytes, average) = match width {
            None => (
                "32 (f32)".to_string(),
                model.predict(x.view())?,
                model.mlp.n_params() as f64 * 32.0 / 8000.0,
                model.to_bytes()?.len(),
                32.0,
            ),
            Some(b) => {
                let packed: PackedModel =
                    model.quantize(&vec![Precision::Bits(b); layers], options)?;
                (
                    b.get().to_string(),
                    predict_packed(&packed, x.view())?,
                    packed.mlp.size_kb(),
                    packed.to_bytes()?.len(),
                    packed.mlp.average_bits(),
                )
            }
        };
        let metrics = classification_metrics(&truth, &predicted, model.classes.len())?;
        table.push(json!({
            "bits": label,
            "average_bits": average,
            "accuracy": 100.0 * metrics.accuracy,
            "ua": 100.0 * metrics.ua,
            "size_kb": size_kb,
            "bytes": bytes,
        }));
    }
    if m.get_flag("json") {
        outln!(
            "{}",
            json!({"rows": rows.len(), "left_out": unknown, "options": {
                "per_channel": options.granularity == Granularity::PerChannel,
                "f32_bias": options.bias == BiasMode::Full,
            }, "sweep": table})
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} rows; every layer at each width ({} scales, biases {})",
        rows.len(),
        if options.granularity == Granularity::PerChannel {
            "per-channel"
        } else {
            "per-layer"
        },
        if options.bias == BiasMode::Full {
            "in f32"
        } else {
            "at the layer's width"
        }
    )?;
    outln!(
        "{:>9} {:>8} {:>8} {:>12} {:>14}",
        "bits",
        "WA %",
        "UA %",
        "poster KB",
        "bytes on disk"
    )?;
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    for row in &table {
        outln!(
            "{:>9} {:>8.2} {:>8.2} {:>12.2} {:>14}",
            row["bits"].as_str().unwrap_or(""),
            num(&row["accuracy"]),
            num(&row["ua"]),
            num(&row["size_kb"]),
            row["bytes"]
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_parse_as_one_or_one_per_layer() {
        let two = Precision::Bits(BitWidth::new(2).unwrap());
        assert_eq!(parse_bits("2", 3).unwrap(), vec![two; 3]);
        assert_eq!(
            parse_bits("2, 32,1", 3).unwrap(),
            vec![
                two,
                Precision::Full,
                Precision::Bits(BitWidth::new(1).unwrap())
            ]
        );
        for bad in ["0", "9", "x", "2,2", "", "-1"] {
            assert!(parse_bits(bad, 3).is_err(), "{bad}");
        }
        assert!(
            parse_bits("9", 3)
                .unwrap_err()
                .0
                .contains("unsupported bit width 9")
        );
    }
}
