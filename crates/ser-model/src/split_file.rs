//! The rows of every fold of a cross-validation as a JSON file (`ser train --save-split`), so
//! that other tools (`scripts/compare_sklearn.py`) train and test on exactly the same rows.

use ser_data::{Dataset, SplitSpec};
use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::train::CrossValidation;

/// Which rows each fold trained, validated and tested on: indices into the dataset as read
/// (a features table's row order), with the paths of the rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitFile {
    /// The split, as `--split` spells it (`random`, `kfold:5`, `speakers:0.1`, `loso`).
    pub split: String,
    /// The seed that drew it.
    pub seed: u64,
    /// Rows in the dataset.
    pub rows: usize,
    /// Each row's file, in row order.
    pub paths: Vec<String>,
    /// The folds, in the split's order.
    pub folds: Vec<SplitFold>,
}

/// One fold's rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitFold {
    /// `random`, `fold 3`, a speaker's name.
    pub name: String,
    /// Rows trained on.
    pub train: Vec<usize>,
    /// Rows early stopping watched.
    pub validation: Vec<usize>,
    /// Rows tested on.
    pub test: Vec<usize>,
}

impl SplitFile {
    /// The folds of `cv`, a cross-validation of `data` by `split` drawn with `seed`.
    pub fn new(cv: &CrossValidation, data: &Dataset, split: &SplitSpec, seed: u64) -> Self {
        SplitFile {
            split: split.to_string(),
            seed,
            rows: data.len(),
            paths: data.paths.clone(),
            folds: cv
                .folds
                .iter()
                .map(|f| SplitFold {
                    name: f.name.clone(),
                    train: f.rows.train.clone(),
                    validation: f.rows.validation.clone(),
                    test: f.rows.test.clone(),
                })
                .collect(),
        }
    }

    /// The JSON text, one line.
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads the JSON text back, refusing rows out of range and unknown keys.
    ///
    /// ```
    /// use ser_model::SplitFile;
    ///
    /// let text = r#"{"split":"random","seed":0,"rows":3,"paths":["a","b","c"],
    ///     "folds":[{"name":"random","train":[0],"validation":[1],"test":[2]}]}"#;
    /// let file = SplitFile::from_json(text)?;
    /// assert_eq!(file.folds[0].test, vec![2]);
    /// assert!(SplitFile::from_json(&text.replace("[2]", "[7]")).is_err());
    /// # Ok::<(), ser_model::ModelError>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Self> {
        let file: SplitFile = serde_json::from_str(text)
            .map_err(|e| ModelError::Mismatch(format!("not a split file: {e}")))?;
        if file.paths.len() != file.rows {
            return Err(ModelError::Mismatch(format!(
                "a split file of {} rows lists {} paths",
                file.rows,
                file.paths.len()
            )));
        }
        for fold in &file.folds {
            let all = fold.train.iter().chain(&fold.validation).chain(&fold.test);
            if let Some(&r) = all.clone().find(|&&r| r >= file.rows) {
                return Err(ModelError::Mismatch(format!(
                    "fold `{}` names row {r} of a split of {} rows",
                    fold.name, file.rows
                )));
            }
        }
        Ok(file)
    }
}
