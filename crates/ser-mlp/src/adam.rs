//! The Adam optimiser.

use ndarray::{Array, Array1, Array2, Dimension, Zip};

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
        let h = Hyper {
            lr: self.learning_rate,
            b1,
            b2,
            eps,
            c1,
            c2,
        };
        for ((layer, (gw, gb)), m) in layers.iter_mut().zip(grads).zip(&mut self.moments) {
            update_array(&mut layer.weights, gw, &mut m.weight_m, &mut m.weight_v, h);
            update_array(&mut layer.bias, gb, &mut m.bias_m, &mut m.bias_v, h);
        }
    }
}

/// One Adam update of a parameter array of any dimension. Arrays in standard layout (all that
/// this crate makes) go through [`adam_update`] as plain slices, so the loop vectorises; any
/// other layout is updated element by element, with the same arithmetic.
fn update_array<D: Dimension>(
    w: &mut Array<f32, D>,
    g: &Array<f32, D>,
    m: &mut Array<f32, D>,
    v: &mut Array<f32, D>,
    h: Hyper,
) {
    match (
        w.as_slice_mut(),
        g.as_slice(),
        m.as_slice_mut(),
        v.as_slice_mut(),
    ) {
        (Some(w), Some(g), Some(m), Some(v)) => adam_update(w, g, m, v, h),
        _ => Zip::from(w).and(g).and(m).and(v).for_each(|w, g, m, v| {
            adam_update(
                std::slice::from_mut(w),
                std::slice::from_ref(g),
                std::slice::from_mut(m),
                std::slice::from_mut(v),
                h,
            )
        }),
    }
}

/// The constants of one Adam step.
#[derive(Debug, Clone, Copy)]
struct Hyper {
    lr: f32,
    b1: f32,
    b2: f32,
    eps: f32,
    c1: f32,
    c2: f32,
}

#[inline(always)]
fn adam_body(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], h: Hyper) {
    for (((w, g), m), v) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        *m = h.b1 * *m + (1.0 - h.b1) * g;
        *v = h.b2 * *v + (1.0 - h.b2) * g * g;
        *w -= h.lr * (*m / h.c1) / ((*v / h.c2).sqrt() + h.eps);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn adam_avx(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], h: Hyper) {
    adam_body(w, g, m, v, h)
}

/// One Adam update of a parameter slice. With AVX (detected at run time) the loop runs 8 wide
/// instead of 4; every operation is elementwise and correctly rounded (no fused multiply-add is
/// enabled), so the result is bit-identical either way.
#[allow(unsafe_code)]
fn adam_update(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], h: Hyper) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU supports AVX, checked just above.
        return unsafe { adam_avx(w, g, m, v, h) };
    }
    adam_body(w, g, m, v, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adam's defaults, a few steps in (c1 and c2 are its bias corrections).
    const TEST_HYPER: Hyper = Hyper {
        lr: 1e-3,
        b1: 0.9,
        b2: 0.999,
        eps: 1e-8,
        c1: 0.1,
        c2: 0.001,
    };

    #[test]
    fn any_memory_layout_gets_the_same_update() {
        use ndarray::ShapeBuilder;
        let h = TEST_HYPER;
        let values = |i: usize, j: usize| ((i * 5 + j * 3) % 7) as f32 * 0.1 - 0.3;
        let c_order =
            |f: &dyn Fn(usize, usize) -> f32| Array2::from_shape_fn((3, 4), |(i, j)| f(i, j));
        let f_order =
            |f: &dyn Fn(usize, usize) -> f32| Array2::from_shape_fn((3, 4).f(), |(i, j)| f(i, j));
        let (mut w1, g1, mut m1, mut v1) = (
            c_order(&values),
            c_order(&|i, j| values(j % 3, i)),
            c_order(&|_, _| 0.01),
            c_order(&|_, _| 1e-4),
        );
        let (mut w2, g2, mut m2, mut v2) = (
            f_order(&values),
            f_order(&|i, j| values(j % 3, i)),
            f_order(&|_, _| 0.01),
            f_order(&|_, _| 1e-4),
        );
        assert!(
            w2.as_slice_mut().is_none(),
            "the second set must take the element-wise path"
        );
        update_array(&mut w1, &g1, &mut m1, &mut v1, h);
        update_array(&mut w2, &g2, &mut m2, &mut v2, h);
        assert_eq!((w1, m1, v1), (w2, m2, v2));
    }

    #[test]
    fn the_avx_path_computes_the_same_bits() {
        let n = 1037;
        let h = TEST_HYPER;
        let g: Vec<f32> = (0..n)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * 1e-3)
            .collect();
        let start: Vec<f32> = (0..n).map(|i| (i as f32 * 0.01).sin()).collect();
        let (mut w1, mut m1, mut v1) = (start.clone(), vec![0.01f32; n], vec![1e-4f32; n]);
        let (mut w2, mut m2, mut v2) = (w1.clone(), m1.clone(), v1.clone());
        adam_update(&mut w1, &g, &mut m1, &mut v1, h);
        adam_body(&mut w2, &g, &mut m2, &mut v2, h);
        assert_eq!((w1, m1, v1), (w2, m2, v2));
    }
}
