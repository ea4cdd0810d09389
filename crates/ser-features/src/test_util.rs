//! Helpers shared by the unit tests: one seeded RNG, small WAV writer.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The one seeded RNG every test uses.
pub(crate) fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A reproducible test signal: a few tones plus noise, in [-1, 1].
pub(crate) fn seeded_signal(seed: u64, n: usize) -> Vec<f32> {
    let mut r = rng(seed);
    (0..n)
        .map(|i| {
            let t = i as f32;
            0.3 * (t * 0.0625).sin() + 0.2 * (t * 0.21).sin() + 0.05 * r.random_range(-1.0f32..1.0)
        })
        .collect()
}

/// A WAV file around `data` (format tag 1 = PCM integer, 3 = IEEE float).
pub(crate) fn wav_bytes(
    sample_rate: u32,
    channels: u16,
    bits: u16,
    format: u16,
    data: &[u8],
) -> Vec<u8> {
    let block_align = channels * bits / 8;
    let mut out = Vec::with_capacity(44 + data.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&format.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(
        &sample_rate
            .wrapping_mul(u32::from(block_align))
            .to_le_bytes(),
    );
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    out
}
