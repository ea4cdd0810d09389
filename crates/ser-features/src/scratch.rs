//! Buffers reused from one signal to the next on each thread, so that extracting a corpus (or a
//! stream, window after window) allocates nothing per signal once it runs.
//!
//! A spectrogram of a few seconds is a few hundred kilobytes: allocated fresh, the allocator
//! maps it from the system and unmaps it after, page faults and zeroing included, every time.

use std::cell::RefCell;

/// Buffers kept per thread (an extraction takes at most six at once).
const KEPT: usize = 8;
/// Largest buffer kept, in floats (16 MiB, the spectrogram of about 2 minutes at 16 kHz): the
/// buffers of a long recording extracted whole are given back to the system rather than held
/// by the thread for good.
const KEPT_FLOATS: usize = 4 << 20;

thread_local! {
    static POOL: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of `len` zeros, reusing one given back on this thread when there is one.
pub(crate) fn take(len: usize) -> Vec<f32> {
    let mut v = POOL.with(|p| p.borrow_mut().pop()).unwrap_or_default();
    v.clear();
    v.resize(len, 0.0);
    v
}

/// Gives `v` back for a later [`take`] on this thread.
pub(crate) fn give(v: Vec<f32>) {
    if v.capacity() == 0 || v.capacity() > KEPT_FLOATS {
        return;
    }
    POOL.with(|p| {
        let mut pool = p.borrow_mut();
        if pool.len() < KEPT {
            pool.push(v);
        }
    });
}
