//! Pooling frames into one vector: the mean, and the population standard deviation.

/// Mean (and optionally population std) over frames of a frame-major `frames x width` block.
pub(crate) fn pool(
    data: &[f32],
    width: usize,
    n_frames: usize,
    mean: &mut [f32],
    std: Option<&mut [f32]>,
) {
    let n = n_frames.max(1) as f64;
    let mut sums = vec![0f64; width];
    for frame in data.chunks_exact(width) {
        for (s, v) in sums.iter_mut().zip(frame) {
            *s += f64::from(*v);
        }
    }
    let means: Vec<f64> = sums.iter().map(|s| s / n).collect();
    for (m, v) in mean.iter_mut().zip(&means) {
        *m = *v as f32;
    }
    if let Some(std) = std {
        let mut sq = vec![0f64; width];
        for frame in data.chunks_exact(width) {
            for ((s, v), m) in sq.iter_mut().zip(frame).zip(&means) {
                let d = f64::from(*v) - m;
                *s += d * d;
            }
        }
        for (o, s) in std.iter_mut().zip(&sq) {
            *o = (s / n).sqrt() as f32;
        }
    }
}
