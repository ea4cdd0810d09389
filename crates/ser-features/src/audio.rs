//! Decoding audio files into mono f32 signals with symphonia.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::codecs::audio::well_known::{CODEC_ID_MP1, CODEC_ID_MP2, CODEC_ID_MP3};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;

use crate::error::{FeatureError, Result};
use crate::{MAX_ABS_SAMPLE, MAX_CHANNELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};

/// A decoded signal: mono samples in `[-1, 1]` and their sample rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// Mono samples (multichannel audio is mixed down by the mean over channels, as librosa does).
    pub samples: Vec<f32>,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Channels in the file before mixing to mono.
    pub channels: usize,
}

impl Audio {
    /// Duration in seconds.
    pub fn duration(&self) -> f64 {
        self.samples.len() as f64 / self.sample_rate as f64
    }
}

/// Decodes an audio file (WAV 8/16/24/32-bit integer and 32/64-bit float, FLAC, MP3,
/// OGG/Vorbis, AIFF) to mono at its native rate.
///
/// The format is detected from the content, never from the extension, so AIFF data named
/// `.wav` decodes; ID3v2 tags at the start (an MP3's metadata and cover art) are skipped.
/// Errors name the file and the cause: a missing or empty file, a truncated header or data,
/// bytes that are not audio, an unsupported codec, a corrupt packet, NaN or infinite samples, a
/// zero or absurd sample rate or channel count.
///
/// ```no_run
/// let audio = ser_features::decode_file("speech.wav")?;
/// println!("{} samples at {} Hz", audio.samples.len(), audio.sample_rate);
/// # Ok::<(), ser_features::FeatureError>(())
/// ```
pub fn decode_file(path: impl AsRef<Path>) -> Result<Audio> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| FeatureError::Io(e).in_file(path))?;
    decode_bytes(bytes).map_err(|e| e.in_file(path))
}

/// Decodes audio held in memory; see [`decode_file`].
///
/// ```
/// // Not audio: a clear error, not a panic.
/// let err = ser_features::decode_bytes(b"hello, world".to_vec()).unwrap_err();
/// assert!(err.to_string().contains("not a supported audio file"));
/// ```
pub fn decode_bytes(bytes: Vec<u8>) -> Result<Audio> {
    if bytes.is_empty() {
        return Err(FeatureError::EmptyFile);
    }
    // Symphonia is meant never to panic on bad input, but its docs allow that some streams
    // still do; a panic on a user's file must become an error, not abort the whole run.
    match catch_unwind(AssertUnwindSafe(|| decode_inner(bytes))) {
        Ok(result) => result,
        Err(panic) => {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "decoder panicked".to_string());
            Err(FeatureError::Corrupt {
                reason: format!("decoder failed: {reason}"),
            })
        }
    }
}

fn is_eof(err: &SymphoniaError) -> bool {
    matches!(err, SymphoniaError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof)
}

fn check_rate(rate: u64) -> Result<()> {
    if !(u64::from(MIN_SAMPLE_RATE)..=u64::from(MAX_SAMPLE_RATE)).contains(&rate) {
        return Err(FeatureError::SampleRate { sample_rate: rate });
    }
    Ok(())
}

/// Whether an MPEG audio file carries a Xing, Info or VBRI tag (an exact frame count) in its
/// first frame. `bytes` start after any valid leading ID3v2 tag ([`leading_id3v2_len`]).
fn has_mpeg_count_tag(bytes: &[u8]) -> bool {
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
fn leading_id3v2_len(bytes: &[u8]) -> Result<usize> {
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
fn container(bytes: &[u8]) -> Option<(usize, bool)> {
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
const PROBE_DEPTH: usize = 1 << 20;

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
fn declared_channels(bytes: &[u8], container: (usize, bool)) -> Option<usize> {
    let little_endian = container.1;
    let (payload, _) = find_chunk(bytes, container, b"fmt ", b"COMM")?;
    // The channel count is the fmt chunk's second u16 and the COMM chunk's first.
    let field = payload + if little_endian { 2 } else { 0 };
    read_uint(bytes.get(field..)?, 2, little_endian)
}

/// For a WAV or AIFF whose sample data chunk (`data`, `SSND`) starts in the file but ends past
/// it: the bytes it declares and the bytes present. Tells a cut in the samples from a cut in
/// the header when the parser only says "end of file".
fn cut_sample_data(bytes: &[u8], container: (usize, bool)) -> Option<(usize, usize)> {
    let (payload, len) = find_chunk(bytes, container, b"data", b"SSND")?;
    let present = bytes.len().checked_sub(payload)?;
    (present < len).then_some((len, present))
}

/// A WAV written to a pipe cannot go back to fill in its sizes, so tools such as ffmpeg write
/// `0xFFFFFFFF` for the RIFF and `data` chunk lengths: "until the end". Those are set to the
/// lengths the bytes have, so the file decodes like any other.
fn fill_streamed_wav_sizes(bytes: &mut [u8], container: (usize, bool)) {
    const UNKNOWN: [u8; 4] = [0xFF; 4];
    let (start, true) = container else {
        return;
    };
    let Some((payload, 0xFFFF_FFFF)) = find_chunk(bytes, container, b"data", b"SSND") else {
        return;
    };
    let (Ok(data), Ok(riff)) = (
        u32::try_from(bytes.len() - payload),
        u32::try_from(bytes.len() - start - 8),
    ) else {
        return;
    };
    bytes[payload - 4..payload].copy_from_slice(&data.to_le_bytes());
    if bytes[start + 4..start + 8] == UNKNOWN {
        bytes[start + 4..start + 8].copy_from_slice(&riff.to_le_bytes());
    }
}

fn decode_inner(bytes: Vec<u8>) -> Result<Audio> {
    let (bytes, pre) = pre_parse(bytes)?;
    let mss = MediaSourceStream::new(
        Box::new(Cursor::new(bytes)),
        MediaSourceStreamOptions::default(),
    );
    let mut format = symphonia::default::get_probe()
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
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|e| match e {
            SymphoniaError::Unsupported(_) => FeatureError::UnsupportedCodec {
                codec: params.codec.to_string(),
            },
            other => FeatureError::Corrupt {
                reason: other.to_string(),
            },
        })?;
    let decoded = decode_packets(&mut *format, &mut *decoder, track_id, params.sample_rate)?;
    // A container's frame count is exact for PCM, FLAC and Vorbis, and for MPEG audio with a
    // Xing/Info/VBRI tag; without one, symphonia estimates it from the bitrate, so it cannot
    // prove truncation (a stream cut mid-packet is still caught as `ended_early`).
    let mpeg = [CODEC_ID_MP1, CODEC_ID_MP2, CODEC_ID_MP3].contains(&params.codec);
    decoded.into_audio(promised_frames, !mpeg || pre.mpeg_count_tag)
}

/// What the bytes say before symphonia parses them.
struct PreParse {
    /// The file is MPEG audio with a Xing/Info/VBRI frame count.
    mpeg_count_tag: bool,
    /// A WAV/AIFF sample chunk cut short: the bytes it declares and those present.
    cut: Option<(usize, usize)>,
}

/// Cuts leading ID3v2 tags off, fills streamed WAV sizes, and refuses what symphonia's header
/// arithmetic cannot take, before symphonia sees the bytes.
fn pre_parse(mut bytes: Vec<u8>) -> Result<(Vec<u8>, PreParse)> {
    let tags = leading_id3v2_len(&bytes)?;
    if tags == bytes.len() {
        // Nothing but metadata.
        return Err(FeatureError::NoAudioTrack);
    }
    bytes.drain(..tags);
    // Found once: for a file that is no WAV or AIFF the search reads up to PROBE_DEPTH bytes.
    let riff = container(&bytes);
    if let Some(riff) = riff {
        fill_streamed_wav_sizes(&mut bytes, riff);
        // Checked before symphonia parses the header: a channel count near u16::MAX overflows
        // its frame-size arithmetic (a panic with overflow checks, a wrong size without).
        if let Some(n) = declared_channels(&bytes, riff).filter(|&n| n == 0 || n > MAX_CHANNELS) {
            return Err(FeatureError::Channels { channels: n });
        }
    }
    let pre = PreParse {
        mpeg_count_tag: has_mpeg_count_tag(&bytes),
        cut: riff.and_then(|riff| cut_sample_data(&bytes, riff)),
    };
    Ok((bytes, pre))
}

/// The samples of one track, mixed to mono, as the packets gave them.
struct Decoded {
    mono: Vec<f32>,
    rate: Option<u32>,
    channels: usize,
    /// The stream ended inside a packet.
    ended_early: bool,
}

/// Decodes every packet of `track_id`, mixing to mono; the rate and channel count must not
/// change mid-stream. `rate` is the container's, when it says.
fn decode_packets(
    format: &mut dyn symphonia::core::formats::FormatReader,
    decoder: &mut dyn symphonia::core::codecs::audio::AudioDecoder,
    track_id: u32,
    mut rate: Option<u32>,
) -> Result<Decoded> {
    let mut mono: Vec<f32> = Vec::new();
    let mut interleaved: Vec<f32> = Vec::new();
    let mut channels = 0usize;
    let mut ended_early = false;
    loop {
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            Err(e) if is_eof(&e) => {
                ended_early = true;
                break;
            }
            // A new logical stream (chained Ogg) ends the first one: we read one stream per file.
            Err(SymphoniaError::ResetRequired) => break,
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
            Err(e) if is_eof(&e) => {
                ended_early = true;
                break;
            }
            Err(e) => {
                return Err(FeatureError::Corrupt {
                    reason: format!("packet at frame {}: {e}", mono.len()),
                });
            }
        };
        let spec = buffer.spec();
        let n_ch = spec.channels().count();
        check_stream_spec(n_ch, spec.rate(), channels, rate)?;
        rate = Some(spec.rate());
        channels = n_ch;
        interleaved.resize(buffer.samples_interleaved(), 0.0);
        buffer.copy_to_slice_interleaved::<f32, _>(&mut interleaved[..]);
        mix_to_mono(&interleaved, n_ch, &mut mono);
    }
    Ok(Decoded {
        mono,
        rate,
        channels,
        ended_early,
    })
}

/// Refuses a packet of `n_ch` channels at `packet_rate` Hz in a stream so far of `channels`
/// (0: none yet) at `rate`.
fn check_stream_spec(
    n_ch: usize,
    packet_rate: u32,
    channels: usize,
    rate: Option<u32>,
) -> Result<()> {
    if n_ch == 0 || n_ch > MAX_CHANNELS {
        return Err(FeatureError::Channels { channels: n_ch });
    }
    check_rate(packet_rate.into())?;
    if let Some(r) = rate.filter(|&r| r != packet_rate) {
        return Err(FeatureError::Corrupt {
            reason: format!("sample rate changes mid-stream ({r} Hz to {packet_rate} Hz)"),
        });
    }
    if channels != 0 && channels != n_ch {
        return Err(FeatureError::Corrupt {
            reason: format!("channel count changes mid-stream ({channels} to {n_ch})"),
        });
    }
    Ok(())
}

impl Decoded {
    /// The audio, unless it holds fewer frames than the container `promised` (when its count
    /// is `exact`), ended inside a packet, is empty, or holds a bad sample.
    fn into_audio(self, promised: Option<u64>, exact: bool) -> Result<Audio> {
        let got = self.mono.len() as u64;
        if let Some(expected) = promised.filter(|&e| exact && got < e) {
            return Err(FeatureError::Truncated {
                expected: Some(expected),
                got,
            });
        }
        if self.ended_early {
            return Err(FeatureError::Truncated {
                expected: promised,
                got,
            });
        }
        if self.mono.is_empty() {
            return Err(FeatureError::EmptySignal);
        }
        let sample_rate = self
            .rate
            .ok_or(FeatureError::SampleRate { sample_rate: 0 })?;
        check_samples(&self.mono)?;
        Ok(Audio {
            samples: self.mono,
            sample_rate,
            channels: self.channels,
        })
    }
}

/// Encodes a mono signal as a 16-bit PCM WAV file (samples clamped to [-1, 1], scaled by 32767
/// and rounded), for writing synthetic or processed audio where any tool can read it.
///
/// ```
/// let tone: Vec<f32> = (0..800).map(|i| (i as f32 * 0.1).sin() * 0.5).collect();
/// let bytes = ser_features::encode_wav_pcm16(&tone, 8_000);
/// let audio = ser_features::decode_bytes(bytes)?;
/// assert_eq!((audio.sample_rate, audio.samples.len()), (8_000, 800));
/// assert!(audio.samples.iter().zip(&tone).all(|(a, b)| (a - b).abs() < 1e-4));
/// # Ok::<(), ser_features::FeatureError>(())
/// ```
pub fn encode_wav_pcm16(samples: &[f32], sample_rate: u32) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&sample_rate.wrapping_mul(2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        let v = (s.clamp(-1.0, 1.0) * 32767.0).round() as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Appends the mean over channels of each interleaved frame (librosa's `to_mono`).
fn mix_to_mono(interleaved: &[f32], channels: usize, mono: &mut Vec<f32>) {
    if channels == 1 {
        mono.extend_from_slice(interleaved);
        return;
    }
    let n = channels as f32;
    mono.extend(
        interleaved
            .chunks_exact(channels)
            .map(|frame| frame.iter().sum::<f32>() / n),
    );
}

/// Fails on the first NaN, infinite or absurdly large sample (beyond [`MAX_ABS_SAMPLE`]).
pub(crate) fn check_samples(samples: &[f32]) -> Result<()> {
    // `v * 0` is 0 for a finite value and NaN for NaN or infinity; the running maximum of |v|
    // catches huge finite values. Eight lanes of each vectorise, and only a signal that fails
    // pays for the search of the first culprit.
    let mut nan = [0.0f32; 8];
    let mut peak = [0.0f32; 8];
    let split = samples.len() / 8 * 8;
    for chunk in samples[..split].chunks_exact(8) {
        for l in 0..8 {
            nan[l] += chunk[l] * 0.0;
            let a = chunk[l].abs();
            peak[l] = if a > peak[l] { a } else { peak[l] };
        }
    }
    let fine = |v: &f32| v.is_finite() && v.abs() <= MAX_ABS_SAMPLE;
    if nan.iter().all(|a| *a == 0.0)
        && peak.iter().all(|p| *p <= MAX_ABS_SAMPLE)
        && samples[split..].iter().all(fine)
    {
        return Ok(());
    }
    match samples.iter().position(|v| !fine(v)) {
        Some(index) if samples[index].is_finite() => Err(FeatureError::SampleOutOfRange {
            index,
            value: samples[index],
        }),
        Some(index) => Err(FeatureError::NonFiniteSample {
            index,
            value: samples[index],
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::wav_bytes;

    /// A mono 32-bit float WAV of `samples`.
    fn float_wav(samples: &[f32]) -> Vec<u8> {
        let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        wav_bytes(16000, 1, 32, 3, &data)
    }

    #[test]
    fn a_streamed_wav_with_unknown_sizes_decodes_whole() {
        let samples: Vec<f32> = (0..3000).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
        let whole = float_wav(&samples);
        let mut streamed = whole.clone();
        streamed[4..8].copy_from_slice(&[0xFF; 4]);
        streamed[40..44].copy_from_slice(&[0xFF; 4]);
        let a = decode_bytes(streamed).unwrap();
        assert_eq!(a.samples, decode_bytes(whole).unwrap().samples);
        assert_eq!(a.samples, samples);
        // Only the "until the end" marker is filled in: a data chunk promising more than the
        // file holds is still a truncated file.
        let mut overclaim = float_wav(&samples);
        overclaim[40..44].copy_from_slice(&20_000u32.to_le_bytes());
        assert!(decode_bytes(overclaim).is_err());
    }

    #[test]
    fn stereo_is_mixed_by_the_mean() {
        let mut mono = Vec::new();
        mix_to_mono(&[1.0, 0.0, 0.5, -0.5, 0.2, 0.4], 2, &mut mono);
        assert_eq!(mono, vec![0.5, 0.0, 0.3]);
    }

    #[test]
    fn pcm16_wav_round_trips() {
        let samples: Vec<i16> = vec![0, 16384, -16384, 32767, -32768, 1];
        let bytes = wav_bytes(
            8000,
            1,
            16,
            1,
            &samples
                .iter()
                .flat_map(|s| s.to_le_bytes())
                .collect::<Vec<_>>(),
        );
        let audio = decode_bytes(bytes).unwrap();
        assert_eq!(audio.sample_rate, 8000);
        let expected: Vec<f32> = samples.iter().map(|&s| s as f32 / 32768.0).collect();
        assert_eq!(audio.samples, expected);
    }

    #[test]
    fn nan_in_a_float_wav_is_named() {
        let samples = [0.1f32, f32::NAN, 0.2];
        let bytes = float_wav(&samples);
        match decode_bytes(bytes) {
            Err(FeatureError::NonFiniteSample { index: 1, .. }) => {}
            other => panic!("expected NonFiniteSample at 1, got {other:?}"),
        }
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        assert!(matches!(
            decode_bytes(Vec::new()),
            Err(FeatureError::EmptyFile)
        ));
        assert!(matches!(
            decode_bytes(b"definitely not audio at all, just text".to_vec()),
            Err(FeatureError::UnrecognisedFormat { .. })
        ));
        let full = wav_bytes(16000, 1, 16, 1, &[0u8; 2000]);
        assert!(matches!(
            decode_bytes(full[..20].to_vec()),
            Err(FeatureError::TruncatedHeader | FeatureError::UnrecognisedFormat { .. })
        ));
        match decode_bytes(full[..1000].to_vec()) {
            Err(FeatureError::Truncated {
                expected: Some(1000),
                got,
            }) => assert!(got < 1000),
            other => panic!("expected Truncated, got {other:?}"),
        }
        let zero_rate = wav_bytes(0, 1, 16, 1, &[0u8; 200]);
        assert!(decode_bytes(zero_rate).is_err());
        let absurd_rate = wav_bytes(4_000_000_000, 1, 16, 1, &[0u8; 200]);
        assert!(decode_bytes(absurd_rate).is_err());
        let no_data = wav_bytes(16000, 1, 16, 1, &[]);
        assert!(decode_bytes(no_data).is_err());
    }

    /// A float WAV whose samples are finite but huge (-2.1e17, as shifted bytes make them)
    /// would overflow the features' power to infinity: it is refused, naming the sample.
    #[test]
    fn fuzz_regression_huge_float_samples_are_refused() {
        let mut samples = vec![0.1f32; 4000];
        samples[1234] = f32::from_le_bytes([24, 103, 62, 220]);
        assert!(samples[1234].is_finite() && samples[1234] < -1e17);
        let bytes = float_wav(&samples);
        match decode_bytes(bytes) {
            Err(FeatureError::SampleOutOfRange { index: 1234, .. }) => {}
            other => panic!("expected SampleOutOfRange at 1234, got {other:?}"),
        }
        // Integer-scaled float files (peaks near 32768) are still accepted.
        let scaled: Vec<f32> = (0..4000)
            .map(|i| (i as f32 * 0.05).sin() * 32767.0)
            .collect();
        let bytes = float_wav(&scaled);
        assert!(decode_bytes(bytes).is_ok());
    }

    /// A WAV `fmt ` chunk declaring 65281 channels (these 36 bytes) would overflow
    /// symphonia's u16 block-align arithmetic (a panic with overflow checks): the declared
    /// count is refused before symphonia parses the header (`declared_channels`).
    #[test]
    fn fuzz_regression_wav_with_65281_channels_is_an_error() {
        let bytes = vec![
            82, 73, 70, 70, 100, 31, 0, 0, 87, 65, 86, 69, 102, 109, 116, 32, 16, 0, 0, 0, 1, 0, 1,
            255, 253, 62, 0, 0, 0, 125, 0, 0, 2, 0, 16, 0,
        ];
        assert!(decode_bytes(bytes).is_err());
    }

    /// The WAV of the test above behind one junk byte, declaring 32800 channels. Symphonia's
    /// probe scans past leading junk for the `RIFF` marker, so the channel check must find the
    /// container where symphonia does (`container`), not only at offset 0.
    #[test]
    fn fuzz_regression_wav_after_a_junk_byte_with_32800_channels_is_refused() {
        let bytes = vec![
            0xfd, 0x52, 0x49, 0x46, 0x46, 0x64, 0x1f, 0x00, 0x00, 0x57, 0x41, 0x56, 0x45, 0x66,
            0x6d, 0x74, 0x20, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x20, 0x80, 0x3e, 0x01, 0x00,
            0x00, 0x00, 0x7d, 0x00, 0x00, 0x02, 0x7f, 0x10, 0x00, 0x00, 0xbb,
        ];
        assert!(matches!(
            decode_bytes(bytes),
            Err(FeatureError::Channels { channels: 32800 })
        ));
    }

    /// Leading junk or metadata before a WAV or AIFF is skipped by symphonia, and so by the
    /// checks made before it: the audio decodes, a streamed WAV's sizes are filled in, an
    /// absurd channel count is refused, a cut file gets the error it gets without the junk.
    #[test]
    fn a_wav_or_aiff_after_leading_junk_is_checked_where_it_starts() {
        let samples: Vec<f32> = (0..3000).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
        let junk = b"junk before the header\0\0";
        let behind = |file: &[u8]| [&junk[..], file].concat();
        let wav = float_wav(&samples);
        assert_eq!(decode_bytes(behind(&wav)).unwrap().samples, samples);

        let mut streamed = wav.clone();
        streamed[4..8].copy_from_slice(&[0xFF; 4]);
        streamed[40..44].copy_from_slice(&[0xFF; 4]);
        assert_eq!(decode_bytes(behind(&streamed)).unwrap().samples, samples);

        let mut wide = wav.clone();
        wide[22..24].copy_from_slice(&40000u16.to_le_bytes());
        assert!(matches!(
            decode_bytes(behind(&wide)),
            Err(FeatureError::Channels { channels: 40000 })
        ));

        // Cut inside the samples, or just after the data chunk's header: the same error as
        // without the junk.
        for end in [wav.len() - 100, 50] {
            let alone = decode_bytes(wav[..end].to_vec()).unwrap_err();
            let after_junk = decode_bytes(behind(&wav[..end])).unwrap_err();
            assert_eq!(format!("{after_junk:?}"), format!("{alone:?}"));
        }
        assert_eq!(container(&behind(&wav)), Some((junk.len(), true)));
        assert_eq!(container(&wav), Some((0, true)));
        assert_eq!(container(b"RIFF"), None);
    }

    /// A WAV declaring 40000 channels and an AIFF declaring 65535 overflowed symphonia's
    /// frame-size arithmetic (a caught panic whose message still reached stderr in debug
    /// builds); both are now refused by their channel count before symphonia parses them.
    #[test]
    fn absurd_declared_channel_counts_are_refused_before_parsing() {
        let wav = wav_bytes(16000, 1, 16, 1, &[0u8; 64]);
        let mut bad = wav.clone();
        bad[22..24].copy_from_slice(&40000u16.to_le_bytes());
        assert!(matches!(
            decode_bytes(bad),
            Err(FeatureError::Channels { channels: 40000 })
        ));
        let mut aiff = b"FORM\0\0\0\x30AIFFCOMM\0\0\0\x12\xff\xff".to_vec();
        aiff.extend_from_slice(&[0, 0, 0, 1, 0, 16, 0x40, 0x0c, 0xfa, 0, 0, 0, 0, 0, 0, 0]);
        aiff.extend_from_slice(b"SSND\0\0\0\x0a\0\0\0\0\0\0\0\0\0\0");
        assert_eq!(container(&aiff), Some((0, false)));
        assert_eq!(declared_channels(&aiff, (0, false)), Some(65535));
        assert!(matches!(
            decode_bytes(aiff),
            Err(FeatureError::Channels { channels: 65535 })
        ));
        assert_eq!(declared_channels(&wav, (0, true)), Some(1));
        assert!(decode_bytes(wav).is_ok());
    }

    #[test]
    fn mpeg_count_tags_are_found_in_the_first_frame() {
        let mut frame = vec![0xFF, 0xFB, 0x90, 0x64];
        frame.extend_from_slice(&[0; 32]);
        frame.extend_from_slice(b"Xing");
        assert!(has_mpeg_count_tag(&frame));
        let plain = [0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0];
        assert!(!has_mpeg_count_tag(&plain));
    }

    /// An ID3v2 header (version 2.`major`) declaring `size` bytes of tag, the bytes zero.
    fn id3v2_tag(major: u8, size: usize) -> Vec<u8> {
        let mut tag = b"ID3".to_vec();
        tag.extend_from_slice(&[major, 0, 0]);
        tag.extend((0..4).rev().map(|i| ((size >> (7 * i)) & 0x7f) as u8));
        tag.resize(10 + size, 0);
        tag
    }

    #[test]
    fn leading_id3v2_tags_are_measured() {
        let audio = b"RIFF....WAVE";
        let tagged = [id3v2_tag(3, 300), audio.to_vec()].concat();
        assert_eq!(leading_id3v2_len(&tagged).unwrap(), 310);
        // Two tags in a row; a v2.4 footer adds 10 bytes.
        let mut footer = id3v2_tag(4, 20);
        footer[5] = 0x10;
        footer.extend_from_slice(b"3DI\x04\0\x10\0\0\0\x14");
        let two = [id3v2_tag(2, 5), footer, audio.to_vec()].concat();
        assert_eq!(leading_id3v2_len(&two).unwrap(), 15 + 40);
        // The footer flag means nothing before ID3v2.4.
        let mut v3 = id3v2_tag(3, 20);
        v3[5] = 0x10;
        assert_eq!(
            leading_id3v2_len(&[v3, audio.to_vec()].concat()).unwrap(),
            30
        );
        // No tag, or a header that is no valid ID3v2 one (version 2.9, minor version 255, a
        // size byte >= 0x80).
        assert_eq!(leading_id3v2_len(audio).unwrap(), 0);
        assert_eq!(leading_id3v2_len(&id3v2_tag(9, 4)).unwrap(), 0);
        let mut minor = id3v2_tag(3, 4);
        minor[4] = 0xFF;
        assert_eq!(leading_id3v2_len(&minor).unwrap(), 0);
        let mut wide = id3v2_tag(3, 4);
        wide[9] = 0x84;
        assert_eq!(leading_id3v2_len(&wide).unwrap(), 0);
        // A file cut inside its tag, or a tag declaring the most ID3v2 allows (256 MiB).
        assert!(matches!(
            leading_id3v2_len(&tagged[..200]),
            Err(FeatureError::TruncatedHeader)
        ));
        let mut most = tagged.clone();
        most[6..10].copy_from_slice(&[0x7F; 4]);
        assert!(matches!(
            leading_id3v2_len(&most),
            Err(FeatureError::TruncatedHeader)
        ));
        assert!(matches!(
            decode_bytes(tagged[..200].to_vec()),
            Err(FeatureError::TruncatedHeader)
        ));
        assert!(matches!(
            decode_bytes(id3v2_tag(3, 300)),
            Err(FeatureError::NoAudioTrack)
        ));
    }

    /// Cover art can make an MP3's ID3v2 tag megabytes long. Symphonia's probe (built without
    /// its ID3v2 reader) scanned through such a tag for a format marker and gave up after 1 MiB,
    /// so the file was refused as not audio; the tag is now cut off before probing. What the tag
    /// holds is not taken for audio, and a WAV behind it gets the checks made before parsing.
    #[test]
    fn audio_behind_an_id3v2_tag_longer_than_the_probe_depth_decodes() {
        let mp3 = include_bytes!("../tests/golden/audio/mp3.mp3");
        let alone = decode_bytes(mp3.to_vec()).unwrap();
        let big = id3v2_tag(4, PROBE_DEPTH + 200_000);
        let tagged = decode_bytes([&big[..], mp3].concat()).unwrap();
        assert_eq!(tagged, alone);

        // A WAV header declaring 40000 channels inside the tag (an embedded object) is the
        // tag's business, not the audio's.
        let mut holding = id3v2_tag(3, 1000);
        holding[100..112].copy_from_slice(b"RIFF\x24\0\0\0WAVE");
        holding[112..124].copy_from_slice(b"fmt \x10\0\0\0\x01\0\x40\x9c");
        let tagged = decode_bytes([&holding[..], mp3].concat()).unwrap();
        assert_eq!(tagged, alone);

        let samples: Vec<f32> = (0..3000).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
        let wav = float_wav(&samples);
        let tagged = [&big[..], &wav].concat();
        assert_eq!(decode_bytes(tagged).unwrap().samples, samples);
        // Junk between the tag and the audio is scanned past, as without a tag.
        let tagged = [&big[..], b"junk", &wav].concat();
        assert_eq!(decode_bytes(tagged).unwrap().samples, samples);
        let mut wide = wav.clone();
        wide[22..24].copy_from_slice(&40000u16.to_le_bytes());
        assert!(matches!(
            decode_bytes([&big[..], &wide].concat()),
            Err(FeatureError::Channels { channels: 40000 })
        ));
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = decode_file("/definitely/not/here.wav").unwrap_err();
        assert_eq!(err.path(), Some(Path::new("/definitely/not/here.wav")));
        assert!(matches!(err.cause(), FeatureError::Io(_)));
        assert!(err.to_string().starts_with("/definitely/not/here.wav: "));
    }
}
