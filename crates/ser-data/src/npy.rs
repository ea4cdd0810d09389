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
