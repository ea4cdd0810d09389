//! Model files: a [`PackedMlp`] (any mix of packed and f32 layers) with what it needs to
//! classify raw features, in the one versioned, checksummed binary format of the workspace
//! (`docs/MODEL_FORMAT.md`), readable without `std`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::bitwidth::{BitWidth, Precision};
use crate::error::{QuantError, Result};
use crate::layer::{Bias, Kernel, QuantizedLayer, Scratch};
use crate::mlp::{PackedMlp, argmax};
use crate::pack::{DenseStream, PackedCodes, Packing};
use crate::quantizer::QuantizedTensor;

/// The first bytes of every model file.
pub const MODEL_MAGIC: &[u8; 8] = b"SERMODEL";
/// The format version this build writes and the only one it reads.
pub const MODEL_FORMAT_VERSION: u32 = 2;
/// The first bytes of the separate packed-model files of ser-adaptive 0.1, which this build
/// no longer reads (recognised only to say so).
const OLD_PACKED_MAGIC: &[u8; 8] = b"SERQMODL";

/// A classifier with everything needed to use it on raw feature vectors: the network (packed or
/// f32 layers, in any mix), the standardisation of its training split, the class names, and a
/// metadata text that upper crates fill (ser-model writes the feature configuration and how the
/// model was trained there, as JSON); it is opaque here.
///
/// ```
/// use ser_quant::{BitWidth, PackedMlp, PackedModel, Precision, QuantOptions, QuantizedLayer, Scratch};
///
/// let layer = QuantizedLayer::quantize(
///     &[1.0, -1.0, -1.0, 1.0], &[0.0, 0.0], 2, 2,
///     Precision::Bits(BitWidth::new(2)?), QuantOptions::default(),
/// )?;
/// let model = PackedModel {
///     mlp: PackedMlp::new(vec![layer])?,
///     mean: vec![0.0, 0.0],
///     scale: vec![1.0, 1.0],
///     classes: vec!["calm".into(), "angry".into()],
///     metadata: "demo".into(),
/// };
/// let bytes = model.to_bytes()?;
/// let back = PackedModel::from_bytes(&bytes)?;
/// assert_eq!(back, model);
/// assert_eq!(back.predict(&[0.0, 3.0], &mut Scratch::default())?, 1);
/// # Ok::<(), ser_quant::QuantError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PackedModel {
    /// The network.
    pub mlp: PackedMlp,
    /// Standardisation means, one per input.
    pub mean: Vec<f32>,
    /// Standardisation scales, one per input: inputs are `(x - mean) / scale`.
    pub scale: Vec<f32>,
    /// Class names, in the order of the outputs.
    pub classes: Vec<String>,
    /// Free text kept with the model (opaque to this crate).
    pub metadata: String,
}

/// Where the bytes of a packed model file go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileSize {
    /// Packed codes of weights and biases (and f32 values of full-precision layers).
    pub codes: usize,
    /// Quantization scales.
    pub scales: usize,
    /// Everything else: magic, version, class names, metadata, standardisation, layer headers,
    /// checksum. Fixed for a given architecture, whatever the widths.
    pub header: usize,
}

impl FileSize {
    /// The file's length.
    pub fn total(&self) -> usize {
        self.codes + self.scales + self.header
    }
}

/// Little-endian writer that counts where the bytes go.
struct Writer {
    out: Vec<u8>,
    size: FileSize,
}

#[derive(Clone, Copy)]
enum Part {
    Codes,
    Scales,
    Header,
}

impl Writer {
    fn bytes(&mut self, part: Part, b: &[u8]) {
        self.out.extend_from_slice(b);
        let n = b.len();
        match part {
            Part::Codes => self.size.codes += n,
            Part::Scales => self.size.scales += n,
            Part::Header => self.size.header += n,
        }
    }
    fn u8(&mut self, v: u8) {
        self.bytes(Part::Header, &[v]);
    }
    fn u32(&mut self, v: usize) -> Result<()> {
        let v =
            u32::try_from(v).map_err(|_| QuantError::Corrupt(format!("{v} does not fit a u32")))?;
        self.bytes(Part::Header, &v.to_le_bytes());
        Ok(())
    }
    fn f32s(&mut self, part: Part, values: &[f32]) {
        for v in values {
            self.bytes(part, &v.to_le_bytes());
        }
    }
    fn words(&mut self, codes: &PackedCodes) {
        for w in &codes.words {
            self.bytes(Part::Codes, &w.to_le_bytes());
        }
    }
    fn text(&mut self, s: &str) -> Result<()> {
        self.u32(s.len())?;
        self.bytes(Part::Header, s.as_bytes());
        Ok(())
    }
}

/// Little-endian reader that refuses to run past the end (and so never allocates more than the
/// file can hold).
pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        if n > self.bytes.len() {
            return Err(QuantError::Truncated { what });
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }
    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }
    pub(crate) fn u32(&mut self, what: &'static str) -> Result<usize> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    /// `count` items of `size` bytes, checked against what is left before anything is read.
    pub(crate) fn array(
        &mut self,
        count: usize,
        size: usize,
        what: &'static str,
    ) -> Result<&'a [u8]> {
        let n = count
            .checked_mul(size)
            .ok_or(QuantError::Truncated { what })?;
        self.take(n, what)
    }
    fn f32s(&mut self, count: usize, what: &'static str) -> Result<Vec<f32>> {
        let b = self.array(count, 4, what)?;
        let values: Vec<f32> = b
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if let Some(index) = values.iter().position(|v| !v.is_finite()) {
            return Err(QuantError::Corrupt(format!(
                "{what}: value {index} is not finite ({})",
                values[index]
            )));
        }
        Ok(values)
    }
    fn text(&mut self, what: &'static str) -> Result<String> {
        let n = self.u32(what)?;
        let b = self.take(n, what)?;
        String::from_utf8(b.to_vec())
            .map_err(|_| QuantError::Corrupt(format!("{what} is not UTF-8")))
    }
    /// Dense-stream codes of a `rows x cols` tensor.
    fn codes(
        &mut self,
        rows: usize,
        cols: usize,
        bits: BitWidth,
        what: &'static str,
    ) -> Result<Vec<i8>> {
        // Every code takes at least one bit: refuse counts the file cannot hold before sizing.
        let n = rows
            .checked_mul(cols)
            .filter(|&n| n / 8 <= self.bytes.len())
            .ok_or(QuantError::Truncated { what })?;
        let words = DenseStream.words_for(1, n, bits);
        let b = self.array(words, 4, what)?;
        let packed = PackedCodes {
            bits,
            rows,
            cols,
            words: b
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        };
        DenseStream.unpack(&packed)
    }
}

/// Width codes in the file: 0 for f32, else the bits.
fn width_code(p: Precision) -> u8 {
    match p {
        Precision::Full => 0,
        Precision::Bits(b) => b.get(),
    }
}

impl PackedModel {
    /// Checks that the parts agree: standardisation and classes against the network's shape,
    /// finite standardisation, positive scales.
    pub fn validate(&self) -> Result<()> {
        let n = self.mlp.inputs();
        if self.mean.len() != n || self.scale.len() != n {
            return Err(QuantError::LengthMismatch {
                what: "standardisation",
                expected: n,
                got: if self.mean.len() != n {
                    self.mean.len()
                } else {
                    self.scale.len()
                },
            });
        }
        if self.classes.len() != self.mlp.outputs() {
            return Err(QuantError::LengthMismatch {
                what: "class names",
                expected: self.mlp.outputs(),
                got: self.classes.len(),
            });
        }
        if let Some(i) = self.mean.iter().position(|v| !v.is_finite()) {
            return Err(QuantError::NonFinite {
                index: i,
                value: self.mean[i],
            });
        }
        if let Some(i) = self.scale.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(QuantError::Corrupt(format!(
                "standardisation scale {i} is {}, not a positive number",
                self.scale[i]
            )));
        }
        Ok(())
    }

    /// Output scores of one raw (unstandardised) feature vector; the slice lives in `scratch`.
    pub fn logits<'s>(&self, features: &[f32], scratch: &'s mut Scratch) -> Result<&'s [f32]> {
        if features.len() != self.mean.len() {
            return Err(QuantError::LengthMismatch {
                what: "features",
                expected: self.mean.len(),
                got: features.len(),
            });
        }
        if let Some(index) = features.iter().position(|v| !v.is_finite()) {
            return Err(QuantError::NonFinite {
                index,
                value: features[index],
            });
        }
        let mut x = core::mem::take(&mut scratch.input);
        x.clear();
        x.extend(
            features
                .iter()
                .zip(self.mean.iter().zip(&self.scale))
                .map(|(v, (m, s))| (v - m) / s),
        );
        let result = self.mlp.logits(&x, scratch).map(|_| ());
        scratch.input = x;
        result?;
        Ok(&scratch.a)
    }

    /// The most probable class index of one raw feature vector.
    pub fn predict(&self, features: &[f32], scratch: &mut Scratch) -> Result<usize> {
        Ok(argmax(self.logits(features, scratch)?.iter().copied()))
    }

    /// Class probabilities (softmax of the logits) of one raw feature vector.
    #[cfg(feature = "std")]
    pub fn predict_proba(&self, features: &[f32], scratch: &mut Scratch) -> Result<Vec<f32>> {
        let mut p = self.logits(features, scratch)?.to_vec();
        crate::mlp::softmax(&mut p);
        Ok(p)
    }

    /// The file's bytes and where they go (`docs/MODEL_FORMAT.md`).
    pub fn to_bytes_with_size(&self) -> Result<(Vec<u8>, FileSize)> {
        self.validate()?;
        let mut w = Writer {
            out: Vec::new(),
            size: FileSize::default(),
        };
        w.bytes(Part::Header, MODEL_MAGIC);
        w.u32(MODEL_FORMAT_VERSION as usize)?;
        w.u32(self.classes.len())?;
        for c in &self.classes {
            w.text(c)?;
        }
        w.text(&self.metadata)?;
        w.u32(self.mean.len())?;
        w.f32s(Part::Header, &self.mean);
        w.f32s(Part::Header, &self.scale);
        w.u32(self.mlp.layers().len())?;
        for layer in self.mlp.layers() {
            w.u32(layer.inputs())?;
            w.u32(layer.outputs())?;
            let precision = layer.precision();
            w.u8(width_code(precision));
            w.u8(match layer.bias() {
                Bias::Full(_) => 0,
                Bias::Quantized(t) => t.bits.get(),
            });
            let scales = layer.weight_scales();
            w.u8(u8::from(scales.len() > 1));
            w.u8(0);
            match layer.dense_weights()? {
                None => {
                    let (weights, _) = layer.dequantize()?;
                    w.f32s(Part::Codes, &weights);
                }
                Some(codes) => {
                    w.f32s(Part::Scales, scales);
                    w.words(&codes);
                }
            }
            match layer.bias() {
                Bias::Full(v) => w.f32s(Part::Codes, v),
                Bias::Quantized(t) => {
                    w.f32s(Part::Scales, &t.scales);
                    w.words(&DenseStream.pack(&t.codes, 1, t.codes.len(), t.bits)?);
                }
            }
        }
        let crc = crc32fast::hash(&w.out);
        w.bytes(Part::Header, &crc.to_le_bytes());
        Ok((w.out, w.size))
    }

    /// The file's bytes (`docs/MODEL_FORMAT.md`).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(self.to_bytes_with_size()?.0)
    }

    /// Reads a packed model from its file's bytes, checking magic, version and checksum
    /// first, then every count against the bytes left, every width, code and value. Quantized
    /// layers are packed for [`Kernel::default_for`] their width.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let body = checked_body(bytes)?;
        let mut r = Reader { bytes: body };
        let n_classes = r.u32("the class count")?;
        // Each name takes at least its 4-byte length: refuse counts the file cannot hold.
        if n_classes > r.bytes.len() / 4 {
            return Err(QuantError::Truncated {
                what: "the class names",
            });
        }
        let classes = (0..n_classes)
            .map(|_| r.text("a class name"))
            .collect::<Result<Vec<_>>>()?;
        let metadata = r.text("the metadata")?;
        let n = r.u32("the input count")?;
        let mean = r.f32s(n, "the standardisation means")?;
        let scale = r.f32s(n, "the standardisation scales")?;
        let n_layers = r.u32("the layer count")?;
        if n_layers > r.bytes.len() / 12 {
            return Err(QuantError::Truncated { what: "the layers" });
        }
        let mut layers = Vec::new();
        for _ in 0..n_layers {
            layers.push(read_layer(&mut r)?);
        }
        if !r.bytes.is_empty() {
            return Err(QuantError::Corrupt(format!(
                "{} bytes after the last layer",
                r.bytes.len()
            )));
        }
        let model = PackedModel {
            mlp: PackedMlp::new(layers)?,
            mean,
            scale,
            classes,
            metadata,
        };
        model.validate()?;
        Ok(model)
    }
}

/// The bytes between the fixed header and the checksum, once magic, version and checksum are
/// checked.
pub(crate) fn checked_body(bytes: &[u8]) -> Result<&[u8]> {
    if bytes.starts_with(OLD_PACKED_MAGIC) {
        return Err(QuantError::UnsupportedVersion {
            found: 1,
            supported: MODEL_FORMAT_VERSION,
        });
    }
    if bytes.len() < 8 || &bytes[..8] != MODEL_MAGIC {
        return Err(QuantError::NotAModel);
    }
    if bytes.len() < 16 {
        return Err(QuantError::Truncated {
            what: "the fixed header",
        });
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != MODEL_FORMAT_VERSION {
        return Err(QuantError::UnsupportedVersion {
            found: version,
            supported: MODEL_FORMAT_VERSION,
        });
    }
    let (body, tail) = bytes.split_at(bytes.len() - 4);
    let stored = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
    let computed = crc32fast::hash(body);
    if stored != computed {
        return Err(QuantError::Checksum { stored, computed });
    }
    Ok(&body[12..])
}

pub(crate) fn read_width(code: u8, what: &str) -> Result<Precision> {
    match code {
        0 => Ok(Precision::Full),
        b => BitWidth::new(b)
            .map(Precision::Bits)
            .map_err(|_| QuantError::Corrupt(format!("{what} width {b} is not 0 (f32) or 1..=8"))),
    }
}

/// A layer record's header, checked: both readers of the file (owned and in place) start
/// each layer with it.
pub(crate) struct LayerHeader {
    pub(crate) inputs: usize,
    pub(crate) outputs: usize,
    pub(crate) weight_width: Precision,
    pub(crate) bias_width: Precision,
    pub(crate) per_channel: bool,
}

pub(crate) fn read_layer_header(r: &mut Reader<'_>) -> Result<LayerHeader> {
    let inputs = r.u32("a layer header")?;
    let outputs = r.u32("a layer header")?;
    let weight_width = read_width(r.u8("a layer header")?, "weight")?;
    let bias_width = read_width(r.u8("a layer header")?, "bias")?;
    let per_channel = r.u8("a layer header")?;
    let reserved = r.u8("a layer header")?;
    if inputs == 0 || outputs == 0 {
        return Err(QuantError::Corrupt(format!("a {outputs} x {inputs} layer")));
    }
    if per_channel > 1 || reserved != 0 {
        return Err(QuantError::Corrupt("unknown layer flags".into()));
    }
    if weight_width == Precision::Full && (bias_width != Precision::Full || per_channel != 0) {
        return Err(QuantError::Corrupt(
            "an f32 layer with quantized parts".into(),
        ));
    }
    Ok(LayerHeader {
        inputs,
        outputs,
        weight_width,
        bias_width,
        per_channel: per_channel == 1,
    })
}

fn read_layer(r: &mut Reader<'_>) -> Result<QuantizedLayer> {
    let LayerHeader {
        inputs,
        outputs,
        weight_width,
        bias_width,
        per_channel,
    } = read_layer_header(r)?;
    let Precision::Bits(bits) = weight_width else {
        let n = inputs.checked_mul(outputs).ok_or(QuantError::Truncated {
            what: "f32 weights",
        })?;
        let weights = r.f32s(n, "f32 weights")?;
        let bias = r.f32s(outputs, "f32 biases")?;
        return QuantizedLayer::full(weights, bias, outputs, inputs);
    };
    let scales = r.f32s(if per_channel { outputs } else { 1 }, "weight scales")?;
    let codes = r.codes(outputs, inputs, bits, "weight codes")?;
    let bias = match bias_width {
        Precision::Full => Bias::Full(r.f32s(outputs, "f32 biases")?),
        Precision::Bits(b) if b == bits => {
            let scale = r.f32s(1, "the bias scale")?;
            Bias::Quantized(QuantizedTensor {
                bits,
                shape: (1, outputs),
                scales: scale,
                codes: r.codes(1, outputs, bits, "bias codes")?,
            })
        }
        Precision::Bits(b) => {
            return Err(QuantError::Corrupt(format!(
                "{b}-bit biases in a {bits}-bit layer"
            )));
        }
    };
    let weights = QuantizedTensor {
        bits,
        shape: (outputs, inputs),
        scales,
        codes,
    };
    QuantizedLayer::from_quantized(weights, bias, Kernel::default_for(bits, outputs))
}
