//! What is read from a file's first bytes before symphonia parses it: leading ID3v2 tags, the
//! WAV and AIFF chunk layout, streamed WAV sizes, MPEG frame-count tags.

use crate::MAX_CHANNELS;
use crate::error::{FeatureError, Result};

/// What the bytes say before symphonia parses them.
pub(crate) struct PreParse {
    /// The file is MPEG audio with a Xing/Info/VBRI frame count.
    pub(crate) mpeg_count_tag: bool,
    /// A WAV/AIFF sample chunk cut short: the bytes it declares and those present.
    pub(crate) cut: Option<(usize, usize)>,
}

/// Cuts leading ID3v2 tags off, fills streamed WAV sizes, and refuses what symphonia's header
/// arithmetic cannot take, before symphonia sees the bytes. `bytes` are the first bytes of a
/// file of `total` bytes (all of it, or a head long enough for the probe); returns how many
/// bytes of tags were cut off their front.
pub(crate) fn pre_parse(bytes: &mut Vec<u8>, total: usize) -> Result<(usize, PreParse)> {
    let tags = leading_id3v2_len(bytes)?;
    if tags == total {
        // Nothing but metadata.
        return Err(FeatureError::NoAudioTrack);
    }
    bytes.drain(..tags);
    let total = total - tags;
    // Found once: for a file that is no WAV or AIFF the search reads up to PROBE_DEPTH bytes.
    let riff = container(bytes);
    if let Some(riff) = riff {
        fill_streamed_wav_sizes(bytes, riff, total);
        // Checked before symphonia parses the header: a channel count near u16::MAX overflows
        // its frame-size arithmetic (a panic with overflow checks, a wrong size without).
        if let Some(n) = declared_channels(bytes, riff).filter(|&n| n == 0 || n > MAX_CHANNELS) {
            return Err(FeatureError::Channels { channels: n });
        }
    }
    let pre = PreParse {
        mpeg_count_tag: has_mpeg_count_tag(bytes),
        cut: riff.and_then(|riff| cut_sample_data(bytes, riff, total)),
    };
    Ok((tags, pre))
}

/// Whether an MPEG audio file carries a Xing, Info or VBRI tag (an exact frame count) in its
/// first frame. `bytes` start after any valid leading ID3v2 tag ([`leading_id3v2_len`]).
pub(crate) fn has_mpeg_count_tag(bytes: &[u8]) -> bool {
    // The tag sits at most 36 bytes into the first frame; allow for a little padding before it.
    let window = &bytes[..bytes.len().min(512)];
    window
        .windows(4)
        .any(|w| w == b"Xing" || w == b"Info" || w == b"VBRI")
}

/// How many bytes the ID3v2 tags at the start of `bytes` take (0 if there is none), or
/// `TruncatedHeader` if the file ends inside one.
///
/// An MP3's ID3v2 tag is metadata we do not read, and embedded cover art can make it
/// megabytes long. Symphonia is built without its ID3v2 reader, so its probe would scan through
/// the tag for a format marker byte by byte, and give up after [`PROBE_DEPTH`] bytes (a file
/// behind a tag that long was refused as not audio). So the tags are cut off before probing.
/// A header that is not a valid ID3v2 one (version 2.2 to 2.4, 7-bit size bytes) is left to
/// the probe, as junk.
pub(crate) fn leading_id3v2_len(bytes: &[u8]) -> Result<usize> {
    let mut end = 0usize;
    while let Some(header) = bytes.get(end..end + 10) {
        let valid = &header[..3] == b"ID3"
            && (2..=4).contains(&header[3])
            && header[4] != 0xFF
            && header[6..10].iter().all(|b| b & 0x80 == 0);
        if !valid {
            break;
        }
        // Four 7-bit bytes of size, after the 10-byte header; ID3v2.4 may add a 10-byte footer.
        let size = header[6..10]
            .iter()
            .fold(0usize, |n, &b| (n << 7) | usize::from(b));
        let footer = if header[3] == 4 && header[5] & 0x10 != 0 {
            10
        } else {
            0
        };
        end += 10 + size + footer;
        if end > bytes.len() {
            return Err(FeatureError::TruncatedHeader);
        }
    }
    Ok(end)
}

/// Where a WAV (`RIFF....WAVE`) or AIFF (`FORM....AIFF`/`AIFC`) container starts in `bytes`, and
/// whether it is little-endian (a WAV). Like symphonia's probe, which scans up to
/// [`PROBE_DEPTH`] bytes for a format's marker, this finds one after leading junk or metadata
/// too, so the checks made before symphonia parses see the header it will parse.
pub(crate) fn container(bytes: &[u8]) -> Option<(usize, bool)> {
    let searched = &bytes[..bytes.len().min(PROBE_DEPTH + 12)];
    searched
        .windows(12)
        .enumerate()
        .find_map(|(start, w)| match (&w[..4], &w[8..12]) {
            (b"RIFF", b"WAVE") => Some((start, true)),
            (b"FORM", b"AIFF" | b"AIFC") => Some((start, false)),
            _ => None,
        })
}

/// How far symphonia's probe looks for a format's marker (its default `max_probe_depth`).
pub(crate) const PROBE_DEPTH: usize = 1 << 20;

/// Where a chunk of the WAV or AIFF `container` (as [`container`] found it) starts and the
/// length its header declares: `(payload offset, declared length)`. `wav_id` names it in a WAV,
/// `aiff_id` in an AIFF. The payload may run past the end of `bytes` (a truncated file).
fn find_chunk(
    bytes: &[u8],
    (start, little_endian): (usize, bool),
    wav_id: &[u8; 4],
    aiff_id: &[u8; 4],
) -> Option<(usize, usize)> {
    let id = if little_endian { wav_id } else { aiff_id };
    let mut pos = start + 12;
    while let Some(header) = bytes.get(pos..pos.checked_add(8)?) {
        let len = read_uint(&header[4..], 4, little_endian)?;
        if &header[..4] == id {
            return Some((pos + 8, len));
        }
        pos = pos.checked_add(8)?.checked_add(len)?.checked_add(len & 1)?;
    }
    None
}

/// The unsigned integer in the first `n` bytes of `b`.
fn read_uint(b: &[u8], n: usize, little_endian: bool) -> Option<usize> {
    let b = b.get(..n)?;
    Some(if little_endian {
        b.iter().rev().fold(0, |v, &x| (v << 8) | usize::from(x))
    } else {
        b.iter().fold(0, |v, &x| (v << 8) | usize::from(x))
    })
}

/// The channel count the `container`'s WAV `fmt ` or AIFF `COMM` chunk declares, if it holds one.
pub(crate) fn declared_channels(bytes: &[u8], container: (usize, bool)) -> Option<usize> {
    let little_endian = container.1;
    let (payload, _) = find_chunk(bytes, container, b"fmt ", b"COMM")?;
    // The channel count is the fmt chunk's second u16 and the COMM chunk's first.
    let field = payload + if little_endian { 2 } else { 0 };
    read_uint(bytes.get(field..)?, 2, little_endian)
}

/// For a WAV or AIFF whose sample data chunk (`data`, `SSND`) starts in the file but ends past
/// it: the bytes it declares and the bytes present. Tells a cut in the samples from a cut in
/// the header when the parser only says "end of file". `bytes` are the first bytes of a file
/// of `total` bytes.
fn cut_sample_data(bytes: &[u8], container: (usize, bool), total: usize) -> Option<(usize, usize)> {
    let (payload, len) = find_chunk(bytes, container, b"data", b"SSND")?;
    let present = total.checked_sub(payload)?;
    (present < len).then_some((len, present))
}

/// A WAV written to a pipe cannot go back to fill in its sizes, so tools such as ffmpeg write
/// `0xFFFFFFFF` for the RIFF and `data` chunk lengths: "until the end". Those are set to the
/// lengths the file has (`total` bytes, of which `bytes` are the first), so the file decodes like
/// any other.
fn fill_streamed_wav_sizes(bytes: &mut [u8], container: (usize, bool), total: usize) {
    const UNKNOWN: [u8; 4] = [0xFF; 4];
    let (start, true) = container else {
        return;
    };
    let Some((payload, 0xFFFF_FFFF)) = find_chunk(bytes, container, b"data", b"SSND") else {
        return;
    };
    let (Some(Ok(data)), Some(Ok(riff))) = (
        total.checked_sub(payload).map(u32::try_from),
        total.checked_sub(start + 8).map(u32::try_from),
    ) else {
        return;
    };
    bytes[payload - 4..payload].copy_from_slice(&data.to_le_bytes());
    if bytes[start + 4..start + 8] == UNKNOWN {
        bytes[start + 4..start + 8].copy_from_slice(&riff.to_le_bytes());
    }
}
