//! Bit packings of quantized codes, behind one trait.

use alloc::vec;
use alloc::vec::Vec;

use crate::bitwidth::BitWidth;
use crate::error::{QuantError, Result};

/// Codes of a `rows x cols` tensor packed into 32-bit words by some [`Packing`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedCodes {
    /// The width of each code.
    pub bits: BitWidth,
    /// Rows of the tensor.
    pub rows: usize,
    /// Columns of the tensor.
    pub cols: usize,
    /// The packed words.
    pub words: Vec<u32>,
}

impl PackedCodes {
    /// Bytes the words take.
    pub fn bytes(&self) -> usize {
        self.words.len() * 4
    }
}

/// A way of laying quantized codes out in memory.
///
/// Each code `q` in `-qmax..=qmax` is stored as the unsigned field `q + qmax` in `b` bits (for
/// 1 bit: 1 for +1, 0 for -1). `unpack(pack(codes)) == codes` for every layout, width and length.
///
/// ```
/// use ser_quant::{BitPlanes, BitWidth, DenseStream, Packing, RowAligned};
///
/// let bits = BitWidth::new(3)?;
/// let codes: Vec<i8> = vec![-3, 0, 3, 1, -1, 2, -2];
/// for packing in [&DenseStream as &dyn Packing, &RowAligned, &BitPlanes] {
///     let packed = packing.pack(&codes, 1, 7, bits)?;
///     assert_eq!(packing.unpack(&packed)?, codes, "{}", packing.name());
/// }
/// // 7 codes x 3 bits = 21 bits: one word.
/// assert_eq!(DenseStream.pack(&codes, 1, 7, bits)?.bytes(), 4);
/// # Ok::<(), ser_quant::QuantError>(())
/// ```
pub trait Packing {
    /// A short name for reports.
    fn name(&self) -> &'static str;

    /// Words this layout needs for a `rows x cols` tensor of `bits`-bit codes.
    fn words_for(&self, rows: usize, cols: usize, bits: BitWidth) -> usize;

    /// Packs row-major codes (each in range for `bits`).
    fn pack(&self, codes: &[i8], rows: usize, cols: usize, bits: BitWidth) -> Result<PackedCodes>;

    /// Unpacks to row-major codes; refuses words of the wrong length or out-of-range fields.
    fn unpack(&self, packed: &PackedCodes) -> Result<Vec<i8>>;
}

/// The unsigned field of a code, checking its range.
fn field(code: i8, bits: BitWidth, index: usize) -> Result<u32> {
    let q = bits.qmax();
    if bits.get() == 1 {
        return match code {
            1 => Ok(1),
            -1 => Ok(0),
            _ => Err(QuantError::CodeOutOfRange {
                index,
                code: i32::from(code),
                bits: bits.get(),
            }),
        };
    }
    if !(-q..=q).contains(&code) {
        return Err(QuantError::CodeOutOfRange {
            index,
            code: i32::from(code),
            bits: bits.get(),
        });
    }
    Ok((i32::from(code) + i32::from(q)) as u32)
}

/// The code of an unsigned field, checking that it is one a packer writes.
pub(crate) fn code(field: u32, bits: BitWidth, index: usize) -> Result<i8> {
    if bits.get() == 1 {
        return Ok(if field & 1 == 1 { 1 } else { -1 });
    }
    let q = i32::from(bits.qmax());
    let value = field as i32 - q;
    if value > q {
        return Err(QuantError::CodeOutOfRange {
            index,
            code: value,
            bits: bits.get(),
        });
    }
    Ok(value as i8)
}

fn check_codes(codes: &[i8], rows: usize, cols: usize) -> Result<()> {
    if codes.len() != rows * cols {
        return Err(QuantError::LengthMismatch {
            what: "codes",
            expected: rows * cols,
            got: codes.len(),
        });
    }
    Ok(())
}

fn check_words(packing: &dyn Packing, packed: &PackedCodes) -> Result<()> {
    let expected = packing.words_for(packed.rows, packed.cols, packed.bits);
    if packed.words.len() != expected {
        return Err(QuantError::LengthMismatch {
            what: "packed words",
            expected,
            got: packed.words.len(),
        });
    }
    Ok(())
}

/// Writes `value` (`bits` wide) at bit offset `at` of `words`, LSB first.
fn put(words: &mut [u32], at: usize, bits: u32, value: u32) {
    let (w, o) = (at / 32, (at % 32) as u32);
    words[w] |= value << o;
    if o + bits > 32 {
        words[w + 1] |= value >> (32 - o);
    }
}

/// Reads `bits` bits at bit offset `at` of `words`, LSB first.
#[inline]
pub(crate) fn get(words: &[u32], at: usize, bits: u32) -> u32 {
    let (w, o) = (at / 32, (at % 32) as u32);
    let mut value = words[w] >> o;
    if o + bits > 32 {
        value |= words[w + 1] << (32 - o);
    }
    value & ((1u32 << bits) - 1)
}

/// Packs `codes` back to back into `words`, LSB first; `first` is the index of `codes[0]` in
/// the tensor (for errors).
fn pack_stream(codes: &[i8], bits: BitWidth, first: usize, words: &mut [u32]) -> Result<()> {
    let b = u32::from(bits.get());
    for (j, &c) in codes.iter().enumerate() {
        put(words, j * b as usize, b, field(c, bits, first + j)?);
    }
    Ok(())
}

/// Appends the first `n` codes packed back to back in `words`; `first` as in [`pack_stream`].
fn unpack_stream(
    words: &[u32],
    n: usize,
    bits: BitWidth,
    first: usize,
    out: &mut Vec<i8>,
) -> Result<()> {
    let b = u32::from(bits.get());
    for j in 0..n {
        out.push(code(get(words, j * b as usize, b), bits, first + j)?);
    }
    Ok(())
}

/// All codes back to back, LSB first: the smallest layout (`ceil(n b / 32)` words).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DenseStream;

impl Packing for DenseStream {
    fn name(&self) -> &'static str {
        "dense stream"
    }

    fn words_for(&self, rows: usize, cols: usize, bits: BitWidth) -> usize {
        (rows * cols * usize::from(bits.get())).div_ceil(32)
    }

    fn pack(&self, codes: &[i8], rows: usize, cols: usize, bits: BitWidth) -> Result<PackedCodes> {
        check_codes(codes, rows, cols)?;
        let mut words = vec![0u32; self.words_for(rows, cols, bits)];
        pack_stream(codes, bits, 0, &mut words)?;
        Ok(PackedCodes {
            bits,
            rows,
            cols,
            words,
        })
    }

    fn unpack(&self, packed: &PackedCodes) -> Result<Vec<i8>> {
        check_words(self, packed)?;
        let mut codes = Vec::with_capacity(packed.rows * packed.cols);
        unpack_stream(
            &packed.words,
            packed.rows * packed.cols,
            packed.bits,
            0,
            &mut codes,
        )?;
        Ok(codes)
    }
}

/// Like [`DenseStream`], but every row starts on a new word, so rows can be read on their own
/// (a matrix-vector product walks one row at a time).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowAligned;

impl RowAligned {
    fn words_per_row(cols: usize, bits: BitWidth) -> usize {
        (cols * usize::from(bits.get())).div_ceil(32)
    }
}

impl Packing for RowAligned {
    fn name(&self) -> &'static str {
        "row-aligned"
    }

    fn words_for(&self, rows: usize, cols: usize, bits: BitWidth) -> usize {
        rows * Self::words_per_row(cols, bits)
    }

    fn pack(&self, codes: &[i8], rows: usize, cols: usize, bits: BitWidth) -> Result<PackedCodes> {
        check_codes(codes, rows, cols)?;
        let per_row = Self::words_per_row(cols, bits);
        let mut words = vec![0u32; rows * per_row];
        for (r, row) in codes.chunks(cols.max(1)).enumerate().take(rows) {
            pack_stream(
                row,
                bits,
                r * cols,
                &mut words[r * per_row..(r + 1) * per_row],
            )?;
        }
        Ok(PackedCodes {
            bits,
            rows,
            cols,
            words,
        })
    }

    fn unpack(&self, packed: &PackedCodes) -> Result<Vec<i8>> {
        check_words(self, packed)?;
        let cols = packed.cols;
        let per_row = Self::words_per_row(cols, packed.bits);
        let mut codes = Vec::with_capacity(packed.rows * cols);
        for r in 0..packed.rows {
            unpack_stream(
                &packed.words[r * per_row..(r + 1) * per_row],
                cols,
                packed.bits,
                r * cols,
                &mut codes,
            )?;
        }
        Ok(codes)
    }
}

/// Bit-planes: for each row, one plane per bit of the field (plane `k` holds bit `k` of every
/// code in the row, 32 codes per word), so a product can be computed with popcounts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BitPlanes;

impl BitPlanes {
    fn words_per_plane(cols: usize) -> usize {
        cols.div_ceil(32)
    }
}

impl Packing for BitPlanes {
    fn name(&self) -> &'static str {
        "bit-planes"
    }

    fn words_for(&self, rows: usize, cols: usize, bits: BitWidth) -> usize {
        rows * usize::from(bits.get()) * Self::words_per_plane(cols)
    }

    fn pack(&self, codes: &[i8], rows: usize, cols: usize, bits: BitWidth) -> Result<PackedCodes> {
        check_codes(codes, rows, cols)?;
        let (b, per_plane) = (usize::from(bits.get()), Self::words_per_plane(cols));
        let mut words = vec![0u32; self.words_for(rows, cols, bits)];
        for (r, row) in codes.chunks(cols.max(1)).enumerate().take(rows) {
            for (j, &c) in row.iter().enumerate() {
                let f = field(c, bits, r * cols + j)?;
                for k in 0..b {
                    words[(r * b + k) * per_plane + j / 32] |= ((f >> k) & 1) << (j % 32);
                }
            }
        }
        Ok(PackedCodes {
            bits,
            rows,
            cols,
            words,
        })
    }

    fn unpack(&self, packed: &PackedCodes) -> Result<Vec<i8>> {
        check_words(self, packed)?;
        let (b, cols, per_plane) = (
            usize::from(packed.bits.get()),
            packed.cols,
            Self::words_per_plane(packed.cols),
        );
        let mut codes = Vec::with_capacity(packed.rows * cols);
        for r in 0..packed.rows {
            for j in 0..cols {
                let f = (0..b).fold(0u32, |f, k| {
                    f | (((packed.words[(r * b + k) * per_plane + j / 32] >> (j % 32)) & 1) << k)
                });
                codes.push(code(f, packed.bits, r * cols + j)?);
            }
        }
        Ok(codes)
    }
}
