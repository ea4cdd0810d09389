//! The feature configuration beside a features table (`FILE.features`), so that whoever reads
//! the table later knows how its numbers were made, and a model is never fed features made
//! another way.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use ser_features::FeatureConfig;
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::{DataError, Result};

/// Where the configuration of the table `table` is kept: `table` + `.features` (byte for byte,
/// so a path that is not UTF-8 keeps its name).
pub fn sidecar_path(table: &Path) -> PathBuf {
    let mut name = OsString::from(table.as_os_str());
    name.push(".features");
    PathBuf::from(name)
}

/// What the sidecar of a features table says: how its features were made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sidecar {
    /// The feature configuration.
    pub features: FeatureConfig,
    /// The distinct rates the features were computed at, ascending (empty when unknown).
    #[serde(default)]
    pub sample_rates: Vec<u32>,
}

/// Writes `sidecar` beside `table`, atomically, as one line of JSON.
pub fn write_sidecar(table: &Path, sidecar: &Sidecar) -> Result<()> {
    let path = sidecar_path(table);
    let text = serde_json::to_string(sidecar).map_err(|e| DataError::Table(e.to_string()))?;
    crate::write_atomically(&path, |w| {
        std::io::Write::write_all(w, format!("{text}\n").as_bytes())
    })
    .map_err(|source| DataError::Write { path, source })
}

/// The sidecar beside `table`, `None` when there is none; a sidecar that cannot be read or
/// parsed is an error naming it. A sidecar holding only a configuration (as the first
/// versions of this format did) reads with unknown rates.
pub fn read_sidecar(table: &Path) -> Result<Option<Sidecar>> {
    let path = sidecar_path(table);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(DataError::io(path, e)),
    };
    if text.starts_with("ser-features/1 ") {
        return Err(DataError::Table(format!(
            "{}: written by ser-adaptive 0.1 (a one-line fingerprint, not the JSON this version \
             reads): run `ser features` again, or delete the file to read the table unchecked",
            path.display()
        )));
    }
    let named = |e: &dyn std::fmt::Display| DataError::Table(format!("{}: {e}", path.display()));
    let is_sidecar =
        serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| v.get("features").is_some());
    if is_sidecar {
        return serde_json::from_str::<Sidecar>(&text)
            .map_err(|e| named(&e))
            .and_then(|s| {
                s.features.validate().map_err(|e| named(&e))?;
                Ok(Some(s))
            });
    }
    FeatureConfig::from_json(&text)
        .map(|features| {
            Some(Sidecar {
                features,
                sample_rates: Vec::new(),
            })
        })
        .map_err(|e| named(&e))
}

/// A features table read for a task that wants features made with `wanted`.
#[derive(Debug, Clone)]
pub struct FeatureTable {
    /// The rows, with exactly `wanted`'s columns, in its order.
    pub data: Dataset,
    /// How the table's features were made (the sidecar's configuration with `wanted`'s groups
    /// and pooling, which selecting columns gives), or `wanted` when there is no sidecar.
    pub config: FeatureConfig,
    /// Whether the table had no sidecar, so its configuration could not be checked.
    pub unchecked: bool,
}

/// Reads the features table `path` (CSV with its sidecar, or with the `parquet` feature a
/// Parquet table: [`crate::parquet::read_parquet`]) for features made as `wanted` says: its columns are
/// selected to `wanted`'s (a table with every group serves a model of fewer), and with
/// `must_match` (evaluating a model) a table made with another configuration is refused,
/// naming both. Without a sidecar the table is taken as `wanted` and
/// [`FeatureTable::unchecked`] says so.
pub fn read_table(path: &Path, wanted: &FeatureConfig, must_match: bool) -> Result<FeatureTable> {
    #[cfg(feature = "parquet")]
    if crate::parquet::is_parquet(path) {
        return crate::parquet::read_parquet(path, wanted, must_match);
    }
    let made = read_sidecar(path)?;
    let config = served_config(path, made.as_ref().map(|m| &m.features), wanted, must_match)?;
    let name = path.display().to_string();
    let mut data = Dataset::from_csv(path)?.select_columns(&config.feature_names(), &name)?;
    data.sample_rates = made
        .as_ref()
        .map_or_else(Vec::new, |m| m.sample_rates.clone());
    Ok(FeatureTable {
        data,
        config,
        unchecked: made.is_none(),
    })
}

/// The configuration a table of `path`, made as `made` says (`None`: unknown, taken as
/// `wanted`), serves features made as `wanted` with: `made`'s, its columns selected to
/// `wanted`'s groups and pooling. With `must_match`, another configuration than `wanted` is
/// refused, naming both.
pub(crate) fn served_config(
    path: &Path,
    made: Option<&FeatureConfig>,
    wanted: &FeatureConfig,
    must_match: bool,
) -> Result<FeatureConfig> {
    let config = FeatureConfig {
        groups: wanted.groups,
        pooling: wanted.pooling,
        ..made.unwrap_or(wanted).clone()
    };
    if must_match && config != *wanted {
        return Err(DataError::Table(format!(
            "{}: these features were made with another configuration than the model's:\n  \
             features: {}\n  model:    {}",
            path.display(),
            config.to_json(),
            wanted.to_json()
        )));
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ser_features::{ChromaSource, FeatureGroups};

    #[test]
    fn a_table_serves_a_model_of_fewer_groups_and_refuses_another_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let table = dir.path().join("t.csv");
        let made = FeatureConfig {
            n_mfcc: 2,
            n_chroma: 1,
            n_mels: 2,
            ..FeatureConfig::default()
        };
        let names = made.feature_names();
        let mut text = format!("path,label,speaker,{}\n", names.join(","));
        text.push_str("a.wav,anger,s1,1,2,3,4,5\nb.wav,calm,s2,6,7,8,9,10\n");
        std::fs::write(&table, text).unwrap();
        // No sidecar: taken as asked, and said so.
        let t = read_table(&table, &made, true).unwrap();
        assert!(t.unchecked);
        let sidecar = Sidecar {
            features: made.clone(),
            sample_rates: vec![16_000, 44_100],
        };
        write_sidecar(&table, &sidecar).unwrap();
        assert_eq!(read_sidecar(&table).unwrap(), Some(sidecar));
        assert_eq!(
            read_table(&table, &made, true).unwrap().data.sample_rates,
            [16_000, 44_100]
        );
        let mfcc = FeatureConfig {
            groups: FeatureGroups::MFCC_ONLY,
            ..made.clone()
        };
        let t = read_table(&table, &mfcc, true).unwrap();
        assert!(!t.unchecked);
        assert_eq!(t.data.x.column(1).to_vec(), [2.0, 7.0]);
        assert_eq!(t.config, mfcc);
        let power = FeatureConfig {
            chroma_source: ChromaSource::Power,
            ..made.clone()
        };
        let err = read_table(&table, &power, true).unwrap_err().to_string();
        assert!(err.contains("another configuration"), "{err}");
        // Training takes the table as it was made.
        assert_eq!(read_table(&table, &power, false).unwrap().config, made);
        // A sidecar of the configuration alone reads, its rates unknown.
        std::fs::write(sidecar_path(&table), made.to_json()).unwrap();
        let t = read_table(&table, &made, true).unwrap();
        assert!(!t.unchecked && t.data.sample_rates.is_empty());
        std::fs::write(sidecar_path(&table), "{not json").unwrap();
        let err = read_table(&table, &made, false).unwrap_err().to_string();
        assert!(err.contains("t.csv.features"), "{err}");
        // The sidecar of ser-adaptive 0.1 is named as such.
        std::fs::write(sidecar_path(&table), "ser-features/1 n_fft=2048 hop=512\n").unwrap();
        let err = read_table(&table, &made, false).unwrap_err().to_string();
        assert!(err.contains("written by ser-adaptive 0.1"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn the_sidecar_of_a_path_that_is_not_utf8_keeps_its_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let table = Path::new(std::ffi::OsStr::from_bytes(b"/x/\xff.csv"));
        assert_eq!(
            sidecar_path(table).as_os_str().as_bytes(),
            b"/x/\xff.csv.features"
        );
    }
}
