//! Small f32 kernels written so the compiler vectorises them.

/// `sum(a[i] * b[i])` with eight independent accumulators (so it vectorises; the summation
/// order differs from a sequential loop by f32 rounding only).
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; 8];
    let chunks = n / 8;
    for c in 0..chunks {
        let (x, y) = (&a[c * 8..c * 8 + 8], &b[c * 8..c * 8 + 8]);
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut tail = 0.0f32;
    for i in chunks * 8..n {
        tail += a[i] * b[i];
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// `sum(w[i] * m[i]^2)`: a weighted sum of squared magnitudes, i.e. power, without a power buffer.
#[inline]
pub(crate) fn dot_sq(w: &[f32], m: &[f32]) -> f32 {
    let n = w.len().min(m.len());
    let (w, m) = (&w[..n], &m[..n]);
    let mut acc = [0.0f32; 8];
    let chunks = n / 8;
    for c in 0..chunks {
        let (x, y) = (&w[c * 8..c * 8 + 8], &m[c * 8..c * 8 + 8]);
        for l in 0..8 {
            acc[l] += x[l] * (y[l] * y[l]);
        }
    }
    let mut tail = 0.0f32;
    for i in chunks * 8..n {
        tail += w[i] * (m[i] * m[i]);
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_a_loop_for_every_length() {
        for n in 0..40 {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let reference: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
            assert!((dot(&a, &b) as f64 - reference).abs() < 1e-5, "n = {n}");
            let reference_sq: f64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| *x as f64 * (*y as f64).powi(2))
                .sum();
            assert!(
                (dot_sq(&a, &b) as f64 - reference_sq).abs() < 1e-5,
                "n = {n}"
            );
        }
    }
}
