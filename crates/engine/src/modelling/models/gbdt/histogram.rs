//! Histograms, as LightGBM's `FeatureHistogram`: per leaf and feature, the sums of
//! gradients, hessians and counts per bin; the larger child of a split gets its histogram by
//! subtracting the smaller's from the parent's.

use super::binning::{BinColumn, FeatureBins};

/// Per-bin sums for one feature within one leaf.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Bin {
    pub(super) grad: f64,
    pub(super) hess: f64,
    pub(super) count: usize,
}

/// Fewest rows × features a histogram scan shares out over the cores: below it starting
/// the threads costs more than the scan (about 10 µs a thread against about 1 ns a cell).
pub(super) const PARALLEL_CELLS: usize = 1 << 18;

/// Per-feature histograms of the gradients of `rows`. The rows' gradients are gathered
/// into contiguous arrays once, then each feature's pass reads them in order. A big scan
/// runs a feature per task on every core ([`crate::parallel::map`], as LightGBM's
/// feature-parallel histogram construction); each feature's sums are added in row order
/// whichever thread makes them, so the histograms are the same on any number of threads.
pub(super) fn histograms(
    features: &[FeatureBins],
    binned: &[BinColumn],
    rows: &[u32],
    grad: &[f64],
    hess: &[f64],
) -> Vec<Vec<Bin>> {
    let g: Vec<f64> = rows.iter().map(|&r| grad[r as usize]).collect();
    let h: Vec<f64> = rows.iter().map(|&r| hess[r as usize]).collect();
    let one = |j: usize| {
        let mut hist = vec![Bin::default(); features[j].n_bins()];
        match &binned[j] {
            BinColumn::Byte(bins) => accumulate(&mut hist, bins, rows, &g, &h),
            BinColumn::Wide(bins) => accumulate(&mut hist, bins, rows, &g, &h),
        }
        hist
    };
    if rows.len() * features.len() >= PARALLEL_CELLS {
        let task = |j: usize, _: &mut dyn FnMut(()) -> bool| one(j);
        crate::parallel::map(features.len(), &mut |()| true, &task)
    } else {
        (0..features.len()).map(one).collect()
    }
}

#[inline]
fn accumulate<T: Copy + Into<u32>>(
    hist: &mut [Bin],
    bins: &[T],
    rows: &[u32],
    g: &[f64],
    h: &[f64],
) {
    for ((&r, &gi), &hi) in rows.iter().zip(g).zip(h) {
        let b = &mut hist[bins[r as usize].into() as usize];
        b.grad += gi;
        b.hess += hi;
        b.count += 1;
    }
}

fn subtract(parent: &[Vec<Bin>], child: &[Vec<Bin>]) -> Vec<Vec<Bin>> {
    parent
        .iter()
        .zip(child)
        .map(|(p, c)| {
            p.iter()
                .zip(c)
                .map(|(p, c)| Bin {
                    grad: p.grad - c.grad,
                    hess: p.hess - c.hess,
                    count: p.count - c.count,
                })
                .collect()
        })
        .collect()
}

/// The histograms of a split's two children: the smaller child's by scanning its rows with
/// `scan`, the larger's by subtracting that from the parent's.
pub(super) fn child_histograms(
    parent: &[Vec<Bin>],
    left_rows: &[u32],
    right_rows: &[u32],
    scan: impl Fn(&[u32]) -> Vec<Vec<Bin>>,
) -> (Vec<Vec<Bin>>, Vec<Vec<Bin>>) {
    if left_rows.len() <= right_rows.len() {
        let left = scan(left_rows);
        let right = subtract(parent, &left);
        (left, right)
    } else {
        let right = scan(right_rows);
        let left = subtract(parent, &right);
        (left, right)
    }
}
