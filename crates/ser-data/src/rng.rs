//! The one seeded random generator of the crate.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator every random choice uses: ChaCha8, the same stream on every platform.
pub(crate) type SerRng = ChaCha8Rng;

/// A generator from a seed.
pub(crate) fn seeded(seed: u64) -> SerRng {
    ChaCha8Rng::seed_from_u64(seed)
}
