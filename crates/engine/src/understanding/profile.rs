//! A profile of one column: missing share, distinct count, summary statistics or top levels,
//! a histogram, and the churn rate in each bin or level when a target is chosen.
//!
//! Histograms use equal-width bins over [min, max] (10 bins, fewer when a column has fewer
//! distinct values); a column of whole numbers gets bins of a whole width starting at its
//! minimum, labelled by the whole numbers they hold (`1`, `[0, 7]`), so a tier of 1 to 3 is
//! three bars rather than `[1, 1.667)`. The top levels are the 8 most frequent, ties broken by name, with the
//! rest counted together. Churn rates are over rows with a known target only.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::dataset::{format_number, Column, ColumnData, ColumnKind, Dataset, MISSING_CODE};
use crate::modelling::preprocessing::median;
use crate::understanding::target::Target;

/// Bins of a numeric histogram.
pub const HISTOGRAM_BINS: usize = 10;
/// Levels listed by name; the rest are grouped.
pub const TOP_LEVELS: usize = 8;

/// Summary statistics of a numeric (or date) column's present values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericStats {
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub median: f64,
}

/// One bar: a numeric bin or a level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    /// `"[lo, hi)"` for a bin (the last one closed), `"[lo, hi]"` or `"lo"` for a bin of whole
    /// numbers, the level for a category, "(missing)" or "(other levels)".
    pub label: String,
    pub count: usize,
    /// Share of the bar's labelled rows that churned; `None` without a target or rows.
    pub churn_rate: Option<f64>,
}

/// Everything the profile panel shows for a column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub name: String,
    pub kind: ColumnKind,
    pub rows: usize,
    pub missing: usize,
    pub missing_share: f64,
    pub distinct: usize,
    pub stats: Option<NumericStats>,
    /// Histogram bins for numbers and dates, levels for everything else.
    pub bars: Vec<Bar>,
}

struct Tally {
    count: usize,
    labelled: usize,
    churned: usize,
}

impl Tally {
    fn new() -> Self {
        Tally {
            count: 0,
            labelled: 0,
            churned: 0,
        }
    }

    fn add(&mut self, label: Option<u8>) {
        self.count += 1;
        if let Some(l) = label {
            self.labelled += 1;
            self.churned += usize::from(l);
        }
    }

    fn bar(&self, label: String, with_target: bool) -> Bar {
        Bar {
            label,
            count: self.count,
            churn_rate: (with_target && self.labelled > 0)
                .then(|| self.churned as f64 / self.labelled as f64),
        }
    }
}

/// The profile of `column`, with churn rates when `target` is given (and is not this column).
pub fn profile_column(ds: &Dataset, column: &Column, target: Option<&Target>) -> ColumnProfile {
    let labels: Vec<Option<u8>> = match target {
        Some(t) if t.column != column.name => {
            t.labels(ds).unwrap_or_else(|_| vec![None; ds.n_rows])
        }
        _ => vec![None; ds.n_rows],
    };
    let with_target = labels.iter().any(Option::is_some);
    let missing = column.missing();
    let numeric_kind = matches!(column.kind, ColumnKind::Numeric | ColumnKind::Date);
    let (stats, bars) = match &column.data {
        ColumnData::Numeric(v) if numeric_kind => numeric_bars(column, v, &labels, with_target),
        _ => (None, level_bars(column, &labels, with_target)),
    };
    ColumnProfile {
        name: column.name.clone(),
        kind: column.kind,
        rows: ds.n_rows,
        missing,
        missing_share: if ds.n_rows == 0 {
            0.0
        } else {
            missing as f64 / ds.n_rows as f64
        },
        distinct: column.distinct(),
        stats,
        bars,
    }
}

fn numeric_bars(
    column: &Column,
    v: &[f64],
    labels: &[Option<u8>],
    with_target: bool,
) -> (Option<NumericStats>, Vec<Bar>) {
    let mut present: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    let Some(med) = median(&mut present) else {
        return (None, Vec::new());
    };
    let (min, max) = (present[0], present[present.len() - 1]);
    let mean = present.iter().sum::<f64>() / present.len() as f64;
    let distinct = column.distinct();
    let whole = column.kind != ColumnKind::Date && present.iter().all(|x| x.fract() == 0.0);
    let mut bins = distinct.clamp(1, HISTOGRAM_BINS);
    let width = if whole {
        // Whole-number bins [min + i·w, min + (i + 1)·w − 1], as few as cover the range.
        let w = ((max - min + 1.0) / bins as f64).ceil().max(1.0);
        bins = (((max - min + 1.0) / w).ceil() as usize).clamp(1, bins);
        w
    } else {
        (max - min) / bins as f64
    };
    let mut tallies: Vec<Tally> = (0..bins).map(|_| Tally::new()).collect();
    let mut blank = Tally::new();
    for (x, label) in v.iter().zip(labels) {
        if x.is_nan() {
            blank.add(*label);
        } else {
            let i = if width > 0.0 {
                (((x - min) / width) as usize).min(bins - 1)
            } else {
                0
            };
            tallies[i].add(*label);
        }
    }
    let show = |x: f64| {
        if column.kind == ColumnKind::Date {
            crate::reading::cells::format_date(x.floor())
        } else {
            format_number((x * 1000.0).round() / 1000.0)
        }
    };
    let label = |i: usize| {
        let lo = min + width * i as f64;
        if whole {
            let hi = (lo + width - 1.0).min(max);
            return if hi == lo {
                show(lo)
            } else {
                format!("[{}, {}]", show(lo), show(hi))
            };
        }
        let last = i + 1 == bins;
        let hi = if last { max } else { lo + width };
        let close = if last { "]" } else { ")" };
        format!("[{}, {}{close}", show(lo), show(hi))
    };
    let mut bars: Vec<Bar> = tallies
        .iter()
        .enumerate()
        .map(|(i, t)| t.bar(label(i), with_target))
        .collect();
    if blank.count > 0 {
        bars.push(blank.bar("(missing)".into(), with_target));
    }
    (
        Some(NumericStats {
            min,
            max,
            mean,
            median: med,
        }),
        bars,
    )
}

fn level_bars(column: &Column, labels: &[Option<u8>], with_target: bool) -> Vec<Bar> {
    let mut by_level: HashMap<String, Tally> = HashMap::new();
    let mut blank = Tally::new();
    match &column.data {
        ColumnData::Categorical { levels, codes } => {
            let mut tallies: Vec<Tally> = levels.iter().map(|_| Tally::new()).collect();
            for (&c, label) in codes.iter().zip(labels) {
                if c == MISSING_CODE {
                    blank.add(*label);
                } else {
                    tallies[c as usize].add(*label);
                }
            }
            for (level, t) in levels.iter().zip(tallies) {
                if t.count > 0 {
                    by_level.insert(level.clone(), t);
                }
            }
        }
        ColumnData::Numeric(_) => {
            for (row, label) in labels.iter().enumerate() {
                match column.text(row) {
                    Some(text) => by_level.entry(text).or_insert_with(Tally::new).add(*label),
                    None => blank.add(*label),
                }
            }
        }
    }
    let mut ordered: Vec<(String, Tally)> = by_level.into_iter().collect();
    ordered.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
    let mut bars: Vec<Bar> = Vec::new();
    let mut other = Tally::new();
    for (i, (level, t)) in ordered.into_iter().enumerate() {
        if i < TOP_LEVELS {
            bars.push(t.bar(level, with_target));
        } else {
            other.count += t.count;
            other.labelled += t.labelled;
            other.churned += t.churned;
        }
    }
    if other.count > 0 {
        bars.push(other.bar("(other levels)".into(), with_target));
    }
    if blank.count > 0 {
        bars.push(blank.bar("(missing)".into(), with_target));
    }
    bars
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::ingest::{read_csv, ReadOptions};
    use crate::understanding::target::target_for;

    fn ds(text: &str) -> Dataset {
        read_csv(text.as_bytes(), &ReadOptions::default()).expect("valid csv")
    }

    #[test]
    fn numeric_profile_by_hand() {
        // x = 0, 1, ..., 8, 9.9 and one blank; churn on x >= 8. Ten distinct values, not all
        // whole -> 10 bins of 0.99.
        let mut text = String::from("x,churn\n");
        for i in 0..10 {
            let x = if i == 9 {
                "9.9".to_string()
            } else {
                i.to_string()
            };
            text.push_str(&format!("{x},{}\n", if i >= 8 { "Yes" } else { "No" }));
        }
        text.push_str(",Yes\n");
        let d = ds(&text);
        let t = target_for(&d, "churn", Some("Yes")).expect("target");
        let p = profile_column(&d, d.column("x").expect("x"), Some(&t));
        assert_eq!((p.rows, p.missing, p.distinct), (11, 1, 10));
        assert!((p.missing_share - 1.0 / 11.0).abs() < 1e-12);
        assert_eq!(
            p.stats,
            Some(NumericStats {
                min: 0.0,
                max: 9.9,
                mean: 4.59,
                median: 4.5
            })
        );
        assert_eq!(p.bars.len(), 11, "10 bins and the missing bar");
        assert!(p.bars[..10].iter().all(|b| b.count == 1));
        assert_eq!(p.bars[0].label, "[0, 0.99)");
        assert_eq!(p.bars[9].label, "[8.91, 9.9]");
        assert_eq!(p.bars[9].churn_rate, Some(1.0));
        assert_eq!(p.bars[0].churn_rate, Some(0.0));
        assert_eq!(
            (p.bars[10].label.as_str(), p.bars[10].churn_rate),
            ("(missing)", Some(1.0))
        );
    }

    /// Bars of the histogram of the whole numbers `values`: (label, count).
    fn whole_bars(values: impl Iterator<Item = i64>) -> Vec<(String, usize)> {
        let mut text = String::from("x\n");
        for v in values {
            text.push_str(&format!("{v}\n"));
        }
        let d = ds(&text);
        let p = profile_column(&d, d.column("x").expect("x"), None);
        p.bars.into_iter().map(|b| (b.label, b.count)).collect()
    }

    #[test]
    fn whole_numbers_get_whole_bins() {
        // A tier of 1 to 3 (1, 2, 2, 3, 3, 3): one bar per value, not [1, 1.667).
        let tier = whole_bars([1, 2, 2, 3, 3, 3].into_iter());
        let expected = [("1", 1), ("2", 2), ("3", 3)];
        assert_eq!(tier, expected.map(|(l, n)| (l.to_string(), n)));
        // Tenure 0..=72 months, one customer each: 73 values in bins of ceil(73/10) = 8,
        // so [0, 7], [8, 15], ..., [64, 71] and 72 alone.
        let tenure = whole_bars(0..=72);
        assert_eq!(tenure.len(), 10);
        assert_eq!(tenure[0], ("[0, 7]".to_string(), 8));
        assert_eq!(tenure[1], ("[8, 15]".to_string(), 8));
        assert_eq!(tenure[8], ("[64, 71]".to_string(), 8));
        assert_eq!(tenure[9], ("72".to_string(), 1));
        // Two far-apart values: two bins of width ceil(101/2) = 51.
        let apart = whole_bars([0, 100, 100].into_iter());
        assert_eq!(
            apart,
            [("[0, 50]".to_string(), 1), ("[51, 100]".to_string(), 2)]
        );
        // Negative whole numbers and a single value.
        let negative = whole_bars([-2, -1, 0].into_iter());
        assert_eq!(
            negative.iter().map(|b| b.0.as_str()).collect::<Vec<_>>(),
            ["-2", "-1", "0"]
        );
        assert_eq!(whole_bars([5, 5].into_iter()), [("5".to_string(), 2)]);
    }

    #[test]
    fn level_profile_groups_the_tail() {
        let mut text = String::from("plan,churn\n");
        for i in 0..40 {
            // 10 levels: l0 appears 13 times, l1..l9 three times each.
            let level = if i < 13 { 0 } else { 1 + (i - 13) / 3 };
            text.push_str(&format!(
                "l{level},{}\n",
                if i % 2 == 0 { "Yes" } else { "No" }
            ));
        }
        let d = ds(&text);
        let t = target_for(&d, "churn", Some("Yes")).expect("target");
        let p = profile_column(&d, d.column("plan").expect("plan"), Some(&t));
        assert_eq!(p.stats, None);
        assert_eq!(p.bars.len(), TOP_LEVELS + 1);
        assert_eq!((p.bars[0].label.as_str(), p.bars[0].count), ("l0", 13));
        assert_eq!(p.bars[0].churn_rate, Some(7.0 / 13.0));
        assert_eq!(p.bars[TOP_LEVELS].label, "(other levels)");
        assert_eq!(p.bars.iter().map(|b| b.count).sum::<usize>(), 40);
        // Without a target there are no churn rates.
        let p = profile_column(&d, d.column("plan").expect("plan"), None);
        assert!(p.bars.iter().all(|b| b.churn_rate.is_none()));
    }
}
