//! Pooling frames into one vector: the mean, and the population standard deviation.

use std::cell::RefCell;

thread_local! {
    /// The f64 sums of [`pool`], reused from one call to the next on each thread.
    static SUMS: RefCell<(Vec<f64>, Vec<f64>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Mean (and optionally population std) over frames of a frame-major `frames x width` block,
/// summed in f64.
pub(crate) fn pool(
    data: &[f32],
    width: usize,
    n_frames: usize,
    mean: &mut [f32],
    std: Option<&mut [f32]>,
) {
    SUMS.with(|cell| {
        let mut buffers = cell.borrow_mut();
        let (means, sq) = &mut *buffers;
        pool_with(data, width, n_frames, mean, std, means, sq);
    });
}

fn pool_with(
    data: &[f32],
    width: usize,
    n_frames: usize,
    mean: &mut [f32],
    std: Option<&mut [f32]>,
    means: &mut Vec<f64>,
    sq: &mut Vec<f64>,
) {
    let n = n_frames.max(1) as f64;
    means.clear();
    means.resize(width, 0.0);
    for frame in data.chunks_exact(width) {
        for (s, v) in means.iter_mut().zip(frame) {
            *s += f64::from(*v);
        }
    }
    for s in means.iter_mut() {
        *s /= n;
    }
    for (m, v) in mean.iter_mut().zip(means.iter()) {
        *m = *v as f32;
    }
    if let Some(std) = std {
        sq.clear();
        sq.resize(width, 0.0);
        for frame in data.chunks_exact(width) {
            for ((s, v), m) in sq.iter_mut().zip(frame).zip(means.iter()) {
                let d = f64::from(*v) - m;
                *s += d * d;
            }
        }
        for (o, s) in std.iter_mut().zip(sq.iter()) {
            *o = (s / n).sqrt() as f32;
        }
    }
}
