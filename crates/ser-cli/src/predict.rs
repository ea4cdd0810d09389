//! `ser predict`: the emotion of audio files, or of every window of recordings of any length.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ArgMatches;
use ser_adaptive::recognize::{Recognizer, StreamEnd, WindowPrediction, timeline_svg};
use serde_json::json;

use crate::CliError;
use crate::output::{check_writable, outln, stdout_closed, write_atomically};
use crate::recognize_args::{
    FileLine, csv_header, csv_row, recognizer, stream_config, window_json,
};

pub(crate) fn predict(m: &ArgMatches) -> Result<ExitCode, CliError> {
    let recognizer = recognizer(m)?;
    let files: Vec<PathBuf> = m
        .get_many::<PathBuf>("files")
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let failed = if m.get_flag("timeline") {
        timelines(m, &recognizer, &files)?
    } else {
        whole_files(m, &recognizer, &files)?
    };
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One prediction per file, in order (over all cores); returns how many failed.
fn whole_files(
    m: &ArgMatches,
    recognizer: &Recognizer,
    files: &[PathBuf],
) -> Result<usize, CliError> {
    let json_out = m.get_flag("json");
    let mut failed = 0;
    for (file, result) in files.iter().zip(recognizer.recognize_files(files)) {
        let name = file.display().to_string();
        match result {
            Ok(p) if json_out => {
                let line = FileLine {
                    file: &name,
                    prediction: &p,
                };
                outln!("{}", serde_json::to_string(&line)?)?;
            }
            Ok(p) => {
                let shown: Vec<String> = p
                    .probabilities
                    .iter()
                    .map(|(c, q)| format!("{c} {q:.3}"))
                    .collect();
                outln!("{name}\t{}\t{}", p.emotion, shown.join(", "))?;
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
                if json_out {
                    outln!("{}", json!({"file": name, "error": e.to_string()}))?;
                }
            }
        }
    }
    Ok(failed)
}

/// Every window of every file, printed as it is made; returns how many files failed.
fn timelines(
    m: &ArgMatches,
    recognizer: &Recognizer,
    files: &[PathBuf],
) -> Result<usize, CliError> {
    let plot = m.get_one::<PathBuf>("plot");
    if let Some(plot) = plot {
        if files.len() != 1 {
            return Err(CliError(format!(
                "--plot draws the timeline of one file; {} were given",
                files.len()
            )));
        }
        check_writable(plot, m.get_flag("force"))?;
    }
    let json_out = m.get_flag("json");
    let classes = recognizer.classes();
    if !json_out {
        outln!("{}", csv_header(classes))?;
    }
    let config = stream_config(m);
    let gated = config.gate.is_some();
    let mut failed = 0;
    for file in files {
        let name = file.display().to_string();
        let mut kept: Vec<WindowPrediction> = Vec::new();
        let result = recognizer.timeline_file(file, config, &mut |w| {
            let line = if json_out {
                window_json(Some(&name), &w, gated)?
            } else {
                csv_row(&name, &w, classes.len())
            };
            outln!("{line}")?;
            if stdout_closed() {
                // The reader has gone (`| head`): nothing more to say.
                return Err(CliError(String::new()));
            }
            if plot.is_some() {
                // A window's plot point: its features are not needed.
                kept.push(WindowPrediction {
                    features: Vec::new(),
                    ..w
                });
            }
            Ok(())
        });
        match result {
            Ok(end) => eprintln!("{}", summary(file, &end, &kept, plot.is_some())),
            Err(_) if stdout_closed() => return Ok(failed),
            Err(e) => {
                failed += 1;
                eprintln!("error: {}", e.0);
                // No plot of a file that failed: its timeline is not whole.
                continue;
            }
        }
        if let Some(plot) = plot {
            let svg = timeline_svg(&kept, classes, &name);
            write_atomically(plot, |w| std::io::Write::write_all(w, svg.as_bytes()))?;
            eprintln!("timeline plot written to {}", plot.display());
        }
    }
    Ok(failed)
}

/// What a file's timeline came to, for stderr.
fn summary(file: &Path, end: &StreamEnd, kept: &[WindowPrediction], counted: bool) -> String {
    let silent = if counted {
        let n = kept.iter().filter(|w| w.prediction.is_none()).count();
        format!(", {n} without speech")
    } else {
        String::new()
    };
    let partial = end.partial.map_or(String::new(), |(start, stop)| {
        format!("; the window from {start:.2} s was cut at {stop:.2} s and is not classified")
    });
    format!(
        "{}: {:.2} s, {} windows{silent}{partial}",
        file.display(),
        end.duration,
        end.windows
    )
}
