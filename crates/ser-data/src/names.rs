//! The file-name conventions of the common corpora: the label and speaker each name gives.

use std::path::Path;

use crate::corpus::{CorpusKind, NameInfo};

pub(crate) fn stem(name: &str) -> &str {
    match name.rfind('.') {
        Some(i) if i > 0 => &name[..i],
        _ => name,
    }
}

fn info(label: &str, speaker: &str) -> std::result::Result<NameInfo, String> {
    Ok(NameInfo {
        label: label.to_string(),
        speaker: speaker.to_string(),
    })
}

/// Reads the label and speaker from a file name under a naming convention; `Err` says why the
/// name does not fit. Only the five name-based conventions apply; others give `Err`.
pub fn parse_name(kind: CorpusKind, file_name: &str) -> std::result::Result<NameInfo, String> {
    let s = stem(file_name);
    match kind {
        CorpusKind::Emodb => emodb(s, file_name),
        CorpusKind::Tess => tess(s, file_name),
        CorpusKind::Savee => savee(s, file_name),
        CorpusKind::Ravdess => ravdess(s, file_name),
        CorpusKind::CremaD => crema_d(s, file_name),
        other => Err(format!("{other} labels do not come from file names")),
    }
}

/// A SAVEE emotion code with its two-digit sentence number (`a01`, `sa15`).
fn savee_code(code: &str) -> std::result::Result<&'static str, String> {
    let letters = code.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = &code[letters.len()..];
    if digits.len() != 2 {
        return Err(format!("`{code}` is not a SAVEE code like a01 or sa15"));
    }
    Ok(match letters {
        "a" => "anger",
        "d" => "disgust",
        "f" => "fear",
        "h" => "happiness",
        "n" => "neutral",
        "sa" => "sadness",
        "su" => "surprise",
        other => return Err(format!("unknown SAVEE emotion code `{other}`")),
    })
}

/// The label and speaker of `path` under a naming convention.
pub(crate) fn parse_path(kind: &CorpusKind, path: &Path) -> std::result::Result<NameInfo, String> {
    if *kind == CorpusKind::Savee {
        return parse_savee_path(path);
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| "the file name is not valid UTF-8".to_string())?;
    parse_name(kind.clone(), name)
}

/// SAVEE as distributed keeps the speaker in the folder: `DC/a01.wav`.
fn parse_savee_path(path: &Path) -> std::result::Result<NameInfo, String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if let Ok(info) = parse_name(CorpusKind::Savee, name) {
        return Ok(info);
    }
    let folder = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if folder.len() == 2 && folder.bytes().all(|c| c.is_ascii_uppercase()) {
        let label = savee_code(stem(name))?;
        return info(label, folder);
    }
    Err(format!(
        "`{name}` is not a SAVEE name like DC_a01.wav or DC/a01.wav"
    ))
}

/// EMODB: `03a01Wa.wav`, the 6th character the emotion, the first two digits the speaker.
fn emodb(s: &str, file_name: &str) -> std::result::Result<NameInfo, String> {
    let b = s.as_bytes();
    if b.len() != 7
        || !b[..2].iter().all(u8::is_ascii_digit)
        || !b[2].is_ascii_lowercase()
        || !b[3..5].iter().all(u8::is_ascii_digit)
        || !b[6].is_ascii_lowercase()
    {
        return Err(format!(
            "`{file_name}` is not an EMODB name like 03a01Wa.wav"
        ));
    }
    let label = match b[5] {
        b'W' => "anger",
        b'L' => "boredom",
        b'E' => "disgust",
        b'A' => "fear",
        b'F' => "happiness",
        b'T' => "sadness",
        b'N' => "neutral",
        c => return Err(format!("unknown EMODB emotion code `{}`", c as char)),
    };
    info(label, &s[..2])
}

/// TESS: `OAF_back_angry.wav`, speaker, word, emotion.
fn tess(s: &str, file_name: &str) -> std::result::Result<NameInfo, String> {
    let parts: Vec<&str> = s.split('_').collect();
    if parts.len() != 3 {
        return Err(format!(
            "`{file_name}` is not a TESS name like OAF_back_angry.wav"
        ));
    }
    let speaker = match parts[0].to_ascii_uppercase().as_str() {
        "OAF" => "OAF",
        "YAF" => "YAF",
        // The official TESS release holds one file prefixed `OA_`: a typo for OAF, the
        // only older speaker.
        "OA" => "OAF",
        other => return Err(format!("unknown TESS speaker `{other}`")),
    };
    let label = match parts[2].to_ascii_lowercase().as_str() {
        "angry" => "anger",
        "disgust" => "disgust",
        "fear" => "fear",
        "happy" => "happiness",
        "neutral" => "neutral",
        "ps" => "pleasant_surprise",
        "sad" => "sadness",
        other => return Err(format!("unknown TESS emotion `{other}`")),
    };
    info(label, speaker)
}

/// SAVEE: `DC_a01.wav`, speaker, emotion code and sentence number.
fn savee(s: &str, file_name: &str) -> std::result::Result<NameInfo, String> {
    let (speaker, rest) = match s.split_once('_') {
        Some((sp, rest)) if sp.len() == 2 && sp.bytes().all(|c| c.is_ascii_uppercase()) => {
            (sp, rest)
        }
        _ => return Err(format!("`{file_name}` is not a SAVEE name like DC_a01.wav")),
    };
    savee_code(rest).and_then(|label| info(label, speaker))
}

/// RAVDESS: `03-01-05-01-02-01-12.wav`, the 3rd field the emotion, the 7th the actor.
fn ravdess(s: &str, file_name: &str) -> std::result::Result<NameInfo, String> {
    let fields: Vec<&str> = s.split('-').collect();
    if fields.len() != 7
        || !fields
            .iter()
            .all(|f| f.len() == 2 && f.bytes().all(|c| c.is_ascii_digit()))
    {
        return Err(format!(
            "`{file_name}` is not a RAVDESS name like 03-01-05-01-02-01-12.wav"
        ));
    }
    let label = match fields[2] {
        "01" => "neutral",
        "02" => "calm",
        "03" => "happiness",
        "04" => "sadness",
        "05" => "anger",
        "06" => "fear",
        "07" => "disgust",
        "08" => "surprise",
        other => return Err(format!("unknown RAVDESS emotion code `{other}`")),
    };
    info(label, fields[6])
}

/// CREMA-D: `1001_DFA_ANG_XX.wav`, speaker, sentence, emotion, level.
fn crema_d(s: &str, file_name: &str) -> std::result::Result<NameInfo, String> {
    let fields: Vec<&str> = s.split('_').collect();
    if fields.len() != 4 || fields[0].len() != 4 || !fields[0].bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "`{file_name}` is not a CREMA-D name like 1001_DFA_ANG_XX.wav"
        ));
    }
    let label = match fields[2] {
        "ANG" => "anger",
        "DIS" => "disgust",
        "FEA" => "fear",
        "HAP" => "happiness",
        "NEU" => "neutral",
        "SAD" => "sadness",
        other => return Err(format!("unknown CREMA-D emotion code `{other}`")),
    };
    info(label, fields[0])
}
