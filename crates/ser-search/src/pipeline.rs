//! The whole method for one seed: split, train the f32 baseline, the fixed-width sweep, the
//! adaptive search, optional fine-tuning, each evaluated on the test rows as packed models.

use std::time::Instant;

use ndarray::Array2;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use ser_features::FeatureConfig;
use ser_mlp::{
    Dataset, Labelled, Model, TrainConfig, classification_metrics, stratified_kfold,
    stratified_split, train_model,
};
use ser_quant::{BitWidth, PackedModel, Precision, Scratch};
use serde::Serialize;

use crate::{
    FinetuneConfig, Member, Pool, Result, SearchConfig, SearchError, finetune_quantized,
    pareto_front, search_in,
};

/// How the test rows are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SplitKind {
    /// A stratified random share of the rows (METHOD.md's 90/10).
    #[default]
    Random,
    /// Speaker-independent: a seeded random share of the speakers (at least one) is the test
    /// set, so no test speaker is heard in training.
    Speaker,
    /// Leave one speaker out: seed `s` tests on the `s mod n`-th speaker (sorted by name), so
    /// seeds `0..n` are the field's leave-one-speaker-out folds, each speaker once.
    LeaveOneSpeakerOut,
}

/// Settings of [`run_seed`].
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// Training of the f32 baseline (its seed is replaced by the run's).
    pub train: TrainConfig,
    /// The adaptive search.
    pub search: SearchConfig,
    /// Fine-tuning after the search, when wanted (its seed is replaced by the run's).
    pub finetune: Option<FinetuneConfig>,
    /// Random or speaker-independent test rows.
    pub split: SplitKind,
    /// Test share of the rows (random) or of the speakers (speaker). Default 0.1.
    pub test_fraction: f64,
    /// `k` for a cross-validated search (0: off, the poster's single validation split).
    /// With `k >= 2` the non-test rows are dealt into `k` stratified folds, the baseline recipe
    /// is trained once per fold on the other folds, and the search pools the accuracy of the
    /// model it quantizes (on its validation rows) and of the `k` fold models (each on its
    /// fold): [`crate::adaptive_search_pooled`]. Costs `k` more trainings per seed.
    pub validation_folds: usize,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            train: TrainConfig::default(),
            search: SearchConfig::default(),
            finetune: None,
            split: SplitKind::Random,
            test_fraction: 0.1,
            validation_folds: 0,
        }
    }
}

/// One model evaluated on the test rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluated {
    /// Test accuracy (WA), percent.
    pub accuracy: f64,
    /// Unweighted average recall, percent.
    pub ua: f64,
    /// The poster's size: `params x bits / 8 / 1000`.
    pub size_kb: f64,
    /// Bytes of the model file (`ser train`'s for f32, `ser quantize`'s packed file otherwise).
    pub bytes: usize,
    /// The width of each layer (32 for f32).
    pub bits_per_layer: Vec<u8>,
    /// Parameter-weighted mean width.
    pub average_bits: f64,
}

/// Everything one seed produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedRun {
    /// The seed (split, initialisation, shuffling, dropout).
    pub seed: u64,
    /// The f32 model.
    pub baseline: Evaluated,
    /// Every layer at 1..=8 bits, in that order.
    pub fixed: Vec<Evaluated>,
    /// The adaptive search's model.
    pub adaptive: Evaluated,
    /// The adaptive model after fine-tuning, when run.
    pub adaptive_finetuned: Option<Evaluated>,
    /// Validation accuracy (percent) of the baseline, and of the adaptive model.
    pub validation_accuracy: [f64; 2],
    /// Each layer's score (the poster's importance unless another was chosen).
    pub importance: Vec<f64>,
    /// The order the search decided the layers in.
    pub search_order: Vec<usize>,
    /// Seconds the adaptive search took (scoring, every trial, the choice).
    pub search_seconds: f64,
    /// Seconds spent training the fold models of a cross-validated search (0 without).
    pub folds_seconds: f64,
    /// Epochs the baseline trained.
    pub epochs: usize,
    /// Rows trained on, validated on, tested on.
    pub rows: [usize; 3],
    /// The Pareto front of (average bits, search accuracy in percent) over everything tried:
    /// the f32 baseline, every fixed width and every trial of the search, judged on the
    /// search's (validation) rows, sorted by bits.
    pub pareto: Vec<[f64; 2]>,
    /// Rows the search's accuracy was pooled over (the validation rows, plus every non-test
    /// row once with cross-validated search).
    pub search_rows: usize,
}

/// Test metrics of a packed model: WA and UA in percent.
fn evaluate_packed(packed: &PackedModel, data: &Dataset, rows: &[usize]) -> Result<(f64, f64)> {
    let mut scratch = Scratch::default();
    let mut predicted = Vec::with_capacity(rows.len());
    for &r in rows {
        let row = data.x.row(r).to_vec();
        predicted.push(
            packed
                .predict(&row, &mut scratch)
                .map_err(|e| SearchError::Config(format!("test row {r}: {e}")))?,
        );
    }
    let truth: Vec<usize> = rows.iter().map(|&r| data.labels[r]).collect();
    let m = classification_metrics(&truth, &predicted, data.classes.len())?;
    Ok((100.0 * m.accuracy, 100.0 * m.ua))
}

fn widths(p: &[Precision]) -> Vec<u8> {
    p.iter().map(|p| p.bits()).collect()
}

/// The test and train rows of a split.
fn split_rows(
    data: &Dataset,
    kind: SplitKind,
    fraction: f64,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>)> {
    match kind {
        SplitKind::Random => {
            let s = stratified_split(&data.labels, fraction, seed)?;
            Ok((s.train, s.test))
        }
        SplitKind::Speaker | SplitKind::LeaveOneSpeakerOut => {
            if let Some(r) = data.speakers.iter().position(Option::is_none) {
                return Err(SearchError::Config(format!(
                    "a speaker-independent split needs every row's speaker; {} has none",
                    data.paths.get(r).map_or("a row", String::as_str)
                )));
            }
            let mut speakers: Vec<&str> =
                data.speakers.iter().flatten().map(String::as_str).collect();
            speakers.sort_unstable();
            speakers.dedup();
            if speakers.len() < 2 {
                return Err(SearchError::Config(
                    "a speaker-independent split needs at least two speakers".into(),
                ));
            }
            let test_speakers = if kind == SplitKind::LeaveOneSpeakerOut {
                let i = (seed % speakers.len() as u64) as usize;
                &speakers[i..=i]
            } else {
                speakers.shuffle(&mut ChaCha8Rng::seed_from_u64(seed ^ 0x5EA4_E125));
                let n_test = ((speakers.len() as f64 * fraction).ceil() as usize)
                    .clamp(1, speakers.len() - 1);
                &speakers[..n_test]
            };
            let (mut train, mut test) = (Vec::new(), Vec::new());
            for (i, s) in data.speakers.iter().enumerate() {
                if s.as_deref().is_some_and(|s| test_speakers.contains(&s)) {
                    test.push(i);
                } else {
                    train.push(i);
                }
            }
            Ok((train, test))
        }
    }
}

/// Runs the method once: split (by `seed`), train the f32 baseline with early stopping on a
/// validation share of the training rows, evaluate every fixed width and the adaptive search's
/// model (searched on the validation rows) on the test rows, each as the packed model
/// `ser quantize` would write, and optionally fine-tune the adaptive model.
pub fn run_seed(
    data: &Dataset,
    features: &FeatureConfig,
    seed: u64,
    config: &RunConfig,
) -> Result<SeedRun> {
    let (train_rows, test_rows) = split_rows(data, config.split, config.test_fraction, seed)?;
    let train_config = TrainConfig {
        seed,
        ..config.train.clone()
    };
    let trained = train_model(data, &train_rows, &train_config, features, &mut |_| {})?;
    let model: &Model = &trained.model;
    let n = model.mlp.layers().len();
    let quant = config.search.quant;
    let packed = |p: &[Precision], m: &Model| -> Result<Evaluated> {
        let pm = m.quantize(p, quant)?;
        let (accuracy, ua) = evaluate_packed(&pm, data, &test_rows)?;
        Ok(Evaluated {
            accuracy,
            ua,
            size_kb: pm.mlp.size_kb(),
            bytes: pm.to_bytes().map_err(ser_mlp::MlpError::from)?.len(),
            bits_per_layer: widths(p),
            average_bits: pm.mlp.average_bits(),
        })
    };
    let baseline = {
        let test = data.subset(&test_rows);
        let predicted = model.predict(test.x.view())?;
        let m = classification_metrics(&test.labels, &predicted, data.classes.len())?;
        Evaluated {
            accuracy: 100.0 * m.accuracy,
            ua: 100.0 * m.ua,
            size_kb: model.mlp.n_params() as f64 * 32.0 / 8000.0,
            bytes: model.to_bytes()?.len(),
            bits_per_layer: vec![32; n],
            average_bits: 32.0,
        }
    };
    let fixed = BitWidth::ALL
        .iter()
        .map(|&b| packed(&vec![Precision::Bits(b); n], model))
        .collect::<Result<Vec<_>>>()?;
    // The search and fine-tuning see standardised rows, as the network does.
    let standardised = |rows: &[usize]| -> Result<(Array2<f32>, Vec<usize>)> {
        let part = data.subset(rows);
        Ok((model.standardizer.transform(part.x.view())?, part.labels))
    };
    let (xv, yv) = standardised(&trained.validation_rows)?;
    let validation = Labelled {
        x: xv.view(),
        y: &yv,
    };
    let start = Instant::now();
    let folds = fold_members(data, &train_rows, &train_config, features, config)?;
    let folds_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    // One pool for the search and the fixed widths of the Pareto front: each member's layers
    // are quantized once per width.
    let mut pool = Pool::new(
        std::iter::once(Member {
            mlp: &model.mlp,
            rows: validation,
        })
        .chain(folds.iter().map(|(m, x, y)| Member {
            mlp: &m.mlp,
            rows: Labelled { x: x.view(), y },
        }))
        .collect(),
        quant,
    )?;
    let search = search_in(&mut pool, &config.search)?;
    let search_seconds = start.elapsed().as_secs_f64();
    let search_rows = yv.len() + folds.iter().map(|f| f.2.len()).sum::<usize>();
    let pareto = {
        let mut points = vec![(32.0, search.baseline_accuracy)];
        for &b in &BitWidth::ALL {
            points.push((
                f64::from(b.get()),
                pool.accuracy(&vec![Precision::Bits(b); n])?,
            ));
        }
        points.extend(search.trials.iter().map(|t| (t.average_bits, t.accuracy)));
        pareto_front(&points)
            .into_iter()
            .map(|(b, a)| [b, a])
            .collect()
    };
    let adaptive = packed(&search.precisions, model)?;
    let adaptive_finetuned = match &config.finetune {
        None => None,
        Some(f) => {
            let (xt, yt) = standardised(&trained.train_rows)?;
            let f = FinetuneConfig {
                seed,
                quant,
                ..f.clone()
            };
            let tuned = finetune_quantized(
                &model.mlp,
                &search.precisions,
                Labelled {
                    x: xt.view(),
                    y: &yt,
                },
                validation,
                &f,
            )?;
            let tuned_model = Model {
                mlp: tuned.mlp,
                ..model.clone()
            };
            Some(packed(&search.precisions, &tuned_model)?)
        }
    };
    Ok(SeedRun {
        seed,
        baseline,
        fixed,
        adaptive,
        adaptive_finetuned,
        validation_accuracy: [search.baseline_accuracy, search.accuracy],
        importance: search.scores,
        search_order: search.order,
        search_seconds,
        folds_seconds,
        epochs: trained.history.epochs.len(),
        rows: [
            trained.train_rows.len(),
            trained.validation_rows.len(),
            test_rows.len(),
        ],
        search_rows,
        pareto,
    })
}

/// A fold model with its held-out rows (standardised as it takes them) and their labels.
type Fold = (Model, Array2<f32>, Vec<usize>);

/// The fold models of a cross-validated search, each with its fold's rows standardised as it
/// takes them (none when `config.validation_folds` is 0).
fn fold_members(
    data: &Dataset,
    train_rows: &[usize],
    train_config: &TrainConfig,
    features: &FeatureConfig,
    config: &RunConfig,
) -> Result<Vec<Fold>> {
    let k = config.validation_folds;
    if k == 0 {
        return Ok(Vec::new());
    }
    if k == 1 {
        return Err(SearchError::Config(
            "validation folds must be 0 (off) or at least 2".into(),
        ));
    }
    let labels: Vec<usize> = train_rows.iter().map(|&r| data.labels[r]).collect();
    stratified_kfold(&labels, k, train_config.seed ^ 0xF01D)?
        .into_iter()
        .enumerate()
        .map(|(f, split)| {
            let rows = |inner: &[usize]| inner.iter().map(|&i| train_rows[i]).collect::<Vec<_>>();
            let fold_config = TrainConfig {
                seed: train_config.seed ^ ((f as u64 + 1) << 32),
                ..train_config.clone()
            };
            let trained = train_model(
                data,
                &rows(&split.train),
                &fold_config,
                features,
                &mut |_| {},
            )?;
            let held_out = data.subset(&rows(&split.test));
            let x = trained.model.standardizer.transform(held_out.x.view())?;
            Ok((trained.model, x, held_out.labels))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 12 rows, 4 speakers of 3 rows each, 2 classes.
    fn data() -> Dataset {
        let labels: Vec<String> = (0..12).map(|i| format!("c{}", i % 2)).collect();
        let speakers = (0..12).map(|i| Some(format!("s{}", i / 3))).collect();
        Dataset::from_rows(
            Array2::zeros((12, 1)),
            &labels,
            speakers,
            (0..12).map(|i| format!("{i}.wav")).collect(),
            vec!["f".into()],
        )
        .unwrap()
    }

    #[test]
    fn leave_one_speaker_out_holds_out_each_speaker_once() {
        let d = data();
        let held_out = |seed| {
            let (train, test) = split_rows(&d, SplitKind::LeaveOneSpeakerOut, 0.1, seed).unwrap();
            assert_eq!(train.len() + test.len(), 12);
            let mut who: Vec<&str> = test
                .iter()
                .map(|&r| d.speakers[r].as_deref().unwrap())
                .collect();
            who.dedup();
            assert!(
                train
                    .iter()
                    .all(|&r| d.speakers[r].as_deref() != Some(who[0]))
            );
            assert_eq!((who.len(), test.len()), (1, 3));
            who[0].to_string()
        };
        let folds: Vec<String> = (0..4).map(held_out).collect();
        assert_eq!(folds, ["s0", "s1", "s2", "s3"]);
        assert_eq!(held_out(5), "s1");
    }
}
