//! Shared by the model-file targets: frames the fuzzer's bytes as a whole file, so the parser
//! behind the magic, version and checksum is reached.

/// Half of the inputs (the first byte decides) are framed with `magic`, version 1 and a valid
/// CRC-32 around the rest; the others are taken as they are.
pub fn file_bytes(data: &[u8], magic: &[u8]) -> Option<Vec<u8>> {
    let (&mode, rest) = data.split_first()?;
    if mode & 1 == 0 {
        return Some(rest.to_vec());
    }
    let mut sealed = magic.to_vec();
    sealed.extend_from_slice(&1u32.to_le_bytes());
    sealed.extend_from_slice(rest);
    let crc = ser_quant::crc32(&sealed);
    sealed.extend_from_slice(&crc.to_le_bytes());
    Some(sealed)
}
