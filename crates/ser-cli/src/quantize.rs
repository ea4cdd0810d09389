//! `ser quantize`: a trained model to a packed one at fixed widths, or the 1..8-bit sweep.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ArgMatches;
use ser_adaptive::data::read_table;
use ser_adaptive::mlp::{GptqConfig, InputMoments};
use ser_adaptive::model::{Evaluated, Model};
use ser_adaptive::ndarray::Axis;
use ser_adaptive::quant::{BiasMode, BitWidth, Granularity, Precision, QuantOptions, Scaling};
use serde_json::json;

use crate::CliError;
use crate::data::{is_table, labelled_data, source_name};
use crate::eval::{load_model, warn_left_out};
use crate::output::{check_writable, outln, write_atomically};

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

/// The quantizer: `base`, with what `--poster-scales`, `--per-channel`, `--per-tensor`,
/// `--f32-bias` and `--scales` change.
pub(crate) fn options(m: &ArgMatches, base: QuantOptions) -> QuantOptions {
    let mut options = if m.get_flag("poster-scales") {
        QuantOptions::POSTER
    } else {
        base
    };
    if m.get_flag("per-channel") {
        options.granularity = Granularity::PerChannel;
    }
    if m.get_flag("per-tensor") {
        options.granularity = Granularity::PerTensor;
    }
    if m.get_flag("f32-bias") {
        options.bias = BiasMode::Full;
    }
    if let Some(&scaling) = m.get_one::<Scaling>("scales") {
        options.scaling = scaling;
    }
    options
}

/// GPTQ's input moments from `--gptq TABLE`, the model's training rows as a features table
/// (standardised as the model takes them); `None` without it (rounding to nearest).
fn calibration(m: &ArgMatches, model: &Model) -> Result<Option<Vec<InputMoments>>, CliError> {
    if model.mlp().is_none() {
        return Err(CliError("GPTQ needs the f32 model".into()));
    }
    let Some(path) = m.get_one::<PathBuf>("gptq") else {
        return Ok(None);
    };
    if !is_table(path) {
        return Err(CliError(format!(
            "--gptq {}: give the calibration rows as a features table (`ser features ... --out              train.csv`), the rows the model was trained on, never test rows",
            path.display()
        )));
    }
    let table = read_table(path, &model.features, true)?;
    model.check_feature_names(&table.data.feature_names)?;
    eprintln!(
        "GPTQ: calibrating on {} rows of {}",
        table.data.len(),
        path.display()
    );
    Ok(Some(model.calibration(table.data.x.view())?))
}

/// The quantizer in words: `per-channel least-squared-error scales, biases at the layer's width`.
fn quantizer(options: QuantOptions, gptq: bool) -> String {
    format!(
        "{} {} scales, biases {}, codes {}",
        match options.granularity {
            Granularity::PerChannel => "per-channel",
            Granularity::PerTensor => "per-layer",
        },
        match options.scaling {
            Scaling::MinMse => "least-squared-error",
            Scaling::MaxAbs => "max-abs",
        },
        match options.bias {
            BiasMode::Full => "in f32",
            BiasMode::LayerWidth => "at the layer's width",
        },
        if gptq {
            "by GPTQ"
        } else {
            "rounded to nearest"
        }
    )
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
    let model = load_model(m)?;
    if model.mlp().is_none() {
        return Err(CliError(format!(
            "{} is already a packed model: quantize the f32 model `ser train` wrote",
            m.get_one::<PathBuf>("model")
                .map_or(String::new(), |p| p.display().to_string())
        )));
    }
    // The quantizer that measured best at every width, for the codes at hand.
    let options = options(m, QuantOptions::recommended(m.contains_id("gptq")));
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
    let precisions = parse_bits(bits, model.network.shapes().len())?;
    let moments = calibration(m, &model)?;
    let gptq_config = GptqConfig::default();
    let packed = model.quantize_with(
        &precisions,
        options,
        moments.as_deref().map(|mo| (mo, &gptq_config)),
    )?;
    let (bytes, size) = packed.to_bytes_with_size()?;
    write_atomically(out, |w| w.write_all(&bytes))?;
    let f32_bytes = model.to_bytes()?.len();
    let net = &packed.network;
    if m.get_flag("json") {
        let report = json!({
            "out": out.display().to_string(),
            "bits_per_layer": describe(&precisions),
            "quantizer": quantizer(options, moments.is_some()),
            "average_bits": net.average_bits(),
            "params": net.params(),
            "size_kb": net.size_kb(),
            "bytes": bytes.len(),
            "codes_bytes": size.codes,
            "scales_bytes": size.scales,
            "header_bytes": size.header,
            "f32_model_bytes": f32_bytes,
        });
        outln!("{report}")?;
    } else {
        outln!(
            "wrote {} ({} bits per layer, average {:.3}): {} parameters, poster size {:.2} KB; \
             {} bytes on disk = codes {} + scales {} + header {} (the f32 model file: {} bytes, {:.1}x larger); {}",
            out.display(),
            describe(&precisions),
            net.average_bits(),
            net.params(),
            net.size_kb(),
            bytes.len(),
            size.codes,
            size.scales,
            size.header,
            f32_bytes,
            f32_bytes as f64 / bytes.len() as f64,
            quantizer(options, moments.is_some())
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
    let (data, _) = labelled_data(m, &model.features, true)?;
    model.check_feature_names(&data.feature_names)?;
    let known = data.rows_of_classes(&model.classes, &source_name(m))?;
    warn_left_out(&known.left_out);
    let x = data.x.select(Axis(0), &known.rows);
    let mut table = vec![(
        "32 (f32)".to_string(),
        model.evaluated(x.view(), &known.classes)?,
    )];
    let moments = calibration(m, model)?;
    let gptq_config = GptqConfig::default();
    let fixed = model.fixed_sweep_with(
        options,
        moments.as_deref().map(|mo| (mo, &gptq_config)),
        x.view(),
        &known.classes,
    )?;
    for (b, e) in BitWidth::ALL.iter().zip(fixed).rev() {
        table.push((b.get().to_string(), e));
    }
    if m.get_flag("json") {
        let sweep: Vec<_> = table
            .iter()
            .map(|(bits, e)| {
                json!({
                    "bits": bits, "average_bits": e.average_bits, "accuracy": e.accuracy,
                    "ua": e.ua, "size_kb": e.size_kb, "bytes": e.bytes,
                })
            })
            .collect();
        outln!(
            "{}",
            json!({"rows": known.rows.len(), "left_out": known.left_out, "options": {
                "per_channel": options.granularity == Granularity::PerChannel,
                "f32_bias": options.bias == BiasMode::Full,
                "scales": options.scaling.name(),
                "gptq": moments.is_some(),
            }, "sweep": sweep})
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    print_sweep(
        known.rows.len(),
        &quantizer(options, moments.is_some()),
        &table,
    )?;
    Ok(ExitCode::SUCCESS)
}

fn print_sweep(
    rows: usize,
    quantizer: &str,
    table: &[(String, Evaluated)],
) -> Result<(), CliError> {
    outln!("{rows} rows; every layer at each width ({quantizer})")?;
    outln!(
        "{:>9} {:>8} {:>8} {:>12} {:>14}",
        "bits",
        "WA %",
        "UA %",
        "poster KB",
        "bytes on disk"
    )?;
    for (bits, e) in table {
        outln!(
            "{:>9} {:>8.2} {:>8.2} {:>12.2} {:>14}",
            bits,
            e.accuracy,
            e.ua,
            e.size_kb,
            e.bytes
        )?;
    }
    Ok(())
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
