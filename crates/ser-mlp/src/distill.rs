//! Knowledge distillation (Hinton, Vinyals and Dean, 2015): the quantized student learns the
//! f32 teacher's softened outputs as well as the labels.
//!
//! The loss of a batch is `(1 - w) CE(labels, z) + w T^2 KL(softmax(t / T) || softmax(z / T))`
//! for student logits `z`, teacher logits `t`, weight `w` and temperature `T`. The `T^2` keeps
//! the soft term's gradient, `T (softmax(z / T) - softmax(t / T))` per row, on the scale of the
//! hard term's as `T` changes. The teacher's outputs carry what the labels do not: which wrong
//! classes are near (an angry utterance that sounds happy), which the student, with its few
//! levels per weight, loses first.

use ndarray::{Array2, ArrayView2};

use crate::error::{MlpError, Result};
use crate::network::{Mlp, cross_entropy, softmax_rows};
use crate::train::{EpochStats, History, Labelled, Passes, TrainConfig, train_loop};

/// The soft term of [`fine_tune_distilled`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Distillation {
    /// `w`, the share of the soft term in [0, 1]. Default: 0.5.
    pub weight: f32,
    /// `T`, the temperature both outputs are softened by (> 0). Default: 2.
    pub temperature: f32,
}

impl Default for Distillation {
    fn default() -> Self {
        Distillation {
            weight: 0.5,
            temperature: 2.0,
        }
    }
}

impl Distillation {
    /// Refuses a weight outside [0, 1] and a temperature that is not finite and positive.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.weight) {
            return Err(MlpError::Config {
                field: "distillation weight",
                reason: format!("must be in [0, 1], got {}", self.weight),
            });
        }
        if !(self.temperature > 0.0 && self.temperature.is_finite()) {
            return Err(MlpError::Config {
                field: "distillation temperature",
                reason: format!("must be finite and > 0, got {}", self.temperature),
            });
        }
        Ok(())
    }
}

/// [`crate::fine_tune`] with the teacher's `teacher_logits` (one row per training row, in
/// `train`'s order; say `teacher.logits(train.x)`) distilled into the student as
/// [`Distillation`] says. Early stopping still watches the validation rows' cross-entropy or
/// accuracy, as `config` says.
///
/// ```
/// use ndarray::Array2;
/// use ser_mlp::{Distillation, Labelled, Mlp, TrainConfig, fine_tune_distilled};
///
/// let x = Array2::from_shape_fn((40, 2), |(i, j)| if (i % 2 == 0) == (j == 0) { 1.0 } else { -1.0 });
/// let y: Vec<usize> = (0..40).map(|i| i % 2).collect();
/// let config = TrainConfig { hidden: vec![8], learning_rate: 0.01, max_epochs: 30, ..TrainConfig::default() };
/// let (teacher, _) = ser_mlp::fit(&config, Labelled { x: x.view(), y: &y }, None, 2)?;
/// let logits = teacher.logits(x.view())?;
/// let round = |m: &Mlp| -> ser_mlp::Result<Mlp> {
///     let mut q = m.clone();
///     for layer in q.layers_mut() {
///         layer.weights.mapv_inplace(|w| (w * 4.0).round() / 4.0);
///     }
///     Ok(q)
/// };
/// let train = Labelled { x: x.view(), y: &y };
/// let (latent, _) = fine_tune_distilled(&teacher, &config, train, logits.view(), &Distillation::default(), None, &round, &mut |_| {})?;
/// assert_eq!(round(&latent)?.predict(x.view())?, y);
/// # Ok::<(), ser_mlp::MlpError>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn fine_tune_distilled(
    mlp: &Mlp,
    config: &TrainConfig,
    train: Labelled<'_>,
    teacher_logits: ArrayView2<'_, f32>,
    distillation: &Distillation,
    validation: Option<Labelled<'_>>,
    view: &dyn Fn(&Mlp) -> Result<Mlp>,
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<(Mlp, History)> {
    config.validate()?;
    distillation.validate()?;
    if train.x.nrows() == 0 {
        return Err(MlpError::Empty);
    }
    if teacher_logits.dim() != (train.x.nrows(), mlp.classes()) {
        return Err(MlpError::Shape {
            what: "teacher logits",
            expected: format!(
                "{} x {} (a row per training row, a column per class)",
                train.x.nrows(),
                mlp.classes()
            ),
            got: format!("{} x {}", teacher_logits.nrows(), teacher_logits.ncols()),
        });
    }
    crate::standardize::check_finite(&teacher_logits)?;
    let passes = Passes {
        view: Some(view),
        teacher: Some((teacher_logits, *distillation)),
    };
    train_loop(config, mlp.clone(), train, validation, passes, on_epoch)
}

/// The distilled loss of a batch and its gradient with respect to the student's logits.
pub(crate) fn distilled_loss(
    logits: &Array2<f32>,
    labels: &[usize],
    teacher: &Array2<f32>,
    d: &Distillation,
) -> (f32, Array2<f32>) {
    let (hard, hard_grad) = cross_entropy(logits, labels);
    let t = d.temperature;
    let soften = |z: &Array2<f32>| {
        let mut p = z.mapv(|v| v / t);
        softmax_rows(&mut p);
        p
    };
    let (q, p) = (soften(logits), soften(teacher));
    let n = labels.len() as f32;
    let mut kl = 0.0f64;
    for (pr, qr) in p.rows().into_iter().zip(q.rows()) {
        for (&pi, &qi) in pr.iter().zip(qr.iter()) {
            if pi > 0.0 {
                kl += f64::from(pi) * (f64::from(pi).ln() - f64::from(qi.max(1e-30)).ln());
            }
        }
    }
    let soft = (f64::from(t * t) * kl / f64::from(n)) as f32;
    let soft_grad = (q - &p).mapv(|g| g * t / n);
    let w = d.weight;
    (
        (1.0 - w) * hard + w * soft,
        hard_grad.mapv(|g| g * (1.0 - w)) + soft_grad.mapv(|g| g * w),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gradient_is_the_losss_by_finite_differences() {
        let logits = Array2::from_shape_vec((2, 3), vec![0.3, -1.2, 0.8, 1.5, 0.1, -0.4]).unwrap();
        let teacher = Array2::from_shape_vec((2, 3), vec![1.0, -0.5, 0.2, 0.4, 0.9, -1.1]).unwrap();
        let labels = [2, 0];
        for d in [
            Distillation {
                weight: 0.5,
                temperature: 2.0,
            },
            Distillation {
                weight: 1.0,
                temperature: 4.0,
            },
            Distillation {
                weight: 0.0,
                temperature: 1.0,
            },
        ] {
            let (_, grad) = distilled_loss(&logits, &labels, &teacher, &d);
            for i in 0..2 {
                for j in 0..3 {
                    let h = 1e-3;
                    let mut up = logits.clone();
                    up[[i, j]] += h;
                    let mut down = logits.clone();
                    down[[i, j]] -= h;
                    let numeric = (distilled_loss(&up, &labels, &teacher, &d).0
                        - distilled_loss(&down, &labels, &teacher, &d).0)
                        / (2.0 * h);
                    assert!(
                        (numeric - grad[[i, j]]).abs() < 2e-3,
                        "{d:?} [{i},{j}]: {numeric} vs {}",
                        grad[[i, j]]
                    );
                }
            }
        }
    }

    #[test]
    fn weight_zero_is_cross_entropy_and_a_matching_student_has_no_soft_loss() {
        let logits = Array2::from_shape_vec((2, 3), vec![0.3, -1.2, 0.8, 1.5, 0.1, -0.4]).unwrap();
        let labels = [2, 0];
        let plain = cross_entropy(&logits, &labels);
        let none = Distillation {
            weight: 0.0,
            temperature: 3.0,
        };
        assert_eq!(distilled_loss(&logits, &labels, &logits, &none), plain);
        let all = Distillation {
            weight: 1.0,
            temperature: 3.0,
        };
        let (loss, grad) = distilled_loss(&logits, &labels, &logits, &all);
        assert!(loss.abs() < 1e-6 && grad.iter().all(|g| g.abs() < 1e-7));
    }

    #[test]
    fn bad_settings_and_teachers_are_errors() {
        for d in [
            Distillation {
                weight: 1.5,
                ..Distillation::default()
            },
            Distillation {
                weight: -0.1,
                ..Distillation::default()
            },
            Distillation {
                temperature: 0.0,
                ..Distillation::default()
            },
            Distillation {
                temperature: f32::INFINITY,
                ..Distillation::default()
            },
        ] {
            assert!(d.validate().is_err(), "{d:?}");
        }
        let x = Array2::from_shape_fn((6, 2), |(i, j)| (i + j) as f32);
        let y = [0, 1, 0, 1, 0, 1];
        let mlp = Mlp::new(2, &[4], 2, 0.0, 1).unwrap();
        let config = TrainConfig {
            max_epochs: 2,
            ..TrainConfig::default()
        };
        let id = |m: &Mlp| Ok(m.clone());
        let wrong = Array2::<f32>::zeros((6, 3));
        let err = fine_tune_distilled(
            &mlp,
            &config,
            Labelled { x: x.view(), y: &y },
            wrong.view(),
            &Distillation::default(),
            None,
            &id,
            &mut |_| {},
        );
        assert!(matches!(
            err,
            Err(MlpError::Shape {
                what: "teacher logits",
                ..
            })
        ));
        let mut nan = Array2::<f32>::zeros((6, 2));
        nan[[1, 1]] = f32::NAN;
        let err = fine_tune_distilled(
            &mlp,
            &config,
            Labelled { x: x.view(), y: &y },
            nan.view(),
            &Distillation::default(),
            None,
            &id,
            &mut |_| {},
        );
        assert!(err.is_err());
    }
}
