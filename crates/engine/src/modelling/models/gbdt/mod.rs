//! Histogram gradient-boosted trees for binary churn, in the manner of LightGBM.
//!
//! The defaults are LightGBM's (`LGBMClassifier()`): 100 trees, learning rate 0.1, leaf-wise
//! growth to at most 31 leaves, at least 20 rows and a hessian sum of 1e-3 per leaf, no L2 on
//! leaves, 255 bins per feature with at least 3 rows a bin, the starting score the log-odds
//! of the training churn rate. What follows LightGBM's design:
//!
//! - **Binning**: a feature with few distinct values gets a bin per value (merged until each
//!   holds 3 rows), thresholds half-way between values; otherwise bins of about equal counts.
//!   A missing value has a bin of its own, and each split tries sending the missing rows
//!   left and right and keeps the better (`use_missing`).
//! - **Categories** (native, no one-hot): up to 4 levels, one level against the rest; more,
//!   the levels seen at least 10 times are ordered by gradient / (hessian + 10) and the best
//!   prefix of that order (at most 32 levels, in groups of at least 100 rows, with an extra
//!   L2 of 10) goes left. Missing and rare or unseen levels go right.
//! - **Histograms**: per leaf and feature, the sums of gradients, hessians and counts per bin;
//!   the larger child of a split gets its histogram by subtracting the smaller's from the
//!   parent's.
//!
//! Deterministic: nothing is sampled. Progress is reported after each tree.
//!
//! Options beyond LightGBM's defaults: class weights scale each row's gradient and hessian
//! (LightGBM's `class_weight`, the starting score then being the weighted log-odds), and
//! early stopping holds out a stratified, seeded share of the training rows and stops when
//! their log loss has not improved for a number of trees, keeping the best prefix of trees
//! (LightGBM's `early_stopping_round` with that share as the validation set).
//!
//! Laid out as LightGBM's learner: this module holds the settings, the boosting loop and the
//! fitted model; `binning` the bin mappers (`BinMapper`), `histogram` the histograms
//! (`FeatureHistogram`), `grow` the tree learner (`SerialTreeLearner`: growth order and
//! split finding) and `tree` the fitted tree and its prediction walk (`Tree`).

mod binning;
mod grow;
mod histogram;
mod tree;

pub use binning::FeatureBinning;
pub use tree::{Rule, Tree};

use serde::{Deserialize, Serialize};

#[cfg(doc)]
use super::check_training_data;
use super::treeshap::{expected_value, Explainer, ROWS_PER_TASK};
use super::{ClassWeight, ModelError, Progress, Result};
use crate::matrix::{standard_layout, MatrixExt};
use crate::modelling::preprocessing::Matrix;
use crate::modelling::split::stratified_split;
use binning::{bin_columns, bin_mappers, bin_rows, FeatureBins};

/// Settings of [`FittedGbdt`]; see the module text for the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GbdtParams {
    pub n_trees: usize,
    pub learning_rate: f64,
    pub num_leaves: usize,
    /// Maximum depth of a tree; `None` for no limit (leaf-wise growth decides).
    pub max_depth: Option<usize>,
    pub min_data_in_leaf: usize,
    pub min_sum_hessian_in_leaf: f64,
    pub lambda_l2: f64,
    pub max_bin: usize,
    pub min_data_in_bin: usize,
    pub max_cat_to_onehot: usize,
    pub max_cat_threshold: usize,
    pub cat_smooth: f64,
    pub cat_l2: f64,
    pub min_data_per_group: usize,
    /// How much each class counts (default: every row once).
    #[serde(default)]
    pub class_weight: ClassWeight,
    /// Stop adding trees when a held-out share of the training rows stops improving.
    #[serde(default)]
    pub early_stopping: Option<EarlyStopping>,
    /// Which leaf is split next.
    #[serde(default)]
    pub growth: Growth,
}

/// The order in which a tree's leaves are split.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Growth {
    /// The leaf whose best split gains most, wherever it is (LightGBM's default).
    #[default]
    LeafWise,
    /// Level by level: the shallowest leaf that can split, the larger gain first among
    /// equals (XGBoost's and scikit-learn's classic order); with `max_depth` and enough
    /// leaves, balanced trees.
    DepthWise,
}

/// Early stopping of boosting on a validation share of the training rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    /// Trees without a lower validation log loss before stopping (LightGBM's
    /// `early_stopping_round`; scikit-learn's `n_iter_no_change` is 10).
    pub rounds: usize,
    /// Share of the training rows held out, stratified by class (scikit-learn's default 0.1).
    pub validation_fraction: f64,
    /// Seed of the hold-out draw.
    pub seed: u64,
}

impl Default for EarlyStopping {
    /// 10 rounds on 10% of the rows, seed 42 (scikit-learn's `HistGradientBoostingClassifier`).
    fn default() -> Self {
        EarlyStopping {
            rounds: 10,
            validation_fraction: 0.1,
            seed: 42,
        }
    }
}

impl Default for GbdtParams {
    fn default() -> Self {
        GbdtParams {
            n_trees: 100,
            learning_rate: 0.1,
            num_leaves: 31,
            max_depth: None,
            min_data_in_leaf: 20,
            min_sum_hessian_in_leaf: 1e-3,
            lambda_l2: 0.0,
            max_bin: 255,
            min_data_in_bin: 3,
            max_cat_to_onehot: 4,
            max_cat_threshold: 32,
            cat_smooth: 10.0,
            cat_l2: 10.0,
            min_data_per_group: 100,
            class_weight: ClassWeight::None,
            early_stopping: None,
            growth: Growth::LeafWise,
        }
    }
}

impl GbdtParams {
    /// Checks the settings.
    pub fn check(&self) -> Result<()> {
        let bad = |m: String| Err(ModelError::InvalidParameter(m));
        if self.n_trees == 0 {
            return bad("n_trees must be at least 1".into());
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return bad(format!(
                "learning_rate must be positive, got {}",
                self.learning_rate
            ));
        }
        if self.num_leaves < 2 {
            return bad(format!(
                "num_leaves must be at least 2, got {}",
                self.num_leaves
            ));
        }
        if !(2..=65_535).contains(&self.max_bin) {
            return bad(format!(
                "max_bin must be from 2 to 65535, got {}",
                self.max_bin
            ));
        }
        if !(self.lambda_l2 >= 0.0 && self.cat_l2 >= 0.0 && self.cat_smooth >= 0.0) {
            return bad("lambda_l2, cat_l2 and cat_smooth must not be negative".into());
        }
        if let Some(e) = self.early_stopping {
            if e.rounds == 0 {
                return bad("early stopping needs at least 1 round".into());
            }
            if !(e.validation_fraction > 0.0 && e.validation_fraction < 1.0) {
                return bad(format!(
                    "the validation share must be between 0 and 1, got {}",
                    e.validation_fraction
                ));
            }
        }
        if let ClassWeight::Custom { .. } = self.class_weight {
            self.class_weight.class_weights(&[0, 1])?;
        }
        Ok(())
    }

    /// Fits `n_trees` trees to `x` (NaN = missing) and 0/1 labels `y`; `categorical[j]` marks
    /// feature `j` as category codes (0, 1, 2, ...). `progress` after each tree; returning
    /// `false` cancels.
    pub fn fit(
        &self,
        x: &Matrix,
        categorical: &[bool],
        y: &[u8],
        progress: impl FnMut(Progress) -> bool,
    ) -> Result<FittedGbdt> {
        self.check()?;
        let x = &*standard_layout(x);
        if categorical.len() != x.ncols() {
            return Err(ModelError::InvalidParameter(format!(
                "{} categorical flags for {} features",
                categorical.len(),
                x.ncols()
            )));
        }
        check_training_data_allowing_nan(x, y)?;
        let Some(stopping) = self.early_stopping else {
            return self.fit_with_validation(x, categorical, y, None, progress);
        };
        let labels: Vec<Option<u8>> = y.iter().map(|&v| Some(v)).collect();
        let split = stratified_split(&labels, stopping.validation_fraction, stopping.seed)
            .map_err(|e| ModelError::InvalidParameter(format!("early stopping: {e}")))?;
        let (fit_x, fit_y) = take_rows(x, y, &split.train);
        let validation = take_rows(x, y, &split.test);
        self.fit_with_validation(&fit_x, categorical, &fit_y, Some(validation), progress)
    }

    /// Boosts on `x`, stopping early on the held-out `validation` rows when given.
    fn fit_with_validation(
        &self,
        x: &Matrix,
        categorical: &[bool],
        y: &[u8],
        validation: Option<(Matrix, Vec<u8>)>,
        mut progress: impl FnMut(Progress) -> bool,
    ) -> Result<FittedGbdt> {
        let n = x.nrows();
        let features = bin_mappers(x, categorical, self.max_bin, self.min_data_in_bin);
        let binned = bin_columns(x, &features);
        let counted = grow::counted_features(&features, &binned);
        let weights = self.class_weight.sample_weights(y)?;
        let weight = |i: usize| weights.as_ref().map_or(1.0, |w| w[i]);
        let total_weight = weights.as_ref().map_or(n as f64, |w| w.iter().sum());
        // LightGBM's BoostFromAverage: the (weighted) log-odds of churn.
        let positives: f64 = (0..n).filter(|&i| y[i] == 1).map(weight).sum();
        let rate = positives / total_weight;
        let init = (rate / (1.0 - rate)).ln();
        let mut score = vec![init; n];
        let mut grad = vec![0.0f32; n];
        let mut hess = vec![0.0f32; n];
        let mut trees = Vec::with_capacity(self.n_trees);
        let mut validation = validation.map(|(vx, vy)| HeldOut::new(&features, &vx, vy, init));
        let rows = Rows {
            y,
            weights: weights.as_deref(),
            total_weight,
        };
        rows.gradients_and_loss(&score, &mut grad, &mut hess);
        for t in 0..self.n_trees {
            let tree = self.grow(&features, &binned, &counted, &grad, &hess);
            // Scores of the training rows from the leaves they ended in.
            for (leaf, rows) in tree.leaf_rows.iter().enumerate() {
                let value = tree.tree.leaves[leaf];
                for &r in rows {
                    score[r as usize] += value;
                }
            }
            let stop = validation
                .as_mut()
                .is_some_and(|v| v.add_tree(&tree.tree, t + 1, self.rounds_or_max()));
            trees.push(tree.tree);
            // After the last tree only the loss is needed; the gradients come with it.
            let loss = rows.gradients_and_loss(&score, &mut grad, &mut hess);
            if !progress(Progress {
                iteration: t + 1,
                max_iterations: self.n_trees,
                loss,
            }) {
                return Err(ModelError::Cancelled);
            }
            if stop {
                break;
            }
        }
        let best = validation.and_then(|v| v.best);
        if let Some((at, _)) = best {
            trees.truncate(at);
        }
        Ok(FittedGbdt {
            init_score: init,
            trees,
            features: features.iter().map(FeatureBins::describe).collect(),
            validation_loss: best.map(|(_, l)| l),
        })
    }

    fn rounds_or_max(&self) -> usize {
        self.early_stopping.map_or(usize::MAX, |e| e.rounds)
    }
}

/// The training rows' labels and weights, for the gradients and the loss.
struct Rows<'a> {
    y: &'a [u8],
    weights: Option<&'a [f64]>,
    total_weight: f64,
}

impl Rows<'_> {
    fn weight(&self, i: usize) -> f64 {
        self.weights.map_or(1.0, |w| w[i])
    }

    /// The gradients and hessians at `score` for the next tree, and the mean loss at
    /// `score`: one pass in fixed chunks of rows on every core (each row's values and each
    /// chunk's sum do not depend on the number of threads), one exponential a row.
    fn gradients_and_loss(&self, score: &[f64], grad: &mut [f32], hess: &mut [f32]) -> f64 {
        let sums = crate::parallel::map_chunks2(grad, hess, &|start, g, h| {
            let mut loss = 0.0;
            for (k, (g, h)) in g.iter_mut().zip(h.iter_mut()).enumerate() {
                let i = start + k;
                let (softplus, p) = softplus_and_sigmoid(score[i]);
                let w = self.weight(i);
                let yi = f64::from(self.y[i]);
                // LightGBM keeps gradients and hessians as 32-bit floats (`score_t`); the
                // rounding decides near-ties and the row-count estimates, so it is kept.
                *g = (w * (p - yi)) as f32;
                *h = (w * p * (1.0 - p)) as f32;
                loss += w * (softplus - yi * score[i]);
            }
            loss
        });
        sums.into_iter().sum::<f64>() / self.total_weight
    }
}

/// Held-out rows for early stopping: their bins, labels and running raw scores, and the
/// number of trees with the lowest log loss so far, with that loss.
struct HeldOut {
    bins: Vec<Vec<u32>>,
    labels: Vec<u8>,
    scores: Vec<f64>,
    best: Option<(usize, f64)>,
}

impl HeldOut {
    /// Bins the rows of `x` once; their scores start at `init`.
    fn new(features: &[FeatureBins], x: &Matrix, labels: Vec<u8>, init: f64) -> Self {
        HeldOut {
            bins: bin_rows(features, x),
            labels,
            scores: vec![init; x.nrows()],
            best: None,
        }
    }

    /// Adds the `trees`-th tree to the scores; whether `rounds` trees have passed since the
    /// best log loss.
    fn add_tree(&mut self, tree: &Tree, trees: usize, rounds: usize) -> bool {
        for (b, s) in self.bins.iter().zip(self.scores.iter_mut()) {
            *s += tree.value(b);
        }
        let loss = mean_log_loss(&self.labels, &self.scores);
        match self.best {
            Some((_, b)) if loss >= b => {}
            _ => self.best = Some((trees, loss)),
        }
        self.best.is_some_and(|(at, _)| trees - at >= rounds)
    }
}

/// Like [`check_training_data`], with missing features allowed (trees route them).
fn check_training_data_allowing_nan(x: &Matrix, y: &[u8]) -> Result<()> {
    super::check_training_data_where(x, y, |v| v.is_finite() || v.is_nan())
}

fn sigmoid(z: f64) -> f64 {
    super::logistic::sigmoid(z)
}

fn softplus_and_sigmoid(z: f64) -> (f64, f64) {
    super::logistic::softplus_and_sigmoid(z)
}

/// Mean log loss of raw scores.
fn mean_log_loss(y: &[u8], score: &[f64]) -> f64 {
    y.iter()
        .zip(score)
        .map(|(&yi, &s)| softplus(s) - f64::from(yi) * s)
        .sum::<f64>()
        / y.len().max(1) as f64
}

/// The given rows of `x` and `y`.
fn take_rows(x: &Matrix, y: &[u8], rows: &[usize]) -> (Matrix, Vec<u8>) {
    (x.select_rows(rows), rows.iter().map(|&r| y[r]).collect())
}

fn softplus(z: f64) -> f64 {
    super::logistic::softplus(z)
}

/// A fitted boosted-tree model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedGbdt {
    pub init_score: f64,
    pub trees: Vec<Tree>,
    pub features: Vec<FeatureBinning>,
    /// With early stopping: the held-out log loss of the kept trees.
    #[serde(default)]
    pub validation_loss: Option<f64>,
}

/// Each row's bins and each tree's leaf value for each row of a matrix, with the features
/// its path reads as bits ([`FittedGbdt::paths`]).
#[derive(Debug, Clone)]
pub struct GbdtPaths {
    rows: usize,
    /// Row `i`, feature `j` at `i * features + j`.
    bins: Vec<u32>,
    /// Row `i`, tree `t` at `i * trees + t`.
    values: Vec<f64>,
    reads: Vec<u64>,
}

impl FittedGbdt {
    /// Each tree as plain splits on feature values (the leaf values are added to
    /// `init_score` and the sum's sigmoid is the probability).
    pub fn tree_views(&self) -> Vec<super::readout::TreeView> {
        self.trees.iter().map(|t| t.view(&self.features)).collect()
    }

    /// Probability of churn for each row of `x` (NaN = missing).
    /// Chunks of rows run on every core (each row's value is its own).
    pub fn predict_proba(&self, x: &Matrix) -> Vec<f64> {
        let x = standard_layout(x);
        let x = x.row_major();
        let chunks = crate::parallel::chunk_map(x.rows, &|rows| {
            let mut bins = vec![0u32; x.cols];
            rows.map(|i| {
                for (j, f) in self.features.iter().enumerate() {
                    bins[j] = f.bin_of(x.data[i * x.cols + j]);
                }
                let score =
                    self.init_score + self.trees.iter().map(|t| t.value(&bins)).sum::<f64>();
                sigmoid(score)
            })
            .collect::<Vec<f64>>()
        });
        chunks.into_iter().flatten().collect()
    }

    /// Each row's bins, and each tree's leaf value for each row of `x` with the features its
    /// path reads (as bits), for scoring the rows again after some features change
    /// ([`Self::predict_proba_changed`]); `None` when the model bins more than 64 features
    /// or `x` has another number of features than the model bins.
    pub fn paths(&self, x: &Matrix) -> Option<GbdtPaths> {
        let cols = self.features.len();
        if cols > 64 || x.ncols() != cols {
            return None;
        }
        let x = standard_layout(x);
        let x = x.row_major();
        let trees = self.trees.len();
        let mut bins = Vec::with_capacity(x.rows * cols);
        let mut values = Vec::with_capacity(x.rows * trees);
        let mut reads = Vec::with_capacity(x.rows * trees);
        for i in 0..x.rows {
            let at = bins.len();
            bins.extend(
                self.features
                    .iter()
                    .zip(x.row(i))
                    .map(|(f, &v)| f.bin_of(v)),
            );
            for tree in &self.trees {
                let (value, mask) = tree.value_reading(&bins[at..]);
                values.push(value);
                reads.push(mask);
            }
        }
        Some(GbdtPaths {
            rows: x.rows,
            bins,
            values,
            reads,
        })
    }

    /// [`Self::predict_proba`] of `x`, rows that differ from those `paths` were taken on only
    /// in the features set in `changed`: only those features are binned again and a tree's
    /// leaf is looked up again only for the rows whose path reads one of them; the others
    /// keep theirs, and the sums run in the same order, so the probabilities are the same to
    /// the bit. Rows of another shape than `paths`' are scored in full.
    pub fn predict_proba_changed(&self, x: &Matrix, paths: &GbdtPaths, changed: u64) -> Vec<f64> {
        let (cols, trees) = (self.features.len(), self.trees.len());
        if x.nrows() != paths.rows
            || x.ncols() != cols
            || paths.bins.len() != paths.rows * cols
            || paths.values.len() != paths.rows * trees
        {
            return self.predict_proba(x);
        }
        let x = standard_layout(x);
        let x = x.row_major();
        let refit: Vec<usize> = (0..cols.min(64))
            .filter(|&j| changed & (1u64 << j) != 0)
            .collect();
        let chunks = crate::parallel::chunk_map(x.rows, &|rows| {
            let mut bins = vec![0u32; cols];
            rows.map(|i| {
                bins.copy_from_slice(&paths.bins[i * cols..(i + 1) * cols]);
                for &j in &refit {
                    bins[j] = self.features[j].bin_of(x.data[i * x.cols + j]);
                }
                let (values, reads) = (
                    &paths.values[i * trees..(i + 1) * trees],
                    &paths.reads[i * trees..(i + 1) * trees],
                );
                let score = self.init_score
                    + self
                        .trees
                        .iter()
                        .enumerate()
                        .map(|(t, tree)| {
                            if reads[t] & changed == 0 {
                                values[t]
                            } else {
                                tree.value(&bins)
                            }
                        })
                        .sum::<f64>();
                sigmoid(score)
            })
            .collect::<Vec<f64>>()
        });
        chunks.into_iter().flatten().collect()
    }

    /// Checks that the model bins `n_features` features and that every tree is a tree: split
    /// features in range, child nodes after their parent (so no walk loops), leaves present.
    pub fn check(&self, n_features: usize) -> Result<()> {
        if self.features.len() != n_features {
            return Err(super::invalid(format!(
                "binning of {} features given {n_features}",
                self.features.len()
            )));
        }
        for (t, tree) in self.trees.iter().enumerate() {
            tree.check(n_features)
                .map_err(|e| super::invalid(format!("tree {t}: {e}")))?;
        }
        Ok(())
    }

    /// Exact SHAP values (TreeSHAP, Lundberg, Erion & Lee 2018, Algorithm 2) of each row of `x`
    /// (NaN = missing), as LightGBM's `predict(x, pred_contrib=True)`: one value per input
    /// feature, then the expected value last (the starting score plus each tree's
    /// row-weighted mean leaf); a row's values sum to its raw score, the log-odds of
    /// churn. `None` when the model was saved before trees kept their training row counts.
    pub fn shap_values(&self, x: &Matrix) -> Option<Vec<Vec<f64>>> {
        let explainer = self.explainer(x.nrows())?;
        Some(self.shap_values_by(x, &explainer))
    }

    /// The TreeSHAP set-up for explaining about `rows` rows in all, built once and shared
    /// by every chunk of them ([`shap_values_by`](Self::shap_values_by)); `None` as in
    /// [`shap_values`](Self::shap_values).
    pub(crate) fn explainer(&self, rows: usize) -> Option<Explainer<'_, Tree>> {
        self.trees
            .iter()
            .all(Tree::has_counts)
            .then(|| Explainer::new(&self.trees, rows))
    }

    /// [`shap_values`](Self::shap_values) with an `explainer` of this model's.
    pub(crate) fn shap_values_by(
        &self,
        x: &Matrix,
        explainer: &Explainer<'_, Tree>,
    ) -> Vec<Vec<f64>> {
        let d = self.features.len();
        let expected = self.init_score + self.trees.iter().map(expected_value).sum::<f64>();
        let x = standard_layout(x);
        let x = x.row_major();
        let task = |chunk: usize, _: &mut dyn FnMut(()) -> bool| {
            let rows = chunk * ROWS_PER_TASK..((chunk + 1) * ROWS_PER_TASK).min(x.rows);
            let bins: Vec<u32> = rows
                .clone()
                .flat_map(|i| (self.features.iter().enumerate()).map(move |(j, f)| (i, j, f)))
                .map(|(i, j, f)| f.bin_of(x.data[i * x.cols + j]))
                .collect();
            let row_bins: Vec<&[u32]> = bins.chunks(d.max(1)).collect();
            let mut phi = vec![vec![0.0; d + 1]; rows.len()];
            explainer.add_rows(&row_bins, &mut phi, &mut explainer.scratch());
            phi.iter_mut().for_each(|p| p[d] = expected);
            phi
        };
        let chunks = crate::parallel::map(x.rows.div_ceil(ROWS_PER_TASK), &mut |_| true, &task);
        chunks.into_iter().flatten().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::tree::Child;
    use super::*;

    #[test]
    fn one_split_on_a_hand_checked_toy_set() {
        // x < 5 never churns, x >= 5 always: with min_data_in_leaf 2 and one tree of two
        // leaves the split is at 4.5. Root: p = 0.5, g = p - y = +-0.5, h = 0.25. Left leaf
        // (5 rows, y = 0): G = 2.5, H = 1.25, output -2 x 0.1 = -0.2; right +0.2.
        let x = Matrix::from_rows(&(0..10).map(|i| vec![f64::from(i)]).collect::<Vec<_>>());
        let y: Vec<u8> = (0..10).map(|i| u8::from(i >= 5)).collect();
        let params = GbdtParams {
            n_trees: 1,
            num_leaves: 2,
            min_data_in_leaf: 2,
            min_data_in_bin: 1,
            ..GbdtParams::default()
        };
        let m = params.fit(&x, &[false], &y, |_| true).expect("fit");
        assert_eq!(m.init_score, 0.0);
        let tree = &m.trees[0];
        assert_eq!(tree.n_leaves(), 2);
        let p = m.predict_proba(&x);
        let low = 1.0 / (1.0 + 0.2f64.exp());
        assert!((p[0] - low).abs() < 1e-12, "{p:?}");
        assert!((p[9] - (1.0 - low)).abs() < 1e-12, "{p:?}");
        assert!((p[4] - low).abs() < 1e-12 && (p[5] - (1.0 - low)).abs() < 1e-12);
    }

    #[test]
    fn learns_missing_values_and_categories() {
        // Churn when x is missing or the plan is level 2 of 6; boosting must find both.
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for i in 0..600 {
            let x = if i % 5 == 0 {
                f64::NAN
            } else {
                f64::from(i % 17)
            };
            let plan = f64::from(i % 6);
            rows.push(vec![x, plan]);
            y.push(u8::from(x.is_nan() || plan == 2.0));
        }
        let x = Matrix::from_rows(&rows);
        let m = GbdtParams::default()
            .fit(&x, &[false, true], &y, |_| true)
            .expect("fit");
        let p = m.predict_proba(&x);
        let errors = p
            .iter()
            .zip(&y)
            .filter(|(p, &y)| (**p >= 0.5) != (y == 1))
            .count();
        assert_eq!(errors, 0, "a rule this simple is learnt exactly");
        // Deterministic, serialisable.
        let again = GbdtParams::default()
            .fit(&x, &[false, true], &y, |_| true)
            .expect("fit");
        assert_eq!(m, again);
        let json = serde_json::to_string(&m).expect("json");
        assert_eq!(serde_json::from_str::<FittedGbdt>(&json).expect("back"), m);
    }

    /// 300 rows: x0 = i mod 17, x1 = 7i mod 11, churn when 13i mod 10 < 2 or x0 > 13
    /// (101 churners); the same arrays as the LightGBM reference below.
    fn weighted_toy() -> (Matrix, Vec<u8>) {
        let rows: Vec<Vec<f64>> = (0..300)
            .map(|i| vec![f64::from(i % 17), f64::from((i * 7) % 11)])
            .collect();
        let y = (0..300)
            .map(|i| u8::from((i * 13) % 10 < 2 || i % 17 > 13))
            .collect();
        (Matrix::from_rows(&rows), y)
    }

    #[test]
    fn class_weights_match_lightgbm() {
        // LightGBM 4.7.0: LGBMClassifier(n_estimators=5, class_weight=CW, n_jobs=1)
        //   .fit(X, y).predict_proba(X[:6])[:, 1]
        let (x, y) = weighted_toy();
        let first_six = |m: &FittedGbdt| m.predict_proba(&x)[..6].to_vec();
        let cases = [
            // class_weight="balanced"
            (
                ClassWeight::Balanced,
                [
                    0.44840791602001684,
                    0.3811690623973694,
                    0.4676396039118572,
                    0.4494056615806939,
                    0.4316394103616674,
                    0.4124663976038842,
                ],
            ),
            // class_weight={0: 1.0, 1: 3.0}
            (
                ClassWeight::Custom {
                    negative: 1.0,
                    positive: 3.0,
                },
                [
                    0.5695440749907176,
                    0.4718918532103431,
                    0.5349450174969064,
                    0.5423837394255202,
                    0.53378199117821,
                    0.5330839264440989,
                ],
            ),
        ];
        for (class_weight, reference) in cases {
            let params = GbdtParams {
                n_trees: 5,
                class_weight,
                ..GbdtParams::default()
            };
            let m = params.fit(&x, &[false, false], &y, |_| true).expect("fit");
            for (a, b) in first_six(&m).iter().zip(reference) {
                // LightGBM keeps thresholds and leaf values in 32 bits, hence 1e-8.
                assert!((a - b).abs() < 1e-8, "{class_weight:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn depth_wise_growth_splits_a_level_before_the_next() {
        // x0 decides churn strongly (x0 = 1 churns unless x2 = 0), x1 matters among x0 = 0
        // only: with 4 leaves, depth-wise growth splits both children of the root (on x2
        // and x1) before going any deeper.
        let rows: Vec<Vec<f64>> = (0..400)
            .map(|i| vec![f64::from(i % 2), f64::from((i / 2) % 2), f64::from(i % 7)])
            .collect();
        let y: Vec<u8> = (0..400)
            .map(|i| u8::from((i % 2 == 1 && i % 7 != 0) || ((i / 2) % 2 == 1 && i % 5 == 0)))
            .collect();
        let x = Matrix::from_rows(&rows);
        let params = GbdtParams {
            n_trees: 1,
            num_leaves: 4,
            min_data_in_leaf: 5,
            growth: Growth::DepthWise,
            ..GbdtParams::default()
        };
        let m = params
            .fit(&x, &[false, false, false], &y, |_| true)
            .expect("fit");
        let tree = &m.trees[0];
        assert_eq!(tree.n_leaves(), 4);
        assert!(
            matches!(
                (tree.nodes[0].left, tree.nodes[0].right),
                (Child::Node(_), Child::Node(_))
            ),
            "both children of the root are split: {:?}",
            tree.nodes
        );
    }

    #[test]
    fn early_stopping_keeps_the_best_prefix_of_trees() {
        // Labels independent of the feature (churn on i mod 3 = 0, x = 7i mod 101): held-out
        // loss soon stops improving, so far fewer than 500 trees are kept.
        let x = Matrix::from_rows(
            &(0..2000)
                .map(|i| vec![f64::from((i * 7) % 101)])
                .collect::<Vec<_>>(),
        );
        let y: Vec<u8> = (0..2000).map(|i| u8::from(i % 3 == 0)).collect();
        let params = GbdtParams {
            n_trees: 500,
            early_stopping: Some(EarlyStopping::default()),
            ..GbdtParams::default()
        };
        let mut seen = 0;
        let m = params
            .fit(&x, &[false], &y, |p| {
                seen = p.iteration;
                true
            })
            .expect("fit");
        assert!(seen < 500, "stopped after {seen} trees");
        assert_eq!(seen - m.trees.len(), 10, "ten rounds past the best");
        assert!(m.validation_loss.is_some_and(f64::is_finite));
        // Deterministic for the seed.
        assert_eq!(params.fit(&x, &[false], &y, |_| true).expect("fit"), m);
        let bad = GbdtParams {
            early_stopping: Some(EarlyStopping {
                validation_fraction: 1.0,
                ..EarlyStopping::default()
            }),
            ..GbdtParams::default()
        };
        assert!(matches!(
            bad.fit(&x, &[false], &y, |_| true),
            Err(ModelError::InvalidParameter(_))
        ));
    }

    /// 600 seeded rows of 5 features: `a` (10% missing), `b`, a plan of 7 levels and a
    /// region of 3 (both categorical, so both kinds of category split occur), noise; churn
    /// from a noisy score of a, b and the plan.
    fn mixed_data(n: usize, seed: u64) -> (Matrix, Vec<u8>, [bool; 5]) {
        let mut rng = crate::rng::Rng::new(seed);
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for _ in 0..n {
            let a = rng.normal();
            let b = rng.normal();
            let plan = rng.below(7) as f64;
            let region = rng.below(3) as f64;
            let seen = if rng.chance(0.1) { f64::NAN } else { a };
            let z = 1.2 * a - b
                + [0.0, 1.0, -0.5, 0.3, 1.5, 0.0, -1.0][plan as usize]
                + 0.3 * region
                + 0.5 * rng.normal();
            rows.push(vec![seen, b, plan, region, rng.normal()]);
            y.push(u8::from(z > 0.2));
        }
        (
            Matrix::from_rows(&rows),
            y,
            [false, false, true, true, false],
        )
    }

    fn raw_scores(m: &FittedGbdt, x: &Matrix) -> Vec<f64> {
        (0..x.nrows())
            .map(|i| {
                let bins: Vec<u32> = (0..x.ncols())
                    .map(|j| m.features[j].bin_of(x.row(i)[j]))
                    .collect();
                m.init_score + m.trees.iter().map(|t| t.value(&bins)).sum::<f64>()
            })
            .collect()
    }

    #[test]
    fn shap_values_sum_to_the_raw_score_and_match_brute_force() {
        // Local accuracy (row sums = raw score) to 1e-9, and each value against the
        // exhaustive sum over all 2^5 subsets of the path-dependent E[f(x) | x_S] to 1e-10,
        // on rows with missing values and both kinds of categorical split.
        let (x, y, flags) = mixed_data(600, 11);
        let params = GbdtParams {
            n_trees: 20,
            num_leaves: 15,
            min_data_in_leaf: 10,
            ..GbdtParams::default()
        };
        let m = params.fit(&x, &flags, &y, |_| true).expect("fit");
        let has_sets = m
            .trees
            .iter()
            .flat_map(|t| &t.nodes)
            .any(|n| matches!(&n.rule, Rule::Levels { left } if left.len() > 1));
        assert!(has_sets, "a many-level categorical split occurs");
        // The training rows plus unseen values: a missing plan, a new level, all missing.
        let mut rows: Vec<Vec<f64>> = (0..60).map(|i| x.row(i).to_vec()).collect();
        rows.push(vec![0.5, -0.2, f64::NAN, 1.0, 0.0]);
        rows.push(vec![-1.0, 0.7, 9.0, 2.0, 0.1]);
        rows.push(vec![f64::NAN; 5]);
        let probe = Matrix::from_rows(&rows);
        let shap = m.shap_values(&probe).expect("counts kept");
        let raw = raw_scores(&m, &probe);
        for (i, (phi, r)) in shap.iter().zip(&raw).enumerate() {
            assert_eq!(phi.len(), 6);
            let sum: f64 = phi.iter().sum();
            assert!((sum - r).abs() < 1e-9, "row {i}: {sum} vs {r}");
            let bins: Vec<u32> = (0..5).map(|j| m.features[j].bin_of(rows[i][j])).collect();
            let mut exact =
                crate::modelling::models::treeshap::brute_force_shap(&m.trees, &bins[..], 5, 1.0);
            exact[5] += m.init_score;
            for (a, b) in phi.iter().zip(&exact) {
                assert!((a - b).abs() < 1e-10, "row {i}: {phi:?} vs {exact:?}");
            }
        }
        // Every row has the same expected value: the mean raw score of the training rows
        // (each tree's row-weighted mean leaf is the mean of its value over those rows).
        let mean = raw_scores(&m, &x).iter().sum::<f64>() / x.nrows() as f64;
        assert!((shap[0][5] - mean).abs() < 1e-9, "{} vs {mean}", shap[0][5]);
    }

    #[test]
    fn shap_values_match_lightgbm() {
        // LightGBM 4.7.0 on the arrays of `weighted_toy`:
        //   LGBMClassifier(n_estimators=5, class_weight=CW, n_jobs=1).fit(X, y)
        //   .booster_.predict(X[:6], pred_contrib=True)
        // (its trees equal ours: see `class_weights_match_lightgbm`; its covers are real
        // row counts even with class weights, as ours).
        let (x, y) = weighted_toy();
        let cases = [
            (
                ClassWeight::None,
                [
                    [
                        -0.21711857929722228,
                        0.04724031525736503,
                        -0.7034811869604611,
                    ],
                    [
                        -0.27782391646075344,
                        -0.19651677147585137,
                        -0.7034811869604611,
                    ],
                    [
                        -0.13282639070844537,
                        0.033569490870132355,
                        -0.7034811869604611,
                    ],
                    [-0.1700866672089646, 0.047388612497601, -0.7034811869604611],
                    [
                        -0.2887100580991798,
                        0.047243010200384135,
                        -0.7034811869604611,
                    ],
                    [
                        -0.2849343066396642,
                        -0.006115170258409682,
                        -0.7034811869604611,
                    ],
                ],
            ),
            (
                ClassWeight::Balanced,
                [
                    [
                        -0.1606336207610699,
                        0.050992509755125565,
                        -0.09746433882768607,
                    ],
                    [
                        -0.20209753748934065,
                        -0.1850272272252849,
                        -0.09746433882768607,
                    ],
                    [
                        -0.06251357015149743,
                        0.030355134882535224,
                        -0.09746433882768607,
                    ],
                    [
                        -0.14220570552937448,
                        0.03659769202690971,
                        -0.09746433882768607,
                    ],
                    [
                        -0.24557865843161916,
                        0.06787748050452769,
                        -0.09746433882768607,
                    ],
                    [
                        -0.2578379005911637,
                        0.0015235415707238178,
                        -0.09746433882768607,
                    ],
                ],
            ),
        ];
        for (class_weight, reference) in cases {
            let params = GbdtParams {
                n_trees: 5,
                class_weight,
                ..GbdtParams::default()
            };
            let m = params.fit(&x, &[false, false], &y, |_| true).expect("fit");
            let shap = m
                .shap_values(&x.select_rows(&[0, 1, 2, 3, 4, 5]))
                .expect("counts");
            for (ours, theirs) in shap.iter().zip(reference) {
                for (a, b) in ours.iter().zip(theirs) {
                    // LightGBM keeps thresholds and leaf values in 32 bits, hence 1e-8.
                    assert!(
                        (a - b).abs() < 1e-8,
                        "{class_weight:?}: {ours:?} vs {theirs:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn models_saved_before_row_counts_load_and_predict_but_give_no_shap() {
        let (x, y) = weighted_toy();
        let params = GbdtParams {
            n_trees: 3,
            ..GbdtParams::default()
        };
        let m = params.fit(&x, &[false, false], &y, |_| true).expect("fit");
        let mut json = serde_json::to_value(&m).expect("json");
        for tree in json["trees"].as_array_mut().expect("trees") {
            let tree = tree.as_object_mut().expect("tree");
            assert!(tree.remove("internal_count").is_some() && tree.remove("leaf_count").is_some());
        }
        let old: FittedGbdt = serde_json::from_value(json).expect("old model loads");
        assert_eq!(old.predict_proba(&x), m.predict_proba(&x));
        assert!(old.shap_values(&x).is_none());
        assert!(m.shap_values(&x).is_some());
    }

    #[test]
    fn check_names_the_tree_and_node_that_is_out_of_place() {
        let (x, y) = weighted_toy();
        let params = GbdtParams {
            n_trees: 2,
            ..GbdtParams::default()
        };
        let mut m = params.fit(&x, &[false, false], &y, |_| true).expect("fit");
        assert_eq!(m.check(2), Ok(()));
        let leaves = m.trees[1].leaves.len();
        let nodes = m.trees[1].nodes.len();
        m.trees[1].nodes[0].left = Child::Leaf(leaves);
        assert_eq!(
            m.check(2).expect_err("damaged").to_string(),
            format!(
                "the model is inconsistent: tree 1: node 0 points to Leaf({leaves}) of {nodes} \
                 nodes and {leaves} leaves"
            )
        );
    }

    /// Speed of `shap_values` on one thread against Algorithm 2 (the code before issue 18),
    /// printed (run with `--profile native -- --ignored --nocapture shap_speed`).
    #[test]
    #[ignore]
    fn shap_speed() {
        let (x, y) = crate::modelling::models::treeshap::speed_data();
        let m = GbdtParams::default()
            .fit(&x, &[false; 20], &y, |_| true)
            .expect("fit");
        let probe = x.select_rows(&(0..2000).collect::<Vec<_>>());
        crate::parallel::set_threads(1);
        let start = std::time::Instant::now();
        let shap = m.shap_values(&probe).expect("counts");
        let fast = start.elapsed().as_secs_f64();
        crate::parallel::set_threads(0);
        let start = std::time::Instant::now();
        let mut path = Vec::new();
        let mut worst = 0.0f64;
        for (i, row) in shap.iter().enumerate() {
            let bins: Vec<u32> = (0..20)
                .map(|j| m.features[j].bin_of(probe.row(i)[j]))
                .collect();
            let mut phi = vec![0.0; 20];
            for tree in &m.trees {
                crate::modelling::models::treeshap::algorithm2::add_shap(
                    tree,
                    &bins[..],
                    &mut phi,
                    &mut path,
                );
            }
            worst = (0..20).fold(worst, |w, j| w.max((phi[j] - row[j]).abs()));
        }
        let before = start.elapsed().as_secs_f64();
        let leaves: usize = m.trees.iter().map(Tree::n_leaves).sum();
        println!(
            "gbdt shap: {} rows, {} trees, {leaves} leaves, 20 features, one thread: \
             {:.1} µs/row (Algorithm 2: {:.1} µs/row, {:.1}x), largest difference {worst:.1e}",
            shap.len(),
            m.trees.len(),
            fast / 2000.0 * 1e6,
            before / 2000.0 * 1e6,
            before / fast
        );
    }

    /// Histograms a feature per task, gradients and the loss in fixed chunks, the rows of a
    /// split in chunks: the same trees, losses and probabilities on 1, 2 and 3 threads.
    /// 60,000 rows × 5 features make the root's histograms (300,000 cells) and the first
    /// splits big enough to be shared out, and four chunks of rows.
    #[test]
    fn the_same_model_on_any_number_of_threads() {
        let _guard = crate::parallel::tests::THREAD_SETTING.lock();
        let (x, y, categorical) = mixed_data(60_000, 11);
        const { assert!(60_000 * 5 >= histogram::PARALLEL_CELLS) };
        let mut fits = Vec::new();
        for threads in [1, 2, 3] {
            crate::parallel::set_threads(threads);
            let mut losses = Vec::new();
            let m = GbdtParams {
                n_trees: 20,
                ..GbdtParams::default()
            }
            .fit(&x, &categorical, &y, |p| {
                losses.push(p.loss.to_bits());
                true
            })
            .expect("fit");
            let p: Vec<u64> = m.predict_proba(&x).iter().map(|v| v.to_bits()).collect();
            fits.push((serde_json::to_string(&m).expect("json"), losses, p));
        }
        crate::parallel::set_threads(0);
        assert!(fits[0] == fits[1] && fits[1] == fits[2]);
    }

    /// `cols` columns of standard normal values (seed 5), churn from the first three.
    fn wide_data(rows: usize, cols: usize) -> (Matrix, Vec<u8>) {
        let mut rng = crate::rng::Rng::new(5);
        let x: Vec<Vec<f64>> = (0..rows)
            .map(|_| (0..cols).map(|_| rng.normal()).collect())
            .collect();
        let y = x
            .iter()
            .map(|r| u8::from(r[0] - r[1] * r[2] + 0.5 * rng.normal() > 0.0))
            .collect();
        (Matrix::from_rows(&x), y)
    }

    /// The split search shared out over the cores (forced for every pair of leaves) picks
    /// the same splits as on one thread: 2,000 rows × 40 columns, 10 trees, 1 to 3 threads.
    #[test]
    fn the_same_splits_when_the_search_is_shared_out() {
        use std::sync::atomic::Ordering;
        let _guard = crate::parallel::tests::THREAD_SETTING.lock();
        let (x, y) = wide_data(2000, 40);
        grow::SPLIT_BINS_FOR_TESTS.store(1, Ordering::Relaxed);
        let fits: Vec<String> = [1, 2, 3]
            .into_iter()
            .map(|threads| {
                crate::parallel::set_threads(threads);
                let params = GbdtParams {
                    n_trees: 10,
                    ..GbdtParams::default()
                };
                let m = params.fit(&x, &[false; 40], &y, |_| true).expect("fit");
                serde_json::to_string(&m).expect("json")
            })
            .collect();
        grow::SPLIT_BINS_FOR_TESTS.store(0, Ordering::Relaxed);
        crate::parallel::set_threads(0);
        assert!(fits[0] == fits[1] && fits[1] == fits[2]);
    }

    /// The split search on one core and shared out over two, for tables of 30 to 1,000
    /// columns (20,000 rows, 20 trees): printed, to set `PARALLEL_SPLIT_BINS` (run with
    /// `--profile native -- --ignored --nocapture split_search_speed`).
    #[test]
    #[ignore]
    fn split_search_speed() {
        use std::sync::atomic::Ordering;
        let _guard = crate::parallel::tests::THREAD_SETTING.lock();
        crate::parallel::set_threads(2);
        for cols in [30, 100, 200, 300, 1000] {
            let (x, y) = wide_data(20_000, cols);
            let mut times = Vec::new();
            for threshold in [usize::MAX, 1] {
                grow::SPLIT_BINS_FOR_TESTS.store(threshold, Ordering::Relaxed);
                let start = std::time::Instant::now();
                let params = GbdtParams {
                    n_trees: 20,
                    ..GbdtParams::default()
                };
                params
                    .fit(&x, &vec![false; cols], &y, |_| true)
                    .expect("fit");
                times.push(start.elapsed().as_secs_f64());
            }
            println!(
                "{cols} columns (two leaves: {} bins), 2 threads: split search on one core \
                 {:.3} s, shared out {:.3} s",
                2 * cols * 256,
                times[0],
                times[1]
            );
        }
        grow::SPLIT_BINS_FOR_TESTS.store(0, Ordering::Relaxed);
        crate::parallel::set_threads(0);
    }

    #[test]
    fn reports_progress_and_can_be_cancelled() {
        let x = Matrix::from_rows(
            &(0..100)
                .map(|i| vec![f64::from(i % 10)])
                .collect::<Vec<_>>(),
        );
        let y: Vec<u8> = (0..100).map(|i| u8::from(i % 10 > 6)).collect();
        let mut seen = Vec::new();
        let params = GbdtParams {
            n_trees: 5,
            ..GbdtParams::default()
        };
        params
            .fit(&x, &[false], &y, |p| {
                seen.push(p.iteration);
                true
            })
            .expect("fit");
        assert_eq!(seen, [1, 2, 3, 4, 5]);
        let err = params
            .fit(&x, &[false], &y, |p| p.iteration < 3)
            .expect_err("cancel");
        assert_eq!(err, ModelError::Cancelled);
    }
}
