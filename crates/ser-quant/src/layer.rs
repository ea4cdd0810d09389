//! A dense layer stored as packed codes (or f32), run without materialising its f32 weights.

use alloc::vec::Vec;

use crate::bitwidth::{BitWidth, Precision};
use crate::error::{QuantError, Result};
use crate::kernel::{SubsetSums, dot, set_bits_row, unpack_row};
use crate::pack::{BitPlanes, DenseStream, PackedCodes, Packing, RowAligned};
use crate::quantizer::{Granularity, QuantizedTensor, Scaling, SymmetricQuantizer};

crate::named_options! {
    /// How a quantized layer stores its biases.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
    pub enum BiasMode as "bias" {
        /// At the layer's width, with their own scale (the method's default; it matches the
        /// poster's size column, `params x bits / 8`).
        #[default]
        LayerWidth = "layer-width",
        /// In f32, whatever the width of the weights (32 bits each in the size accounting).
        Full = "f32",
    }
}

/// Options of [`QuantizedLayer::quantize`]. The default is the poster's quantizer (METHOD.md:
/// one max-abs scale per layer, biases at the layer's width); [`QuantOptions::recommended`]
/// is the one that measured best.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct QuantOptions {
    /// One weight scale per layer or per output. Default: per layer.
    pub granularity: Granularity,
    /// How biases are stored. Default: at the layer's width.
    pub bias: BiasMode,
    /// How scales are chosen. Default: max-abs.
    pub scaling: Scaling,
}

impl QuantOptions {
    /// The poster's quantizer: one max-abs scale per layer, biases at the layer's width
    /// (the [`Default`]).
    pub const POSTER: QuantOptions = QuantOptions {
        granularity: Granularity::PerTensor,
        bias: BiasMode::LayerWidth,
        scaling: Scaling::MaxAbs,
    };

    /// The quantizer that measured best at every fixed width on EMODB
    /// (`scripts/choose_quant_default.sh`, docs/REPRODUCTION.md "Default scales"): a scale per
    /// output channel, of least squared error when the codes are rounded to nearest, max-abs
    /// when GPTQ chooses the codes (`gptq`; its error compensation does better than clipping
    /// with the whole range). The poster's quantizer collapses at 2 bits; this one does not.
    /// Per-channel scales cost 4 bytes per output in the model file.
    ///
    /// ```
    /// use ser_quant::{Granularity, QuantOptions, Scaling};
    ///
    /// let rounded = QuantOptions::recommended(false);
    /// assert_eq!((rounded.granularity, rounded.scaling), (Granularity::PerChannel, Scaling::MinMse));
    /// assert_eq!(QuantOptions::recommended(true).scaling, Scaling::MaxAbs);
    /// assert_eq!(QuantOptions::default(), QuantOptions::POSTER);
    /// ```
    pub const fn recommended(gptq: bool) -> QuantOptions {
        QuantOptions {
            granularity: Granularity::PerChannel,
            bias: BiasMode::LayerWidth,
            scaling: if gptq {
                Scaling::MaxAbs
            } else {
                Scaling::MinMse
            },
        }
    }
}

/// Which kernel computes a quantized layer's product, and so how its codes sit in memory.
///
/// | kernel | widths | layout | how |
/// |---|---|---|---|
/// | [`Kernel::Unpack`] | 1..=8 | [`RowAligned`] | decodes each row's fields, then a multiply-add per weight |
/// | [`Kernel::SetBits`] | 1 | [`RowAligned`] | adds the inputs whose bit is set (sign accumulation) |
/// | [`Kernel::PlaneLut`] | 1..=8 | [`BitPlanes`] | one table lookup per 8 weights per bit (subset sums of the input) |
///
/// [`Kernel::default_for`] picks the fastest measured on the MLP's shapes (`docs/PERFORMANCE.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// Unpack on the fly: the generic kernel.
    Unpack,
    /// Sign accumulation over the set bits: 1 bit only.
    SetBits,
    /// Bit-planes times subset-sum lookup tables.
    PlaneLut,
}

impl Kernel {
    /// The default kernel for a layer of `outputs` rows at `bits`: bit-plane lookups, whose
    /// table costs the same for every row and pays off from a few rows on, at every width; for
    /// layers of fewer than 16 rows (the 7-class output layer), set-bits at 1 bit and unpacking
    /// above. Measured in `docs/PERFORMANCE.md` (`cargo bench -p ser-benches --bench quant`).
    pub fn default_for(bits: BitWidth, outputs: usize) -> Kernel {
        match (outputs >= 16, bits.get()) {
            (true, _) => Kernel::PlaneLut,
            (false, 1) => Kernel::SetBits,
            (false, _) => Kernel::Unpack,
        }
    }

    /// The layout this kernel reads.
    pub fn packing(self) -> &'static dyn Packing {
        match self {
            Kernel::Unpack | Kernel::SetBits => &RowAligned,
            Kernel::PlaneLut => &BitPlanes,
        }
    }

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Unpack => "unpack",
            Kernel::SetBits => "set-bits",
            Kernel::PlaneLut => "plane-lut",
        }
    }
}

/// A layer's biases as stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Bias {
    /// f32 values.
    Full(Vec<f32>),
    /// Quantized, `1 x outputs`, with its own scale.
    Quantized(QuantizedTensor),
}

impl Bias {
    /// Bits per bias in the size accounting.
    pub fn bits(&self) -> u8 {
        match self {
            Bias::Full(_) => 32,
            Bias::Quantized(t) => t.bits.get(),
        }
    }

    /// The values the layer adds.
    pub fn values(&self) -> Vec<f32> {
        match self {
            Bias::Full(v) => v.clone(),
            Bias::Quantized(t) => t.dequantize(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Bias::Full(v) => v.len(),
            Bias::Quantized(t) => t.codes.len(),
        }
    }
}

/// The weights of a layer as the kernels read them.
#[derive(Debug, Clone, PartialEq)]
enum Weights {
    /// f32, `outputs x inputs` row-major.
    Full(Vec<f32>),
    /// Packed in the layout of `kernel`, with one scale or one per output.
    Packed {
        codes: PackedCodes,
        scales: Vec<f32>,
        kernel: Kernel,
    },
}

/// Buffers a forward pass reuses, so that inference allocates nothing once warm.
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    sums: SubsetSums,
    pub(crate) input: Vec<f32>,
    pub(crate) a: Vec<f32>,
    pub(crate) b: Vec<f32>,
}

/// A dense layer `y = W x + b` of `outputs x inputs` weights at some [`Precision`]: f32, or
/// quantized codes packed for a [`Kernel`], with biases in f32 or at the layer's width
/// ([`BiasMode`]). The product reads the packed codes directly.
///
/// ```
/// use ser_quant::{BitWidth, Precision, QuantOptions, QuantizedLayer, Scratch};
///
/// // 2 outputs x 3 inputs, row-major.
/// let w = [0.5f32, -1.0, 0.25, 1.0, 0.0, -0.5];
/// let bits = Precision::Bits(BitWidth::new(8)?);
/// let layer = QuantizedLayer::quantize(&w, &[0.1, -0.1], 2, 3, bits, QuantOptions::default())?;
/// let mut y = [0.0; 2];
/// layer.forward(&[1.0, 2.0, 4.0], &mut y, &mut Scratch::default())?;
/// assert!((y[0] - (0.5 - 2.0 + 1.0 + 0.1)).abs() < 0.02);
/// assert!((y[1] - (1.0 - 2.0 - 0.1)).abs() < 0.02);
/// // The poster's size: 8 parameters x 8 bits.
/// assert_eq!(layer.size_bits(), 64);
/// # Ok::<(), ser_quant::QuantError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizedLayer {
    inputs: usize,
    outputs: usize,
    weights: Weights,
    bias: Bias,
    /// The bias values added, decoded once.
    bias_values: Vec<f32>,
}

/// The codes of `weights` at `bits` and the biases as `options.bias` says, before packing.
fn quantized_parts(
    weights: &[f32],
    bias: &[f32],
    outputs: usize,
    inputs: usize,
    bits: BitWidth,
    options: QuantOptions,
) -> Result<(QuantizedTensor, Bias)> {
    let codes = SymmetricQuantizer::new(bits, options.granularity)
        .with_scaling(options.scaling)
        .quantize(weights, outputs, inputs)?;
    Ok((codes, quantized_bias(bias, outputs, bits, options)?))
}

/// `outputs` biases as `options.bias` says: kept in f32, or quantized at `bits` (per tensor,
/// their own scale). Biases of another length than `outputs`, or not finite, are errors.
///
/// ```
/// use ser_quant::{BiasMode, BitWidth, QuantOptions, quantized_bias};
///
/// let two = BitWidth::new(2)?;
/// let b = quantized_bias(&[0.4, -0.1, 0.0], 3, two, QuantOptions::default())?;
/// assert_eq!(b.values(), [0.4, 0.0, 0.0]);
/// let full = QuantOptions { bias: BiasMode::Full, ..QuantOptions::default() };
/// assert_eq!(quantized_bias(&[0.4, -0.1, 0.0], 3, two, full)?.values(), [0.4, -0.1, 0.0]);
/// # Ok::<(), ser_quant::QuantError>(())
/// ```
pub fn quantized_bias(
    bias: &[f32],
    outputs: usize,
    bits: BitWidth,
    options: QuantOptions,
) -> Result<Bias> {
    check_len("bias", outputs, bias.len())?;
    check_finite(bias)?;
    Ok(match options.bias {
        BiasMode::Full => Bias::Full(bias.to_vec()),
        BiasMode::LayerWidth => Bias::Quantized(
            SymmetricQuantizer::new(bits, Granularity::PerTensor)
                .with_scaling(options.scaling)
                .quantize(bias, 1, outputs)?,
        ),
    })
}

fn check_len(what: &'static str, expected: usize, got: usize) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(QuantError::LengthMismatch {
            what,
            expected,
            got,
        })
    }
}

fn check_finite(values: &[f32]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(QuantError::NonFinite {
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

impl QuantizedLayer {
    /// Quantizes a layer from row-major `outputs x inputs` weights and `outputs` biases:
    /// at [`Precision::Full`] it keeps them in f32; otherwise it quantizes the weights with the
    /// [`SymmetricQuantizer`] (scales by [`QuantOptions::scaling`]) and the biases as
    /// [`QuantOptions::bias`] says (per tensor, their own scale), and packs them for [`Kernel::default_for`] the width.
    pub fn quantize(
        weights: &[f32],
        bias: &[f32],
        outputs: usize,
        inputs: usize,
        precision: Precision,
        options: QuantOptions,
    ) -> Result<Self> {
        check_len("weights", outputs * inputs, weights.len())?;
        check_len("bias", outputs, bias.len())?;
        check_finite(bias)?;
        let Precision::Bits(bits) = precision else {
            check_finite(weights)?;
            return Self::full(weights.to_vec(), bias.to_vec(), outputs, inputs);
        };
        let (codes, bias) = quantized_parts(weights, bias, outputs, inputs, bits, options)?;
        Self::from_quantized(codes, bias, Kernel::default_for(bits, outputs))
    }

    /// The weights and biases [`QuantizedLayer::quantize`]'s layer stands for, row-major
    /// `outputs x inputs` and `outputs`, equal to its [`QuantizedLayer::dequantize`] bit for
    /// bit, without packing the codes: what training through the quantizer needs at every
    /// step. Errors are [`QuantizedLayer::quantize`]'s.
    ///
    /// ```
    /// use ser_quant::{BitWidth, Precision, QuantOptions, QuantizedLayer};
    ///
    /// let (w, b) = (vec![0.9, -0.2, 0.4, -1.0, 0.1, 0.6], vec![0.05, -0.3]);
    /// let two = Precision::Bits(BitWidth::new(2)?);
    /// let options = QuantOptions::default();
    /// let fake = QuantizedLayer::fake_quantize(&w, &b, 2, 3, two, options)?;
    /// assert_eq!(fake, QuantizedLayer::quantize(&w, &b, 2, 3, two, options)?.dequantize()?);
    /// # Ok::<(), ser_quant::QuantError>(())
    /// ```
    pub fn fake_quantize(
        weights: &[f32],
        bias: &[f32],
        outputs: usize,
        inputs: usize,
        precision: Precision,
        options: QuantOptions,
    ) -> Result<(Vec<f32>, Vec<f32>)> {
        check_len("weights", outputs * inputs, weights.len())?;
        check_len("bias", outputs, bias.len())?;
        check_finite(bias)?;
        let Precision::Bits(bits) = precision else {
            check_finite(weights)?;
            return Ok((weights.to_vec(), bias.to_vec()));
        };
        let quantizer =
            SymmetricQuantizer::new(bits, options.granularity).with_scaling(options.scaling);
        let scales = quantizer.scales(weights, outputs, inputs)?;
        let mut values = Vec::with_capacity(weights.len());
        for (r, row) in weights.chunks(inputs.max(1)).enumerate() {
            let s = scales[if scales.len() > 1 { r } else { 0 }];
            values.extend(row.iter().map(|&w| f32::from(quantizer.code(w, s)) * s));
        }
        let bias = quantized_bias(bias, outputs, bits, options)?;
        Ok((values, bias.values()))
    }

    /// A full-precision layer from row-major `outputs x inputs` weights and f32 biases.
    pub fn full(weights: Vec<f32>, bias: Vec<f32>, outputs: usize, inputs: usize) -> Result<Self> {
        check_len("weights", outputs * inputs, weights.len())?;
        check_len("bias", outputs, bias.len())?;
        check_finite(&weights)?;
        check_finite(&bias)?;
        Ok(QuantizedLayer {
            inputs,
            outputs,
            weights: Weights::Full(weights),
            bias_values: bias.clone(),
            bias: Bias::Full(bias),
        })
    }

    /// A layer from quantized weights (`outputs x inputs`) and biases, packed for `kernel`.
    /// Refuses biases of another length or width than the weights', scales that are not
    /// finite and non-negative, and [`Kernel::SetBits`] above 1 bit.
    pub fn from_quantized(weights: QuantizedTensor, bias: Bias, kernel: Kernel) -> Result<Self> {
        let (outputs, inputs) = weights.shape;
        check_len("bias", outputs, bias.len())?;
        let scales_expected = if weights.scales.len() == 1 {
            1
        } else {
            outputs
        };
        check_len("weight scales", scales_expected, weights.scales.len())?;
        let mut scales = weights.scales.clone();
        match &bias {
            Bias::Full(v) => check_finite(v)?,
            Bias::Quantized(t) => {
                if t.bits != weights.bits {
                    return Err(QuantError::Corrupt(
                        "biases at another width than the weights".into(),
                    ));
                }
                check_len("bias codes", outputs, t.codes.len())?;
                check_len("bias scales", 1, t.scales.len())?;
                scales.extend_from_slice(&t.scales);
            }
        }
        if let Some(index) = scales.iter().position(|s| !s.is_finite() || *s < 0.0) {
            return Err(QuantError::NonFinite {
                index,
                value: scales[index],
            });
        }
        if kernel == Kernel::SetBits && weights.bits.get() != 1 {
            return Err(QuantError::KernelWidth {
                kernel: kernel.name(),
                bits: weights.bits.get(),
            });
        }
        let codes = kernel
            .packing()
            .pack(&weights.codes, outputs, inputs, weights.bits)?;
        Ok(QuantizedLayer {
            inputs,
            outputs,
            weights: Weights::Packed {
                codes,
                scales: weights.scales,
                kernel,
            },
            bias_values: bias.values(),
            bias,
        })
    }

    /// The same layer computed by another kernel (its codes repacked).
    pub fn with_kernel(self, kernel: Kernel) -> Result<Self> {
        match self.weight_codes()? {
            Some(t) => Self::from_quantized(t, self.bias, kernel),
            None => Ok(self),
        }
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// Weights plus biases.
    pub fn params(&self) -> usize {
        self.inputs * self.outputs + self.outputs
    }

    /// The precision of the weights.
    pub fn precision(&self) -> Precision {
        match &self.weights {
            Weights::Full(_) => Precision::Full,
            Weights::Packed { codes, .. } => Precision::Bits(codes.bits),
        }
    }

    /// The kernel of a quantized layer (`None` at full precision).
    pub fn kernel(&self) -> Option<Kernel> {
        match &self.weights {
            Weights::Full(_) => None,
            Weights::Packed { kernel, .. } => Some(*kernel),
        }
    }

    /// The biases as stored.
    pub fn bias(&self) -> &Bias {
        &self.bias
    }

    /// The weight scales of a quantized layer (one, or one per output; empty at full
    /// precision).
    pub fn weight_scales(&self) -> &[f32] {
        match &self.weights {
            Weights::Full(_) => &[],
            Weights::Packed { scales, .. } => scales,
        }
    }

    /// The weight codes of a quantized layer, unpacked (`None` at full precision).
    pub fn weight_codes(&self) -> Result<Option<QuantizedTensor>> {
        match &self.weights {
            Weights::Full(_) => Ok(None),
            Weights::Packed {
                codes,
                scales,
                kernel,
            } => Ok(Some(QuantizedTensor {
                bits: codes.bits,
                shape: (self.outputs, self.inputs),
                scales: scales.clone(),
                codes: kernel.packing().unpack(codes)?,
            })),
        }
    }

    /// The weights as f32, row-major `outputs x inputs` (dequantized when quantized), and the
    /// biases: the layer the quantized one stands for.
    pub fn dequantize(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        let weights = match &self.weights {
            Weights::Full(w) => w.clone(),
            Weights::Packed { .. } => self
                .weight_codes()?
                .map_or_else(Vec::new, |t| t.dequantize()),
        };
        Ok((weights, self.bias_values.clone()))
    }

    /// The poster's size of the layer in bits: weights at their width and biases at theirs
    /// (32 bits for f32), scales not counted.
    pub fn size_bits(&self) -> u64 {
        let w = (self.inputs * self.outputs) as u64 * u64::from(self.precision().bits());
        w + self.outputs as u64 * u64::from(self.bias.bits())
    }

    /// `out = W x + b` (`x` holds `inputs` values, `out` `outputs`), reading the packed codes.
    pub fn forward(&self, x: &[f32], out: &mut [f32], scratch: &mut Scratch) -> Result<()> {
        check_len("layer input", self.inputs, x.len())?;
        check_len("layer output", self.outputs, out.len())?;
        let n = self.inputs;
        let (codes, scales, kernel) = match &self.weights {
            Weights::Full(w) => {
                for ((o, row), b) in out
                    .iter_mut()
                    .zip(w.chunks_exact(n.max(1)))
                    .zip(&self.bias_values)
                {
                    *o = dot(row, x) + b;
                }
                if n == 0 {
                    out.copy_from_slice(&self.bias_values);
                }
                return Ok(());
            }
            Weights::Packed {
                codes,
                scales,
                kernel,
            } => (codes, scales, *kernel),
        };
        let bits = codes.bits;
        let b = u32::from(bits.get());
        // sum_j code_j x_j = a * sum_j field_j x_j - c * sum(x), with code = a field - c.
        let (a, c) = if b == 1 {
            (2.0, 1.0)
        } else {
            (1.0, f32::from(bits.qmax()))
        };
        let total = x.iter().fold(0.0f32, |s, v| s + v);
        let scale = |r: usize| {
            if scales.len() == 1 {
                scales[0]
            } else {
                scales[r]
            }
        };
        let per_row = kernel.packing().words_for(1, n, bits);
        check_len("packed words", self.outputs * per_row, codes.words.len())?;
        match kernel {
            Kernel::Unpack => {
                for (r, o) in out.iter_mut().enumerate() {
                    let row = &codes.words[r * per_row..(r + 1) * per_row];
                    let fx = unpack_row(row, b, x);
                    *o = (a * fx - c * total) * scale(r) + self.bias_values[r];
                }
            }
            Kernel::SetBits => {
                for (r, o) in out.iter_mut().enumerate() {
                    let fx = set_bits_row(&codes.words[r * per_row..(r + 1) * per_row], x);
                    *o = (a * fx - c * total) * scale(r) + self.bias_values[r];
                }
            }
            Kernel::PlaneLut => {
                let per_plane = n.div_ceil(32);
                scratch.sums.build(x, 4 * per_plane);
                debug_assert_eq!(scratch.sums.groups(), 4 * per_plane);
                for (r, o) in out.iter_mut().enumerate() {
                    let row = &codes.words[r * per_row..(r + 1) * per_row];
                    let mut fx = 0.0f32;
                    let mut weight = 1.0f32;
                    for plane in row.chunks_exact(per_plane.max(1)).take(b as usize) {
                        fx += weight * scratch.sums.plane(plane);
                        weight *= 2.0;
                    }
                    *o = (a * fx - c * total) * scale(r) + self.bias_values[r];
                }
            }
        }
        Ok(())
    }

    /// The codes of the weights in the smallest layout ([`DenseStream`]), for storage.
    pub(crate) fn dense_weights(&self) -> Result<Option<PackedCodes>> {
        match self.weight_codes()? {
            Some(t) => Ok(Some(DenseStream.pack(
                &t.codes,
                self.outputs,
                self.inputs,
                t.bits,
            )?)),
            None => Ok(None),
        }
    }
}
