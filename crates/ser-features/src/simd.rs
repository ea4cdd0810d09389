//! The f32 kernels of the hot loops: dot products and spectrum magnitudes.
//!
//! [`dot`] keeps 32 independent accumulators: lane `l` sums the products of elements
//! `l, l + 32, l + 64, ...` in order, and the lanes are then combined in a fixed pairwise tree.
//! Products and sums are rounded separately (no fused multiply-add), so the portable loop, the
//! SSE2 kernel (8 vectors of 4) and the AVX kernel (4 vectors of 8) compute bit-identical
//! results: features do not depend on the CPU they were computed on. 32 lanes keep enough
//! independent additions in flight that the kernels run at the adder's throughput rather than
//! its latency. The SIMD kernels are the only `unsafe` code of the crate (unaligned vector
//! loads and stores within checked slice bounds).

use realfft::num_complex::Complex;

/// Independent accumulators of [`dot`].
const LANES: usize = 32;

/// Pairwise sum of the lanes: halves added lane by lane until one is left (a fixed order).
fn tree_sum(acc: &[f32; LANES]) -> f32 {
    let mut buf = *acc;
    let mut n = LANES;
    while n > 1 {
        n /= 2;
        for l in 0..n {
            buf[l] += buf[l + n];
        }
    }
    buf[0]
}

/// The 32 lane sums over the first `a.len() / 32 * 32` elements, portably.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn lanes_portable(a: &[f32], b: &[f32]) -> [f32; LANES] {
    let mut acc = [0.0f32; LANES];
    for (x, y) in a.chunks_exact(LANES).zip(b.chunks_exact(LANES)) {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    acc
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    use super::LANES;
    use std::arch::x86_64::*;

    /// The lane sums with SSE2 (part of the x86_64 baseline): 8 vectors of 4 lanes.
    pub(super) fn lanes_sse2(a: &[f32], b: &[f32]) -> [f32; LANES] {
        let mut out = [0.0f32; LANES];
        // SAFETY: SSE2 is always available on x86_64; every load reads 4 floats inside a
        // 32-float chunk of `a` or `b`, and every store writes 4 floats inside `out`.
        unsafe {
            let mut acc = [_mm_setzero_ps(); 8];
            for (x, y) in a.chunks_exact(LANES).zip(b.chunks_exact(LANES)) {
                for (j, v) in acc.iter_mut().enumerate() {
                    let xv = _mm_loadu_ps(x.as_ptr().add(4 * j));
                    let yv = _mm_loadu_ps(y.as_ptr().add(4 * j));
                    *v = _mm_add_ps(*v, _mm_mul_ps(xv, yv));
                }
            }
            for (j, v) in acc.iter().enumerate() {
                _mm_storeu_ps(out.as_mut_ptr().add(4 * j), *v);
            }
        }
        out
    }

    /// The lane sums with AVX: 4 vectors of 8 lanes. The caller checks that AVX is available.
    #[target_feature(enable = "avx")]
    pub(super) fn lanes_avx(a: &[f32], b: &[f32]) -> [f32; LANES] {
        let mut out = [0.0f32; LANES];
        // SAFETY: AVX is enabled for this function (the caller checked the CPU); every load
        // reads 8 floats inside a 32-float chunk, and every store writes 8 floats inside `out`.
        unsafe {
            let mut acc = [_mm256_setzero_ps(); 4];
            for (x, y) in a.chunks_exact(LANES).zip(b.chunks_exact(LANES)) {
                for (j, v) in acc.iter_mut().enumerate() {
                    let xv = _mm256_loadu_ps(x.as_ptr().add(8 * j));
                    let yv = _mm256_loadu_ps(y.as_ptr().add(8 * j));
                    *v = _mm256_add_ps(*v, _mm256_mul_ps(xv, yv));
                }
            }
            for (j, v) in acc.iter().enumerate() {
                _mm256_storeu_ps(out.as_mut_ptr().add(8 * j), *v);
            }
        }
        out
    }

    /// [`super::local_maxima`] eight bins at a time, over the whole blocks of eight in
    /// `lo..hi` (bounds checked by the caller); returns how many bins it did.
    #[target_feature(enable = "avx")]
    pub(super) fn local_maxima_avx(
        x: &[f32],
        lo: usize,
        hi: usize,
        reference: f32,
        words: &mut [u64],
    ) -> usize {
        let n = (hi - lo) / 8 * 8;
        assert!(lo >= 1 && lo + n < x.len() && words.len() * 64 >= n);
        // SAFETY: AVX is enabled for this function (the caller checked the CPU); each block
        // loads x[b - 1 .. b + 9] for b = lo + j, j + 8 <= n, inside `x` by the assertion.
        unsafe {
            let r = _mm256_set1_ps(reference);
            for j in (0..n).step_by(8) {
                let p = x.as_ptr().add(lo + j);
                let [below, mid, above] = [p.sub(1), p, p.add(1)].map(|q| {
                    let v = _mm256_loadu_ps(q);
                    _mm256_and_ps(_mm256_cmp_ps(v, r, _CMP_GT_OQ), v)
                });
                let is_max = _mm256_and_ps(
                    _mm256_cmp_ps(mid, below, _CMP_GT_OQ),
                    _mm256_cmp_ps(mid, above, _CMP_GE_OQ),
                );
                let bits = _mm256_movemask_ps(is_max) as u32 as u64;
                words[j / 64] |= bits << (j % 64);
            }
        }
        n
    }

    /// [`lanes_avx`] of `a` and of `c`, both against `b`: each chunk of `b` is loaded once for
    /// the two (the lanes of each are those of [`lanes_avx`], so the same bits).
    #[target_feature(enable = "avx")]
    pub(super) fn lanes2_avx(a: &[f32], c: &[f32], b: &[f32]) -> [[f32; LANES]; 2] {
        let mut out = [[0.0f32; LANES]; 2];
        // SAFETY: AVX is enabled for this function (the caller checked the CPU); every load
        // reads 8 floats inside a 32-float chunk, and every store writes 8 floats inside `out`.
        unsafe {
            let mut acc_a = [_mm256_setzero_ps(); 4];
            let mut acc_c = [_mm256_setzero_ps(); 4];
            let chunks = a
                .chunks_exact(LANES)
                .zip(c.chunks_exact(LANES))
                .zip(b.chunks_exact(LANES));
            for ((x, z), y) in chunks {
                for j in 0..4 {
                    let yv = _mm256_loadu_ps(y.as_ptr().add(8 * j));
                    let xv = _mm256_loadu_ps(x.as_ptr().add(8 * j));
                    let zv = _mm256_loadu_ps(z.as_ptr().add(8 * j));
                    acc_a[j] = _mm256_add_ps(acc_a[j], _mm256_mul_ps(xv, yv));
                    acc_c[j] = _mm256_add_ps(acc_c[j], _mm256_mul_ps(zv, yv));
                }
            }
            for j in 0..4 {
                _mm256_storeu_ps(out[0].as_mut_ptr().add(8 * j), acc_a[j]);
                _mm256_storeu_ps(out[1].as_mut_ptr().add(8 * j), acc_c[j]);
            }
        }
        out
    }

    /// `out[k] = sqrt(re^2 + im^2)` eight at a time with AVX. The caller checks that AVX is
    /// available.
    #[target_feature(enable = "avx")]
    pub(super) fn magnitudes_avx(spectrum: &[super::Complex<f32>], out: &mut [f32]) -> usize {
        let n = spectrum.len().min(out.len()) / 8 * 8;
        for (c, o) in spectrum[..n]
            .chunks_exact(8)
            .zip(out[..n].chunks_exact_mut(8))
        {
            let re: [f32; 8] = core::array::from_fn(|l| c[l].re);
            let im: [f32; 8] = core::array::from_fn(|l| c[l].im);
            // SAFETY: AVX is enabled for this function (the caller checked the CPU); loads read
            // the 8-float arrays above and the store writes the 8-float chunk `o`.
            unsafe {
                let r = _mm256_loadu_ps(re.as_ptr());
                let i = _mm256_loadu_ps(im.as_ptr());
                let p = _mm256_add_ps(_mm256_mul_ps(r, r), _mm256_mul_ps(i, i));
                _mm256_storeu_ps(o.as_mut_ptr(), _mm256_sqrt_ps(p));
            }
        }
        n
    }

    /// `out[k] = sqrt(re^2 + im^2)` four at a time with SSE2.
    pub(super) fn magnitudes_sse2(spectrum: &[super::Complex<f32>], out: &mut [f32]) -> usize {
        let n = spectrum.len().min(out.len()) / 4 * 4;
        for (c, o) in spectrum[..n]
            .chunks_exact(4)
            .zip(out[..n].chunks_exact_mut(4))
        {
            let re = [c[0].re, c[1].re, c[2].re, c[3].re];
            let im = [c[0].im, c[1].im, c[2].im, c[3].im];
            // SAFETY: SSE2 is always available on x86_64; loads read the 4-float arrays above
            // and the store writes the 4-float chunk `o`.
            unsafe {
                let r = _mm_loadu_ps(re.as_ptr());
                let i = _mm_loadu_ps(im.as_ptr());
                let p = _mm_add_ps(_mm_mul_ps(r, r), _mm_mul_ps(i, i));
                _mm_storeu_ps(o.as_mut_ptr(), _mm_sqrt_ps(p));
            }
        }
        n
    }
}

/// `sum(a[i] * b[i])` over the shorter length.
#[allow(unsafe_code)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let split = n / LANES * LANES;
    let (main_a, main_b) = (&a[..split], &b[..split]);
    #[cfg(target_arch = "x86_64")]
    let lanes = if std::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU supports AVX, checked just above.
        unsafe { x86::lanes_avx(main_a, main_b) }
    } else {
        x86::lanes_sse2(main_a, main_b)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let lanes = lanes_portable(main_a, main_b);
    let mut tail = 0.0f32;
    for (x, y) in a[split..n].iter().zip(&b[split..n]) {
        tail += x * y;
    }
    tree_sum(&lanes) + tail
}

/// `(dot(a, b), dot(c, b))` for `a` and `c` of one length: the same bits as two [`dot`]s, with
/// `b` read once.
#[allow(unsafe_code)]
pub(crate) fn dot2(a: &[f32], c: &[f32], b: &[f32]) -> (f32, f32) {
    #[cfg(target_arch = "x86_64")]
    if a.len() == c.len() && std::is_x86_feature_detected!("avx") {
        let n = a.len().min(b.len());
        let split = n / LANES * LANES;
        // SAFETY: the CPU supports AVX, checked just above.
        let [la, lc] = unsafe { x86::lanes2_avx(&a[..split], &c[..split], &b[..split]) };
        let tail = |x: &[f32]| {
            let mut t = 0.0f32;
            for (p, q) in x[split..n].iter().zip(&b[split..n]) {
                t += p * q;
            }
            t
        };
        return (tree_sum(&la) + tail(a), tree_sum(&lc) + tail(c));
    }
    (dot(a, b), dot(c, b))
}

/// `sum(w[i] * m[i]^2)`: a weighted sum of squared magnitudes, i.e. power, without a power
/// buffer. Mel filters are short, so this is a plain loop with 8 accumulators (inlined, so
/// that inside [`with_avx`] they are one AVX vector: the same lanes, so the same bits).
#[inline(always)]
pub(crate) fn dot_sq(w: &[f32], m: &[f32]) -> f32 {
    let n = w.len().min(m.len());
    let mut acc = [0.0f32; 8];
    let split = n / 8 * 8;
    for (x, y) in w[..split].chunks_exact(8).zip(m[..split].chunks_exact(8)) {
        for l in 0..8 {
            acc[l] += x[l] * (y[l] * y[l]);
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in w[split..n].iter().zip(&m[split..n]) {
        tail += x * (y * y);
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// Runs `f` compiled for AVX when the CPU has it (`f` must be `#[inline(always)]` for the
/// instructions to change), else as it is. Plain arithmetic gives the same bits either way:
/// only the vector width differs, never the operations or their order.
#[allow(unsafe_code)]
pub(crate) fn with_avx<T>(f: impl FnOnce() -> T) -> T {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx")]
        fn avx<T>(f: impl FnOnce() -> T) -> T {
            f()
        }
        if std::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU supports AVX, checked just above.
            return unsafe { avx(f) };
        }
    }
    f()
}

/// The largest value of a non-empty slice of non-NaN floats (negative infinity when empty).
/// Eight lanes so it vectorises; the maximum does not depend on the order, so this is exact.
pub(crate) fn max(values: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; 8];
    let split = values.len() / 8 * 8;
    for chunk in values[..split].chunks_exact(8) {
        for l in 0..8 {
            acc[l] = if chunk[l] > acc[l] { chunk[l] } else { acc[l] };
        }
    }
    let mut m = f32::NEG_INFINITY;
    for &v in acc.iter().chain(&values[split..]) {
        m = if v > m { v } else { m };
    }
    m
}

/// Flags the local maxima of `x` gated at `reference` (values at most `reference` count as 0)
/// in `bins`: bit `j` of `words` is set when bin `b = bins.start + j` has `g(b) > g(b - 1)`
/// and `g(b) >= g(b + 1)`, librosa's `localmax`. A gated bin is 0 and so never a strict
/// maximum. Comparisons are exact, so every kernel sets the same bits. `bins` must have a
/// neighbour on each side inside `x`.
#[allow(unsafe_code)]
pub(crate) fn local_maxima(
    x: &[f32],
    bins: std::ops::Range<usize>,
    reference: f32,
    words: &mut Vec<u64>,
) {
    let (lo, hi) = (bins.start, bins.end);
    assert!(lo >= 1 && hi < x.len() && lo <= hi);
    words.clear();
    words.resize((hi - lo).div_ceil(64), 0);
    #[cfg(target_arch = "x86_64")]
    let done = if std::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU supports AVX, checked just above.
        unsafe { x86::local_maxima_avx(x, lo, hi, reference, words) }
    } else {
        0
    };
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    let gate = |v: f32| if v > reference { v } else { 0.0 };
    for j in done..hi - lo {
        let b = lo + j;
        let c = gate(x[b]);
        if c > gate(x[b - 1]) && c >= gate(x[b + 1]) {
            words[j / 64] |= 1 << (j % 64);
        }
    }
}

/// `out[k] = |spectrum[k]|` over the shorter length (square root of the rounded power, which
/// every instruction set computes exactly alike).
#[allow(unsafe_code)]
pub(crate) fn magnitudes(spectrum: &[Complex<f32>], out: &mut [f32]) {
    let n = spectrum.len().min(out.len());
    #[cfg(target_arch = "x86_64")]
    let done = if std::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU supports AVX, checked just above.
        unsafe { x86::magnitudes_avx(spectrum, out) }
    } else {
        x86::magnitudes_sse2(spectrum, out)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    for (o, c) in out[done..n].iter_mut().zip(&spectrum[done..n]) {
        *o = (c.re * c.re + c.im * c.im).sqrt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_a_loop_for_every_length() {
        for n in 0..80 {
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

    #[test]
    fn local_maxima_are_librosas_on_the_gated_values() {
        // Plateaus, zeros and values at the gate, at every offset of the eight-bin blocks.
        let x: Vec<f32> = (0..300)
            .map(|i| [0.0, 0.5, 0.5, 0.2, 0.9, 0.1, 0.3, 0.3, 0.3, 0.25][(i * 7 + i / 13) % 10])
            .collect();
        let mut words = Vec::new();
        for (lo, hi) in [(1, 299), (1, 1), (5, 6), (20, 150), (3, 70), (7, 200)] {
            for reference in [0.0, 0.25, 0.3, 1.0] {
                local_maxima(&x, lo..hi, reference, &mut words);
                let g = |v: f32| if v > reference { v } else { 0.0 };
                for b in lo..hi {
                    let want = g(x[b]) > g(x[b - 1]) && g(x[b]) >= g(x[b + 1]);
                    let j = b - lo;
                    let got = words[j / 64] >> (j % 64) & 1 == 1;
                    assert_eq!(got, want, "bins {lo}..{hi}, gate {reference}, bin {b}");
                }
                assert!(words.iter().enumerate().all(|(w, &word)| {
                    let bits = (hi - lo).saturating_sub(64 * w).min(64);
                    bits == 64 || word >> bits == 0
                }));
            }
        }
    }

    #[test]
    fn dot2_is_two_dots() {
        for n in [0, 5, 31, 32, 33, 100, 1025] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let c: Vec<f32> = (0..n).map(|i| (i as f32 * 0.73).cos() * 3.0).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let (x, y) = dot2(&a, &c, &b);
            assert_eq!(x.to_bits(), dot(&a, &b).to_bits(), "n = {n}");
            assert_eq!(y.to_bits(), dot(&c, &b).to_bits(), "n = {n}");
        }
    }

    #[test]
    fn max_is_the_maximum() {
        for n in 0..40 {
            let v: Vec<f32> = (0..n).map(|i| ((i * 37) % 23) as f32 - 5.0).collect();
            let reference = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            assert_eq!(max(&v), reference, "n = {n}");
        }
    }

    #[test]
    fn every_kernel_computes_the_same_bits() {
        for n in [0, 1, 31, 32, 33, 100, 1025, 4096] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.913).sin() * 1e3).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.377).cos()).collect();
            let split = n / LANES * LANES;
            let portable = lanes_portable(&a[..split], &b[..split]);
            #[cfg(target_arch = "x86_64")]
            {
                assert_eq!(
                    x86::lanes_sse2(&a[..split], &b[..split]),
                    portable,
                    "n = {n}"
                );
                if std::is_x86_feature_detected!("avx") {
                    #[allow(unsafe_code)]
                    // SAFETY: AVX is available, checked just above.
                    let avx = unsafe { x86::lanes_avx(&a[..split], &b[..split]) };
                    assert_eq!(avx, portable, "n = {n}");
                }
            }
            let spectrum: Vec<Complex<f32>> = a
                .iter()
                .zip(&b)
                .map(|(re, im)| Complex::new(*re, *im))
                .collect();
            let mut fast = vec![0.0; n];
            magnitudes(&spectrum, &mut fast);
            #[cfg(target_arch = "x86_64")]
            {
                let mut sse2 = vec![0.0; n];
                let done = x86::magnitudes_sse2(&spectrum, &mut sse2);
                for (o, c) in sse2[done..].iter_mut().zip(&spectrum[done..]) {
                    *o = (c.re * c.re + c.im * c.im).sqrt();
                }
                assert_eq!(sse2, fast, "n = {n}");
            }
            let plain: Vec<f32> = spectrum
                .iter()
                .map(|c| (c.re * c.re + c.im * c.im).sqrt())
                .collect();
            assert_eq!(fast, plain, "n = {n}");
        }
    }
}
