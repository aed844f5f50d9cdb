//! Turning table columns into a numeric feature matrix, fitted on training rows only.
//!
//! The recipe is scikit-learn's `ColumnTransformer` of the reference protocol
//! (../shared/bench/baseline.py, pipeline `a_seed_lr_liblinear`):
//! numeric columns `SimpleImputer(strategy="median")` then `StandardScaler()`; categorical
//! columns `SimpleImputer(strategy="most_frequent")` then `OneHotEncoder(handle_unknown="ignore")`.
//! Identifier columns and the target never become features. Every statistic is computed on
//! the training rows and stored in [`FittedPreprocessor`], a plain serde value, so test rows,
//! another file or a later export are transformed with exactly the same numbers.
//!
//! [`PrepOptions`] varies the recipe the way scikit-learn's parameters do, its default being
//! the recipe above:
//! - imputation: `SimpleImputer(strategy="mean")` or `strategy="constant"` for numbers,
//!   `strategy="constant", fill_value="missing"` for categories (the constant is a level of
//!   its own);
//! - `SimpleImputer(add_indicator=True)`: a 0/1 feature `"{column} is missing"` for every
//!   column with a missing value in the training rows, placed after all other features and,
//!   for numbers, standardised like `Pipeline([SimpleImputer(add_indicator=True),
//!   StandardScaler()])` does;
//! - `OneHotEncoder(min_frequency=m, handle_unknown="infrequent_if_exist")`: levels seen fewer
//!   than `m` times (or in less than the fraction `m` of training rows) share the feature
//!   `"{column}=infrequent"`, last among the column's features, which also takes unseen levels;
//! - `PCA(n_components=k)` after everything: with `X` the `n x d` training features and `m`
//!   their column means, the components are the top `k` eigenvectors of the covariance
//!   `C = (X - m)ᵀ(X - m) / (n - 1)`, found by the cyclic Jacobi method (Golub & Van Loan,
//!   *Matrix Computations*, 4th ed., §8.5), each signed so that its entry largest in absolute
//!   value is positive (scikit-learn's `svd_flip(u_based_decision=False)`); a row `x` becomes
//!   `components · (x - m)`, features `PC1..PCk`.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

pub use crate::matrix::Matrix;

use crate::matrix::{from_row_major, Features, MatrixExt, SparseRows};

use crate::dataset::{
    format_number, group_thousands, ColumnData, ColumnKind, Dataset, MISSING_CODE,
};
use crate::reading::ingest::parse_number;

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
    #[error("PCA with {requested} components: choose between 1 and {max} (the number of features, or of training rows if fewer)")]
    PcaComponents { requested: usize, max: usize },
    #[error("a minimum frequency of {0} for rare levels: it must be a count of 1 or more or a fraction in (0, 1)")]
    MinFrequency(f64),
    #[error("the fill value {0} for missing numbers is not a finite number")]
    FillValue(f64),
}

pub type Result<T> = std::result::Result<T, PrepError>;

/// How one source column becomes features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FeatureBlock {
    /// One standardised feature: `(x or fill - mean) / scale`, where the fill is the training
    /// median unless `fill` gives another value (mean or constant imputation).
    Numeric {
        column: String,
        median: f64,
        mean: f64,
        scale: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fill: Option<f64>,
    },
    /// One 0/1 feature per training level, then one shared by the `infrequent` levels if there
    /// are any. A missing cell counts as `fill`; an unseen level (or a constant fill absent
    /// from the training rows) sets the infrequent feature if there is one, else nothing.
    OneHot {
        column: String,
        levels: Vec<String>,
        fill: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        infrequent: Vec<String>,
    },
    /// For trees: the number as it is, a missing cell as NaN (trees route missing values
    /// themselves).
    Raw { column: String },
    /// For trees: a category as its index among the sorted training levels, the `infrequent`
    /// levels sharing the code after the last (scikit-learn's `OrdinalEncoder(min_frequency=..)`);
    /// a missing cell or a level unseen in training is NaN.
    Ordinal {
        column: String,
        levels: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        infrequent: Vec<String>,
    },
    /// Whether the cell is missing, as `(1 or 0 - mean) / scale` (`mean` 0 and `scale` 1 leave
    /// it a plain 0/1).
    MissingIndicator {
        column: String,
        mean: f64,
        scale: f64,
    },
}

impl FeatureBlock {
    /// The source column.
    pub fn column(&self) -> &str {
        match self {
            FeatureBlock::Numeric { column, .. }
            | FeatureBlock::OneHot { column, .. }
            | FeatureBlock::Raw { column }
            | FeatureBlock::Ordinal { column, .. }
            | FeatureBlock::MissingIndicator { column, .. } => column,
        }
    }

    /// Number of features the block produces.
    pub fn width(&self) -> usize {
        match self {
            FeatureBlock::OneHot {
                levels, infrequent, ..
            } => levels.len() + usize::from(!infrequent.is_empty()),
            FeatureBlock::Numeric { .. }
            | FeatureBlock::Raw { .. }
            | FeatureBlock::Ordinal { .. }
            | FeatureBlock::MissingIndicator { .. } => 1,
        }
    }

    /// The block's source column in `ds`, resolved once for a whole transform.
    fn source<'a>(&self, ds: &'a Dataset) -> Result<Source<'a>> {
        Ok(match self {
            FeatureBlock::Numeric { column, .. } | FeatureBlock::Raw { column } => {
                Source::Numbers(NumberSource::of(ds, column)?)
            }
            FeatureBlock::OneHot {
                column,
                levels,
                infrequent,
                ..
            }
            | FeatureBlock::Ordinal {
                column,
                levels,
                infrequent,
            } => Source::Codes(CodeSource::of(ds, column, level_index(levels, infrequent))?),
            FeatureBlock::MissingIndicator { column, .. } => Source::Missing(
                &ds.column(column)
                    .ok_or_else(|| PrepError::MissingColumn(column.to_string()))?
                    .data,
            ),
        })
    }

    /// Writes this block's features of `rows`, read through `source` (this block's
    /// [`Self::source`]): `put(i, j, v)` sets the block's feature `j` of the `i`-th row to
    /// `v` (features left unset stay 0).
    fn write(
        &self,
        source: &Source<'_>,
        rows: &[usize],
        mut put: impl FnMut(usize, usize, f64),
    ) -> Result<()> {
        match (self, source) {
            (
                FeatureBlock::Numeric {
                    column,
                    median,
                    mean,
                    scale,
                    fill,
                },
                Source::Numbers(cells),
            ) => {
                let fill = fill.unwrap_or(*median);
                for (i, &r) in rows.iter().enumerate() {
                    let x = cells.number(column, r)?;
                    let x = if x.is_nan() { fill } else { x };
                    put(i, 0, (x - mean) / scale);
                }
            }
            (
                FeatureBlock::OneHot {
                    levels,
                    fill,
                    infrequent,
                    ..
                },
                Source::Codes(cells),
            ) => {
                // handle_unknown="infrequent_if_exist": unseen text goes to the
                // infrequent feature if there is one, else sets nothing ("ignore").
                let unknown = (!infrequent.is_empty()).then_some(levels.len());
                // A constant fill that filled no training cell is unseen text too.
                let fill_index = cells.index_of(fill).or(unknown);
                for (i, &r) in rows.iter().enumerate() {
                    let level = match cells.code(r) {
                        Some(None) => fill_index,
                        Some(Some(j)) => Some(j),
                        None => unknown,
                    };
                    if let Some(j) = level {
                        put(i, j, 1.0);
                    }
                }
            }
            (FeatureBlock::Raw { column }, Source::Numbers(cells)) => {
                for (i, &r) in rows.iter().enumerate() {
                    put(i, 0, cells.number(column, r)?);
                }
            }
            (FeatureBlock::Ordinal { .. }, Source::Codes(cells)) => {
                for (i, &r) in rows.iter().enumerate() {
                    let code = match cells.code(r) {
                        Some(Some(j)) => j as f64,
                        _ => f64::NAN,
                    };
                    put(i, 0, code);
                }
            }
            (FeatureBlock::MissingIndicator { mean, scale, .. }, Source::Missing(data)) => {
                for (i, &r) in rows.iter().enumerate() {
                    let gone = match data {
                        ColumnData::Numeric(v) => v[r].is_nan(),
                        ColumnData::Categorical { codes, .. } => codes[r] == MISSING_CODE,
                    };
                    put(i, 0, (f64::from(u8::from(gone)) - mean) / scale);
                }
            }
            _ => return Err(PrepError::BadPipeline(format!("column {}", self.column()))),
        }
        Ok(())
    }

    /// Names of the block's features.
    fn feature_names(&self) -> Vec<String> {
        match self {
            FeatureBlock::Numeric { column, .. }
            | FeatureBlock::Raw { column }
            | FeatureBlock::Ordinal { column, .. } => vec![column.clone()],
            FeatureBlock::MissingIndicator { column, .. } => vec![format!("{column} is missing")],
            FeatureBlock::OneHot {
                column,
                levels,
                infrequent,
                ..
            } => levels
                .iter()
                .map(|l| format!("{column}={l}"))
                .chain((!infrequent.is_empty()).then(|| format!("{column}=infrequent")))
                .collect(),
        }
    }
}

/// Why a column is not a feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DroppedColumn {
    pub column: String,
    pub reason: String,
}

/// How missing numbers are filled (scikit-learn's `SimpleImputer` strategies).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumericImpute {
    /// The median of the training values (`strategy="median"`).
    #[default]
    Median,
    /// The mean of the training values (`strategy="mean"`).
    Mean,
    /// A fixed number (`strategy="constant", fill_value=..`).
    Constant(f64),
}

/// How missing categories are filled (scikit-learn's `SimpleImputer` strategies).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoricalImpute {
    /// The most frequent training level, ties to the smallest text
    /// (`strategy="most_frequent"`).
    #[default]
    MostFrequent,
    /// A fixed text, which becomes a level of its own when the training rows have a missing
    /// cell (`strategy="constant", fill_value=..`).
    Constant(String),
}

/// Grouping of rare levels (scikit-learn's `OneHotEncoder(min_frequency=..)`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RareLevels {
    /// A level is rare when seen fewer times than this, if 1 or more; if in (0, 1), when seen
    /// in less than this fraction of the training rows.
    pub min_frequency: f64,
}

/// Options of the fitted preprocessing. The default is the reference recipe described in the
/// module documentation, and gives exactly what [`FittedPreprocessor::fit`] gives.
///
/// For trees ([`FittedPreprocessor::fit_for_trees_with`]) only `rare_levels` applies: trees
/// route missing values themselves, so they get no imputation and no missing indicators, and
/// no PCA.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PrepOptions {
    /// Filling missing numbers; default [`NumericImpute::Median`].
    pub numeric_impute: NumericImpute,
    /// Filling missing categories; default [`CategoricalImpute::MostFrequent`].
    pub categorical_impute: CategoricalImpute,
    /// Add a `"{column} is missing"` feature for every column with a missing value in the
    /// training rows (categorical columns only when filled with the most frequent level, as a
    /// constant fill is already a level of its own); default `false`.
    pub missing_indicator: bool,
    /// Group rare levels into one feature; default `None` (every level is its own feature).
    pub rare_levels: Option<RareLevels>,
    /// Project the features on this many principal components; default `None`.
    pub pca: Option<usize>,
}

impl PrepOptions {
    pub fn new() -> Self {
        Self::default()
    }

    /// Filling missing numbers; default [`NumericImpute::Median`].
    pub fn numeric_impute(mut self, impute: NumericImpute) -> Self {
        self.numeric_impute = impute;
        self
    }

    /// Filling missing categories; default [`CategoricalImpute::MostFrequent`].
    pub fn categorical_impute(mut self, impute: CategoricalImpute) -> Self {
        self.categorical_impute = impute;
        self
    }

    /// Missing indicators; default `false`.
    pub fn missing_indicator(mut self, on: bool) -> Self {
        self.missing_indicator = on;
        self
    }

    /// Rare-level grouping by `min_frequency` (a count if 1 or more, else a fraction of the
    /// training rows); default off.
    pub fn rare_levels(mut self, min_frequency: f64) -> Self {
        self.rare_levels = Some(RareLevels { min_frequency });
        self
    }

    /// Number of principal components to keep; default no PCA.
    pub fn pca(mut self, components: usize) -> Self {
        self.pca = Some(components);
        self
    }

    /// Rejects a non-finite numeric fill and a minimum frequency that is not positive. The
    /// number of PCA components is checked by the fit, against the features it finds.
    pub fn check(&self) -> Result<()> {
        if let NumericImpute::Constant(c) = self.numeric_impute {
            if !c.is_finite() {
                return Err(PrepError::FillValue(c));
            }
        }
        if let Some(RareLevels { min_frequency }) = self.rare_levels {
            if !(min_frequency > 0.0 && min_frequency.is_finite()) {
                return Err(PrepError::MinFrequency(min_frequency));
            }
        }
        Ok(())
    }

    /// The notice for a column of `total` levels whose `grouped` rare levels the default
    /// rule for wide columns grouped, if it did.
    fn wide_notice(&self, column: &str, total: usize, grouped: usize) -> Option<String> {
        (self.rare_levels.is_none() && total > WIDE_COLUMN_LEVELS && grouped > 0).then(|| {
            format!(
                "'{column}' has {} levels: the {} seen fewer than {WIDE_COLUMN_MIN_COUNT} \
                 times in the training rows are grouped as '{column}=infrequent' (set \
                 --rare-levels to choose another rule)",
                crate::dataset::group_thousands(total),
                crate::dataset::group_thousands(grouped)
            )
        })
    }

    /// Whether a level seen `count` times in `n_rows` training rows is rare.
    fn is_rare(&self, count: usize, n_rows: usize) -> bool {
        match self.rare_levels {
            None => false,
            Some(RareLevels { min_frequency }) if min_frequency >= 1.0 => {
                (count as f64) < min_frequency
            }
            Some(RareLevels { min_frequency }) => (count as f64) < min_frequency * n_rows as f64,
        }
    }

    /// The sorted levels, counted over `n_rows` training rows, split into (frequent, rare).
    /// Without a rare-level rule, a column of more than [`WIDE_COLUMN_LEVELS`] levels still
    /// groups the levels seen fewer than [`WIDE_COLUMN_MIN_COUNT`] times, as a careful
    /// analyst would.
    fn split_rare(
        &self,
        counts: BTreeMap<String, usize>,
        n_rows: usize,
    ) -> (Vec<String>, Vec<String>) {
        let wide = self.rare_levels.is_none() && counts.len() > WIDE_COLUMN_LEVELS;
        let (mut frequent, mut rare) = (Vec::new(), Vec::new());
        for (level, count) in counts {
            if self.is_rare(count, n_rows) || (wide && count < WIDE_COLUMN_MIN_COUNT) {
                rare.push(level);
            } else {
                frequent.push(level);
            }
        }
        (frequent, rare)
    }
}

/// A categorical column with more levels than this groups its rare levels by default (see
/// [`PrepOptions::split_rare`]); an explicit `rare_levels` rule replaces the default.
pub const WIDE_COLUMN_LEVELS: usize = 100;
/// Fewest training rows a level of a wide column needs to keep a feature of its own.
pub const WIDE_COLUMN_MIN_COUNT: usize = 10;

/// Most one-hot features of their own a categorical column gets. A column with more
/// distinct training levels keeps its `MAX_LEVELS` most frequent (ties to the smallest text)
/// and groups the rest with the infrequent levels, in the shared `"{column}=infrequent"`
/// feature: thousands of one-customer levels teach a model nothing and would make the
/// feature matrix (rows x features) too big for a browser tab.
pub const MAX_LEVELS: usize = 1000;

/// Moves all but the [`MAX_LEVELS`] most frequent of `frequent` to `rare` (both stay sorted),
/// and returns a notice for the user when it moved any; `counts` holds every level's count.
fn cap_levels(
    column: &str,
    frequent: &mut Vec<String>,
    rare: &mut Vec<String>,
    counts: &BTreeMap<String, usize>,
) -> Option<String> {
    if frequent.len() <= MAX_LEVELS {
        return None;
    }
    let count = |l: &String| counts.get(l).copied().unwrap_or(0);
    let mut by_count = std::mem::take(frequent);
    by_count.sort_by(|a, b| count(b).cmp(&count(a)).then_with(|| a.cmp(b)));
    rare.extend(by_count.drain(MAX_LEVELS..));
    by_count.sort_unstable();
    rare.sort_unstable();
    *frequent = by_count;
    Some(format!(
        "column '{column}' has {} levels; the {} rarest are grouped as one 'other' level (the feature '{column}=infrequent')",
        group_thousands(frequent.len() + rare.len()),
        group_thousands(rare.len())
    ))
}

/// A fitted principal component projection (scikit-learn's `PCA`, without whitening).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPca {
    /// Names of the `d` features projected.
    pub inputs: Vec<String>,
    /// Training mean of each input feature (`mean_`).
    pub mean: Vec<f64>,
    /// `k x d`, one unit component per row, by decreasing variance (`components_`).
    #[serde(with = "crate::matrix::row_major_json")]
    pub components: Matrix,
    /// Variance along each component, with `n - 1` degrees of freedom (`explained_variance_`).
    pub explained_variance: Vec<f64>,
    /// Share of the total variance along each component (`explained_variance_ratio_`).
    pub explained_variance_ratio: Vec<f64>,
}

impl FittedPca {
    /// Fits `k` components on the rows of `x` (`1 <= k <= min(rows, cols)` is the caller's).
    fn fit(x: &Matrix, k: usize, inputs: Vec<String>) -> Self {
        let x = x.row_major();
        let (n, d) = (x.rows, x.cols);
        let mut mean = vec![0.0; d];
        for i in 0..n {
            for (m, v) in mean.iter_mut().zip(x.row(i)) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut cov = vec![0.0; d * d];
        let mut centred = vec![0.0; d];
        for i in 0..n {
            for ((c, v), m) in centred.iter_mut().zip(x.row(i)).zip(&mean) {
                *c = v - m;
            }
            for a in 0..d {
                for b in a..d {
                    cov[a * d + b] += centred[a] * centred[b];
                }
            }
        }
        let dof = n.saturating_sub(1).max(1) as f64;
        for a in 0..d {
            for b in a..d {
                cov[a * d + b] /= dof;
                cov[b * d + a] = cov[a * d + b];
            }
        }
        let (values, vectors) = symmetric_eigen(cov, d);
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
        // Rounding can leave the smallest eigenvalues slightly negative, which PCA clips.
        let variance = |j: usize| values[j].max(0.0);
        let total: f64 = (0..d).map(variance).sum();
        let mut components = vec![0.0; k * d];
        let mut explained_variance = Vec::with_capacity(k);
        let mut explained_variance_ratio = Vec::with_capacity(k);
        for (c, &j) in order.iter().take(k).enumerate() {
            let row = &mut components[c * d..(c + 1) * d];
            for (a, r) in row.iter_mut().enumerate() {
                *r = vectors[a * d + j];
            }
            // svd_flip(u_based_decision=False): the first entry largest in absolute value
            // (numpy's argmax) is made positive.
            let largest = row
                .iter()
                .enumerate()
                .fold((0, 0.0f64), |best, (a, v)| {
                    if v.abs() > best.1 {
                        (a, v.abs())
                    } else {
                        best
                    }
                })
                .0;
            if row[largest] < 0.0 {
                row.iter_mut().for_each(|r| *r = -*r);
            }
            explained_variance.push(variance(j));
            explained_variance_ratio.push(if total > 0.0 {
                variance(j) / total
            } else {
                0.0
            });
        }
        FittedPca {
            inputs,
            mean,
            components: from_row_major(k, d, components),
            explained_variance,
            explained_variance_ratio,
        }
    }

    /// The `k` coordinates of each row of `x`.
    fn project(&self, x: &Matrix) -> Result<Matrix> {
        let x = x.row_major();
        let components = self.components.row_major();
        let (k, d) = (components.rows, components.cols);
        if x.cols != d || self.mean.len() != d {
            return Err(PrepError::BadPipeline(format!(
                "PCA of {d} features with {} means applied to {} features",
                self.mean.len(),
                x.cols
            )));
        }
        let mut out = vec![0.0; x.rows * k];
        let mut centred = vec![0.0; d];
        for i in 0..x.rows {
            for ((c, v), m) in centred.iter_mut().zip(x.row(i)).zip(&self.mean) {
                *c = v - m;
            }
            for c in 0..k {
                out[i * k + c] = components
                    .row(c)
                    .iter()
                    .zip(&centred)
                    .map(|(a, b)| a * b)
                    .sum();
            }
        }
        Ok(from_row_major(x.rows, k, out))
    }
}

/// Eigenvalues and eigenvectors (the columns of the returned row-major `d x d` matrix) of the
/// symmetric row-major matrix `a`, by cyclic Jacobi rotations (Golub & Van Loan, §8.5.2-3):
/// each rotation zeroes one off-diagonal pair, and sweeps repeat until the off-diagonal part
/// is negligible against the whole.
fn symmetric_eigen(mut a: Vec<f64>, d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0; d * d];
    for i in 0..d {
        v[i * d + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|p| (p + 1..d).map(move |q| (p, q)))
            .map(|(p, q)| a[p * d + q] * a[p * d + q])
            .sum();
        let diagonal: f64 = (0..d).map(|p| a[p * d + p] * a[p * d + p]).sum();
        if off <= 1e-32 * (diagonal + off) || off == 0.0 {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = a[p * d + q];
                if apq == 0.0 {
                    continue;
                }
                let tau = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                let t = if tau >= 0.0 {
                    1.0 / (tau + (1.0 + tau * tau).sqrt())
                } else {
                    -1.0 / (-tau + (1.0 + tau * tau).sqrt())
                };
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = t * c;
                // A <- Jᵀ A J and V <- V J, with J the rotation in the (p, q) plane.
                for k in 0..d {
                    let (kp, kq) = (a[k * d + p], a[k * d + q]);
                    a[k * d + p] = c * kp - s * kq;
                    a[k * d + q] = s * kp + c * kq;
                }
                for k in 0..d {
                    let (pk, qk) = (a[p * d + k], a[q * d + k]);
                    a[p * d + k] = c * pk - s * qk;
                    a[q * d + k] = s * pk + c * qk;
                }
                for k in 0..d {
                    let (kp, kq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * kp - s * kq;
                    v[k * d + q] = s * kp + c * kq;
                }
            }
        }
    }
    ((0..d).map(|p| a[p * d + p]).collect(), v)
}

/// The fitted preprocessing step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPreprocessor {
    pub blocks: Vec<FeatureBlock>,
    /// Names of the features [`Self::transform`] produces (`PC1..PCk` with PCA).
    pub feature_names: Vec<String>,
    pub dropped: Vec<DroppedColumn>,
    /// The projection applied after the blocks, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pca: Option<FittedPca>,
    /// What the fit changed that the user should know, e.g. levels grouped beyond
    /// [`MAX_LEVELS`]; for the page and the command line to show.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
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
        (ColumnKind::Text, _) => Role::Dropped("free or near-unique text"),
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
        ColumnData::Categorical { .. } => {
            let cells = NumberSource::of(ds, column)?;
            rows.iter().map(|&r| cells.number(column, r)).collect()
        }
    }
}

/// A column read as numbers: a numeric column as it is, a text column with each level
/// parsed once (so a transform does not parse every cell).
enum NumberSource<'a> {
    Numbers(&'a [f64]),
    Parsed {
        codes: &'a [u32],
        levels: &'a [String],
        /// Each level as a number, `None` when it is not one.
        numbers: Vec<Option<f64>>,
    },
}

impl<'a> NumberSource<'a> {
    fn of(ds: &'a Dataset, column: &str) -> Result<Self> {
        let col = ds
            .column(column)
            .ok_or_else(|| PrepError::MissingColumn(column.to_string()))?;
        Ok(match &col.data {
            ColumnData::Numeric(v) => NumberSource::Numbers(v),
            ColumnData::Categorical { levels, codes } => NumberSource::Parsed {
                codes,
                levels,
                numbers: levels.iter().map(|l| parse_number(l)).collect(),
            },
        })
    }

    /// The number in row `r` (NaN when missing), or an error naming a cell that is text.
    fn number(&self, column: &str, r: usize) -> Result<f64> {
        match self {
            NumberSource::Numbers(v) => Ok(v[r]),
            NumberSource::Parsed {
                codes,
                levels,
                numbers,
            } => match codes[r] {
                MISSING_CODE => Ok(f64::NAN),
                c => numbers[c as usize].ok_or_else(|| PrepError::NotNumeric {
                    column: column.to_string(),
                    row: r + 1,
                    value: levels[c as usize].clone(),
                }),
            },
        }
    }
}

/// A column read as fitted levels: a text column with each of its levels looked up once, a
/// numeric column (another file may store the levels as numbers) with each cell formatted
/// and looked up.
enum CodeSource<'a> {
    Levels {
        codes: &'a [u32],
        /// Each level's index in the fitted dictionary, `None` when unseen.
        indices: Vec<Option<usize>>,
        dictionary: HashMap<String, usize>,
    },
    Numbers {
        values: &'a [f64],
        dictionary: HashMap<String, usize>,
    },
}

impl<'a> CodeSource<'a> {
    fn of(ds: &'a Dataset, column: &str, dictionary: HashMap<String, usize>) -> Result<Self> {
        let col = ds
            .column(column)
            .ok_or_else(|| PrepError::MissingColumn(column.to_string()))?;
        Ok(match &col.data {
            ColumnData::Categorical { levels, codes } => CodeSource::Levels {
                codes,
                indices: levels.iter().map(|l| dictionary.get(l).copied()).collect(),
                dictionary,
            },
            ColumnData::Numeric(values) => CodeSource::Numbers { values, dictionary },
        })
    }

    /// The fitted index of `text`, if it is a fitted level.
    fn index_of(&self, text: &str) -> Option<usize> {
        match self {
            CodeSource::Levels { dictionary, .. } | CodeSource::Numbers { dictionary, .. } => {
                dictionary.get(text).copied()
            }
        }
    }

    /// Row `r`'s level index: `Some(None)` when missing, `None` when unseen in training.
    fn code(&self, r: usize) -> Option<Option<usize>> {
        match self {
            CodeSource::Levels { codes, indices, .. } => match codes[r] {
                MISSING_CODE => Some(None),
                c => indices[c as usize].map(Some),
            },
            CodeSource::Numbers { values, dictionary } => {
                if values[r].is_nan() {
                    Some(None)
                } else {
                    dictionary.get(&format_number(values[r])).copied().map(Some)
                }
            }
        }
    }
}

/// Rows a chunk of [`FittedPreprocessor::transform_features`] gathers before putting its
/// cells in row order.
const SPARSE_CHUNK_ROWS: usize = 4096;
/// The size of the row chunks a transform writes block by block.
const TRANSFORM_CHUNK_BYTES: usize = 256 * 1024;

/// A block's source column, resolved once for a whole transform.
enum Source<'a> {
    Numbers(NumberSource<'a>),
    Codes(CodeSource<'a>),
    Missing(&'a ColumnData),
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

/// StandardScaler's statistics of a column: the population mean and standard deviation, a
/// constant column being left unscaled rather than divided by 0.
///
/// Numbers near the largest `f64` (1e300 and up) overflow the sum of squares, or even the
/// sum, to infinity, which would scale every value to 0 or NaN. Only then are the statistics
/// computed on the values divided by the largest magnitude and multiplied back: the same
/// numbers up to rounding, while ordinary columns keep the exact arithmetic of before.
fn mean_and_scale(values: impl Iterator<Item = f64> + Clone, n: f64) -> (f64, f64) {
    let (mut mean, mut sd) = mean_and_sd(values.clone(), n);
    if !(mean.is_finite() && sd.is_finite()) {
        let largest = values.clone().fold(0.0f64, |m, x| m.max(x.abs()));
        if largest.is_finite() && largest > 0.0 {
            let (m, s) = mean_and_sd(values.map(|x| x / largest), n);
            (mean, sd) = (m * largest, s * largest);
        }
    }
    let scale = if sd > 1e-12 * mean.abs().max(1.0) {
        sd
    } else {
        1.0
    };
    (mean, scale)
}

/// The population mean and standard deviation of `n` values, in two passes.
fn mean_and_sd(values: impl Iterator<Item = f64> + Clone, n: f64) -> (f64, f64) {
    let mean = values.clone().sum::<f64>() / n;
    let var = values.map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// Text-to-feature index of sorted `levels`, the `infrequent` levels sharing the next index.
fn level_index(levels: &[String], infrequent: &[String]) -> HashMap<String, usize> {
    levels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.clone(), i))
        .chain(infrequent.iter().map(|l| (l.clone(), levels.len())))
        .collect()
}

/// The blocks of a preprocessor's fit, collected column by column on `rows` of `ds`.
struct ColumnFits<'a> {
    ds: &'a Dataset,
    rows: &'a [usize],
    /// Fitting for trees: raw numbers and category codes, no scaling or imputation.
    trees: bool,
    options: &'a PrepOptions,
    blocks: Vec<FeatureBlock>,
    /// Trees' category codes, placed after the numbers.
    category_blocks: Vec<FeatureBlock>,
    /// Missing indicators, placed after every other feature.
    indicators: Vec<FeatureBlock>,
    dropped: Vec<DroppedColumn>,
    notices: Vec<String>,
}

impl ColumnFits<'_> {
    /// Leaves `column` out for `reason`.
    fn drop(&mut self, column: &str, reason: &str) {
        self.dropped.push(DroppedColumn {
            column: column.to_string(),
            reason: reason.to_string(),
        });
    }

    /// A numeric column: raw for trees; else imputed (median, mean or a constant) and
    /// standardised, with a scaled missing indicator when asked and cells are missing.
    fn numeric(&mut self, column: &str) -> Result<()> {
        let values = numeric_cells(self.ds, column, self.rows)?;
        let mut present: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        let n_present = present.len();
        let present_mean = present.iter().sum::<f64>() / n_present as f64;
        let Some(median) = median_by_selection(&mut present) else {
            self.drop(column, "no values in the training rows");
            return Ok(());
        };
        if self.trees {
            self.blocks.push(FeatureBlock::Raw {
                column: column.to_string(),
            });
            return Ok(());
        }
        let fill = match self.options.numeric_impute {
            NumericImpute::Median => None,
            NumericImpute::Mean => Some(present_mean),
            NumericImpute::Constant(c) => Some(c),
        };
        let value = fill.unwrap_or(median);
        let filled = values.iter().map(|&x| if x.is_nan() { value } else { x });
        let (mean, scale) = mean_and_scale(filled, values.len() as f64);
        self.blocks.push(FeatureBlock::Numeric {
            column: column.to_string(),
            median,
            mean,
            scale,
            fill,
        });
        if self.options.missing_indicator && n_present < values.len() {
            // Scaled like the other numbers, as StandardScaler after
            // SimpleImputer(add_indicator=True) scales the indicator too.
            let missing = values.iter().map(|x| f64::from(u8::from(x.is_nan())));
            let (mean, scale) = mean_and_scale(missing, values.len() as f64);
            self.indicators.push(FeatureBlock::MissingIndicator {
                column: column.to_string(),
                mean,
                scale,
            });
        }
        Ok(())
    }

    /// A text column: level codes for trees; else imputed and one-hot encoded, rare levels
    /// grouped, with a 0/1 missing indicator when asked and the fill is the most frequent.
    fn categorical(&mut self, column: &str) -> Result<()> {
        let mut dict = HashMap::new();
        let codes = text_codes(self.ds, column, self.rows, &mut dict, true)?;
        let mut counts = vec![0usize; dict.len()];
        for code in codes.iter().flatten().flatten() {
            counts[*code] += 1;
        }
        let n_missing = codes.iter().filter(|c| matches!(c, Some(None))).count();
        let mut by_text: BTreeMap<String, usize> = dict
            .into_iter()
            .map(|(t, i)| (t, counts[i]))
            .filter(|&(_, n)| n > 0)
            .collect();
        // Most frequent level; ties go to the smallest text, as SimpleImputer does.
        let Some((most_frequent, _)) = by_text
            .iter()
            .max_by_key(|(t, &n)| (n, std::cmp::Reverse(*t)))
        else {
            self.drop(column, "no values in the training rows");
            return Ok(());
        };
        let most_frequent = most_frequent.clone();
        let n_rows = self.rows.len();
        if self.trees {
            // OrdinalEncoder counts levels before any imputation; a missing cell is never
            // rare, it stays NaN.
            let total = by_text.len();
            let (levels, infrequent) = self.options.split_rare(by_text, n_rows);
            self.notices
                .extend(self.options.wide_notice(column, total, infrequent.len()));
            self.category_blocks.push(FeatureBlock::Ordinal {
                column: column.to_string(),
                levels,
                infrequent,
            });
            return Ok(());
        }
        let fill = match &self.options.categorical_impute {
            CategoricalImpute::MostFrequent => most_frequent,
            CategoricalImpute::Constant(text) => text.clone(),
        };
        // OneHotEncoder's categories are the sorted distinct training values after
        // imputation (so a constant fill is a level once it fills a cell), and rarity is
        // judged on those counts.
        if n_missing > 0 {
            *by_text.entry(fill.clone()).or_insert(0) += n_missing;
        }
        // Only a column over the cap pays for a copy of its counts.
        let counts = (by_text.len() > MAX_LEVELS).then(|| by_text.clone());
        let total = by_text.len();
        let (mut levels, mut infrequent) = self.options.split_rare(by_text, n_rows);
        self.notices
            .extend(self.options.wide_notice(column, total, infrequent.len()));
        if let Some(counts) = &counts {
            let capped = cap_levels(column, &mut levels, &mut infrequent, counts);
            self.notices.extend(capped);
        }
        self.blocks.push(FeatureBlock::OneHot {
            column: column.to_string(),
            levels,
            fill,
            infrequent,
        });
        if self.options.missing_indicator
            && n_missing > 0
            && self.options.categorical_impute == CategoricalImpute::MostFrequent
        {
            // A plain 0/1, like the one-hot features beside it.
            self.indicators.push(FeatureBlock::MissingIndicator {
                column: column.to_string(),
                mean: 0.0,
                scale: 1.0,
            });
        }
        Ok(())
    }
}

impl FittedPreprocessor {
    /// Fits on `rows` of `ds`, using every column except those in `exclude` and identifiers.
    pub fn fit(ds: &Dataset, rows: &[usize], exclude: &[String]) -> Result<Self> {
        Self::fit_with(ds, rows, exclude, &PrepOptions::default())
    }

    /// [`Self::fit`] with the imputation, missing indicators, rare-level grouping and PCA
    /// of `options`.
    pub fn fit_with(
        ds: &Dataset,
        rows: &[usize],
        exclude: &[String],
        options: &PrepOptions,
    ) -> Result<Self> {
        Self::fit_as(ds, rows, exclude, false, options)
    }

    /// Fits the preprocessing trees want (scikit-learn's passthrough + `OrdinalEncoder` of
    /// the reference protocol): numbers as they are, categories as level indices, missing
    /// values left missing. The same columns are used and dropped as by [`Self::fit`].
    pub fn fit_for_trees(ds: &Dataset, rows: &[usize], exclude: &[String]) -> Result<Self> {
        Self::fit_for_trees_with(ds, rows, exclude, &PrepOptions::default())
    }

    /// [`Self::fit_for_trees`] with the rare-level grouping of `options` (rare levels share
    /// one code; unseen levels stay NaN, as with `OrdinalEncoder(min_frequency=..,
    /// handle_unknown="use_encoded_value", unknown_value=nan)`). Imputation, missing
    /// indicators and PCA do not apply to trees, which see missing values as NaN, and are
    /// ignored.
    pub fn fit_for_trees_with(
        ds: &Dataset,
        rows: &[usize],
        exclude: &[String],
        options: &PrepOptions,
    ) -> Result<Self> {
        Self::fit_as(ds, rows, exclude, true, options)
    }

    fn fit_as(
        ds: &Dataset,
        rows: &[usize],
        exclude: &[String],
        trees: bool,
        options: &PrepOptions,
    ) -> Result<Self> {
        options.check()?;
        if rows.is_empty() {
            return Err(PrepError::NoRows);
        }
        let n_rows = rows.len();
        let mut fit = ColumnFits {
            ds,
            rows,
            trees,
            options,
            blocks: Vec::new(),
            category_blocks: Vec::new(),
            indicators: Vec::new(),
            dropped: Vec::new(),
            notices: Vec::new(),
        };
        for col in &ds.columns {
            if exclude.contains(&col.name) {
                continue;
            }
            match role(col.kind, &col.data) {
                Role::Dropped(reason) => fit.drop(&col.name, reason),
                Role::Numeric => fit.numeric(&col.name)?,
                Role::Categorical => fit.categorical(&col.name)?,
            }
        }
        let ColumnFits {
            mut blocks,
            category_blocks,
            indicators,
            dropped,
            notices,
            ..
        } = fit;
        // Trees: numbers first, then categories, the reference's ColumnTransformer order
        // (which decides between splits of equal gain, e.g. a plan flag and its count).
        blocks.extend(category_blocks);
        // Indicators after every other feature, as SimpleImputer(add_indicator=True) appends.
        blocks.extend(indicators);
        if blocks.is_empty() {
            return Err(PrepError::NoFeatures);
        }
        let feature_names: Vec<String> = blocks
            .iter()
            .flat_map(FeatureBlock::feature_names)
            .collect();
        let mut fitted = FittedPreprocessor {
            blocks,
            feature_names,
            dropped,
            pca: None,
            notices,
        };
        if let (Some(k), false) = (options.pca, trees) {
            let max = fitted.feature_names.len().min(n_rows);
            if k == 0 || k > max {
                return Err(PrepError::PcaComponents { requested: k, max });
            }
            let x = fitted.transform(ds, rows)?;
            let inputs = std::mem::take(&mut fitted.feature_names);
            let pca = FittedPca::fit(&x, k, inputs);
            fitted.feature_names = (1..=k).map(|c| format!("PC{c}")).collect();
            fitted.pca = Some(pca);
        }
        Ok(fitted)
    }

    /// Number of features produced.
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// Number of columns [`Self::transform`] returns: the blocks' features, or the PCA
    /// components.
    pub fn n_outputs(&self) -> usize {
        match &self.pca {
            Some(pca) => pca.components.nrows(),
            None => self.blocks.iter().map(FeatureBlock::width).sum(),
        }
    }

    /// Names of the source columns the features need.
    pub fn input_columns(&self) -> Vec<&str> {
        self.blocks
            .iter()
            .filter(|b| !matches!(b, FeatureBlock::MissingIndicator { .. }))
            .map(FeatureBlock::column)
            .collect()
    }

    /// Names of the columns read as categories (so a reader can keep them as text).
    pub fn categorical_columns(&self) -> Vec<String> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                FeatureBlock::OneHot { column, .. } | FeatureBlock::Ordinal { column, .. } => {
                    Some(column.clone())
                }
                FeatureBlock::Numeric { .. }
                | FeatureBlock::Raw { .. }
                | FeatureBlock::MissingIndicator { .. } => None,
            })
            .collect()
    }

    /// For each feature, whether it is a category code (for trees' categorical splits).
    pub fn categorical_features(&self) -> Vec<bool> {
        if self.pca.is_some() {
            return vec![false; self.n_features()];
        }
        self.blocks
            .iter()
            .flat_map(|b| vec![matches!(b, FeatureBlock::Ordinal { .. }); b.width()])
            .collect()
    }

    /// The feature matrix of `rows` of `ds` (which may be another file with the same columns).
    pub fn transform(&self, ds: &Dataset, rows: &[usize]) -> Result<Matrix> {
        let width: usize = self.blocks.iter().map(FeatureBlock::width).sum();
        let mut cells = vec![0.0; rows.len() * width];
        let sources = self
            .blocks
            .iter()
            .map(|b| b.source(ds))
            .collect::<Result<Vec<_>>>()?;
        // Row chunks of about 256 KB, so that every block's writes into a chunk stay in the
        // cache instead of each block sweeping the whole matrix with a row-sized stride.
        let chunk_rows = (TRANSFORM_CHUNK_BYTES / (8 * width.max(1))).max(64);
        for (chunk, out) in rows
            .chunks(chunk_rows)
            .zip(cells.chunks_mut(chunk_rows * width.max(1)))
        {
            let mut offset = 0;
            for (block, source) in self.blocks.iter().zip(&sources) {
                block.write(source, chunk, |i, j, v| out[i * width + offset + j] = v)?;
                offset += block.width();
            }
        }
        let m = from_row_major(rows.len(), width, cells);
        self.projected(m)
    }

    /// The features of `rows` of `ds` as [`Self::transform`] computes them, kept as their
    /// non-zero cells when at most `share` of the cells can be non-zero (each block sets at
    /// most one cell a row, so at most blocks / features of them; without PCA): memory and
    /// time in proportion to the non-zero cells, so a one-hot column of 3,000 levels costs a
    /// cell a row rather than 3,000.
    pub fn transform_features(&self, ds: &Dataset, rows: &[usize], share: f64) -> Result<Features> {
        let width: usize = self.blocks.iter().map(FeatureBlock::width).sum();
        let sparse_enough = (self.blocks.len() as f64) <= share * width as f64;
        if self.pca.is_some() || !sparse_enough || width > u32::MAX as usize {
            return self.transform(ds, rows).map(Features::Dense);
        }
        if width != self.n_features() {
            return Err(PrepError::BadPipeline(format!(
                "{width} features computed for {} names",
                self.n_features()
            )));
        }
        let sources = self
            .blocks
            .iter()
            .map(|b| b.source(ds))
            .collect::<Result<Vec<_>>>()?;
        let mut sparse =
            SparseRows::with_capacity(width, rows.len(), rows.len() * self.blocks.len());
        // A chunk's cells as the blocks write them (block by block), then put in row order:
        // each block sets at most one cell a row, in the blocks' order of features.
        let chunk_rows = SPARSE_CHUNK_ROWS;
        let mut cells: Vec<(u32, u32, f64)> = Vec::new();
        let mut row_cells: Vec<(u32, f64)> = Vec::new();
        for chunk in rows.chunks(chunk_rows) {
            cells.clear();
            let mut offset = 0;
            for (block, source) in self.blocks.iter().zip(&sources) {
                block.write(source, chunk, |i, j, v| {
                    if v != 0.0 {
                        cells.push((i as u32, (offset + j) as u32, v));
                    }
                })?;
                offset += block.width();
            }
            // Stable, so each row keeps its cells in feature order.
            cells.sort_by_key(|&(i, _, _)| i);
            let mut at = 0;
            for i in 0..chunk.len() as u32 {
                row_cells.clear();
                while at < cells.len() && cells[at].0 == i {
                    row_cells.push((cells[at].1, cells[at].2));
                    at += 1;
                }
                sparse.push_cells(&row_cells);
            }
        }
        Ok(Features::Sparse(sparse))
    }

    /// `m`, projected when the preprocessor has PCA, checked to have its features.
    fn projected(&self, m: Matrix) -> Result<Matrix> {
        let m = match &self.pca {
            Some(pca) => pca.project(&m)?,
            None => m,
        };
        if m.ncols() != self.n_features() {
            return Err(PrepError::BadPipeline(format!(
                "{} features computed for {} names",
                m.ncols(),
                self.n_features()
            )));
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::ingest::{read_csv, ReadOptions};

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
        assert_eq!(&m.row_major().row(1)[1..], &[0.0, 1.0]);
        assert_eq!(
            &m.row_major().row(2)[1..],
            &[1.0, 0.0],
            "missing plan -> most frequent 'a'"
        );
        assert_eq!(
            &m.row_major().row(3)[1..],
            &[0.0, 0.0],
            "unseen level 'zzz' is ignored"
        );
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
        assert_eq!(m.row_major().row(0), &[0.0, 0.0, 1.0]);
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

    /// 1,000 rows of a file with a plan column of 300 levels, every level kept, with
    /// missing cells and missing indicators, and its preprocessor fitted on 800 rows.
    fn many_levels() -> (Dataset, FittedPreprocessor) {
        let mut text = String::from("x,code,plan,churn\n");
        for i in 0..1000 {
            let x = if i % 7 == 0 {
                String::new()
            } else {
                format!("{}", i % 13)
            };
            let plan = if i % 11 == 0 {
                String::new()
            } else {
                format!("p{}", i % 300)
            };
            text.push_str(&format!("{x},{},{plan},{}\n", i % 5, i % 2));
        }
        let mut d = ds(&text);
        // 300 plans in 1,000 rows is near-unique text by default (issue 18): included here,
        // every level kept (a rare-level rule of 1 row), for many features.
        for c in d.columns.iter_mut().filter(|c| c.name == "plan") {
            c.kind = ColumnKind::Categorical;
        }
        let exclude = ["churn".to_string()];
        let train: Vec<usize> = (0..800).collect();
        let options = PrepOptions {
            missing_indicator: true,
            ..PrepOptions::default()
        }
        .rare_levels(1.0);
        let p = FittedPreprocessor::fit_with(&d, &train, &exclude, &options).expect("fit");
        assert!(p.n_features() > 300, "{} features", p.n_features());
        (d, p)
    }

    /// The sparse features (issue 18) are the dense features' non-zero cells, row by row,
    /// over rows repeated past two of its chunks of 4,096 rows; with a share below one
    /// cell a row, or with PCA, the features stay dense.
    #[test]
    fn sparse_features_are_the_dense_features_non_zero_cells() {
        let (d, p) = many_levels();
        let rows: Vec<usize> = (0..1000)
            .rev()
            .cycle()
            .take(2 * SPARSE_CHUNK_ROWS + 777)
            .collect();
        let dense = p.transform(&d, &rows).expect("transform");
        let Features::Sparse(sparse) = p.transform_features(&d, &rows, 0.25).expect("features")
        else {
            panic!("{} features, at most 4 cells a row: sparse", p.n_features());
        };
        assert_eq!(sparse.to_dense(), dense);
        let non_zero = dense.iter().filter(|v| **v != 0.0).count();
        assert_eq!(sparse.non_zero(), non_zero);
        assert!(
            non_zero > 2 * rows.len(),
            "numbers, levels and indicators are kept"
        );
        assert!(matches!(
            p.transform_features(&d, &rows, 0.001).expect("features"),
            Features::Dense(_)
        ));
        let pca = PrepOptions {
            pca: Some(3),
            ..PrepOptions::default()
        };
        let train: Vec<usize> = (0..800).collect();
        let with_pca =
            FittedPreprocessor::fit_with(&d, &train, &["churn".to_string()], &pca).expect("fit");
        assert!(matches!(
            with_pca
                .transform_features(&d, &rows, 0.25)
                .expect("features"),
            Features::Dense(_)
        ));
    }

    #[test]
    fn chunked_transform_equals_row_by_row() {
        // 300 levels make about 300 features, so a chunk holds 256 KB / (8 x 303) = 108 rows
        // and 1,000 rows (in a shuffled order, with missing cells, unseen text in a numeric
        // file column and a level column stored as numbers) cross ten chunk boundaries.
        let (d, p) = many_levels();
        let rows: Vec<usize> = (0..1000).rev().step_by(3).chain(0..500).collect();
        let all = p.transform(&d, &rows).expect("transform");
        for (i, &r) in rows.iter().enumerate() {
            let one = p.transform(&d, &[r]).expect("one row");
            assert_eq!(all.row_major().row(i), one.row_major().row(0), "row {r}");
        }
    }

    #[test]
    fn tree_preprocessing_keeps_numbers_raw_and_codes_categories() {
        let d = ds("plan,x,churn\nb,1,Yes\na,,No\n,3,No\na,5,Yes\nzzz,7,No\n");
        let exclude = ["churn".to_string()];
        let p = FittedPreprocessor::fit_for_trees(&d, &[0, 1, 2, 3], &exclude).expect("fit");
        assert_eq!(p.feature_names, ["x", "plan"]);
        assert_eq!(p.categorical_features(), [false, true]);
        let m = p.transform(&d, &[0, 1, 2, 4]).expect("transform");
        assert_eq!(
            m.row_major().row(0),
            &[1.0, 1.0],
            "b is the second sorted level"
        );
        assert!(
            m.row(1)[0].is_nan() && m.row(1)[1] == 0.0,
            "missing number stays missing"
        );
        assert!(m.row(2)[1].is_nan(), "missing category is NaN");
        assert!(m.row(3)[1].is_nan(), "unseen level zzz is NaN");
        assert_eq!(p.categorical_columns(), ["plan"]);
    }

    /// `k,{column}` rows with `k` a row label to exclude (so a blank cell is not a blank line).
    fn one_column(column: &str, cells: &[&str]) -> Dataset {
        let mut text = format!("k,{column}\n");
        for (i, c) in cells.iter().enumerate() {
            text.push_str(&format!("r{i},{c}\n"));
        }
        ds(&text)
    }

    fn assert_close(ours: &[f64], theirs: &[f64], tolerance: f64) {
        assert_eq!(ours.len(), theirs.len(), "{ours:?} vs {theirs:?}");
        for (a, b) in ours.iter().zip(theirs) {
            assert!((a - b).abs() <= tolerance, "{ours:?} vs {theirs:?}");
        }
    }

    #[test]
    fn imputes_numbers_with_the_mean_or_a_constant_like_sklearn() {
        let d = one_column("x", &["1", "", "3", "6", "10"]);
        let exclude = ["k".to_string()];
        // scikit-learn 1.9.1, `make_pipeline(SimpleImputer(strategy=S), StandardScaler())`
        // fitted on [[1], [nan], [3], [6]], transforming [[1], [nan], [3], [6], [10]];
        // tolerance 1e-12.
        let cases = [
            (
                NumericImpute::Mean, // S = "mean"
                [
                    -1.3112201362143716,
                    0.0,
                    -0.18731716231633888,
                    1.4985372985307102,
                    3.7463432463267754,
                ],
            ),
            (
                NumericImpute::Constant(0.5), // S = "constant", fill_value=0.5
                [
                    -0.7518094115561123,
                    -0.9831353843426084,
                    0.17349447958987207,
                    1.5614503163088487,
                    3.4120580986008173,
                ],
            ),
        ];
        for (impute, expected) in cases {
            let options = PrepOptions::new().numeric_impute(impute);
            let p =
                FittedPreprocessor::fit_with(&d, &[0, 1, 2, 3], &exclude, &options).expect("fit");
            assert_eq!(p.feature_names, ["x"]);
            let m = p.transform(&d, &[0, 1, 2, 3, 4]).expect("transform");
            assert_close(m.row_major().data, &expected, 1e-12);
        }
    }

    #[test]
    fn missing_indicator_is_scaled_like_sklearn() {
        let d = ds("a,b\n1.5,0.2\n,0.4\n2.5,0.1\n4.0,0.9\n,0.3\n7.0,0.8\n,\n");
        let options = PrepOptions::new().missing_indicator(true);
        let train: Vec<usize> = (0..6).collect();
        let p = FittedPreprocessor::fit_with(&d, &train, &[], &options).expect("fit");
        assert_eq!(
            p.feature_names,
            ["a", "b", "a is missing"],
            "b has no missing training value, so no indicator"
        );
        assert_eq!(p.categorical_features(), [false; 3]);
        assert_eq!(p.input_columns(), ["a", "b"]);
        // scikit-learn 1.9.1, `Pipeline([("i", SimpleImputer(strategy="median",
        // add_indicator=True)), ("s", StandardScaler())]).fit(A)` with A the six rows above,
        // `.transform(A)` then `.transform([[nan, nan]])`; tolerance 1e-12 (its
        // 1.4142135623730951 is √2, written as the constant for clippy).
        use std::f64::consts::SQRT_2;
        let expected = [
            -1.2169809587780889,
            -0.8372183582789214,
            -0.7071067811865475,
            -0.19471695340449427,
            -0.16744367165578425,
            SQRT_2,
            -0.6328300985646063,
            -1.1721057015904899,
            -0.7071067811865475,
            0.24339619175561766,
            1.5069930449020585,
            -0.7071067811865475,
            -0.19471695340449427,
            -0.5023310149673529,
            SQRT_2,
            1.9958487723960654,
            1.17210570159049,
            -0.7071067811865475,
            // the extra row, both cells blank
            -0.19471695340449427,
            -0.33488734331156866,
            SQRT_2,
        ];
        let m = p
            .transform(&d, &(0..7).collect::<Vec<_>>())
            .expect("transform");
        assert_eq!(m.ncols(), p.n_features());
        assert_close(m.row_major().data, &expected, 1e-12);
        let trees = FittedPreprocessor::fit_for_trees_with(&d, &train, &[], &options)
            .expect("fit for trees");
        assert_eq!(
            trees.feature_names,
            ["a", "b"],
            "trees see NaN, no indicator"
        );
    }

    #[test]
    fn categorical_constant_fill_is_a_level_and_most_frequent_can_add_an_indicator() {
        let d = one_column("plan", &["a", "b", "", "a", "c", "", "b", "a"]);
        let exclude = ["k".to_string()];
        let all: Vec<usize> = (0..8).collect();
        // scikit-learn 1.9.1, `make_pipeline(SimpleImputer(strategy="constant",
        // fill_value="missing"), OneHotEncoder(handle_unknown="ignore"))` on the column above:
        // categories_ ['a', 'b', 'c', 'missing'], rows as below (exact 0/1).
        let options = PrepOptions::new()
            .categorical_impute(CategoricalImpute::Constant("missing".into()))
            .missing_indicator(true);
        let p = FittedPreprocessor::fit_with(&d, &all, &exclude, &options).expect("fit");
        assert_eq!(
            p.feature_names,
            ["plan=a", "plan=b", "plan=c", "plan=missing"],
            "a constant fill is already a level: no indicator"
        );
        let m = p.transform(&d, &all).expect("transform");
        let constant: [[f64; 4]; 8] = [
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
            [0.0, 1.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 0.0],
        ];
        assert_eq!(m.row_major().data, constant.concat());
        // Without missing training cells the constant is no level, so a later missing cell
        // is an unknown category: ignored, as OneHotEncoder(handle_unknown="ignore") does.
        let p = FittedPreprocessor::fit_with(&d, &[0, 1, 3, 4], &exclude, &options).expect("fit");
        assert_eq!(p.feature_names, ["plan=a", "plan=b", "plan=c"]);
        assert_eq!(
            p.transform(&d, &[2]).expect("transform").row_major().data,
            [0.0; 3]
        );

        // scikit-learn 1.9.1, `SimpleImputer(strategy="most_frequent", add_indicator=True)
        // .fit_transform(column)`: [a, False], [b, False], [a, True], [a, False], [c, False],
        // [a, True], [b, False], [a, False]; the indicator is kept a plain 0/1 here.
        let options = PrepOptions::new().missing_indicator(true);
        let p = FittedPreprocessor::fit_with(&d, &all, &exclude, &options).expect("fit");
        assert_eq!(
            p.feature_names,
            ["plan=a", "plan=b", "plan=c", "plan is missing"]
        );
        assert_eq!(p.categorical_columns(), ["plan"]);
        let m = p.transform(&d, &all).expect("transform");
        let most_frequent: [[f64; 4]; 8] = [
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 1.0],
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [1.0, 0.0, 0.0, 1.0],
            [0.0, 1.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 0.0],
        ];
        assert_eq!(m.row_major().data, most_frequent.concat());
    }

    /// Training rows 0..8: a a a b b c d (blank); rows 8..14: a c d (blank) zzz b.
    fn rare_table() -> Dataset {
        one_column(
            "plan",
            &[
                "a", "a", "a", "b", "b", "c", "d", "", "a", "c", "d", "", "zzz", "b",
            ],
        )
    }

    #[test]
    fn groups_rare_levels_and_sends_unknown_ones_there_like_sklearn() {
        let d = rare_table();
        let exclude = ["k".to_string()];
        let train: Vec<usize> = (0..8).collect();
        let later: Vec<usize> = (8..14).collect();
        // scikit-learn 1.9.1, `make_pipeline(SimpleImputer(strategy=S), OneHotEncoder(
        // min_frequency=m, handle_unknown="infrequent_if_exist"))` fitted on the training
        // rows, transforming the later ones (exact 0/1; sklearn names the last feature
        // `x0_infrequent_sklearn`).
        let cases: [(CategoricalImpute, f64, &[&str], &[f64]); 4] = [
            (
                CategoricalImpute::MostFrequent, // S = "most_frequent", m = 2
                2.0,
                &["plan=a", "plan=b", "plan=infrequent"],
                &[
                    1., 0., 0., 0., 0., 1., 0., 0., 1., 1., 0., 0., 0., 0., 1., 0., 1., 0.,
                ],
            ),
            (
                CategoricalImpute::MostFrequent, // m = 0.3, i.e. fewer than 2.4 of 8 rows
                0.3,
                &["plan=a", "plan=infrequent"],
                &[1., 0., 0., 1., 0., 1., 1., 0., 0., 1., 0., 1.],
            ),
            (
                CategoricalImpute::MostFrequent, // m = 1: nothing is rare, zzz is ignored
                1.0,
                &["plan=a", "plan=b", "plan=c", "plan=d"],
                &[
                    1., 0., 0., 0., 0., 0., 1., 0., 0., 0., 0., 1., 1., 0., 0., 0., 0., 0., 0., 0.,
                    0., 1., 0., 0.,
                ],
            ),
            (
                // S = "constant", fill_value="missing", m = 2: the fill is rare itself
                CategoricalImpute::Constant("missing".into()),
                2.0,
                &["plan=a", "plan=b", "plan=infrequent"],
                &[
                    1., 0., 0., 0., 0., 1., 0., 0., 1., 0., 0., 1., 0., 0., 1., 0., 1., 0.,
                ],
            ),
        ];
        for (impute, min_frequency, names, expected) in cases {
            let options = PrepOptions::new()
                .categorical_impute(impute)
                .rare_levels(min_frequency);
            let p = FittedPreprocessor::fit_with(&d, &train, &exclude, &options).expect("fit");
            assert_eq!(p.feature_names, names, "min_frequency {min_frequency}");
            assert_eq!(p.categorical_features(), vec![false; names.len()]);
            let m = p.transform(&d, &later).expect("transform");
            assert_eq!(
                m.row_major().data,
                expected,
                "min_frequency {min_frequency}"
            );
        }
    }

    #[test]
    fn rare_levels_share_one_code_for_trees_like_sklearn() {
        let d = rare_table();
        let options = PrepOptions::new().rare_levels(2.0);
        let p = FittedPreprocessor::fit_for_trees_with(
            &d,
            &(0..8).collect::<Vec<_>>(),
            &["k".into()],
            &options,
        )
        .expect("fit");
        assert_eq!(p.feature_names, ["plan"]);
        assert_eq!(p.categorical_features(), [true]);
        // scikit-learn 1.9.1, `OrdinalEncoder(min_frequency=2, handle_unknown=
        // "use_encoded_value", unknown_value=np.nan)` fitted on the training rows:
        // infrequent_categories_ [c, d]; transform of a c d nan zzz b = 0 2 2 nan nan 1.
        let m = p
            .transform(&d, &(8..14).collect::<Vec<_>>())
            .expect("transform");
        let codes: Vec<Option<f64>> = m
            .row_major()
            .data
            .iter()
            .map(|&x| (!x.is_nan()).then_some(x))
            .collect();
        assert_eq!(
            codes,
            [Some(0.0), Some(2.0), Some(2.0), None, None, Some(1.0)]
        );
    }

    /// The 8 x 3 matrix of the PCA references.
    const PCA_ROWS: [[f64; 3]; 8] = [
        [2.0, 1.0, 0.5],
        [3.5, 0.0, 1.5],
        [1.0, 2.5, -0.5],
        [4.0, 3.0, 2.0],
        [0.5, -1.0, 0.0],
        [2.5, 1.5, 3.0],
        [3.0, -0.5, 1.0],
        [1.5, 2.0, -1.0],
    ];

    #[test]
    fn pca_matches_sklearn() {
        let x = Matrix::from_rows(&PCA_ROWS.map(Vec::from));
        let names = vec!["p".to_string(), "q".into(), "r".into()];
        let pca = FittedPca::fit(&x, 2, names.clone());
        // scikit-learn 1.9.1, `PCA(n_components=2).fit(X)` (solver "full"); tolerance 1e-8.
        assert_close(&pca.mean, &[2.25, 1.0625, 0.8125], 1e-12);
        assert_eq!((pca.components.nrows(), pca.components.ncols()), (2, 3));
        assert_close(
            pca.components.row_major().data,
            &[
                0.6510429492562972,
                0.2969055779653006,
                0.6985629220025591,
                -0.11006333188527812,
                0.9475231346702058,
                -0.3001432528627921,
            ],
            1e-8,
        );
        assert_close(
            &pca.explained_variance_ratio,
            &[0.5356456647120239, 0.3811084253296329],
            1e-8,
        );
        assert_close(
            &pca.explained_variance,
            &[2.8838779984049134, 2.051860539944362],
            1e-8,
        );
        let projected = pca.project(&x).expect("project");
        assert_close(
            projected.row_major().data,
            &[
                -0.39961824906270516,
                0.062090403574054154,
                0.9786035188589994,
                -1.3506709817868607,
                -1.3038657533736107,
                1.8935816903274332,
                2.544123188384329,
                1.2867951298497213,
                -2.319275289879032,
                -1.5177892415070442,
                1.8207633195544912,
                -0.26953782719046226,
                0.15534779424692058,
                -1.6193292567479287,
                -1.476078528729392,
                1.514860083481087,
            ],
            1e-8,
        );
        // scikit-learn 1.9.1, `PCA(n_components=3, svd_solver="covariance_eigh").fit(X)`:
        // the last component and the full spectrum; tolerance 1e-8.
        let all = FittedPca::fit(&x, 3, names);
        assert_close(
            all.components.row_major().row(2),
            &[
                0.7510187355838557,
                -0.11851998581605339,
                -0.6495566732504477,
            ],
            1e-8,
        );
        assert_close(
            &all.explained_variance_ratio,
            &[0.5356456647120239, 0.381108425329633, 0.08324590995834305],
            1e-8,
        );
    }

    #[test]
    fn pca_after_scaling_matches_sklearn_and_renames_features() {
        let mut text = String::from("p,q,r\n");
        for row in PCA_ROWS {
            text.push_str(&format!("{},{},{}\n", row[0], row[1], row[2]));
        }
        let d = ds(&text);
        let rows: Vec<usize> = (0..8).collect();
        let p =
            FittedPreprocessor::fit_with(&d, &rows, &[], &PrepOptions::new().pca(2)).expect("fit");
        assert_eq!(p.feature_names, ["PC1", "PC2"]);
        assert_eq!(p.categorical_features(), [false, false]);
        let pca = p.pca.as_ref().expect("a PCA step");
        assert_eq!(pca.inputs, ["p", "q", "r"]);
        // scikit-learn 1.9.1, `make_pipeline(StandardScaler(), PCA(n_components=2)).fit(X)`;
        // tolerance 1e-8.
        assert_close(
            pca.components.row_major().data,
            &[
                0.7039788076384721,
                0.18698681360589572,
                0.6851640460017071,
                -0.0309362729153332,
                0.9718771920156234,
                -0.23344736164269436,
            ],
            1e-8,
        );
        assert_close(
            &pca.explained_variance_ratio,
            &[0.5788402019508773, 0.32948797366260807],
            1e-8,
        );
        let m = p.transform(&d, &rows).expect("transform");
        assert_close(
            m.row_major().data,
            &[
                -0.3337421953138977,
                0.020404040821741694,
                0.9989457527589726,
                -0.9236006184130926,
                -1.2902614224484967,
                1.3091609009854965,
                1.9941592207575525,
                1.1189251815821675,
                -1.8055843828256706,
                -1.2786105716568863,
                1.4144707461549826,
                -0.10232319650809847,
                0.34836818771457945,
                -1.174856931690261,
                -1.326355906798022,
                1.0309011948789326,
            ],
            1e-8,
        );
        let json = serde_json::to_string(&p).expect("serialise");
        let back: FittedPreprocessor = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, p);
    }

    #[test]
    fn jacobi_diagonalises_a_symmetric_matrix() {
        // Hand check: [[2, 1], [1, 2]] has eigenvalues 3 and 1, eigenvectors (1, ±1)/√2.
        let (values, vectors) = symmetric_eigen(vec![2.0, 1.0, 1.0, 2.0], 2);
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        assert_close(&sorted, &[1.0, 3.0], 1e-14);
        let top = usize::from(values[1] > values[0]);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert_close(
            &[vectors[top].abs(), vectors[2 + top].abs()],
            &[h, h],
            1e-14,
        );
    }

    #[test]
    fn rejects_bad_options() {
        let d = ds("p,q,r\n1,2,3\n2,1,5\n4,0,1\n");
        let rows = [0, 1, 2];
        let fit = |options: PrepOptions| FittedPreprocessor::fit_with(&d, &rows, &[], &options);
        assert_eq!(
            fit(PrepOptions::new().pca(0)),
            Err(PrepError::PcaComponents {
                requested: 0,
                max: 3
            })
        );
        assert_eq!(
            fit(PrepOptions::new().pca(4)),
            Err(PrepError::PcaComponents {
                requested: 4,
                max: 3
            })
        );
        assert_eq!(
            FittedPreprocessor::fit_with(&d, &[0, 1], &[], &PrepOptions::new().pca(3)),
            Err(PrepError::PcaComponents {
                requested: 3,
                max: 2
            }),
            "no more components than training rows"
        );
        assert_eq!(
            fit(PrepOptions::new().rare_levels(0.0)),
            Err(PrepError::MinFrequency(0.0))
        );
        assert!(matches!(
            fit(PrepOptions::new().rare_levels(f64::NAN)),
            Err(PrepError::MinFrequency(_))
        ));
        assert_eq!(
            fit(PrepOptions::new().numeric_impute(NumericImpute::Constant(f64::INFINITY))),
            Err(PrepError::FillValue(f64::INFINITY))
        );
    }

    #[test]
    fn default_options_keep_the_json_and_read_older_json() {
        let d = ds("x,plan\n1,a\n,b\n3,\n");
        let rows = [0, 1, 2];
        let p = FittedPreprocessor::fit(&d, &rows, &[]).expect("fit");
        assert_eq!(
            FittedPreprocessor::fit_with(&d, &rows, &[], &PrepOptions::default()),
            Ok(p.clone())
        );
        let json = serde_json::to_string(&p).expect("serialise");
        assert_eq!(
            json,
            r#"{"blocks":[{"type":"numeric","column":"x","median":2.0,"mean":2.0,"scale":0.816496580927726},{"type":"one_hot","column":"plan","levels":["a","b"],"fill":"a"}],"feature_names":["x","plan=a","plan=b"],"dropped":[]}"#,
            "the JSON written before PrepOptions existed"
        );
        let back: FittedPreprocessor = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, p);
        let options: PrepOptions = serde_json::from_str("{}").expect("all fields default");
        assert_eq!(options, PrepOptions::default());
    }

    proptest::proptest! {
        #[test]
        fn linear_features_of_training_rows_are_finite_and_complete(
            cells in proptest::collection::vec(
                (proptest::option::of(-1e3f64..1e3), proptest::option::of(0u8..5)), 2..40),
            numeric in 0usize..3,
            categorical in proptest::bool::ANY,
            indicator in proptest::bool::ANY,
            rare in proptest::option::of(proptest::sample::select(vec![0.2, 2.0, 3.0])),
            pca in proptest::option::of(1usize..5),
        ) {
            let mut text = String::from("x,plan\n");
            for (x, plan) in &cells {
                let x = x.map(|x| x.to_string()).unwrap_or_default();
                let plan = plan.map(|p| format!("L{p}")).unwrap_or_default();
                text.push_str(&format!("{x},{plan}\n"));
            }
            let d = read_csv(text.as_bytes(), &ReadOptions::default()).expect("generated csv");
            let options = PrepOptions {
                numeric_impute: [NumericImpute::Median, NumericImpute::Mean,
                    NumericImpute::Constant(-7.5)][numeric],
                categorical_impute: if categorical {
                    CategoricalImpute::Constant("missing".into())
                } else {
                    CategoricalImpute::MostFrequent
                },
                missing_indicator: indicator,
                rare_levels: rare.map(|min_frequency| RareLevels { min_frequency }),
                pca,
            };
            let rows: Vec<usize> = (0..d.n_rows).collect();
            match FittedPreprocessor::fit_with(&d, &rows, &[], &options) {
                Ok(p) => {
                    let m = p.transform(&d, &rows).expect("transform training rows");
                    proptest::prop_assert_eq!(m.ncols(), p.n_features());
                    proptest::prop_assert_eq!(m.nrows(), rows.len());
                    proptest::prop_assert_eq!(p.categorical_features().len(), p.n_features());
                    proptest::prop_assert!(m.row_major().data.iter().all(|x| x.is_finite()));
                }
                Err(PrepError::NoFeatures | PrepError::PcaComponents { .. }) => {}
                Err(e) => proptest::prop_assert!(false, "unexpected {e}"),
            }
        }
    }
}
