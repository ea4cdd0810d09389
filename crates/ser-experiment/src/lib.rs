//! The method as an experiment: the f32 baseline, every fixed width, the adaptive search, the
//! size budget and fine-tuning, each packed and scored on test rows, over seeds; the
//! `results.json` schema ([`Results`], `docs/RESULTS_SCHEMA.md`), the markdown report and the
//! poster's figure. `ser run`, `ser demo` and Python's `run` are one call here
//! ([`Experiment::run`]) and printing.
//!
//! ```
//! use ser_data::{Source, demo::DemoConfig};
//! use ser_experiment::{Experiment, Method, RunConfig};
//!
//! // The built-in demo corpus, two seeds of the poster's method with a small network.
//! let sources = Source::demo(DemoConfig { speakers: 4, utterances_per_emotion: 3, ..DemoConfig::default() });
//! let mut config = RunConfig::for_method(Method::Poster, false);
//! config.train.hidden = vec![16];
//! config.train.max_epochs = 5;
//! let results = Experiment::new(config, vec![0, 1]).run(sources, &())?;
//! assert_eq!(results.runs.len(), 2);
//! // Every layer at 1..=8 bits, beside the baseline and the adaptive model.
//! assert_eq!(results.runs[0].fixed.len(), 8);
//! # Ok::<(), ser_experiment::ExperimentError>(())
//! ```
//!
//! The search itself (margins, budget, fine-tuning) is `ser-search`'s; this crate trains the
//! models it needs (baselines, fold models), splits the data, and records what came out.
//!
//! | cargo feature | default | what it adds |
//! |---|---|---|
//! | `parallel` | on | seeds over all cores ([`run_seeds`], [`Experiment::run`]; rayon) |
//! | `plot` | on | [`svg`] and [`front_svg`], and the plots [`Results::write_dir`] writes (plotters) |

mod error;
mod experiment;
#[cfg(feature = "plot")]
mod front_plot;
#[cfg(feature = "plot")]
mod plot;
mod report;
mod results;
mod run;

pub use error::{ExperimentError, Result};
pub use experiment::{Experiment, Observer, Stage};
#[cfg(feature = "plot")]
pub use front_plot::front_svg;
#[cfg(feature = "plot")]
pub use plot::svg;
pub use report::{EvaluatedSummary, ReportMeta, Stat, Summary, markdown, summarize};
pub use results::{
    BudgetSettings, FinetuneSettings, QuantSettings, RESULTS_SCHEMA_VERSION, Results, RunSettings,
    TrainingSettings,
};
pub use run::{
    BEST_BITS, BEST_FINETUNED_BITS, BEST_FOLDS, Budgeted, Method, RunConfig, SeedRun, run_seed,
    run_seeds,
};
pub use ser_model::Evaluated;

#[cfg(test)]
mod tests;
