//! The native half of `import ser_adaptive`.
//!
//! The Python package (`ser_adaptive/__init__.py`) wraps these functions: it turns keyword
//! arguments into the JSON settings they take here, arrays into contiguous float32, and JSON
//! answers into dicts, and it carries the docstrings. Everything here takes plain values,
//! float32 arrays and JSON text, releases the GIL while Rust works, and turns every error into
//! a Python exception of the `SerError` family with the library's own message.

mod errors;
mod options;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use numpy::{
    PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use ser_adaptive::data::demo::{DemoConfig, DemoCorpus};
use ser_adaptive::data::{Dataset, FeatureCache, Source, corpus};
use ser_adaptive::experiment::Experiment;
use ser_adaptive::features::{FeatureConfig, FeatureExtractor};
use ser_adaptive::mlp::Labelled;
use ser_adaptive::model::{Model, train_model};
use ser_adaptive::ndarray::Array2;
use ser_adaptive::quant::{BitWidth, Precision, QuantOptions};
use ser_adaptive::recognize::{Recognizer, StreamConfig};
use ser_adaptive::search::{adaptive_search, budget_search};

use crate::errors::{ConfigError, DataError, json_err, to_py};
use crate::options::{QuantArgs, RunOptions, SearchOptions, TrainOptions, parse};

/// Extractors already made, by their settings' JSON: making one (filterbanks, FFT plans) costs
/// more than extracting a short file, and a notebook calls `extract` file by file.
static EXTRACTORS: Mutex<Vec<(String, Arc<FeatureExtractor>)>> = Mutex::new(Vec::new());
/// How many settings the cache keeps (the most recently made).
const CACHED_EXTRACTORS: usize = 8;

/// The extractor of the feature settings `json` (every field of `FeatureConfig`, as
/// `results.json` writes them), checked by making it once.
fn extractor(json: &str) -> PyResult<Arc<FeatureExtractor>> {
    let mut cache = EXTRACTORS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, e)) = cache.iter().find(|(j, _)| j == json) {
        return Ok(Arc::clone(e));
    }
    let config: FeatureConfig = parse("feature", json)?;
    let made = Arc::new(FeatureExtractor::new(config).map_err(to_py)?);
    if cache.len() == CACHED_EXTRACTORS {
        cache.remove(0);
    }
    cache.push((json.to_string(), Arc::clone(&made)));
    Ok(made)
}

/// A contiguous 1-D float32 array's values (the Python side makes them contiguous).
fn samples(y: &PyReadonlyArray1<'_, f32>) -> PyResult<Vec<f32>> {
    Ok(y.as_slice()
        .map_err(|e| DataError::new_err(format!("the signal: {e}")))?
        .to_vec())
}

/// A contiguous 2-D float32 array as an owned ndarray of this workspace's version.
fn matrix(x: &PyReadonlyArray2<'_, f32>) -> PyResult<Array2<f32>> {
    let shape = x.shape();
    let (rows, cols) = (shape[0], shape[1]);
    let values = x
        .as_slice()
        .map_err(|e| DataError::new_err(format!("the feature matrix: {e}")))?
        .to_vec();
    Array2::from_shape_vec((rows, cols), values).map_err(to_py)
}

/// A float32 matrix for Python.
fn to_numpy<'py>(py: Python<'py>, x: Array2<f32>) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let (rows, cols) = x.dim();
    let flat = PyArray1::from_vec(py, x.into_raw_vec_and_offset().0);
    flat.reshape([rows, cols])
}

/// Default feature settings, as JSON.
#[pyfunction]
fn default_feature_config() -> PyResult<String> {
    serde_json::to_string(&FeatureConfig::default()).map_err(json_err)
}

/// The built-in synthetic corpus (`full`: 1,050 utterances, `small`: 210): per utterance its
/// name, label, speaker, samples and rate.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn demo_corpus<'py>(
    py: Python<'py>,
    size: &str,
) -> PyResult<Vec<(String, String, String, Bound<'py, PyArray1<f32>>, u32)>> {
    let config = match size {
        "full" => DemoConfig::default(),
        "small" => DemoConfig::small(),
        other => {
            return Err(ConfigError::new_err(format!(
                "size must be \"full\" or \"small\", got {other:?}"
            )));
        }
    };
    let utterances = py.detach(|| DemoCorpus::new(config).utterances());
    Ok(utterances
        .into_iter()
        .map(|u| {
            (
                u.name,
                u.label,
                u.speaker,
                PyArray1::from_vec(py, u.samples),
                u.sample_rate,
            )
        })
        .collect())
}

/// Default timeline settings (window, hop, gate), as JSON.
#[pyfunction]
fn default_stream_config() -> PyResult<String> {
    serde_json::to_string(&StreamConfig::default()).map_err(json_err)
}

/// The names of the feature columns.
#[pyfunction]
fn feature_names(config: &str) -> PyResult<Vec<String>> {
    Ok(extractor(config)?.feature_names())
}

/// The pooled feature vector of a mono signal.
#[pyfunction]
fn extract<'py>(
    py: Python<'py>,
    y: PyReadonlyArray1<'py, f32>,
    sr: u32,
    config: &str,
) -> PyResult<Bound<'py, PyArray1<f32>>> {
    let extractor = extractor(config)?;
    let signal = samples(&y)?;
    let vector = py
        .detach(|| extractor.extract(&signal, sr))
        .map_err(to_py)?;
    Ok(PyArray1::from_vec(py, vector))
}

/// The pooled feature vector of an audio file, with the file's rate and duration.
#[pyfunction]
fn extract_file<'py>(
    py: Python<'py>,
    path: PathBuf,
    config: &str,
) -> PyResult<(Bound<'py, PyArray1<f32>>, u32, f64)> {
    let extractor = extractor(config)?;
    let f = py.detach(|| extractor.extract_file(&path)).map_err(to_py)?;
    Ok((
        PyArray1::from_vec(py, f.vector),
        f.native_sample_rate,
        f.duration,
    ))
}

/// The pooled feature vector of audio held in memory (a whole file's bytes), with its rate
/// and duration: what [`extract_file`] gives for the file those bytes are.
#[pyfunction]
fn extract_bytes<'py>(
    py: Python<'py>,
    data: Vec<u8>,
    config: &str,
) -> PyResult<(Bound<'py, PyArray1<f32>>, u32, f64)> {
    let extractor = extractor(config)?;
    let (vector, rate, duration) = py
        .detach(|| -> ser_adaptive::Result<_> {
            let audio = ser_adaptive::features::decode_bytes(data)?;
            let vector = extractor.extract(&audio.samples, audio.sample_rate)?;
            Ok((vector, audio.sample_rate, audio.duration()))
        })
        .map_err(to_py)?;
    Ok((PyArray1::from_vec(py, vector), rate, duration))
}

/// The audio files under `paths` with their labels and speakers by the corpus naming `kind`
/// (`ser features`' listing, sorted by path), and the files left out with why.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn list_corpus(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    kind: &str,
) -> PyResult<(
    String,
    Vec<(String, Option<String>, Option<String>)>,
    Vec<(String, String)>,
)> {
    let kind: corpus::CorpusKind = kind.parse().map_err(to_py)?;
    let listing = py.detach(|| corpus::load(&paths, &kind)).map_err(to_py)?;
    Ok((
        listing.kind.to_string(),
        listing
            .files
            .into_iter()
            .map(|f| (f.path.to_string_lossy().into_owned(), f.label, f.speaker))
            .collect(),
        listing
            .skipped
            .into_iter()
            .map(|s| (s.path.to_string_lossy().into_owned(), s.reason))
            .collect(),
    ))
}

/// A rayon pool of `jobs` threads (all cores when `None`).
fn pool(jobs: Option<usize>) -> PyResult<rayon::ThreadPool> {
    if jobs == Some(0) {
        return Err(ConfigError::new_err(
            "jobs must be at least 1 (None: every core)",
        ));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| ConfigError::new_err(format!("cannot start {jobs:?} threads: {e}")))
}

/// Features of many files on `jobs` threads: the rows that worked (in the order given), their
/// paths, and `(path, error)` for the others.
#[pyfunction]
#[pyo3(signature = (paths, config, jobs=None))]
#[allow(clippy::type_complexity)]
fn extract_files<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    config: &str,
    jobs: Option<usize>,
) -> PyResult<(
    Bound<'py, PyArray2<f32>>,
    Vec<String>,
    Vec<(String, String)>,
)> {
    let extractor = extractor(config)?;
    let pool = pool(jobs)?;
    let results = py.detach(|| pool.install(|| extractor.extract_files(&paths)));
    let dim = extractor.dim();
    let (mut values, mut names, mut failures) = (Vec::new(), Vec::new(), Vec::new());
    for (path, result) in paths.iter().zip(results) {
        let name = path.to_string_lossy().into_owned();
        match result {
            Ok(f) => {
                values.extend_from_slice(&f.vector);
                names.push(name);
            }
            Err(e) => failures.push((name, e.to_string())),
        }
    }
    let x = Array2::from_shape_vec((names.len(), dim), values).map_err(to_py)?;
    Ok((to_numpy(py, x)?, names, failures))
}

/// A trained model, f32 or packed.
#[pyclass(name = "Model", module = "ser_adaptive", frozen)]
struct PyModel {
    inner: Model,
}

/// The class indices of `labels` in `classes`; an unknown label is an error.
fn label_indices(classes: &[String], labels: &[String]) -> PyResult<Vec<usize>> {
    labels
        .iter()
        .map(|l| {
            classes.iter().position(|c| c == l).ok_or_else(|| {
                DataError::new_err(format!(
                    "label `{l}` is not one of the model's classes ({})",
                    classes.join(", ")
                ))
            })
        })
        .collect()
}

#[pymethods]
impl PyModel {
    /// Reads a model file (`ser train`'s or `ser quantize`'s).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = py.detach(|| Model::load(&path)).map_err(to_py)?;
        Ok(PyModel { inner })
    }

    /// A model from the bytes of a model file.
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        let inner = Model::from_bytes(data, "the bytes given").map_err(to_py)?;
        Ok(PyModel { inner })
    }

    /// The model file's bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.inner.to_bytes().map_err(to_py)?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Writes the model file; an existing file is replaced only with `overwrite`.
    #[pyo3(signature = (path, overwrite=false))]
    fn save(&self, py: Python<'_>, path: PathBuf, overwrite: bool) -> PyResult<()> {
        if path.exists() && !overwrite {
            return Err(pyo3::exceptions::PyFileExistsError::new_err(format!(
                "{} exists; pass overwrite=True to replace it",
                path.display()
            )));
        }
        py.detach(|| self.inner.save(&path)).map_err(to_py)
    }

    /// Class names, in the order of `predict_proba`'s columns.
    #[getter]
    fn classes(&self) -> Vec<String> {
        self.inner.classes.clone()
    }

    /// Names of the feature columns the model takes.
    #[getter]
    fn feature_names(&self) -> Vec<String> {
        self.inner.feature_names()
    }

    /// The feature settings the model was trained on, as JSON.
    #[getter]
    fn feature_config(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner.features).map_err(json_err)
    }

    /// Bits per layer (32 for f32).
    #[getter]
    fn bits_per_layer(&self) -> Vec<u32> {
        // As numbers: PyO3 turns a `Vec<u8>` into `bytes`.
        self.inner
            .network
            .bits_per_layer()
            .into_iter()
            .map(u32::from)
            .collect()
    }

    /// The parameter-weighted mean width.
    #[getter]
    fn average_bits(&self) -> f64 {
        self.inner.network.average_bits()
    }

    /// The poster's size, `params x bits / 8 / 1000`.
    #[getter]
    fn size_kb(&self) -> f64 {
        self.inner.network.size_kb()
    }

    /// Weights and biases.
    #[getter]
    fn params(&self) -> usize {
        self.inner.network.params()
    }

    /// Layer shapes, `(inputs, outputs)`.
    #[getter]
    fn shapes(&self) -> Vec<(usize, usize)> {
        self.inner.network.shapes()
    }

    /// Class probabilities of each row of raw features.
    fn predict_proba<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let x = matrix(&x)?;
        let p = py
            .detach(|| self.inner.predict_proba(x.view()))
            .map_err(to_py)?;
        to_numpy(py, p)
    }

    /// The class index of each row.
    fn predict_index(&self, py: Python<'_>, x: PyReadonlyArray2<'_, f32>) -> PyResult<Vec<usize>> {
        let x = matrix(&x)?;
        py.detach(|| self.inner.predict(x.view())).map_err(to_py)
    }

    /// The model at `bits` per layer (32 keeps a layer in f32), packed.
    fn quantize(&self, bits: Vec<u8>, quant: &str) -> PyResult<PyModel> {
        let quant: QuantArgs = parse("quantization", quant)?;
        let precisions = bits
            .iter()
            .map(|&b| match b {
                32 => Ok(Precision::Full),
                b => BitWidth::new(b).map(Precision::Bits).map_err(to_py),
            })
            .collect::<PyResult<Vec<_>>>()?;
        let inner = self
            .inner
            .quantize_with(
                &precisions,
                quant.options(QuantOptions::recommended(false))?,
                None,
            )
            .map_err(to_py)?;
        Ok(PyModel { inner })
    }

    /// Accuracy, UA and the confusion matrix on rows `x` with labels, as JSON.
    fn evaluate(
        &self,
        py: Python<'_>,
        x: PyReadonlyArray2<'_, f32>,
        labels: Vec<String>,
    ) -> PyResult<String> {
        let x = matrix(&x)?;
        let truth = label_indices(&self.inner.classes, &labels)?;
        let m = py
            .detach(|| self.inner.metrics(x.view(), &truth))
            .map_err(to_py)?;
        Ok(serde_json::json!({
            "accuracy": m.accuracy,
            "ua": m.ua,
            "macro_f1": m.macro_f1,
            "precision": m.precision,
            "recall": m.recall,
            "confusion": m.confusion,
            "classes": self.inner.classes,
        })
        .to_string())
    }

    /// A recognizer for audio, from this model.
    fn recognizer(&self) -> PyResult<PyRecognizer> {
        Ok(PyRecognizer {
            inner: Recognizer::new(self.inner.clone()).map_err(to_py)?,
        })
    }
}

/// Trains the baseline on raw features `x` (columns as `features` names them).
#[pyfunction]
#[pyo3(signature = (x, labels, speakers, sample_rates, training, features))]
fn train(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f32>,
    labels: Vec<String>,
    speakers: Option<Vec<String>>,
    sample_rates: Vec<u32>,
    training: &str,
    features: &str,
) -> PyResult<(PyModel, String)> {
    let x = matrix(&x)?;
    let options: TrainOptions = parse("training", training)?;
    let config = options.config()?;
    let features: FeatureConfig = parse("feature", features)?;
    let n = x.nrows();
    let speakers: Vec<Option<String>> = match speakers {
        Some(s) => s.into_iter().map(Some).collect(),
        None => vec![None; n],
    };
    let paths = (0..n).map(|i| format!("row{i}")).collect();
    let mut data =
        Dataset::from_rows(x, &labels, speakers, paths, features.feature_names()).map_err(to_py)?;
    // Recorded in the model, so that a recognizer knows what audio the features came from.
    let mut rates = sample_rates;
    rates.sort_unstable();
    rates.dedup();
    data.sample_rates = rates;
    let rows: Vec<usize> = (0..n).collect();
    let trained = py
        .detach(|| train_model(&data, &rows, &config, &features, &mut |_| {}))
        .map_err(to_py)?;
    let history = serde_json::json!({
        "epochs": trained.history.epochs.len(),
        "best_epoch": trained.history.best_epoch,
        "train_rows": trained.train_rows.len(),
        "validation_rows": trained.validation_rows.len(),
        "validation_accuracy": trained.history.epochs.iter().map(|e| e.val_accuracy).collect::<Vec<_>>(),
        "train_loss": trained.history.epochs.iter().map(|e| e.train_loss).collect::<Vec<_>>(),
    });
    Ok((
        PyModel {
            inner: trained.model,
        },
        history.to_string(),
    ))
}

/// The adaptive search (and, with a budget, every mix) for an f32 model on validation rows.
#[pyfunction]
fn search(
    py: Python<'_>,
    model: &PyModel,
    x: PyReadonlyArray2<'_, f32>,
    labels: Vec<String>,
    options: &str,
) -> PyResult<String> {
    let options: SearchOptions = parse("search", options)?;
    let config = options.config()?;
    let model = &model.inner;
    let mlp = model
        .mlp()
        .ok_or_else(|| DataError::new_err("the search needs an f32 model, not a packed one"))?;
    let x = model
        .standardizer
        .transform(matrix(&x)?.view())
        .map_err(to_py)?;
    let y = label_indices(&model.classes, &labels)?;
    let rows = Labelled { x: x.view(), y: &y };
    let (found, budget) = py
        .detach(|| -> ser_adaptive::Result<_> {
            let found = adaptive_search(mlp, rows, &config)?;
            let budget = match options.budget() {
                None => None,
                Some(b) => {
                    let widths: Vec<Precision> =
                        BitWidth::ALL.iter().map(|&w| Precision::Bits(w)).collect();
                    Some(budget_search(mlp, rows, &[], &config, &widths, b, None)?)
                }
            };
            Ok((found, budget))
        })
        .map_err(to_py)?;
    let bits = |p: &[Precision]| p.iter().map(|p| u32::from(p.bits())).collect::<Vec<_>>();
    let answer = serde_json::json!({
        "bits_per_layer": bits(&found.precisions),
        "average_bits": found.average_bits,
        "baseline_accuracy": found.baseline_accuracy,
        "accuracy": found.accuracy,
        "scores": found.scores,
        "margins": found.margins,
        "order": found.order,
        "trials": found.trials.iter().map(|t| serde_json::json!({
            "layer": t.layer,
            "bits": t.bits.bits(),
            "average_bits": t.average_bits,
            "accuracy": t.accuracy,
            "passed": t.passed,
        })).collect::<Vec<_>>(),
        "budget": budget.map(|b| serde_json::json!({
            "bits_per_layer": bits(&b.chosen.precisions),
            "cost": b.chosen.cost,
            "accuracy": b.chosen.accuracy,
            "front": b.front.iter().map(|m| [m.cost, m.accuracy]).collect::<Vec<_>>(),
            "scored": b.scored,
            "exact": b.exact,
        })),
    });
    Ok(answer.to_string())
}

/// `ser run` on audio folders: the whole method over seeds, as `results.json`'s text.
#[pyfunction]
fn run(py: Python<'_>, paths: Vec<PathBuf>, options: &str, command: String) -> PyResult<String> {
    let options: RunOptions = parse("run", options)?;
    let (config, seeds) = options.config()?;
    let kind: corpus::CorpusKind = options.corpus.parse().map_err(to_py)?;
    let pool = pool(options.jobs)?;
    let mut experiment = Experiment::new(config, seeds);
    experiment.cache = match (&options.cache, options.no_cache) {
        (_, true) => None,
        (Some(dir), false) => Some(dir.clone()),
        (None, false) => FeatureCache::default_dir(),
    };
    experiment.corpus = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    experiment.command = command;
    let results = py
        .detach(|| -> ser_adaptive::Result<_> {
            let listing = corpus::load(&paths, &kind)?;
            Ok(pool.install(|| experiment.run(Source::files(listing), &()))?)
        })
        .map_err(to_py)?;
    Ok(results.to_json())
}

/// A model file to emotions of signals and files.
#[pyclass(name = "Recognizer", module = "ser_adaptive", frozen)]
struct PyRecognizer {
    inner: Recognizer,
}

/// A stream configuration from JSON (`{"window": 3.0, "hop": 1.0, "gate": {...} | null}`).
fn stream_config(json: &str) -> PyResult<StreamConfig> {
    let config: StreamConfig = parse("timeline", json)?;
    config.validate().map_err(to_py)?;
    Ok(config)
}

#[pymethods]
impl PyRecognizer {
    /// Reads a model file.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = py.detach(|| Recognizer::load(&path)).map_err(to_py)?;
        Ok(PyRecognizer { inner })
    }

    /// Class names.
    #[getter]
    fn classes(&self) -> Vec<String> {
        self.inner.classes().to_vec()
    }

    /// The sample rates the model was trained at.
    #[getter]
    fn sample_rates(&self) -> Vec<u32> {
        self.inner.sample_rates().to_vec()
    }

    /// The emotion of a signal, as JSON.
    fn predict_signal(
        &self,
        py: Python<'_>,
        y: PyReadonlyArray1<'_, f32>,
        sr: u32,
    ) -> PyResult<String> {
        let signal = samples(&y)?;
        let p = py
            .detach(|| self.inner.recognize(&signal, sr))
            .map_err(to_py)?;
        serde_json::to_string(&p).map_err(json_err)
    }

    /// The emotion of a file, as JSON.
    fn predict_file(&self, py: Python<'_>, path: PathBuf) -> PyResult<String> {
        let p = py
            .detach(|| self.inner.recognize_file(&path))
            .map_err(to_py)?;
        serde_json::to_string(&p).map_err(json_err)
    }

    /// The features the recognizer computes from a signal (resampled to the model's rate).
    fn features<'py>(
        &self,
        py: Python<'py>,
        y: PyReadonlyArray1<'py, f32>,
        sr: u32,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let signal = samples(&y)?;
        let v = py
            .detach(|| self.inner.features(&signal, sr))
            .map_err(to_py)?;
        Ok(PyArray1::from_vec(py, v))
    }

    /// One prediction per window of a file, as JSON `{"windows": [...], "end": {...}}`.
    fn timeline_file(&self, py: Python<'_>, path: PathBuf, config: &str) -> PyResult<String> {
        let config = stream_config(config)?;
        let (windows, end) = py
            .detach(|| {
                let mut windows = Vec::new();
                let end = self.inner.timeline_file(&path, config, &mut |w| {
                    windows.push(w);
                    Ok::<(), ser_adaptive::recognize::RecognizeError>(())
                })?;
                Ok::<_, ser_adaptive::recognize::RecognizeError>((windows, end))
            })
            .map_err(to_py)?;
        serde_json::to_string(&serde_json::json!({ "windows": windows, "end": end }))
            .map_err(json_err)
    }

    /// One prediction per window of a signal, as JSON `{"windows": [...], "end": {...}}`.
    fn timeline_signal(
        &self,
        py: Python<'_>,
        y: PyReadonlyArray1<'_, f32>,
        sr: u32,
        config: &str,
    ) -> PyResult<String> {
        let config = stream_config(config)?;
        let signal = samples(&y)?;
        let (windows, end) = py
            .detach(|| {
                let mut stream = self.inner.stream(sr, config)?;
                let windows = stream.push(&signal)?;
                Ok::<_, ser_adaptive::recognize::RecognizeError>((windows, stream.finish()?))
            })
            .map_err(to_py)?;
        serde_json::to_string(&serde_json::json!({ "windows": windows, "end": end }))
            .map_err(json_err)
    }
}

/// `ser_adaptive._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_function(wrap_pyfunction!(default_feature_config, m)?)?;
    m.add_function(wrap_pyfunction!(default_stream_config, m)?)?;
    m.add_function(wrap_pyfunction!(demo_corpus, m)?)?;
    m.add_function(wrap_pyfunction!(feature_names, m)?)?;
    m.add_function(wrap_pyfunction!(extract, m)?)?;
    m.add_function(wrap_pyfunction!(extract_file, m)?)?;
    m.add_function(wrap_pyfunction!(extract_files, m)?)?;
    m.add_function(wrap_pyfunction!(extract_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(list_corpus, m)?)?;
    m.add_function(wrap_pyfunction!(train, m)?)?;
    m.add_function(wrap_pyfunction!(search, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_class::<PyModel>()?;
    m.add_class::<PyRecognizer>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
