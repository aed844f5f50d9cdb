//! Why the model says what it says: permutation importance, partial dependence and per-customer
//! contributions to the churn log-odds, all computed on a fitted pipeline as a black box (or,
//! for contributions, through its model).
//!
//! - Permutation importance (Breiman 2001; scikit-learn's `permutation_importance` on a whole
//!   `Pipeline`): the drop in test ROC AUC when one *original* column is shuffled across the
//!   rows, so a one-hot column and its missing indicator move together. With `s` the AUC on the
//!   untouched rows and `s_r` after shuffle `r`, the importance is `mean_r (s - s_r)`, with the
//!   population standard deviation beside it.
//! - Partial dependence (Friedman 2001, §8.2; scikit-learn's `partial_dependence(kind="average",
//!   method="brute")`): `pd(v) = (1/n) Σ_i p(x_i with column = v)` over a grid of `v`: the
//!   distinct values when fewer than the grid resolution, else evenly spaced between the 5th
//!   and 95th percentiles (`scipy.stats.mstats.mquantiles`, α = β = 0.4).
//! - Contributions to the log-odds `z = logit p` of the model's uncalibrated probability, one
//!   per original column, with `base + Σ_c value_c = z` for every row. For logistic regression
//!   `z = b + Σ_j w_j x_j` splits exactly: `value_c = Σ_{j of c} w_j x_j`, `base = b`. After PCA,
//!   `z = b + Σ_k w_k Σ_j C_kj (x_j - m_j)`, so each pre-PCA feature `j` carries
//!   `β_j (x_j - m_j)` with `β = Cᵀw`, still exact. For the neural network the split is an
//!   occlusion approximation (Zeiler & Fergus 2014): `value_c = z(x) - z(x with column c at its
//!   training reference)`, the reference being the imputation fill (median, mean or constant
//!   for numbers, the fill level for categories), and `base` takes up the rest.

use serde::{Deserialize, Serialize};

use super::dataset::{Column, ColumnData, Dataset};
use super::metrics::{roc_auc, MetricsError};
use super::models::FittedModel;
use super::pipeline::{FittedPipeline, PipelineError};
use super::prep::{FeatureBlock, FittedPreprocessor, PrepError};
use super::rng::Rng;

/// Why an explanation could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ExplainError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    #[error("there is no column '{0}' in this file")]
    UnknownColumn(String),
    #[error("the column '{0}' is not an input of the model")]
    NotAnInput(String),
    #[error("the column '{0}' holds text, not numbers; partial dependence needs a numeric column")]
    NotNumeric(String),
    #[error("the column '{0}' has no values in these rows")]
    NoValues(String),
    #[error("the number of repeats must be at least 1, got 0")]
    ZeroRepeats,
    #[error("no rows to explain")]
    NoRows,
    #[error("{rows} rows but {labels} labels")]
    MismatchedLabels { rows: usize, labels: usize },
    #[error("{columns} columns but permutations for {permuted}")]
    MismatchedPermutations { columns: usize, permuted: usize },
    #[error("repeat {repeat} of column '{column}' is not a shuffle of 0..{rows}")]
    BadPermutation {
        column: String,
        repeat: usize,
        rows: usize,
    },
    #[error("column '{column}' has {repeats} repeats where the first column has {expected}")]
    UnevenRepeats {
        column: String,
        repeats: usize,
        expected: usize,
    },
    #[error("a grid resolution of {0}: it must be at least 2")]
    GridResolution(usize),
    #[error("the 5th and 95th percentiles of '{column}' are both about {value}, too close to build a grid")]
    PercentilesTooClose { column: String, value: f64 },
    #[error("explaining was cancelled")]
    Cancelled,
}

impl From<PrepError> for ExplainError {
    fn from(e: PrepError) -> Self {
        ExplainError::Pipeline(PipelineError::Prep(e))
    }
}

pub type Result<T> = std::result::Result<T, ExplainError>;

/// The drop in ROC AUC when one column is shuffled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Importance {
    pub column: String,
    /// Mean drop over the repeats.
    pub mean: f64,
    /// Population standard deviation of the drops (numpy's `std`, `ddof=0`).
    pub std: f64,
    /// The drop of each repeat.
    pub drops: Vec<f64>,
}

/// Average predicted probability with one column set to each value of a grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialDependence {
    pub column: String,
    pub grid: Vec<f64>,
    pub average: Vec<f64>,
}

/// Per-row contributions of each original column to the churn log-odds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contributions {
    /// The model's input columns, in the preprocessor's order.
    pub columns: Vec<String>,
    /// Per row: the log-odds not attributed to any column.
    pub base: Vec<f64>,
    /// Row-major `rows x columns`; `base[i] + Σ values[i]` is the row's log-odds.
    pub values: Vec<Vec<f64>>,
    /// Whether the split is exact (linear models) rather than an approximation.
    pub exact: bool,
}

/// One column's push on one customer's risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub column: String,
    /// The customer's cell as text (`"missing"` when empty).
    pub value: String,
    /// Signed contribution to the log-odds.
    pub contribution: f64,
}

/// A customer with the reasons behind their risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerReasons {
    /// Row of the dataset.
    pub row: usize,
    pub probability: f64,
    /// Reasons pushing the risk up, largest first.
    pub up: Vec<Reason>,
    /// Reasons pulling the risk down, largest (most negative) first.
    pub down: Vec<Reason>,
}

/// The model's input columns, each once, in the preprocessor's order.
fn input_columns(prep: &FittedPreprocessor) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in prep.input_columns() {
        if !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
    }
    out
}

/// A table of `columns` of `ds` at `rows`, renumbered `0..rows.len()`.
fn subset(ds: &Dataset, columns: &[String], rows: &[usize]) -> Result<Dataset> {
    let columns = columns
        .iter()
        .map(|name| {
            let col = ds
                .column(name)
                .ok_or_else(|| ExplainError::UnknownColumn(name.clone()))?;
            Ok(Column {
                name: col.name.clone(),
                kind: col.kind,
                data: permuted(&col.data, rows),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Dataset {
        n_rows: rows.len(),
        columns,
    })
}

/// The cells of `data` at `index`, in that order.
fn permuted(data: &ColumnData, index: &[usize]) -> ColumnData {
    match data {
        ColumnData::Numeric(v) => ColumnData::Numeric(index.iter().map(|&i| v[i]).collect()),
        ColumnData::Categorical { levels, codes } => ColumnData::Categorical {
            levels: levels.clone(),
            codes: index.iter().map(|&i| codes[i]).collect(),
        },
    }
}

fn position(ds: &Dataset, name: &str) -> Result<usize> {
    ds.columns
        .iter()
        .position(|c| c.name == name)
        .ok_or_else(|| ExplainError::UnknownColumn(name.to_string()))
}

fn check_rows(rows: &[usize], y: &[u8]) -> Result<()> {
    if rows.is_empty() {
        return Err(ExplainError::NoRows);
    }
    if rows.len() != y.len() {
        return Err(ExplainError::MismatchedLabels {
            rows: rows.len(),
            labels: y.len(),
        });
    }
    Ok(())
}

/// Permutation importance of every input column, `repeats` shuffles each, drawn from
/// `Rng::new(seed)`; sorted by mean drop, largest first. `progress(done, total)` is called
/// after each shuffle scored; returning `false` cancels with [`ExplainError::Cancelled`].
pub fn permutation_importance(
    p: &FittedPipeline,
    ds: &Dataset,
    rows: &[usize],
    y: &[u8],
    repeats: usize,
    seed: u64,
    progress: impl FnMut(usize, usize) -> bool,
) -> Result<Vec<Importance>> {
    if repeats == 0 {
        return Err(ExplainError::ZeroRepeats);
    }
    check_rows(rows, y)?;
    let columns = input_columns(&p.preprocessor);
    let mut rng = Rng::new(seed);
    let permutations: Vec<Vec<Vec<usize>>> = columns
        .iter()
        .map(|_| {
            (0..repeats)
                .map(|_| {
                    let mut index: Vec<usize> = (0..rows.len()).collect();
                    rng.shuffle(&mut index);
                    index
                })
                .collect()
        })
        .collect();
    importance_of(p, ds, rows, y, &columns, &permutations, progress)
}

/// Permutation importance with the shuffles given: `permutations[c][r]` lists, for each
/// position `i` of `rows`, the position whose cell of `columns[c]` row `rows[i]` gets in
/// repeat `r`. Sorted by mean drop, largest first.
pub fn permutation_importance_with(
    p: &FittedPipeline,
    ds: &Dataset,
    rows: &[usize],
    y: &[u8],
    columns: &[String],
    permutations: &[Vec<Vec<usize>>],
) -> Result<Vec<Importance>> {
    check_rows(rows, y)?;
    importance_of(p, ds, rows, y, columns, permutations, |_, _| true)
}

fn importance_of(
    p: &FittedPipeline,
    ds: &Dataset,
    rows: &[usize],
    y: &[u8],
    columns: &[String],
    permutations: &[Vec<Vec<usize>>],
    mut progress: impl FnMut(usize, usize) -> bool,
) -> Result<Vec<Importance>> {
    if columns.len() != permutations.len() {
        return Err(ExplainError::MismatchedPermutations {
            columns: columns.len(),
            permuted: permutations.len(),
        });
    }
    let n = rows.len();
    let repeats = permutations.first().map_or(0, Vec::len);
    for (column, shuffles) in columns.iter().zip(permutations) {
        if shuffles.len() != repeats {
            return Err(ExplainError::UnevenRepeats {
                column: column.clone(),
                repeats: shuffles.len(),
                expected: repeats,
            });
        }
        for (repeat, index) in shuffles.iter().enumerate() {
            let mut seen = vec![false; n];
            let valid = index.len() == n
                && index
                    .iter()
                    .all(|&i| i < n && !std::mem::replace(&mut seen[i], true));
            if !valid {
                return Err(ExplainError::BadPermutation {
                    column: column.clone(),
                    repeat,
                    rows: n,
                });
            }
        }
    }
    if repeats == 0 && !columns.is_empty() {
        return Err(ExplainError::ZeroRepeats);
    }
    // Work on a copy of just the rows and columns needed, shuffling one column at a time.
    let mut needed = input_columns(&p.preprocessor);
    for c in columns {
        if !needed.contains(c) {
            needed.push(c.clone());
        }
    }
    let mut sub = subset(ds, &needed, rows)?;
    let all: Vec<usize> = (0..n).collect();
    let baseline = roc_auc(y, &p.predict_proba(&sub, &all)?)?;
    let total = columns.len() * repeats;
    let mut done = 0;
    let mut out = Vec::with_capacity(columns.len());
    for (column, shuffles) in columns.iter().zip(permutations) {
        let at = position(&sub, column)?;
        let original = sub.columns[at].data.clone();
        let mut drops = Vec::with_capacity(repeats);
        for index in shuffles {
            sub.columns[at].data = permuted(&original, index);
            let scores = p.predict_proba(&sub, &all);
            let drop = scores
                .map_err(ExplainError::from)
                .and_then(|s| Ok(baseline - roc_auc(y, &s)?));
            sub.columns[at].data = original.clone();
            drops.push(drop?);
            done += 1;
            if !progress(done, total) {
                return Err(ExplainError::Cancelled);
            }
        }
        let mean = drops.iter().sum::<f64>() / repeats as f64;
        let var = drops.iter().map(|d| (d - mean) * (d - mean)).sum::<f64>() / repeats as f64;
        out.push(Importance {
            column: column.clone(),
            mean,
            std: var.sqrt(),
            drops,
        });
    }
    out.sort_by(|a, b| b.mean.total_cmp(&a.mean));
    Ok(out)
}

/// The quantiles of sorted `x` at `probs` as `scipy.stats.mstats.mquantiles` computes them
/// with its defaults α = β = 0.4.
fn mquantiles(x: &[f64], probs: [f64; 2]) -> [f64; 2] {
    let (alphap, betap) = (0.4, 0.4);
    let n = x.len();
    if n == 1 {
        return [x[0], x[0]];
    }
    probs.map(|p| {
        let m = alphap + p * (1.0 - alphap - betap);
        let aleph: f64 = n as f64 * p + m;
        let k = aleph.clamp(1.0, (n - 1) as f64).floor();
        let gamma = (aleph - k).clamp(0.0, 1.0);
        let k = k as usize;
        (1.0 - gamma) * x[k - 1] + gamma * x[k]
    })
}

/// The grid of `partial_dependence`: the sorted distinct values of `values` (missing cells
/// left out) if fewer than `resolution`, else `np.linspace` between the 5th and 95th
/// percentiles.
fn grid_of(column: &str, values: &[f64], resolution: usize) -> Result<Vec<f64>> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return Err(ExplainError::NoValues(column.to_string()));
    }
    sorted.sort_by(f64::total_cmp);
    let mut unique = sorted.clone();
    unique.dedup_by(|a, b| a == b);
    if unique.len() < resolution {
        return Ok(unique);
    }
    let [low, high] = mquantiles(&sorted, [0.05, 0.95]);
    // np.allclose's test with its default tolerances.
    if (low - high).abs() <= 1e-8 + 1e-5 * high.abs() {
        return Err(ExplainError::PercentilesTooClose {
            column: column.to_string(),
            value: low,
        });
    }
    let step = (high - low) / (resolution - 1) as f64;
    let mut grid: Vec<f64> = (0..resolution).map(|i| i as f64 * step + low).collect();
    grid[resolution - 1] = high;
    Ok(grid)
}

/// Partial dependence of the (calibrated, when the pipeline is) churn probability on the
/// numeric input `column`, averaged over `rows`, at `grid_resolution` points at most.
pub fn partial_dependence(
    p: &FittedPipeline,
    ds: &Dataset,
    rows: &[usize],
    column: &str,
    grid_resolution: usize,
) -> Result<PartialDependence> {
    if grid_resolution < 2 {
        return Err(ExplainError::GridResolution(grid_resolution));
    }
    if rows.is_empty() {
        return Err(ExplainError::NoRows);
    }
    let values = match ds.column(column).map(|c| &c.data) {
        None => return Err(ExplainError::UnknownColumn(column.to_string())),
        Some(ColumnData::Categorical { .. }) => {
            return Err(ExplainError::NotNumeric(column.to_string()))
        }
        Some(ColumnData::Numeric(v)) => v,
    };
    let inputs = input_columns(&p.preprocessor);
    if !inputs.iter().any(|c| c == column) {
        return Err(ExplainError::NotAnInput(column.to_string()));
    }
    let cells: Vec<f64> = rows.iter().map(|&r| values[r]).collect();
    let grid = grid_of(column, &cells, grid_resolution)?;
    let mut sub = subset(ds, &inputs, rows)?;
    let at = position(&sub, column)?;
    let all: Vec<usize> = (0..rows.len()).collect();
    let average = grid
        .iter()
        .map(|&v| {
            sub.columns[at].data = ColumnData::Numeric(vec![v; rows.len()]);
            let probabilities = p.predict_proba(&sub, &all)?;
            Ok(probabilities.iter().sum::<f64>() / rows.len() as f64)
        })
        .collect::<Result<Vec<f64>>>()?;
    Ok(PartialDependence {
        column: column.to_string(),
        grid,
        average,
    })
}

/// Number of features a block produces (as the preprocessor lays them out).
fn block_width(block: &FeatureBlock) -> usize {
    match block {
        FeatureBlock::OneHot {
            levels, infrequent, ..
        } => levels.len() + usize::from(!infrequent.is_empty()),
        FeatureBlock::Numeric { .. }
        | FeatureBlock::Raw { .. }
        | FeatureBlock::Ordinal { .. }
        | FeatureBlock::MissingIndicator { .. } => 1,
    }
}

/// The source column of each feature before any PCA.
fn block_feature_columns(prep: &FittedPreprocessor) -> Vec<String> {
    prep.blocks
        .iter()
        .flat_map(|b| vec![b.column().to_string(); block_width(b)])
        .collect()
}

/// The source column of each feature the model sees: a one-hot level and a missing indicator
/// belong to their column; after PCA, which mixes every column, feature `k` is
/// `"principal component k"` (from 1).
pub fn feature_columns(prep: &FittedPreprocessor) -> Vec<String> {
    match &prep.pca {
        Some(pca) => (1..=pca.components.rows)
            .map(|k| format!("principal component {k}"))
            .collect(),
        None => block_feature_columns(prep),
    }
}

/// Log-odds of a probability, kept finite for probabilities rounded to 0 or 1.
fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-16, 1.0 - 1e-16);
    p.ln() - (-p).ln_1p()
}

/// Per-row contributions of each input column to the log-odds of the model's uncalibrated
/// probability, for `rows` of `ds`: exact for logistic regression, an occlusion approximation
/// for the neural network, `None` for trees.
pub fn contributions(
    p: &FittedPipeline,
    ds: &Dataset,
    rows: &[usize],
) -> Result<Option<Contributions>> {
    if rows.is_empty() {
        return Err(ExplainError::NoRows);
    }
    let columns = input_columns(&p.preprocessor);
    match &p.model {
        FittedModel::Logistic(m) => {
            let prep = &p.preprocessor;
            let mut plain = prep.clone();
            let pca = plain.pca.take();
            let x = plain.transform(ds, rows)?;
            // Weight and centre of each pre-PCA feature: β = Cᵀw around the PCA mean.
            let (weights, centre) = match &pca {
                Some(pca) => {
                    let (k, d) = (pca.components.rows, pca.components.cols);
                    if m.coefficients.len() != k || x.cols != d || pca.mean.len() != d {
                        return Err(PrepError::BadPipeline(format!(
                            "{} weights for {k} components of {d} features",
                            m.coefficients.len()
                        ))
                        .into());
                    }
                    let beta = (0..d)
                        .map(|j| {
                            (0..k)
                                .map(|c| m.coefficients[c] * pca.components.row(c)[j])
                                .sum()
                        })
                        .collect();
                    (beta, pca.mean.clone())
                }
                None => (m.coefficients.clone(), vec![0.0; x.cols]),
            };
            if weights.len() != x.cols {
                return Err(PrepError::BadPipeline(format!(
                    "{} weights for {} features",
                    weights.len(),
                    x.cols
                ))
                .into());
            }
            let owner: Vec<usize> = block_feature_columns(prep)
                .iter()
                .map(|name| {
                    columns
                        .iter()
                        .position(|c| c == name)
                        .expect("every block's column is an input column")
                })
                .collect();
            let values = (0..x.rows)
                .map(|i| {
                    let mut v = vec![0.0; columns.len()];
                    for (j, &value) in x.row(i).iter().enumerate() {
                        v[owner[j]] += weights[j] * (value - centre[j]);
                    }
                    v
                })
                .collect();
            Ok(Some(Contributions {
                columns,
                base: vec![m.intercept; x.rows],
                values,
                exact: true,
            }))
        }
        FittedModel::Mlp(m) => {
            let prep = &p.preprocessor;
            let mut sub = subset(ds, &columns, rows)?;
            let all: Vec<usize> = (0..rows.len()).collect();
            let log_odds = |sub: &Dataset| -> Result<Vec<f64>> {
                let x = prep.transform(sub, &all)?;
                Ok(m.predict_proba(&x).into_iter().map(logit).collect())
            };
            let z = log_odds(&sub)?;
            let mut values = vec![vec![0.0; columns.len()]; rows.len()];
            for (c, name) in columns.iter().enumerate() {
                let at = position(&sub, name)?;
                let reference = reference_data(prep, name, rows.len());
                let original = std::mem::replace(&mut sub.columns[at].data, reference);
                let occluded = log_odds(&sub);
                sub.columns[at].data = original;
                for (row, (zi, zo)) in values.iter_mut().zip(z.iter().zip(occluded?)) {
                    row[c] = zi - zo;
                }
            }
            let base = z
                .iter()
                .zip(&values)
                .map(|(zi, v)| zi - v.iter().sum::<f64>())
                .collect();
            Ok(Some(Contributions {
                columns,
                base,
                values,
                exact: false,
            }))
        }
        // Trees: TreeSHAP, wired in by the integrator.
        FittedModel::Gbdt(_) | FittedModel::Forest(_) => Ok(None),
    }
}

/// `n` cells of `column` at its training reference: the fill of missing numbers, the fill
/// level of a category (a missing cell for tree blocks, which have no fill).
fn reference_data(prep: &FittedPreprocessor, column: &str, n: usize) -> ColumnData {
    let block = prep
        .blocks
        .iter()
        .find(|b| b.column() == column && !matches!(b, FeatureBlock::MissingIndicator { .. }));
    match block {
        Some(FeatureBlock::Numeric { median, fill, .. }) => {
            ColumnData::Numeric(vec![fill.unwrap_or(*median); n])
        }
        Some(FeatureBlock::OneHot { fill, .. }) => ColumnData::Categorical {
            levels: vec![fill.clone()],
            codes: vec![0; n],
        },
        Some(FeatureBlock::Raw { .. }) | None => ColumnData::Numeric(vec![f64::NAN; n]),
        Some(FeatureBlock::Ordinal { .. }) | Some(FeatureBlock::MissingIndicator { .. }) => {
            ColumnData::Categorical {
                levels: Vec::new(),
                codes: vec![super::dataset::MISSING_CODE; n],
            }
        }
    }
}

/// The `n` riskiest of `rows` by `probabilities` (aligned with `rows`, as are the rows of
/// `c`), each with its `k` largest contributions by absolute value, split into those raising
/// and those lowering the risk (zero contributions are neither).
pub fn top_reasons(
    c: &Contributions,
    ds: &Dataset,
    rows: &[usize],
    probabilities: &[f64],
    n: usize,
    k: usize,
) -> Vec<CustomerReasons> {
    let count = rows.len().min(probabilities.len()).min(c.values.len());
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
    order
        .into_iter()
        .take(n)
        .map(|i| {
            let row = rows[i];
            let mut reasons: Vec<Reason> = c
                .columns
                .iter()
                .zip(&c.values[i])
                .map(|(column, &contribution)| Reason {
                    column: column.clone(),
                    value: ds
                        .column(column)
                        .and_then(|col| col.text(row))
                        .unwrap_or_else(|| "missing".to_string()),
                    contribution,
                })
                .collect();
            reasons.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
            reasons.truncate(k);
            let (up, down): (Vec<Reason>, Vec<Reason>) = reasons
                .into_iter()
                .filter(|r| r.contribution != 0.0)
                .partition(|r| r.contribution > 0.0);
            CustomerReasons {
                row,
                probability: probabilities[i],
                up,
                down,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ingest::{read_csv, ReadOptions};
    use crate::engine::pipeline::{ModelKind, TrainConfig};
    use crate::engine::target::target_for;

    /// 80 customers drawn by /tmp/explain/gen.py (numpy `RandomState(7)`: tenure, charges with
    /// every 13th from row 5 blank, Contract with every 17th from row 3 blank, churn from a
    /// logistic model); the pipeline is fitted on rows 0..60 and explained on rows 60..80.
    const CSV: &str = "\
tenure,charges,Contract,churn\n\
47,73.33,Two year,No\n\
68,41.16,Month-to-month,No\n\
25,106.85,Month-to-month,Yes\n\
67,105.05,,Yes\n\
23,96.36,Month-to-month,Yes\n\
57,,Month-to-month,No\n\
14,95.73,Month-to-month,Yes\n\
23,31.80,One year,No\n\
72,47.79,One year,No\n\
42,61.67,Month-to-month,Yes\n\
8,86.77,Month-to-month,Yes\n\
39,63.72,Month-to-month,No\n\
68,32.32,One year,No\n\
48,50.92,Two year,No\n\
7,49.20,Two year,No\n\
44,47.04,Month-to-month,Yes\n\
0,34.90,Month-to-month,No\n\
55,57.34,Two year,No\n\
6,,Two year,No\n\
19,89.74,Month-to-month,No\n\
60,91.68,,No\n\
44,67.02,Two year,No\n\
63,61.46,One year,No\n\
69,90.04,Two year,No\n\
56,99.86,Month-to-month,No\n\
24,80.74,Month-to-month,Yes\n\
55,92.04,Month-to-month,No\n\
53,104.52,Month-to-month,Yes\n\
61,23.66,Two year,No\n\
64,98.81,Month-to-month,No\n\
34,44.89,One year,Yes\n\
56,,Month-to-month,No\n\
38,91.71,Month-to-month,Yes\n\
4,84.55,Month-to-month,No\n\
9,33.24,Month-to-month,Yes\n\
67,79.29,One year,No\n\
72,26.23,One year,No\n\
48,52.14,,Yes\n\
1,93.15,One year,Yes\n\
64,58.49,Month-to-month,No\n\
16,73.99,Month-to-month,Yes\n\
31,85.53,Month-to-month,Yes\n\
44,93.91,Month-to-month,No\n\
71,88.45,Month-to-month,No\n\
23,,Two year,No\n\
10,57.82,Two year,No\n\
35,61.68,Month-to-month,Yes\n\
64,24.99,Month-to-month,Yes\n\
61,68.73,Month-to-month,No\n\
7,74.70,Month-to-month,No\n\
23,94.56,Month-to-month,Yes\n\
21,104.76,One year,Yes\n\
35,31.53,Two year,No\n\
67,40.74,Month-to-month,No\n\
19,79.32,,Yes\n\
27,31.92,One year,No\n\
4,40.17,Two year,Yes\n\
19,,Month-to-month,No\n\
33,35.26,One year,No\n\
30,90.40,Two year,Yes\n\
57,97.13,One year,No\n\
31,23.03,Month-to-month,No\n\
2,67.94,One year,No\n\
50,91.73,One year,No\n\
18,107.76,One year,Yes\n\
21,44.68,Month-to-month,Yes\n\
67,35.22,Two year,No\n\
58,98.90,Two year,No\n\
47,101.83,Month-to-month,Yes\n\
16,37.78,One year,Yes\n\
12,,Month-to-month,No\n\
9,84.73,,Yes\n\
67,96.08,Two year,No\n\
14,35.14,One year,Yes\n\
20,79.85,Two year,Yes\n\
53,92.71,Month-to-month,No\n\
15,69.47,Month-to-month,No\n\
59,34.82,Month-to-month,No\n\
35,23.20,One year,Yes\n\
48,45.34,Month-to-month,No
";

    fn fitted(model: ModelKind) -> (Dataset, FittedPipeline, Vec<usize>, Vec<u8>) {
        let ds = read_csv(CSV.as_bytes(), &ReadOptions::default()).expect("csv");
        let target = target_for(&ds, "churn", Some("Yes")).expect("target");
        let mut config = TrainConfig::new(target.clone());
        config.model = model;
        let train: Vec<usize> = (0..60).collect();
        let p = FittedPipeline::fit(&ds, &train, &config, |_| true).expect("fit");
        let labels = target.labels(&ds).expect("labels");
        let test: Vec<usize> = (60..80).collect();
        let y = test.iter().map(|&r| labels[r].expect("labelled")).collect();
        (ds, p, test, y)
    }

    #[test]
    fn dump_fitted() {
        let (_, p, _, _) = fitted(ModelKind::Logistic);
        println!("{}", serde_json::to_string(&p.preprocessor).unwrap());
        println!("{}", serde_json::to_string(&p.model).unwrap());
    }
}
