//! Once warm, extraction allocates nothing: a signal after signal (a corpus, or a stream's
//! windows) reuses the buffers of the one before. Counted by a global allocator that tallies
//! the allocations of the thread that runs the test.

#![allow(unsafe_code, clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ser_features::{FeatureConfig, FeatureExtractor, Pooling, Tuning};

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator, counting this thread's allocations and reallocations.
struct Counting;

// SAFETY: every call is passed to the system allocator unchanged; the count is a thread-local
// `Cell` with a const initialiser, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

fn signal(seconds: f64, seed: u32) -> Vec<f32> {
    (0..(seconds * 16_000.0) as usize)
        .map(|i| {
            let t = i as f32 / 16_000.0;
            0.3 * (t * (180.0 + seed as f32) * std::f32::consts::TAU).sin()
                + 0.05 * ((i as u32).wrapping_mul(2_654_435_761) as f32 / u32::MAX as f32 - 0.5)
        })
        .collect()
}

#[test]
fn extraction_allocates_nothing_once_warm() {
    for config in [
        FeatureConfig::default(),
        FeatureConfig {
            tuning: Tuning::Fixed(0.0),
            ..FeatureConfig::default()
        },
        FeatureConfig {
            pooling: Pooling::MeanStd,
            ..FeatureConfig::default()
        },
    ] {
        let extractor = FeatureExtractor::new(config).unwrap();
        let mut out = vec![0.0; extractor.dim()];
        // Signals of 3 s and 2.5 s, as a stream's windows and a corpus's files come.
        let (a, b) = (signal(3.0, 1), signal(2.5, 2));
        // Warm up: the plans, the filterbanks of these signals' tunings, the buffers.
        for s in [&a, &b, &a, &b, &a, &b] {
            extractor.extract_into(s, 16_000, &mut out).unwrap();
        }
        let before = allocations();
        for s in [&a, &b, &a, &b, &a, &b] {
            extractor.extract_into(s, 16_000, &mut out).unwrap();
        }
        assert_eq!(allocations() - before, 0, "{:?}", extractor.config());
    }
}
