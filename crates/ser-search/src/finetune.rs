//! Quantization-aware fine-tuning of a searched model.

use ser_mlp::{Distillation, Labelled, Mlp, StopOn, TrainConfig, fine_tune, fine_tune_distilled};
use ser_quant::{Precision, QuantOptions};

use crate::error::{Result, SearchError};
use crate::search::quantized_accuracy;

/// Settings of quantization-aware fine-tuning.
#[derive(Debug, Clone, PartialEq)]
pub struct FinetuneConfig {
    /// Most epochs. Default 30.
    pub max_epochs: usize,
    /// Adam's learning rate: a tenth of training's. Default 1e-4.
    pub learning_rate: f32,
    /// Epochs without a better validation loss before stopping. Default 5.
    pub patience: usize,
    /// Mini-batch size. Default 32.
    pub batch_size: usize,
    /// Seed of the shuffling and dropout. Default 0.
    pub seed: u64,
    /// Quantizer options (as in the search).
    pub quant: QuantOptions,
    /// Distil the f32 network's outputs into the quantized one; `None` is plain
    /// cross-entropy. Default: none.
    pub distillation: Option<Distillation>,
    /// Start the latent weights from the quantized model's values (GPTQ's codes, when the
    /// run quantizes by GPTQ, dequantized) rather than from the f32 weights, so that
    /// training begins where post-training quantization ended. Used by `ser_experiment::run_seed`;
    /// [`finetune_quantized_from`] takes its start directly. Default: false.
    pub from_quantized: bool,
}

impl Default for FinetuneConfig {
    fn default() -> Self {
        FinetuneConfig {
            max_epochs: 30,
            learning_rate: 1e-4,
            patience: 5,
            batch_size: 32,
            seed: 0,
            quant: QuantOptions::default(),
            distillation: None,
            from_quantized: false,
        }
    }
}

impl FinetuneConfig {
    /// Refuses settings that cannot train: no epochs, a learning rate that is not a finite
    /// positive number, an empty batch.
    pub fn validate(&self) -> Result<()> {
        if self.max_epochs == 0 {
            return Err(SearchError::Config(
                "fine-tuning needs at least 1 epoch".into(),
            ));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(SearchError::Config(format!(
                "the fine-tuning learning rate must be a finite number > 0, got {}",
                self.learning_rate
            )));
        }
        if self.batch_size == 0 {
            return Err(SearchError::Config(
                "the fine-tuning batch size must be at least 1".into(),
            ));
        }
        if let Some(d) = &self.distillation {
            d.validate()?;
        }
        Ok(())
    }
}

/// What fine-tuning gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Finetuned {
    /// The latent f32 weights; quantize them at the same widths for the model to keep.
    pub mlp: Mlp,
    /// Validation accuracy (percent) of the quantized model before fine-tuning.
    pub accuracy_before: f64,
    /// Validation accuracy (percent) of the quantized model kept.
    pub accuracy: f64,
    /// Epochs run.
    pub epochs: usize,
    /// Whether the fine-tuned weights were kept (false: they did worse on the validation rows
    /// than the starting point, which is returned instead).
    pub improved: bool,
}

/// Quantization-aware fine-tuning of `mlp` at `precisions`: training continues on `train` with
/// the forward and backward passes through the quantized weights and the gradients applied to
/// the f32 ones (straight-through estimator), early stopping on `validation` loss. The result
/// is never worse than the start on `validation` accuracy: if fine-tuning does not help, the
/// starting network is returned.
pub fn finetune_quantized(
    mlp: &Mlp,
    precisions: &[Precision],
    train: Labelled<'_>,
    validation: Labelled<'_>,
    config: &FinetuneConfig,
) -> Result<Finetuned> {
    finetune_quantized_from(mlp, mlp, precisions, train, validation, config)
}

/// [`finetune_quantized`] from the latent weights `start`, with `teacher` (the f32 network
/// `start` was quantized from) as the teacher of [`FinetuneConfig::distillation`]. The
/// result is never worse than `start` on `validation` accuracy. A teacher of another shape
/// than `start` is an error.
///
/// ```
/// use ndarray::Array2;
/// use ser_mlp::{Labelled, TrainConfig, fit};
/// use ser_quant::{BitWidth, Precision, QuantOptions};
/// use ser_search::{FinetuneConfig, finetune_quantized_from};
///
/// let x = Array2::from_shape_fn((60, 4), |(i, j)| if (i % 2 == 0) == (j % 2 == 0) { 1.0 } else { -1.0 } + (i * j % 3) as f32 * 0.1);
/// let y: Vec<usize> = (0..60).map(|i| i % 2).collect();
/// let rows = Labelled { x: x.view(), y: &y };
/// let config = TrainConfig { hidden: vec![8], max_epochs: 30, seed: 3, ..TrainConfig::default() };
/// let (teacher, _) = fit(&config, rows, None, 2)?;
/// let one = Precision::Bits(BitWidth::new(1)?);
/// // Start from the binarised weights themselves.
/// let start = teacher.fake_quantized(&[one, one], QuantOptions::default())?;
/// let tuned = finetune_quantized_from(&start, &teacher, &[one, one], rows, rows, &FinetuneConfig::default())?;
/// assert!(tuned.accuracy >= tuned.accuracy_before);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn finetune_quantized_from(
    start: &Mlp,
    teacher: &Mlp,
    precisions: &[Precision],
    train: Labelled<'_>,
    validation: Labelled<'_>,
    config: &FinetuneConfig,
) -> Result<Finetuned> {
    let shapes =
        |m: &Mlp| -> Vec<(usize, usize)> { m.layers().iter().map(|l| l.weights.dim()).collect() };
    if shapes(start) != shapes(teacher) {
        return Err(SearchError::Config(format!(
            "the teacher has layers {:?}, the network fine-tuned {:?}",
            shapes(teacher),
            shapes(start)
        )));
    }
    let mlp = start;
    let quant = config.quant;
    let view = |m: &Mlp| m.fake_quantized(precisions, quant);
    let before = quantized_accuracy(mlp, precisions, quant, validation)?;
    let train_config = TrainConfig {
        hidden: Vec::new(),
        dropout: mlp.dropout(),
        learning_rate: config.learning_rate,
        batch_size: config.batch_size,
        max_epochs: config.max_epochs,
        early_stopping: true,
        patience: config.patience,
        // Fine-tuning keeps its own recipe: the validation loss, no L2 (the latent weights
        // start from the trained model's, which the penalty would pull away).
        stop_on: StopOn::Loss,
        weight_decay: 0.0,
        seed: config.seed,
        ..TrainConfig::default()
    };
    let (tuned, history) = match &config.distillation {
        None => fine_tune(
            mlp,
            &train_config,
            train,
            Some(validation),
            &view,
            &mut |_| {},
        )?,
        Some(d) => {
            let teacher = teacher.logits(train.x)?;
            fine_tune_distilled(
                mlp,
                &train_config,
                train,
                teacher.view(),
                d,
                Some(validation),
                &view,
                &mut |_| {},
            )?
        }
    };
    let after = quantized_accuracy(&tuned, precisions, quant, validation)?;
    let improved = after >= before;
    Ok(Finetuned {
        mlp: if improved { tuned } else { mlp.clone() },
        accuracy_before: before,
        accuracy: if improved { after } else { before },
        epochs: history.epochs.len(),
        improved,
    })
}
