//! The network's two products with AVX (x86-64 CPUs since 2011), chosen at run time where
//! the CPU has it: tiles of four rows (or inputs) by eight outputs, the 32 sums held in
//! eight registers of four numbers. Without FMA: every product is rounded, then added, as in
//! the plain code ([`super::Layer::forward_by`], [`super::weight_sums_by`]), and each sum
//! takes its terms in the same order, so the sums are the same bit for bit on any CPU and in
//! the page.

use std::arch::x86_64::{
    __m256d, _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_set1_pd, _mm256_setzero_pd,
    _mm256_storeu_pd,
};

use super::{Layer, Zeros};

/// Outputs of a tile.
const WIDE: usize = 8;
/// Rows (or inputs) of a tile.
const TALL: usize = 4;

/// Four rows of eight running sums.
struct Tile([[__m256d; 2]; TALL]);

impl Tile {
    /// Every row starting from the same eight numbers (a layer's biases).
    #[inline]
    #[target_feature(enable = "avx")]
    fn splat(start: &[f64]) -> Tile {
        Tile([load(start); TALL])
    }

    #[inline]
    #[target_feature(enable = "avx")]
    fn zero() -> Tile {
        Tile([[_mm256_setzero_pd(); 2]; TALL])
    }

    /// `row r += a[r] · w` for the eight numbers of `w`.
    #[inline]
    #[target_feature(enable = "avx")]
    fn add_products(&mut self, a: &[f64; TALL], w: &[f64]) {
        let [w0, w1] = load(w);
        for (row, &a) in self.0.iter_mut().zip(a) {
            let a = _mm256_set1_pd(a);
            row[0] = _mm256_add_pd(row[0], _mm256_mul_pd(a, w0));
            row[1] = _mm256_add_pd(row[1], _mm256_mul_pd(a, w1));
        }
    }

    /// Row `r`'s eight sums into `out[..8]`.
    #[inline]
    #[target_feature(enable = "avx")]
    fn store(&self, r: usize, out: &mut [f64]) {
        let out = &mut out[..WIDE];
        // SAFETY: `out` holds eight numbers (sliced just above): two unaligned stores of
        // four, at 0 and at 4.
        unsafe {
            _mm256_storeu_pd(out.as_mut_ptr(), self.0[r][0]);
            _mm256_storeu_pd(out.as_mut_ptr().add(4), self.0[r][1]);
        }
    }
}

/// The first eight numbers of `v` in two registers.
#[inline]
#[target_feature(enable = "avx")]
fn load(v: &[f64]) -> [__m256d; 2] {
    let v = &v[..WIDE];
    // SAFETY: `v` holds eight numbers (sliced just above): two unaligned loads of four, at 0
    // and at 4.
    unsafe {
        [
            _mm256_loadu_pd(v.as_ptr()),
            _mm256_loadu_pd(v.as_ptr().add(4)),
        ]
    }
}

/// [`Layer::forward`] in tiles: four rows by eight outputs; the last outputs (fewer than
/// eight) and rows (fewer than four) by the plain code.
#[target_feature(enable = "avx")]
pub(super) fn forward(layer: &Layer, input: &[f64], rows: usize, out: &mut [f64], zeros: Zeros) {
    let (d, h) = (layer.inputs, layer.outputs);
    let full = h - h % WIDE;
    let blocked = rows - rows % TALL;
    for first in (0..blocked).step_by(TALL) {
        let x: [&[f64]; TALL] =
            std::array::from_fn(|r| &input[(first + r) * d..(first + r + 1) * d]);
        for j in (0..full).step_by(WIDE) {
            let mut tile = Tile::splat(&layer.biases[j..]);
            for (k, weights) in layer.weights.chunks_exact(h).enumerate() {
                let a: [f64; TALL] = std::array::from_fn(|r| x[r][k]);
                if zeros == Zeros::Skip && a.iter().all(|&v| v == 0.0) {
                    continue;
                }
                tile.add_products(&a, &weights[j..]);
            }
            for r in 0..TALL {
                tile.store(r, &mut out[(first + r) * h + j..]);
            }
        }
        match zeros {
            Zeros::Skip => layer.forward_rows::<TALL, true>(input, first, out, full),
            Zeros::Add => layer.forward_rows::<TALL, false>(input, first, out, full),
        }
    }
    for b in blocked..rows {
        layer.forward_rows::<1, true>(input, b, out, 0);
    }
}

/// [`super::weight_sums`] of a layer of several outputs in tiles: four inputs by eight
/// outputs, the rows passing; the last outputs (fewer than eight) and inputs (fewer than
/// four) by the plain code.
#[target_feature(enable = "avx")]
pub(super) fn weight_sums(
    (input, delta): (&[f64], &[f64]),
    (m, d, h): (usize, usize, usize),
    grads: &mut [f64],
    zeros: Zeros,
) {
    let full = h - h % WIDE;
    let blocked = d - d % TALL;
    let mut rows: Vec<(usize, [f64; TALL])> = Vec::with_capacity(m);
    for first in (0..blocked).step_by(TALL) {
        super::nonzero_rows(input, (m, d), first, zeros, &mut rows);
        for j in (0..full).step_by(WIDE) {
            let mut tile = Tile::zero();
            for (b, a) in &rows {
                tile.add_products(a, &delta[b * h + j..]);
            }
            for r in 0..TALL {
                tile.store(r, &mut grads[(first + r) * h + j..]);
            }
        }
        super::weight_sums_block::<TALL>(delta, h, first, &rows, grads, full);
    }
    super::weight_sums_by::<1>((input, delta), (m, d, h), grads, zeros, blocked);
}
