//! The reference profile a model file keeps of its training data: aggregates only, never
//! rows. Per numeric feature up to 100 quantiles, the 10 decile bins with their counts, the
//! mean, standard deviation and number of distinct values (capped) and the missing share;
//! per categorical feature the level counts (the 50 most frequent plus "other") and the
//! missing share. A new export is compared with it by [`super::drift`].

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::dataset::{ColumnData, Dataset, MISSING_CODE};

/// Quantiles kept per numeric feature: at the probabilities `(k + 0.5) / 100`.
pub const QUANTILES: usize = 100;
/// Levels kept by name per categorical feature; the rest are counted as "other".
pub const TOP_LEVELS: usize = 50;
/// Distinct values counted per numeric feature before counting stops.
pub const DISTINCT_CAP: usize = 1000;

/// The training data's profile: one entry per source column the model reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceProfile {
    /// Rows the profile was computed on.
    pub rows: usize,
    pub features: Vec<FeatureReference>,
}

/// One source column's aggregates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureReference {
    pub column: String,
    /// Rows with a value (not missing).
    pub present: usize,
    /// Share of rows with the cell missing, 0 to 1.
    pub missing_share: f64,
    pub distribution: Distribution,
}

/// What a column's present values look like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Distribution {
    Numeric(NumericReference),
    Categorical(CategoricalReference),
}

/// A numeric column's aggregates (all of the present values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericReference {
    /// The smallest and largest present values (0 when none is present, like `mean` and `sd`).
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    /// Population standard deviation.
    pub sd: f64,
    /// Number of distinct values, counted up to [`DISTINCT_CAP`] (which means "at least").
    pub distinct: usize,
    /// The values at probabilities `(k + 0.5) / n` for `k < n`, `n` being [`QUANTILES`], or
    /// every value sorted when there are fewer present values than that.
    pub quantiles: Vec<f64>,
    /// The decile bins' inner edges, ascending and distinct (at most 9; fewer when deciles
    /// tie). Bin `i` holds the values `x` with `edges[i-1] < x <= edges[i]`, the first bin
    /// everything up to `edges[0]` and the last everything above the last edge.
    pub edges: Vec<f64>,
    /// Values per bin (`edges.len() + 1` entries).
    pub counts: Vec<u64>,
}

/// A categorical column's aggregates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalReference {
    /// The most frequent levels (at most [`TOP_LEVELS`]) with their counts, most frequent
    /// first, ties by name.
    pub levels: Vec<LevelCount>,
    /// Present values of every other level.
    pub other: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelCount {
    pub level: String,
    pub count: u64,
}

impl ReferenceProfile {
    /// The profile of `columns` of `ds` on `rows`. Columns missing from `ds` are skipped.
    pub fn of(ds: &Dataset, rows: &[usize], columns: &[String]) -> Self {
        let features = columns
            .iter()
            .filter_map(|name| ds.column(name).map(|c| (name, &c.data)))
            .map(|(name, data)| FeatureReference::of(name, data, rows))
            .collect();
        ReferenceProfile {
            rows: rows.len(),
            features,
        }
    }

    /// The entry for `column`.
    pub fn feature(&self, column: &str) -> Option<&FeatureReference> {
        self.features.iter().find(|f| f.column == column)
    }
}

impl FeatureReference {
    /// The aggregates of `data` on `rows`.
    pub fn of(column: &str, data: &ColumnData, rows: &[usize]) -> Self {
        let (present, distribution) = match data {
            ColumnData::Numeric(v) => {
                let values: Vec<f64> = rows
                    .iter()
                    .map(|&r| v[r])
                    .filter(|x| x.is_finite())
                    .collect();
                (
                    values.len(),
                    Distribution::Numeric(NumericReference::of(values)),
                )
            }
            ColumnData::Categorical { levels, codes } => {
                let mut counts = vec![0u64; levels.len()];
                let mut present = 0;
                for &r in rows {
                    if codes[r] != MISSING_CODE {
                        counts[codes[r] as usize] += 1;
                        present += 1;
                    }
                }
                let pairs = levels.iter().zip(counts).map(|(l, c)| (l.as_str(), c));
                (
                    present,
                    Distribution::Categorical(CategoricalReference::of(pairs)),
                )
            }
        };
        FeatureReference {
            column: column.to_string(),
            present,
            missing_share: if rows.is_empty() {
                0.0
            } else {
                (rows.len() - present) as f64 / rows.len() as f64
            },
            distribution,
        }
    }
}

/// The value at probability `p` of sorted `values` (numpy's default linear interpolation).
pub fn quantile_of_sorted(values: &[f64], p: f64) -> f64 {
    match values.len() {
        0 => f64::NAN,
        1 => values[0],
        n => {
            let h = p.clamp(0.0, 1.0) * (n - 1) as f64;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            values[lo] + (h - lo as f64) * (values[hi] - values[lo])
        }
    }
}

impl NumericReference {
    /// The aggregates of the present values `values` (no NaN).
    pub fn of(mut values: Vec<f64>) -> Self {
        values.sort_by(f64::total_cmp);
        let n = values.len();
        // A column with no value present keeps zeros (JSON has no NaN).
        let mean = if n == 0 {
            0.0
        } else {
            values.iter().sum::<f64>() / n as f64
        };
        let sd = if n == 0 {
            0.0
        } else {
            (values.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64).sqrt()
        };
        let mut distinct = 0;
        let mut previous = None;
        for &x in &values {
            if previous != Some(x) {
                distinct += 1;
                previous = Some(x);
                if distinct >= DISTINCT_CAP {
                    break;
                }
            }
        }
        let quantiles = if n <= QUANTILES {
            values.clone()
        } else {
            (0..QUANTILES)
                .map(|k| quantile_of_sorted(&values, (k as f64 + 0.5) / QUANTILES as f64))
                .collect()
        };
        let mut edges: Vec<f64> = (1..10)
            .map(|k| quantile_of_sorted(&values, k as f64 / 10.0))
            .filter(|x| x.is_finite())
            .collect();
        edges.dedup();
        let counts = bin_counts(&edges, values.iter().copied());
        NumericReference {
            min: values.first().copied().unwrap_or(0.0),
            max: values.last().copied().unwrap_or(0.0),
            mean,
            sd,
            distinct,
            quantiles,
            edges,
            counts,
        }
    }
}

/// How many of `values` fall in each bin of `edges` (see [`NumericReference::edges`]).
pub fn bin_counts(edges: &[f64], values: impl Iterator<Item = f64>) -> Vec<u64> {
    let mut counts = vec![0u64; edges.len() + 1];
    for x in values {
        counts[edges.partition_point(|&e| e < x)] += 1;
    }
    counts
}

impl CategoricalReference {
    /// The aggregates of `(level, count)` pairs (levels distinct).
    pub fn of<'a>(pairs: impl Iterator<Item = (&'a str, u64)>) -> Self {
        let mut merged: HashMap<&str, u64> = HashMap::new();
        for (level, count) in pairs {
            *merged.entry(level).or_default() += count;
        }
        let mut sorted: Vec<(&str, u64)> = merged.into_iter().filter(|&(_, c)| c > 0).collect();
        sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let other = sorted.iter().skip(TOP_LEVELS).map(|&(_, c)| c).sum();
        let levels = sorted
            .into_iter()
            .take(TOP_LEVELS)
            .map(|(level, count)| LevelCount {
                level: level.to_string(),
                count,
            })
            .collect();
        CategoricalReference { levels, other }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy_linear() {
        // numpy.quantile([1, 2, 3, 4], 0.5) == 2.5; 0.1 -> 1.3.
        assert_eq!(quantile_of_sorted(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert!((quantile_of_sorted(&[1.0, 2.0, 3.0, 4.0], 0.1) - 1.3).abs() < 1e-12);
    }

    #[test]
    fn numeric_reference_keeps_deciles_and_counts() {
        let r = NumericReference::of((1..=1000).map(f64::from).collect());
        assert_eq!(r.quantiles.len(), QUANTILES);
        assert_eq!(r.edges.len(), 9);
        assert_eq!(r.counts.iter().sum::<u64>(), 1000);
        // numpy.quantile(range(1, 1001), 0.1) == 100.9: values 1..=100 are at or below it.
        assert_eq!(r.counts[0], 100);
        assert_eq!(r.distinct, 1000);
        let flag = NumericReference::of(vec![0.0, 1.0, 1.0, 0.0, 1.0]);
        assert_eq!(flag.distinct, 2);
        assert_eq!(flag.counts.iter().sum::<u64>(), 5);
        assert!(flag.edges.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn categorical_reference_keeps_top_levels_and_other() {
        let names: Vec<String> = (0..60).map(|i| format!("l{i:02}")).collect();
        let r = CategoricalReference::of(names.iter().map(|n| (n.as_str(), 2)).chain([("top", 9)]));
        assert_eq!(r.levels.len(), TOP_LEVELS);
        assert_eq!(r.levels[0].level, "top");
        assert_eq!(r.other, 11 * 2);
    }
}
