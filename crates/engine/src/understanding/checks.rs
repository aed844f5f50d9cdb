//! Warnings about a table before any model is trained: columns that leak the answer,
//! identifiers, duplicate rows and a very rare class.
//!
//! A leak is a column that predicts churn almost perfectly by itself, usually because it is
//! recorded after the customer left (a cancellation reason, a closing balance). It is found by
//! scoring each column alone: numbers by their value, categories by their level's churn rate,
//! and measuring the ROC AUC of that score; 0.95 or more (or 0.05 or less) is flagged.
//! Categories are only scored when levels have 20 rows on average, since a level seen once
//! "predicts" its own row perfectly.

use serde::{Deserialize, Serialize};

use crate::dataset::{group_thousands, ColumnData, ColumnKind, Dataset, MISSING_CODE};
use crate::evaluating::metrics::roc_auc;
use crate::understanding::target::Target;

/// AUC of a single column at or beyond which it is reported as a likely leak.
pub const LEAKAGE_AUC: f64 = 0.95;
/// Fewest rows of each class for a leakage verdict: on a handful of rows any column can
/// separate the classes by chance.
/// Above this many labelled rows the leakage AUC is computed on every k-th row (its standard
/// error is then below 0.002, far from deciding a 0.95 threshold), to keep a check of a
/// million-row file to a fraction of a second per column.
pub const LEAKAGE_SAMPLE_ROWS: usize = 200_000;

pub const LEAKAGE_MIN_PER_CLASS: usize = 10;
/// A category column is reported when it has more levels than this and more than one
/// level per 20 rows (so levels average fewer than 20 customers each).
pub const HIGH_CARDINALITY_LEVELS: usize = 100;
/// Share of the rarer class below which the balance is reported.
pub const RARE_CLASS_RATE: f64 = 0.05;

/// Something the user should know about the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DataWarning {
    /// One column alone separates churners from the rest.
    LikelyLeakage { column: String, auc: f64 },
    /// A column unique (or nearly) per row; left out of models.
    Identifier { column: String },
    /// Rows identical in every column but identifiers; `first_line` is the file line of the
    /// first repeated row (header = line 1).
    DuplicateRows { count: usize, first_line: usize },
    /// A category column with so many levels that one-hot encoding mostly memorises rows
    /// (a surname, an e-mail, a free-form city).
    HighCardinality {
        column: String,
        levels: usize,
        rows: usize,
    },
    /// A text column left out of the model: free text, or near-unique labels such as a
    /// surname ([`ColumnKind::Text`]); the user may include it as categorical.
    LeftOutText {
        column: String,
        levels: usize,
        rows: usize,
    },
    /// The rarer target value is under 5% of labelled rows.
    RareClass { value: String, rate: f64 },
}

impl DataWarning {
    /// The warning in plain words.
    pub fn message(&self) -> String {
        match self {
            DataWarning::LikelyLeakage { column, auc } => format!(
                "'{column}' predicts the target almost perfectly on its own (ROC AUC {auc:.3}): \
                 if it is recorded after a customer churns it leaks the answer; consider leaving it out"
            ),
            DataWarning::Identifier { column } => format!(
                "'{column}' looks like an identifier (a different value on nearly every row); it is left out of the model"
            ),
            DataWarning::DuplicateRows { count, first_line } => format!(
                "{count} rows repeat an earlier row exactly (identifiers aside), the first at line {first_line}: \
                 duplicates can make test results look better than they are"
            ),
            DataWarning::HighCardinality { column, levels, rows } => format!(
                "'{column}' has {levels} different values in {rows} rows: one-hot encoding makes a feature per value, \
                 which mostly memorises customers; unless its values really repeat, leave it out: set its kind to \
                 'identifier' (in the CLI, --ignore '{column}')"
            ),
            DataWarning::LeftOutText { column, levels, rows } => format!(
                "'{column}' is left out of the model: it is text with {} different values in {} rows \
                 (near-unique, like a surname or a comment), and a feature per value mostly memorises \
                 customers; include it as a category if its values really repeat",
                group_thousands(*levels),
                group_thousands(*rows)
            ),
            DataWarning::RareClass { value, rate } => format!(
                "only {:.1}% of labelled rows are '{value}': with so few examples, metrics are unstable and accuracy is misleading",
                rate * 100.0
            ),
        }
    }
}

/// All warnings for `ds`, given the target if one is chosen.
pub fn check(ds: &Dataset, target: Option<&Target>) -> Vec<DataWarning> {
    let mut out = Vec::new();
    for c in &ds.columns {
        if c.kind == ColumnKind::Identifier {
            out.push(DataWarning::Identifier {
                column: c.name.clone(),
            });
        }
    }
    for c in &ds.columns {
        if c.kind == ColumnKind::Text && target.is_none_or(|t| t.column != c.name) {
            out.push(DataWarning::LeftOutText {
                column: c.name.clone(),
                levels: c.distinct(),
                rows: c.len() - c.missing(),
            });
        }
    }
    for c in &ds.columns {
        if c.kind != ColumnKind::Categorical {
            continue;
        }
        let present = c.len() - c.missing();
        let levels = c.distinct();
        if levels > HIGH_CARDINALITY_LEVELS
            && levels * 20 > present
            && target.is_none_or(|t| t.column != c.name)
        {
            out.push(DataWarning::HighCardinality {
                column: c.name.clone(),
                levels,
                rows: present,
            });
        }
    }
    if let Some((count, first_line)) = duplicate_rows(ds) {
        out.push(DataWarning::DuplicateRows { count, first_line });
    }
    if let Some(t) = target {
        if let Ok(labels) = t.labels(ds) {
            let (pos, n) = labels
                .iter()
                .flatten()
                .fold((0, 0), |(p, n), &l| (p + usize::from(l), n + 1));
            if n > 0 {
                let rate = pos as f64 / n as f64;
                if rate < RARE_CLASS_RATE {
                    out.push(DataWarning::RareClass {
                        value: t.positive.clone(),
                        rate,
                    });
                } else if 1.0 - rate < RARE_CLASS_RATE {
                    out.push(DataWarning::RareClass {
                        value: t.negative.clone(),
                        rate: 1.0 - rate,
                    });
                }
            }
            out.extend(leakage(ds, t, &labels));
        }
    }
    out
}

/// (number of rows that repeat an earlier one, file line of the first such row).
///
/// Each row gets a hash built column by column (cache-friendly over column storage); rows
/// are then ordered by hash, and only rows with equal hashes are compared cell by cell.
fn duplicate_rows(ds: &Dataset) -> Option<(usize, usize)> {
    let columns: Vec<_> = ds
        .columns
        .iter()
        .filter(|c| c.kind != ColumnKind::Identifier)
        .collect();
    if columns.is_empty() {
        return None;
    }
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut hashes = vec![0u64; ds.n_rows];
    for c in &columns {
        let mut mix = |row: usize, key: u64| {
            hashes[row] = (hashes[row].rotate_left(5) ^ key).wrapping_mul(K);
        };
        match &c.data {
            ColumnData::Numeric(v) => v.iter().enumerate().for_each(|(row, &x)| {
                // One key for 0.0 and -0.0, and one for every NaN (a missing cell).
                let key = if x == 0.0 {
                    0
                } else if x.is_nan() {
                    1
                } else {
                    x.to_bits()
                };
                mix(row, key)
            }),
            ColumnData::Categorical { codes, .. } => codes
                .iter()
                .enumerate()
                .for_each(|(row, &code)| mix(row, u64::from(code))),
        }
    }
    let same = |a: usize, b: usize| {
        columns.iter().all(|c| match &c.data {
            ColumnData::Numeric(v) => v[a].to_bits() == v[b].to_bits() || v[a] == v[b],
            ColumnData::Categorical { codes, .. } => codes[a] == codes[b],
        })
    };
    let mut order: Vec<u32> = (0..ds.n_rows as u32).collect();
    order.sort_unstable_by_key(|&row| (hashes[row as usize], row));
    let (mut count, mut first) = (0usize, None::<usize>);
    let mut run_start = 0;
    while run_start < order.len() {
        let h = hashes[order[run_start] as usize];
        let run_end = order[run_start..]
            .iter()
            .position(|&r| hashes[r as usize] != h)
            .map_or(order.len(), |k| run_start + k);
        // Within a run rows are in file order: a row repeating an earlier one is a duplicate.
        let run = &order[run_start..run_end];
        for (k, &row) in run.iter().enumerate().skip(1) {
            if run[..k]
                .iter()
                .any(|&earlier| same(earlier as usize, row as usize))
            {
                count += 1;
                let line = row as usize + 2;
                first = Some(first.map_or(line, |f| f.min(line)));
            }
        }
        run_start = run_end;
    }
    first.map(|line| (count, line))
}

fn leakage(ds: &Dataset, target: &Target, labels: &[Option<u8>]) -> Vec<DataWarning> {
    let mut out = Vec::new();
    let labelled = labels.iter().flatten().count();
    let step = labelled.div_ceil(LEAKAGE_SAMPLE_ROWS).max(1);
    for c in &ds.columns {
        if c.name == target.column
            || matches!(
                c.kind,
                ColumnKind::Identifier | ColumnKind::Text | ColumnKind::Constant
            )
        {
            continue;
        }
        let scored = match &c.data {
            ColumnData::Numeric(v) => numeric_scores(v, labels, step),
            ColumnData::Categorical { levels, codes } => {
                category_scores(levels.len(), codes, labels, step)
            }
        };
        let Some((y, score)) = scored else { continue };
        if let Ok(auc) = roc_auc(&y, &score) {
            if auc >= LEAKAGE_AUC || auc <= 1.0 - LEAKAGE_AUC {
                out.push(DataWarning::LikelyLeakage {
                    column: c.name.clone(),
                    auc: auc.max(1.0 - auc),
                });
            }
        }
    }
    out
}

/// The labels of every `step`-th labelled row and the numeric column `v` there as a score
/// in [0, 1] (order is all the AUC needs); `None` when the column has no value.
fn numeric_scores(v: &[f64], labels: &[Option<u8>], step: usize) -> Option<(Vec<u8>, Vec<f64>)> {
    // Missing values get their own score just below the smallest value, so a column that
    // is blank exactly for churners is caught too.
    let min = v
        .iter()
        .copied()
        .filter(|x| !x.is_nan())
        .fold(f64::INFINITY, f64::min);
    let max = v
        .iter()
        .copied()
        .filter(|x| !x.is_nan())
        .fold(f64::NEG_INFINITY, f64::max);
    if !min.is_finite() {
        return None;
    }
    let span = (max - min).max(1.0);
    let (mut y, mut score) = (Vec::new(), Vec::new());
    for (row, label) in labels.iter().enumerate().step_by(step) {
        if let Some(l) = label {
            let x = if v[row].is_nan() { min - span } else { v[row] };
            y.push(*l);
            score.push(x);
        }
    }
    // Map to [0, 1] for the AUC routine; order is all that matters.
    let lo = min - span;
    let range = max - lo;
    score
        .iter_mut()
        .for_each(|s| *s = if range > 0.0 { (*s - lo) / range } else { 0.5 });
    Some((y, score))
}

/// The labels of every `step`-th labelled row and, as its score, the churn rate of its
/// category (of `n_levels`, missing cells a category of their own) over all labelled rows;
/// `None` for a column with too many categories for their rates to mean anything.
fn category_scores(
    n_levels: usize,
    codes: &[u32],
    labels: &[Option<u8>],
    step: usize,
) -> Option<(Vec<u8>, Vec<f64>)> {
    let present = codes.iter().filter(|&&c| c != MISSING_CODE).count();
    if n_levels * 20 > present.max(1) {
        return None;
    }
    let mut pos = vec![0usize; n_levels + 1];
    let mut all = vec![0usize; n_levels + 1];
    let slot = |code: u32| {
        if code == MISSING_CODE {
            n_levels
        } else {
            code as usize
        }
    };
    for (row, label) in labels.iter().enumerate() {
        if let Some(l) = label {
            all[slot(codes[row])] += 1;
            pos[slot(codes[row])] += usize::from(*l);
        }
    }
    let (mut y, mut score) = (Vec::new(), Vec::new());
    for (row, label) in labels.iter().enumerate().step_by(step) {
        if let Some(l) = label {
            let k = slot(codes[row]);
            y.push(*l);
            score.push(pos[k] as f64 / all[k] as f64);
        }
    }
    Some((y, score))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::ingest::{read_csv, ReadOptions};
    use crate::understanding::target::detect_target;

    fn ds(text: &str) -> Dataset {
        read_csv(text.as_bytes(), &ReadOptions::default()).expect("valid csv")
    }

    #[test]
    fn flags_a_column_recorded_after_churn() {
        // refund_amount is blank for every retained customer and positive for churners:
        // a textbook leak. visits is noise.
        let mut text = String::from("customer_id,visits,refund_amount,churn\n");
        for i in 0..100 {
            let churned = i % 4 == 0;
            let refund = if churned {
                format!("{}", 10 + i)
            } else {
                String::new()
            };
            text.push_str(&format!(
                "C{i},{},{refund},{}\n",
                (i * 7) % 13,
                if churned { "Yes" } else { "No" }
            ));
        }
        let d = ds(&text);
        let t = detect_target(&d).expect("ok").expect("churn");
        let w = check(&d, Some(&t));
        assert!(w.contains(&DataWarning::Identifier {
            column: "customer_id".into()
        }));
        let leaks: Vec<&String> = w
            .iter()
            .filter_map(|w| match w {
                DataWarning::LikelyLeakage { column, .. } => Some(column),
                _ => None,
            })
            .collect();
        assert_eq!(leaks, ["refund_amount"]);
    }

    #[test]
    fn does_not_judge_leakage_on_a_handful_of_rows() {
        let d = ds("x,churn\n1,Yes\n2,No\n3,No\n4,Yes\n");
        let t = detect_target(&d).expect("ok").expect("churn");
        assert!(check(&d, Some(&t))
            .iter()
            .all(|w| !matches!(w, DataWarning::LikelyLeakage { .. })));
    }

    #[test]
    fn counts_duplicates_ignoring_identifiers_and_reports_rare_classes() {
        let mut text = String::from("id,plan,churn\n");
        for i in 0..60 {
            // Rows 0-29 are all distinct plans; rows 30-59 repeat rows 0-29 under new ids.
            text.push_str(&format!(
                "R{i},p{},{}\n",
                i % 30,
                if i % 30 == 0 { "Yes" } else { "No" }
            ));
        }
        let d = ds(&text);
        let w = check(&d, None);
        assert!(
            w.contains(&DataWarning::DuplicateRows {
                count: 30,
                first_line: 32
            }),
            "{w:?}"
        );
        let t = detect_target(&d).expect("ok").expect("churn");
        let w = check(&d, Some(&t));
        // 2 of 60 rows churn: 3.3%, under the 5% line.
        assert!(w.iter().any(|w| matches!(w, DataWarning::RareClass { value, rate } if value == "Yes" && (rate - 2.0 / 60.0).abs() < 1e-12)));
    }
}
