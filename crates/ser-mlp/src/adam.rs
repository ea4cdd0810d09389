//! The Adam optimiser.

use ndarray::{Array1, Array2, Zip};

use crate::network::Dense;

/// Adam (Kingma and Ba) with bias correction:
/// `w -= lr * m_hat / (sqrt(v_hat) + eps)`.
#[derive(Debug, Clone)]
pub(crate) struct Adam {
    learning_rate: f32,
    beta1: f32,
    beta2: f32,
    epsilon: f32,
    step: i32,
    moments: Vec<Moments>,
}

/// First and second moments of one layer's weights and biases.
#[derive(Debug, Clone)]
struct Moments {
    weight_m: Array2<f32>,
    weight_v: Array2<f32>,
    bias_m: Array1<f32>,
    bias_v: Array1<f32>,
}

impl Adam {
    pub(crate) fn new(
        layers: &[Dense],
        learning_rate: f32,
        beta1: f32,
        beta2: f32,
        epsilon: f32,
    ) -> Self {
        let moments = layers
            .iter()
            .map(|l| Moments {
                weight_m: Array2::zeros(l.weights.raw_dim()),
                weight_v: Array2::zeros(l.weights.raw_dim()),
                bias_m: Array1::zeros(l.bias.raw_dim()),
                bias_v: Array1::zeros(l.bias.raw_dim()),
            })
            .collect();
        Adam {
            learning_rate,
            beta1,
            beta2,
            epsilon,
            step: 0,
            moments,
        }
    }

    /// One update of every layer from its gradients.
    pub(crate) fn step(&mut self, layers: &mut [Dense], grads: &[(Array2<f32>, Array1<f32>)]) {
        self.step += 1;
        let (b1, b2, eps) = (self.beta1, self.beta2, self.epsilon);
        let c1 = 1.0 - b1.powi(self.step);
        let c2 = 1.0 - b2.powi(self.step);
        let lr = self.learning_rate;
        let update = move |w: &mut f32, g: &f32, m: &mut f32, v: &mut f32| {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *w -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
        };
        for ((layer, (gw, gb)), m) in layers.iter_mut().zip(grads).zip(&mut self.moments) {
            Zip::from(&mut layer.weights)
                .and(gw)
                .and(&mut m.weight_m)
                .and(&mut m.weight_v)
                .for_each(update);
            Zip::from(&mut layer.bias)
                .and(gb)
                .and(&mut m.bias_m)
                .and(&mut m.bias_v)
                .for_each(update);
        }
    }
}
