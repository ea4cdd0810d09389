//! Rust errors as Python exceptions: one family under `SerError`, one class per part of the
//! library, the library's own message.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use ser_adaptive::Error;

create_exception!(
    ser_adaptive,
    SerError,
    PyException,
    "Every error ser_adaptive raises."
);
create_exception!(
    ser_adaptive,
    AudioError,
    SerError,
    "Audio that cannot be read or analysed: a missing, empty, truncated or corrupt file, an \
     unsupported codec, NaN or infinite samples, a sample rate out of range."
);
create_exception!(
    ser_adaptive,
    DataError,
    SerError,
    "Data of the wrong shape or content: mismatched rows and labels, unknown labels, corpora \
     and tables that cannot be read."
);
create_exception!(
    ser_adaptive,
    ModelError,
    SerError,
    "Training, quantization and model files: bad settings for the network, corrupt files."
);
create_exception!(
    ser_adaptive,
    RecognizeError,
    SerError,
    "Recognition: a signal too short for a window, a rate the model cannot take."
);
create_exception!(
    ser_adaptive,
    SearchError,
    SerError,
    "The adaptive search, the budget mode, fine-tuning and whole runs."
);
create_exception!(
    ser_adaptive,
    ConfigError,
    SerError,
    "An unknown option, or an option's value out of its range."
);

/// The exception for `e`, by the part of the library it comes from.
pub(crate) fn to_py(e: impl Into<Error>) -> PyErr {
    let e: Error = e.into();
    let message = e.to_string();
    match &e {
        Error::Io { .. } => pyo3::exceptions::PyOSError::new_err(message),
        Error::Features(ser_adaptive::features::FeatureError::Config { .. }) => {
            ConfigError::new_err(message)
        }
        Error::Features(_) => AudioError::new_err(message),
        Error::Data(_) | Error::Shape(_) => DataError::new_err(message),
        Error::Mlp(_) | Error::Model(_) | Error::Quant(_) | Error::Importance(_) => {
            ModelError::new_err(message)
        }
        Error::Recognize(_) => RecognizeError::new_err(message),
        Error::Search(ser_adaptive::search::SearchError::Config(_)) => {
            ConfigError::new_err(message)
        }
        Error::Search(_) => SearchError::new_err(message),
        Error::Experiment(e) => experiment(e, message),
        Error::UnknownName(_) => ConfigError::new_err(message),
        _ => SerError::new_err(message),
    }
}

/// A whole run's error, by its kind.
fn experiment(e: &ser_adaptive::experiment::ExperimentError, message: String) -> PyErr {
    use ser_adaptive::experiment::ExperimentError as E;
    match e {
        E::Config(_) | E::Search(ser_adaptive::search::SearchError::Config(_)) => {
            ConfigError::new_err(message)
        }
        E::Search(_) => SearchError::new_err(message),
        E::Io { .. } => pyo3::exceptions::PyOSError::new_err(message),
        E::NothingRead { .. } | E::Dataset(_) | E::Data(_) | E::Schema { .. } => {
            DataError::new_err(message)
        }
        _ => ModelError::new_err(message),
    }
}

/// A JSON (de)serialisation failure of our own values: a bug, not the user's input.
pub(crate) fn json_err(e: serde_json::Error) -> PyErr {
    SerError::new_err(format!("internal JSON error: {e}"))
}

/// Adds the exception classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SerError", py.get_type::<SerError>())?;
    m.add("AudioError", py.get_type::<AudioError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("RecognizeError", py.get_type::<RecognizeError>())?;
    m.add("SearchError", py.get_type::<SearchError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    Ok(())
}
