//! Bit widths and the precision of a layer.

use core::fmt;

use crate::error::{QuantError, Result};

/// A quantization width of 1 to 8 bits.
///
/// ```
/// use ser_quant::BitWidth;
///
/// let four = BitWidth::new(4)?;
/// assert_eq!(four.qmax(), 7);
/// assert!(BitWidth::new(0).is_err() && BitWidth::new(9).is_err());
/// # Ok::<(), ser_quant::QuantError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BitWidth(u8);

impl BitWidth {
    /// Every width, from 1 to 8 bits.
    pub const ALL: [BitWidth; 8] = [
        BitWidth(1),
        BitWidth(2),
        BitWidth(3),
        BitWidth(4),
        BitWidth(5),
        BitWidth(6),
        BitWidth(7),
        BitWidth(8),
    ];

    /// A width of `bits`, refusing anything outside 1..=8.
    pub fn new(bits: u8) -> Result<Self> {
        if (1..=8).contains(&bits) {
            Ok(BitWidth(bits))
        } else {
            Err(QuantError::UnsupportedBitWidth(bits))
        }
    }

    /// The number of bits.
    pub fn get(self) -> u8 {
        self.0
    }

    /// The largest code magnitude: `2^(b-1) - 1` for `b >= 2` (so codes are symmetric around
    /// 0), and 1 for binarisation (codes -1 and +1).
    pub fn qmax(self) -> i8 {
        if self.0 == 1 {
            1
        } else {
            ((1u16 << (self.0 - 1)) - 1) as i8
        }
    }
}

impl fmt::Display for BitWidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-bit", self.0)
    }
}

/// How a layer is stored: at full precision (f32), or quantized to a width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// 32-bit floats, unquantized.
    Full,
    /// Quantized to this width.
    Bits(BitWidth),
}

impl Precision {
    /// Bits per parameter: 32 at full precision.
    pub fn bits(self) -> u8 {
        match self {
            Precision::Full => 32,
            Precision::Bits(b) => b.get(),
        }
    }
}
