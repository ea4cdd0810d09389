//! A model run in place from its file's bytes (flash on a microcontroller): nothing is copied
//! and nothing allocated but an error's message; the caller gives the working memory.

use crate::bitwidth::{BitWidth, Precision};
use crate::error::{QuantError, Result};
use crate::mlp::argmax;
use crate::model::{LayerHeader, Reader, checked_body, read_layer_header};
use crate::pack::code;

/// The little-endian f32 at index `i` of `bytes`.
#[inline]
fn f32_at(bytes: &[u8], i: usize) -> f32 {
    let b = &bytes[4 * i..4 * i + 4];
    f32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// The `bits`-wide field at bit offset `at` of a dense stream of little-endian u32 words.
#[inline]
fn field_at(words: &[u8], at: usize, bits: u32) -> u32 {
    let word = |w: usize| {
        let b = &words[4 * w..4 * w + 4];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    };
    let (w, o) = (at / 32, (at % 32) as u32);
    let mut value = word(w) >> o;
    if o + bits > 32 {
        value |= word(w + 1) << (32 - o);
    }
    value & ((1u32 << bits) - 1)
}

/// One layer, as slices of the file.
#[derive(Debug, Clone, Copy)]
struct LayerRef<'a> {
    inputs: usize,
    outputs: usize,
    weights: WeightsRef<'a>,
    bias: BiasRef<'a>,
}

#[derive(Debug, Clone, Copy)]
enum WeightsRef<'a> {
    /// `outputs x inputs` f32, row-major.
    Full(&'a [u8]),
    /// Dense-stream codes with one scale, or one per output.
    Codes {
        bits: BitWidth,
        scales: &'a [u8],
        words: &'a [u8],
    },
}

#[derive(Debug, Clone, Copy)]
enum BiasRef<'a> {
    Full(&'a [u8]),
    Codes {
        bits: BitWidth,
        scale: f32,
        words: &'a [u8],
    },
}

/// Every f32 of `bytes` is finite, or an error naming `what`.
fn check_finite(bytes: &[u8], what: &str) -> Result<()> {
    match (0..bytes.len() / 4).find(|&i| !f32_at(bytes, i).is_finite()) {
        None => Ok(()),
        Some(i) => Err(QuantError::Corrupt(alloc::format!(
            "{what}: value {i} is not finite ({})",
            f32_at(bytes, i)
        ))),
    }
}

/// `n` dense-stream codes of `bits` from the reader, each checked to be in range.
fn read_codes<'a>(
    r: &mut Reader<'a>,
    n: usize,
    bits: BitWidth,
    what: &'static str,
) -> Result<&'a [u8]> {
    let b = usize::from(bits.get());
    let words = n
        .checked_mul(b)
        .map(|bits| bits.div_ceil(32))
        .ok_or(QuantError::Truncated { what })?;
    let bytes = r.array(words, 4, what)?;
    for j in 0..n {
        code(field_at(bytes, j * b, b as u32), bits, j)?;
    }
    Ok(bytes)
}

impl<'a> LayerRef<'a> {
    /// Reads and checks the next layer record (what [`crate::PackedModel::from_bytes`] checks).
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        let LayerHeader {
            inputs,
            outputs,
            weight_width,
            bias_width,
            per_channel,
        } = read_layer_header(r)?;
        let n = inputs
            .checked_mul(outputs)
            .ok_or(QuantError::Truncated { what: "a layer" })?;
        let Precision::Bits(bits) = weight_width else {
            let weights = r.array(n, 4, "f32 weights")?;
            check_finite(weights, "f32 weights")?;
            let bias = r.array(outputs, 4, "f32 biases")?;
            check_finite(bias, "f32 biases")?;
            return Ok(LayerRef {
                inputs,
                outputs,
                weights: WeightsRef::Full(weights),
                bias: BiasRef::Full(bias),
            });
        };
        let scales = r.array(if per_channel { outputs } else { 1 }, 4, "weight scales")?;
        check_finite(scales, "weight scales")?;
        let words = read_codes(r, n, bits, "weight codes")?;
        let bias = match bias_width {
            Precision::Full => {
                let b = r.array(outputs, 4, "f32 biases")?;
                check_finite(b, "f32 biases")?;
                BiasRef::Full(b)
            }
            Precision::Bits(b) if b == bits => {
                let scale = r.array(1, 4, "the bias scale")?;
                check_finite(scale, "the bias scale")?;
                BiasRef::Codes {
                    bits,
                    scale: f32_at(scale, 0),
                    words: read_codes(r, outputs, bits, "bias codes")?,
                }
            }
            Precision::Bits(b) => {
                return Err(QuantError::Corrupt(alloc::format!(
                    "{b}-bit biases in a {bits}-bit layer"
                )));
            }
        };
        Ok(LayerRef {
            inputs,
            outputs,
            weights: WeightsRef::Codes {
                bits,
                scales,
                words,
            },
            bias,
        })
    }

    fn precision(&self) -> Precision {
        match self.weights {
            WeightsRef::Full(_) => Precision::Full,
            WeightsRef::Codes { bits, .. } => Precision::Bits(bits),
        }
    }

    fn bias(&self, r: usize) -> f32 {
        match self.bias {
            BiasRef::Full(b) => f32_at(b, r),
            BiasRef::Codes { bits, scale, words } => {
                let b = u32::from(bits.get());
                // Checked when the model was read.
                let q = code(field_at(words, r * b as usize, b), bits, r).unwrap_or(0);
                f32::from(q) * scale
            }
        }
    }

    /// `out = W x + b`, reading the weights where they lie.
    fn forward(&self, x: &[f32], out: &mut [f32]) {
        let n = self.inputs;
        match self.weights {
            WeightsRef::Full(w) => {
                for (r, o) in out.iter_mut().enumerate() {
                    let row = &w[4 * r * n..4 * (r + 1) * n];
                    let dot = x
                        .iter()
                        .enumerate()
                        .fold(0.0f32, |s, (j, v)| s + f32_at(row, j) * v);
                    *o = dot + self.bias(r);
                }
            }
            WeightsRef::Codes {
                bits,
                scales,
                words,
            } => {
                let b = u32::from(bits.get());
                let qmax = i32::from(bits.qmax());
                let per_channel = scales.len() > 4;
                for (r, o) in out.iter_mut().enumerate() {
                    let mut at = r * n * b as usize;
                    let mut dot = 0.0f32;
                    for v in x {
                        let f = field_at(words, at, b) as i32;
                        at += b as usize;
                        // Fields were checked in range when the model was read.
                        let q = if b == 1 { 2 * f - 1 } else { f - qmax };
                        dot += q as f32 * v;
                    }
                    let scale = f32_at(scales, if per_channel { r } else { 0 });
                    *o = dot * scale + self.bias(r);
                }
            }
        }
    }
}

/// A model file read in place: the same bytes [`crate::PackedModel::from_bytes`] reads and the
/// same checks (magic, version, checksum, every count, width, code and value), but nothing is
/// copied out of `bytes` and nothing is allocated (an error's message aside), so a
/// microcontroller runs it from flash
/// (`include_bytes!`) with only the working memory [`BorrowedModel::scratch_len`] says.
///
/// Its logits equal [`crate::PackedModel`]'s up to the rounding of a different summation order
/// (the owned model's kernels regroup the sums for speed).
///
/// ```
/// use ser_quant::{BitWidth, BorrowedModel, PackedMlp, PackedModel, Precision, QuantOptions, QuantizedLayer, Scratch};
///
/// let two = Precision::Bits(BitWidth::new(2)?);
/// let w: Vec<f32> = (0..12).map(|i| (i as f32 * 0.7).sin()).collect();
/// let layer = QuantizedLayer::quantize(&w, &[0.1, -0.1, 0.0], 3, 4, two, QuantOptions::default())?;
/// let owned = PackedModel {
///     mlp: PackedMlp::new(vec![layer])?,
///     mean: vec![0.0; 4],
///     scale: vec![1.0; 4],
///     classes: vec!["calm".into(), "anger".into(), "fear".into()],
///     metadata: String::new(),
/// };
/// let bytes = owned.to_bytes()?; // on a device: `static MODEL: &[u8] = include_bytes!(...)`
///
/// let model = BorrowedModel::from_bytes(&bytes)?;
/// let mut scratch = [0.0f32; 64];
/// assert!(model.scratch_len() <= scratch.len());
/// let class = model.predict(&[0.5, -1.0, 2.0, 0.0], &mut scratch)?;
/// assert_eq!(class, owned.predict(&[0.5, -1.0, 2.0, 0.0], &mut Scratch::default())?);
/// assert_eq!(model.class(class), Some(owned.classes[class].as_str()));
/// # Ok::<(), ser_quant::QuantError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct BorrowedModel<'a> {
    /// The class table: names back to back, each after its u32 length.
    classes: &'a [u8],
    n_classes: usize,
    metadata: &'a str,
    mean: &'a [u8],
    scale: &'a [u8],
    /// The layer records.
    layers: &'a [u8],
    n_layers: usize,
    /// The widest layer output.
    widest: usize,
}

impl<'a> BorrowedModel<'a> {
    /// Checks `bytes` whole and keeps slices of them.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self> {
        let body = checked_body(bytes)?;
        let mut r = Reader { bytes: body };
        let n_classes = r.u32("the class count")?;
        let table = r.bytes;
        for _ in 0..n_classes {
            let len = r.u32("a class name")?;
            core::str::from_utf8(r.take(len, "a class name")?)
                .map_err(|_| QuantError::Corrupt("a class name is not UTF-8".into()))?;
        }
        let classes = &table[..table.len() - r.bytes.len()];
        let len = r.u32("the metadata")?;
        let metadata = core::str::from_utf8(r.take(len, "the metadata")?)
            .map_err(|_| QuantError::Corrupt("the metadata is not UTF-8".into()))?;
        let n = r.u32("the input count")?;
        let mean = r.array(n, 4, "the standardisation means")?;
        let scale = r.array(n, 4, "the standardisation scales")?;
        if let Some(i) = (0..n).find(|&i| !f32_at(mean, i).is_finite()) {
            return Err(QuantError::NonFinite {
                index: i,
                value: f32_at(mean, i),
            });
        }
        if let Some(i) = (0..n).find(|&i| !(f32_at(scale, i).is_finite() && f32_at(scale, i) > 0.0))
        {
            return Err(QuantError::Corrupt(alloc::format!(
                "standardisation scale {i} is {}, not a positive number",
                f32_at(scale, i)
            )));
        }
        let n_layers = r.u32("the layer count")?;
        if n_layers == 0 {
            return Err(QuantError::Corrupt("a model without layers".into()));
        }
        let layers = r.bytes;
        let (mut width, mut widest) = (n, 0);
        for _ in 0..n_layers {
            let layer = LayerRef::read(&mut r)?;
            if layer.inputs != width {
                return Err(QuantError::LengthMismatch {
                    what: "layer inputs",
                    expected: width,
                    got: layer.inputs,
                });
            }
            width = layer.outputs;
            widest = widest.max(width);
        }
        if !r.bytes.is_empty() {
            return Err(QuantError::Corrupt(alloc::format!(
                "{} bytes after the last layer",
                r.bytes.len()
            )));
        }
        if width != n_classes {
            return Err(QuantError::LengthMismatch {
                what: "class names",
                expected: width,
                got: n_classes,
            });
        }
        Ok(BorrowedModel {
            classes,
            n_classes,
            metadata,
            mean,
            scale,
            layers,
            n_layers,
            widest,
        })
    }

    /// Features a prediction takes.
    pub fn inputs(&self) -> usize {
        self.mean.len() / 4
    }

    /// Classes, the network's outputs.
    pub fn outputs(&self) -> usize {
        self.n_classes
    }

    /// The name of class `index`.
    pub fn class(&self, index: usize) -> Option<&'a str> {
        let mut r = Reader {
            bytes: self.classes,
        };
        for i in 0..self.n_classes {
            let len = r.u32("a class name").ok()?;
            let name = r.take(len, "a class name").ok()?;
            if i == index {
                return core::str::from_utf8(name).ok();
            }
        }
        None
    }

    /// The metadata text (ser-model's JSON).
    pub fn metadata(&self) -> &'a str {
        self.metadata
    }

    /// The layers, input side first, each visited in place.
    fn layers(&self) -> impl Iterator<Item = LayerRef<'a>> + '_ {
        let mut r = Reader { bytes: self.layers };
        // Every record was read and checked by `from_bytes`.
        (0..self.n_layers).map_while(move |_| LayerRef::read(&mut r).ok())
    }

    /// Each layer's precision.
    pub fn precisions(&self) -> impl Iterator<Item = Precision> + '_ {
        self.layers().map(|l| l.precision())
    }

    /// Weights and biases.
    pub fn params(&self) -> usize {
        self.layers()
            .map(|l| l.inputs * l.outputs + l.outputs)
            .sum()
    }

    /// The f32 values of working memory a prediction needs: the standardised input and two
    /// layer outputs.
    pub fn scratch_len(&self) -> usize {
        self.inputs() + 2 * self.widest
    }

    /// The output scores of one raw feature vector, in `scratch` (at least
    /// [`BorrowedModel::scratch_len`] values).
    pub fn logits<'s>(&self, features: &[f32], scratch: &'s mut [f32]) -> Result<&'s [f32]> {
        let n = self.inputs();
        if features.len() != n {
            return Err(QuantError::LengthMismatch {
                what: "features",
                expected: n,
                got: features.len(),
            });
        }
        if scratch.len() < self.scratch_len() {
            return Err(QuantError::LengthMismatch {
                what: "scratch",
                expected: self.scratch_len(),
                got: scratch.len(),
            });
        }
        if let Some(index) = features.iter().position(|v| !v.is_finite()) {
            return Err(QuantError::NonFinite {
                index,
                value: features[index],
            });
        }
        let (x, rest) = scratch.split_at_mut(n);
        for (i, (v, f)) in x.iter_mut().zip(features).enumerate() {
            *v = (f - f32_at(self.mean, i)) / f32_at(self.scale, i);
        }
        let (a, b) = rest.split_at_mut(self.widest);
        // Layer 0 reads `x` and writes `a`; then each layer reads what the one before wrote
        // and writes the other buffer: layer i's output is in `a` when i is even.
        let mut width = n;
        for (i, layer) in self.layers().enumerate() {
            let outputs = layer.outputs;
            let out = match i {
                0 => {
                    layer.forward(&x[..width], &mut a[..outputs]);
                    &mut a[..outputs]
                }
                _ if i % 2 == 1 => {
                    layer.forward(&a[..width], &mut b[..outputs]);
                    &mut b[..outputs]
                }
                _ => {
                    layer.forward(&b[..width], &mut a[..outputs]);
                    &mut a[..outputs]
                }
            };
            // ReLU between layers, none after the last (as PackedMlp).
            if i + 1 < self.n_layers {
                for v in out.iter_mut() {
                    *v = v.max(0.0);
                }
            }
            width = outputs;
        }
        Ok(if self.n_layers % 2 == 1 {
            &a[..width]
        } else {
            &b[..width]
        })
    }

    /// The most probable class of one raw feature vector.
    pub fn predict(&self, features: &[f32], scratch: &mut [f32]) -> Result<usize> {
        Ok(argmax(self.logits(features, scratch)?.iter().copied()))
    }
}
