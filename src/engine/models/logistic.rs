//! L2-regularised logistic regression.
//!
//! Maths: with labels y ∈ {0, 1}, scores z = Xw + b and p = σ(z), the fit minimises
//!
//! ```text
//!   L(w, b) = (1/n) Σ_i [ log(1 + e^{z_i}) - y_i z_i ]  +  (1 / (2 C n)) (‖w‖² [+ b²])
//! ```
//!
//! which is scikit-learn's `LogisticRegression(penalty="l2", C=C)` objective divided by n
//! (the lbfgs solver's scaling, `sklearn/linear_model/_logistic.py`); the minimiser is the
//! same. scikit-learn's lbfgs leaves the intercept unpenalised; its liblinear solver
//! penalises it like a weight (`intercept_scaling=1`), which [`LogisticRegressionParams::penalize_intercept`]
//! reproduces. The gradient is (1/n) Xᵀ(p − y) + w/(C n). The problem is smooth and strictly
//! convex, so L-BFGS ([`super::lbfgs`]) converges to the unique optimum.
//!
//! ```
//! use churnscope::engine::models::LogisticRegressionParams;
//! use churnscope::engine::prep::Matrix;
//! let x = Matrix::from_rows(&[vec![0.0], vec![1.0], vec![2.0], vec![3.0]]);
//! let model = LogisticRegressionParams::new().c(10.0).fit(&x, &[0, 0, 1, 1], |_| true).expect("two classes, finite values");
//! let p = model.predict_proba(&x);
//! assert!(p[0] < 0.5 && p[3] > 0.5);
//! ```
//!
//! Reference: Hastie, Tibshirani and Friedman, *The Elements of Statistical Learning*, 4.4.

use serde::{Deserialize, Serialize};

use super::lbfgs::{minimize, LbfgsSettings};
use super::{check_training_data, ModelError, Progress, Result};
use crate::engine::prep::Matrix;

/// Hyperparameters of a logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticRegressionParams {
    c: f64,
    penalize_intercept: bool,
    max_iterations: usize,
    tolerance: f64,
}

impl Default for LogisticRegressionParams {
    fn default() -> Self {
        Self::new()
    }
}

impl LogisticRegressionParams {
    /// Defaults: `C = 1.0`, unpenalised intercept, 1000 iterations, gradient tolerance 1e-8.
    pub fn new() -> Self {
        LogisticRegressionParams {
            c: 1.0,
            penalize_intercept: false,
            max_iterations: 1000,
            tolerance: 1e-8,
        }
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
        Ok(())
    }

    /// Fits on features `x` and 0/1 labels `y`. `progress` is called after every solver
    /// iteration; returning `false` cancels with [`ModelError::Cancelled`].
    pub fn fit(
        &self,
        x: &Matrix,
        y: &[u8],
        mut progress: impl FnMut(Progress) -> bool,
    ) -> Result<FittedLogisticRegression> {
        self.check()?;
        check_training_data(x, y)?;
        let (n, d) = (x.rows, x.cols);
        let inv_n = 1.0 / n as f64;
        let lambda = 1.0 / (self.c * n as f64);
        let penalize_intercept = self.penalize_intercept;
        let mut z = vec![0.0; n];
        let objective = |theta: &[f64], grad: &mut [f64]| -> f64 {
            let (w, b) = (&theta[..d], theta[d]);
            for (i, zi) in z.iter_mut().enumerate() {
                *zi = b + x.row(i).iter().zip(w).map(|(a, c)| a * c).sum::<f64>();
            }
            grad.iter_mut().for_each(|g| *g = 0.0);
            let mut loss = 0.0;
            for (i, &zi) in z.iter().enumerate() {
                loss += softplus(zi) - f64::from(y[i]) * zi;
                let r = sigmoid(zi) - f64::from(y[i]);
                for (g, a) in grad[..d].iter_mut().zip(x.row(i)) {
                    *g += r * a;
                }
                grad[d] += r;
            }
            grad.iter_mut().for_each(|g| *g *= inv_n);
            loss *= inv_n;
            for (g, wj) in grad[..d].iter_mut().zip(w) {
                *g += lambda * wj;
            }
            let mut penalty = w.iter().map(|v| v * v).sum::<f64>();
            if penalize_intercept {
                grad[d] += lambda * b;
                penalty += b * b;
            }
            loss + 0.5 * lambda * penalty
        };
        let settings = LbfgsSettings {
            gradient_tolerance: self.tolerance,
            max_iterations: self.max_iterations,
            memory: 10,
        };
        let max_iterations = self.max_iterations;
        let result = minimize(objective, vec![0.0; d + 1], settings, |iteration, loss| {
            progress(Progress {
                iteration,
                max_iterations,
                loss,
            })
        })
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

/// log(1 + e^z) without overflow.
pub fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// 1 / (1 + e^-z) without overflow.
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
    /// Probability of the positive class for each row of `x`.
    pub fn predict_proba(&self, x: &Matrix) -> Vec<f64> {
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
        bad.data[5] = f64::INFINITY;
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
