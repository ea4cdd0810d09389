//! The whole method from the library API, step by step, on the built-in demo corpus:
//! features, split, the f32 baseline, the adaptive bit-width search on validation rows,
//! quantization-aware fine-tuning, the packed model and its test accuracy and size. Then the
//! same in one call, `run_seed`, which `ser run` makes for every seed.
//!
//! ```text
//! cargo run --release --example pipeline
//! ```

use ser_adaptive::data::stratified_split;
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
    // The f32 network itself: what the search and fine-tuning work on.
    let mlp = model.mlp().ok_or_else(|| {
        ser_adaptive::model::ModelError::Mismatch("train_model makes f32 models".into())
    })?;
    println!(
        "baseline: {} parameters, {} epochs",
        mlp.n_params(),
        trained.history.epochs.len()
    );

    // Rows as the network takes them: standardised with the training statistics.
    let rows = |r: &[usize]| -> Result<(ndarray::Array2<f32>, Vec<usize>)> {
        let part = data.subset(r);
        Ok((model.standardizer.transform(part.x.view())?, part.labels))
    };
    let (xv, yv) = rows(&trained.validation_rows)?;
    let (xt, yt) = rows(&trained.train_rows)?;
    let validation = Labelled {
        x: xv.view(),
        y: &yv,
    };

    // 3. The poster's search, on validation rows only.
    let search = adaptive_search(mlp, validation, &SearchConfig::default())?;
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
        mlp,
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

    // 5. The packed model: what ships. Test accuracy from its codes (raw feature rows in:
    //    a model standardises them itself), and its size.
    let packed = model.with_mlp(tuned.mlp)?.quantize_with(
        &search.precisions,
        QuantOptions::default(),
        None,
    )?;
    let test = data.subset(&split.test);
    println!(
        "test: f32 {:.1} %, packed {:.1} %; {} bytes against {} in f32",
        100.0 * model.metrics(test.x.view(), &test.labels)?.accuracy,
        100.0 * packed.metrics(test.x.view(), &test.labels)?.accuracy,
        packed.to_bytes()?.len(),
        model.to_bytes()?.len()
    );

    // 6. All of the above in one call, as `ser run` does for each seed.
    in_one_call(&data, extractor.config(), seed)
}

/// [`run_seed`]: split, baseline, fixed widths, search and fine-tuning, tested as packed models.
fn in_one_call(data: &Dataset, features: &FeatureConfig, seed: u64) -> Result<()> {
    let run = run_seed(
        data,
        features,
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
