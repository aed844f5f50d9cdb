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

use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

use crate::dataset::{Column, ColumnData, Dataset};
use crate::evaluating::metrics::{roc_auc, MetricsError};
use crate::matrix::{Features, RowCells, SparseRows};
use crate::modelling::models::logistic::SPARSE_SHARE;
use crate::modelling::models::treeshap::Explainer;
use crate::modelling::models::{forest, gbdt};
use crate::modelling::models::{
    FittedGbdt, FittedLogisticRegression, FittedMlp, FittedModel, GbdtPaths,
};
use crate::modelling::pipeline::{FittedPipeline, PipelineError};
use crate::modelling::preprocessing::{FeatureBlock, FittedPreprocessor, PrepError};
use crate::rng::Rng;

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
    /// Whether the split is exact (linear models, trees) rather than an approximation.
    pub exact: bool,
    /// The scale of `base` and `values`: log-odds, except for the random forest, whose
    /// trees average probabilities, so its TreeSHAP values add up to the probability.
    #[serde(default)]
    pub unit: ContributionUnit,
}

/// What contributions add up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContributionUnit {
    #[default]
    LogOdds,
    Probability,
}

/// Sums per-feature values (and the expected value, last) of tree SHAP into per-column
/// contributions.
fn tree_contributions(
    prep: &FittedPreprocessor,
    shap: Vec<Vec<f64>>,
    unit: ContributionUnit,
) -> Contributions {
    let features = feature_columns(prep);
    let mut columns: Vec<String> = Vec::new();
    let owner: Vec<usize> = features
        .iter()
        .map(|name| match columns.iter().position(|c| c == name) {
            Some(i) => i,
            None => {
                columns.push(name.clone());
                columns.len() - 1
            }
        })
        .collect();
    let mut base = Vec::with_capacity(shap.len());
    let values = shap
        .into_iter()
        .map(|row| {
            let mut v = vec![0.0; columns.len()];
            for (j, &owner) in owner.iter().enumerate() {
                v[owner] += row.get(j).copied().unwrap_or(0.0);
            }
            base.push(row.last().copied().unwrap_or(0.0));
            v
        })
        .collect();
    Contributions {
        columns,
        base,
        values,
        exact: true,
        unit,
    }
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
pub(crate) fn input_columns(prep: &FittedPreprocessor) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in prep.input_columns() {
        if !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
    }
    out
}

/// A table of `columns` of `ds` at `rows`, renumbered `0..rows.len()`.
pub(crate) fn subset(ds: &Dataset, columns: &[String], rows: &[usize]) -> Result<Dataset> {
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
    let explained = ExplainedRows::of(p, ds, &[], rows)?;
    permutation_importance_in(p, &explained, y, repeats, seed, progress)
}

/// [`permutation_importance`] of every input column on rows already prepared, with the
/// same shuffles.
pub(crate) fn permutation_importance_in(
    p: &FittedPipeline,
    explained: &ExplainedRows,
    y: &[u8],
    repeats: usize,
    seed: u64,
    progress: impl FnMut(usize, usize) -> bool,
) -> Result<Vec<Importance>> {
    if repeats == 0 {
        return Err(ExplainError::ZeroRepeats);
    }
    let columns = input_columns(&p.preprocessor);
    let permutations = shuffles(columns.len(), repeats, explained.all.len(), seed);
    importance_in(p, explained, y, &columns, &permutations, progress)
}

/// `repeats` shuffles of `0..n` for each of `columns` columns, drawn in order from
/// `Rng::new(seed)`.
pub(crate) fn shuffles(
    columns: usize,
    repeats: usize,
    n: usize,
    seed: u64,
) -> Vec<Vec<Vec<usize>>> {
    let mut rng = Rng::new(seed);
    (0..columns)
        .map(|_| {
            (0..repeats)
                .map(|_| {
                    let mut index: Vec<usize> = (0..n).collect();
                    rng.shuffle(&mut index);
                    index
                })
                .collect()
        })
        .collect()
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

/// The rows explained, as a table of their own (`0..n`), with the tree models' cache of
/// their paths: built once and shared by the importance and the partial dependence.
pub(crate) struct ExplainedRows<'a> {
    sub: Dataset,
    all: Vec<usize>,
    cache: Option<TreeCache<'a>>,
}

impl<'a> ExplainedRows<'a> {
    /// `columns` of `ds` (the model's inputs are added) at `rows`, for explaining `p`.
    pub(crate) fn of(
        p: &'a FittedPipeline,
        ds: &Dataset,
        columns: &[String],
        rows: &[usize],
    ) -> Result<Self> {
        let mut needed = input_columns(&p.preprocessor);
        for c in columns {
            if !needed.contains(c) {
                needed.push(c.clone());
            }
        }
        let sub = subset(ds, &needed, rows)?;
        let all: Vec<usize> = (0..rows.len()).collect();
        let cache = TreeCache::of(p, &sub, &all)?;
        Ok(ExplainedRows { sub, all, cache })
    }

    /// The churn probabilities of `sub`, these rows with some cells changed.
    fn scores(
        &self,
        p: &FittedPipeline,
        sub: &Dataset,
    ) -> std::result::Result<Vec<f64>, PipelineError> {
        match &self.cache {
            Some(cache) => cache.scores(p, sub, &self.all),
            None => p.predict_proba(sub, &self.all),
        }
    }
}

fn importance_of(
    p: &FittedPipeline,
    ds: &Dataset,
    rows: &[usize],
    y: &[u8],
    columns: &[String],
    permutations: &[Vec<Vec<usize>>],
    progress: impl FnMut(usize, usize) -> bool,
) -> Result<Vec<Importance>> {
    check_permutations(columns, permutations, rows.len())?;
    let explained = ExplainedRows::of(p, ds, columns, rows)?;
    importance_in(p, &explained, y, columns, permutations, progress)
}

/// [`permutation_importance_with`] on rows already prepared.
pub(crate) fn importance_in(
    p: &FittedPipeline,
    explained: &ExplainedRows,
    y: &[u8],
    columns: &[String],
    permutations: &[Vec<Vec<usize>>],
    progress: impl FnMut(usize, usize) -> bool,
) -> Result<Vec<Importance>> {
    let out = importance_of_each(p, explained, y, columns, permutations, progress)?;
    Ok(ranked(out))
}

/// Importances in the order of their columns, ranked by mean drop, largest first (a stable
/// sort: ties keep the columns' order).
pub(crate) fn ranked(mut importance: Vec<Importance>) -> Vec<Importance> {
    importance.sort_by(|a, b| b.mean.total_cmp(&a.mean));
    importance
}

/// The importance of each of `columns`, in their order, on rows already prepared.
pub(crate) fn importance_of_each(
    p: &FittedPipeline,
    explained: &ExplainedRows,
    y: &[u8],
    columns: &[String],
    permutations: &[Vec<Vec<usize>>],
    mut progress: impl FnMut(usize, usize) -> bool,
) -> Result<Vec<Importance>> {
    let n = explained.all.len();
    check_rows(&explained.all, y)?;
    let repeats = check_permutations(columns, permutations, n)?;
    let sub = &explained.sub;
    let baseline = roc_auc(y, &p.predict_proba(sub, &explained.all)?)?;
    let total = columns.len() * repeats;
    // One task per column on every core ([`crate::parallel::map`]), each on its own copy of
    // the rows; the shuffles are given, so the drops do not depend on the threads.
    let done = AtomicUsize::new(0);
    let task = |c: usize, report: &mut dyn FnMut(()) -> bool| -> Result<Importance> {
        let mut sub = sub.clone();
        let at = position(&sub, &columns[c])?;
        let original = sub.columns[at].data.clone();
        let mut drops = Vec::with_capacity(repeats);
        for index in &permutations[c] {
            sub.columns[at].data = permuted(&original, index);
            let scores = explained.scores(p, &sub);
            let drop = scores
                .map_err(ExplainError::from)
                .and_then(|s| Ok(baseline - roc_auc(y, &s)?));
            drops.push(drop?);
            done.fetch_add(1, Ordering::Relaxed);
            if !report(()) {
                return Err(ExplainError::Cancelled);
            }
        }
        let mean = drops.iter().sum::<f64>() / repeats as f64;
        let var = drops.iter().map(|d| (d - mean) * (d - mean)).sum::<f64>() / repeats as f64;
        Ok(Importance {
            column: columns[c].clone(),
            mean,
            std: var.sqrt(),
            drops,
        })
    };
    // Only the calling thread's shuffles report, each with the count done on every thread;
    // the last report says all are done.
    let mut reported = 0;
    let mut report = |()| {
        reported = done.load(Ordering::Relaxed);
        progress(reported, total)
    };
    let results = crate::parallel::map(columns.len(), &mut report, &task);
    let out = results.into_iter().collect::<Result<Vec<_>>>()?;
    if reported < total && !progress(total, total) {
        return Err(ExplainError::Cancelled);
    }
    Ok(out)
}

/// A tree ensemble's leaf for each tree and row of the rows explained, kept while their
/// columns are shuffled one at a time: a shuffle changes only the features made from its
/// column, so only the paths that read one of them are walked again
/// ([`forest::FittedForest::predict_proba_changed`], [`FittedGbdt::predict_proba_changed`];
/// the same probabilities to the bit).
struct TreeCache<'a> {
    x: crate::modelling::preprocessing::Matrix,
    paths: Paths<'a>,
}

enum Paths<'a> {
    Forest(&'a forest::FittedForest, forest::ForestPaths),
    Gbdt(&'a FittedGbdt, GbdtPaths),
}

impl<'a> TreeCache<'a> {
    /// The cache for `rows` of `ds` when `p`'s model is a forest or boosted trees of at most
    /// 64 features.
    fn of(
        p: &'a FittedPipeline,
        ds: &Dataset,
        rows: &[usize],
    ) -> std::result::Result<Option<Self>, PipelineError> {
        if !matches!(p.model, FittedModel::Forest(_) | FittedModel::Gbdt(_)) {
            return Ok(None);
        }
        let x = p.preprocessor.transform(ds, rows)?;
        let paths = match &p.model {
            FittedModel::Forest(f) => f.paths(&x).map(|paths| Paths::Forest(f, paths)),
            FittedModel::Gbdt(g) => g.paths(&x).map(|paths| Paths::Gbdt(g, paths)),
            _ => None,
        };
        Ok(paths.map(|paths| TreeCache { x, paths }))
    }

    /// [`FittedPipeline::predict_proba`] of `rows` of `ds`, the same rows as the cache's
    /// with some cells changed.
    fn scores(
        &self,
        p: &FittedPipeline,
        ds: &Dataset,
        rows: &[usize],
    ) -> std::result::Result<Vec<f64>, PipelineError> {
        let x = p.preprocessor.transform(ds, rows)?;
        let changed = changed_features(&self.x, &x);
        let proba = match &self.paths {
            Paths::Forest(f, paths) => f.predict_proba_changed(&x, paths, changed),
            Paths::Gbdt(g, paths) => g.predict_proba_changed(&x, paths, changed),
        };
        Ok(p.churn_probabilities(proba))
    }
}

/// The features (as bits) in which `b` differs from `a` anywhere (missing values equal);
/// every bit when their shapes differ or a feature past the 64th differs.
fn changed_features(
    a: &crate::modelling::preprocessing::Matrix,
    b: &crate::modelling::preprocessing::Matrix,
) -> u64 {
    if a.dim() != b.dim() {
        return u64::MAX;
    }
    let mut changed = 0u64;
    for (j, (ca, cb)) in a.columns().into_iter().zip(b.columns()).enumerate() {
        let same = ca
            .iter()
            .zip(cb.iter())
            .all(|(u, v)| u.to_bits() == v.to_bits() || (u.is_nan() && v.is_nan()));
        if !same {
            match 1u64.checked_shl(j as u32) {
                Some(bit) if j < 64 => changed |= bit,
                _ => return u64::MAX,
            }
        }
    }
    changed
}

/// Checks that `permutations` holds, for each of `columns`, the same number of shuffles of
/// `0..n`, and at least one when there are columns; returns that number of repeats.
fn check_permutations(
    columns: &[String],
    permutations: &[Vec<Vec<usize>>],
    n: usize,
) -> Result<usize> {
    if columns.len() != permutations.len() {
        return Err(ExplainError::MismatchedPermutations {
            columns: columns.len(),
            permuted: permutations.len(),
        });
    }
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
    Ok(repeats)
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
    let grid = dependence_grid(p, ds, rows, column, grid_resolution)?;
    let explained = ExplainedRows::of(p, ds, &[], rows)?;
    partial_dependence_in(p, &explained, column, grid)
}

/// The grid of [`partial_dependence`] on `column`, checked to be a numeric input.
pub(crate) fn dependence_grid(
    p: &FittedPipeline,
    ds: &Dataset,
    rows: &[usize],
    column: &str,
    grid_resolution: usize,
) -> Result<Vec<f64>> {
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
    grid_of(column, &cells, grid_resolution)
}

/// [`partial_dependence`] at the values of `grid`, on rows already prepared.
pub(crate) fn partial_dependence_in(
    p: &FittedPipeline,
    explained: &ExplainedRows,
    column: &str,
    grid: Vec<f64>,
) -> Result<PartialDependence> {
    let n = explained.all.len();
    let mut sub = explained.sub.clone();
    let at = position(&sub, column)?;
    let average = grid
        .iter()
        .map(|&v| {
            sub.columns[at].data = ColumnData::Numeric(vec![v; n]);
            let probabilities = explained.scores(p, &sub)?;
            Ok(probabilities.iter().sum::<f64>() / n as f64)
        })
        .collect::<Result<Vec<f64>>>()?;
    Ok(PartialDependence {
        column: column.to_string(),
        grid,
        average,
    })
}

/// The source column of each feature before any PCA.
fn block_feature_columns(prep: &FittedPreprocessor) -> Vec<String> {
    prep.blocks
        .iter()
        .flat_map(|b| vec![b.column().to_string(); b.width()])
        .collect()
}

/// The source column of each feature the model sees: a one-hot level and a missing indicator
/// belong to their column; after PCA, which mixes every column, feature `k` is
/// `"principal component k"` (from 1).
pub fn feature_columns(prep: &FittedPreprocessor) -> Vec<String> {
    match &prep.pca {
        Some(pca) => (1..=pca.components.nrows())
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
    contributions_by(p, &TreeExplainer::new(p, rows.len()), ds, rows)
}

/// A tree model's TreeSHAP set-up (its tables and walk plans), built once for all the rows
/// to explain and shared by every chunk of them; [`TreeExplainer::None`] for the other
/// models and for trees saved before they kept their node counts.
pub(crate) enum TreeExplainer<'a> {
    Gbdt(Explainer<'a, gbdt::Tree>),
    Forest(Explainer<'a, forest::Tree>),
    None,
}

impl<'a> TreeExplainer<'a> {
    /// The set-up of `p`'s model for explaining about `rows` rows in all.
    pub(crate) fn new(p: &'a FittedPipeline, rows: usize) -> Self {
        let explainer = match &p.model {
            FittedModel::Gbdt(m) => m.explainer(rows).map(TreeExplainer::Gbdt),
            FittedModel::Forest(m) => m.explainer(rows).map(TreeExplainer::Forest),
            FittedModel::Logistic(_) | FittedModel::Mlp(_) => None,
        };
        explainer.unwrap_or(TreeExplainer::None)
    }
}

/// [`contributions`] with the set-up `explainer` of `p` ([`TreeExplainer::new`]).
pub(crate) fn contributions_by(
    p: &FittedPipeline,
    explainer: &TreeExplainer,
    ds: &Dataset,
    rows: &[usize],
) -> Result<Option<Contributions>> {
    if rows.is_empty() {
        return Err(ExplainError::NoRows);
    }
    let columns = input_columns(&p.preprocessor);
    // Trees: exact TreeSHAP from the trees themselves (None for a model saved before
    // trees kept their node counts).
    match (&p.model, explainer) {
        (FittedModel::Logistic(m), _) => {
            linear_contributions(&p.preprocessor, m, ds, rows, columns)
        }
        (FittedModel::Mlp(m), _) => occlusion_contributions(&p.preprocessor, m, ds, rows, columns),
        (FittedModel::Gbdt(m), TreeExplainer::Gbdt(e)) => {
            let x = p.preprocessor.transform(ds, rows)?;
            let shap = m.shap_values_by(&x, e);
            Ok(Some(tree_contributions(
                &p.preprocessor,
                shap,
                ContributionUnit::LogOdds,
            )))
        }
        (FittedModel::Forest(m), TreeExplainer::Forest(e)) => {
            let x = p.preprocessor.transform(ds, rows)?;
            let shap = m.shap_values_by(&x, e);
            Ok(Some(tree_contributions(
                &p.preprocessor,
                shap,
                ContributionUnit::Probability,
            )))
        }
        (FittedModel::Gbdt(_) | FittedModel::Forest(_), _) => Ok(None),
    }
}

/// Exact contributions of logistic regression `m` on `rows` of `ds`: each feature's weight
/// times its value (around the PCA mean, through `β = Cᵀw`, after PCA), summed per input
/// column of `columns`.
fn linear_contributions(
    prep: &FittedPreprocessor,
    m: &FittedLogisticRegression,
    ds: &Dataset,
    rows: &[usize],
    columns: Vec<String>,
) -> Result<Option<Contributions>> {
    if prep.pca.is_none() {
        // Without PCA a feature's contribution is its weight times its value, so only the
        // non-zero cells add anything (the same sums, in the same order).
        if let Features::Sparse(x) = prep.transform_features(ds, rows, SPARSE_SHARE)? {
            return sparse_linear_contributions(prep, m, &x, columns);
        }
    }
    let mut plain = prep.clone();
    let pca = plain.pca.take();
    if let Some(pca) = &pca {
        plain.feature_names = pca.inputs.clone();
    }
    let x = plain.transform(ds, rows)?;
    // Weight and centre of each pre-PCA feature: β = Cᵀw around the PCA mean.
    let (weights, centre) = match &pca {
        Some(pca) => {
            let (k, d) = (pca.components.nrows(), pca.components.ncols());
            if m.coefficients.len() != k || x.ncols() != d || pca.mean.len() != d {
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
        None => (m.coefficients.clone(), vec![0.0; x.ncols()]),
    };
    if weights.len() != x.ncols() {
        return Err(PrepError::BadPipeline(format!(
            "{} weights for {} features",
            weights.len(),
            x.ncols()
        ))
        .into());
    }
    let owner = feature_owners(prep, &columns);
    let values = (0..x.nrows())
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
        base: vec![m.intercept; x.nrows()],
        values,
        exact: true,
        unit: ContributionUnit::LogOdds,
    }))
}

/// For each feature (before any PCA), the position of its input column in `columns`.
fn feature_owners(prep: &FittedPreprocessor, columns: &[String]) -> Vec<usize> {
    block_feature_columns(prep)
        .iter()
        .map(|name| {
            columns
                .iter()
                .position(|c| c == name)
                .expect("every block's column is an input column")
        })
        .collect()
}

/// [`linear_contributions`] of features kept as their non-zero cells (no PCA).
fn sparse_linear_contributions(
    prep: &FittedPreprocessor,
    m: &FittedLogisticRegression,
    x: &SparseRows,
    columns: Vec<String>,
) -> Result<Option<Contributions>> {
    if m.coefficients.len() != x.cols() {
        return Err(PrepError::BadPipeline(format!(
            "{} weights for {} features",
            m.coefficients.len(),
            x.cols()
        ))
        .into());
    }
    let owner = feature_owners(prep, &columns);
    let values = (0..x.n_rows())
        .map(|i| {
            let mut v = vec![0.0; columns.len()];
            let (features, cells) = x.row(i);
            for (&j, &value) in features.iter().zip(cells) {
                let j = j as usize;
                v[owner[j]] += m.coefficients[j] * value;
            }
            v
        })
        .collect();
    Ok(Some(Contributions {
        columns,
        base: vec![m.intercept; x.n_rows()],
        values,
        exact: true,
        unit: ContributionUnit::LogOdds,
    }))
}

/// Occlusion contributions of the network `m` on `rows` of `ds`: per input column of
/// `columns`, the drop in log-odds when the column is set to its training reference.
fn occlusion_contributions(
    prep: &FittedPreprocessor,
    m: &FittedMlp,
    ds: &Dataset,
    rows: &[usize],
    columns: Vec<String>,
) -> Result<Option<Contributions>> {
    let mut sub = subset(ds, &columns, rows)?;
    let all: Vec<usize> = (0..rows.len()).collect();
    let log_odds = |sub: &Dataset| -> Result<Vec<f64>> {
        let x = prep.transform_features(sub, &all, SPARSE_SHARE)?;
        Ok(m.predict_features(&x).into_iter().map(logit).collect())
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
        unit: ContributionUnit::LogOdds,
    }))
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
                codes: vec![crate::dataset::MISSING_CODE; n],
            }
        }
    }
}

/// The `n` riskiest of `rows` by `probabilities` (aligned with `rows`, as are the rows of
/// `c`), each with its `k` largest contributions raising the risk and its `k` largest
/// lowering it, largest first (zero contributions are neither).
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
            let (up, down) = row_reasons(c, ds, rows[i], &c.values[i], k);
            CustomerReasons {
                row: rows[i],
                probability: probabilities[i],
                up,
                down,
            }
        })
        .collect()
}

/// The `k` largest of one customer's `contributions` (one per column of `c`, for `row` of
/// `ds`) raising the risk and the `k` largest lowering it, largest first.
pub fn row_reasons(
    c: &Contributions,
    ds: &Dataset,
    row: usize,
    contributions: &[f64],
    k: usize,
) -> (Vec<Reason>, Vec<Reason>) {
    let mut reasons: Vec<Reason> = c
        .columns
        .iter()
        .zip(contributions)
        .filter(|(_, &v)| v != 0.0)
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
    let (mut up, mut down): (Vec<Reason>, Vec<Reason>) =
        reasons.into_iter().partition(|r| r.contribution > 0.0);
    up.truncate(k);
    down.truncate(k);
    (up, down)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modelling::pipeline::{ModelKind, TrainConfig};
    use crate::modelling::preprocessing::PrepOptions;
    use crate::reading::ingest::{read_csv, ReadOptions};
    use crate::understanding::target::target_for;

    /// 80 customers drawn with numpy: `rs = np.random.RandomState(7); tenure =
    /// rs.randint(0, 73, 80); charges = np.round(rs.uniform(20, 110, 80), 2); contract =
    /// rs.choice(["Month-to-month", "One year", "Two year"], 80, p=[0.5, 0.25, 0.25]);
    /// z = 0.8 - 0.05 * tenure + 0.02 * (charges - 65) + np.where(contract == "Month-to-month",
    /// 1.0, -0.8); churn = rs.uniform(size=80) < 1 / (1 + np.exp(-z))`, with charges blank on
    /// rows where `i % 13 == 5` and Contract where `i % 17 == 3`. The pipeline is fitted on
    /// rows 0..60 and explained on rows 60..80.
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

    /// The pipeline of `fitted(ModelKind::Logistic)`, rebuilt in scikit-learn 1.9.1 for the
    /// references below (/tmp/explain/ref.py): `Pipeline([ColumnTransformer([("num",
    /// Pipeline([SimpleImputer(strategy="median"), StandardScaler()]), ["tenure", "charges"]),
    /// ("cat", Pipeline([SimpleImputer(strategy="most_frequent"),
    /// OneHotEncoder(handle_unknown="ignore")]), ["Contract"])]), LogisticRegression()])`
    /// fitted on rows 0..60, then its `statistics_`, `mean_`, `scale_`, `coef_` and
    /// `intercept_` set to ours (medians 38.5, 68.73; means 38.56666666666667,
    /// 67.78866666666666; scales 22.235382214439717, 24.246041427187425; coefficients
    /// [-0.7383302842897094, 0.4252041942043811, 0.6245118683449592, 0.05279292172684556,
    /// -0.6773047618939512], intercept -0.841171211467032), so both compute the same function.
    /// `X_test = X.iloc[60:80].reset_index(drop=True)`.
    ///
    /// The shuffles `permutation_importance(pipe, X_test, y_test, scoring="roc_auc",
    /// n_repeats=5, random_state=0)` applies, replicated as its `_calculate_permutation_scores`
    /// draws them: one `seed = RandomState(0).randint(2**31)` shared by every column, a
    /// `RandomState(seed)` per column shuffling `idx = np.arange(20)` in place each repeat,
    /// and the column re-indexed cumulatively (`cur = cur[idx]`). Recomputing the drops with
    /// these in Python gives sklearn's `importances` exactly (max difference 0.0).
    const SKLEARN_SHUFFLES: [[usize; 20]; 5] = [
        [
            16, 15, 8, 4, 11, 5, 10, 1, 14, 19, 13, 18, 7, 9, 6, 2, 17, 0, 3, 12,
        ],
        [
            19, 18, 11, 4, 10, 6, 12, 16, 17, 5, 7, 3, 1, 9, 2, 8, 13, 15, 0, 14,
        ],
        [
            3, 6, 16, 10, 18, 12, 17, 13, 14, 15, 19, 11, 4, 1, 5, 8, 0, 2, 7, 9,
        ],
        [
            15, 8, 4, 18, 19, 17, 10, 6, 13, 0, 14, 1, 5, 3, 2, 16, 11, 12, 9, 7,
        ],
        [
            8, 11, 9, 19, 13, 0, 2, 12, 3, 15, 17, 1, 14, 7, 6, 16, 10, 4, 18, 5,
        ],
    ];

    #[test]
    fn permutation_importance_matches_sklearn_with_its_shuffles() {
        let (ds, p, rows, y) = fitted(ModelKind::Logistic);
        let columns: Vec<String> = ["tenure", "charges", "Contract"].map(String::from).to_vec();
        let shuffles: Vec<Vec<Vec<usize>>> = columns
            .iter()
            .map(|_| SKLEARN_SHUFFLES.iter().map(|s| s.to_vec()).collect())
            .collect();
        let got = permutation_importance_with(&p, &ds, &rows, &y, &columns, &shuffles)
            .expect("importance");
        // scikit-learn 1.9.1, the call above: importances_mean, importances_std, importances.
        let expected: [(&str, f64, f64, [f64; 5]); 3] = [
            (
                "tenure",
                0.27708333333333335,
                0.04639803635691682,
                [
                    0.22916666666666674,
                    0.27083333333333337,
                    0.27083333333333337,
                    0.25,
                    0.3645833333333333,
                ],
            ),
            (
                "charges",
                0.11666666666666667,
                0.06953466361782762,
                [
                    0.16666666666666674,
                    0.13541666666666663,
                    0.04166666666666674,
                    0.20833333333333326,
                    0.03125,
                ],
            ),
            (
                "Contract",
                0.05208333333333335,
                0.05432668671002205,
                [
                    0.07291666666666674,
                    0.01041666666666674,
                    0.09375,
                    -0.03125,
                    0.11458333333333326,
                ],
            ),
        ];
        assert_eq!(got.len(), 3);
        for (imp, (column, mean, std, drops)) in got.iter().zip(expected) {
            assert_eq!(imp.column, column, "sorted by mean, descending");
            assert!((imp.mean - mean).abs() < 1e-12, "{column}: {}", imp.mean);
            assert!((imp.std - std).abs() < 1e-12, "{column}: {}", imp.std);
            for (a, b) in imp.drops.iter().zip(drops) {
                assert!((a - b).abs() < 1e-12, "{column}: {:?}", imp.drops);
            }
        }
    }

    /// The drops of permutation importance computed the plain way: each shuffle's rows
    /// scored in full by the pipeline.
    fn plain_drops(
        (p, ds): (&FittedPipeline, &Dataset),
        (rows, y): (&[usize], &[u8]),
        columns: &[String],
        shuffles: &[Vec<Vec<usize>>],
    ) -> Vec<(String, Vec<f64>)> {
        let names: Vec<String> = ds.columns.iter().map(|c| c.name.clone()).collect();
        let sub = subset(ds, &names, rows).expect("subset");
        let all: Vec<usize> = (0..rows.len()).collect();
        let baseline = roc_auc(y, &p.predict_proba(&sub, &all).expect("scores")).expect("auc");
        columns
            .iter()
            .zip(shuffles)
            .map(|(c, repeats)| {
                let at = position(&sub, c).expect("column");
                let drops = repeats
                    .iter()
                    .map(|index| {
                        let mut shuffled = sub.clone();
                        shuffled.columns[at].data = permuted(&sub.columns[at].data, index);
                        let scores = p.predict_proba(&shuffled, &all).expect("scores");
                        baseline - roc_auc(y, &scores).expect("auc")
                    })
                    .collect();
                (c.clone(), drops)
            })
            .collect()
    }

    /// A forest's and the boosted trees' shuffles (and partial dependence's grid values)
    /// walk again only the paths that read the changed column, and give the drops (means)
    /// of scoring every row in full, to the bit: the built-in sample's generator (1,500
    /// customers, seeded; missing values, text columns), oversampled (so a prior
    /// correction too), 40 trees, 500 customers explained.
    #[test]
    fn tree_models_shuffles_and_partial_dependence_score_as_full_scoring_does() {
        for model in [ModelKind::Forest, ModelKind::Gbdt] {
            shuffles_score_as_full_scoring_does(model);
        }
    }

    fn shuffles_score_as_full_scoring_does(model: ModelKind) {
        let csv = crate::reading::sample::generate_csv(&crate::reading::sample::SampleSpec {
            customers: 1500,
            seed: 9,
        });
        let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("csv");
        let target = target_for(&ds, "churned", None).expect("target");
        let mut config = TrainConfig::new(target.clone());
        config.model = model;
        config.forest = config.forest.clone().n_trees(40);
        config.gbdt.n_trees = 40;
        config.resample = Some(crate::modelling::pipeline::Resample::Over);
        config.ignore = vec!["customer_id".into()];
        let train: Vec<usize> = (0..1000).collect();
        let p = FittedPipeline::fit(&ds, &train, &config, |_| true).expect("fit");
        assert!(p.prior_correction.is_some());
        let labels = target.labels(&ds).expect("labels");
        let rows: Vec<usize> = (1000..1500).collect();
        let y: Vec<u8> = rows.iter().map(|&r| labels[r].expect("labelled")).collect();
        let columns = input_columns(&p.preprocessor);
        assert!(columns.len() >= 10, "{columns:?}");
        let mut rng = Rng::new(3);
        let shuffles: Vec<Vec<Vec<usize>>> = columns
            .iter()
            .map(|_| {
                (0..3)
                    .map(|_| {
                        let mut index: Vec<usize> = (0..rows.len()).collect();
                        rng.shuffle(&mut index);
                        index
                    })
                    .collect()
            })
            .collect();
        let sub = subset(&ds, &columns, &rows).expect("subset");
        let all: Vec<usize> = (0..rows.len()).collect();
        assert!(
            TreeCache::of(&p, &sub, &all).expect("cache").is_some(),
            "the cache is used"
        );
        let got = permutation_importance_with(&p, &ds, &rows, &y, &columns, &shuffles)
            .expect("importance");
        let plain = plain_drops((&p, &ds), (&rows, &y), &columns, &shuffles);
        for (column, drops) in plain {
            let imp = got.iter().find(|i| i.column == column).expect("column");
            let (a, b): (Vec<u64>, Vec<u64>) = (
                imp.drops.iter().map(|d| d.to_bits()).collect(),
                drops.iter().map(|d| d.to_bits()).collect(),
            );
            assert_eq!(
                a, b,
                "{model:?} {column}: {:?} against {drops:?}",
                imp.drops
            );
        }
        assert!(
            got[0].mean > 0.01,
            "{model:?} uses its best column: {:?}",
            got[0]
        );
        // Partial dependence too: each grid value's mean as full scoring gives it.
        let column = "days_since_last_order";
        let pd = partial_dependence(&p, &ds, &rows, column, 12).expect("pd");
        let mut set = ds.clone();
        let at = position(&set, column).expect("column");
        for (&v, &average) in pd.grid.iter().zip(&pd.average) {
            let ColumnData::Numeric(values) = &mut set.columns[at].data else {
                panic!("a number column");
            };
            rows.iter().for_each(|&r| values[r] = v);
            let scores = p.predict_proba(&set, &rows).expect("scores");
            let mean = scores.iter().sum::<f64>() / rows.len() as f64;
            assert_eq!(
                mean.to_bits(),
                average.to_bits(),
                "{model:?} {column} = {v}"
            );
        }
    }

    #[test]
    fn changed_features_are_the_columns_that_differ() {
        let a = crate::matrix::from_row_major(2, 3, vec![1.0, f64::NAN, 3.0, 4.0, 5.0, 6.0]);
        let mut b = a.clone();
        assert_eq!(changed_features(&a, &b), 0, "NaN equals NaN");
        b[[1, 2]] = 7.0;
        assert_eq!(changed_features(&a, &b), 0b100);
        b[[0, 1]] = 0.0;
        assert_eq!(changed_features(&a, &b), 0b110);
        let wide = crate::matrix::from_row_major(1, 2, vec![1.0, 2.0]);
        assert_eq!(changed_features(&a, &wide), u64::MAX, "another shape");
    }

    #[test]
    fn permutation_importance_is_seeded_reports_progress_and_cancels() {
        let _guard = crate::parallel::tests::THREAD_SETTING.lock();
        let (ds, p, rows, y) = fitted(ModelKind::Logistic);
        // On one thread a report per shuffle; on two, the calling thread's shuffles report
        // the count done on both (how many is up to the scheduler), rising to all done.
        for threads in [1, 2] {
            crate::parallel::set_threads(threads);
            let mut steps = Vec::new();
            permutation_importance(&p, &ds, &rows, &y, 3, 1, |done, total| {
                steps.push((done, total));
                true
            })
            .expect("importance");
            if threads == 1 {
                assert_eq!(steps.len(), 9, "3 columns x 3 repeats");
            }
            assert!(steps.windows(2).all(|w| w[0].0 <= w[1].0), "{steps:?}");
            assert_eq!(steps.last(), Some(&(9, 9)));
        }
        crate::parallel::set_threads(0);
        let a = permutation_importance(&p, &ds, &rows, &y, 3, 1, |_, _| true).expect("importance");
        assert!(a.windows(2).all(|w| w[0].mean >= w[1].mean));
        assert_eq!(
            a,
            permutation_importance(&p, &ds, &rows, &y, 3, 1, |_, _| true).expect("again")
        );
        let err = permutation_importance(&p, &ds, &rows, &y, 3, 1, |done, _| done < 4);
        assert!(matches!(err, Err(ExplainError::Cancelled)));
        let err = permutation_importance(&p, &ds, &rows, &y, 0, 1, |_, _| true);
        assert!(matches!(err, Err(ExplainError::ZeroRepeats)));
        let err = permutation_importance(&p, &ds, &rows, &y[1..], 2, 1, |_, _| true);
        assert!(matches!(
            err,
            Err(ExplainError::MismatchedLabels {
                rows: 20,
                labels: 19
            })
        ));
        let bad = vec![vec![vec![0; 20]]];
        let err = permutation_importance_with(&p, &ds, &rows, &y, &["tenure".into()], &bad);
        assert!(matches!(
            err,
            Err(ExplainError::BadPermutation { repeat: 0, .. })
        ));
        let one = vec![vec![(0..20).collect::<Vec<usize>>()]];
        let err = permutation_importance_with(&p, &ds, &rows, &y, &["nope".into()], &one);
        assert!(matches!(err, Err(ExplainError::UnknownColumn(c)) if c == "nope"));
    }

    #[test]
    fn partial_dependence_matches_sklearn() {
        let (ds, p, rows, _) = fitted(ModelKind::Logistic);
        // scikit-learn 1.9.1, the pipeline above with tenure as float:
        // `partial_dependence(pipe, X_test, ["tenure"], kind="average", method="brute",
        // grid_resolution=10, percentiles=(0.05, 0.95))`: 19 distinct values, so a linspace
        // between the mquantiles.
        let grid = [
            4.870000000000001,
            11.773333333333333,
            18.676666666666666,
            25.58,
            32.483333333333334,
            39.38666666666667,
            46.28999999999999,
            53.19333333333333,
            60.096666666666664,
            67.0,
        ];
        let average = [
            0.5966640473750255,
            0.5453968385920737,
            0.49317565128951185,
            0.4410399298096964,
            0.39002798653736087,
            0.34110474941310176,
            0.29509797588990905,
            0.2526506822321315,
            0.21419490917367656,
            0.17994837302582864,
        ];
        let pd = partial_dependence(&p, &ds, &rows, "tenure", 10).expect("pd");
        assert_eq!(pd.column, "tenure");
        assert_eq!(pd.grid.len(), 10);
        for ((g, a), (eg, ea)) in pd
            .grid
            .iter()
            .zip(&pd.average)
            .zip(grid.iter().zip(average))
        {
            assert!((g - eg).abs() < 1e-10, "{:?}", pd.grid);
            assert!((a - ea).abs() < 1e-10, "{:?}", pd.average);
        }
        // The same with grid_resolution=50: the 19 distinct values themselves.
        let pd = partial_dependence(&p, &ds, &rows, "tenure", 50).expect("pd");
        let distinct = [
            2.0, 9.0, 12.0, 14.0, 15.0, 16.0, 18.0, 20.0, 21.0, 31.0, 35.0, 47.0, 48.0, 50.0, 53.0,
            57.0, 58.0, 59.0, 67.0,
        ];
        assert_eq!(pd.grid, distinct);
        let average = [
            0.6174635807025467,
            0.5661642011634694,
            0.5436917680499563,
            0.5286078586722617,
            0.5210445905289742,
            0.5134713381148016,
            0.4983076565220781,
            0.4831424604665622,
            0.4755673253919322,
            0.400844101624223,
            0.37190355379666107,
            0.29055902860667754,
            0.28423142931680023,
            0.2718108593279303,
            0.2537866398810027,
            0.23093279319259302,
            0.2254354847141035,
            0.22002592896731138,
            0.17994837302582864,
        ];
        for (a, ea) in pd.average.iter().zip(average) {
            assert!((a - ea).abs() < 1e-10, "{:?}", pd.average);
        }
        let err = partial_dependence(&p, &ds, &rows, "Contract", 10);
        assert!(matches!(err, Err(ExplainError::NotNumeric(c)) if c == "Contract"));
        let err = partial_dependence(&p, &ds, &rows, "nope", 10);
        assert!(matches!(err, Err(ExplainError::UnknownColumn(_))));
        let err = partial_dependence(&p, &ds, &rows, "tenure", 1);
        assert!(matches!(err, Err(ExplainError::GridResolution(1))));
    }

    /// Log-odds of the model's uncalibrated probability, for the identity checks.
    fn model_log_odds(p: &FittedPipeline, ds: &Dataset, rows: &[usize]) -> Vec<f64> {
        let x = p.preprocessor.transform(ds, rows).expect("transform");
        p.model.predict_proba(&x).into_iter().map(logit).collect()
    }

    #[test]
    fn logistic_contributions_are_exact_and_group_one_hot_levels() {
        let (ds, p, rows, _) = fitted(ModelKind::Logistic);
        let c = contributions(&p, &ds, &rows).expect("ok").expect("linear");
        assert!(c.exact);
        assert_eq!(
            c.columns,
            ["tenure", "charges", "Contract"],
            "levels grouped"
        );
        let z = model_log_odds(&p, &ds, &rows);
        for (i, zi) in z.iter().enumerate() {
            let total = c.base[i] + c.values[i].iter().sum::<f64>();
            assert!((total - zi).abs() < 1e-10, "row {i}: {total} vs {zi}");
        }
        // Hand check of row 60 (tenure 57, charges 97.13, One year) with the coefficients
        // above: w·(x - mean)/scale per number, the "One year" weight for Contract; its
        // probability sigmoid(-0.8859001701561975) = 0.29195661240495274 is also
        // scikit-learn's `pipe.predict_proba(X_test)[0, 1]`.
        let expected = [-0.6120824957786728, 0.5145606153626617, 0.05279292172684556];
        for (a, b) in c.values[0].iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{:?}", c.values[0]);
        }
        assert_eq!(c.base[0], -0.841171211467032);
        assert!((z[0] - -0.8859001701561975).abs() < 1e-12);
        // A missing Contract (row 71) is filled with the most frequent level.
        assert_eq!(
            c.values[11][2], 0.6245118683449592,
            "the Month-to-month weight"
        );
    }

    #[test]
    fn logistic_contributions_stay_exact_after_pca_and_with_indicators() {
        let ds = read_csv(CSV.as_bytes(), &ReadOptions::default()).expect("csv");
        let target = target_for(&ds, "churn", Some("Yes")).expect("target");
        let mut config = TrainConfig::new(target);
        config.prep = PrepOptions::new().missing_indicator(true).pca(3);
        let train: Vec<usize> = (0..60).collect();
        let p = FittedPipeline::fit(&ds, &train, &config, |_| true).expect("fit");
        let rows: Vec<usize> = (60..80).collect();
        let c = contributions(&p, &ds, &rows).expect("ok").expect("linear");
        assert!(c.exact);
        assert_eq!(c.columns, ["tenure", "charges", "Contract"]);
        let z = model_log_odds(&p, &ds, &rows);
        for (i, zi) in z.iter().enumerate() {
            let total = c.base[i] + c.values[i].iter().sum::<f64>();
            assert!((total - zi).abs() < 1e-10, "row {i}: {total} vs {zi}");
        }
        assert_eq!(
            feature_columns(&p.preprocessor),
            [
                "principal component 1",
                "principal component 2",
                "principal component 3"
            ]
        );
    }

    #[test]
    fn feature_columns_map_levels_and_indicators_to_their_column() {
        let ds = read_csv(CSV.as_bytes(), &ReadOptions::default()).expect("csv");
        let train: Vec<usize> = (0..60).collect();
        let options = PrepOptions::new().missing_indicator(true);
        let prep =
            FittedPreprocessor::fit_with(&ds, &train, &["churn".into()], &options).expect("fit");
        assert_eq!(
            prep.feature_names,
            [
                "tenure",
                "charges",
                "Contract=Month-to-month",
                "Contract=One year",
                "Contract=Two year",
                "charges is missing",
                "Contract is missing"
            ]
        );
        assert_eq!(
            feature_columns(&prep),
            ["tenure", "charges", "Contract", "Contract", "Contract", "charges", "Contract"]
        );
    }

    /// 600 customers with a text column of 120 levels (every level kept, so 120 one-hot
    /// features of which one is set a row: the logistic regression and the network get
    /// sparse features), seeded; the pipeline of `model` fitted on the first 450.
    fn wide_fitted(model: ModelKind) -> (Dataset, FittedPipeline, Vec<usize>) {
        let mut rng = Rng::new(5);
        let mut text = String::from("city,spend,plan,churn\n");
        for _ in 0..600 {
            let city = rng.below(120);
            let spend = rng.normal();
            let plan = ["a", "b", "c"][rng.below(3)];
            let churn =
                u8::from(spend + f64::from(u8::from(city.is_multiple_of(5))) + rng.normal() > 0.5);
            text.push_str(&format!("c{city},{spend:.3},{plan},{churn}\n"));
        }
        let mut ds = read_csv(text.as_bytes(), &ReadOptions::default()).expect("csv");
        for c in ds.columns.iter_mut().filter(|c| c.name == "city") {
            c.kind = crate::dataset::ColumnKind::Categorical;
        }
        let target = target_for(&ds, "churn", Some("1")).expect("target");
        let mut config = TrainConfig::new(target);
        config.model = model;
        config.prep = PrepOptions::default().rare_levels(1.0);
        let train: Vec<usize> = (0..450).collect();
        let p = FittedPipeline::fit(&ds, &train, &config, |_| true).expect("fit");
        (ds, p, (450..600).collect())
    }

    /// The reasons of sparse features: the logistic regression's are each weight times
    /// its value summed per column as over the dense matrix, to the bit; the network's add
    /// up to its log-odds.
    #[test]
    fn sparse_features_give_the_dense_reasons() {
        let (ds, p, rows) = wide_fitted(ModelKind::Logistic);
        assert!(matches!(
            p.features(&ds, &rows).expect("features"),
            Features::Sparse(_)
        ));
        let c = contributions(&p, &ds, &rows).expect("ok").expect("linear");
        let FittedModel::Logistic(m) = &p.model else {
            panic!("a logistic regression");
        };
        let x = p.preprocessor.transform(&ds, &rows).expect("dense");
        let owner = feature_owners(&p.preprocessor, &c.columns);
        for (i, got) in c.values.iter().enumerate() {
            let mut v = vec![0.0; c.columns.len()];
            for (j, &value) in x.row(i).iter().enumerate() {
                v[owner[j]] += m.coefficients[j] * (value - 0.0);
            }
            let bits = |v: &[f64]| v.iter().map(|a| a.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(got), bits(&v), "row {i}");
        }
        let (ds, p, rows) = wide_fitted(ModelKind::Mlp);
        assert!(matches!(
            p.features(&ds, &rows).expect("features"),
            Features::Sparse(_)
        ));
        let c = contributions(&p, &ds, &rows).expect("ok").expect("network");
        let z = model_log_odds(&p, &ds, &rows);
        for (i, zi) in z.iter().enumerate() {
            let total = c.base[i] + c.values[i].iter().sum::<f64>();
            assert!((total - zi).abs() < 1e-10, "row {i}: {total} vs {zi}");
        }
    }

    #[test]
    fn network_contributions_add_up_and_are_approximate() {
        let (ds, p, rows, _) = fitted(ModelKind::Mlp);
        let c = contributions(&p, &ds, &rows).expect("ok").expect("network");
        assert!(!c.exact);
        assert_eq!(c.columns, ["tenure", "charges", "Contract"]);
        let z = model_log_odds(&p, &ds, &rows);
        for (i, zi) in z.iter().enumerate() {
            let total = c.base[i] + c.values[i].iter().sum::<f64>();
            assert!((total - zi).abs() < 1e-10, "row {i}: {total} vs {zi}");
        }
        // Row 70's charges are missing, so filled with the median: the reference itself.
        assert_eq!(c.values[10][1], 0.0);
    }

    #[test]
    fn tree_contributions_are_tree_shap_summed_per_column() {
        // Boosted trees: TreeSHAP values add up to the log-odds (local accuracy, exact).
        let (ds, p, rows, _) = fitted(ModelKind::Gbdt);
        let c = contributions(&p, &ds, &rows).expect("ok").expect("trees");
        assert!(c.exact);
        assert_eq!(c.unit, ContributionUnit::LogOdds);
        assert_eq!(c.columns, ["tenure", "charges", "Contract"]);
        let z = model_log_odds(&p, &ds, &rows);
        for (i, zi) in z.iter().enumerate() {
            let total = c.base[i] + c.values[i].iter().sum::<f64>();
            assert!((total - zi).abs() < 1e-9, "row {i}: {total} vs {zi}");
        }
        // The forest's trees average probabilities, so its values add up to the probability.
        let (ds, p, rows, _) = fitted(ModelKind::Forest);
        let c = contributions(&p, &ds, &rows).expect("ok").expect("trees");
        assert_eq!(c.unit, ContributionUnit::Probability);
        let probabilities = p.predict_proba(&ds, &rows).expect("predict");
        for (i, pi) in probabilities.iter().enumerate() {
            let total = c.base[i] + c.values[i].iter().sum::<f64>();
            assert!((total - pi).abs() < 1e-9, "row {i}: {total} vs {pi}");
        }
    }

    #[test]
    fn top_reasons_ranks_customers_and_splits_by_sign() {
        let ds = read_csv(CSV.as_bytes(), &ReadOptions::default()).expect("csv");
        let c = Contributions {
            columns: ["tenure", "charges", "Contract"].map(String::from).to_vec(),
            base: vec![0.0; 3],
            values: vec![
                vec![0.5, -0.2, 0.1],
                vec![-1.0, 0.3, 0.0],
                vec![0.2, 0.4, -0.6],
            ],
            exact: true,
            unit: ContributionUnit::LogOdds,
        };
        let rows = [60, 70, 71];
        let probabilities = [0.3, 0.9, 0.6];
        let top = top_reasons(&c, &ds, &rows, &probabilities, 2, 2);
        assert_eq!(top.len(), 2);
        assert_eq!((top[0].row, top[0].probability), (70, 0.9));
        // Row 70: |-1.0| and |0.3| are the two largest; charges is missing there.
        let reason = |column: &str, value: &str, contribution: f64| Reason {
            column: column.into(),
            value: value.into(),
            contribution,
        };
        assert_eq!(top[0].up, [reason("charges", "missing", 0.3)]);
        assert_eq!(top[0].down, [reason("tenure", "12", -1.0)]);
        // Row 71 (probability 0.6): charges 0.4 and tenure 0.2 up, Contract -0.6 down (its
        // Contract is missing).
        assert_eq!(top[1].row, 71);
        assert_eq!(
            top[1].up,
            [reason("charges", "84.73", 0.4), reason("tenure", "9", 0.2)]
        );
        assert_eq!(top[1].down, [reason("Contract", "missing", -0.6)]);
        let all = top_reasons(&c, &ds, &rows, &probabilities, 5, 3);
        assert_eq!(all.len(), 3);
        assert_eq!(all[2].row, 60);
        assert_eq!(
            all[2].up,
            [
                reason("tenure", "57", 0.5),
                reason("Contract", "One year", 0.1)
            ]
        );
        assert_eq!(all[2].down, [reason("charges", "97.13", -0.2)]);
        // A zero contribution is neither up nor down.
        assert!(all[0]
            .up
            .iter()
            .chain(&all[0].down)
            .all(|r| r.column != "Contract"));
    }
}
