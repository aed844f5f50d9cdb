//! Feature binning, as LightGBM's `BinMapper`: how each feature's values map to bins (for
//! training, and as stored in the model), and the bin of every training cell.

use serde::{Deserialize, Serialize};

use crate::matrix::{Matrix, MatrixExt};

/// One feature's bin of every training row.
pub(super) enum BinColumn {
    Byte(Vec<u8>),
    Wide(Vec<u32>),
}

/// Each feature's bin mapper, learnt from its column of `x` (`categorical[j]` marks
/// category codes).
pub(super) fn bin_mappers(
    x: &Matrix,
    categorical: &[bool],
    max_bin: usize,
    min_data_in_bin: usize,
) -> Vec<FeatureBins> {
    let x = x.row_major();
    (0..x.cols)
        .map(|j| {
            let column: Vec<f64> = (0..x.rows).map(|i| x.data[i * x.cols + j]).collect();
            if categorical[j] {
                FeatureBins::categorical(&column, max_bin, min_data_in_bin)
            } else {
                FeatureBins::numeric(&column, max_bin, min_data_in_bin)
            }
        })
        .collect()
}

/// The bin index of every cell of `x`, feature-major, a byte each where 256 bins suffice.
pub(super) fn bin_columns(x: &Matrix, features: &[FeatureBins]) -> Vec<BinColumn> {
    let x = x.row_major();
    features
        .iter()
        .enumerate()
        .map(|(j, f)| {
            let bins = (0..x.rows).map(|i| f.bin_of(x.data[i * x.cols + j]));
            if f.n_bins() <= 256 {
                BinColumn::Byte(bins.map(|b| b as u8).collect())
            } else {
                BinColumn::Wide(bins.collect())
            }
        })
        .collect()
}

/// The bins of each row of `x`, row-major (for scoring held-out rows).
pub(super) fn bin_rows(features: &[FeatureBins], x: &Matrix) -> Vec<Vec<u32>> {
    let x = x.row_major();
    (0..x.rows)
        .map(|i| {
            features
                .iter()
                .enumerate()
                .map(|(j, f)| f.bin_of(x.data[i * x.cols + j]))
                .collect()
        })
        .collect()
}

/// How a feature's values map to bins (the last bin is for missing values).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum FeatureBins {
    /// Bin `k` holds values up to `upper[k]` (the last upper bound is +inf).
    Numeric { upper: Vec<f64> },
    /// Bin `k` is level `k`; codes at or above `levels`, and NaN, go to the missing bin.
    Categorical { levels: usize, other: Vec<u32> },
}

impl FeatureBins {
    pub(super) fn numeric(values: &[f64], max_bin: usize, min_data_in_bin: usize) -> Self {
        let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        // One bin is kept for missing values when there are any (LightGBM's NaN bin).
        let max_bin = if present.len() < values.len() {
            max_bin - 1
        } else {
            max_bin
        };
        present.sort_by(f64::total_cmp);
        let mut distinct: Vec<(f64, usize)> = Vec::new();
        for v in present {
            match distinct.last_mut() {
                Some((last, count)) if *last == v => *count += 1,
                _ => distinct.push((v, 1)),
            }
        }
        FeatureBins::Numeric {
            upper: bins_with_zero_apart(&distinct, max_bin, min_data_in_bin),
        }
    }

    /// A bin per level (its code), except that, as LightGBM's categorical `BinMapper`, the
    /// levels are taken from the most frequent down until 99% of the rows are covered and
    /// `max_bin` bins are used (one of them for missing values), stopping at a level with
    /// fewer than `min_data_in_bin` rows; the rarest levels left over share the missing bin.
    pub(super) fn categorical(values: &[f64], max_bin: usize, min_data_in_bin: usize) -> Self {
        let mut counts: Vec<usize> = Vec::new();
        let mut present = 0usize;
        for &v in values {
            if !v.is_nan() && v >= 0.0 && v.fract() == 0.0 {
                let code = v as usize;
                if code >= counts.len() {
                    counts.resize(code + 1, 0);
                }
                counts[code] += 1;
                present += 1;
            }
        }
        let levels = counts.len();
        let mut order: Vec<usize> = (0..levels).filter(|&k| counts[k] > 0).collect();
        order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
        let cut = (present as f64 * 0.99).round() as usize;
        let max_bin = max_bin.min(order.len());
        let (mut used, mut bins, mut taken) = (0usize, 1usize, 0usize);
        while taken < order.len() && (used < cut || bins < max_bin) {
            let count = counts[order[taken]];
            if count < min_data_in_bin && taken > 1 {
                break;
            }
            used += count;
            bins += 1;
            taken += 1;
        }
        let mut other: Vec<u32> = order[taken..].iter().map(|&k| k as u32).collect();
        other.sort_unstable();
        FeatureBins::Categorical { levels, other }
    }

    /// Bins including the missing bin.
    pub(super) fn n_bins(&self) -> usize {
        match self {
            FeatureBins::Numeric { upper } => upper.len() + 1,
            FeatureBins::Categorical { levels, .. } => levels + 1,
        }
    }

    pub(super) fn bin_of(&self, v: f64) -> u32 {
        match self {
            // Without the last bound (+inf), as the model stores it: the same bins.
            FeatureBins::Numeric { upper } => numeric_bin(&upper[..upper.len() - 1], v),
            FeatureBins::Categorical { levels, other } => category_bin(*levels, other, v),
        }
    }

    pub(super) fn describe(&self) -> FeatureBinning {
        match self {
            FeatureBins::Numeric { upper } => FeatureBinning::Numeric {
                upper: upper[..upper.len() - 1].to_vec(),
            },
            FeatureBins::Categorical { levels, other } => FeatureBinning::Categorical {
                levels: *levels,
                other: other.clone(),
            },
        }
    }
}

/// LightGBM's `kZeroThreshold`: values within it of 0 count as zero.
const ZERO: f64 = 1e-35;

/// Bin upper bounds with zero in a bin of its own (LightGBM's `FindBinWithZeroAsOneBin`):
/// negative and positive values are binned apart, sharing the bins in proportion to their
/// counts, so a split "zero or not" sits right at zero.
fn bins_with_zero_apart(
    distinct: &[(f64, usize)],
    max_bin: usize,
    min_data_in_bin: usize,
) -> Vec<f64> {
    let total: usize = distinct.iter().map(|d| d.1).sum();
    let negative: usize = distinct.iter().filter(|d| d.0 <= -ZERO).map(|d| d.1).sum();
    let zeros: usize = distinct
        .iter()
        .filter(|d| d.0.abs() < ZERO)
        .map(|d| d.1)
        .sum();
    let positive = total - negative - zeros;
    let left_end = distinct
        .iter()
        .position(|d| d.0 > -ZERO)
        .unwrap_or(distinct.len());
    let mut upper = Vec::new();
    if left_end > 0 && max_bin > 1 {
        let share = negative as f64 / (total - zeros).max(1) as f64 * (max_bin - 1) as f64;
        let left_max = (share as usize).max(1);
        upper = greedy_bins(&distinct[..left_end], left_max, negative, min_data_in_bin);
        if let Some(last) = upper.last_mut() {
            *last = -ZERO;
        }
    }
    let right_start = distinct[left_end..]
        .iter()
        .position(|d| d.0 > ZERO)
        .map(|k| left_end + k);
    let right_max = (max_bin - 1).saturating_sub(upper.len());
    match right_start {
        Some(start) if right_max > 0 => {
            let right = greedy_bins(&distinct[start..], right_max, positive, min_data_in_bin);
            upper.push(ZERO);
            upper.extend(right);
        }
        _ => upper.push(f64::INFINITY),
    }
    upper
}

/// LightGBM's `GreedyFindBin`: a bin per distinct value (merged until each holds
/// `min_data_in_bin`) when they are few; otherwise bins of about equal counts, values
/// frequent enough to fill a bin alone getting their own. Bounds lie half-way between the
/// last value of a bin and the first of the next; the last bound is +inf.
fn greedy_bins(
    distinct: &[(f64, usize)],
    max_bin: usize,
    total: usize,
    min_data_in_bin: usize,
) -> Vec<f64> {
    let mut upper = Vec::new();
    let n = distinct.len();
    if n == 0 {
        return vec![f64::INFINITY];
    }
    if n <= max_bin {
        let mut in_bin = 0;
        for i in 0..n - 1 {
            in_bin += distinct[i].1;
            if in_bin >= min_data_in_bin {
                let bound = (distinct[i].0 + distinct[i + 1].0) / 2.0;
                if upper.last() != Some(&bound) {
                    upper.push(bound);
                    in_bin = 0;
                }
            }
        }
    } else {
        let max_bin = max_bin.min(total / min_data_in_bin.max(1)).max(1);
        let mut mean_size = total as f64 / max_bin as f64;
        let big: Vec<bool> = distinct.iter().map(|d| d.1 as f64 >= mean_size).collect();
        let mut rest_bins = max_bin - big.iter().filter(|&&b| b).count();
        let mut rest_count = total
            - distinct
                .iter()
                .zip(&big)
                .filter(|(_, &b)| b)
                .map(|(d, _)| d.1)
                .sum::<usize>();
        mean_size = rest_count as f64 / rest_bins.max(1) as f64;
        let mut bins = 0usize;
        let mut in_bin = 0usize;
        for i in 0..n - 1 {
            if !big[i] {
                rest_count -= distinct[i].1;
            }
            in_bin += distinct[i].1;
            if big[i]
                || in_bin as f64 >= mean_size
                || (big[i + 1] && in_bin as f64 >= (mean_size * 0.5).max(1.0))
            {
                upper.push((distinct[i].0 + distinct[i + 1].0) / 2.0);
                bins += 1;
                if bins >= max_bin - 1 {
                    break;
                }
                in_bin = 0;
                if !big[i] {
                    rest_bins = rest_bins.saturating_sub(1);
                    mean_size = rest_count as f64 / rest_bins.max(1) as f64;
                }
            }
        }
    }
    upper.push(f64::INFINITY);
    upper
}

/// A feature's binning as stored in the model (thresholds are bin numbers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FeatureBinning {
    /// Upper bounds of the bins but the last (which runs to +inf).
    Numeric { upper: Vec<f64> },
    Categorical {
        levels: usize,
        /// Rare levels sent to the missing bin.
        #[serde(default)]
        other: Vec<u32>,
    },
}

impl FeatureBinning {
    pub(super) fn bin_of(&self, v: f64) -> u32 {
        match self {
            FeatureBinning::Numeric { upper } => numeric_bin(upper, v),
            FeatureBinning::Categorical { levels, other } => category_bin(*levels, other, v),
        }
    }
}

/// The bin of a number given the upper bounds of all bins but the last; missing values
/// take the bin after the last.
fn numeric_bin(bounds: &[f64], v: f64) -> u32 {
    if v.is_nan() {
        bounds.len() as u32 + 1
    } else {
        bounds.partition_point(|&u| u < v) as u32
    }
}

/// The bin of a category code: the code itself, or the missing bin (`levels`) for a
/// missing value, a code the training data did not have or a rare level in `other`.
fn category_bin(levels: usize, other: &[u32], v: f64) -> u32 {
    if v.is_nan()
        || v < 0.0
        || v as usize >= levels
        || v.fract() != 0.0
        || other.binary_search(&(v as u32)).is_ok()
    {
        levels as u32
    } else {
        v as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binning_gives_each_value_a_bin_and_missing_its_own() {
        // Distinct values 1, 2, 3 with 3 rows each: zero's bin (empty) up to 1e-35, then
        // bounds 1.5 and 2.5 (LightGBM's midpoints); missing values get the last bin.
        let v = [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, f64::NAN];
        let f = FeatureBins::numeric(&v, 255, 3);
        assert_eq!(
            f,
            FeatureBins::Numeric {
                upper: vec![ZERO, 1.5, 2.5, f64::INFINITY]
            }
        );
        assert_eq!(
            (
                f.bin_of(1.0),
                f.bin_of(2.4),
                f.bin_of(9.0),
                f.bin_of(f64::NAN)
            ),
            (1, 2, 3, 4)
        );
        // Fewer than 3 rows a value: merged with the next.
        let f = FeatureBins::numeric(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 255, 3);
        assert_eq!(
            f,
            FeatureBins::Numeric {
                upper: vec![ZERO, 3.5, f64::INFINITY]
            }
        );
        // Zero apart: 0 and 0.5 never share a bin, however few rows they have.
        let f = FeatureBins::numeric(&[-2.0, -2.0, -2.0, 0.0, 0.5, 0.5, 0.5], 255, 3);
        assert_eq!(
            f,
            FeatureBins::Numeric {
                upper: vec![-ZERO, ZERO, f64::INFINITY]
            }
        );
        // Many values: about equal counts, at most max_bin bins (1000 values, 10 bins of
        // 100: the first bound half-way between 99 and 100... after zero's own bin).
        let many: Vec<f64> = (1..=1000).map(f64::from).collect();
        let FeatureBins::Numeric { upper } = FeatureBins::numeric(&many, 11, 3) else {
            panic!("numeric")
        };
        assert_eq!(upper.len(), 11);
        assert_eq!((upper[0], upper[1]), (ZERO, 100.5));
    }
}
