//! Labelled feature rows: built from extraction, read from a features CSV, subset by rows,
//! columns or classes.

use std::collections::BTreeMap;
use std::path::Path;

use ndarray::{Array2, Axis};

use crate::csv::split_line;
use crate::error::{DataError, Result};

/// Feature rows with their labels, speakers and source paths.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Features, one row per sample.
    pub x: Array2<f32>,
    /// Class index of each row, into [`Dataset::classes`].
    pub labels: Vec<usize>,
    /// Class names, sorted.
    pub classes: Vec<String>,
    /// Speaker of each row, when known.
    pub speakers: Vec<Option<String>>,
    /// Where each row came from.
    pub paths: Vec<String>,
    /// The feature columns' names.
    pub feature_names: Vec<String>,
    /// The distinct rates the features were computed at, ascending; empty when unknown (a
    /// table without its sidecar, rows built by hand). A model trained on the rows keeps them,
    /// so that audio at another rate is resampled, not misread.
    pub sample_rates: Vec<u32>,
}

fn csv_error(name: &str, line: usize, why: impl std::fmt::Display) -> DataError {
    DataError::Table(format!("{name}: line {line}: {why}"))
}

impl Dataset {
    /// Builds a dataset from rows; class names are the sorted distinct labels.
    pub fn from_rows(
        x: Array2<f32>,
        labels: &[String],
        speakers: Vec<Option<String>>,
        paths: Vec<String>,
        feature_names: Vec<String>,
    ) -> Result<Self> {
        let n = x.nrows();
        if labels.len() != n
            || speakers.len() != n
            || paths.len() != n
            || feature_names.len() != x.ncols()
        {
            return Err(DataError::Shape {
                what: "dataset rows",
                expected: format!(
                    "{n} labels, speakers and paths and {} feature names",
                    x.ncols()
                ),
                got: format!(
                    "{} labels, {} speakers, {} paths, {} feature names",
                    labels.len(),
                    speakers.len(),
                    paths.len(),
                    feature_names.len()
                ),
            });
        }
        let mut classes: Vec<String> = labels.to_vec();
        classes.sort();
        classes.dedup();
        let index: BTreeMap<&str, usize> = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let labels = labels.iter().map(|l| index[l.as_str()]).collect();
        Ok(Dataset {
            x,
            labels,
            classes,
            speakers,
            paths,
            feature_names,
            sample_rates: Vec::new(),
        })
    }

    /// Reads a CSV written by `ser features`: the header `path,label,speaker,<features>` (an
    /// optional trailing `tuning` column is metadata and is left out), one row per file.
    /// Every row needs a label; a missing or extra field, or a value that is not a finite number,
    /// is an error naming its line.
    pub fn from_csv(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
        Self::from_csv_str(&text, &path.display().to_string())
    }

    /// Parses the text of a features CSV, as [`Dataset::from_csv`] reads a file; `name` (the
    /// file's name, say) starts every error message.
    ///
    /// ```
    /// use ser_data::Dataset;
    ///
    /// let text = "path,label,speaker,f0,f1\na.wav,anger,03,0.5,1\nb.wav,neutral,08,-1,2e-3\n";
    /// let data = Dataset::from_csv_str(text, "mine.csv")?;
    /// assert_eq!(data.classes, ["anger", "neutral"]);
    /// assert_eq!(data.x.dim(), (2, 2));
    ///
    /// let err = Dataset::from_csv_str("path,label,speaker,f0\na.wav,anger,03,x\n", "mine.csv");
    /// assert!(err.unwrap_err().to_string().contains("mine.csv: line 2"));
    /// # Ok::<(), ser_data::DataError>(())
    /// ```
    pub fn from_csv_str(text: &str, name: &str) -> Result<Self> {
        let mut lines = crate::csv::lines(text);
        let (header_line, header) = lines
            .next()
            .ok_or_else(|| DataError::Table(format!("{name}: empty file")))?;
        let header = split_line(header).map_err(|e| csv_error(name, header_line, e))?;
        if header.len() < 4 || header[..3] != ["path", "label", "speaker"] {
            return Err(csv_error(
                name,
                header_line,
                "expected the header `path,label,speaker,<features>` of `ser features`",
            ));
        }
        let has_tuning = header.last().is_some_and(|h| h == "tuning");
        let n_features = header.len() - 3 - usize::from(has_tuning);
        if n_features == 0 {
            return Err(csv_error(name, header_line, "no feature columns"));
        }
        let feature_names = header[3..3 + n_features].to_vec();
        let (mut values, mut labels, mut speakers, mut paths) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (line_no, line) in lines {
            let fields = split_line(line).map_err(|e| csv_error(name, line_no, e))?;
            if fields.len() != header.len() {
                return Err(csv_error(
                    name,
                    line_no,
                    format!("{} fields, the header has {}", fields.len(), header.len()),
                ));
            }
            if fields[1].is_empty() {
                return Err(csv_error(
                    name,
                    line_no,
                    format!(
                        "`{}` has no label (extract with a corpus naming, not --corpus none)",
                        fields[0]
                    ),
                ));
            }
            for (column, field) in feature_names.iter().zip(&fields[3..3 + n_features]) {
                let v: f32 = field.trim().parse().map_err(|_| {
                    csv_error(
                        name,
                        line_no,
                        format!("`{column}` is `{field}`, not a number"),
                    )
                })?;
                if !v.is_finite() {
                    return Err(csv_error(
                        name,
                        line_no,
                        format!("`{column}` is {v}, not a finite number"),
                    ));
                }
                values.push(v);
            }
            paths.push(fields[0].clone());
            labels.push(fields[1].clone());
            speakers.push(Some(fields[2].clone()).filter(|s| !s.is_empty()));
        }
        if labels.is_empty() {
            return Err(DataError::Table(format!("{name}: no rows")));
        }
        let x = Array2::from_shape_vec((labels.len(), n_features), values)
            .map_err(|e| DataError::Table(format!("{name}: {e}")))?;
        Dataset::from_rows(x, &labels, speakers, paths, feature_names)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The rows at `indices`, in that order, with the same classes.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let pick = |v: &Vec<Option<String>>| indices.iter().map(|&i| v[i].clone()).collect();
        Dataset {
            x: self.x.select(Axis(0), indices),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            classes: self.classes.clone(),
            speakers: pick(&self.speakers),
            paths: indices.iter().map(|&i| self.paths[i].clone()).collect(),
            feature_names: self.feature_names.clone(),
            sample_rates: self.sample_rates.clone(),
        }
    }

    /// The columns `names`, in that order (a table made with more groups, or another pooling,
    /// still serves a model that takes fewer); a missing column is an error naming `source`.
    ///
    /// ```
    /// use ser_data::Dataset;
    ///
    /// let data = Dataset::from_csv_str("path,label,speaker,a,b\nx.wav,anger,,1,2\n", "t.csv")?;
    /// let b = data.clone().select_columns(&["b".to_string()], "t.csv")?;
    /// assert_eq!(b.x[[0, 0]], 2.0);
    /// assert!(data.select_columns(&["c".to_string()], "t.csv").is_err());
    /// # Ok::<(), ser_data::DataError>(())
    /// ```
    pub fn select_columns(self, names: &[String], source: &str) -> Result<Dataset> {
        if self.feature_names == names {
            return Ok(self);
        }
        let indices = names
            .iter()
            .map(|n| {
                self.feature_names.iter().position(|f| f == n).ok_or_else(|| {
                    DataError::Table(format!(
                        "{source}: no column `{n}`: these features were made with another configuration"
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Dataset {
            x: self.x.select(Axis(1), &indices),
            feature_names: names.to_vec(),
            ..self
        })
    }

    /// The rows whose label is one of `classes` (a model's), with that class's index there,
    /// and how many rows of each other label were left out. No known row at all is an error
    /// naming `source` and both label sets.
    ///
    /// ```
    /// use ser_data::Dataset;
    ///
    /// let data = Dataset::from_csv_str("path,label,speaker,f\na,anger,,1\nb,calm,,2\nc,calm,,3\n", "t.csv")?;
    /// let known = data.rows_of_classes(&["calm".to_string(), "fear".to_string()], "t.csv")?;
    /// assert_eq!((known.rows, known.classes), (vec![1, 2], vec![0, 0]));
    /// assert_eq!(known.left_out["anger"], 1);
    /// # Ok::<(), ser_data::DataError>(())
    /// ```
    pub fn rows_of_classes(&self, classes: &[String], source: &str) -> Result<KnownRows> {
        let mut known = KnownRows::default();
        for (i, &l) in self.labels.iter().enumerate() {
            let name = self.classes[l].as_str();
            match classes.iter().position(|c| c == name) {
                Some(c) => {
                    known.rows.push(i);
                    known.classes.push(c);
                }
                None => *known.left_out.entry(name.to_string()).or_default() += 1,
            }
        }
        if known.rows.is_empty() {
            let unknown: Vec<String> = known
                .left_out
                .iter()
                .map(|(label, n)| format!("{n} row(s) labelled `{label}`"))
                .collect();
            return Err(DataError::Table(format!(
                "{source}: no row has a label the model knows ({}; the model's: {})",
                unknown.join(", "),
                classes.join(", ")
            )));
        }
        Ok(known)
    }
}

/// The rows of a dataset whose labels another class list (a model's) knows:
/// [`Dataset::rows_of_classes`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownRows {
    /// Row indices into the dataset.
    pub rows: Vec<usize>,
    /// Each row's class index in the other list.
    pub classes: Vec<usize>,
    /// How many rows of each unknown label were left out.
    pub left_out: BTreeMap<String, usize>,
}
