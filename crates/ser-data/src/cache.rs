//! A folder of feature vectors keyed by the content of each source and the feature
//! configuration, so that a second run skips extraction.

use std::path::PathBuf;

use ser_features::FeatureConfig;

use crate::error::{DataError, Result};
use crate::extract::{Extracted, Source};

/// A feature cache: one small checksummed file per source, named by a 128-bit hash of the
/// feature configuration and the source's bytes (a file's content, a demo utterance's
/// samples). A missing, unreadable or corrupt entry is only a miss, never an error.
///
/// ```
/// use ser_data::{FeatureCache, Source, demo::DemoConfig, extract};
/// use ser_features::{FeatureConfig, FeatureExtractor};
///
/// let dir = std::env::temp_dir().join(format!("ser-cache-doc-{}", std::process::id()));
/// let extractor = FeatureExtractor::new(FeatureConfig::default())?;
/// let cache = FeatureCache::new(dir.clone(), extractor.config())?;
/// let demo = DemoConfig { speakers: 1, utterances_per_emotion: 1, ..DemoConfig::default() };
/// let first = extract(Source::demo(demo.clone()), &extractor, Some(&cache), &|| {});
/// let again = extract(Source::demo(demo), &extractor, Some(&cache), &|| {});
/// assert_eq!((first.cache_hits, again.cache_hits), (0, 7));
/// assert_eq!(first.rows, again.rows);
/// std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), ser_data::DataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct FeatureCache {
    dir: PathBuf,
    config: String,
}

/// Part of every key: raised whenever a change of the extraction code changes any feature
/// value (even by rounding), so that entries made by the old code are misses, not stale hits.
/// 2: the mean MFCC made by one DCT of the mean dB spectrum.
const EXTRACTION_VERSION: &[u8] = b"ser-features extraction 2";

/// FNV-1a, 128 bits: a cache key, not a security boundary.
fn fnv128(parts: &[&[u8]]) -> u128 {
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for part in parts {
        for &b in *part {
            h ^= u128::from(b);
            h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    }
    h
}

/// The cache file of one source.
pub(crate) struct Entry(PathBuf);

impl FeatureCache {
    /// A cache in `dir` (made if missing) for features computed with `config`.
    pub fn new(dir: PathBuf, config: &FeatureConfig) -> Result<Self> {
        std::fs::create_dir_all(&dir).map_err(|e| DataError::Cache {
            path: dir.clone(),
            source: e,
        })?;
        Ok(FeatureCache {
            dir,
            config: config.to_json(),
        })
    }

    /// The default folder: `$SER_CACHE_DIR`, else `$XDG_CACHE_HOME/ser-adaptive/features`,
    /// else `~/.cache/ser-adaptive/features`.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(d) = std::env::var_os("SER_CACHE_DIR") {
            return Some(PathBuf::from(d));
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
        Some(base.join("ser-adaptive").join("features"))
    }

    /// The folder.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    pub(crate) fn entry(&self, source: &Source) -> Option<Entry> {
        let key = match source {
            Source::File(f) => fnv128(&[
                EXTRACTION_VERSION,
                self.config.as_bytes(),
                &std::fs::read(&f.path).ok()?,
            ]),
            Source::Demo(u) => {
                let samples: Vec<u8> = u.samples.iter().flat_map(|v| v.to_le_bytes()).collect();
                fnv128(&[
                    EXTRACTION_VERSION,
                    self.config.as_bytes(),
                    &u.sample_rate.to_le_bytes(),
                    &samples,
                ])
            }
        };
        Some(Entry(self.dir.join(format!("{key:032x}.feat"))))
    }
}

impl Entry {
    /// The cached features, when the entry is whole and holds `dim` values.
    pub(crate) fn get(&self, dim: usize) -> Option<Extracted> {
        let bytes = std::fs::read(&self.0).ok()?;
        let (body, crc) = bytes.split_at_checked(bytes.len().checked_sub(4)?)?;
        if crc32fast::hash(body).to_le_bytes() != crc || body.len() != 9 + 4 + 8 + 4 * dim {
            return None;
        }
        let tuning = (body[0] == 1).then(|| {
            let mut t = [0u8; 8];
            t.copy_from_slice(&body[1..9]);
            f64::from_le_bytes(t)
        });
        let sample_rate = u32::from_le_bytes([body[9], body[10], body[11], body[12]]);
        let vector: Vec<f32> = body[13..]
            .chunks_exact(4)
            .skip(2)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Some(Extracted {
            vector,
            tuning,
            sample_rate,
        })
    }

    /// Stores `x`; a failure only costs a later miss.
    pub(crate) fn put(&self, x: &Extracted) {
        let mut bytes = vec![u8::from(x.tuning.is_some())];
        bytes.extend_from_slice(&x.tuning.unwrap_or(0.0).to_le_bytes());
        bytes.extend_from_slice(&x.sample_rate.to_le_bytes());
        bytes.extend_from_slice(&(x.vector.len() as u64).to_le_bytes());
        for v in &x.vector {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        // Beside the entry, then renamed: readers see a whole entry or none. Not synced to disk
        // (as write_atomically does): an entry lost in a crash is only a miss.
        let tmp = self.0.with_extension(format!("tmp-{}", std::process::id()));
        if std::fs::write(&tmp, &bytes).is_ok() && std::fs::rename(&tmp, &self.0).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupt_entry_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let entry = Entry(dir.path().join("x.feat"));
        let x = Extracted {
            vector: vec![1.0, -2.5, 3.25],
            tuning: Some(-0.01),
            sample_rate: 22_050,
        };
        entry.put(&x);
        assert_eq!(entry.get(3), Some(x.clone()));
        assert_eq!(entry.get(4), None, "another dimension");
        let mut bytes = std::fs::read(&entry.0).unwrap();
        bytes[12] ^= 1;
        std::fs::write(&entry.0, &bytes).unwrap();
        assert_eq!(entry.get(3), None, "a flipped bit");
        std::fs::write(&entry.0, b"").unwrap();
        assert_eq!(entry.get(3), None, "an empty file");
    }
}
