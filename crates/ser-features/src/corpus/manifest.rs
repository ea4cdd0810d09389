//! CSV manifests: `path,label[,speaker]`, one file per row.

use std::path::{Path, PathBuf};

use super::{CorpusKind, CorpusListing, LabelledFile, Skipped};
use crate::error::{FeatureError, Result};

/// Splits one CSV line into fields (commas; double quotes quote, `""` escapes a quote), as
/// `ser features` writes them.
///
/// ```
/// use ser_features::corpus::split_csv_line;
///
/// assert_eq!(split_csv_line("\"a, b.wav\",anger,03").unwrap(), vec!["a, b.wav", "anger", "03"]);
/// assert!(split_csv_line("\"unterminated").is_err());
/// ```
pub fn split_csv_line(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("unterminated quoted field".into());
    }
    fields.push(field);
    Ok(fields)
}

/// Reads a manifest; relative paths are relative to the manifest's folder. A header row
/// (`path,label[,speaker]`) is optional. Rows with a missing file or an empty label are skipped
/// and reported; a malformed row (wrong number of fields) is an error naming its line.
pub(super) fn load(file: &Path) -> Result<CorpusListing> {
    let text = std::fs::read_to_string(file).map_err(|e| FeatureError::Io(e).in_file(file))?;
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut listing = CorpusListing {
        kind: CorpusKind::Manifest(file.to_path_buf()),
        files: Vec::new(),
        skipped: Vec::new(),
    };
    let bad = |line: usize, why: String| {
        FeatureError::Corpus(format!("{}: line {line}: {why}", file.display()))
    };
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let fields = split_csv_line(line).map_err(|e| bad(line_no, e))?;
        if line_no == 1 && fields.first().map(|f| f.trim()) == Some("path") {
            continue;
        }
        if !(2..=3).contains(&fields.len()) {
            return Err(bad(
                line_no,
                format!(
                    "expected `path,label[,speaker]`, found {} fields",
                    fields.len()
                ),
            ));
        }
        let path = PathBuf::from(fields[0].trim());
        let path = if path.is_absolute() {
            path
        } else {
            base.join(path)
        };
        let label = fields[1].trim().to_string();
        let speaker = fields
            .get(2)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        if label.is_empty() {
            listing.skipped.push(Skipped {
                path,
                reason: format!("line {line_no}: empty label"),
            });
        } else if !path.is_file() {
            listing.skipped.push(Skipped {
                path,
                reason: format!("line {line_no}: no such file"),
            });
        } else {
            listing.files.push(LabelledFile {
                path,
                label: Some(label),
                speaker,
            });
        }
    }
    if listing.files.is_empty() && listing.skipped.is_empty() {
        return Err(FeatureError::Corpus(format!(
            "{}: the manifest lists no files",
            file.display()
        )));
    }
    Ok(listing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(split_csv_line("a,b,c").unwrap(), vec!["a", "b", "c"]);
        assert_eq!(split_csv_line("\"x, y\",lab").unwrap(), vec!["x, y", "lab"]);
        assert_eq!(
            split_csv_line("\"say \"\"hi\"\"\",z").unwrap(),
            vec!["say \"hi\"", "z"]
        );
        assert!(split_csv_line("\"open").is_err());
    }

    #[test]
    fn manifest_rows_are_kept_skipped_or_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.wav"), b"x").unwrap();
        let m = dir.path().join("m.csv");
        std::fs::write(
            &m,
            "path,label,speaker\na.wav,happy,s1\nmissing.wav,sad,s2\na.wav,,s1\n",
        )
        .unwrap();
        let listing = load(&m).unwrap();
        assert_eq!(listing.files.len(), 1);
        assert_eq!(listing.files[0].speaker.as_deref(), Some("s1"));
        assert_eq!(listing.skipped.len(), 2);
        std::fs::write(&m, "a.wav\n").unwrap();
        let err = load(&m).unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
    }
}
