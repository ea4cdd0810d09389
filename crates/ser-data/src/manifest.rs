//! CSV manifests: `path,label[,speaker]`, one file per row.

use std::path::{Path, PathBuf};

use crate::corpus::{CorpusKind, CorpusListing, LabelledFile, Skipped};
use crate::csv::split_line;
use crate::error::{DataError, Result};

/// Reads a manifest; relative paths are relative to the manifest's folder. A header row
/// (`path,label[,speaker]`) is optional. Rows with a missing file or an empty label are skipped
/// and reported; a malformed row (wrong number of fields) is an error naming its line.
pub(crate) fn load(file: &Path) -> Result<CorpusListing> {
    let text = std::fs::read_to_string(file).map_err(|e| DataError::io(file, e))?;
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut listing = CorpusListing {
        kind: CorpusKind::Manifest(file.to_path_buf()),
        files: Vec::new(),
        skipped: Vec::new(),
    };
    let bad = |line: usize, why: String| {
        DataError::Corpus(format!("{}: line {line}: {why}", file.display()))
    };
    for (line_no, line) in crate::csv::lines(&text) {
        let fields = split_line(line).map_err(|e| bad(line_no, e))?;
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
        return Err(DataError::Corpus(format!(
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
        // A spreadsheet's byte-order mark does not hide the header.
        std::fs::write(&m, "\u{feff}path,label\na.wav,happy\n").unwrap();
        assert_eq!(load(&m).unwrap().files.len(), 1);
        std::fs::write(&m, "a.wav\n").unwrap();
        let err = load(&m).unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
    }
}
