//! Labelled feature rows, read from `ser features` CSVs, and reproducible splits.

use std::collections::BTreeMap;
use std::path::Path;

use ndarray::{Array2, Axis};
use rand::seq::SliceRandom;
use ser_features::corpus::split_csv_line;

use crate::error::{MlpError, Result};
use crate::rng::seeded;

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
}

fn csv_error(name: &str, line: usize, why: impl std::fmt::Display) -> MlpError {
    MlpError::Data(format!("{name}: line {line}: {why}"))
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
            return Err(MlpError::Shape {
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
        })
    }

    /// Reads a CSV written by `ser features`: the header `path,label,speaker,<features>` (an
    /// optional trailing `tuning` column is metadata and is left out), one row per file.
    /// Every row needs a label; a missing or extra field, or a value that is not a finite number,
    /// is an error naming its line.
    pub fn from_csv(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| MlpError::Data(format!("{}: {e}", path.display())))?;
        Self::from_csv_str(&text, &path.display().to_string())
    }

    /// Parses the text of a features CSV, as [`Dataset::from_csv`] reads a file; `name` (the
    /// file's name, say) starts every error message.
    ///
    /// ```
    /// use ser_mlp::Dataset;
    ///
    /// let text = "path,label,speaker,f0,f1\na.wav,anger,03,0.5,1\nb.wav,neutral,08,-1,2e-3\n";
    /// let data = Dataset::from_csv_str(text, "mine.csv")?;
    /// assert_eq!(data.classes, ["anger", "neutral"]);
    /// assert_eq!(data.x.dim(), (2, 2));
    ///
    /// let err = Dataset::from_csv_str("path,label,speaker,f0\na.wav,anger,03,x\n", "mine.csv");
    /// assert!(err.unwrap_err().to_string().contains("mine.csv: line 2"));
    /// # Ok::<(), ser_mlp::MlpError>(())
    /// ```
    pub fn from_csv_str(text: &str, name: &str) -> Result<Self> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let (header_index, header) = lines
            .next()
            .ok_or_else(|| MlpError::Data(format!("{name}: empty file")))?;
        let header_line = header_index + 1;
        let header = split_csv_line(header.trim_end_matches('\r'))
            .map_err(|e| csv_error(name, header_line, e))?;
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
        for (i, line) in lines {
            let line_no = i + 1;
            let fields = split_csv_line(line.trim_end_matches('\r'))
                .map_err(|e| csv_error(name, line_no, e))?;
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
            return Err(MlpError::Data(format!("{name}: no rows")));
        }
        let x = Array2::from_shape_vec((labels.len(), n_features), values)
            .map_err(|e| MlpError::Data(format!("{name}: {e}")))?;
        Dataset::from_rows(x, &labels, speakers, paths, feature_names)
    }

    /// Extracts the features of a corpus listing (in parallel with ser-features' `parallel`
    /// feature) and returns the labelled rows, with every file that failed and why. Files
    /// without a label are refused: choose a corpus naming that gives them.
    ///
    /// ```no_run
    /// use ser_features::corpus::{self, CorpusKind};
    /// use ser_features::{FeatureConfig, FeatureExtractor};
    /// use ser_mlp::Dataset;
    ///
    /// let listing = corpus::load(&["path/to/emodb".into()], &CorpusKind::Auto).unwrap();
    /// let extractor = FeatureExtractor::new(FeatureConfig::default()).unwrap();
    /// let (data, failures) = Dataset::from_audio(&listing, &extractor)?;
    /// println!("{} rows, {} files failed", data.len(), failures.len());
    /// # Ok::<(), ser_mlp::MlpError>(())
    /// ```
    pub fn from_audio(
        listing: &ser_features::corpus::CorpusListing,
        extractor: &ser_features::FeatureExtractor,
    ) -> Result<(Self, Vec<ser_features::FeatureError>)> {
        if let Some(file) = listing.files.iter().find(|f| f.label.is_none()) {
            return Err(MlpError::Data(format!(
                "{} has no label (corpus `{}`): training data needs a corpus naming that gives labels",
                file.path.display(),
                listing.kind
            )));
        }
        let paths: Vec<&std::path::Path> = listing.files.iter().map(|f| f.path.as_path()).collect();
        let mut values = Vec::new();
        let (mut labels, mut speakers, mut names, mut failures) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (file, result) in listing.files.iter().zip(extractor.extract_files(&paths)) {
            match result {
                Ok(features) => {
                    values.extend_from_slice(&features.vector);
                    labels.push(file.label.clone().unwrap_or_default());
                    speakers.push(file.speaker.clone());
                    names.push(file.path.display().to_string());
                }
                Err(e) => failures.push(e),
            }
        }
        if labels.is_empty() {
            return Err(MlpError::Data(format!(
                "no file of the listing could be read ({} failed)",
                failures.len()
            )));
        }
        let x = Array2::from_shape_vec((labels.len(), extractor.dim()), values)
            .map_err(|e| MlpError::Data(e.to_string()))?;
        let data = Dataset::from_rows(x, &labels, speakers, names, extractor.feature_names())?;
        Ok((data, failures))
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
        }
    }
}

/// Row indices of a split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Rows to train on.
    pub train: Vec<usize>,
    /// Rows held out.
    pub test: Vec<usize>,
}

/// Rows of each class, in row order.
fn by_class(labels: &[usize]) -> BTreeMap<usize, Vec<usize>> {
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &l) in labels.iter().enumerate() {
        groups.entry(l).or_default().push(i);
    }
    groups
}

/// A stratified random split holding out `ceil(n * test_fraction)` rows (scikit-learn's
/// `train_test_split` count: 54 of EMODB's 535), shared among the classes in proportion to
/// their sizes (largest remainders first), reproducible from `seed`.
///
/// ```
/// use ser_mlp::stratified_split;
///
/// let labels: Vec<usize> = (0..535).map(|i| i % 7).collect();
/// let split = stratified_split(&labels, 0.1, 0)?;
/// assert_eq!((split.train.len(), split.test.len()), (481, 54));
/// assert_eq!(split, stratified_split(&labels, 0.1, 0)?);
/// # Ok::<(), ser_mlp::MlpError>(())
/// ```
pub fn stratified_split(labels: &[usize], test_fraction: f64, seed: u64) -> Result<Split> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(MlpError::Config {
            field: "test_fraction",
            reason: format!("must be in (0, 1), got {test_fraction}"),
        });
    }
    let n = labels.len();
    let n_test = (n as f64 * test_fraction).ceil() as usize;
    if n_test == 0 || n_test >= n {
        return Err(MlpError::Data(format!(
            "{n} rows cannot be split into training and {n_test} test rows"
        )));
    }
    let groups = by_class(labels);
    // Proportional shares, floored, then the remaining rows to the largest remainders.
    let exact: Vec<(usize, f64)> = groups
        .iter()
        .map(|(&c, rows)| (c, rows.len() as f64 * n_test as f64 / n as f64))
        .collect();
    let mut quota: BTreeMap<usize, usize> = exact
        .iter()
        .map(|&(c, e)| (c, e.floor() as usize))
        .collect();
    let mut order: Vec<(usize, f64)> = exact.iter().map(|&(c, e)| (c, e - e.floor())).collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut missing = n_test - quota.values().sum::<usize>();
    for (c, _) in order {
        if missing == 0 {
            break;
        }
        if quota[&c] < groups[&c].len() {
            *quota.entry(c).or_default() += 1;
            missing -= 1;
        }
    }
    let mut rng = seeded(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (c, mut rows) in groups {
        rows.shuffle(&mut rng);
        let q = quota[&c];
        test.extend_from_slice(&rows[..q]);
        train.extend_from_slice(&rows[q..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    Ok(Split { train, test })
}

/// Stratified k-fold: each class's rows shuffled (seeded) and dealt to the folds in turn, so
/// every fold holds about 1/k of each class. Fold `i`'s `test` is its rows, `train` the rest.
pub fn stratified_kfold(labels: &[usize], k: usize, seed: u64) -> Result<Vec<Split>> {
    if k < 2 || k > labels.len() {
        return Err(MlpError::Config {
            field: "k",
            reason: format!(
                "must be in 2..={} (the number of rows), got {k}",
                labels.len()
            ),
        });
    }
    let mut rng = seeded(seed);
    let mut fold_of = vec![0usize; labels.len()];
    let mut next = 0usize;
    for (_, mut rows) in by_class(labels) {
        rows.shuffle(&mut rng);
        for r in rows {
            fold_of[r] = next % k;
            next += 1;
        }
    }
    Ok((0..k)
        .map(|f| {
            let (test, train): (Vec<usize>, Vec<usize>) =
                (0..labels.len()).partition(|&i| fold_of[i] == f);
            Split { train, test }
        })
        .collect())
}

/// Leave-one-speaker-out: one fold per speaker (sorted by name), holding out all of that
/// speaker's rows. Refuses data without speakers, or with rows missing a speaker.
pub fn leave_one_speaker_out(speakers: &[Option<String>]) -> Result<Vec<(String, Split)>> {
    let missing = speakers.iter().filter(|s| s.is_none()).count();
    if missing == speakers.len() {
        return Err(MlpError::Data(
            "the data has no speakers: speaker-independent folds need the corpus naming to give them".into(),
        ));
    }
    if missing > 0 {
        return Err(MlpError::Data(format!(
            "{missing} rows have no speaker: speaker-independent folds need all"
        )));
    }
    let mut names: Vec<&String> = speakers.iter().flatten().collect();
    names.sort();
    names.dedup();
    if names.len() < 2 {
        return Err(MlpError::Data(
            "speaker-independent folds need at least 2 speakers".into(),
        ));
    }
    Ok(names
        .into_iter()
        .map(|name| {
            let (test, train): (Vec<usize>, Vec<usize>) =
                (0..speakers.len()).partition(|&i| speakers[i].as_ref() == Some(name));
            (name.clone(), Split { train, test })
        })
        .collect())
}
