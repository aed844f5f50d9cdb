//! Holding out a test set: a stratified, seeded train/test split.
//!
//! Each class is shuffled on its own and the same fraction of it goes to the test set, so
//! both parts keep the table's churn rate (scikit-learn's `train_test_split(stratify=y)` in
//! spirit; the exact rows differ because the generators differ).
//!
//! An out-of-time split ([`out_of_time_split`]) instead tests on the latest customers by a
//! date: the model is judged on a period it never saw, as it will be used.

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// Why a split cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    #[error("test fraction {0} must be between 0 and 1")]
    BadFraction(f64),
    #[error("too few rows to split: {class_name} has {count} labelled rows, and both the training and the test part need at least one")]
    TooFewRows {
        class_name: &'static str,
        count: usize,
    },
    #[error("the out-of-time split needs dates: {0}")]
    NoDates(String),
    #[error("the out-of-time split leaves {class_name} out of the training part (all {count} of its rows fall in the latest {fraction} of dates); choose another date column or a smaller test share")]
    ClassOnlyLate {
        class_name: &'static str,
        count: usize,
        fraction: f64,
    },
    #[error("the out-of-time split leaves {class_name} out of the test part (all {count} of its rows come before the latest {fraction} of dates); choose another date column or a larger test share")]
    ClassOnlyEarly {
        class_name: &'static str,
        count: usize,
        fraction: f64,
    },
    #[error("cross-validation needs at least 2 folds, got {0}")]
    BadFolds(usize),
    #[error("too few rows for {folds}-fold cross-validation: {class_name} has {count} training rows, and each fold needs at least one")]
    TooFewForFolds {
        class_name: &'static str,
        count: usize,
        folds: usize,
    },
}

pub type Result<T> = std::result::Result<T, SplitError>;

/// Row indices of the two parts, each sorted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// Tests on the labelled rows with the latest `dates` (the last `test_fraction` of them in
/// date order, ties kept in row order) and trains on the earlier ones. Rows without a date
/// or a label are left out of both parts. Both classes must appear in each part.
pub fn out_of_time_split(
    labels: &[Option<u8>],
    dates: &[f64],
    test_fraction: f64,
) -> Result<Split> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(SplitError::BadFraction(test_fraction));
    }
    let mut order: Vec<usize> = (0..labels.len().min(dates.len()))
        .filter(|&i| labels[i].is_some() && dates[i].is_finite())
        .collect();
    if order.len() < 2 {
        return Err(SplitError::NoDates(format!(
            "{} labelled rows have a date, and both parts need at least one",
            order.len()
        )));
    }
    order.sort_by(|&a, &b| dates[a].total_cmp(&dates[b]).then(a.cmp(&b)));
    let n_test = ((order.len() as f64 * test_fraction).round() as usize).clamp(1, order.len() - 1);
    let (train, test) = order.split_at(order.len() - n_test);
    let classes = [(0u8, "the negative class"), (1u8, "the positive class")];
    let count =
        |part: &[usize], class: u8| part.iter().filter(|&&i| labels[i] == Some(class)).count();
    for (class, class_name) in classes {
        if count(train, class) == 0 {
            return Err(SplitError::ClassOnlyLate {
                class_name,
                count: count(test, class),
                fraction: test_fraction,
            });
        }
    }
    for (class, class_name) in classes {
        if count(test, class) == 0 {
            return Err(SplitError::ClassOnlyEarly {
                class_name,
                count: count(train, class),
                fraction: test_fraction,
            });
        }
    }
    let (mut train, mut test) = (train.to_vec(), test.to_vec());
    train.sort_unstable();
    test.sort_unstable();
    Ok(Split { train, test })
}

/// Splits the labelled rows (`Some(0)` / `Some(1)`; unlabelled rows are left out of both).
pub fn stratified_split(labels: &[Option<u8>], test_fraction: f64, seed: u64) -> Result<Split> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(SplitError::BadFraction(test_fraction));
    }
    // One shuffle of all labelled rows, then each class takes its test share in that order:
    // the split does not depend on which value is called positive.
    let mut order: Vec<usize> = (0..labels.len()).filter(|&i| labels[i].is_some()).collect();
    Rng::new(seed).shuffle(&mut order);
    let mut train = Vec::new();
    let mut test = Vec::new();
    for (class, class_name) in [(0u8, "the negative class"), (1u8, "the positive class")] {
        let rows: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| labels[i] == Some(class))
            .collect();
        if rows.len() < 2 {
            return Err(SplitError::TooFewRows {
                class_name,
                count: rows.len(),
            });
        }
        let n_test =
            ((rows.len() as f64 * test_fraction).round() as usize).clamp(1, rows.len() - 1);
        test.extend_from_slice(&rows[..n_test]);
        train.extend_from_slice(&rows[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    Ok(Split { train, test })
}

/// Splits `rows` (labelled rows of a table, e.g. its training part) into `k` stratified
/// folds: after one seeded shuffle, each class deals its rows to the folds in turn, so every
/// fold keeps the churn rate. Each fold is sorted; together they hold every row once.
pub fn stratified_folds(
    labels: &[Option<u8>],
    rows: &[usize],
    k: usize,
    seed: u64,
) -> Result<Vec<Vec<usize>>> {
    if k < 2 {
        return Err(SplitError::BadFolds(k));
    }
    let mut order: Vec<usize> = rows
        .iter()
        .copied()
        .filter(|&i| labels.get(i).copied().flatten().is_some())
        .collect();
    Rng::new(seed).shuffle(&mut order);
    let mut folds = vec![Vec::new(); k];
    for (class, class_name) in [(0u8, "the negative class"), (1u8, "the positive class")] {
        let class_rows: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| labels[i] == Some(class))
            .collect();
        if class_rows.len() < k {
            return Err(SplitError::TooFewForFolds {
                class_name,
                count: class_rows.len(),
                folds: k,
            });
        }
        for (i, row) in class_rows.into_iter().enumerate() {
            folds[i % k].push(row);
        }
    }
    for fold in &mut folds {
        fold.sort_unstable();
    }
    Ok(folds)
}

/// The training rows of fold `i`: every row of the other folds, sorted.
pub fn fold_training_rows(folds: &[Vec<usize>], i: usize) -> Vec<usize> {
    let mut rows: Vec<usize> = folds
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != i)
        .flat_map(|(_, f)| f.iter().copied())
        .collect();
    rows.sort_unstable();
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_time_split_tests_on_the_latest_dates() {
        // Ten labelled rows dated 10, 9, ..., 1 (row 0 is the latest); row 3 has no date and
        // row 5 no label. A 30% test share of the 8 usable rows is round(2.4) = 2 rows: the
        // two latest, rows 0 and 1.
        let labels = [
            Some(1),
            Some(0),
            Some(1),
            Some(0),
            Some(1),
            None,
            Some(0),
            Some(1),
            Some(0),
            Some(1),
        ];
        let dates = [10.0, 9.0, 8.0, f64::NAN, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0];
        let s = out_of_time_split(&labels, &dates, 0.3).expect("split");
        assert_eq!(s.test, vec![0, 1]);
        assert_eq!(s.train, vec![2, 4, 6, 7, 8, 9]);
        // Every churner in the latest 30%: the training part would have none.
        let late = [Some(1), Some(1), Some(0), Some(0), Some(0)];
        let dates = [5.0, 4.0, 3.0, 2.0, 1.0];
        assert!(matches!(
            out_of_time_split(&late, &dates, 0.4),
            Err(SplitError::ClassOnlyLate { count: 2, .. })
        ));
        assert!(matches!(
            out_of_time_split(&late, &[f64::NAN; 5], 0.4),
            Err(SplitError::NoDates(_))
        ));
    }

    #[test]
    fn keeps_the_class_balance_and_is_reproducible() {
        // 1000 rows, 200 positives: a 20% test part holds 160 negatives and 40 positives.
        let labels: Vec<Option<u8>> = (0..1000).map(|i| Some(u8::from(i % 5 == 0))).collect();
        let s = stratified_split(&labels, 0.2, 42).expect("split");
        assert_eq!(s.test.len(), 200);
        assert_eq!(s.test.iter().filter(|&&r| labels[r] == Some(1)).count(), 40);
        assert_eq!(s, stratified_split(&labels, 0.2, 42).expect("split"));
        assert_ne!(s, stratified_split(&labels, 0.2, 43).expect("split"));
        let mut all: Vec<usize> = s.train.iter().chain(&s.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn swapping_the_positive_class_keeps_the_split() {
        let labels: Vec<Option<u8>> = (0..300).map(|i| Some(u8::from(i % 4 == 0))).collect();
        let flipped: Vec<Option<u8>> = labels.iter().map(|l| l.map(|v| 1 - v)).collect();
        assert_eq!(
            stratified_split(&labels, 0.2, 5).expect("split"),
            stratified_split(&flipped, 0.2, 5).expect("split")
        );
    }

    #[test]
    fn leaves_out_unlabelled_rows_and_rejects_tiny_classes() {
        let labels = vec![Some(0), None, Some(1), Some(0), Some(1), Some(0)];
        let s = stratified_split(&labels, 0.5, 1).expect("split");
        assert!(!s.train.contains(&1) && !s.test.contains(&1));
        let err = stratified_split(&[Some(0), Some(0), Some(1)], 0.2, 1).expect_err("one positive");
        assert!(matches!(err, SplitError::TooFewRows { count: 1, .. }));
        assert!(matches!(
            stratified_split(&labels, 1.0, 1),
            Err(SplitError::BadFraction(_))
        ));
    }
    #[test]
    fn folds_partition_the_rows_and_keep_the_class_balance() {
        // 500 rows, 100 positives, 5 folds: each fold holds 80 negatives and 20 positives.
        let labels: Vec<Option<u8>> = (0..500).map(|i| Some(u8::from(i % 5 == 0))).collect();
        let rows: Vec<usize> = (0..500).collect();
        let folds = stratified_folds(&labels, &rows, 5, 42).expect("folds");
        for fold in &folds {
            assert_eq!(fold.len(), 100);
            assert_eq!(fold.iter().filter(|&&r| labels[r] == Some(1)).count(), 20);
        }
        let mut all: Vec<usize> = folds.concat();
        all.sort_unstable();
        assert_eq!(all, rows);
        assert_eq!(
            folds,
            stratified_folds(&labels, &rows, 5, 42).expect("again")
        );
        let train = fold_training_rows(&folds, 2);
        assert_eq!(train.len(), 400);
        assert!(train.iter().all(|r| !folds[2].contains(r)));
        // Only the given rows are dealt; too few of a class for the folds is an error.
        let some = stratified_folds(&labels, &rows[..50], 5, 1).expect("folds of a subset");
        assert_eq!(some.concat().len(), 50);
        assert!(matches!(
            stratified_folds(&labels, &rows[..12], 5, 1),
            Err(SplitError::TooFewForFolds { count: 3, .. })
        ));
        assert!(matches!(
            stratified_folds(&labels, &rows, 1, 1),
            Err(SplitError::BadFolds(1))
        ));
    }
}
