//! Matrix-vector kernels that read packed codes directly.
//!
//! Every kernel computes, for each output row `r`, the sum `sum_j f(r, j) x_j` of the row's
//! unsigned *fields* (`code + qmax`, or the bit itself for 1 bit) times the input; the layer turns
//! that into `s_r (sum_j code(r, j) x_j)` with one subtraction (`sum_j qmax x_j = qmax sum(x)`).
//! Working on fields keeps the inner loops free of sign handling.
//!
//! Summation orders are fixed (no run-time CPU dispatch), so every kernel gives the same bits on
//! every machine.

use alloc::vec::Vec;

/// Lanes of the f32 accumulators: eight independent sums, combined in a fixed order at the end,
/// which lets the compiler vectorise without reassociating.
const LANES: usize = 8;

/// Combines the lanes pairwise, in a fixed order.
#[inline]
fn reduce(acc: [f32; LANES]) -> f32 {
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// `sum_j a_j b_j` over equal-length slices, eight lanes wide.
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    for (l, (x, y)) in ra.iter().zip(rb).enumerate() {
        acc[l] += x * y;
    }
    reduce(acc)
}

/// `sum_j field_j x_j` for one row of `x.len()` fields of `bits` bits, packed LSB first from
/// the start of `words` (the row-aligned layout).
///
/// Eight fields of `B` bits fill exactly `B` bytes, so the row is read 8 fields at a time from
/// a 128-bit window (the group starts on a byte boundary) and each field goes to its own lane.
pub(crate) fn unpack_row(words: &[u32], bits: u32, x: &[f32]) -> f32 {
    match bits {
        1 => unpack_row_b::<1>(words, x),
        2 => unpack_row_b::<2>(words, x),
        3 => unpack_row_b::<3>(words, x),
        4 => unpack_row_b::<4>(words, x),
        5 => unpack_row_b::<5>(words, x),
        6 => unpack_row_b::<6>(words, x),
        7 => unpack_row_b::<7>(words, x),
        _ => unpack_row_b::<8>(words, x),
    }
}

fn unpack_row_b<const B: usize>(words: &[u32], x: &[f32]) -> f32 {
    let mask = (1u64 << B) - 1;
    let word = |i: usize| u128::from(words.get(i).copied().unwrap_or(0));
    let mut acc = [0.0f32; LANES];
    let chunks = x.chunks_exact(LANES);
    let tail = chunks.remainder();
    let mut g = 0;
    for chunk in chunks {
        let bit = g * LANES * B;
        let (w, shift) = (bit / 32, bit % 32);
        let window = ((word(w) | word(w + 1) << 32 | word(w + 2) << 64) >> shift) as u64;
        for l in 0..LANES {
            acc[l] += ((window >> (l * B)) & mask) as f32 * chunk[l];
        }
        g += 1;
    }
    let base = g * LANES * B;
    for (l, xl) in tail.iter().enumerate() {
        acc[l] += crate::pack::get(words, base + l * B, B as u32) as f32 * xl;
    }
    reduce(acc)
}

/// `sum_j bit_j x_j` for one row of a 1-bit layer by walking the set bits (sign accumulation:
/// the layer computes `sum(+-x) = 2 sum(x where bit set) - sum(x)`).
pub(crate) fn set_bits_row(words: &[u32], x: &[f32]) -> f32 {
    let mut set = 0.0f32;
    for (w, chunk) in words.iter().zip(x.chunks(32)) {
        let mut bits = *w;
        while bits != 0 {
            set += chunk[bits.trailing_zeros() as usize];
            bits &= bits - 1;
        }
    }
    set
}

/// Subset-sum tables of an input vector, for bit-plane products.
///
/// For each group of 8 inputs `g` the table holds all 256 sums `T[g][m] = sum of x[8g + i] for
/// the bits i set in m`, so the product of one bit-plane with `x` is one lookup per byte of the
/// plane instead of eight multiply-adds. Building costs 288 additions per group, shared by every
/// row and plane of the layer.
#[derive(Debug, Clone, Default)]
pub(crate) struct SubsetSums {
    table: Vec<f32>,
    groups: usize,
}

impl SubsetSums {
    /// Fills the tables for `x`, padded with zeros to `groups` groups of 8 (`groups * 8 >=
    /// x.len()`), reusing the allocation.
    pub(crate) fn build(&mut self, x: &[f32], groups: usize) {
        self.groups = groups;
        self.table.clear();
        self.table.resize(groups * 256, 0.0);
        let at = |i: usize| x.get(i).copied().unwrap_or(0.0);
        for (g, t) in self.table.chunks_exact_mut(256).enumerate() {
            // Sums over the low and the high four inputs, then every byte as low + high.
            let (mut lo, mut hi) = ([0.0f32; 16], [0.0f32; 16]);
            for m in 1..16usize {
                let i = m.trailing_zeros() as usize;
                lo[m] = lo[m & (m - 1)] + at(8 * g + i);
                hi[m] = hi[m & (m - 1)] + at(8 * g + 4 + i);
            }
            for (h, row) in t.chunks_exact_mut(16).enumerate() {
                for (v, l) in row.iter_mut().zip(lo) {
                    *v = hi[h] + l;
                }
            }
        }
    }

    /// `sum_j plane_j x_j` for one plane of 32-bit words (inputs `32 w + i` at bit `i` of word
    /// `w`), 4 independent partial sums.
    #[inline]
    pub(crate) fn plane(&self, words: &[u32]) -> f32 {
        let mut acc = [0.0f32; 4];
        for (w, t) in words.iter().zip(self.table.chunks_exact(1024)) {
            let b = w.to_le_bytes();
            acc[0] += t[usize::from(b[0])];
            acc[1] += t[256 + usize::from(b[1])];
            acc[2] += t[512 + usize::from(b[2])];
            acc[3] += t[768 + usize::from(b[3])];
        }
        (acc[0] + acc[2]) + (acc[1] + acc[3])
    }

    /// Groups the tables cover.
    pub(crate) fn groups(&self) -> usize {
        self.groups
    }
}
