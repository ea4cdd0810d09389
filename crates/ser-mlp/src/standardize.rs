//! Standardisation of features with statistics of the training split only.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::error::{MlpError, Result};

/// Per-column mean and standard deviation, fitted on training data and applied to any data.
///
/// A column that is constant in the training data (std 0) is only centred, as scikit-learn's
/// `StandardScaler` does.
///
/// ```
/// use ndarray::array;
/// use ser_mlp::Standardizer;
///
/// let train = array![[1.0f32, 10.0], [3.0, 10.0]];
/// let scaler = Standardizer::fit(train.view())?;
/// let scaled = scaler.transform(array![[2.0f32, 12.0]].view())?;
/// assert_eq!(scaled, array![[0.0f32, 2.0]]);
/// # Ok::<(), ser_mlp::MlpError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Column means.
    pub mean: Array1<f32>,
    /// Column standard deviations (population), 1 where the column is constant.
    pub scale: Array1<f32>,
}

impl Standardizer {
    /// Fits on `x` (rows are samples); refuses empty or non-finite data.
    pub fn fit(x: ArrayView2<f32>) -> Result<Self> {
        if x.nrows() == 0 || x.ncols() == 0 {
            return Err(MlpError::Empty);
        }
        check_finite(&x)?;
        let n = x.nrows() as f64;
        let mut mean = Array1::<f32>::zeros(x.ncols());
        let mut scale = Array1::<f32>::zeros(x.ncols());
        for (j, column) in x.axis_iter(Axis(1)).enumerate() {
            let m = column.iter().map(|v| f64::from(*v)).sum::<f64>() / n;
            let var = column
                .iter()
                .map(|v| (f64::from(*v) - m).powi(2))
                .sum::<f64>()
                / n;
            mean[j] = m as f32;
            let s = var.sqrt() as f32;
            scale[j] = if s > 0.0 && s.is_finite() { s } else { 1.0 };
        }
        Ok(Standardizer { mean, scale })
    }

    /// `(x - mean) / scale`, column by column.
    pub fn transform(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        if x.ncols() != self.mean.len() {
            return Err(MlpError::Shape {
                what: "features to standardise",
                expected: format!("{} columns", self.mean.len()),
                got: format!("{} columns", x.ncols()),
            });
        }
        check_finite(&x)?;
        Ok((&x - &self.mean) / &self.scale)
    }
}

/// Fails on the first NaN or infinite value.
pub(crate) fn check_finite(x: &ArrayView2<f32>) -> Result<()> {
    for ((row, column), v) in x.indexed_iter() {
        if !v.is_finite() {
            return Err(MlpError::NonFinite { row, column });
        }
    }
    Ok(())
}
