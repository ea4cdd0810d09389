//! Feature tables as Parquet, the table `ser_adaptive.ray` writes: `path`, `label`, `speaker`,
//! `error`, `sample_rate` (of the file; the features are computed at it unless the
//! configuration resamples) and one float column per feature, the feature configuration as JSON in the file's
//! key-value metadata (`ser_adaptive.features`). Spark, DuckDB, Polars and pandas read it as
//! it is; a file that failed is a row with its error and NaN features.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ndarray::Array2;
use parquet::basic::{Compression, ConvertedType, Repetition, Type as Physical};
use parquet::data_type::{ByteArray, ByteArrayType, FloatType, Int32Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use parquet::schema::types::Type;
use ser_features::FeatureConfig;

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::extract::Extraction;
use crate::sidecar::{FeatureTable, served_config};

/// The metadata key of the feature configuration.
pub const FEATURES_KEY: &str = "ser_adaptive.features";

/// Whether `path` names a Parquet table: a `.parquet` file, or a folder holding `.parquet`
/// files and nothing else but hidden or `_`-prefixed bookkeeping files (what a Ray job
/// writes).
///
/// ```
/// use std::path::Path;
/// use ser_data::parquet::is_parquet;
///
/// assert!(is_parquet(Path::new("features.parquet")));
/// assert!(!is_parquet(Path::new("features.csv")));
/// ```
pub fn is_parquet(path: &Path) -> bool {
    if path.is_dir() {
        return !parquet_files(path).is_empty();
    }
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// The `.parquet` files of a folder, sorted (none when it holds anything else but hidden or
/// bookkeeping files).
fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        if path.is_file() && is_parquet(&path) {
            files.push(path);
        } else {
            return Vec::new();
        }
    }
    files.sort();
    files
}

fn parquet_error(path: &Path, e: impl std::fmt::Display) -> DataError {
    DataError::Table(format!("{}: {e}", path.display()))
}

/// The schema: four optional UTF-8 columns, the sample rate, then one optional float per
/// feature.
fn schema(feature_names: &[String]) -> parquet::errors::Result<Type> {
    let text = |name: &str| {
        Type::primitive_type_builder(name, Physical::BYTE_ARRAY)
            .with_repetition(Repetition::OPTIONAL)
            .with_converted_type(ConvertedType::UTF8)
            .build()
    };
    let mut fields = Vec::new();
    for name in ["path", "label", "speaker", "error"] {
        fields.push(Arc::new(text(name)?));
    }
    fields.push(Arc::new(
        Type::primitive_type_builder("sample_rate", Physical::INT32)
            .with_repetition(Repetition::OPTIONAL)
            .build()?,
    ));
    for name in feature_names {
        fields.push(Arc::new(
            Type::primitive_type_builder(name, Physical::FLOAT)
                .with_repetition(Repetition::OPTIONAL)
                .build()?,
        ));
    }
    Type::group_type_builder("schema")
        .with_fields(fields)
        .build()
}

/// Writes `extraction` (its rows and its failures, as rows with the error) as a Parquet table
/// to `w`, `config` in its metadata.
///
/// ```
/// use ser_data::parquet::{read_parquet, write_parquet};
/// use ser_data::{Source, demo::DemoConfig, extract};
/// use ser_features::{FeatureConfig, FeatureExtractor};
///
/// let config = FeatureConfig::default();
/// let extractor = FeatureExtractor::new(config.clone())?;
/// let demo = DemoConfig { speakers: 1, utterances_per_emotion: 1, ..DemoConfig::default() };
/// let extraction = extract(Source::demo(demo), &extractor, None, &|| {});
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("features.parquet");
/// let mut bytes = Vec::new();
/// write_parquet(&mut bytes, &extraction, &config)?;
/// std::fs::write(&path, bytes)?;
/// let table = read_parquet(&path, &config, true)?;
/// assert_eq!(table.data.len(), 7);
/// assert_eq!(table.data.x, extraction.into_dataset()?.x);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_parquet<W: Write + Send>(
    w: W,
    extraction: &Extraction,
    config: &FeatureConfig,
) -> Result<()> {
    let fail = |e: parquet::errors::ParquetError| DataError::Table(format!("Parquet: {e}"));
    let names = &extraction.feature_names;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(Some(vec![KeyValue::new(
            FEATURES_KEY.to_string(),
            config.to_json(),
        )]))
        .build();
    let mut writer =
        SerializedFileWriter::new(w, Arc::new(schema(names).map_err(fail)?), Arc::new(props))
            .map_err(fail)?;
    // Rows that worked, then the failures, each with its path.
    let mut texts: [Vec<Option<String>>; 4] = Default::default();
    for (source, _) in &extraction.rows {
        texts[0].push(Some(source.name()));
        texts[1].push(source.label().map(str::to_string));
        texts[2].push(source.speaker().map(str::to_string));
        texts[3].push(None);
    }
    for (source, error) in &extraction.failures {
        texts[0].push(Some(source.name()));
        texts[1].push(source.label().map(str::to_string));
        texts[2].push(source.speaker().map(str::to_string));
        texts[3].push(Some(error.to_string()));
    }
    let n = texts[0].len();
    let mut group = writer.next_row_group().map_err(fail)?;
    let mut column = 0usize;
    while let Some(mut col) = group.next_column().map_err(fail)? {
        if column == 4 {
            let rates: Vec<i32> = extraction
                .rows
                .iter()
                .map(|(_, x)| i32::try_from(x.sample_rate).unwrap_or(i32::MAX))
                .collect();
            let mut levels = vec![1i16; rates.len()];
            levels.resize(n, 0);
            col.typed::<Int32Type>()
                .write_batch(&rates, Some(&levels), None)
                .map_err(fail)?;
        } else if column < 4 {
            let values: Vec<ByteArray> = texts[column]
                .iter()
                .flatten()
                .map(|s| ByteArray::from(s.as_str()))
                .collect();
            let levels: Vec<i16> = texts[column]
                .iter()
                .map(|v| i16::from(v.is_some()))
                .collect();
            col.typed::<ByteArrayType>()
                .write_batch(&values, Some(&levels), None)
                .map_err(fail)?;
        } else {
            let j = column - 5;
            let mut values: Vec<f32> = extraction.rows.iter().map(|(_, x)| x.vector[j]).collect();
            values.resize(n, f32::NAN);
            col.typed::<FloatType>()
                .write_batch(&values, Some(&vec![1; n]), None)
                .map_err(fail)?;
        }
        col.close().map_err(fail)?;
        column += 1;
    }
    group.close().map_err(fail)?;
    writer.close().map_err(fail)?;
    Ok(())
}

/// Reads a Parquet feature table (a file, or a folder of them): the rows without an error,
/// with `wanted`'s columns, and the configuration from the metadata. With `must_match` a table
/// made with another configuration is refused; a table without the metadata is read as
/// `wanted` and marked unchecked. Rows without a label are an error naming the file (see
/// [`write_parquet`] for an example).
pub fn read_parquet(path: &Path, wanted: &FeatureConfig, must_match: bool) -> Result<FeatureTable> {
    let files = if path.is_dir() {
        parquet_files(path)
    } else {
        vec![path.to_path_buf()]
    };
    if files.is_empty() {
        return Err(DataError::Table(format!(
            "{}: no .parquet files",
            path.display()
        )));
    }
    let mut made: Option<FeatureConfig> = None;
    let mut unchecked = false;
    let (mut values, mut labels, mut speakers, mut names) = (vec![], vec![], vec![], vec![]);
    let mut rates: Vec<u32> = Vec::new();
    let mut columns: Option<Vec<String>> = None;
    for file in &files {
        let reader =
            SerializedFileReader::new(File::open(file).map_err(|e| parquet_error(file, e))?)
                .map_err(|e| parquet_error(file, e))?;
        let meta = reader.metadata().file_metadata();
        let config = meta
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|k| k.key == FEATURES_KEY))
            .and_then(|k| k.value.clone());
        let config: Option<FeatureConfig> =
            match config {
                Some(json) => Some(serde_json::from_str(&json).map_err(|e| {
                    parquet_error(file, format!("the {FEATURES_KEY} metadata: {e}"))
                })?),
                None => None,
            };
        match (&made, &config) {
            (None, Some(c)) => made = Some(c.clone()),
            (Some(a), Some(b)) if a != b => {
                return Err(parquet_error(
                    file,
                    "made with another feature configuration than the table's other files",
                ));
            }
            (_, None) => unchecked = true,
            _ => {}
        }
        let wanted_names = served_config(file, made.as_ref(), wanted, false)?.feature_names();
        columns.get_or_insert_with(|| wanted_names.clone());
        for row in reader
            .get_row_iter(None)
            .map_err(|e| parquet_error(file, e))?
        {
            let row = row.map_err(|e| parquet_error(file, e))?;
            let mut fields = std::collections::HashMap::new();
            for (name, field) in row.get_column_iter() {
                fields.insert(name.as_str(), field);
            }
            let text = |name: &str| match fields.get(name) {
                Some(Field::Str(s)) => Some(s.clone()),
                _ => None,
            };
            if text("error").is_some() {
                continue;
            }
            let path_value = text("path").ok_or_else(|| {
                parquet_error(
                    file,
                    "a row without a `path` (not a ser_adaptive feature table)",
                )
            })?;
            for name in &wanted_names {
                match fields.get(name.as_str()) {
                    Some(Field::Float(v)) => values.push(*v),
                    Some(Field::Double(v)) => values.push(*v as f32),
                    _ => {
                        return Err(parquet_error(
                            file,
                            format!("row {path_value}: no float column `{name}`"),
                        ));
                    }
                }
            }
            if let Some(Field::Int(rate)) = fields.get("sample_rate")
                && let Ok(rate) = u32::try_from(*rate)
                && !rates.contains(&rate)
            {
                rates.push(rate);
            }
            labels.push(text("label"));
            speakers.push(text("speaker"));
            names.push(path_value);
        }
    }
    let config = served_config(path, made.as_ref(), wanted, must_match)?;
    let feature_names = columns.unwrap_or_default();
    let x = Array2::from_shape_vec((names.len(), feature_names.len()), values)
        .map_err(|e| parquet_error(path, e))?;
    let labels: Vec<String> = labels
        .into_iter()
        .zip(&names)
        .map(|(l, p)| {
            l.ok_or_else(|| {
                parquet_error(
                    path,
                    format!("`{p}` has no label (extract with a corpus naming, not --corpus none)"),
                )
            })
        })
        .collect::<Result<_>>()?;
    let mut data = Dataset::from_rows(x, &labels, speakers, names, feature_names)?;
    rates.sort_unstable();
    data.sample_rates = rates;
    Ok(FeatureTable {
        data,
        config,
        unchecked: unchecked || made.is_none(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::DemoConfig;
    use crate::extract::{Source, extract};
    use ser_features::FeatureExtractor;

    fn demo_extraction() -> (Extraction, FeatureConfig) {
        let config = FeatureConfig::default();
        let extractor = FeatureExtractor::new(config.clone()).unwrap();
        let demo = DemoConfig {
            speakers: 2,
            utterances_per_emotion: 1,
            ..DemoConfig::default()
        };
        (
            extract(Source::demo(demo), &extractor, None, &|| {}),
            config,
        )
    }

    #[test]
    fn a_table_reads_back_as_the_rows_it_was_written_from() {
        let (extraction, config) = demo_extraction();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut bytes = Vec::new();
        write_parquet(&mut bytes, &extraction, &config).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        assert!(is_parquet(&path) && is_parquet(dir.path()));
        let table = read_parquet(&path, &config, true).unwrap();
        assert!(!table.unchecked);
        let data = extraction.into_dataset().unwrap();
        assert_eq!(table.data.x, data.x, "every value, bit for bit");
        assert_eq!(table.data.paths, data.paths);
        assert_eq!(table.data.labels, data.labels);
        assert_eq!(table.data.speakers, data.speakers);
        assert_eq!(table.data.sample_rates, vec![16_000]);
        // A folder of tables (as a Ray job writes) reads as their rows.
        std::fs::write(dir.path().join("u.parquet"), &bytes).unwrap();
        let both = read_parquet(dir.path(), &config, true).unwrap();
        assert_eq!(both.data.len(), 2 * data.len());
        // Another configuration is refused when it must match, with both named.
        let other = FeatureConfig {
            n_mfcc: 13,
            ..FeatureConfig::default()
        };
        let err = read_parquet(&path, &other, true).unwrap_err().to_string();
        assert!(err.contains("another configuration"), "{err}");
    }

    #[test]
    fn what_is_not_a_feature_table_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.parquet");
        std::fs::write(&junk, b"PAR1 not really").unwrap();
        let err = read_parquet(&junk, &FeatureConfig::default(), false).unwrap_err();
        assert!(err.to_string().contains("junk.parquet"), "{err}");
        let empty = tempfile::tempdir().unwrap();
        assert!(!is_parquet(empty.path()));
        assert!(read_parquet(empty.path(), &FeatureConfig::default(), false).is_err());
        // A folder with audio in it is audio, not a table.
        std::fs::write(dir.path().join("a.wav"), b"RIFF").unwrap();
        assert!(!is_parquet(dir.path()));
    }
}
