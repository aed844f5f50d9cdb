//! Turning table columns into a numeric feature matrix, fitted on training rows only.
//!
//! The recipe is scikit-learn's `ColumnTransformer` of the reference protocol
//! (../shared/bench/baseline.py, pipeline `a_seed_lr_liblinear`):
//! numeric columns `SimpleImputer(strategy="median")` then `StandardScaler()`; categorical
//! columns `SimpleImputer(strategy="most_frequent")` then `OneHotEncoder(handle_unknown="ignore")`.
//! Identifier columns and the target never become features. Every statistic is computed on
//! the training rows and stored in [`FittedPreprocessor`], a plain serde value, so test rows,
//! another file or a later export are transformed with exactly the same numbers.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::dataset::{format_number, ColumnData, ColumnKind, Dataset, MISSING_CODE};
use super::ingest::parse_number;

/// Why features could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PrepError {
    #[error("no feature columns are left once the target, identifiers and ignored columns are set aside")]
    NoFeatures,
    #[error("no training rows")]
    NoRows,
    #[error("the column '{0}' that the model was trained on is missing from this file")]
    MissingColumn(String),
    #[error("the fitted pipeline is inconsistent: {0}")]
    BadPipeline(String),
    #[error("column '{column}', data row {row}: '{value}' is not a number")]
    NotNumeric {
        column: String,
        row: usize,
        value: String,
    },
}

pub type Result<T> = std::result::Result<T, PrepError>;

/// A dense row-major matrix of features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Matrix {
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Matrix {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// Builds a matrix from rows of equal length (mostly for tests).
    pub fn from_rows(rows: &[Vec<f64>]) -> Self {
        let cols = rows.first().map_or(0, Vec::len);
        Matrix {
            rows: rows.len(),
            cols,
            data: rows.iter().flatten().copied().collect(),
        }
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}

/// How one source column becomes features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FeatureBlock {
    /// One standardised feature: `(x or median - mean) / scale`.
    Numeric {
        column: String,
        median: f64,
        mean: f64,
        scale: f64,
    },
    /// One 0/1 feature per training level; a missing cell counts as `fill`, an unseen level
    /// sets no feature.
    OneHot {
        column: String,
        levels: Vec<String>,
        fill: String,
    },
    /// For trees: the number as it is, a missing cell as NaN (trees route missing values
    /// themselves).
    Raw { column: String },
    /// For trees: a category as its index among the sorted training levels; a missing cell
    /// or a level unseen in training is NaN.
    Ordinal { column: String, levels: Vec<String> },
}

impl FeatureBlock {
    /// The source column.
    pub fn column(&self) -> &str {
        match self {
            FeatureBlock::Numeric { column, .. }
            | FeatureBlock::OneHot { column, .. }
            | FeatureBlock::Raw { column }
            | FeatureBlock::Ordinal { column, .. } => column,
        }
    }
}

/// Why a column is not a feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DroppedColumn {
    pub column: String,
    pub reason: String,
}

/// The fitted preprocessing step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPreprocessor {
    pub blocks: Vec<FeatureBlock>,
    pub feature_names: Vec<String>,
    pub dropped: Vec<DroppedColumn>,
}

/// How a column will be treated, decided from its kind and storage.
enum Role {
    Numeric,
    Categorical,
    Dropped(&'static str),
}

fn role(kind: ColumnKind, data: &ColumnData) -> Role {
    match (kind, data) {
        (ColumnKind::Identifier, _) => Role::Dropped("identifier"),
        (ColumnKind::Text, _) => Role::Dropped("free text"),
        (ColumnKind::Constant, _) => Role::Dropped("constant"),
        (ColumnKind::Numeric | ColumnKind::Date, _) => Role::Numeric,
        (ColumnKind::Categorical, _) => Role::Categorical,
        (ColumnKind::Boolean, ColumnData::Numeric(_)) => Role::Numeric,
        (ColumnKind::Boolean, ColumnData::Categorical { .. }) => Role::Categorical,
    }
}

/// Median as numpy computes it: the mean of the two middle values for an even count.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// The same median without sorting everything: a selection, linear on average (for
/// imputing million-row columns).
pub fn median_by_selection(values: &mut [f64]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (lower, &mut middle, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    Some(if n % 2 == 1 {
        middle
    } else {
        let below = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (below + middle) / 2.0
    })
}

/// Numeric cells of a column at `rows` (NaN where missing), reading text columns as numbers.
fn numeric_cells(ds: &Dataset, column: &str, rows: &[usize]) -> Result<Vec<f64>> {
    let col = ds
        .column(column)
        .ok_or_else(|| PrepError::MissingColumn(column.to_string()))?;
    match &col.data {
        ColumnData::Numeric(v) => Ok(rows.iter().map(|&r| v[r]).collect()),
        ColumnData::Categorical { levels, codes } => rows
            .iter()
            .map(|&r| match codes[r] {
                MISSING_CODE => Ok(f64::NAN),
                c => parse_number(&levels[c as usize]).ok_or_else(|| PrepError::NotNumeric {
                    column: column.to_string(),
                    row: r + 1,
                    value: levels[c as usize].clone(),
                }),
            })
            .collect(),
    }
}

/// Text cells of a column at `rows` as level indices into `dictionary` (built on the fly when
/// `grow` is true; otherwise unseen text maps to `None`). Missing cells are `Some(None)`.
fn text_codes(
    ds: &Dataset,
    column: &str,
    rows: &[usize],
    dictionary: &mut HashMap<String, usize>,
    grow: bool,
) -> Result<Vec<Option<Option<usize>>>> {
    let col = ds
        .column(column)
        .ok_or_else(|| PrepError::MissingColumn(column.to_string()))?;
    let mut lookup = |text: String| -> Option<usize> {
        if let Some(&i) = dictionary.get(&text) {
            Some(i)
        } else if grow {
            let i = dictionary.len();
            dictionary.insert(text, i);
            Some(i)
        } else {
            None
        }
    };
    Ok(match &col.data {
        ColumnData::Categorical { levels, codes } => {
            // Resolve each level once, not once per cell.
            let mapped: Vec<Option<usize>> = levels.iter().map(|l| lookup(l.clone())).collect();
            rows.iter()
                .map(|&r| match codes[r] {
                    MISSING_CODE => Some(None),
                    c => mapped[c as usize].map(Some),
                })
                .collect()
        }
        ColumnData::Numeric(v) => rows
            .iter()
            .map(|&r| {
                if v[r].is_nan() {
                    Some(None)
                } else {
                    lookup(format_number(v[r])).map(Some)
                }
            })
            .collect(),
    })
}

impl FittedPreprocessor {
    /// Fits on `rows` of `ds`, using every column except those in `exclude` and identifiers.
    pub fn fit(ds: &Dataset, rows: &[usize], exclude: &[String]) -> Result<Self> {
        Self::fit_as(ds, rows, exclude, false)
    }

    /// Fits the preprocessing trees want (scikit-learn's passthrough + `OrdinalEncoder` of
    /// the reference protocol): numbers as they are, categories as level indices, missing
    /// values left missing. The same columns are used and dropped as by [`Self::fit`].
    pub fn fit_for_trees(ds: &Dataset, rows: &[usize], exclude: &[String]) -> Result<Self> {
        Self::fit_as(ds, rows, exclude, true)
    }

    fn fit_as(ds: &Dataset, rows: &[usize], exclude: &[String], trees: bool) -> Result<Self> {
        if rows.is_empty() {
            return Err(PrepError::NoRows);
        }
        let mut blocks = Vec::new();
        let mut category_blocks = Vec::new();
        let mut dropped = Vec::new();
        for col in &ds.columns {
            if exclude.contains(&col.name) {
                continue;
            }
            let drop = |reason: &str| DroppedColumn {
                column: col.name.clone(),
                reason: reason.to_string(),
            };
            match role(col.kind, &col.data) {
                Role::Dropped(reason) => dropped.push(drop(reason)),
                Role::Numeric => {
                    let values = numeric_cells(ds, &col.name, rows)?;
                    let mut present: Vec<f64> =
                        values.iter().copied().filter(|x| !x.is_nan()).collect();
                    let Some(median) = median_by_selection(&mut present) else {
                        dropped.push(drop("no values in the training rows"));
                        continue;
                    };
                    if trees {
                        blocks.push(FeatureBlock::Raw {
                            column: col.name.clone(),
                        });
                        continue;
                    }
                    let filled = values.iter().map(|&x| if x.is_nan() { median } else { x });
                    let n = values.len() as f64;
                    let mean = filled.clone().sum::<f64>() / n;
                    let var = filled.map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
                    // StandardScaler leaves a constant feature unscaled rather than divide by 0.
                    let scale = if var.sqrt() > 1e-12 * mean.abs().max(1.0) {
                        var.sqrt()
                    } else {
                        1.0
                    };
                    blocks.push(FeatureBlock::Numeric {
                        column: col.name.clone(),
                        median,
                        mean,
                        scale,
                    });
                }
                Role::Categorical => {
                    let mut dict = HashMap::new();
                    let codes = text_codes(ds, &col.name, rows, &mut dict, true)?;
                    let mut counts = vec![0usize; dict.len()];
                    for code in codes.iter().flatten().flatten() {
                        counts[*code] += 1;
                    }
                    let by_text: BTreeMap<&String, usize> =
                        dict.iter().map(|(t, &i)| (t, counts[i])).collect();
                    // Most frequent level; ties go to the smallest text, as SimpleImputer does.
                    let Some((fill, _)) = by_text
                        .iter()
                        .filter(|(_, &n)| n > 0)
                        .max_by_key(|(t, &n)| (n, std::cmp::Reverse(*t)))
                    else {
                        dropped.push(drop("no values in the training rows"));
                        continue;
                    };
                    let fill = (*fill).clone();
                    if trees {
                        let levels = by_text
                            .iter()
                            .filter(|(_, &n)| n > 0)
                            .map(|(t, _)| (*t).clone())
                            .collect();
                        category_blocks.push(FeatureBlock::Ordinal {
                            column: col.name.clone(),
                            levels,
                        });
                        continue;
                    }
                    // OneHotEncoder's categories are the sorted distinct training values
                    // (after imputation, so the fill level is always present).
                    let levels: Vec<String> = by_text
                        .iter()
                        .filter(|(_, &n)| n > 0)
                        .map(|(t, _)| (*t).clone())
                        .collect();
                    blocks.push(FeatureBlock::OneHot {
                        column: col.name.clone(),
                        levels,
                        fill,
                    });
                }
            }
        }
        // Trees: numbers first, then categories, the reference's ColumnTransformer order
        // (which decides between splits of equal gain, e.g. a plan flag and its count).
        blocks.extend(category_blocks);
        if blocks.is_empty() {
            return Err(PrepError::NoFeatures);
        }
        let feature_names = blocks
            .iter()
            .flat_map(|b| match b {
                FeatureBlock::Numeric { column, .. }
                | FeatureBlock::Raw { column }
                | FeatureBlock::Ordinal { column, .. } => vec![column.clone()],
                FeatureBlock::OneHot { column, levels, .. } => {
                    levels.iter().map(|l| format!("{column}={l}")).collect()
                }
            })
            .collect();
        Ok(FittedPreprocessor {
            blocks,
            feature_names,
            dropped,
        })
    }

    /// Number of features produced.
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// Names of the source columns the features need.
    pub fn input_columns(&self) -> Vec<&str> {
        self.blocks.iter().map(FeatureBlock::column).collect()
    }

    /// Names of the columns read as categories (so a reader can keep them as text).
    pub fn categorical_columns(&self) -> Vec<String> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                FeatureBlock::OneHot { column, .. } | FeatureBlock::Ordinal { column, .. } => {
                    Some(column.clone())
                }
                FeatureBlock::Numeric { .. } | FeatureBlock::Raw { .. } => None,
            })
            .collect()
    }

    /// For each feature, whether it is a category code (for trees' categorical splits).
    pub fn categorical_features(&self) -> Vec<bool> {
        self.blocks
            .iter()
            .flat_map(|b| match b {
                FeatureBlock::OneHot { levels, .. } => vec![false; levels.len()],
                FeatureBlock::Numeric { .. } | FeatureBlock::Raw { .. } => vec![false],
                FeatureBlock::Ordinal { .. } => vec![true],
            })
            .collect()
    }

    /// The feature matrix of `rows` of `ds` (which may be another file with the same columns).
    pub fn transform(&self, ds: &Dataset, rows: &[usize]) -> Result<Matrix> {
        let mut m = Matrix::zeros(rows.len(), self.n_features());
        let mut offset = 0;
        for block in &self.blocks {
            match block {
                FeatureBlock::Numeric {
                    column,
                    median,
                    mean,
                    scale,
                } => {
                    let values = numeric_cells(ds, column, rows)?;
                    for (i, x) in values.into_iter().enumerate() {
                        let x = if x.is_nan() { *median } else { x };
                        m.data[i * m.cols + offset] = (x - mean) / scale;
                    }
                    offset += 1;
                }
                FeatureBlock::OneHot {
                    column,
                    levels,
                    fill,
                } => {
                    let mut dict: HashMap<String, usize> = levels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| (l.clone(), i))
                        .collect();
                    let fill_index = *dict.get(fill).ok_or_else(|| {
                        PrepError::BadPipeline(format!(
                            "the fill level '{fill}' of column '{column}' is not one of its levels"
                        ))
                    })?;
                    let codes = text_codes(ds, column, rows, &mut dict, false)?;
                    for (i, code) in codes.into_iter().enumerate() {
                        let level = match code {
                            Some(None) => Some(fill_index),
                            Some(Some(j)) => Some(j),
                            None => None, // unknown level: handle_unknown="ignore"
                        };
                        if let Some(j) = level {
                            m.data[i * m.cols + offset + j] = 1.0;
                        }
                    }
                    offset += levels.len();
                }
                FeatureBlock::Raw { column } => {
                    let values = numeric_cells(ds, column, rows)?;
                    for (i, x) in values.into_iter().enumerate() {
                        m.data[i * m.cols + offset] = x;
                    }
                    offset += 1;
                }
                FeatureBlock::Ordinal { column, levels } => {
                    let mut dict: HashMap<String, usize> = levels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| (l.clone(), i))
                        .collect();
                    let codes = text_codes(ds, column, rows, &mut dict, false)?;
                    for (i, code) in codes.into_iter().enumerate() {
                        m.data[i * m.cols + offset] = match code {
                            Some(Some(j)) => j as f64,
                            _ => f64::NAN,
                        };
                    }
                    offset += 1;
                }
            }
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ingest::{read_csv, ReadOptions};

    fn ds(text: &str) -> Dataset {
        read_csv(text.as_bytes(), &ReadOptions::default()).expect("valid csv")
    }

    #[test]
    fn median_matches_numpy() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
        for values in [
            vec![3.0, 1.0, 2.0],
            vec![4.0, 1.0, 3.0, 2.0],
            vec![5.0],
            vec![2.0, 2.0, 1.0, 9.0, -1.0, 0.5],
        ] {
            assert_eq!(
                median_by_selection(&mut values.clone()),
                median(&mut values.clone())
            );
        }
        assert_eq!(median_by_selection(&mut []), None);
    }

    #[test]
    fn imputes_scales_and_one_hot_encodes_like_sklearn() {
        // Hand calculation: x over train rows = [1, NaN, 3, 5] -> median 3 -> [1, 3, 3, 5],
        // mean 3, population std sqrt(2); plan levels sorted [a, b], most frequent "a".
        let d = ds("id,x,plan,churn\nr1,1,a,Yes\nr2,,b,No\nr3,3,,No\nr4,5,a,Yes\nr5,7,zzz,No\n");
        // With 5 rows 'id' is too short to be inferred an identifier, so it is excluded here.
        let exclude = ["churn".to_string(), "id".to_string()];
        let p = FittedPreprocessor::fit(&d, &[0, 1, 2, 3], &exclude).expect("fit");
        assert_eq!(p.feature_names, ["x", "plan=a", "plan=b"]);
        let m = p.transform(&d, &[0, 1, 2, 4]).expect("transform");
        let s = 2f64.sqrt();
        assert!((m.row(0)[0] - (-2.0 / s)).abs() < 1e-12);
        assert_eq!(m.row(1)[0], 0.0, "missing -> median 3 -> (3 - 3) / sqrt 2");
        assert_eq!(&m.row(1)[1..], &[0.0, 1.0]);
        assert_eq!(
            &m.row(2)[1..],
            &[1.0, 0.0],
            "missing plan -> most frequent 'a'"
        );
        assert_eq!(&m.row(3)[1..], &[0.0, 0.0], "unseen level 'zzz' is ignored");
        assert!(
            (m.row(3)[0] - 4.0 / s).abs() < 1e-12,
            "7 is outside training rows but scaled"
        );
    }

    #[test]
    fn drops_identifiers_and_all_missing_columns() {
        let mut text = String::from("customer_id,empty,x,churn\n");
        for i in 0..30 {
            text.push_str(&format!(
                "C{i},,{},{}\n",
                i % 7,
                if i % 3 == 0 { "Yes" } else { "No" }
            ));
        }
        let d = ds(&text);
        let rows: Vec<usize> = (0..30).collect();
        let p = FittedPreprocessor::fit(&d, &rows, &["churn".into()]).expect("fit");
        assert_eq!(p.feature_names, ["x"]);
        let reasons: Vec<&str> = p.dropped.iter().map(|d| d.column.as_str()).collect();
        assert_eq!(reasons, ["customer_id", "empty"]);
        assert_eq!(
            p.dropped[1].reason, "constant",
            "an all-blank column has no value at all"
        );
        let only_target = ds("churn\nYes\nNo\n");
        assert_eq!(
            FittedPreprocessor::fit(&only_target, &[0, 1], &["churn".into()]),
            Err(PrepError::NoFeatures)
        );
    }

    #[test]
    fn transforms_another_file_by_column_name() {
        let train = ds("x,plan\n1,a\n3,b\n");
        let p = FittedPreprocessor::fit(&train, &[0, 1], &[]).expect("fit");
        let other = ds("plan,x,extra\nb,2,9\n");
        let m = p.transform(&other, &[0]).expect("transform");
        assert_eq!(m.row(0), &[0.0, 0.0, 1.0]);
        let missing = ds("plan\nb\n");
        assert_eq!(
            p.transform(&missing, &[0]),
            Err(PrepError::MissingColumn("x".into()))
        );
        let bad = ds("x,plan\nlots,a\n");
        assert!(matches!(
            p.transform(&bad, &[0]),
            Err(PrepError::NotNumeric { row: 1, .. })
        ));
    }
    #[test]
    fn tree_preprocessing_keeps_numbers_raw_and_codes_categories() {
        let d = ds("plan,x,churn\nb,1,Yes\na,,No\n,3,No\na,5,Yes\nzzz,7,No\n");
        let exclude = ["churn".to_string()];
        let p = FittedPreprocessor::fit_for_trees(&d, &[0, 1, 2, 3], &exclude).expect("fit");
        assert_eq!(p.feature_names, ["x", "plan"]);
        assert_eq!(p.categorical_features(), [false, true]);
        let m = p.transform(&d, &[0, 1, 2, 4]).expect("transform");
        assert_eq!(m.row(0), &[1.0, 1.0], "b is the second sorted level");
        assert!(
            m.row(1)[0].is_nan() && m.row(1)[1] == 0.0,
            "missing number stays missing"
        );
        assert!(m.row(2)[1].is_nan(), "missing category is NaN");
        assert!(m.row(3)[1].is_nan(), "unseen level zzz is NaN");
        assert_eq!(p.categorical_columns(), ["plan"]);
    }
}
