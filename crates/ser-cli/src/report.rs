//! Printing metrics, as text or JSON.

use ser_adaptive::mlp::Metrics;
use serde_json::{Value, json};

use crate::CliError;
use crate::output::{out, outln};

/// The metrics as JSON, WA and UA in percent.
pub(crate) fn metrics_json(m: &Metrics, classes: &[String]) -> Value {
    json!({
        "accuracy": 100.0 * m.accuracy,
        "ua": 100.0 * m.ua,
        "macro_f1": m.macro_f1,
        "confusion": m.confusion,
        "classes": classes,
        "precision": m.precision,
        "recall": m.recall,
        "support": m.support,
    })
}

/// WA, UA, macro-F1 and the confusion matrix, as a table.
pub(crate) fn print_metrics(m: &Metrics, classes: &[String]) -> Result<(), CliError> {
    outln!(
        "test WA {:.2} %, UA {:.2} %, macro-F1 {:.4}",
        100.0 * m.accuracy,
        100.0 * m.ua,
        m.macro_f1
    )?;
    let width = classes.iter().map(String::len).max().unwrap_or(5).max(5);
    out!("{:>width$}", "true \\ predicted")?;
    for c in classes {
        out!(" {:>width$}", c)?;
    }
    outln!()?;
    for (c, row) in classes.iter().zip(&m.confusion) {
        out!("{:>width$}", c, width = width.max(16))?;
        for v in row {
            out!(" {v:>width$}")?;
        }
        outln!()?;
    }
    Ok(())
}
