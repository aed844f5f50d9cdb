//! Logistic regression with an L2, L1 or elastic-net penalty and optional class weights.
//!
//! Maths: with labels y ∈ {0, 1}, row weights s_i (1 unless classes are weighted, S = Σ s_i),
//! scores z = Xw + b and p = σ(z), the fit minimises
//!
//! ```text
//!   L(w, b) = (1/S) Σ_i s_i [ log(1 + e^{z_i}) - y_i z_i ]
//!             + (1 / (C S)) [ (1 - ρ)/2 (‖w‖² [+ b²]) + ρ (‖w‖₁ [+ |b|]) ]
//! ```
//!
//! with ρ = 0 for L2, 1 for L1 and the `l1_ratio` in between for the elastic net. That is
//! scikit-learn's `LogisticRegression(C=C, l1_ratio=ρ, class_weight=…)` objective divided by
//! S, the scaling of its lbfgs solver (`_logistic_regression_path`, `sw_sum`) and of saga
//! whenever S = n (no weights, or `class_weight="balanced"`, whose weights sum to n); the
//! minimiser is the same. scikit-learn leaves the intercept unpenalised; its liblinear
//! solver penalises it like a weight (`intercept_scaling=1`), which
//! [`LogisticRegressionParams::penalize_intercept`] reproduces. The smooth part has gradient
//! (1/S) Xᵀ(s ∘ (p − y)) + (1 − ρ) w/(C S); it is convex, so L-BFGS ([`super::lbfgs`]) reaches
//! the optimum, and OWL-QN ([`super::lbfgs::minimize_l1`]) when there is an L1 part.
//!
//! ```
//! use churnscope_engine::matrix::MatrixExt;
//! use churnscope_engine::modelling::models::LogisticRegressionParams;
//! use churnscope_engine::modelling::preprocessing::Matrix;
//! let x = Matrix::from_rows(&[vec![0.0], vec![1.0], vec![2.0], vec![3.0]]);
//! let model = LogisticRegressionParams::new().c(10.0).fit(&x, &[0, 0, 1, 1], |_| true).expect("two classes, finite values");
//! let p = model.predict_proba(&x);
//! assert!(p[0] < 0.5 && p[3] > 0.5);
//! ```
//!
//! Reference: Hastie, Tibshirani and Friedman, *The Elements of Statistical Learning*, 4.4.

use serde::{Deserialize, Serialize};

use super::lbfgs::{minimize_l1, LbfgsSettings};
use super::{
    check_sparse_training_data, check_training_data, ClassWeight, ModelError, Progress, Result,
};
use crate::matrix::{standard_layout, Features, MatrixExt, RowCells, SparseRows};
use crate::modelling::preprocessing::Matrix;

/// The penalty on the weights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Penalty {
    /// Squared L2 norm (ridge), scikit-learn's default.
    #[default]
    L2,
    /// L1 norm (lasso): drives weak features' weights to exactly 0.
    L1,
    /// `l1_ratio` · L1 + (1 − `l1_ratio`) · L2/2, with `l1_ratio` in [0, 1].
    ElasticNet { l1_ratio: f64 },
}

impl Penalty {
    /// The share ρ of the L1 part.
    pub fn l1_ratio(self) -> f64 {
        match self {
            Penalty::L2 => 0.0,
            Penalty::L1 => 1.0,
            Penalty::ElasticNet { l1_ratio } => l1_ratio,
        }
    }
}

/// Hyperparameters of a logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticRegressionParams {
    c: f64,
    penalize_intercept: bool,
    max_iterations: usize,
    tolerance: f64,
    #[serde(default)]
    penalty: Penalty,
    #[serde(default)]
    class_weight: ClassWeight,
}

impl Default for LogisticRegressionParams {
    fn default() -> Self {
        Self::new()
    }
}

impl LogisticRegressionParams {
    /// Defaults: `C = 1.0`, L2, no class weights, unpenalised intercept, 1000 iterations,
    /// gradient tolerance 1e-8.
    pub fn new() -> Self {
        LogisticRegressionParams {
            c: 1.0,
            penalize_intercept: false,
            max_iterations: 1000,
            tolerance: 1e-8,
            penalty: Penalty::L2,
            class_weight: ClassWeight::None,
        }
    }

    /// The penalty (default [`Penalty::L2`]).
    pub fn penalty(mut self, penalty: Penalty) -> Self {
        self.penalty = penalty;
        self
    }

    /// How much each class counts (default [`ClassWeight::None`]).
    pub fn class_weight(mut self, class_weight: ClassWeight) -> Self {
        self.class_weight = class_weight;
        self
    }

    /// The inverse regularisation strength C.
    pub fn c_value(&self) -> f64 {
        self.c
    }

    /// The class weights.
    pub fn class_weight_kind(&self) -> ClassWeight {
        self.class_weight
    }

    /// The chosen penalty.
    pub fn penalty_kind(&self) -> Penalty {
        self.penalty
    }

    /// Inverse regularisation strength (default 1.0); smaller means stronger shrinkage.
    pub fn c(mut self, c: f64) -> Self {
        self.c = c;
        self
    }

    /// Penalise the intercept like a weight, as liblinear does (default `false`, as lbfgs).
    pub fn penalize_intercept(mut self, yes: bool) -> Self {
        self.penalize_intercept = yes;
        self
    }

    /// Iteration cap of the solver (default 1000).
    pub fn max_iterations(mut self, n: usize) -> Self {
        self.max_iterations = n;
        self
    }

    /// Stop when every gradient component of the averaged loss is below this (default 1e-8).
    pub fn tolerance(mut self, tol: f64) -> Self {
        self.tolerance = tol;
        self
    }

    /// Rejects parameters no fit could honour.
    pub fn check(&self) -> Result<()> {
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(ModelError::InvalidParameter(format!(
                "C must be a positive number, got {}",
                self.c
            )));
        }
        if !(self.tolerance.is_finite() && self.tolerance > 0.0) {
            return Err(ModelError::InvalidParameter(format!(
                "tolerance must be positive, got {}",
                self.tolerance
            )));
        }
        if self.max_iterations == 0 {
            return Err(ModelError::InvalidParameter(
                "max_iterations must be at least 1".into(),
            ));
        }
        let rho = self.penalty.l1_ratio();
        if !(0.0..=1.0).contains(&rho) {
            return Err(ModelError::InvalidParameter(format!(
                "l1_ratio must be between 0 and 1, got {rho}"
            )));
        }
        if let ClassWeight::Custom { .. } = self.class_weight {
            self.class_weight.class_weights(&[0, 1])?;
        }
        Ok(())
    }

    /// Fits on features `x` and 0/1 labels `y`. `progress` is called after every solver
    /// iteration; returning `false` cancels with [`ModelError::Cancelled`].
    pub fn fit(
        &self,
        x: &Matrix,
        y: &[u8],
        progress: impl FnMut(Progress) -> bool,
    ) -> Result<FittedLogisticRegression> {
        self.check()?;
        let x = &*standard_layout(x);
        check_training_data(x, y)?;
        // One-hot columns of many levels leave most cells zero: the solver's passes then read
        // only the non-zero cells (the same sums, see [`RowCells`]).
        match SparseRows::of(x.row_major(), SPARSE_SHARE) {
            Some(rows) => self.solve(&rows, x.ncols(), y, progress),
            None => self.solve(&x.row_major(), x.ncols(), y, progress),
        }
    }

    /// [`Self::fit`] on features as the preprocessor gives them: the same model from their
    /// non-zero cells as from every cell.
    pub fn fit_features(
        &self,
        x: &Features,
        y: &[u8],
        progress: impl FnMut(Progress) -> bool,
    ) -> Result<FittedLogisticRegression> {
        match x {
            Features::Dense(m) => self.fit(m, y, progress),
            Features::Sparse(rows) => {
                self.check()?;
                if !check_sparse_training_data(rows, y)? {
                    return self.fit(&rows.to_dense(), y, progress);
                }
                self.solve(rows, rows.cols(), y, progress)
            }
        }
    }

    /// The fit on `x`'s rows of `d` features each.
    fn solve(
        &self,
        x: &impl RowCells,
        d: usize,
        y: &[u8],
        mut progress: impl FnMut(Progress) -> bool,
    ) -> Result<FittedLogisticRegression> {
        let n = x.n_rows();
        let weights = self.class_weight.sample_weights(y)?;
        let total = weights.as_ref().map_or(n as f64, |w| w.iter().sum::<f64>());
        let strength = 1.0 / (self.c * total);
        let rho = self.penalty.l1_ratio();
        let l2 = (1.0 - rho) * strength;
        let mut l1 = Vec::new();
        if rho > 0.0 {
            l1 = vec![rho * strength; d + 1];
            l1[d] = if self.penalize_intercept {
                rho * strength
            } else {
                0.0
            };
        }
        let penalize_intercept = self.penalize_intercept;
        let objective = |theta: &[f64], grad: &mut [f64]| -> f64 {
            let smooth = Smooth {
                y,
                weights: weights.as_deref(),
                l2,
                penalize_intercept,
            };
            smooth.loss_and_gradient(x, theta, grad)
        };
        let settings = LbfgsSettings {
            gradient_tolerance: self.tolerance,
            max_iterations: self.max_iterations,
            memory: 10,
        };
        let max_iterations = self.max_iterations;
        let result = minimize_l1(
            objective,
            vec![0.0; d + 1],
            &l1,
            settings,
            |iteration, loss| {
                progress(Progress {
                    iteration,
                    max_iterations,
                    loss,
                })
            },
        )
        .ok_or(ModelError::Cancelled)?;
        Ok(FittedLogisticRegression {
            coefficients: result.x[..d].to_vec(),
            intercept: result.x[d],
            iterations: result.iterations,
            converged: result.converged,
            loss: result.value,
        })
    }
}

/// The smooth part of the objective in the module text at `theta` = (w, b), writing its
/// gradient to `grad`: the (weighted) mean log loss plus `l2`/2 · ‖w‖² (and b² when
/// `penalize_intercept`). With `weights`, the
/// mean is taken over their sum, as scikit-learn's `LinearModelLoss.loss_gradient` does.
pub fn logistic_loss_and_gradient(
    x: &Matrix,
    y: &[u8],
    weights: Option<&[f64]>,
    theta: &[f64],
    l2: f64,
    penalize_intercept: bool,
    grad: &mut [f64],
) -> f64 {
    let x = standard_layout(x);
    let smooth = Smooth {
        y,
        weights,
        l2,
        penalize_intercept,
    };
    smooth.loss_and_gradient(&x.row_major(), theta, grad)
}

/// A fit's share of non-zero cells at or below which the solver reads the rows sparsely.
pub(crate) const SPARSE_SHARE: f64 = 0.25;

/// The smooth part of the objective, but for the rows it is taken over.
struct Smooth<'a> {
    y: &'a [u8],
    weights: Option<&'a [f64]>,
    l2: f64,
    penalize_intercept: bool,
}

impl Smooth<'_> {
    /// [`logistic_loss_and_gradient`] over the rows of `x`, dense or sparse.
    fn loss_and_gradient(&self, x: &impl RowCells, theta: &[f64], grad: &mut [f64]) -> f64 {
        let (y, weights, l2) = (self.y, self.weights, self.l2);
        let d = theta.len() - 1;
        let (w, b) = (&theta[..d], theta[d]);
        let n = x.n_rows();
        // Fixed chunks of rows on every core ([`crate::parallel::chunk_map`]), each chunk's
        // loss and gradient summed over its rows in order and the chunks added in order: the
        // same values on any number of threads (and, up to 16,384 rows, a plain sum over the
        // rows).
        let parts = crate::parallel::chunk_map(n, &|rows| {
            let mut part = vec![0.0; d + 2];
            for i in rows {
                let zi = b + x.dot(i, w);
                let s = weights.map_or(1.0, |w| w[i]);
                let (plus, p) = softplus_and_sigmoid(zi);
                part[d + 1] += s * (plus - f64::from(y[i]) * zi);
                let r = s * (p - f64::from(y[i]));
                x.add_scaled(i, r, &mut part[..d]);
                part[d] += r;
            }
            part
        });
        grad.iter_mut().for_each(|g| *g = 0.0);
        let mut loss = 0.0;
        for part in &parts {
            for (g, p) in grad.iter_mut().zip(part) {
                *g += p;
            }
            loss += part[d + 1];
        }
        let inv_total = 1.0 / weights.map_or(n as f64, |w| w.iter().sum::<f64>());
        grad.iter_mut().for_each(|g| *g *= inv_total);
        loss *= inv_total;
        for (g, wj) in grad[..d].iter_mut().zip(w) {
            *g += l2 * wj;
        }
        let mut penalty = w.iter().map(|v| v * v).sum::<f64>();
        if self.penalize_intercept {
            grad[d] += l2 * b;
            penalty += b * b;
        }
        loss + 0.5 * l2 * penalty
    }
}

/// log(1 + e^z) without overflow.
pub fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// 1 / (1 + e^-z) without overflow.
/// [`softplus`] and [`sigmoid`] of `z` from one exponential, e^(−|z|), which both use: the
/// same values as the two functions, at half the cost (the exponential dominates a row of
/// the logistic loss, most of all in the browser, where `exp` is software).
pub fn softplus_and_sigmoid(z: f64) -> (f64, f64) {
    let e = (-z.abs()).exp();
    if z > 0.0 {
        (z + e.ln_1p(), 1.0 / (1.0 + e))
    } else if z == 0.0 {
        (e.ln_1p(), 1.0 / (1.0 + e))
    } else {
        (e.ln_1p(), e / (1.0 + e))
    }
}

pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedLogisticRegression {
    /// One weight per feature, in the preprocessor's feature order.
    pub coefficients: Vec<f64>,
    pub intercept: f64,
    /// Solver iterations used.
    pub iterations: usize,
    /// Whether the gradient tolerance was reached within the iteration cap.
    pub converged: bool,
    /// Final value of the regularised average loss.
    pub loss: f64,
}

impl FittedLogisticRegression {
    /// [`Self::predict_proba`] of features as the preprocessor gives them (the same sums:
    /// a zero cell adds nothing).
    pub fn predict_features(&self, x: &Features) -> Vec<f64> {
        match x {
            Features::Dense(m) => self.predict_proba(m),
            Features::Sparse(rows) => {
                debug_assert_eq!(rows.cols(), self.coefficients.len());
                (0..rows.n_rows())
                    .map(|i| {
                        let (columns, values) = rows.row(i);
                        let z = self.intercept
                            + columns
                                .iter()
                                .zip(values)
                                .map(|(&j, a)| a * self.coefficients[j as usize])
                                .sum::<f64>();
                        sigmoid(z)
                    })
                    .collect()
            }
        }
    }

    /// Probability of the positive class for each row of `x`.
    pub fn predict_proba(&self, x: &Matrix) -> Vec<f64> {
        let x = standard_layout(x);
        let x = x.row_major();
        (0..x.rows)
            .map(|i| {
                let z = self.intercept
                    + x.row(i)
                        .iter()
                        .zip(&self.coefficients)
                        .map(|(a, w)| a * w)
                        .sum::<f64>();
                sigmoid(z)
            })
            .collect()
    }

    /// Checks that there is one coefficient per feature of `n_features`.
    pub fn check(&self, n_features: usize) -> Result<()> {
        if self.coefficients.len() != n_features {
            return Err(super::invalid(format!(
                "{} coefficients for {n_features} features",
                self.coefficients.len()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twelve rows, two features; the data and the references below were produced with
    /// scikit-learn 1.9.1 (see each constant).
    fn toy() -> (Matrix, Vec<u8>) {
        let rows = [
            [0.5, 1.2],
            [-1.0, 0.3],
            [1.5, -0.7],
            [2.0, 1.1],
            [-0.3, -1.5],
            [0.8, 0.4],
            [-1.7, 0.9],
            [1.1, 2.2],
            [-0.6, -0.2],
            [0.2, -1.1],
            [1.9, 0.1],
            [-1.2, -0.8],
        ];
        let y = vec![1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1];
        (
            Matrix::from_rows(&rows.iter().map(|r| r.to_vec()).collect::<Vec<_>>()),
            y,
        )
    }

    #[test]
    fn matches_sklearn_lbfgs_coefficients() {
        // LogisticRegression(C=1.0, solver="lbfgs", tol=1e-12, max_iter=10000).fit(X, y)
        // (scikit-learn 1.9.1): coef_ = SKLEARN_LBFGS_COEF, intercept_ = SKLEARN_LBFGS_INTERCEPT.
        let (x, y) = toy();
        let m = LogisticRegressionParams::new()
            .fit(&x, &y, |_| true)
            .expect("fit");
        assert!(m.converged);
        for (a, b) in m.coefficients.iter().zip(SKLEARN_LBFGS_COEF) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        assert!((m.intercept - SKLEARN_LBFGS_INTERCEPT).abs() < 1e-6);
    }

    /// 3,000 rows of a number and a one-hot column of 300 levels (seed 9): 2 of 301 cells
    /// a row non-zero, so the fit reads the rows sparsely.
    fn one_hot_rows() -> (Matrix, Vec<u8>) {
        let mut rng = crate::rng::Rng::new(9);
        let (n, levels) = (3000, 300);
        let mut rows = Vec::with_capacity(n);
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let level = rng.below(levels);
            let number = rng.normal();
            let mut row = vec![0.0; levels + 1];
            row[0] = number;
            row[1 + level] = 1.0;
            y.push(u8::from(
                number + (level % 7) as f64 / 3.0 - 1.0 + rng.normal() > 0.0,
            ));
            rows.push(row);
        }
        (Matrix::from_rows(&rows), y)
    }

    #[test]
    fn sparse_rows_give_the_dense_loss_gradient_and_fit() {
        let (x, y) = one_hot_rows();
        let dense = x.row_major();
        let sparse = SparseRows::of(dense, SPARSE_SHARE).expect("2 of 301 cells a row");
        assert_eq!(sparse.non_zero(), 2 * 3000);
        let mut rng = crate::rng::Rng::new(10);
        let theta: Vec<f64> = (0..302).map(|_| rng.normal()).collect();
        let weights: Vec<f64> = (0..3000).map(|i| 1.0 + (i % 3) as f64).collect();
        for weights in [None, Some(weights.as_slice())] {
            let smooth = Smooth {
                y: &y,
                weights,
                l2: 0.01,
                penalize_intercept: false,
            };
            let (mut g_dense, mut g_sparse) = (vec![0.0; 302], vec![0.0; 302]);
            let l_dense = smooth.loss_and_gradient(&dense, &theta, &mut g_dense);
            let l_sparse = smooth.loss_and_gradient(&sparse, &theta, &mut g_sparse);
            // The same sums, the dense dot products in four running sums: equal up to
            // rounding.
            assert!(
                (l_dense - l_sparse).abs() <= 1e-12 * l_dense.abs(),
                "{l_dense} {l_sparse}"
            );
            for (a, b) in g_dense.iter().zip(&g_sparse) {
                assert!((a - b).abs() <= 1e-12, "{a} {b}");
            }
        }
        // The fit (sparse inside) equals the objective's own minimiser on the dense rows.
        let m = LogisticRegressionParams::new()
            .fit(&x, &y, |_| true)
            .expect("fit");
        let mut grad = vec![0.0; 302];
        let mut theta = m.coefficients.clone();
        theta.push(m.intercept);
        logistic_loss_and_gradient(&x, &y, None, &theta, 1.0 / 3000.0, false, &mut grad);
        let largest = grad.iter().map(|g| g.abs()).fold(0.0, f64::max);
        assert!(m.converged && largest < 1e-4, "gradient {largest}");
    }

    /// Features given as their non-zero cells (the preprocessor's sparse rows) fit the
    /// model the dense matrix fits, and score every row to the same bit; with class
    /// weights too. Non-finite cells are named by row and feature.
    #[test]
    fn sparse_features_fit_and_score_as_the_dense_matrix() {
        let (x, y) = one_hot_rows();
        let sparse = Features::Sparse(SparseRows::of(x.row_major(), 1.0).expect("rows"));
        let dense = Features::Dense(x.clone());
        for params in [
            LogisticRegressionParams::new(),
            LogisticRegressionParams::new().class_weight(ClassWeight::Balanced),
        ] {
            let a = params.fit(&x, &y, |_| true).expect("dense fit");
            let b = params
                .fit_features(&sparse, &y, |_| true)
                .expect("sparse fit");
            let c = params
                .fit_features(&dense, &y, |_| true)
                .expect("dense features");
            assert_eq!(a, b);
            assert_eq!(a, c);
            let (p, q) = (a.predict_proba(&x), b.predict_features(&sparse));
            let bits = |v: &[f64]| v.iter().map(|p| p.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&p), bits(&q));
        }
        let mut bad = x.clone();
        bad[[7, 0]] = f64::INFINITY;
        let bad = Features::Sparse(SparseRows::of(bad.row_major(), 1.0).expect("rows"));
        assert!(matches!(
            LogisticRegressionParams::new().fit_features(&bad, &y, |_| true),
            Err(ModelError::NonFinite {
                row: 7,
                feature: 0,
                ..
            })
        ));
    }

    #[test]
    fn matches_sklearn_liblinear_with_penalised_intercept() {
        // LogisticRegression(C=0.5, solver="liblinear", tol=1e-12, max_iter=10000).fit(X, y)
        // (scikit-learn 1.9.1).
        let (x, y) = toy();
        let m = LogisticRegressionParams::new()
            .c(0.5)
            .penalize_intercept(true)
            .fit(&x, &y, |_| true)
            .expect("fit");
        for (a, b) in m.coefficients.iter().zip(SKLEARN_LIBLINEAR_COEF) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
        assert!((m.intercept - SKLEARN_LIBLINEAR_INTERCEPT).abs() < 1e-5);
    }

    /// Forty rows, four features (numpy `RandomState(0)`, rounded to 3 decimals; label
    /// x0 − 0.5·x1 + noise > 0): only the first two features carry signal.
    fn sparse_toy() -> (Matrix, Vec<u8>) {
        let rows: [[f64; 4]; 40] = [
            [1.764, 0.4, 0.979, 2.241],
            [1.868, -0.977, 0.95, -0.151],
            [-0.103, 0.411, 0.144, 1.454],
            [0.761, 0.122, 0.444, 0.334],
            [1.494, -0.205, 0.313, -0.854],
            [-2.553, 0.654, 0.864, -0.742],
            [2.27, -1.454, 0.046, -0.187],
            [1.533, 1.469, 0.155, 0.378],
            [-0.888, -1.981, -0.348, 0.156],
            [1.23, 1.202, -0.387, -0.302],
            [-1.049, -1.42, -1.706, 1.951],
            [-0.51, -0.438, -1.253, 0.777],
            [-1.614, -0.213, -0.895, 0.387],
            [-0.511, -1.181, -0.028, 0.428],
            [0.067, 0.302, -0.634, -0.363],
            [-0.672, -0.36, -0.813, -1.726],
            [0.177, -0.402, -1.63, 0.463],
            [-0.907, 0.052, 0.729, 0.129],
            [1.139, -1.235, 0.402, -0.685],
            [-0.871, -0.579, -0.312, 0.056],
            [-1.165, 0.901, 0.466, -1.536],
            [1.488, 1.896, 1.179, -0.18],
            [-1.071, 1.054, -0.403, 1.222],
            [0.208, 0.977, 0.356, 0.707],
            [0.011, 1.786, 0.127, 0.402],
            [1.883, -1.348, -1.27, 0.969],
            [-1.173, 1.944, -0.414, -0.747],
            [1.923, 1.481, 1.868, 0.906],
            [-0.861, 1.91, -0.268, 0.802],
            [0.947, -0.155, 0.614, 0.922],
            [0.376, -1.099, 0.298, 1.326],
            [-0.695, -0.15, -0.435, 1.849],
            [0.672, 0.407, -0.77, 0.539],
            [-0.674, 0.032, -0.636, 0.676],
            [0.577, -0.208, 0.396, -1.093],
            [-1.491, 0.439, 0.167, 0.635],
            [2.383, 0.944, -0.913, 1.117],
            [-1.316, -0.462, -0.068, 1.713],
            [-0.745, -0.826, -0.098, -0.663],
            [1.127, -1.08, -1.147, -0.438],
        ];
        let y = vec![
            1, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0,
            1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 1,
        ];
        (
            Matrix::from_rows(&rows.iter().map(|r| r.to_vec()).collect::<Vec<_>>()),
            y,
        )
    }

    fn assert_close(ours: &[f64], reference: &[f64], tol: f64) {
        assert_eq!(ours.len(), reference.len());
        for (a, b) in ours.iter().zip(reference) {
            assert!((a - b).abs() < tol, "{ours:?} vs {reference:?}");
        }
    }

    #[test]
    fn loss_and_gradient_match_sklearn_at_given_weights() {
        // scikit-learn 1.9.1: LinearModelLoss(HalfBinomialLoss(), fit_intercept=True)
        //   .loss_gradient(coef=[0.3, -0.7, 0.25], X, y, sample_weight, l2_reg_strength)
        // with l2_reg_strength = 1 / (C · sw_sum), C = 0.5 (what lbfgs passes).
        let (x, y) = toy();
        let theta = [0.3, -0.7, 0.25];
        let mut grad = [0.0; 3];
        let loss = logistic_loss_and_gradient(&x, &y, None, &theta, 1.0 / 6.0, false, &mut grad);
        assert!((loss - 0.8756063943806881).abs() < 1e-12, "{loss}");
        assert_close(
            &grad,
            &[
                -0.14611504146900656,
                -0.46496875519808634,
                0.04942081573346673,
            ],
            1e-12,
        );
        // sample_weight = SW, sw_sum = 15.25, l2_reg_strength = 0.13114754098360656.
        const SW: [f64; 12] = [1.0, 2.0, 0.5, 1.0, 1.5, 1.0, 3.0, 1.0, 0.25, 1.0, 2.0, 1.0];
        let loss = logistic_loss_and_gradient(
            &x,
            &y,
            Some(&SW),
            &theta,
            1.0 / (0.5 * 15.25),
            false,
            &mut grad,
        );
        assert!((loss - 0.8461494170211827).abs() < 1e-12, "{loss}");
        assert_close(
            &grad,
            &[
                -0.10361574897619316,
                -0.35630288809758914,
                0.15589244991934495,
            ],
            1e-12,
        );
    }

    #[test]
    fn class_weights_match_sklearn_lbfgs() {
        // Three positives in twelve. LogisticRegression(class_weight=…, C=1.0, solver="lbfgs",
        // tol=1e-12, max_iter=10000).fit(X, Y_RARE), scikit-learn 1.9.1.
        const Y_RARE: [u8; 12] = [1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0];
        let (x, _) = toy();
        let balanced = LogisticRegressionParams::new()
            .class_weight(ClassWeight::Balanced)
            .fit(&x, &Y_RARE, |_| true)
            .expect("fit");
        // class_weight="balanced"
        assert_close(
            &balanced.coefficients,
            &[0.6365995489935669, 1.4198288746883188],
            1e-6,
        );
        assert!((balanced.intercept - -1.3429282124971973).abs() < 1e-6);
        let custom = LogisticRegressionParams::new()
            .class_weight(ClassWeight::Custom {
                negative: 1.0,
                positive: 3.0,
            })
            .fit(&x, &Y_RARE, |_| true)
            .expect("fit");
        // class_weight={0: 1.0, 1: 3.0}
        assert_close(
            &custom.coefficients,
            &[0.7047463972459396, 1.7093143960317607],
            1e-6,
        );
        assert!((custom.intercept - -1.605020164827213).abs() < 1e-6);
    }

    #[test]
    fn l1_and_elastic_net_match_sklearn_saga() {
        // LogisticRegression(l1_ratio=ρ, C=C, solver="saga", tol=1e-15, max_iter=1000000)
        // .fit(X, y), scikit-learn 1.9.1 (saga reaches the same optimum as OWL-QN).
        let (x, y) = sparse_toy();
        let lasso = LogisticRegressionParams::new()
            .c(0.1)
            .penalty(Penalty::L1)
            .fit(&x, &y, |_| true)
            .expect("fit");
        // ρ = 1, C = 0.1: three of four weights exactly 0.
        assert!(lasso.converged);
        assert_close(
            &lasso.coefficients,
            &[0.23631196094561713, 0.0, 0.0, 0.0],
            1e-6,
        );
        assert_eq!(&lasso.coefficients[1..], &[0.0, 0.0, 0.0]);
        assert!((lasso.intercept - -0.029474777410405762).abs() < 1e-6);
        // ρ = 0.5, C = 0.1, class_weight="balanced".
        let net = LogisticRegressionParams::new()
            .c(0.1)
            .penalty(Penalty::ElasticNet { l1_ratio: 0.5 })
            .class_weight(ClassWeight::Balanced)
            .fit(&x, &y, |_| true)
            .expect("fit");
        assert_close(
            &net.coefficients,
            &[0.4400851492902965, -0.19942240550081813, 0.0, 0.0],
            1e-6,
        );
        assert!((net.intercept - -0.041223975839380166).abs() < 1e-6);
        // The twelve-row toy: ρ = 0.5, C = 0.3.
        let (x, y) = toy();
        let net = LogisticRegressionParams::new()
            .c(0.3)
            .penalty(Penalty::ElasticNet { l1_ratio: 0.5 })
            .fit(&x, &y, |_| true)
            .expect("fit");
        assert_close(
            &net.coefficients,
            &[0.2267767785652025, 0.11954971566828378],
            1e-6,
        );
        assert!((net.intercept - -0.0789563144780038).abs() < 1e-6);
    }

    #[test]
    fn rejects_bad_penalties_and_weights() {
        let (x, y) = toy();
        for params in [
            LogisticRegressionParams::new().penalty(Penalty::ElasticNet { l1_ratio: 1.5 }),
            LogisticRegressionParams::new().class_weight(ClassWeight::Custom {
                negative: 0.0,
                positive: 1.0,
            }),
            LogisticRegressionParams::new().class_weight(ClassWeight::Custom {
                negative: 1.0,
                positive: f64::NAN,
            }),
        ] {
            assert!(
                matches!(
                    params.fit(&x, &y, |_| true),
                    Err(ModelError::InvalidParameter(_))
                ),
                "{params:?}"
            );
        }
    }

    #[test]
    fn rejects_bad_parameters_and_data() {
        let (x, y) = toy();
        let fit = |p: LogisticRegressionParams| p.fit(&x, &y, |_| true);
        assert!(matches!(
            fit(LogisticRegressionParams::new().c(0.0)),
            Err(ModelError::InvalidParameter(_))
        ));
        assert!(matches!(
            fit(LogisticRegressionParams::new().c(f64::NAN)),
            Err(ModelError::InvalidParameter(_))
        ));
        let ones = vec![1u8; 12];
        assert_eq!(
            LogisticRegressionParams::new().fit(&x, &ones, |_| true),
            Err(ModelError::SingleClassTarget)
        );
        let mut bad = x.clone();
        bad[[2, 1]] = f64::INFINITY;
        assert!(matches!(
            LogisticRegressionParams::new().fit(&bad, &y, |_| true),
            Err(ModelError::NonFinite {
                row: 2,
                feature: 1,
                ..
            })
        ));
        assert_eq!(
            LogisticRegressionParams::new().fit(&x, &y[..3], |_| true),
            Err(ModelError::MismatchedShapes(12, 3))
        );
    }

    #[test]
    fn reports_progress_and_can_be_cancelled() {
        let (x, y) = toy();
        let mut seen = 0;
        LogisticRegressionParams::new()
            .fit(&x, &y, |p| {
                seen = p.iteration;
                true
            })
            .expect("fit");
        assert!(seen > 0);
        assert_eq!(
            LogisticRegressionParams::new().fit(&x, &y, |p| p.iteration < 2),
            Err(ModelError::Cancelled)
        );
    }

    #[test]
    fn separable_data_still_gives_finite_weights() {
        // Perfectly separable: without regularisation the weights would diverge; L2 keeps
        // them finite and the probabilities strictly inside (0, 1).
        let x = Matrix::from_rows(&[vec![-2.0], vec![-1.0], vec![1.0], vec![2.0]]);
        let m = LogisticRegressionParams::new()
            .fit(&x, &[0, 0, 1, 1], |_| true)
            .expect("fit");
        assert!(m.coefficients[0].is_finite() && m.coefficients[0] > 0.0);
        assert!(m.predict_proba(&x).iter().all(|p| *p > 0.0 && *p < 1.0));
    }

    /// The loss and gradient in fixed chunks of rows: the same fit on 1, 2 and 3 threads
    /// (40,000 rows make three chunks).
    #[test]
    fn the_same_fit_on_any_number_of_threads() {
        let _guard = crate::parallel::tests::THREAD_SETTING.lock();
        let mut rng = crate::rng::Rng::new(4);
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for _ in 0..40_000 {
            let r: Vec<f64> = (0..6).map(|_| rng.normal()).collect();
            let z = r[0] - 0.5 * r[1] + 0.25 * r[2] + rng.normal();
            y.push(u8::from(z > 0.0));
            rows.push(r);
        }
        let x = Matrix::from_rows(&rows);
        let mut fits = Vec::new();
        for threads in [1, 2, 3] {
            crate::parallel::set_threads(threads);
            let m = LogisticRegressionParams::new()
                .fit(&x, &y, |_| true)
                .expect("fit");
            fits.push(serde_json::to_string(&m).expect("json"));
        }
        crate::parallel::set_threads(0);
        assert!(fits[0] == fits[1] && fits[1] == fits[2]);
    }

    /// One exponential gives both, bit for bit as the two functions.
    #[test]
    fn the_fused_softplus_and_sigmoid_equal_the_two_functions() {
        let mut rng = crate::rng::Rng::new(8);
        let mut zs = vec![0.0, -0.0, 1e-300, -1e-300, 40.0, -40.0, 800.0, -800.0];
        zs.extend((0..10_000).map(|_| 12.0 * rng.normal()));
        for z in zs {
            let (a, b) = softplus_and_sigmoid(z);
            assert_eq!(
                (a.to_bits(), b.to_bits()),
                (softplus(z).to_bits(), sigmoid(z).to_bits()),
                "{z}"
            );
        }
    }

    #[test]
    fn softplus_and_sigmoid_are_stable() {
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert!((softplus(1000.0) - 1000.0).abs() < 1e-12);
        assert!(softplus(-1000.0) >= 0.0);
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-15);
    }

    const SKLEARN_LBFGS_COEF: [f64; 2] = [0.551_920_240_711_827_5, 0.526_195_593_093_532_4];
    const SKLEARN_LBFGS_INTERCEPT: f64 = -0.214_467_005_686_219_74;
    const SKLEARN_LIBLINEAR_COEF: [f64; 2] = [0.453_257_136_139_493_7, 0.414_053_625_652_958_95];
    const SKLEARN_LIBLINEAR_INTERCEPT: f64 = -0.100_881_087_444_956_12;
}
