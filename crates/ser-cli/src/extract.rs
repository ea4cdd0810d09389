//! Listing a corpus and extracting its features in parallel, shared by the commands.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use ser_adaptive::features::FeatureExtractor;
use ser_adaptive::features::corpus::demo::{DemoConfig, DemoCorpus, DemoUtterance};
use ser_adaptive::features::corpus::{self, CorpusKind, LabelledFile};

use ser_adaptive::mlp::Dataset;
use ser_adaptive::ndarray::Array2;

use crate::CliError;

/// One thing to extract: a file, or an in-memory demo utterance.
pub(crate) enum Item {
    File(LabelledFile),
    Demo(DemoUtterance),
}

impl Item {
    pub(crate) fn name(&self) -> String {
        match self {
            Item::File(f) => f.path.display().to_string(),
            Item::Demo(u) => format!("demo:{}", u.name),
        }
    }

    pub(crate) fn label(&self) -> Option<&str> {
        match self {
            Item::File(f) => f.label.as_deref(),
            Item::Demo(u) => Some(&u.label),
        }
    }

    pub(crate) fn speaker(&self) -> Option<&str> {
        match self {
            Item::File(f) => f.speaker.as_deref(),
            Item::Demo(u) => Some(&u.speaker),
        }
    }
}

/// A successful extraction: the vector and the chroma tuning used.
pub(crate) struct Extracted {
    pub(crate) vector: Vec<f32>,
    pub(crate) tuning: Option<f64>,
}

/// The built-in demo corpus, or the audio under `paths` with labels from `kind`; reports
/// skipped files on stderr.
pub(crate) fn list(
    paths: &[PathBuf],
    kind: &CorpusKind,
    demo: bool,
) -> Result<Vec<Item>, CliError> {
    let items: Vec<Item> = if demo {
        let items: Vec<Item> = DemoCorpus::new(DemoConfig::default())
            .utterances()
            .into_iter()
            .map(Item::Demo)
            .collect();
        eprintln!("corpus: built-in demo, {} utterances", items.len());
        items
    } else {
        let listing = corpus::load(paths, kind)?;
        for skipped in &listing.skipped {
            eprintln!("skipped: {}: {}", skipped.path.display(), skipped.reason);
        }
        eprintln!(
            "corpus: {}, {} files, {} skipped",
            listing.kind,
            listing.files.len(),
            listing.skipped.len()
        );
        listing.files.into_iter().map(Item::File).collect()
    };
    if items.is_empty() {
        return Err(CliError(
            "nothing to extract: every file was skipped".into(),
        ));
    }
    Ok(items)
}

/// A thread pool of `jobs` workers (all cores when `None`).
pub(crate) fn thread_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, CliError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = jobs {
        if jobs == 0 {
            return Err(CliError("--jobs must be at least 1".into()));
        }
        builder = builder.num_threads(jobs);
    }
    Ok(builder.build()?)
}

/// A folder of feature vectors keyed by the content of each input and the feature
/// configuration, so that a second run skips extraction. A missing, unreadable or corrupt entry
/// is only a miss.
pub(crate) struct Cache {
    dir: PathBuf,
    fingerprint: String,
}

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

impl Cache {
    /// A cache in `dir` for features made by `extractor`'s configuration.
    pub(crate) fn new(dir: PathBuf, extractor: &FeatureExtractor) -> Result<Self, CliError> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| CliError(format!("feature cache {}: {e}", dir.display())))?;
        Ok(Cache {
            dir,
            fingerprint: extractor.config().fingerprint(),
        })
    }

    /// The default folder: `$SER_CACHE_DIR`, else `$XDG_CACHE_HOME/ser-adaptive/features`,
    /// else `~/.cache/ser-adaptive/features`.
    pub(crate) fn default_dir() -> Option<PathBuf> {
        if let Some(d) = std::env::var_os("SER_CACHE_DIR") {
            return Some(PathBuf::from(d));
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
        Some(base.join("ser-adaptive").join("features"))
    }

    fn path(&self, item: &Item) -> Option<PathBuf> {
        let key = match item {
            Item::File(f) => fnv128(&[self.fingerprint.as_bytes(), &std::fs::read(&f.path).ok()?]),
            Item::Demo(u) => {
                let samples: Vec<u8> = u.samples.iter().flat_map(|v| v.to_le_bytes()).collect();
                fnv128(&[
                    self.fingerprint.as_bytes(),
                    &u.sample_rate.to_le_bytes(),
                    &samples,
                ])
            }
        };
        Some(self.dir.join(format!("{key:032x}.feat")))
    }

    fn get(path: &std::path::Path, dim: usize) -> Option<Extracted> {
        let bytes = std::fs::read(path).ok()?;
        let (body, crc) = bytes.split_at_checked(bytes.len().checked_sub(4)?)?;
        if ser_adaptive::quant::crc32(body).to_le_bytes() != crc || body.len() != 9 + 8 + 4 * dim {
            return None;
        }
        let tuning =
            (body[0] == 1).then(|| f64::from_le_bytes(body[1..9].try_into().unwrap_or([0; 8])));
        let vector: Vec<f32> = body[9..]
            .chunks_exact(4)
            .skip(2)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Some(Extracted { vector, tuning })
    }

    fn put(path: &std::path::Path, x: &Extracted) {
        let mut bytes = vec![u8::from(x.tuning.is_some())];
        bytes.extend_from_slice(&x.tuning.unwrap_or(0.0).to_le_bytes());
        bytes.extend_from_slice(&(x.vector.len() as u64).to_le_bytes());
        for v in &x.vector {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        let crc = ser_adaptive::quant::crc32(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        // Beside the entry, then renamed: readers see a whole entry or none.
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        if std::fs::write(&tmp, &bytes).is_ok() && std::fs::rename(&tmp, path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

/// Extracts every item in parallel, with a progress bar on stderr unless `quiet`. Failures are
/// reported on stderr with their path and reason; the successes are returned in order, with
/// the number that failed.
pub(crate) fn extract_all<'a>(
    items: &'a [Item],
    extractor: &FeatureExtractor,
    pool: &rayon::ThreadPool,
    quiet: bool,
) -> (Vec<(&'a Item, Extracted)>, usize) {
    let (rows, failed, _) = extract_cached(items, extractor, pool, quiet, None);
    (rows, failed)
}

/// [`extract_all`] through a cache (when given): also returns how many came from it.
pub(crate) fn extract_cached<'a>(
    items: &'a [Item],
    extractor: &FeatureExtractor,
    pool: &rayon::ThreadPool,
    quiet: bool,
    cache: Option<&Cache>,
) -> (Vec<(&'a Item, Extracted)>, usize, usize) {
    let hits = std::sync::atomic::AtomicUsize::new(0);
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(items.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files, {elapsed} elapsed, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let results: Vec<Result<Extracted, String>> = pool.install(|| {
        items
            .par_iter()
            .map(|item| {
                let entry = cache.and_then(|c| c.path(item));
                if let Some(hit) = entry
                    .as_deref()
                    .and_then(|p| Cache::get(p, extractor.dim()))
                {
                    hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    bar.inc(1);
                    return Ok(hit);
                }
                let result = match item {
                    Item::File(f) => extractor
                        .extract_file(&f.path)
                        .map(|x| Extracted {
                            vector: x.vector,
                            tuning: x.tuning,
                        })
                        .map_err(|e| e.to_string()),
                    Item::Demo(u) => {
                        let mut vector = vec![0.0; extractor.dim()];
                        extractor
                            .extract_into(&u.samples, u.sample_rate, &mut vector)
                            .map(|tuning| Extracted { vector, tuning })
                            .map_err(|e| format!("{}: {e}", item.name()))
                    }
                };
                if let (Ok(x), Some(p)) = (&result, &entry) {
                    Cache::put(p, x);
                }
                bar.inc(1);
                result
            })
            .collect()
    });
    bar.finish_and_clear();
    let mut rows = Vec::new();
    let mut failed = 0;
    for (item, result) in items.iter().zip(results) {
        match result {
            Ok(x) => rows.push((item, x)),
            Err(message) => {
                failed += 1;
                eprintln!("error: {message}");
            }
        }
    }
    (rows, failed, hits.into_inner())
}

/// The labelled dataset of extracted rows; a row without a label is an error (`kind` names the
/// corpus naming the data was read with).
pub(crate) fn labelled_dataset(
    rows: &[(&Item, Extracted)],
    extractor: &FeatureExtractor,
    kind: &str,
) -> Result<Dataset, CliError> {
    let unlabelled = rows.iter().filter(|(i, _)| i.label().is_none()).count();
    if unlabelled > 0 {
        return Err(CliError(format!(
            "{unlabelled} file(s) have no label: choose a corpus naming with --corpus (this data was read as `{kind}`)"
        )));
    }
    let x = Array2::from_shape_vec(
        (rows.len(), extractor.dim()),
        rows.iter()
            .flat_map(|(_, e)| e.vector.iter().copied())
            .collect(),
    )?;
    let labels: Vec<String> = rows
        .iter()
        .map(|(i, _)| i.label().unwrap_or("").to_string())
        .collect();
    Ok(Dataset::from_rows(
        x,
        &labels,
        rows.iter()
            .map(|(i, _)| i.speaker().map(str::to_string))
            .collect(),
        rows.iter().map(|(i, _)| i.name()).collect(),
        extractor.feature_names(),
    )?)
}
