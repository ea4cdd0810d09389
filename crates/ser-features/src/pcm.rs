//! Raw PCM and WAV streams, as bytes arrive (a microphone through a pipe, a socket): samples
//! mixed to mono, a sample cut between two reads kept for the next.

use std::io::Read;

use crate::error::{FeatureError, Result};
use crate::{MAX_CHANNELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};

/// The encoding of one sample of raw PCM, little-endian (what `arecord -f` and `sox -t raw`
/// write by these names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PcmFormat {
    /// Unsigned 8-bit (`U8`).
    U8,
    /// Signed 16-bit (`S16_LE`).
    S16Le,
    /// Signed 24-bit in 3 bytes (`S24_3LE`).
    S24Le,
    /// Signed 32-bit (`S32_LE`).
    S32Le,
    /// 32-bit float (`FLOAT_LE`).
    F32Le,
    /// 64-bit float (`FLOAT64_LE`).
    F64Le,
}

impl PcmFormat {
    /// Bytes per sample.
    pub fn bytes(self) -> usize {
        match self {
            PcmFormat::U8 => 1,
            PcmFormat::S16Le => 2,
            PcmFormat::S24Le => 3,
            PcmFormat::S32Le | PcmFormat::F32Le => 4,
            PcmFormat::F64Le => 8,
        }
    }

    /// Whether samples are integers: their values lie in `[-1, 1]`, so they (and their mix to
    /// mono) can never be NaN, infinite or out of range.
    ///
    /// ```
    /// use ser_features::PcmFormat;
    ///
    /// assert!(PcmFormat::S16Le.is_integer());
    /// assert!(!PcmFormat::F32Le.is_integer());
    /// ```
    pub fn is_integer(self) -> bool {
        !matches!(self, PcmFormat::F32Le | PcmFormat::F64Le)
    }

    /// The format of a name as `ser listen --format` takes it: `u8`, `s16le`, `s24le`, `s32le`,
    /// `f32le`, `f64le`.
    pub fn from_name(name: &str) -> Option<PcmFormat> {
        Some(match name.to_ascii_lowercase().as_str() {
            "u8" => PcmFormat::U8,
            "s16le" | "s16_le" => PcmFormat::S16Le,
            "s24le" | "s24_3le" => PcmFormat::S24Le,
            "s32le" | "s32_le" => PcmFormat::S32Le,
            "f32le" | "float_le" => PcmFormat::F32Le,
            "f64le" | "float64_le" => PcmFormat::F64Le,
            _ => return None,
        })
    }

    /// One sample's value in `[-1, 1]` (integers scaled as symphonia scales them: by
    /// `2^(bits - 1)`).
    #[inline(always)]
    fn value(self, b: &[u8]) -> f32 {
        match self {
            PcmFormat::U8 => (f32::from(b[0]) - 128.0) / 128.0,
            PcmFormat::S16Le => f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0,
            PcmFormat::S24Le => {
                // Sign-extended by placing the three bytes high in an i32.
                (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0
            }
            PcmFormat::S32Le => {
                (f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])) / 2_147_483_648.0) as f32
            }
            PcmFormat::F32Le => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            PcmFormat::F64Le => {
                f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
            }
        }
    }
}

/// Raw PCM to mono samples, as bytes arrive in pieces of any size.
///
/// ```
/// use ser_features::{PcmDecoder, PcmFormat};
///
/// // Stereo 16-bit: frames (0.5, -0.5) and (0.25, 0.25), the second cut between two reads.
/// let mut pcm = PcmDecoder::new(PcmFormat::S16Le, 2)?;
/// let bytes: Vec<u8> = [16_384i16, -16_384, 8_192, 8_192].iter().flat_map(|v| v.to_le_bytes()).collect();
/// let mut mono = Vec::new();
/// pcm.decode(&bytes[..5], &mut mono);
/// assert_eq!(mono, [0.0]);
/// pcm.decode(&bytes[5..], &mut mono);
/// assert_eq!(mono, [0.0, 0.25]);
/// assert_eq!(pcm.pending_bytes(), 0);
/// # Ok::<(), ser_features::FeatureError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PcmDecoder {
    format: PcmFormat,
    channels: usize,
    /// Bytes of a frame cut between two reads.
    pending: Vec<u8>,
}

impl PcmDecoder {
    /// A decoder of `channels` interleaved channels (1 to 256).
    pub fn new(format: PcmFormat, channels: usize) -> Result<Self> {
        if channels == 0 || channels > MAX_CHANNELS {
            return Err(FeatureError::Channels { channels });
        }
        Ok(PcmDecoder {
            format,
            channels,
            pending: Vec::new(),
        })
    }

    /// The sample format.
    pub fn format(&self) -> PcmFormat {
        self.format
    }

    /// Channels per frame.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Appends the mono samples (the mean over channels) of every whole frame of `bytes`, after
    /// the bytes kept from the last call; the bytes of a frame cut at the end are kept.
    pub fn decode(&mut self, bytes: &[u8], mono: &mut Vec<f32>) {
        let frame = self.format.bytes() * self.channels;
        let mut bytes = bytes;
        if !self.pending.is_empty() {
            let need = (frame - self.pending.len()).min(bytes.len());
            self.pending.extend_from_slice(&bytes[..need]);
            bytes = &bytes[need..];
            if self.pending.len() < frame {
                return;
            }
            let whole = std::mem::take(&mut self.pending);
            self.frames(&whole, mono);
        }
        let whole = bytes.len() / frame * frame;
        self.frames(&bytes[..whole], mono);
        self.pending.extend_from_slice(&bytes[whole..]);
    }

    fn frames(&self, bytes: &[u8], mono: &mut Vec<f32>) {
        // One loop per format, so that each converts its samples without a branch per sample.
        match self.format {
            PcmFormat::U8 => self.frames_of::<1>(bytes, mono, PcmFormat::U8),
            PcmFormat::S16Le => self.frames_of::<2>(bytes, mono, PcmFormat::S16Le),
            PcmFormat::S24Le => self.frames_of::<3>(bytes, mono, PcmFormat::S24Le),
            PcmFormat::S32Le => self.frames_of::<4>(bytes, mono, PcmFormat::S32Le),
            PcmFormat::F32Le => self.frames_of::<4>(bytes, mono, PcmFormat::F32Le),
            PcmFormat::F64Le => self.frames_of::<8>(bytes, mono, PcmFormat::F64Le),
        }
    }

    /// [`PcmDecoder::frames`] for samples of `N` bytes in `format`.
    #[inline(always)]
    fn frames_of<const N: usize>(&self, bytes: &[u8], mono: &mut Vec<f32>, format: PcmFormat) {
        if self.channels == 1 {
            // Into a slice of the right length, so that the loop is a plain map the compiler
            // vectorises.
            let start = mono.len();
            mono.resize(start + bytes.len() / N, 0.0);
            for (o, b) in mono[start..].iter_mut().zip(bytes.chunks_exact(N)) {
                *o = format.value(b);
            }
            return;
        }
        let n = self.channels as f32;
        mono.extend(
            bytes
                .chunks_exact(N * self.channels)
                .map(|frame| frame.chunks_exact(N).map(|b| format.value(b)).sum::<f32>() / n),
        );
    }

    /// Bytes of a cut frame held for the next call: at the end of a stream, what was cut off.
    pub fn pending_bytes(&self) -> usize {
        self.pending.len()
    }
}

/// What the header of a WAV stream says: everything needed to read the samples that follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavHeader {
    /// The sample encoding.
    pub format: PcmFormat,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Interleaved channels.
    pub channels: usize,
    /// Bytes of sample data the header declares; `None` for a stream written to a pipe, whose
    /// size is unknown (`0xFFFFFFFF` or 0).
    pub data_bytes: Option<u64>,
}

fn header_error(reason: impl Into<String>) -> FeatureError {
    FeatureError::UnrecognisedFormat {
        reason: format!("WAV stream: {}", reason.into()),
    }
}

fn read_exact_or(reader: &mut dyn Read, buf: &mut [u8]) -> Result<()> {
    reader.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => FeatureError::TruncatedHeader,
        _ => FeatureError::Io(e),
    })
}

impl WavHeader {
    /// Reads a WAV header from a stream that cannot seek (standard input), up to the start of
    /// its sample data: `RIFF`/`WAVE`, the `fmt ` chunk (integer PCM of 8, 16, 24 or 32 bits,
    /// or float of 32 or 64, including `WAVE_FORMAT_EXTENSIBLE`), any other chunk skipped,
    /// then `data`. The samples follow in `reader`.
    pub fn read(reader: &mut dyn Read) -> Result<WavHeader> {
        let mut riff = [0u8; 12];
        read_exact_or(reader, &mut riff)?;
        if &riff[..4] != b"RIFF" || &riff[8..12] != b"WAVE" {
            return Err(header_error("it does not start with RIFF....WAVE"));
        }
        let mut fmt: Option<(PcmFormat, u32, usize)> = None;
        loop {
            let mut chunk = [0u8; 8];
            read_exact_or(reader, &mut chunk)?;
            let len = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
            match &chunk[..4] {
                b"fmt " => {
                    if !(16..=1024).contains(&len) {
                        return Err(header_error(format!("a fmt chunk of {len} bytes")));
                    }
                    let mut body = vec![0u8; len as usize + (len as usize & 1)];
                    read_exact_or(reader, &mut body)?;
                    fmt = Some(parse_fmt(&body)?);
                }
                b"data" => {
                    let (format, sample_rate, channels) =
                        fmt.ok_or_else(|| header_error("the data chunk comes before fmt"))?;
                    return Ok(WavHeader {
                        format,
                        sample_rate,
                        channels,
                        data_bytes: (len != 0 && len != u32::MAX).then_some(u64::from(len)),
                    });
                }
                _ => {
                    let skip = u64::from(len) + u64::from(len & 1);
                    let copied = std::io::copy(&mut reader.take(skip), &mut std::io::sink())
                        .map_err(FeatureError::Io)?;
                    if copied < skip {
                        return Err(FeatureError::TruncatedHeader);
                    }
                }
            }
        }
    }
}

/// The sample format, rate and channels of a `fmt ` chunk's body.
fn parse_fmt(body: &[u8]) -> Result<(PcmFormat, u32, usize)> {
    let u16_at = |i: usize| u16::from_le_bytes([body[i], body[i + 1]]);
    let mut tag = u16_at(0);
    let channels = usize::from(u16_at(2));
    let rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
    let bits = u16_at(14);
    if tag == 0xFFFE && body.len() >= 26 {
        // WAVE_FORMAT_EXTENSIBLE: the real tag is the first two bytes of the sub-format GUID.
        tag = u16_at(24);
    }
    let format = match (tag, bits) {
        (1, 8) => PcmFormat::U8,
        (1, 16) => PcmFormat::S16Le,
        (1, 24) => PcmFormat::S24Le,
        (1, 32) => PcmFormat::S32Le,
        (3, 32) => PcmFormat::F32Le,
        (3, 64) => PcmFormat::F64Le,
        _ => {
            return Err(FeatureError::UnsupportedCodec {
                codec: format!("WAV format tag {tag} with {bits}-bit samples"),
            });
        }
    };
    if channels == 0 || channels > MAX_CHANNELS {
        return Err(FeatureError::Channels { channels });
    }
    if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&rate) {
        return Err(FeatureError::SampleRate {
            sample_rate: rate.into(),
        });
    }
    Ok((format, rate, channels))
}

/// Bytes of sample data turned into one chunk (a few thousand frames, as a packet holds).
pub(crate) const WAV_CHUNK_BYTES: usize = 1 << 16;

/// The header of `bytes` when they are a WAV that needs nothing symphonia does beyond reading
/// samples: `RIFF....WAVE` at the start, a `fmt ` chunk of a format [`WavHeader`] reads
/// before a `data` chunk wholly present and holding whole frames. Anything else (a cut file,
/// an odd layout, a codec) goes through symphonia, whose errors say what is wrong.
pub(crate) fn plain_wav(bytes: &[u8]) -> Option<(WavHeader, std::ops::Range<usize>)> {
    // The basic `fmt ` chunk first (16 bytes, or 18 with an empty extension), integer (1) or
    // float (3) samples filling their blocks: WAVE_FORMAT_EXTENSIBLE can declare fewer valid
    // bits than the container holds, which symphonia knows how to read.
    let fmt = bytes.get(12..36)?;
    let u16_at = |i: usize| u16::from_le_bytes([fmt[i], fmt[i + 1]]);
    let fmt_len = u32::from_le_bytes([fmt[4], fmt[5], fmt[6], fmt[7]]);
    let (tag, channels, block, bits) = (u16_at(8), u16_at(10), u16_at(20), u16_at(22));
    if &fmt[..4] != b"fmt " || !(fmt_len == 16 || fmt_len == 18) || !(tag == 1 || tag == 3) {
        return None;
    }
    if u32::from(block) * 8 != u32::from(channels) * u32::from(bits) {
        return None;
    }
    let mut rest = bytes;
    let header = WavHeader::read(&mut rest).ok()?;
    let start = bytes.len() - rest.len();
    let len = usize::try_from(header.data_bytes?).ok()?;
    let frame = header.format.bytes() * header.channels;
    (len > 0 && len <= rest.len() && len % frame == 0).then_some((header, start..start + len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{seeded_signal, wav_bytes};

    #[test]
    fn every_format_decodes_as_symphonia_decodes_it_in_any_pieces() {
        let signal = seeded_signal(1, 500);
        for (format, bits, tag) in [
            (PcmFormat::U8, 8u16, 1u16),
            (PcmFormat::S16Le, 16, 1),
            (PcmFormat::S24Le, 24, 1),
            (PcmFormat::S32Le, 32, 1),
            (PcmFormat::F32Le, 32, 3),
            (PcmFormat::F64Le, 64, 3),
        ] {
            // Stereo: the signal and its negation scaled, so the mix is a known mean.
            let data: Vec<u8> = signal
                .iter()
                .flat_map(|&v| [v, -0.5 * v])
                .flat_map(|v| match format {
                    PcmFormat::U8 => vec![((v * 127.0).round() + 128.0) as u8],
                    PcmFormat::S16Le => ((v * 32_767.0).round() as i16).to_le_bytes().to_vec(),
                    PcmFormat::S24Le => {
                        ((v * 8_388_607.0).round() as i32).to_le_bytes()[..3].to_vec()
                    }
                    PcmFormat::S32Le => ((f64::from(v) * 2_147_483_647.0).round() as i32)
                        .to_le_bytes()
                        .to_vec(),
                    PcmFormat::F32Le => v.to_le_bytes().to_vec(),
                    PcmFormat::F64Le => f64::from(v).to_le_bytes().to_vec(),
                })
                .collect();
            let wav = wav_bytes(16_000, 2, bits, tag, &data);
            let reference = crate::decode_bytes(wav.clone()).unwrap().samples;
            let mut header_reader = &wav[..];
            let header = WavHeader::read(&mut header_reader).unwrap();
            assert_eq!(
                (header.format, header.sample_rate, header.channels),
                (format, 16_000, 2)
            );
            assert_eq!(header.data_bytes, Some(data.len() as u64));
            let mut pcm = PcmDecoder::new(format, 2).unwrap();
            let mut mono = Vec::new();
            for piece in header_reader.chunks(7) {
                pcm.decode(piece, &mut mono);
            }
            assert_eq!(mono, reference, "{format:?}");
            assert_eq!(pcm.pending_bytes(), 0);
        }
    }

    #[test]
    fn bad_headers_are_clear_errors() {
        let wav = wav_bytes(16_000, 1, 16, 1, &[0u8; 8]);
        let read = |b: &[u8]| WavHeader::read(&mut &b[..]);
        assert!(matches!(
            read(&wav[..20]),
            Err(FeatureError::TruncatedHeader)
        ));
        assert!(
            read(b"RIFX\0\0\0\0WAVE")
                .unwrap_err()
                .to_string()
                .contains("RIFF")
        );
        let mut alaw = wav.clone();
        alaw[20] = 6;
        assert!(matches!(
            read(&alaw),
            Err(FeatureError::UnsupportedCodec { .. })
        ));
        let mut no_rate = wav.clone();
        no_rate[24..28].copy_from_slice(&0u32.to_le_bytes());
        assert!(matches!(
            read(&no_rate),
            Err(FeatureError::SampleRate { .. })
        ));
        let mut piped = wav.clone();
        piped[40..44].copy_from_slice(&[0xFF; 4]);
        assert_eq!(read(&piped).unwrap().data_bytes, None);
        assert!(matches!(
            PcmDecoder::new(PcmFormat::S16Le, 0),
            Err(FeatureError::Channels { .. })
        ));
        assert_eq!(PcmFormat::from_name("S16_LE"), Some(PcmFormat::S16Le));
        assert_eq!(PcmFormat::from_name("mp3"), None);
    }
}
