//! `ser listen`: emotions of a live stream on standard input (raw PCM or WAV), one line per
//! window as it completes.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ArgMatches;
use ser_adaptive::features::{
    FeatureError, PcmFormat, PcmStream, StreamEncoding, StreamEnd, StreamSpec,
};
use ser_adaptive::recognize::{StreamRecognizer, WindowPrediction};

use crate::CliError;
use crate::output::{outln, stdout_closed};
use crate::recognize_args::{recognizer, stream_config, window_json};

/// The stream on standard input or in a file, as `--format`, `--rate` and `--channels` say.
fn open_input(m: &ArgMatches) -> Result<PcmStream<Box<dyn Read>>, CliError> {
    let path = m
        .get_one::<PathBuf>("input")
        .cloned()
        .unwrap_or_else(|| "-".into());
    let reader: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(&path).map_err(|e| CliError(format!("{}: {e}", path.display())))?,
        )
    };
    let encoding = match m.get_one::<String>("format").map_or("auto", String::as_str) {
        "auto" => StreamEncoding::Auto,
        "wav" => StreamEncoding::Wav,
        name => StreamEncoding::Raw(
            PcmFormat::from_name(name)
                .ok_or_else(|| CliError(format!("unknown --format {name}")))?,
        ),
    };
    let spec = StreamSpec {
        encoding,
        rate: m.get_one::<u32>("rate").copied(),
        channels: m.get_one::<usize>("channels").copied(),
    };
    let stream = PcmStream::open(reader, spec).map_err(|e| match e {
        FeatureError::Config { field: "rate", .. } => {
            CliError("raw PCM has no header: give its sample rate with --rate HZ".into())
        }
        e => CliError(format!("{}: {e}", shown(&path))),
    })?;
    for o in stream.overridden() {
        let unit = if o.field == "rate" { " Hz" } else { "" };
        eprintln!(
            "warning: --{} {} is ignored: the WAV header says {}{unit}",
            o.field, o.given, o.header
        );
    }
    Ok(stream)
}

fn shown(path: &std::path::Path) -> String {
    if path.as_os_str() == "-" {
        "standard input".into()
    } else {
        path.display().to_string()
    }
}

/// Prints a window; `false` once stdout's reader has gone.
fn print(w: &WindowPrediction, json_out: bool, gated: bool) -> Result<bool, CliError> {
    if json_out {
        outln!("{}", window_json(None, w, gated)?)?;
    } else {
        match &w.prediction {
            Some(p) => outln!(
                "{:.2}\t{:.2}\t{}\t{:.3}",
                w.start,
                w.end,
                p.emotion,
                p.probability
            )?,
            None => outln!(
                "{:.2}\t{:.2}\tsilence\t{:.1} dBFS",
                w.start,
                w.end,
                w.level_db
            )?,
        }
    }
    Ok(!stdout_closed())
}

pub(crate) fn listen(m: &ArgMatches) -> Result<ExitCode, CliError> {
    let recognizer = recognizer(m)?;
    let mut input = open_input(m)?;
    let config = stream_config(m);
    let gated = config.gate.is_some();
    let mut stream = recognizer.stream(input.sample_rate(), config)?;
    let json_out = m.get_flag("json");
    let mut samples = Vec::new();
    while input
        .next_samples(&mut samples)
        .map_err(|e| CliError(format!("reading the stream: {e}")))?
    {
        if samples.is_empty() {
            continue;
        }
        for w in stream.push(&samples)? {
            if !print(&w, json_out, gated)? {
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
    finish(stream, input.end())
}

/// Says how the stream ended: a cut frame, a cut WAV, the window that was not complete.
fn finish(stream: StreamRecognizer<'_>, input: StreamEnd) -> Result<ExitCode, CliError> {
    if input.pending_bytes > 0 {
        eprintln!(
            "note: the stream ended inside a frame; its last {} byte(s) are left out",
            input.pending_bytes
        );
    }
    if let Some(declared) = input.cut_short_of {
        eprintln!(
            "note: the WAV stream was cut: {} of the {declared} bytes its header declares",
            input.bytes_read
        );
    }
    let end = stream.finish()?;
    match end.partial {
        Some((start, stop)) => eprintln!(
            "stream ended at {stop:.2} s after {} windows; the window from {start:.2} s is incomplete ({:.2} s) and not classified",
            end.windows,
            stop - start
        ),
        None => eprintln!(
            "stream ended at {:.2} s after {} windows",
            end.duration, end.windows
        ),
    }
    Ok(ExitCode::SUCCESS)
}
