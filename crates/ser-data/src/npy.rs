//! Feature rows as a NumPy `.npy` array, for tools that read arrays rather than tables.

use std::io::Write;

/// Writes a `rows x cols` little-endian float32 array (`data`, row-major) in `.npy` format,
/// version 1.0, C order: `numpy.load` reads it as it is.
///
/// ```
/// let mut out = Vec::new();
/// ser_data::write_npy(&mut out, 1, 2, &[0.5, -1.0])?;
/// assert!(out.starts_with(b"\x93NUMPY\x01\x00"));
/// assert_eq!(out.len() % 64, 8); // the header pads to 64 bytes; the data is 2 x 4
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_npy(
    out: &mut impl Write,
    rows: usize,
    cols: usize,
    data: &[f32],
) -> std::io::Result<()> {
    if rows.checked_mul(cols) != Some(data.len()) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} values are not {rows} x {cols}", data.len()),
        ));
    }
    let mut header =
        format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    out.write_all(b"\x93NUMPY\x01\x00")?;
    out.write_all(&(header.len() as u16).to_le_bytes())?;
    out.write_all(header.as_bytes())?;
    for v in data {
        out.write_all(&v.to_le_bytes())?;
    }
    Ok(())
}

/// The files beside an npy table `out`: `out.rows.csv` (which row is which file, label,
/// speaker) and `out.columns.txt` (one feature name per line), in that order.
pub fn npy_companions(out: &std::path::Path) -> [std::path::PathBuf; 2] {
    let beside = |suffix: &str| {
        let mut name = std::ffi::OsString::from(out.as_os_str());
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    [beside(".rows.csv"), beside(".columns.txt")]
}

impl crate::Extraction {
    /// Writes the rows as the npy table `out` (float32, rows x features) with its
    /// [`npy_companions`], each file whole or not at all ([`crate::write_atomically`]).
    ///
    /// ```
    /// use ser_data::{Source, demo::DemoConfig, extract, npy_companions};
    /// use ser_features::{FeatureConfig, FeatureExtractor};
    ///
    /// let sources = Source::demo(DemoConfig { speakers: 2, utterances_per_emotion: 1, ..DemoConfig::default() });
    /// let extraction = extract(sources, &FeatureExtractor::new(FeatureConfig::default())?, None, &|| {});
    /// let dir = std::env::temp_dir().join(format!("ser-npy-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let out = dir.join("features.npy");
    /// extraction.write_npy_files(&out)?;
    /// let [rows, columns] = npy_companions(&out);
    /// assert_eq!(std::fs::read_to_string(&columns)?.lines().count(), 180);
    /// assert_eq!(std::fs::read_to_string(&rows)?.lines().count(), 1 + 14);
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_npy_files(&self, out: &std::path::Path) -> std::io::Result<()> {
        let data: Vec<f32> = self
            .rows
            .iter()
            .flat_map(|(_, x)| x.vector.iter().copied())
            .collect();
        let (rows, cols) = (self.rows.len(), self.feature_names.len());
        let [index, columns] = npy_companions(out);
        crate::write_atomically(out, |w| write_npy(w, rows, cols, &data))?;
        crate::write_atomically(&index, |w| self.write_index_csv(w))?;
        crate::write_atomically(&columns, |w| {
            for name in &self.feature_names {
                writeln!(w, "{name}")?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_header_is_aligned_and_parsable() {
        let mut buf = Vec::new();
        write_npy(&mut buf, 2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let header_len = u16::from_le_bytes([buf[8], buf[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        assert_eq!(buf.len(), 10 + header_len + 24);
        assert!(
            std::str::from_utf8(&buf[10..10 + header_len])
                .unwrap()
                .contains("'shape': (2, 3)")
        );
    }
}
