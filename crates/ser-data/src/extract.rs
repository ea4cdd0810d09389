//! From a corpus to labelled feature rows: the one path every caller takes (through the feature
//! cache when given, over all cores with the `parallel` feature).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::Array2;
use ser_features::{FeatureError, FeatureExtractor};

use crate::cache::FeatureCache;
use crate::corpus::{CorpusListing, LabelledFile};
use crate::csv::FeatureRow;
use crate::dataset::Dataset;
use crate::demo::{DemoConfig, DemoCorpus, DemoUtterance};
use crate::error::{DataError, Result};

/// One thing to extract: a file of a corpus listing, or an utterance of the demo corpus.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// An audio file.
    File(LabelledFile),
    /// A synthetic utterance, in memory.
    Demo(DemoUtterance),
}

impl Source {
    /// Every file of a listing.
    pub fn files(listing: CorpusListing) -> Vec<Source> {
        listing.files.into_iter().map(Source::File).collect()
    }

    /// Every utterance of the demo corpus `config` describes.
    pub fn demo(config: DemoConfig) -> Vec<Source> {
        DemoCorpus::new(config)
            .utterances()
            .into_iter()
            .map(Source::Demo)
            .collect()
    }

    /// The name its row gets: the file's path, or `demo:NAME`.
    pub fn name(&self) -> String {
        match self {
            // Lossless for listings, which keep only UTF-8 paths; a source made by hand from
            // another path gets U+FFFD in its name.
            Source::File(f) => f.path.to_string_lossy().into_owned(),
            Source::Demo(u) => format!("demo:{}", u.name),
        }
    }

    /// The emotion label, when known.
    pub fn label(&self) -> Option<&str> {
        match self {
            Source::File(f) => f.label.as_deref(),
            Source::Demo(u) => Some(&u.label),
        }
    }

    /// The speaker, when known.
    pub fn speaker(&self) -> Option<&str> {
        match self {
            Source::File(f) => f.speaker.as_deref(),
            Source::Demo(u) => Some(&u.speaker),
        }
    }

    fn extract(
        &self,
        extractor: &FeatureExtractor,
    ) -> std::result::Result<Extracted, FeatureError> {
        match self {
            Source::File(f) => extractor.extract_file(&f.path).map(|x| Extracted {
                vector: x.vector,
                tuning: x.tuning,
                sample_rate: x.sample_rate,
            }),
            Source::Demo(u) => {
                let mut vector = vec![0.0; extractor.dim()];
                extractor
                    .extract_into(&u.samples, u.sample_rate, &mut vector)
                    .map(|tuning| Extracted {
                        vector,
                        tuning,
                        sample_rate: extractor.config().sample_rate.unwrap_or(u.sample_rate),
                    })
                    .map_err(|e| e.in_file(Path::new(&self.name())))
            }
        }
    }
}

/// The features of one source and the chroma tuning they were made with.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    /// The pooled feature vector.
    pub vector: Vec<f32>,
    /// The chroma tuning used (`None` without chroma).
    pub tuning: Option<f64>,
    /// The rate the features were computed at (the source's own rate, or the configuration's
    /// when it resamples).
    pub sample_rate: u32,
}

/// What [`extract`] made of a list of sources, in their order.
#[derive(Debug)]
pub struct Extraction {
    /// The sources that gave features, with them.
    pub rows: Vec<(Source, Extracted)>,
    /// The sources that failed, with why (the error names the file).
    pub failures: Vec<(Source, FeatureError)>,
    /// How many rows came from the cache.
    pub cache_hits: usize,
    /// The names of the feature columns.
    pub feature_names: Vec<String>,
}

/// Extracts every source (in parallel with the `parallel` feature, in the caller's rayon pool),
/// through `cache` when given; `progress` is called once per source as it finishes. A failed
/// source is kept in [`Extraction::failures`], and the others go on.
///
/// ```
/// use ser_data::{Source, demo::DemoConfig, extract};
/// use ser_features::{FeatureConfig, FeatureExtractor};
///
/// let sources = Source::demo(DemoConfig { speakers: 2, utterances_per_emotion: 1, ..DemoConfig::default() });
/// let extractor = FeatureExtractor::new(FeatureConfig::default())?;
/// let extraction = extract(sources, &extractor, None, &|| {});
/// assert!(extraction.failures.is_empty());
/// let data = extraction.into_dataset()?;
/// assert_eq!(data.x.dim(), (14, 180));
/// assert_eq!(data.classes.len(), 7);
/// # Ok::<(), ser_data::DataError>(())
/// ```
pub fn extract(
    sources: Vec<Source>,
    extractor: &FeatureExtractor,
    cache: Option<&FeatureCache>,
    progress: &(dyn Fn() + Sync),
) -> Extraction {
    let hits = AtomicUsize::new(0);
    let one = |source: &Source| {
        let entry = cache.and_then(|c| c.entry(source));
        if let Some(hit) = entry.as_ref().and_then(|e| e.get(extractor.dim())) {
            hits.fetch_add(1, Ordering::Relaxed);
            progress();
            return Ok(hit);
        }
        let result = source.extract(extractor);
        if let (Ok(x), Some(e)) = (&result, &entry) {
            e.put(x);
        }
        progress();
        result
    };
    #[cfg(feature = "parallel")]
    let results: Vec<_> = {
        use rayon::prelude::*;
        sources.par_iter().map(one).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let results: Vec<_> = sources.iter().map(one).collect();
    let mut extraction = Extraction {
        rows: Vec::new(),
        failures: Vec::new(),
        cache_hits: hits.into_inner(),
        feature_names: extractor.feature_names(),
    };
    for (source, result) in sources.into_iter().zip(results) {
        match result {
            Ok(x) => extraction.rows.push((source, x)),
            Err(e) => extraction.failures.push((source, e)),
        }
    }
    extraction
}

impl Extraction {
    /// The rows as a labelled [`Dataset`]; a row without a label is an error (choose a corpus
    /// naming that gives labels), and so is having no row at all.
    pub fn into_dataset(self) -> Result<Dataset> {
        let unlabelled: Vec<&Source> = self
            .rows
            .iter()
            .map(|(s, _)| s)
            .filter(|s| s.label().is_none())
            .collect();
        if let Some(first) = unlabelled.first() {
            return Err(DataError::Table(format!(
                "{} file(s) have no label ({} is one): training and evaluation need a corpus \
                 naming that gives labels",
                unlabelled.len(),
                first.name()
            )));
        }
        if self.rows.is_empty() {
            return Err(DataError::Table(format!(
                "no file could be read ({} failed)",
                self.failures.len()
            )));
        }
        let x = Array2::from_shape_vec(
            (self.rows.len(), self.feature_names.len()),
            self.rows
                .iter()
                .flat_map(|(_, e)| e.vector.iter().copied())
                .collect(),
        )
        .map_err(|e| DataError::Table(e.to_string()))?;
        let labels: Vec<String> = self
            .rows
            .iter()
            .map(|(s, _)| s.label().unwrap_or_default().to_string())
            .collect();
        let sample_rates = self.sample_rates();
        let mut data = Dataset::from_rows(
            x,
            &labels,
            self.rows
                .iter()
                .map(|(s, _)| s.speaker().map(str::to_string))
                .collect(),
            self.rows.iter().map(|(s, _)| s.name()).collect(),
            self.feature_names,
        )?;
        data.sample_rates = sample_rates;
        Ok(data)
    }

    /// The distinct rates the rows' features were computed at, ascending.
    pub fn sample_rates(&self) -> Vec<u32> {
        let rates: std::collections::BTreeSet<u32> =
            self.rows.iter().map(|(_, x)| x.sample_rate).collect();
        rates.into_iter().collect()
    }

    /// Writes the index of an npy table ([`crate::write_npy`] of the same rows): the header
    /// `row,path,label,speaker,tuning`, then one line per row.
    pub fn write_index_csv(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        use crate::csv::field;
        writeln!(w, "row,path,label,speaker,tuning")?;
        for (i, (source, x)) in self.rows.iter().enumerate() {
            writeln!(
                w,
                "{i},{},{},{},{}",
                field(&source.name()),
                field(source.label().unwrap_or("")),
                field(source.speaker().unwrap_or("")),
                x.tuning.map_or(String::new(), |t| t.to_string())
            )?;
        }
        Ok(())
    }

    /// Writes the rows as a features table ([`crate::csv::write_features`]), with a `tuning`
    /// column when `with_tuning`.
    pub fn write_csv(&self, w: &mut dyn std::io::Write, with_tuning: bool) -> std::io::Result<()> {
        let names: Vec<String> = self.rows.iter().map(|(s, _)| s.name()).collect();
        let rows = self
            .rows
            .iter()
            .zip(&names)
            .map(|((s, x), name)| FeatureRow {
                path: name,
                label: s.label(),
                speaker: s.speaker(),
                values: &x.vector,
                tuning: x.tuning,
            });
        #[cfg(not(feature = "parallel"))]
        return crate::csv::write_features(w, &self.feature_names, with_tuning, rows);
        // Formatting the values costs more than the extraction's last few files: rows are
        // formatted in parallel, a block at a time (bounded memory), and written in order.
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            crate::csv::write_header(w, &self.feature_names, with_tuning)?;
            let rows: Vec<_> = rows.collect();
            for block in rows.chunks(1024) {
                let lines: Vec<String> = block
                    .par_chunks(64)
                    .map(|chunk| {
                        let mut text = String::new();
                        for row in chunk {
                            crate::csv::format_row(row, with_tuning, &mut text);
                        }
                        text
                    })
                    .collect();
                for text in &lines {
                    w.write_all(text.as_bytes())?;
                }
            }
            Ok(())
        }
    }
}
