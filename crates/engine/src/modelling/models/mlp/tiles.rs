//! The network's two products in tiles of four rows (or inputs) by eight outputs (AVX) or
//! four (WebAssembly's SIMD), the sums held in eight registers: with AVX on x86-64 CPUs that
//! have it (since 2011), chosen at run time; in the page with its 128-bit SIMD, always.
//! Without FMA: every product is rounded, then added, as in the plain code
//! ([`super::Layer::forward_by`], [`super::weight_sums_by`]), and each sum takes its terms in
//! the same order, so the sums are the same bit for bit on any CPU and in the page.

use super::{Layer, Zeros};

/// The vector registers: four numbers each with AVX.
#[cfg(target_arch = "x86_64")]
mod lanes {
    pub(super) use std::arch::x86_64::__m256d as V;
    use std::arch::x86_64::{
        _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_set1_pd, _mm256_setzero_pd,
        _mm256_storeu_pd,
    };

    pub(super) const LANES: usize = 4;

    #[inline]
    #[target_feature(enable = "avx")]
    pub(super) fn zero() -> V {
        _mm256_setzero_pd()
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub(super) fn splat(a: f64) -> V {
        _mm256_set1_pd(a)
    }

    /// `acc + a · w`, the product rounded before the sum.
    #[inline]
    #[target_feature(enable = "avx")]
    pub(super) fn add_product(acc: V, a: V, w: V) -> V {
        _mm256_add_pd(acc, _mm256_mul_pd(a, w))
    }

    /// The first four numbers of `v`.
    #[inline]
    #[target_feature(enable = "avx")]
    pub(super) fn load(v: &[f64]) -> V {
        let v = &v[..LANES];
        // SAFETY: `v` holds four numbers (sliced just above); the load is unaligned.
        unsafe { _mm256_loadu_pd(v.as_ptr()) }
    }

    /// `a` into the first four numbers of `out`.
    #[inline]
    #[target_feature(enable = "avx")]
    pub(super) fn store(a: V, out: &mut [f64]) {
        let out = &mut out[..LANES];
        // SAFETY: `out` holds four numbers (sliced just above); the store is unaligned.
        unsafe { _mm256_storeu_pd(out.as_mut_ptr(), a) }
    }
}

/// The vector registers: two numbers each with WebAssembly's SIMD (the page's build turns
/// it on for every function, `.cargo/config.toml`).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    pub(super) use std::arch::wasm32::v128 as V;
    use std::arch::wasm32::{f64x2_add, f64x2_mul, f64x2_splat, v128_load, v128_store};

    pub(super) const LANES: usize = 2;

    #[inline]
    pub(super) fn zero() -> V {
        f64x2_splat(0.0)
    }

    #[inline]
    pub(super) fn splat(a: f64) -> V {
        f64x2_splat(a)
    }

    /// `acc + a · w`, the product rounded before the sum.
    #[inline]
    pub(super) fn add_product(acc: V, a: V, w: V) -> V {
        f64x2_add(acc, f64x2_mul(a, w))
    }

    /// The first two numbers of `v`.
    #[inline]
    pub(super) fn load(v: &[f64]) -> V {
        let v = &v[..LANES];
        // SAFETY: `v` holds two numbers (sliced just above); WebAssembly's loads need no
        // alignment.
        unsafe { v128_load(v.as_ptr().cast()) }
    }

    /// `a` into the first two numbers of `out`.
    #[inline]
    pub(super) fn store(a: V, out: &mut [f64]) {
        let out = &mut out[..LANES];
        // SAFETY: `out` holds two numbers (sliced just above); WebAssembly's stores need no
        // alignment.
        unsafe { v128_store(out.as_mut_ptr().cast(), a) }
    }
}

use lanes::{LANES, V};

/// Registers per row of a tile.
const VECS: usize = 2;
/// Outputs of a tile.
const WIDE: usize = LANES * VECS;
/// Rows (or inputs) of a tile.
const TALL: usize = 4;

/// Four rows of [`WIDE`] running sums.
struct Tile([[V; VECS]; TALL]);

impl Tile {
    /// Every row starting from the same numbers (a layer's biases).
    #[inline]
    #[cfg_attr(target_arch = "x86_64", target_feature(enable = "avx"))]
    fn splat(start: &[f64; WIDE]) -> Tile {
        Tile([load(start); TALL])
    }

    #[inline]
    #[cfg_attr(target_arch = "x86_64", target_feature(enable = "avx"))]
    fn zero() -> Tile {
        Tile([[lanes::zero(); VECS]; TALL])
    }

    /// `row r += a[r] · w`.
    #[inline]
    #[cfg_attr(target_arch = "x86_64", target_feature(enable = "avx"))]
    fn add_products(&mut self, a: &[f64; TALL], w: &[f64; WIDE]) {
        let w = load(w);
        for (row, &a) in self.0.iter_mut().zip(a) {
            let a = lanes::splat(a);
            for (sum, &w) in row.iter_mut().zip(&w) {
                *sum = lanes::add_product(*sum, a, w);
            }
        }
    }

    /// Row `r`'s sums into `out[..WIDE]`.
    #[inline]
    #[cfg_attr(target_arch = "x86_64", target_feature(enable = "avx"))]
    fn store(&self, r: usize, out: &mut [f64]) {
        for (v, &sums) in self.0[r].iter().enumerate() {
            lanes::store(sums, &mut out[v * LANES..]);
        }
    }
}

/// The numbers of `v` in registers.
#[inline]
#[cfg_attr(target_arch = "x86_64", target_feature(enable = "avx"))]
fn load(v: &[f64; WIDE]) -> [V; VECS] {
    std::array::from_fn(|i| lanes::load(&v[i * LANES..]))
}

/// `v[at..at + WIDE]` as an array.
#[inline]
fn block(v: &[f64], at: usize) -> &[f64; WIDE] {
    let (blocks, _) = v[at..].as_chunks::<WIDE>();
    &blocks[0]
}

/// `v` (at most [`WIDE`] numbers) padded with zeros to a whole tile's.
fn padded(v: &[f64]) -> [f64; WIDE] {
    let mut p = [0.0; WIDE];
    p[..v.len()].copy_from_slice(v);
    p
}

/// [`Layer::forward`] four rows at a time, [`WIDE`] outputs at a time; the last outputs
/// (fewer than a tile's) in a tile of their weights padded with zeros, of which only their
/// own sums are kept. The rows covered (a multiple of four); the caller does the rest.
#[cfg_attr(target_arch = "x86_64", target_feature(enable = "avx"))]
pub(super) fn forward(
    layer: &Layer,
    input: &[f64],
    rows: usize,
    out: &mut [f64],
    zeros: Zeros,
) -> usize {
    let (d, h) = (layer.inputs, layer.outputs);
    let full = h - h % WIDE;
    let tail = (full < h).then(|| {
        let weights: Vec<[f64; WIDE]> = (layer.weights.chunks_exact(h))
            .map(|row| padded(&row[full..]))
            .collect();
        (weights, padded(&layer.biases[full..]))
    });
    let blocked = rows - rows % TALL;
    // The four rows' inputs side by side, input by input.
    let mut across: Vec<[f64; TALL]> = vec![[0.0; TALL]; d];
    let skip = |a: &[f64; TALL]| zeros == Zeros::Skip && a.iter().all(|&v| v == 0.0);
    for first in (0..blocked).step_by(TALL) {
        for (r, row) in input[first * d..(first + TALL) * d]
            .chunks_exact(d)
            .enumerate()
        {
            for (a, &v) in across.iter_mut().zip(row) {
                a[r] = v;
            }
        }
        for j in (0..full).step_by(WIDE) {
            let mut tile = Tile::splat(block(&layer.biases, j));
            for (a, weights) in across.iter().zip(layer.weights.chunks_exact(h)) {
                if !skip(a) {
                    tile.add_products(a, block(weights, j));
                }
            }
            for r in 0..TALL {
                tile.store(r, &mut out[(first + r) * h + j..]);
            }
        }
        if let Some((weights, biases)) = &tail {
            let mut tile = Tile::splat(biases);
            for (a, w) in across.iter().zip(weights) {
                if !skip(a) {
                    tile.add_products(a, w);
                }
            }
            for r in 0..TALL {
                let mut sums = [0.0; WIDE];
                tile.store(r, &mut sums);
                out[(first + r) * h + full..(first + r + 1) * h].copy_from_slice(&sums[..h - full]);
            }
        }
    }
    blocked
}

/// [`super::weight_sums`] four inputs at a time, [`WIDE`] outputs at a time, the rows
/// passing; the last outputs (fewer than a tile's) in a tile of the rows' deltas padded with
/// zeros. The inputs covered (a multiple of four); the caller does the rest.
#[cfg_attr(target_arch = "x86_64", target_feature(enable = "avx"))]
pub(super) fn weight_sums(
    (input, delta): (&[f64], &[f64]),
    (m, d, h): (usize, usize, usize),
    grads: &mut [f64],
    zeros: Zeros,
) -> usize {
    let full = h - h % WIDE;
    let tail: Vec<[f64; WIDE]> = if full < h {
        (delta.chunks_exact(h).take(m))
            .map(|row| padded(&row[full..]))
            .collect()
    } else {
        Vec::new()
    };
    let blocked = d - d % TALL;
    let mut rows: Vec<(usize, [f64; TALL])> = Vec::with_capacity(m);
    for first in (0..blocked).step_by(TALL) {
        super::nonzero_rows(input, (m, d), first, zeros, &mut rows);
        for j in (0..full).step_by(WIDE) {
            let mut tile = Tile::zero();
            for (b, a) in &rows {
                tile.add_products(a, block(delta, b * h + j));
            }
            for r in 0..TALL {
                tile.store(r, &mut grads[(first + r) * h + j..]);
            }
        }
        if !tail.is_empty() {
            let mut tile = Tile::zero();
            for (b, a) in &rows {
                tile.add_products(a, &tail[*b]);
            }
            for r in 0..TALL {
                let mut sums = [0.0; WIDE];
                tile.store(r, &mut sums);
                let at = (first + r) * h;
                grads[at + full..at + h].copy_from_slice(&sums[..h - full]);
            }
        }
    }
    blocked
}
