//! `ser`: the command-line program of ser-adaptive.

mod data;
mod eval;
mod features;
mod listen;
mod output;
mod predict;
mod quantize;
mod recognize_args;
mod report;
mod run;
mod train;

use std::process::ExitCode;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Arg, ArgAction, Command, value_parser};

/// An error for the user: printed as `error: {0}`, exit code 2.
#[derive(Debug)]
pub(crate) struct CliError(pub(crate) String);

impl<E: std::fmt::Display> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError(e.to_string())
    }
}

/// A parser of an option enum by its names: `--help` lists them, and the value is the enum.
fn named<T>(names: &'static [&'static str]) -> impl TypedValueParser<Value = T>
where
    T: std::str::FromStr<Err = ser_adaptive::quant::UnknownName> + Clone + Send + Sync + 'static,
{
    PossibleValuesParser::new(names.iter().copied()).try_map(|s| s.parse::<T>())
}

fn cli() -> Command {
    Command::new("ser")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Speech emotion recognition small enough for edge devices")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(features_command())
        .subcommand(train_command())
        .subcommand(eval_command())
        .subcommand(predict_command())
        .subcommand(listen_command())
        .subcommand(quantize_command())
        .subcommand(run_command())
        .subcommand(demo_command())
}

fn features_command() -> Command {
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
                .help("Use the built-in synthetic demo corpus (7 emotions, 10 speakers)"),
        )
        .arg(demo_size_arg())
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
                .value_parser(["csv", "npy", "parquet"])
                .help("csv (the default), npy: FILE (float32 rows x features) with FILE.rows.csv and FILE.columns.txt, or parquet (the default for FILE.parquet): one table with path, label, speaker, error, sample_rate and the features, failures as rows, the configuration in its metadata"),
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
        .arg(Arg::new("quiet").long("quiet").short('q').action(ArgAction::SetTrue).help("No progress bar"))
}

fn train_command() -> Command {
    training_args(data_args(Command::new("train").about("Train the baseline MLP, test it, and save the model")))
        .arg(Arg::new("out").long("out").short('o').value_name("MODEL").value_parser(value_parser!(std::path::PathBuf)).required(true).help("Where to write the model"))
        .arg(Arg::new("seed").long("seed").value_name("N").value_parser(value_parser!(u64)).default_value("0").help("Seed of the split, initialisation, shuffling and dropout"))
        .arg(Arg::new("preset").long("preset").value_parser(named::<ser_adaptive::model::Preset>(ser_adaptive::model::Preset::NAMES)).default_value("poster").help("poster: 180 features -> 256-512-64; paper-size: 40 MFCC -> 512-256-64"))
        .arg(Arg::new("hidden").long("hidden").value_name("SIZES").help("Hidden layer sizes, e.g. 256,512,64 (overrides the preset's)"))
        .arg(Arg::new("split").long("split").value_name("SPLIT").default_value("random").help("random (stratified, --test-fraction held out), kfold:K (stratified K folds), speakers:F (a share F of the speakers held out), or loso (one fold per speaker); with folds, the model saved is trained on every row"))
        .arg(Arg::new("test-fraction").long("test-fraction").value_name("F").value_parser(value_parser!(f64)).default_value("0.1").help("Test share of the random split"))
        .arg(Arg::new("save-split").long("save-split").value_name("FILE").value_parser(value_parser!(std::path::PathBuf)).help("Write the row indices of every split part (train, validation, test) as JSON"))
        .arg(Arg::new("force").long("force").action(ArgAction::SetTrue).help("Overwrite existing output files"))
}

fn eval_command() -> Command {
    data_args(Command::new("eval").about("Evaluate a model (f32 or packed) on labelled data")).arg(
        Arg::new("model")
            .long("model")
            .short('m')
            .value_name("MODEL")
            .value_parser(value_parser!(std::path::PathBuf))
            .required(true),
    )
}

fn predict_command() -> Command {
    let cmd = Command::new("predict")
        .about("Predict the emotion of audio files, or of every window of long recordings")
        .long_about(
            "Predict the emotion of audio files (with an f32 or a packed model): one line per \
             file, `FILE<TAB>EMOTION<TAB>class probabilities`, or one JSON object per line \
             with --json.\n\n\
             With --timeline, every analysis window of each file (a recording of any length, \
             decoded a piece at a time): CSV with the header \
             `file,start,end,level_db,speech,emotion,probability,<classes>`, or JSON lines; \
             windows the voice-activity gate finds silent have `speech` false and no \
             emotion. --plot draws the class probabilities over time.",
        )
        .arg(
            Arg::new("files")
                .value_name("FILE")
                .num_args(1..)
                .required(true)
                .value_parser(value_parser!(std::path::PathBuf)),
        )
        .arg(
            Arg::new("timeline")
                .long("timeline")
                .action(ArgAction::SetTrue)
                .help("One row per analysis window instead of one per file"),
        )
        .arg(
            Arg::new("plot")
                .long("plot")
                .value_name("SVG")
                .requires("timeline")
                .value_parser(value_parser!(std::path::PathBuf))
                .help("With --timeline and one file: draw its class probabilities over time"),
        )
        .arg(
            Arg::new("force")
                .long("force")
                .action(ArgAction::SetTrue)
                .help("Overwrite an existing plot"),
        );
    recognize_args::window_args(recognize_args::model_args(cmd))
}

fn listen_command() -> Command {
    let cmd = Command::new("listen")
        .about("Recognize emotions in a live stream: raw PCM or WAV on standard input")
        .long_about(
            "Recognize emotions in a live stream, one line per analysis window as soon as it \
             is complete: `START<TAB>END<TAB>EMOTION<TAB>PROBABILITY` (or `silence` and the \
             level), or JSON lines with --json.\n\n\
             The input is a WAV stream (its header gives rate and channels) or raw PCM \
             (--format, --rate, --channels); by default a stream starting with RIFF is read \
             as WAV and anything else as 16-bit PCM. For example:\n\n  \
             arecord -f S16_LE -r 16000 -c 1 | ser listen --model m.sermodel --rate 16000 -",
        )
        .arg(
            Arg::new("input")
                .value_name("INPUT")
                .default_value("-")
                .value_parser(value_parser!(std::path::PathBuf))
                .help("`-` (standard input, the default) or a file or FIFO"),
        )
        .arg(
            Arg::new("format")
                .long("format")
                .value_name("FORMAT")
                .default_value("auto")
                .value_parser([
                    "auto", "wav", "u8", "s16le", "s24le", "s32le", "f32le", "f64le",
                ])
                .help("Sample encoding of the input"),
        )
        .arg(
            Arg::new("rate")
                .long("rate")
                .value_name("HZ")
                .value_parser(value_parser!(u32))
                .help("Sample rate of raw PCM"),
        )
        .arg(
            Arg::new("channels")
                .long("channels")
                .value_name("N")
                .value_parser(value_parser!(usize))
                .help("Interleaved channels of raw PCM (mixed to mono) [default: 1]"),
        );
    recognize_args::window_args(recognize_args::model_args(cmd))
}

fn quantize_command() -> Command {
    quant_args(Command::new("quantize")
        .about("Quantize a trained model to packed codes, or sweep every fixed width")
        .long_about(
            "Quantize a trained model to packed codes, or sweep every fixed width.\n\n\
             With --bits N --out QMODEL: every layer at N bits (or one width per layer, \
             e.g. 2,1,3,4; 32 keeps a layer in f32), written as a packed model file that \
             `ser eval` and `ser predict` read. With --sweep DATA: the accuracy (WA, UA), \
             the poster's size in KB and the bytes on disk of the model at 32 (f32) and \
             8..1 bits, measured on DATA (use held-out data: the model's own training \
             rows flatter it).",
        )
        .arg(Arg::new("model").long("model").short('m').value_name("MODEL").value_parser(value_parser!(std::path::PathBuf)).required(true).help("A model made by `ser train`"))
        .arg(Arg::new("bits").long("bits").short('b').value_name("N|N,N,..").conflicts_with_all(["data", "demo"]).help("Width of every layer (1..=8), or one per layer (32 = f32)"))
        .arg(Arg::new("out").long("out").short('o').value_name("QMODEL").value_parser(value_parser!(std::path::PathBuf)).requires("bits").help("Where to write the packed model"))
        .arg(Arg::new("gptq").long("gptq").value_name("TABLE").value_parser(value_parser!(std::path::PathBuf)).help("Code the weights by GPTQ, calibrated on TABLE: the training rows as a features CSV (never test rows)"))
        .arg(Arg::new("data").long("sweep").value_name("DATA").value_parser(value_parser!(std::path::PathBuf)).conflicts_with("demo").help("Sweep 32 and 8..1 bits on DATA: a features CSV, or audio"))
        .arg(Arg::new("demo").long("sweep-demo").action(ArgAction::SetTrue).help("Sweep on the built-in demo corpus"))
        .arg(demo_size_arg())
        .arg(Arg::new("corpus").long("corpus").value_name("KIND").default_value("auto").help("For audio: auto|emodb|tess|savee|ravdess|cremad|folders|manifest:FILE|none"))
        .arg(Arg::new("jobs").long("jobs").short('j').value_name("N").value_parser(value_parser!(usize)).help("Worker threads for feature extraction (default: all cores)"))
        .arg(Arg::new("json").long("json").action(ArgAction::SetTrue).help("Print one JSON object on stdout"))
        .arg(Arg::new("force").long("force").action(ArgAction::SetTrue).help("Overwrite an existing output file"))
        .arg(Arg::new("quiet").long("quiet").short('q').action(ArgAction::SetTrue).help("No progress output")))
}

fn run_command() -> Command {
    quant_args(
        run_args(
            Command::new("run").about(
                "The whole method: features, training, fixed sweep, adaptive search, report",
            ),
        )
        .arg(
            Arg::new("data")
                .value_name("DATA")
                .value_parser(value_parser!(std::path::PathBuf))
                .required(true)
                .help("An audio folder or file"),
        )
        .arg(
            Arg::new("corpus")
                .long("corpus")
                .value_name("KIND")
                .default_value("auto")
                .help("auto|emodb|tess|savee|ravdess|cremad|folders|manifest:FILE|none"),
        )
        .arg(
            Arg::new("out")
                .long("out")
                .short('o')
                .value_name("DIR")
                .value_parser(value_parser!(std::path::PathBuf))
                .required(true)
                .help("The report folder (report.md, results.json, plot.svg)"),
        ),
    )
}

fn demo_command() -> Command {
    quant_args(
        run_args(Command::new("demo").about(
            "`ser run --method best` on the built-in synthetic corpus (seeds 0..4 unless told)",
        ))
        .mut_arg("method", |a| a.default_value("best"))
        .arg(demo_size_arg())
        .arg(
            Arg::new("out")
                .long("out")
                .short('o')
                .value_name("DIR")
                .value_parser(value_parser!(std::path::PathBuf))
                .help("The report folder (default: ser-demo)"),
        ),
    )
}

/// The training options `ser train`, `ser run` and `ser demo` share (defaults: `TrainConfig`'s).
fn training_args(c: Command) -> Command {
    c.arg(Arg::new("max-epochs").long("max-epochs").value_name("N").value_parser(value_parser!(usize)).help("Most epochs (default 200; early stopping usually ends sooner)"))
        .arg(Arg::new("patience").long("patience").value_name("N").value_parser(value_parser!(usize)).help("Epochs without a better validation score before stopping (default 20)"))
        .arg(Arg::new("stop-on").long("stop-on").value_parser(named::<ser_adaptive::mlp::StopOn>(ser_adaptive::mlp::StopOn::NAMES)).help("What early stopping watches on the validation rows: the accuracy (default; ties broken by the loss) or the loss"))
        .arg(Arg::new("min-delta").long("min-delta").value_name("D").value_parser(value_parser!(f32)).help("Improvement that resets the patience: loss lower, or accuracy (a fraction) higher, by more than D (default 0)"))
        .arg(Arg::new("no-restore-best").long("no-restore-best").action(ArgAction::SetTrue).help("Keep the last epoch's weights when training stops, not the best epoch's"))
        .arg(Arg::new("weight-decay").long("weight-decay").value_name("L2").value_parser(value_parser!(f32)).help("L2 penalty L2/2 * sum(w^2) on the weights, added to each batch's mean loss (default 0.01)"))
        .arg(Arg::new("no-early-stopping").long("no-early-stopping").action(ArgAction::SetTrue).help("Run every epoch and keep the final weights (no early stopping, no best-weights restore)"))
}

/// The quantizer options `ser quantize`, `ser run` and `ser demo` share.
fn quant_args(c: Command) -> Command {
    c.arg(Arg::new("per-channel").long("per-channel").action(ArgAction::SetTrue).conflicts_with("per-tensor").help("One weight scale per output (`ser quantize`'s default)"))
        .arg(Arg::new("per-tensor").long("per-tensor").action(ArgAction::SetTrue).help("One weight scale per layer (the poster's; `ser run`'s default)"))
        .arg(Arg::new("f32-bias").long("f32-bias").action(ArgAction::SetTrue).help("Keep biases in f32 (counted at 32 bits) instead of the layer's width"))
        .arg(Arg::new("scales").long("scales").value_parser(named::<ser_adaptive::quant::Scaling>(ser_adaptive::quant::Scaling::NAMES)).help("Scale = max|w| / qmax (the poster's; `ser run`'s default and `ser quantize --gptq`'s), or the scale of least squared error, which clips outliers (`ser quantize`'s default without --gptq)"))
        .arg(Arg::new("poster-scales").long("poster-scales").action(ArgAction::SetTrue).conflicts_with_all(["per-channel", "scales"]).help("The poster's quantizer: one max-abs scale per layer"))
}

/// The options `ser run` and `ser demo` share.
fn run_args(command: Command) -> Command {
    training_args(command)
        .arg(Arg::new("method").long("method").value_parser(named::<ser_adaptive::experiment::Method>(ser_adaptive::experiment::Method::NAMES)).default_value("poster").help("poster: the method as published. best: what docs/REPRODUCTION.md measured best (GPTQ, 5 fold models trained for the baseline's best epoch count, the budget mode at 2 average bits, 1.5 with --finetune); flags given beside it replace its settings"))
        .arg(Arg::new("seeds").long("seeds").value_name("A..B|LIST").help("Seeds: an inclusive range (0..9 is ten seeds) or a list (default 0..9; demo 0..4)"))
        .arg(Arg::new("split").long("split").value_name("SPLIT").default_value("random").help("Test rows of each seed: random (stratified 10 %; random:F for a share F), speakers:F (a share F of the speakers), kfold:K (seed s tests on fold s mod K: seeds 0..K-1 are one K-fold cross-validation), or loso (seed s holds out the s-th speaker: seeds 0..N-1 are the N folds)"))
        .arg(Arg::new("alpha").long("alpha").allow_negative_numbers(true).value_name("A").value_parser(value_parser!(f64)).help("Importance weight of Np against Nv, in [0, 1] (default 0.5)"))
        .arg(Arg::new("beta").long("beta").allow_negative_numbers(true).value_name("B").value_parser(value_parser!(f64)).help("Margin tightening per unit of importance, points (default 1)"))
        .arg(Arg::new("margin").long("margin").allow_negative_numbers(true).value_name("T").value_parser(value_parser!(f64)).help("Allowed validation accuracy drop, points (default 2)"))
        .arg(Arg::new("order").long("order").value_parser(named::<ser_adaptive::importance::Order>(ser_adaptive::importance::Order::NAMES)).default_value("descending").help("Decide the most important layer first (descending) or last"))
        .arg(Arg::new("scorer").long("scorer").value_parser(["poster", "hessian", "sensitivity"]).default_value("poster").help("What ranks the layers and sets their margins: the poster's importance, a Hessian-trace estimate, or measured 1-bit sensitivity"))
        .arg(Arg::new("search").long("search").value_parser(named::<ser_adaptive::search::Strategy>(ser_adaptive::search::Strategy::NAMES)).default_value("linear").help("Try every width, or bisect them"))
        .arg(Arg::new("target-bits").long("target-bits").allow_negative_numbers(true).value_name("B").value_parser(value_parser!(f64)).conflicts_with("budget-kb").help("Also score every mix of widths and keep the most accurate at most B average bits"))
        .arg(Arg::new("budget-kb").long("budget-kb").allow_negative_numbers(true).value_name("K").value_parser(value_parser!(f64)).help("The same with at most K kilobytes (1000 bytes) of model file"))
        .arg(Arg::new("budget-score").long("budget-score").value_parser(named::<ser_adaptive::search::MixScore>(ser_adaptive::search::MixScore::NAMES)).help("What the budget mode maximises within the budget: the search rows' accuracy (ties broken by the loss; the default) or their cross-entropy (lower is better)"))
        .arg(Arg::new("gptq").long("gptq").action(ArgAction::SetTrue).help("Code the weights by GPTQ (error compensation on the training rows) instead of rounding to nearest"))
        .arg(Arg::new("folds").long("folds").value_name("K").value_parser(value_parser!(usize)).default_value("0").help("Cross-validated search: pool its accuracy over K fold models as well (0: the poster's one validation split)"))
        .arg(Arg::new("fold-epochs").long("fold-epochs").value_parser(["recipe", "baseline"]).help("How long each fold model of --folds trains: by the baseline's recipe, early stopping and all (the default), or for the baseline's best epoch count (best's default: about half the time)"))
        .arg(Arg::new("finetune-epochs").long("finetune-epochs").value_name("N").value_parser(value_parser!(usize)).requires("finetune").help("Most fine-tuning epochs (default 30)"))
        .arg(Arg::new("finetune-lr").long("finetune-lr").value_name("LR").value_parser(value_parser!(f32)).requires("finetune").help("Fine-tuning learning rate (default 1e-4, a tenth of training's)"))
        .arg(Arg::new("distill").long("distill").action(ArgAction::SetTrue).requires("finetune").help("Fine-tune with the f32 model as teacher: its softened outputs (temperature 2) beside the labels"))
        .arg(Arg::new("distill-weight").long("distill-weight").value_name("W").value_parser(value_parser!(f32)).requires("distill").help("Share of the teacher's term in the fine-tuning loss, in [0, 1] (default 0.5)"))
        .arg(Arg::new("finetune-from").long("finetune-from").value_parser(["f32", "quantized"]).requires("finetune").help("Start fine-tuning from the f32 weights (the default) or from the quantized model's values (GPTQ's with --gptq)"))
        .arg(Arg::new("finetune").long("finetune").action(ArgAction::SetTrue).help("Quantization-aware fine-tuning of the adaptive model"))
        .arg(Arg::new("jobs").long("jobs").short('j').value_name("N").value_parser(value_parser!(usize)).help("Worker threads (default: all cores)"))
        .arg(Arg::new("cache").long("cache").value_name("DIR").value_parser(value_parser!(std::path::PathBuf)).help("Feature cache folder (default: $SER_CACHE_DIR, else ~/.cache/ser-adaptive/features)"))
        .arg(Arg::new("no-cache").long("no-cache").action(ArgAction::SetTrue).conflicts_with("cache").help("Extract every file, and cache nothing"))
        .arg(Arg::new("force").long("force").action(ArgAction::SetTrue).help("Write into an existing report folder (replacing only the report's files)"))
        .arg(Arg::new("quiet").long("quiet").short('q').action(ArgAction::SetTrue).help("No progress bars"))
}

/// `--demo-size`: which built-in corpus the demo options read.
fn demo_size_arg() -> Arg {
    Arg::new("demo-size")
        .long("demo-size")
        .value_name("SIZE")
        .value_parser(["full", "small"])
        .default_value("full")
        .help("The built-in corpus: full (1,050 utterances, 10 speakers) or small (210, 6 speakers: a quick look)")
}

/// The data arguments of `train` and `eval`: a features CSV or audio, or the demo corpus.
fn data_args(command: Command) -> Command {
    command
        .arg(
            Arg::new("data")
                .value_name("DATA")
                .value_parser(value_parser!(std::path::PathBuf))
                .required_unless_present("demo")
                .conflicts_with("demo")
                .help("A features CSV made by `ser features`, or an audio file or folder"),
        )
        .arg(
            Arg::new("demo")
                .long("demo")
                .action(ArgAction::SetTrue)
                .help("Use the built-in demo corpus"),
        )
        .arg(demo_size_arg())
        .arg(
            Arg::new("corpus")
                .long("corpus")
                .value_name("KIND")
                .default_value("auto")
                .help("For audio: auto|emodb|tess|savee|ravdess|cremad|folders|manifest:FILE|none"),
        )
        .arg(
            Arg::new("jobs")
                .long("jobs")
                .short('j')
                .value_name("N")
                .value_parser(value_parser!(usize))
                .help("Worker threads for feature extraction (default: all cores)"),
        )
        .arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .help("Print the metrics as one JSON object on stdout"),
        )
        .arg(
            Arg::new("quiet")
                .long("quiet")
                .short('q')
                .action(ArgAction::SetTrue)
                .help("No progress output"),
        )
}

fn main() -> ExitCode {
    let matches = cli().get_matches();
    let result = match matches.subcommand() {
        Some(("features", m)) => features::run(m),
        Some(("train", m)) => train::train(m),
        Some(("eval", m)) => eval::eval(m),
        Some(("predict", m)) => predict::predict(m),
        Some(("listen", m)) => listen::listen(m),
        Some(("quantize", m)) => quantize::run(m),
        Some(("run", m)) => run::run(m, false),
        Some(("demo", m)) => run::run(m, true),
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
