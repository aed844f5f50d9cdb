//! Histograms, as LightGBM's `FeatureHistogram`: per leaf and feature, the sums of
//! gradients, hessians and counts per bin; the larger child of a split gets its histogram by
//! subtracting the smaller's from the parent's.

use super::binning::{BinColumn, FeatureBins};

/// Per-bin sums for one feature within one leaf. The split search reads counts only of the
/// missing bin of a numeric feature and of a categorical feature's levels, so a numeric
/// feature without missing values in the training rows is not counted (its counts stay 0,
/// as its missing bin's would be).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Bin {
    pub(super) grad: f64,
    pub(super) hess: f64,
    pub(super) count: usize,
}

/// Fewest rows × features a histogram scan shares out over the cores: below it starting
/// the threads costs more than the scan (about 10 µs a thread against about 1 ns a cell).
pub(super) const PARALLEL_CELLS: usize = 1 << 18;

/// Per-feature histograms of the gradients of `rows` (ascending). The rows' gradients are
/// gathered into contiguous arrays once, then each feature's pass reads them in order; the
/// root (every row) reads the gradients and bins in place, without the rows' indices. The
/// gradients are 32-bit floats (as LightGBM's `score_t`), summed in 64 bits. A big scan
/// runs a feature per task on every core ([`crate::parallel::map`], as LightGBM's
/// feature-parallel histogram construction); each feature's sums are added in row order
/// whichever thread makes them, so the histograms are the same on any number of threads.
pub(super) fn histograms(
    features: &[FeatureBins],
    binned: &[BinColumn],
    counted: &[bool],
    rows: &[u32],
    grad: &[f32],
    hess: &[f32],
) -> Vec<Vec<Bin>> {
    let every_row = rows.len() == grad.len();
    let (g, h): (Vec<f32>, Vec<f32>) = if every_row {
        (Vec::new(), Vec::new())
    } else {
        (
            rows.iter().map(|&r| grad[r as usize]).collect(),
            rows.iter().map(|&r| hess[r as usize]).collect(),
        )
    };
    let one = |j: usize| {
        let mut hist = vec![Bin::default(); features[j].n_bins()];
        // Monomorphised for each case, so the inner loops have no branch.
        macro_rules! scan {
            ($bins:expr, $count:literal) => {
                if every_row {
                    accumulate_all::<_, $count>(&mut hist, $bins, grad, hess)
                } else {
                    accumulate::<_, $count>(&mut hist, $bins, rows, &g, &h)
                }
            };
        }
        match (&binned[j], counted[j]) {
            (BinColumn::Byte(bins), true) => scan!(bins, true),
            (BinColumn::Byte(bins), false) => scan!(bins, false),
            (BinColumn::Wide(bins), true) => scan!(bins, true),
            (BinColumn::Wide(bins), false) => scan!(bins, false),
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

/// Adds the rows' gradients to their bins, and counts them when `COUNT`.
#[inline]
fn accumulate<T: Copy + Into<u32>, const COUNT: bool>(
    hist: &mut [Bin],
    bins: &[T],
    rows: &[u32],
    g: &[f32],
    h: &[f32],
) {
    for ((&r, &gi), &hi) in rows.iter().zip(g).zip(h) {
        add::<COUNT>(&mut hist[bins[r as usize].into() as usize], gi, hi);
    }
}

/// [`accumulate`] over every row, in row order.
#[inline]
fn accumulate_all<T: Copy + Into<u32>, const COUNT: bool>(
    hist: &mut [Bin],
    bins: &[T],
    g: &[f32],
    h: &[f32],
) {
    for ((&bin, &gi), &hi) in bins.iter().zip(g).zip(h) {
        add::<COUNT>(&mut hist[bin.into() as usize], gi, hi);
    }
}

#[inline(always)]
fn add<const COUNT: bool>(b: &mut Bin, g: f32, h: f32) {
    b.grad += f64::from(g);
    b.hess += f64::from(h);
    if COUNT {
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
