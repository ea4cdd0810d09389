//! `ser`: the command-line program of ser-adaptive.

mod extract;
mod features;
mod output;

use std::process::ExitCode;

use clap::{Arg, ArgAction, Command, value_parser};

/// An error for the user: printed as `error: {0}`, exit code 2.
#[derive(Debug)]
pub(crate) struct CliError(pub(crate) String);

impl<E: std::fmt::Display> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError(e.to_string())
    }
}

fn cli() -> Command {
    Command::new("ser")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Speech emotion recognition small enough for edge devices")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("features")
                .about("Extract the pooled MFCC / chroma / mel vector of every audio file")
                .long_about(
                    "Extract the pooled MFCC / chroma / mel vector of every audio file.\n\n\
                     PATH is a file or a folder (searched recursively). Labels and speakers come \
                     from the corpus naming (--corpus). Output is CSV with the header \
                     `path,label,speaker,<feature names>`, one row per file, to --out or stdout. \
                     Files that fail are reported with the reason and the others go on; the exit \
                     code is 1 when any failed.",
                )
                .arg(
                    Arg::new("paths")
                        .value_name("PATH")
                        .num_args(1..)
                        .value_parser(value_parser!(std::path::PathBuf))
                        .required_unless_present("demo")
                        .conflicts_with("demo")
                        .help("Audio files or folders"),
                )
                .arg(
                    Arg::new("demo")
                        .long("demo")
                        .action(ArgAction::SetTrue)
                        .help("Use the built-in synthetic demo corpus (7 emotions, 6 speakers)"),
                )
                .arg(
                    Arg::new("corpus")
                        .long("corpus")
                        .value_name("KIND")
                        .default_value("auto")
                        .help("auto|emodb|tess|savee|ravdess|cremad|folders|manifest:FILE|none"),
                )
                .arg(Arg::new("out").long("out").short('o').value_name("FILE").value_parser(value_parser!(std::path::PathBuf)).help("Output file (default: CSV on stdout)"))
                .arg(
                    Arg::new("format")
                        .long("format")
                        .value_parser(["csv", "npy"])
                        .default_value("csv")
                        .help("csv, or npy: FILE (float32 rows x features) with FILE.rows.csv and FILE.columns.txt"),
                )
                .arg(Arg::new("jobs").long("jobs").short('j').value_name("N").value_parser(value_parser!(usize)).help("Worker threads (default: all cores)"))
                .arg(Arg::new("sr").long("sr").value_name("HZ").value_parser(value_parser!(u32)).help("Resample every file to HZ first (default: native rate)"))
                .arg(
                    Arg::new("chroma-from")
                        .long("chroma-from")
                        .value_parser(["magnitude", "power"])
                        .default_value("magnitude")
                        .help("Compute chroma from the magnitude (community pipeline) or power STFT"),
                )
                .arg(
                    Arg::new("tuning")
                        .long("tuning")
                        .value_name("estimate|VALUE")
                        .default_value("estimate")
                        .help("Chroma tuning: estimated per file (librosa), or pinned in [-0.5, 0.5)"),
                )
                .arg(
                    Arg::new("pool")
                        .long("pool")
                        .value_parser(["mean", "mean-std"])
                        .default_value("mean")
                        .help("Pool frames by the mean, or the mean then the std"),
                )
                .arg(Arg::new("with-tuning").long("with-tuning").action(ArgAction::SetTrue).help("Append a `tuning` column (the chroma tuning used)"))
                .arg(Arg::new("force").long("force").action(ArgAction::SetTrue).help("Overwrite an existing output file"))
                .arg(Arg::new("quiet").long("quiet").short('q').action(ArgAction::SetTrue).help("No progress bar")),
        )
}

fn main() -> ExitCode {
    let matches = cli().get_matches();
    let result = match matches.subcommand() {
        Some(("features", m)) => features::run(m),
        _ => Err(CliError("unknown command".into())),
    };
    match result {
        Ok(code) => code,
        Err(CliError(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_definition_is_consistent() {
        super::cli().debug_assert();
    }
}
