//! Classification metrics: weighted accuracy, unweighted average recall, macro-F1, confusion.

use crate::error::{MlpError, Result};

/// How predictions compare with the truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// `confusion[t][p]`: rows of true class `t` predicted as `p`.
    pub confusion: Vec<Vec<usize>>,
    /// Weighted accuracy (WA): the fraction of rows predicted right, in [0, 1].
    pub accuracy: f64,
    /// Unweighted average recall (UA): the mean recall over the classes present in the truth.
    pub ua: f64,
    /// Macro-F1: the mean F1 over the classes present in the truth or the predictions (a class
    /// never predicted has precision 0, as scikit-learn's `zero_division=0`).
    pub macro_f1: f64,
    /// Precision per class (0 when the class is never predicted).
    pub precision: Vec<f64>,
    /// Recall per class (0 when the class is absent from the truth).
    pub recall: Vec<f64>,
    /// Rows of each class in the truth.
    pub support: Vec<usize>,
}

/// Compares `predicted` with `truth` over `classes` classes.
///
/// ```
/// use ser_mlp::classification_metrics;
///
/// let truth = [0, 0, 0, 1, 1, 2];
/// let predicted = [0, 0, 1, 1, 1, 0];
/// let m = classification_metrics(&truth, &predicted, 3)?;
/// assert_eq!(m.confusion, vec![vec![2, 1, 0], vec![0, 2, 0], vec![1, 0, 0]]);
/// assert!((m.accuracy - 4.0 / 6.0).abs() < 1e-12);
/// assert!((m.ua - (2.0 / 3.0 + 1.0 + 0.0) / 3.0).abs() < 1e-12);
/// # Ok::<(), ser_mlp::MlpError>(())
/// ```
pub fn classification_metrics(
    truth: &[usize],
    predicted: &[usize],
    classes: usize,
) -> Result<Metrics> {
    if truth.len() != predicted.len() {
        return Err(MlpError::Shape {
            what: "predictions",
            expected: format!("{} (one per true label)", truth.len()),
            got: predicted.len().to_string(),
        });
    }
    if truth.is_empty() {
        return Err(MlpError::Empty);
    }
    let mut confusion = vec![vec![0usize; classes]; classes];
    for (row, (&t, &p)) in truth.iter().zip(predicted).enumerate() {
        for label in [t, p] {
            if label >= classes {
                return Err(MlpError::Label {
                    row,
                    label,
                    classes,
                });
            }
        }
        confusion[t][p] += 1;
    }
    let support: Vec<usize> = confusion.iter().map(|r| r.iter().sum()).collect();
    let predicted_count: Vec<usize> = (0..classes)
        .map(|p| confusion.iter().map(|r| r[p]).sum())
        .collect();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let precision: Vec<f64> = (0..classes)
        .map(|c| ratio(confusion[c][c], predicted_count[c]))
        .collect();
    let recall: Vec<f64> = (0..classes)
        .map(|c| ratio(confusion[c][c], support[c]))
        .collect();
    let correct: usize = (0..classes).map(|c| confusion[c][c]).sum();
    let present: Vec<usize> = (0..classes).filter(|&c| support[c] > 0).collect();
    let ua = present.iter().map(|&c| recall[c]).sum::<f64>() / present.len() as f64;
    let seen: Vec<usize> = (0..classes)
        .filter(|&c| support[c] > 0 || predicted_count[c] > 0)
        .collect();
    let f1 = |c: usize| {
        let (p, r) = (precision[c], recall[c]);
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    };
    let macro_f1 = seen.iter().map(|&c| f1(c)).sum::<f64>() / seen.len() as f64;
    Ok(Metrics {
        confusion,
        accuracy: correct as f64 / truth.len() as f64,
        ua,
        macro_f1,
        precision,
        recall,
        support,
    })
}
