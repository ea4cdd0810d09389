//! The one CSV dialect of the workspace: what `ser features` writes and every reader reads.
//!
//! Fields are separated by commas; a field holding a comma, a double quote or a line break is
//! quoted, with `""` for a quote. A leading UTF-8 byte-order mark (spreadsheets write one) is
//! not part of the first field, and `\r\n` line ends are read like `\n`.

use std::io::Write;

/// Splits one CSV line into fields.
///
/// ```
/// use ser_data::csv::split_line;
///
/// assert_eq!(split_line("\"a, b.wav\",anger,03").unwrap(), vec!["a, b.wav", "anger", "03"]);
/// assert!(split_line("\"unterminated").is_err());
/// ```
pub fn split_line(line: &str) -> std::result::Result<Vec<String>, String> {
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

/// The non-blank lines of a CSV text with their 1-based line numbers, without a leading
/// byte-order mark or trailing `\r`.
///
/// ```
/// let lines: Vec<_> = ser_data::csv::lines("\u{feff}path,label\r\n\na.wav,anger\n").collect();
/// assert_eq!(lines, [(1, "path,label"), (3, "a.wav,anger")]);
/// ```
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty())
}

/// A field as written: quoted only when it holds a comma, a quote or a line break.
///
/// ```
/// use ser_data::csv::field;
///
/// assert_eq!(field("a.wav"), "a.wav");
/// assert_eq!(field("a,b.wav"), "\"a,b.wav\"");
/// assert_eq!(field("say \"x\""), "\"say \"\"x\"\"\"");
/// ```
pub fn field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// One row of a features table: where it came from, what the corpus says of it, its values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureRow<'a> {
    /// The source (a path, or `demo:NAME`).
    pub path: &'a str,
    /// The emotion label, when known.
    pub label: Option<&'a str>,
    /// The speaker, when known.
    pub speaker: Option<&'a str>,
    /// The feature values, one per column.
    pub values: &'a [f32],
    /// The chroma tuning used, written when the table has a `tuning` column.
    pub tuning: Option<f64>,
}

/// Writes a features table: the header `path,label,speaker,<names>[,tuning]`, then each row.
/// Values are written in Rust's shortest round-trip form, so reading them back gives the same
/// `f32`s bit for bit.
///
/// ```
/// use ser_data::csv::{FeatureRow, write_features};
///
/// let mut out = Vec::new();
/// let names = ["f0".to_string(), "f1".to_string()];
/// let row = FeatureRow { path: "a,b.wav", label: Some("anger"), speaker: None, values: &[0.5, -1e-3], tuning: None };
/// write_features(&mut out, &names, false, [row])?;
/// assert_eq!(String::from_utf8(out).unwrap(), "path,label,speaker,f0,f1\n\"a,b.wav\",anger,,0.5,-0.001\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_features<'a>(
    w: &mut dyn Write,
    names: &[String],
    with_tuning: bool,
    rows: impl IntoIterator<Item = FeatureRow<'a>>,
) -> std::io::Result<()> {
    write_header(w, names, with_tuning)?;
    let mut line = String::new();
    for row in rows {
        line.clear();
        format_row(&row, with_tuning, &mut line);
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// The header line of [`write_features`].
pub(crate) fn write_header(
    w: &mut dyn Write,
    names: &[String],
    with_tuning: bool,
) -> std::io::Result<()> {
    let mut line = String::from("path,label,speaker");
    for name in names {
        line.push(',');
        line.push_str(&field(name));
    }
    line.push_str(if with_tuning { ",tuning\n" } else { "\n" });
    w.write_all(line.as_bytes())
}

/// Appends one row of [`write_features`], with its line ending, to `line`.
pub(crate) fn format_row(row: &FeatureRow<'_>, with_tuning: bool, line: &mut String) {
    use std::fmt::Write as _;
    line.push_str(&field(row.path));
    line.push(',');
    line.push_str(&field(row.label.unwrap_or("")));
    line.push(',');
    line.push_str(&field(row.speaker.unwrap_or("")));
    for v in row.values {
        // Writing to a String cannot fail.
        let _ = write!(line, ",{v}");
    }
    if with_tuning {
        line.push(',');
        if let Some(t) = row.tuning {
            let _ = write!(line, "{t}");
        }
    }
    line.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_round_trips() {
        for s in ["a", "x, y", "say \"hi\"", "", "\"", "a\"b,c"] {
            let line = format!("{},z", field(s));
            assert_eq!(split_line(&line).unwrap(), vec![s, "z"], "{s:?}");
        }
        assert_eq!(split_line("a,b,c").unwrap(), vec!["a", "b", "c"]);
        assert!(split_line("\"open").is_err());
    }

    #[test]
    fn a_byte_order_mark_is_not_text() {
        let first: Vec<_> = lines("\u{feff}a,b\r\n").collect();
        assert_eq!(first, [(1, "a,b")]);
        // Only at the very start.
        let later: Vec<_> = lines("a\n\u{feff}b\n").collect();
        assert_eq!(later, [(1, "a"), (2, "\u{feff}b")]);
    }
}
