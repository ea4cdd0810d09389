//! Decoding audio files into mono f32 signals with symphonia.

use std::path::Path;

use crate::MAX_ABS_SAMPLE;
use crate::error::{FeatureError, Result};
use crate::reader::AudioReader;

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
    // The frames the header promises, reserved up front, but never more than the bytes could
    // hold at one byte a frame: a header cannot make a small file ask for gigabytes.
    let limit = bytes.len();
    let mut reader = AudioReader::from_bytes(bytes)?;
    let mut samples = Vec::with_capacity(
        reader
            .promised_frames()
            .map_or(0, |n| usize::try_from(n).unwrap_or(0).min(limit)),
    );
    while let Some(chunk) = reader.next_chunk()? {
        samples.extend_from_slice(chunk);
    }
    Ok(Audio {
        samples,
        // A reader that gave its last chunk knows its rate: the end checks refuse one without.
        sample_rate: reader.sample_rate().unwrap_or(0),
        channels: reader.channels(),
    })
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
pub(crate) fn mix_to_mono(interleaved: &[f32], channels: usize, mono: &mut Vec<f32>) {
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
    use crate::container::{
        PROBE_DEPTH, container, declared_channels, has_mpeg_count_tag, leading_id3v2_len,
    };
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
