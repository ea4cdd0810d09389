//! The whole method from the library API, step by step, on the built-in demo corpus:
//! features, split, the f32 baseline, the adaptive bit-width search on validation rows,
//! quantization-aware fine-tuning, the packed model and its test accuracy and size. Then the
//! same in one call, `run_seed`, which `ser run` makes for every seed.
//!
//! ```text
//! cargo run --release --example pipeline
//! ```

use ser_adaptive::mlp::{accuracy_percent, stratified_split};
use ser_adaptive::prelude::*;

fn main() -> Result<()> {
    // 1. Features of 210 synthetic utterances (6 speakers, 7 emotions).
    let extractor = FeatureExtractor::new(FeatureConfig::default())?;
    let data = ser_examples::demo_dataset(&extractor, 6, 5)?;
    println!("{} utterances, classes {:?}", data.len(), data.classes);

    // 2. A stratified 90/10 split; 10 % of the training rows are kept for validation
    //    (early stopping, and the search) by `train_model`.
    let seed = 3;
    let split = stratified_split(&data.labels, 0.1, seed)?;
    let config = TrainConfig {
        seed,
        ..TrainConfig::default()
    };
    let trained = train_model(
        &data,
        &split.train,
        &config,
        extractor.config(),
        &mut |_| {},
    )?;
    let model = &trained.model;
    println!(
        "baseline: {} parameters, {} epochs",
        model.mlp.n_params(),
        trained.history.epochs.len()
    );

    // Rows as the network takes them: standardised with the training statistics.
    let rows = |r: &[usize]| -> Result<(ndarray::Array2<f32>, Vec<usize>)> {
        let part = data.subset(r);
        Ok((model.standardizer.transform(part.x.view())?, part.labels))
    };
    let (xv, yv) = rows(&trained.validation_rows)?;
    let (xt, yt) = rows(&trained.train_rows)?;
    let (xs, ys) = rows(&split.test)?;
    let validation = Labelled {
        x: xv.view(),
        y: &yv,
    };
    let test = Labelled {
        x: xs.view(),
        y: &ys,
    };

    // 3. The poster's search, on validation rows only.
    let search = adaptive_search(&model.mlp, validation, &SearchConfig::default())?;
    let widths: Vec<u8> = search.precisions.iter().map(|p| p.bits()).collect();
    println!(
        "search: widths {widths:?} ({:.2} average bits), validation {:.1} % -> {:.1} %, {} trials",
        search.average_bits,
        search.baseline_accuracy,
        search.accuracy,
        search.trials.len()
    );

    // 4. Quantization-aware fine-tuning at those widths.
    let tuned = finetune_quantized(
        &model.mlp,
        &search.precisions,
        Labelled {
            x: xt.view(),
            y: &yt,
        },
        validation,
        &FinetuneConfig {
            seed,
            ..FinetuneConfig::default()
        },
    )?;
    println!(
        "fine-tuning: {} epochs, validation {:.1} % -> {:.1} %",
        tuned.epochs, tuned.accuracy_before, tuned.accuracy
    );

    // 5. The packed model: what ships. Test accuracy from its codes, and its size.
    let final_model = Model {
        mlp: tuned.mlp,
        ..model.clone()
    };
    let packed = final_model.quantize(&search.precisions, QuantOptions::default())?;
    let mut scratch = Scratch::default();
    let test_raw = data.subset(&split.test);
    let mut correct = 0;
    for (i, row) in test_raw.x.rows().into_iter().enumerate() {
        let features: Vec<f32> = row.to_vec();
        correct += usize::from(packed.predict(&features, &mut scratch)? == test_raw.labels[i]);
    }
    let bytes = packed.to_bytes()?;
    println!(
        "test: f32 {:.1} %, packed {:.1} %; {} bytes against {} in f32",
        accuracy_percent(&model.mlp, &test)?,
        100.0 * correct as f64 / test_raw.len() as f64,
        bytes.len(),
        model.to_bytes()?.len()
    );

    // 6. All of the above in one call, as `ser run` does for each seed.
    let run = run_seed(
        &data,
        extractor.config(),
        seed,
        &RunConfig {
            finetune: Some(FinetuneConfig::default()),
            ..RunConfig::default()
        },
    )?;
    println!(
        "run_seed: baseline {:.1} %, adaptive {:.1} % at {:.2} bits, fine-tuned {:.1} %",
        run.baseline.accuracy,
        run.adaptive.accuracy,
        run.adaptive.average_bits,
        run.adaptive_finetuned
            .as_ref()
            .map_or(f64::NAN, |e| e.accuracy)
    );
    Ok(())
}
