//! Corpora: which files, with which emotion label and speaker.
//!
//! Labels come from each corpus's file-name convention (EMODB, TESS, SAVEE, RAVDESS,
//! CREMA-D), from a folder-per-label layout, or from a CSV manifest; [`CorpusKind::Auto`]
//! picks the convention that explains the most files. A loader never guesses a label: a file
//! whose name does not follow the convention is reported in [`CorpusListing::skipped`] with
//! the reason. [`crate::demo`] is a built-in synthetic corpus.
//!
//! Labels use one vocabulary across corpora: `anger`, `boredom`, `calm`, `disgust`, `fear`,
//! `happiness`, `neutral`, `pleasant_surprise` (TESS's `ps`), `sadness`, `surprise`.
//!
//! ```
//! use ser_data::corpus::{parse_name, CorpusKind};
//!
//! let emodb = parse_name(CorpusKind::Emodb, "03a01Wa.wav").unwrap();
//! assert_eq!((emodb.label.as_str(), emodb.speaker.as_str()), ("anger", "03"));
//! let ravdess = parse_name(CorpusKind::Ravdess, "03-01-05-01-02-01-12.wav").unwrap();
//! assert_eq!((ravdess.label.as_str(), ravdess.speaker.as_str()), ("anger", "12"));
//! assert!(parse_name(CorpusKind::Emodb, "03a01Xa.wav").is_err());
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{DataError, Result};
pub use crate::names::parse_name;
use crate::names::parse_path;

/// File extensions searched for audio in folders (the content decides the format).
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "wave", "flac", "mp3", "ogg", "oga", "aif", "aiff", "aifc",
];

/// Where labels come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorpusKind {
    /// Pick the file-name convention that explains the most files, else folders, else none.
    Auto,
    /// Berlin EMODB: `03a01Wa.wav`, 6th character the emotion, first two digits the speaker.
    Emodb,
    /// Toronto TESS: `OAF_back_angry.wav`.
    Tess,
    /// Surrey SAVEE: `DC_a01.wav`, or `DC/a01.wav` as distributed.
    Savee,
    /// RAVDESS: `03-01-05-01-02-01-12.wav`, 3rd field emotion, 7th actor.
    Ravdess,
    /// CREMA-D: `1001_DFA_ANG_XX.wav`.
    CremaD,
    /// One folder per label below each given root (`root/<label>/.../file.wav`).
    Folders,
    /// A CSV manifest `path,label[,speaker]` (paths relative to the manifest's folder).
    Manifest(PathBuf),
    /// No labels: every audio file is listed unlabelled.
    None,
}

impl fmt::Display for CorpusKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CorpusKind::Auto => f.write_str("auto"),
            CorpusKind::Emodb => f.write_str("emodb"),
            CorpusKind::Tess => f.write_str("tess"),
            CorpusKind::Savee => f.write_str("savee"),
            CorpusKind::Ravdess => f.write_str("ravdess"),
            CorpusKind::CremaD => f.write_str("cremad"),
            CorpusKind::Folders => f.write_str("folders"),
            CorpusKind::Manifest(p) => write!(f, "manifest:{}", p.display()),
            CorpusKind::None => f.write_str("none"),
        }
    }
}

impl FromStr for CorpusKind {
    type Err = DataError;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "auto" => CorpusKind::Auto,
            "emodb" => CorpusKind::Emodb,
            "tess" => CorpusKind::Tess,
            "savee" => CorpusKind::Savee,
            "ravdess" => CorpusKind::Ravdess,
            "cremad" | "crema-d" => CorpusKind::CremaD,
            "folders" => CorpusKind::Folders,
            "none" => CorpusKind::None,
            other => match other.strip_prefix("manifest:") {
                Some(file) if !file.is_empty() => CorpusKind::Manifest(PathBuf::from(file)),
                _ => {
                    return Err(DataError::Corpus(format!(
                        "unknown corpus `{other}`: expected auto, emodb, tess, savee, ravdess, \
                         cremad, folders, manifest:FILE or none"
                    )));
                }
            },
        })
    }
}

/// A label and speaker read from a file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameInfo {
    /// The emotion label.
    pub label: String,
    /// The speaker.
    pub speaker: String,
}

/// An audio file with what the corpus says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledFile {
    /// The file.
    pub path: PathBuf,
    /// The emotion label, when the corpus gives one.
    pub label: Option<String>,
    /// The speaker, when the corpus gives one.
    pub speaker: Option<String>,
}

/// A file the loader left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why it was left out.
    pub reason: String,
}

/// The result of loading a corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusListing {
    /// The convention used (never [`CorpusKind::Auto`]).
    pub kind: CorpusKind,
    /// The files kept, sorted by path.
    pub files: Vec<LabelledFile>,
    /// The files left out, with reasons.
    pub skipped: Vec<Skipped>,
}

const CONVENTIONS: [CorpusKind; 5] = [
    CorpusKind::Emodb,
    CorpusKind::Ravdess,
    CorpusKind::CremaD,
    CorpusKind::Savee,
    CorpusKind::Tess,
];

/// All audio files under `root` (or `root` itself if it is a file), sorted; hidden files and
/// folders are ignored, and only [`AUDIO_EXTENSIONS`] are searched in folders.
pub fn find_audio_files(root: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(root).map_err(|e| DataError::io(root, e))?;
    if meta.is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let folder = |e| DataError::Folder {
            path: dir.clone(),
            source: e,
        };
        let entries = std::fs::read_dir(&dir).map_err(folder)?;
        for entry in entries {
            let entry = entry.map_err(folder)?;
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if hidden {
                continue;
            }
            let file_type = entry.file_type().map_err(|e| DataError::io(&path, e))?;
            if file_type.is_dir() {
                stack.push(path);
            } else {
                let is_audio = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
                if is_audio {
                    found.push(path);
                }
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Lists the audio under `roots` (files or folders, searched recursively) with labels and
/// speakers from `kind`.
///
/// It is an error when the roots hold no audio at all, or when a manifest cannot be read;
/// single files that do not fit the convention are skipped and reported, not errors.
///
/// A file whose path is not valid UTF-8 is skipped with that reason: a features table names
/// its rows by path, and a lossy name would point at a file that does not exist.
pub fn load(roots: &[PathBuf], kind: &CorpusKind) -> Result<CorpusListing> {
    let mut listing = match kind {
        CorpusKind::Manifest(file) => crate::manifest::load(file)?,
        _ => load_files(roots, kind)?,
    };
    let (kept, not_utf8): (Vec<_>, Vec<_>) = std::mem::take(&mut listing.files)
        .into_iter()
        .partition(|f| f.path.to_str().is_some());
    listing.files = kept;
    listing
        .skipped
        .extend(not_utf8.into_iter().map(|f| Skipped {
            path: f.path,
            reason: "the path is not valid UTF-8, so a features table could not name it".into(),
        }));
    Ok(listing)
}

fn load_files(roots: &[PathBuf], kind: &CorpusKind) -> Result<CorpusListing> {
    if roots.is_empty() {
        return Err(DataError::Corpus("no input paths given".into()));
    }
    // Each file with the root it was found under (folders take labels relative to the root).
    let mut files: Vec<(PathBuf, PathBuf)> = Vec::new();
    for root in roots {
        files.extend(
            find_audio_files(root)?
                .into_iter()
                .map(|f| (root.clone(), f)),
        );
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    files.dedup_by(|a, b| a.1 == b.1);
    if files.is_empty() {
        let shown: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
        return Err(DataError::Corpus(format!(
            "no audio files ({}) under {}",
            AUDIO_EXTENSIONS.join(", "),
            shown.join(", ")
        )));
    }
    let kind = match kind {
        CorpusKind::Auto => detect(&files),
        other => other.clone(),
    };
    let mut listing = CorpusListing {
        kind: kind.clone(),
        files: Vec::new(),
        skipped: Vec::new(),
    };
    for (root, path) in files {
        let parsed = match &kind {
            CorpusKind::None => {
                listing.files.push(LabelledFile {
                    path,
                    label: None,
                    speaker: None,
                });
                continue;
            }
            CorpusKind::Folders => folder_label(&root, &path).map(|label| (label, None)),
            other => parse_path(other, &path).map(|i| (i.label, Some(i.speaker))),
        };
        match parsed {
            Ok((label, speaker)) => listing.files.push(LabelledFile {
                path,
                label: Some(label),
                speaker,
            }),
            Err(reason) => listing.skipped.push(Skipped { path, reason }),
        }
    }
    Ok(listing)
}

/// The label folder of `path` below `root`: the first folder under the root.
fn folder_label(root: &Path, path: &Path) -> std::result::Result<String, String> {
    let relative = path
        .strip_prefix(root)
        .map_err(|_| "not below its root".to_string())?;
    let mut parts = relative.components();
    match (parts.next(), parts.next()) {
        (Some(folder), Some(_)) => Ok(folder.as_os_str().to_string_lossy().into_owned()),
        _ => Err("not inside a label folder (folders layout: ROOT/<label>/file)".into()),
    }
}

/// The convention that explains the most files (at least half of them), else folders when
/// every file sits in a subfolder of its root, else none.
fn detect(files: &[(PathBuf, PathBuf)]) -> CorpusKind {
    let mut best = (0usize, CorpusKind::None);
    for kind in CONVENTIONS {
        let hits = files
            .iter()
            .filter(|(_, p)| parse_path(&kind, p).is_ok())
            .count();
        if hits > best.0 {
            best = (hits, kind);
        }
    }
    if best.0 * 2 >= files.len() && best.0 > 0 {
        return best.1;
    }
    let labels: std::collections::BTreeSet<String> = files
        .iter()
        .filter_map(|(root, p)| folder_label(root, p).ok())
        .collect();
    let all_in_folders = files.iter().all(|(root, p)| folder_label(root, p).is_ok());
    if all_in_folders && labels.len() >= 2 {
        return CorpusKind::Folders;
    }
    CorpusKind::None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_convention_reads_its_examples() {
        let cases = [
            (CorpusKind::Emodb, "16b10Td.wav", "sadness", "16"),
            (CorpusKind::Emodb, "03a05Lc.wav", "boredom", "03"),
            (
                CorpusKind::Tess,
                "YAF_germ_ps.wav",
                "pleasant_surprise",
                "YAF",
            ),
            (CorpusKind::Tess, "OA_bite_neutral.wav", "neutral", "OAF"),
            (CorpusKind::Savee, "KL_su15.wav", "surprise", "KL"),
            (CorpusKind::Savee, "DC_sa02.wav", "sadness", "DC"),
            (
                CorpusKind::Ravdess,
                "03-01-02-01-01-01-24.wav",
                "calm",
                "24",
            ),
            (CorpusKind::CremaD, "1091_WSI_SAD_XX.wav", "sadness", "1091"),
        ];
        for (kind, name, label, speaker) in cases {
            let got =
                parse_name(kind.clone(), name).unwrap_or_else(|e| panic!("{kind} {name}: {e}"));
            assert_eq!(
                (got.label.as_str(), got.speaker.as_str()),
                (label, speaker),
                "{name}"
            );
        }
    }

    #[test]
    fn unknown_codes_are_reasons_not_guesses() {
        for (kind, name) in [
            (CorpusKind::Emodb, "03a01Qa.wav"),
            (CorpusKind::Emodb, "readme.wav"),
            (CorpusKind::Tess, "OAF_back_bored.wav"),
            (CorpusKind::Savee, "DC_x01.wav"),
            (CorpusKind::Ravdess, "03-01-09-01-01-01-01.wav"),
            (CorpusKind::CremaD, "1001_DFA_XYZ_XX.wav"),
        ] {
            assert!(parse_name(kind, name).is_err(), "{name}");
        }
    }

    #[test]
    fn savee_folder_layout_takes_the_speaker_from_the_folder() {
        let info = parse_path(&CorpusKind::Savee, Path::new("/data/AudioData/JE/h07.wav")).unwrap();
        assert_eq!(
            (info.label.as_str(), info.speaker.as_str()),
            ("happiness", "JE")
        );
    }

    #[test]
    fn corpus_kinds_parse_and_print() {
        for s in [
            "auto",
            "emodb",
            "tess",
            "savee",
            "ravdess",
            "cremad",
            "folders",
            "none",
            "manifest:x.csv",
        ] {
            assert_eq!(s.parse::<CorpusKind>().unwrap().to_string(), s);
        }
        assert!("manifest:".parse::<CorpusKind>().is_err());
        assert!("timit".parse::<CorpusKind>().is_err());
    }

    fn touch(dir: &Path, rel: &str) -> PathBuf {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, b"x").unwrap();
        p
    }

    #[test]
    fn auto_detects_emodb_and_reports_the_odd_file() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "03a01Wa.wav");
        touch(dir.path(), "08b02Nc.wav");
        touch(dir.path(), "11a05Xd.wav");
        touch(dir.path(), "notes.txt");
        let listing = load(&[dir.path().to_path_buf()], &CorpusKind::Auto).unwrap();
        assert_eq!(listing.kind, CorpusKind::Emodb);
        assert_eq!(listing.files.len(), 2);
        assert_eq!(listing.skipped.len(), 1);
        assert!(
            listing.skipped[0]
                .reason
                .contains("unknown EMODB emotion code `X`")
        );
    }

    #[test]
    fn auto_detects_folders_and_refuses_an_empty_tree() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "happy/a.wav");
        touch(dir.path(), "sad/deeper/b.flac");
        let listing = load(&[dir.path().to_path_buf()], &CorpusKind::Auto).unwrap();
        assert_eq!(listing.kind, CorpusKind::Folders);
        let labels: Vec<_> = listing
            .files
            .iter()
            .map(|f| f.label.clone().unwrap())
            .collect();
        assert_eq!(labels, vec!["happy", "sad"]);

        let empty = tempfile::tempdir().unwrap();
        touch(empty.path(), "readme.md");
        let err = load(&[empty.path().to_path_buf()], &CorpusKind::Auto).unwrap_err();
        assert!(err.to_string().contains("no audio files"));
    }
}
