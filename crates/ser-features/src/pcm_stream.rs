//! A live byte stream of audio (standard input, a socket, a pipe) as mono samples: WAV or raw
//! PCM told apart by the first bytes, a WAV header checked against what the caller said, and
//! the stream ended where the header's declared data ends.

use std::io::{Chain, Cursor, Read};

use crate::error::{FeatureError, Result};
use crate::pcm::{PcmDecoder, PcmFormat, WavHeader};

/// Bytes asked of the input at a time: a read returns what the pipe holds, so a live stream
/// is answered as soon as a window is complete.
const READ_BYTES: usize = 16 * 1024;

/// How a stream's bytes are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamEncoding {
    /// WAV when the stream starts with `RIFF`, else raw 16-bit little-endian PCM.
    #[default]
    Auto,
    /// A WAV stream: its header gives encoding, rate and channels.
    Wav,
    /// Raw interleaved PCM of this encoding (the rate must be given).
    Raw(PcmFormat),
}

/// What the caller knows of a stream. A WAV header's rate and channels win over these; each
/// difference is reported in [`PcmStream::overridden`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamSpec {
    /// The encoding. Default: [`StreamEncoding::Auto`].
    pub encoding: StreamEncoding,
    /// Sample rate in Hz; required for raw PCM. Default: none.
    pub rate: Option<u32>,
    /// Interleaved channels of raw PCM. Default: none (1).
    pub channels: Option<usize>,
}

/// A setting the caller gave that a WAV header overrode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overridden {
    /// `rate` or `channels`.
    pub field: &'static str,
    /// What the caller gave.
    pub given: u64,
    /// What the header says (and what is used).
    pub header: u64,
}

/// How a stream ended, for the caller to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamEnd {
    /// Bytes of an incomplete last frame, left out.
    pub pending_bytes: usize,
    /// Sample bytes read.
    pub bytes_read: u64,
    /// The data a WAV header declared, when more than was read (a cut stream).
    pub cut_short_of: Option<u64>,
}

/// Mono samples from a byte stream, a read at a time (memory bounded by one read).
///
/// ```
/// use ser_features::{PcmStream, StreamSpec, encode_wav_pcm16};
///
/// let wav = encode_wav_pcm16(&vec![0.25f32; 1600], 16000);
/// let mut stream = PcmStream::open(&wav[..], StreamSpec::default())?;
/// assert_eq!(stream.sample_rate(), 16000);
/// let (mut samples, mut all) = (Vec::new(), 0);
/// while stream.next_samples(&mut samples)? {
///     all += samples.len();
/// }
/// assert_eq!(all, 1600);
/// assert_eq!(stream.end().cut_short_of, None);
/// // Raw PCM has no header: its rate must be given.
/// assert!(PcmStream::open(&[0u8; 8][..], StreamSpec::default()).is_err());
/// # Ok::<(), ser_features::FeatureError>(())
/// ```
pub struct PcmStream<R: Read> {
    reader: Chain<Cursor<Vec<u8>>, R>,
    pcm: PcmDecoder,
    rate: u32,
    declared: Option<u64>,
    read: u64,
    bytes: Vec<u8>,
    overridden: Vec<Overridden>,
    done: bool,
}

impl<R: Read> PcmStream<R> {
    /// Opens `reader` as `spec` says: with [`StreamEncoding::Auto`] its first 4 bytes tell WAV
    /// from raw PCM (and are given back); a WAV header is read whole here.
    pub fn open(mut reader: R, spec: StreamSpec) -> Result<Self> {
        let mut magic = Vec::with_capacity(4);
        // The raw encoding, or `None` for WAV.
        let raw = match spec.encoding {
            StreamEncoding::Auto => {
                (&mut reader).take(4).read_to_end(&mut magic)?;
                (magic != b"RIFF").then_some(PcmFormat::S16Le)
            }
            StreamEncoding::Wav => None,
            StreamEncoding::Raw(format) => Some(format),
        };
        let mut reader = Cursor::new(magic).chain(reader);
        let mut overridden = Vec::new();
        let (pcm, rate, declared) = match raw {
            None => {
                let header = WavHeader::read(&mut reader)?;
                let mut check = |field, given: Option<u64>, header: u64| {
                    if let Some(given) = given.filter(|&g| g != header) {
                        overridden.push(Overridden {
                            field,
                            given,
                            header,
                        });
                    }
                };
                check(
                    "rate",
                    spec.rate.map(u64::from),
                    u64::from(header.sample_rate),
                );
                check(
                    "channels",
                    spec.channels.map(|c| c as u64),
                    header.channels as u64,
                );
                let pcm = PcmDecoder::new(header.format, header.channels)?;
                (pcm, header.sample_rate, header.data_bytes)
            }
            Some(format) => {
                let rate = spec.rate.ok_or(FeatureError::Config {
                    field: "rate",
                    reason: "raw PCM has no header: give its sample rate".into(),
                })?;
                (
                    PcmDecoder::new(format, spec.channels.unwrap_or(1))?,
                    rate,
                    None,
                )
            }
        };
        Ok(PcmStream {
            reader,
            pcm,
            rate,
            declared,
            read: 0,
            bytes: vec![0; READ_BYTES],
            overridden,
            done: false,
        })
    }

    /// The stream's sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.rate
    }

    /// What the caller gave that a WAV header overrode.
    pub fn overridden(&self) -> &[Overridden] {
        &self.overridden
    }

    /// Replaces `samples` with the mono samples of the next read (possibly none, when a read
    /// ends inside a frame); `false` once the stream is over: the input ended, or a WAV
    /// header's declared data is all read (what follows it is another chunk, not samples).
    pub fn next_samples(&mut self, samples: &mut Vec<f32>) -> Result<bool> {
        samples.clear();
        if self.done {
            return Ok(false);
        }
        let n = loop {
            match self.reader.read(&mut self.bytes) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        };
        if n == 0 {
            self.done = true;
            return Ok(false);
        }
        let n = match self.declared {
            Some(d) => n.min(usize::try_from(d.saturating_sub(self.read)).unwrap_or(n)),
            None => n,
        };
        self.read += n as u64;
        self.pcm.decode(&self.bytes[..n], samples);
        if self.declared.is_some_and(|d| self.read >= d) {
            self.done = true;
        }
        Ok(true)
    }

    /// How the stream ended (or stands): a cut frame, a cut WAV.
    pub fn end(&self) -> StreamEnd {
        StreamEnd {
            pending_bytes: self.pcm.pending_bytes(),
            bytes_read: self.read,
            cut_short_of: self.declared.filter(|&d| self.read < d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode_wav_pcm16;

    fn all(stream: &mut PcmStream<&[u8]>) -> Vec<f32> {
        let (mut samples, mut out) = (Vec::new(), Vec::new());
        while stream.next_samples(&mut samples).unwrap() {
            out.extend_from_slice(&samples);
        }
        out
    }

    #[test]
    fn a_wav_stream_stops_at_its_declared_data_and_says_what_it_overrode() {
        let mut wav = encode_wav_pcm16(&[0.5; 100], 8000);
        // A chunk after the data is metadata, not samples.
        wav.extend_from_slice(b"LIST\x04\x00\x00\x00abcd");
        let spec = StreamSpec {
            rate: Some(16000),
            channels: Some(1),
            ..StreamSpec::default()
        };
        let mut stream = PcmStream::open(&wav[..], spec).unwrap();
        assert_eq!(stream.sample_rate(), 8000);
        assert_eq!(
            stream.overridden(),
            &[Overridden {
                field: "rate",
                given: 16000,
                header: 8000
            }]
        );
        assert_eq!(all(&mut stream).len(), 100);
        assert_eq!(stream.end().cut_short_of, None);
    }

    #[test]
    fn a_cut_wav_and_a_cut_frame_are_reported() {
        let wav = encode_wav_pcm16(&[0.5; 100], 8000);
        let cut = &wav[..wav.len() - 51];
        let mut stream = PcmStream::open(cut, StreamSpec::default()).unwrap();
        assert_eq!(all(&mut stream).len(), 74);
        let end = stream.end();
        assert_eq!((end.pending_bytes, end.cut_short_of), (1, Some(200)));
        assert_eq!(end.bytes_read, 149);
    }

    #[test]
    fn raw_pcm_needs_a_rate_and_takes_channels() {
        let bytes: Vec<u8> = [1000i16, 3000, -1000, -3000]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let err = PcmStream::open(&bytes[..], StreamSpec::default())
            .err()
            .unwrap();
        assert!(
            matches!(err, FeatureError::Config { field: "rate", .. }),
            "{err}"
        );
        let spec = StreamSpec {
            encoding: StreamEncoding::Raw(PcmFormat::S16Le),
            rate: Some(16000),
            channels: Some(2),
        };
        let mut stream = PcmStream::open(&bytes[..], spec).unwrap();
        let mono = all(&mut stream);
        assert_eq!(mono.len(), 2);
        assert!((mono[0] - 2000.0 / 32768.0).abs() < 1e-6, "{mono:?}");
        // Auto on bytes that are not RIFF is raw 16-bit PCM, the 4 bytes looked at kept.
        let spec = StreamSpec {
            rate: Some(16000),
            ..StreamSpec::default()
        };
        assert_eq!(
            all(&mut PcmStream::open(&bytes[..], spec).unwrap()).len(),
            4
        );
    }
}
