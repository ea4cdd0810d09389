//! Reading audio a packet at a time: a file of any length decodes in memory bounded by a
//! packet, and a file read whole goes through the same steps.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use symphonia::core::codecs::audio::well_known::{CODEC_ID_MP1, CODEC_ID_MP2, CODEC_ID_MP3};
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;

use crate::audio::{check_samples, mix_to_mono};
use crate::container::{PROBE_DEPTH, PreParse, pre_parse};
use crate::error::{FeatureError, Result};
use crate::pcm::{PcmDecoder, WAV_CHUNK_BYTES, plain_wav};
use crate::{MAX_CHANNELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};

fn is_eof(err: &SymphoniaError) -> bool {
    matches!(err, SymphoniaError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof)
}

fn check_rate(rate: u64) -> Result<()> {
    if !(u64::from(MIN_SAMPLE_RATE)..=u64::from(MAX_SAMPLE_RATE)).contains(&rate) {
        return Err(FeatureError::SampleRate { sample_rate: rate });
    }
    Ok(())
}

/// The message of a caught panic.
fn panic_reason(panic: Box<dyn std::any::Any + Send>) -> FeatureError {
    let reason = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "decoder panicked".to_string());
    FeatureError::Corrupt {
        reason: format!("decoder failed: {reason}"),
    }
}

/// Symphonia is meant never to panic on bad input, but its docs allow that some streams still
/// do; a panic on a user's file must become an error, not abort the whole run.
fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| Err(panic_reason(panic)))
}

/// A file seen through its first bytes, patched ([`pre_parse`]), then the rest as it is on
/// disk: what symphonia reads for a file too long to hold in memory.
struct PatchedFile {
    head: Vec<u8>,
    file: File,
    /// Where `head` starts in the file (after leading tags).
    offset: u64,
    /// Bytes from `offset` to the end of the file.
    len: u64,
    pos: u64,
}

impl Read for PatchedFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let head = self.head.len() as u64;
        if self.pos < head {
            let from = self.pos as usize;
            let n = buf.len().min(self.head.len() - from);
            buf[..n].copy_from_slice(&self.head[from..from + n]);
            self.pos += n as u64;
            return Ok(n);
        }
        let n = self.file.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for PatchedFile {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        }
        .ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before start")
        })?;
        let head = self.head.len() as u64;
        self.file
            .seek(SeekFrom::Start(self.offset + target.max(head)))?;
        self.pos = target;
        Ok(target)
    }
}

impl MediaSource for PatchedFile {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}

/// Where the samples come from.
enum Packets {
    /// Symphonia's demuxer and decoder.
    Symphonia {
        format: Box<dyn FormatReader>,
        decoder: Box<dyn AudioDecoder>,
        track_id: u32,
    },
    /// The sample data of a plain PCM WAV in memory, read as [`PcmDecoder`] reads a stream:
    /// the same values as symphonia's (a test checks every format), without its buffers.
    Wav {
        bytes: Vec<u8>,
        /// The next byte to read and the end of the sample data.
        pos: usize,
        end: usize,
        pcm: PcmDecoder,
    },
}

/// Files up to this size are read whole, as [`crate::decode_bytes`] does; longer ones through
/// a head of this size (more than the probe searches) and then from disk.
const HEAD_BYTES: usize = 4 * PROBE_DEPTH;

/// A decoder of one audio file or buffer, giving its samples mixed to mono a packet at a time.
///
/// Every check [`crate::decode_file`] makes is made here too (it is the same path): a bad
/// sample is named by its position, and a file that ends short of what its header promises is
/// an error at its end, after the samples that were there.
///
/// ```
/// use ser_features::{AudioReader, encode_wav_pcm16};
///
/// let tone: Vec<f32> = (0..48_000).map(|i| 0.5 * (i as f32 * 0.01).sin()).collect();
/// let mut reader = AudioReader::from_bytes(encode_wav_pcm16(&tone, 16_000))?;
/// let mut samples = 0;
/// while let Some(chunk) = reader.next_chunk()? {
///     samples += chunk.len();
/// }
/// assert_eq!((samples, reader.sample_rate()), (48_000, Some(16_000)));
/// # Ok::<(), ser_features::FeatureError>(())
/// ```
pub struct AudioReader {
    packets: Packets,
    rate: Option<u32>,
    /// The channels of the packets so far (0: none yet), and those the container declares.
    channels: usize,
    declared_channels: usize,
    /// The frames the container promises, and whether that count is exact.
    promised: (Option<u64>, bool),
    interleaved: Vec<f32>,
    mono: Vec<f32>,
    frames: u64,
    finished: bool,
    /// The file, named in errors.
    path: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for AudioReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioReader")
            .field("rate", &self.rate)
            .field("channels", &self.channels)
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl AudioReader {
    /// Opens an audio file (the formats [`crate::decode_file`] reads) and reads its header;
    /// errors name the file. Its samples are read by [`AudioReader::next_chunk`], so a file of
    /// any length takes memory for one packet.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let named = |e: FeatureError| e.in_file(path);
        let io = |e: std::io::Error| named(FeatureError::Io(e));
        let mut file = File::open(path).map_err(io)?;
        let total = file.metadata().map_err(io)?.len();
        if total <= HEAD_BYTES as u64 {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).map_err(io)?;
            return AudioReader::from_bytes(bytes)
                .map(|r| r.named(path))
                .map_err(named);
        }
        let mut head = vec![0u8; HEAD_BYTES];
        file.read_exact(&mut head).map_err(io)?;
        let total_usize = usize::try_from(total).unwrap_or(usize::MAX);
        let (tags, pre) = match pre_parse(&mut head, total_usize) {
            // Tags longer than the head (megabytes of cover art): read the file whole.
            Err(FeatureError::TruncatedHeader) => {
                let bytes = std::fs::read(path).map_err(io)?;
                return AudioReader::from_bytes(bytes)
                    .map(|r| r.named(path))
                    .map_err(named);
            }
            other => other.map_err(named)?,
        };
        let mut source = PatchedFile {
            offset: tags as u64,
            len: total - tags as u64,
            pos: 0,
            file,
            head,
        };
        source.seek(SeekFrom::Start(0)).map_err(io)?;
        guarded(|| AudioReader::probe(Box::new(source), &pre))
            .map(|r| r.named(path))
            .map_err(named)
    }

    fn named(mut self, path: &Path) -> Self {
        self.path = Some(path.to_path_buf());
        self
    }

    /// A reader of audio held in memory (see [`AudioReader::open`]).
    pub fn from_bytes(mut bytes: Vec<u8>) -> Result<Self> {
        if bytes.is_empty() {
            return Err(FeatureError::EmptyFile);
        }
        let total = bytes.len();
        let (_, pre) = pre_parse(&mut bytes, total)?;
        if let Some((header, data)) = plain_wav(&bytes) {
            let frames = (data.len() / (header.format.bytes() * header.channels)) as u64;
            return Ok(AudioReader {
                packets: Packets::Wav {
                    pcm: PcmDecoder::new(header.format, header.channels)?,
                    pos: data.start,
                    end: data.end,
                    bytes,
                },
                rate: Some(header.sample_rate),
                channels: 0,
                declared_channels: header.channels,
                promised: (Some(frames), true),
                interleaved: Vec::new(),
                mono: Vec::new(),
                frames: 0,
                finished: false,
                path: None,
            });
        }
        guarded(|| AudioReader::probe(Box::new(Cursor::new(bytes)), &pre))
    }

    fn probe(source: Box<dyn MediaSource>, pre: &PreParse) -> Result<Self> {
        let mss = MediaSourceStream::new(source, MediaSourceStreamOptions::default());
        let format = symphonia::default::get_probe()
            .probe(
                &Hint::new(),
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .map_err(|e| match e {
                e if is_eof(&e) => match pre.cut {
                    Some((declared, present)) => FeatureError::TruncatedData { declared, present },
                    None => FeatureError::TruncatedHeader,
                },
                SymphoniaError::Unsupported(what) => FeatureError::UnrecognisedFormat {
                    reason: what.to_string(),
                },
                SymphoniaError::IoError(e) => FeatureError::Io(e),
                other => FeatureError::UnrecognisedFormat {
                    reason: other.to_string(),
                },
            })?;
        let track = format
            .default_track(TrackType::Audio)
            .ok_or(FeatureError::NoAudioTrack)?;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or(FeatureError::NoAudioTrack)?
            .clone();
        let (track_id, promised_frames) = (track.id, track.num_frames);
        if let Some(rate) = params.sample_rate {
            check_rate(rate.into())?;
        }
        if let Some(channels) = &params.channels {
            let n = channels.count();
            if n == 0 || n > MAX_CHANNELS {
                return Err(FeatureError::Channels { channels: n });
            }
        }
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|e| match e {
                SymphoniaError::Unsupported(_) => FeatureError::UnsupportedCodec {
                    codec: params.codec.to_string(),
                },
                other => FeatureError::Corrupt {
                    reason: other.to_string(),
                },
            })?;
        // A container's frame count is exact for PCM, FLAC and Vorbis, and for MPEG audio with
        // a Xing/Info/VBRI tag; without one, symphonia estimates it from the bitrate, so it
        // cannot prove truncation (a stream cut mid-packet is still caught).
        let mpeg = [CODEC_ID_MP1, CODEC_ID_MP2, CODEC_ID_MP3].contains(&params.codec);
        Ok(AudioReader {
            packets: Packets::Symphonia {
                format,
                decoder,
                track_id,
            },
            rate: params.sample_rate,
            channels: 0,
            declared_channels: params.channels.as_ref().map_or(0, |c| c.count()),
            promised: (promised_frames, !mpeg || pre.mpeg_count_tag),
            interleaved: Vec::new(),
            mono: Vec::new(),
            frames: 0,
            finished: false,
            path: None,
        })
    }

    /// The sample rate: the container's, or, when it does not say, the first packet's.
    pub fn sample_rate(&self) -> Option<u32> {
        self.rate
    }

    /// Channels in the file (mixed to mono in every chunk); 0 until known.
    pub fn channels(&self) -> usize {
        if self.channels == 0 {
            self.declared_channels
        } else {
            self.channels
        }
    }

    /// Frames decoded so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The frames the container says the file holds, when it says.
    pub fn promised_frames(&self) -> Option<u64> {
        self.promised.0
    }

    /// The next packet's samples, mixed to mono; `None` at the end of the audio. At the end
    /// the whole file is checked: fewer frames than the container promised (when its count is
    /// exact), a stream that ended inside a packet, or no sample at all is an error, after the
    /// samples that were there. A bad sample is an error naming its frame in the file.
    pub fn next_chunk(&mut self) -> Result<Option<&[f32]>> {
        if self.finished {
            return Ok(None);
        }
        match guarded(|| self.decode_next()) {
            Ok(true) => Ok(Some(&self.mono)),
            Ok(false) => {
                self.finished = true;
                Ok(None)
            }
            Err(e) => {
                self.finished = true;
                Err(match &self.path {
                    Some(path) => e.in_file(path),
                    None => e,
                })
            }
        }
    }

    /// Decodes packets until one gives samples (`true`) or the stream ends (`false`, after the
    /// end-of-file checks).
    fn decode_next(&mut self) -> Result<bool> {
        let (format, decoder, track_id) = match &mut self.packets {
            Packets::Symphonia {
                format,
                decoder,
                track_id,
            } => (format, decoder, *track_id),
            Packets::Wav {
                bytes,
                pos,
                end,
                pcm,
            } => {
                if *pos == *end {
                    return self.end(false);
                }
                let frame = pcm.format().bytes() * pcm.channels();
                let take = (WAV_CHUNK_BYTES / frame * frame)
                    .max(frame)
                    .min(*end - *pos);
                self.mono.clear();
                pcm.decode(&bytes[*pos..*pos + take], &mut self.mono);
                *pos += take;
                self.channels = pcm.channels();
                if !pcm.format().is_integer() {
                    check_samples(&self.mono).map_err(|e| e.offset_by(self.frames as usize))?;
                }
                self.frames += self.mono.len() as u64;
                return Ok(true);
            }
        };
        loop {
            let packet = match format.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => return self.end(false),
                Err(e) if is_eof(&e) => return self.end(true),
                // A new logical stream (chained Ogg) ends the first: one stream per file.
                Err(SymphoniaError::ResetRequired) => return self.end(false),
                Err(e) => {
                    return Err(FeatureError::Corrupt {
                        reason: e.to_string(),
                    });
                }
            };
            if packet.track_id != track_id {
                continue;
            }
            let buffer = match decoder.decode(&packet) {
                Ok(buffer) => buffer,
                Err(e) if is_eof(&e) => return self.end(true),
                Err(e) => {
                    return Err(FeatureError::Corrupt {
                        reason: format!("packet at frame {}: {e}", self.frames),
                    });
                }
            };
            let spec = buffer.spec();
            let n_ch = spec.channels().count();
            check_stream_spec(n_ch, spec.rate(), self.channels, self.rate, self.frames)?;
            self.rate = Some(spec.rate());
            self.channels = n_ch;
            self.interleaved.resize(buffer.samples_interleaved(), 0.0);
            buffer.copy_to_slice_interleaved::<f32, _>(&mut self.interleaved[..]);
            self.mono.clear();
            mix_to_mono(&self.interleaved, n_ch, &mut self.mono);
            if self.mono.is_empty() {
                continue;
            }
            check_samples(&self.mono).map_err(|e| e.offset_by(self.frames as usize))?;
            self.frames += self.mono.len() as u64;
            return Ok(true);
        }
    }

    /// The checks at the end of the stream; `ended_early` when it ended inside a packet.
    fn end(&mut self, ended_early: bool) -> Result<bool> {
        let got = self.frames;
        let (promised, exact) = self.promised;
        if let Some(expected) = promised.filter(|&e| exact && got < e) {
            return Err(FeatureError::Truncated {
                expected: Some(expected),
                got,
            });
        }
        if ended_early {
            return Err(FeatureError::Truncated {
                expected: promised,
                got,
            });
        }
        if got == 0 {
            return Err(FeatureError::EmptySignal);
        }
        if self.rate.is_none() {
            return Err(FeatureError::SampleRate { sample_rate: 0 });
        }
        Ok(false)
    }
}

/// Refuses a packet of `n_ch` channels at `packet_rate` Hz in a stream so far of `channels`
/// (0: none yet) at `rate`.
fn check_stream_spec(
    n_ch: usize,
    packet_rate: u32,
    channels: usize,
    rate: Option<u32>,
    frame: u64,
) -> Result<()> {
    if n_ch == 0 || n_ch > MAX_CHANNELS {
        return Err(FeatureError::Channels { channels: n_ch });
    }
    check_rate(packet_rate.into())?;
    if let Some(r) = rate.filter(|&r| r != packet_rate) {
        return Err(FeatureError::Corrupt {
            reason: format!(
                "sample rate changes mid-stream ({r} Hz to {packet_rate} Hz at frame {frame})"
            ),
        });
    }
    if channels != 0 && channels != n_ch {
        return Err(FeatureError::Corrupt {
            reason: format!(
                "channel count changes mid-stream ({channels} to {n_ch} at frame {frame})"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode_file;
    use crate::test_util::{seeded_signal, wav_bytes};

    /// A mono float WAV longer than the head, so it is read from disk as it goes.
    fn long_wav(samples: &[f32]) -> Vec<u8> {
        let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        wav_bytes(16_000, 1, 32, 3, &data)
    }

    fn read_all(path: &Path) -> Result<(Vec<f32>, usize)> {
        let mut reader = AudioReader::open(path)?;
        let (mut samples, mut chunks) = (Vec::new(), 0);
        while let Some(chunk) = reader.next_chunk()? {
            samples.extend_from_slice(chunk);
            chunks += 1;
        }
        Ok((samples, chunks))
    }

    #[test]
    fn a_file_longer_than_the_head_reads_as_decode_file_does() {
        let dir = tempfile::tempdir().unwrap();
        let samples: Vec<f32> = seeded_signal(3, HEAD_BYTES / 4 + 50_000)
            .iter()
            .map(|v| v * 0.5)
            .collect();
        let wav = long_wav(&samples);
        assert!(wav.len() > HEAD_BYTES);
        let path = dir.path().join("long.wav");
        std::fs::write(&path, &wav).unwrap();
        let (read, chunks) = read_all(&path).unwrap();
        assert_eq!(read, samples);
        assert_eq!(read, decode_file(&path).unwrap().samples);
        assert!(chunks > 100, "one packet at a time, not {chunks} pieces");

        // A WAV written to a pipe, sizes unknown: filled in from the file's length.
        let mut streamed = wav.clone();
        streamed[4..8].copy_from_slice(&[0xFF; 4]);
        streamed[40..44].copy_from_slice(&[0xFF; 4]);
        std::fs::write(&path, &streamed).unwrap();
        assert_eq!(read_all(&path).unwrap().0, samples);

        // Behind an ID3v2 tag.
        let mut tagged = vec![b'I', b'D', b'3', 4, 0, 0, 0, 0, 1, 0];
        tagged.extend(std::iter::repeat_n(0u8, 128));
        tagged.extend_from_slice(&wav);
        std::fs::write(&path, &tagged).unwrap();
        assert_eq!(read_all(&path).unwrap().0, samples);

        // Cut short: the samples there, then an error at the end saying so.
        std::fs::write(&path, &wav[..wav.len() - 4_000]).unwrap();
        let mut reader = AudioReader::open(&path).unwrap();
        let mut got = 0;
        let err = loop {
            match reader.next_chunk() {
                Ok(Some(chunk)) => got += chunk.len(),
                Ok(None) => panic!("a cut file read to its end"),
                Err(e) => break e,
            }
        };
        assert_eq!(got, samples.len() - 1_000);
        assert!(err.to_string().contains("truncated"), "{err}");
        assert_eq!(
            reader.next_chunk().unwrap(),
            None,
            "nothing after the error"
        );

        // A NaN deep in the file is named by its frame in the file.
        let mut bad = samples.clone();
        bad[HEAD_BYTES / 4 + 7] = f32::NAN;
        std::fs::write(&path, long_wav(&bad)).unwrap();
        let err = read_all(&path).unwrap_err();
        assert!(
            matches!(err.cause(), FeatureError::NonFiniteSample { index, .. } if *index == HEAD_BYTES / 4 + 7),
            "{err}"
        );
        assert!(err.to_string().contains("long.wav"), "{err}");
    }
}
