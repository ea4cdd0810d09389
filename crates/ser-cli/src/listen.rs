//! `ser listen`: emotions of a live stream on standard input (raw PCM or WAV), one line per
//! window as it completes.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ArgMatches;
use ser_adaptive::features::{PcmDecoder, PcmFormat, WavHeader};
use ser_adaptive::recognize::{StreamRecognizer, WindowPrediction};

use crate::CliError;
use crate::output::{outln, stdout_closed};
use crate::recognize_args::{recognizer, stream_config, window_json};

/// Bytes asked of the input at a time: a read returns what the pipe holds, so a live stream
/// is answered as soon as a window is complete.
const READ_BYTES: usize = 16 * 1024;

/// Where the stream comes from, its encoding, rate and channels.
struct Input {
    reader: Box<dyn Read>,
    pcm: PcmDecoder,
    rate: u32,
    /// Bytes of sample data a WAV header declares, when it does.
    declared: Option<u64>,
}

fn open_input(m: &ArgMatches) -> Result<Input, CliError> {
    let path = m
        .get_one::<PathBuf>("input")
        .cloned()
        .unwrap_or_else(|| "-".into());
    let mut reader: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(&path).map_err(|e| CliError(format!("{}: {e}", path.display())))?,
        )
    };
    let mut format = m.get_one::<String>("format").map_or("auto", String::as_str);
    if format == "auto" {
        // A WAV stream starts with RIFF; anything else is taken as raw 16-bit PCM. The bytes
        // looked at are given back to the reader.
        let mut magic = Vec::with_capacity(4);
        (&mut reader)
            .take(4)
            .read_to_end(&mut magic)
            .map_err(|e| CliError(format!("{}: {e}", shown(&path))))?;
        format = if magic == b"RIFF" { "wav" } else { "s16le" };
        reader = Box::new(std::io::Cursor::new(magic).chain(reader));
    }
    if format == "wav" {
        let header =
            WavHeader::read(&mut reader).map_err(|e| CliError(format!("{}: {e}", shown(&path))))?;
        if let Some(&rate) = m
            .get_one::<u32>("rate")
            .filter(|&&r| r != header.sample_rate)
        {
            eprintln!(
                "warning: --rate {rate} is ignored: the WAV header says {} Hz",
                header.sample_rate
            );
        }
        if let Some(&channels) = m
            .get_one::<usize>("channels")
            .filter(|&&c| c != header.channels)
        {
            eprintln!(
                "warning: --channels {channels} is ignored: the WAV header says {}",
                header.channels
            );
        }
        return Ok(Input {
            reader,
            pcm: PcmDecoder::new(header.format, header.channels)?,
            rate: header.sample_rate,
            declared: header.data_bytes,
        });
    }
    let encoding = PcmFormat::from_name(format)
        .ok_or_else(|| CliError(format!("unknown --format {format}")))?;
    let rate = *m.get_one::<u32>("rate").ok_or_else(|| {
        CliError("raw PCM has no header: give its sample rate with --rate HZ".into())
    })?;
    let channels = m.get_one::<usize>("channels").copied().unwrap_or(1);
    Ok(Input {
        reader,
        pcm: PcmDecoder::new(encoding, channels)?,
        rate,
        declared: None,
    })
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
    let mut stream = recognizer.stream(input.rate, config)?;
    let json_out = m.get_flag("json");
    let mut bytes = vec![0u8; READ_BYTES];
    let mut samples = Vec::new();
    let mut read_total: u64 = 0;
    loop {
        let n = match input.reader.read(&mut bytes) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CliError(format!("reading the stream: {e}"))),
        };
        // Bytes past a WAV's declared data are another chunk (metadata), not samples.
        let n = match input.declared {
            Some(d) => n.min(usize::try_from(d.saturating_sub(read_total)).unwrap_or(n)),
            None => n,
        };
        read_total += n as u64;
        samples.clear();
        input.pcm.decode(&bytes[..n], &mut samples);
        if !samples.is_empty() {
            for w in stream.push(&samples)? {
                if !print(&w, json_out, gated)? {
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
        // The declared data is all read (even if it ended inside a frame): the stream is over.
        if input.declared.is_some_and(|d| read_total >= d) {
            break;
        }
    }
    finish(stream, &input, read_total)
}

/// Says how the stream ended: a cut frame, a cut WAV, the window that was not complete.
fn finish(
    stream: StreamRecognizer<'_>,
    input: &Input,
    read_total: u64,
) -> Result<ExitCode, CliError> {
    if input.pcm.pending_bytes() > 0 {
        eprintln!(
            "note: the stream ended inside a frame; its last {} byte(s) are left out",
            input.pcm.pending_bytes()
        );
    }
    if let Some(declared) = input.declared.filter(|&d| read_total < d) {
        eprintln!(
            "note: the WAV stream was cut: {read_total} of the {declared} bytes its header declares"
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
