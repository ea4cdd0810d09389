//! The one entry point: sources (or a dataset), settings and seeds to [`Results`], and the
//! report folder they make.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ser_data::{Dataset, Extraction, FeatureCache, Source, extract};
use ser_features::{FeatureConfig, FeatureExtractor};

use crate::error::{ExperimentError, Result};
use crate::report::{ReportMeta, markdown};
use crate::results::{Results, RunSettings};
use crate::run::{RunConfig, run_seeds};

/// A part of an experiment that reports progress to an [`Observer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Features of every source, one step per source.
    Features,
    /// The method, one step per seed.
    Seeds,
}

/// What a caller wants to hear while an experiment runs (a progress bar, a log); every call
/// has an empty default, and `()` hears nothing. Calls may come from several threads.
pub trait Observer: Sync {
    /// `stage` begins, with `total` steps.
    fn start(&self, _stage: Stage, _total: usize) {}
    /// One step of `stage` is done.
    fn step(&self, _stage: Stage) {}
    /// The features are extracted, in `seconds`: what was read, from the cache, what failed.
    fn extracted(&self, _extraction: &Extraction, _seconds: f64) {}
}

impl Observer for () {}

/// A run of the method over seeds on a corpus, as `ser run`, `ser demo` and Python's `run`
/// make it.
///
/// ```
/// use ser_data::{Source, demo::DemoConfig};
/// use ser_experiment::{Experiment, RunConfig};
/// use ser_mlp::TrainConfig;
///
/// let sources = Source::demo(DemoConfig { speakers: 4, utterances_per_emotion: 3, ..DemoConfig::default() });
/// let config = RunConfig {
///     train: TrainConfig { hidden: vec![16], max_epochs: 5, ..TrainConfig::default() },
///     ..RunConfig::default()
/// };
/// let experiment = Experiment::new(config, vec![0, 1]);
/// let results = experiment.run(sources, &())?;
/// assert_eq!(results.runs.len(), 2);
/// let dir = std::env::temp_dir().join(format!("ser-experiment-doc-{}", std::process::id()));
/// let written = results.write_dir(&dir)?;
/// assert!(written.iter().any(|p| p.ends_with("report.md")));
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Experiment {
    /// The method's settings.
    pub config: RunConfig,
    /// The seeds, in the order the results list them.
    pub seeds: Vec<u64>,
    /// How the features are computed. Default: [`FeatureConfig::default`] (the poster's 180).
    pub features: FeatureConfig,
    /// The feature cache to read and fill, if any. Default: none.
    pub cache: Option<PathBuf>,
    /// How the report names the data. Default: empty.
    pub corpus: String,
    /// The command the report says made it. Default: empty.
    pub command: String,
}

impl Experiment {
    /// An experiment of `config` over `seeds`, with the default features and no cache.
    pub fn new(config: RunConfig, seeds: Vec<u64>) -> Self {
        Experiment {
            config,
            seeds,
            features: FeatureConfig::default(),
            cache: None,
            corpus: String::new(),
            command: String::new(),
        }
    }

    /// Checks the settings (before any file is read).
    pub fn validate(&self) -> Result<()> {
        if self.seeds.is_empty() {
            return Err(ExperimentError::Config("give at least one seed".into()));
        }
        let mut unique = self.seeds.clone();
        unique.sort_unstable();
        unique.dedup();
        if unique.len() != self.seeds.len() {
            return Err(ExperimentError::Config("a seed is repeated".into()));
        }
        self.config.validate()
    }

    /// Extracts `sources` (in the caller's rayon pool, through the cache), then runs the
    /// method on them ([`Experiment::run_on`]). Sources that fail are left out and reported
    /// to `observer`; none read is an error.
    pub fn run(&self, sources: Vec<Source>, observer: &dyn Observer) -> Result<Results> {
        self.validate()?;
        let started = Instant::now();
        let extractor =
            FeatureExtractor::new(self.features.clone()).map_err(ser_data::DataError::from)?;
        let cache = self
            .cache
            .as_ref()
            .map(|dir| FeatureCache::new(dir.clone(), &self.features))
            .transpose()?;
        observer.start(Stage::Features, sources.len());
        let extraction = extract(sources, &extractor, cache.as_ref(), &|| {
            observer.step(Stage::Features)
        });
        observer.extracted(&extraction, started.elapsed().as_secs_f64());
        if extraction.rows.is_empty() {
            return Err(ExperimentError::NothingRead {
                failed: extraction.failures.len(),
            });
        }
        let data = extraction
            .into_dataset()
            .map_err(ExperimentError::Dataset)?;
        self.run_from(&data, observer, started)
    }

    /// Runs the method on `data` (features made as [`Experiment::features`] says) for every
    /// seed, in parallel in the caller's rayon pool with the `parallel` feature; the results
    /// do not depend on the number of threads.
    pub fn run_on(&self, data: &Dataset, observer: &dyn Observer) -> Result<Results> {
        self.validate()?;
        self.run_from(data, observer, Instant::now())
    }

    fn run_from(
        &self,
        data: &Dataset,
        observer: &dyn Observer,
        started: Instant,
    ) -> Result<Results> {
        observer.start(Stage::Seeds, self.seeds.len());
        let runs = run_seeds(data, &self.features, &self.seeds, &self.config, &|| {
            observer.step(Stage::Seeds)
        })?;
        let meta = ReportMeta::new(
            self.corpus.clone(),
            data,
            &self.config,
            self.command.clone(),
        );
        let settings = RunSettings::new(
            &self.config,
            &self.seeds,
            &self.features,
            meta.layers.clone(),
        );
        Ok(Results::new(
            &meta,
            settings,
            runs,
            started.elapsed().as_secs_f64(),
        ))
    }
}

impl Results {
    /// Writes the report folder `dir` (made if missing): `results.json`, `report.md`, and with
    /// the `plot` feature `plot.svg` and, with a budget, `front.svg`; each file replaced whole
    /// or not at all, and nothing else in `dir` touched. Returns the files written.
    pub fn write_dir(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ExperimentError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let report = markdown(&self.meta(), &self.runs, &self.summary);
        let files = [
            Some(("results.json", self.to_json())),
            Some(("report.md", report)),
            #[cfg(feature = "plot")]
            Some(("plot.svg", crate::plot::svg(&self.summary))),
            #[cfg(feature = "plot")]
            self.front_svg().map(|front| ("front.svg", front)),
        ];
        let mut written = Vec::new();
        for (name, text) in files.into_iter().flatten() {
            let path = dir.join(name);
            ser_data::write_atomically(&path, |w| std::io::Write::write_all(w, text.as_bytes()))
                .map_err(io(&path))?;
            written.push(path);
        }
        Ok(written)
    }
}
