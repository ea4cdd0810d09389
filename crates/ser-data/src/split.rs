//! Reproducible splits of labelled rows, each written once, and [`SplitSpec`], the one
//! vocabulary every command uses for them: `random`, `kfold:K`, `speakers:FRACTION`, `loso`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rand::seq::SliceRandom;

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::rng::seeded;

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
/// use ser_data::stratified_split;
///
/// let labels: Vec<usize> = (0..535).map(|i| i % 7).collect();
/// let split = stratified_split(&labels, 0.1, 0)?;
/// assert_eq!((split.train.len(), split.test.len()), (481, 54));
/// assert_eq!(split, stratified_split(&labels, 0.1, 0)?);
/// # Ok::<(), ser_data::DataError>(())
/// ```
pub fn stratified_split(labels: &[usize], test_fraction: f64, seed: u64) -> Result<Split> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(DataError::Config {
            field: "test fraction",
            reason: format!("must be in (0, 1), got {test_fraction}"),
        });
    }
    let n = labels.len();
    let n_test = (n as f64 * test_fraction).ceil() as usize;
    if n_test == 0 || n_test >= n {
        return Err(DataError::Table(format!(
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
        return Err(DataError::Config {
            field: "fold count",
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

/// The sorted distinct speakers of `speakers`; refuses data without them, with a row missing
/// one (naming its path from `paths`), or with fewer than two.
fn speaker_names<'a>(speakers: &'a [Option<String>], paths: &[String]) -> Result<Vec<&'a str>> {
    if speakers.iter().all(Option::is_none) {
        return Err(DataError::Table(
            "the data has no speakers: speaker-independent splits need the corpus naming to give them".into(),
        ));
    }
    if let Some(r) = speakers.iter().position(Option::is_none) {
        let missing = speakers.iter().filter(|s| s.is_none()).count();
        return Err(DataError::Table(format!(
            "{missing} rows have no speaker ({} is one): speaker-independent splits need all",
            paths.get(r).map_or("a row", String::as_str)
        )));
    }
    let mut names: Vec<&str> = speakers.iter().flatten().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    if names.len() < 2 {
        return Err(DataError::Table(
            "speaker-independent splits need at least 2 speakers".into(),
        ));
    }
    Ok(names)
}

/// The split holding out every row of the `test` speakers.
fn hold_out_speakers(speakers: &[Option<String>], test: &[&str]) -> Split {
    let (test, train): (Vec<usize>, Vec<usize>) = (0..speakers.len())
        .partition(|&i| speakers[i].as_deref().is_some_and(|s| test.contains(&s)));
    Split { train, test }
}

/// Leave-one-speaker-out: one fold per speaker (sorted by name), holding out all of that
/// speaker's rows. Refuses data without speakers, or with rows missing a speaker.
pub fn leave_one_speaker_out(speakers: &[Option<String>]) -> Result<Vec<(String, Split)>> {
    let names = speaker_names(speakers, &[])?;
    Ok(names
        .into_iter()
        .map(|name| (name.to_string(), hold_out_speakers(speakers, &[name])))
        .collect())
}

/// A speaker-independent split: a seeded random `fraction` of the speakers (at least one, and
/// never all) is held out with all their rows, so no test speaker is heard in training.
///
/// ```
/// use ser_data::speaker_split;
///
/// let speakers: Vec<Option<String>> = (0..20).map(|i| Some(format!("s{}", i % 10))).collect();
/// let split = speaker_split(&speakers, 0.2, 7)?;
/// assert_eq!(split.test.len(), 4); // 2 of the 10 speakers, 2 rows each
/// let held: Vec<_> = split.test.iter().map(|&r| &speakers[r]).collect();
/// assert!(split.train.iter().all(|&r| !held.contains(&&speakers[r])));
/// # Ok::<(), ser_data::DataError>(())
/// ```
pub fn speaker_split(speakers: &[Option<String>], fraction: f64, seed: u64) -> Result<Split> {
    check_fraction("speaker fraction", fraction)?;
    let mut names = speaker_names(speakers, &[])?;
    names.shuffle(&mut seeded(seed ^ 0x5EA4_E125));
    let n_test = ((names.len() as f64 * fraction).ceil() as usize).clamp(1, names.len() - 1);
    Ok(hold_out_speakers(speakers, &names[..n_test]))
}

fn check_fraction(field: &'static str, fraction: f64) -> Result<()> {
    if fraction > 0.0 && fraction < 1.0 {
        return Ok(());
    }
    Err(DataError::Config {
        field,
        reason: format!("must be in (0, 1), got {fraction}"),
    })
}

/// How test rows are chosen, in the words every command uses.
///
/// | text | one split per seed `s` ([`SplitSpec::for_seed`]) | every fold ([`SplitSpec::folds`]) |
/// |---|---|---|
/// | `random` | a stratified random [`RANDOM_TEST_FRACTION`] of the rows | that one split |
/// | `random:F` | the same with test fraction `F` | that one split |
/// | `kfold:K` | fold `s mod K` of the stratified K-fold dealt by seed `s / K` | the K folds |
/// | `speakers:F` | a seeded random fraction `F` of the speakers | that one split |
/// | `loso` | the `s mod N`-th of the N speakers (sorted by name) | the N folds |
///
/// So seeds `0..K-1` (`0..N-1`) run exactly one whole cross-validation, each fold once.
///
/// ```
/// use ser_data::SplitSpec;
///
/// assert_eq!("kfold:5".parse::<SplitSpec>()?, SplitSpec::KFold(5));
/// assert_eq!("speakers:0.2".parse::<SplitSpec>()?.to_string(), "speakers:0.2");
/// // The spellings of ser-adaptive 0.1 are refused, with the new ones named.
/// let old = "speaker".parse::<SplitSpec>().unwrap_err().to_string();
/// assert!(old.contains("loso") && old.contains("speakers:FRACTION"), "{old}");
/// # Ok::<(), ser_data::DataError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SplitSpec {
    /// A stratified random share of the rows as the test set.
    Random {
        /// Test share of the rows, in (0, 1). Default: [`RANDOM_TEST_FRACTION`].
        test_fraction: f64,
    },
    /// Stratified k-fold cross-validation, `k >= 2`.
    KFold(usize),
    /// A random share of the speakers as the test set.
    Speakers {
        /// Test share of the speakers, in (0, 1).
        fraction: f64,
    },
    /// Leave one speaker out.
    Loso,
}

/// The test share of [`SplitSpec::Random`] unless told: METHOD.md's 90/10.
pub const RANDOM_TEST_FRACTION: f64 = 0.1;

impl Default for SplitSpec {
    fn default() -> Self {
        SplitSpec::Random {
            test_fraction: RANDOM_TEST_FRACTION,
        }
    }
}

impl fmt::Display for SplitSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitSpec::Random { test_fraction } if *test_fraction == RANDOM_TEST_FRACTION => {
                f.write_str("random")
            }
            SplitSpec::Random { test_fraction } => write!(f, "random:{test_fraction}"),
            SplitSpec::KFold(k) => write!(f, "kfold:{k}"),
            SplitSpec::Speakers { fraction } => write!(f, "speakers:{fraction}"),
            SplitSpec::Loso => f.write_str("loso"),
        }
    }
}

const SPLIT_WORDS: &str = "random, random:FRACTION, kfold:K, speakers:FRACTION or loso";

impl FromStr for SplitSpec {
    type Err = DataError;

    fn from_str(text: &str) -> Result<Self> {
        let bad = |reason: String| DataError::Config {
            field: "split",
            reason,
        };
        let fraction = |field, v: &str| -> Result<f64> {
            let f = v
                .parse::<f64>()
                .map_err(|_| bad(format!("`{text}`: `{v}` is not a number")))?;
            check_fraction(field, f)?;
            Ok(f)
        };
        let spec = match text.split_once(':') {
            None if text == "random" => SplitSpec::default(),
            None if text == "loso" => SplitSpec::Loso,
            None if text == "speaker" => {
                return Err(bad(
                    "`speaker` is no longer a split: say `loso` (leave one speaker out, every \
                     speaker once) or `speakers:FRACTION` (a random share of the speakers)"
                        .into(),
                ));
            }
            Some(("random", v)) => SplitSpec::Random {
                test_fraction: fraction("test fraction", v)?,
            },
            Some(("speakers", v)) => SplitSpec::Speakers {
                fraction: fraction("speaker fraction", v)?,
            },
            Some(("kfold", v)) => match v.parse::<usize>() {
                Ok(k) if k >= 2 => SplitSpec::KFold(k),
                _ => return Err(bad(format!("`{text}`: K must be a whole number >= 2"))),
            },
            _ => return Err(bad(format!("expected {SPLIT_WORDS}, got `{text}`"))),
        };
        Ok(spec)
    }
}

impl SplitSpec {
    /// Every fold of this split of `data`, named (`random`, `fold 1`.., a speaker's name),
    /// `seed` dealing the rows: what `ser train` trains and tests, fold by fold.
    pub fn folds(&self, data: &Dataset, seed: u64) -> Result<Vec<(String, Split)>> {
        Ok(match *self {
            SplitSpec::Random { test_fraction } => vec![(
                "random".into(),
                stratified_split(&data.labels, test_fraction, seed)?,
            )],
            SplitSpec::KFold(k) => stratified_kfold(&data.labels, k, seed)?
                .into_iter()
                .enumerate()
                .map(|(i, s)| (format!("fold {}", i + 1), s))
                .collect(),
            SplitSpec::Speakers { fraction } => {
                speaker_names(&data.speakers, &data.paths)?;
                vec![(
                    format!("speakers:{fraction}"),
                    speaker_split(&data.speakers, fraction, seed)?,
                )]
            }
            SplitSpec::Loso => {
                speaker_names(&data.speakers, &data.paths)?;
                leave_one_speaker_out(&data.speakers)?
            }
        })
    }

    /// The one split of `data` that seed `seed` tests on (see the table above): what each
    /// seed of `ser run` uses.
    pub fn for_seed(&self, data: &Dataset, seed: u64) -> Result<Split> {
        Ok(match *self {
            SplitSpec::Random { test_fraction } => {
                stratified_split(&data.labels, test_fraction, seed)?
            }
            SplitSpec::KFold(k) => {
                let mut folds = stratified_kfold(&data.labels, k, seed / k as u64)?;
                folds.swap_remove((seed % k as u64) as usize)
            }
            SplitSpec::Speakers { fraction } => {
                speaker_names(&data.speakers, &data.paths)?;
                speaker_split(&data.speakers, fraction, seed)?
            }
            SplitSpec::Loso => {
                let names = speaker_names(&data.speakers, &data.paths)?;
                let name = names[(seed % names.len() as u64) as usize];
                hold_out_speakers(&data.speakers, &[name])
            }
        })
    }
}
