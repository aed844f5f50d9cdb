//! Limited-memory BFGS for smooth unconstrained minimisation.
//!
//! The two-loop recursion of Nocedal and Wright, *Numerical Optimization* (2nd ed.),
//! algorithm 7.4, with a backtracking line search on the Armijo condition. Pairs whose
//! curvature s·y is not positive are skipped, which keeps the implicit Hessian positive
//! definite; on the convex losses used here that is all the safeguarding needed.
//!
//! [`minimize_l1`] adds a weighted L1 term Σ λ_j |x_j| by the orthant-wise variant OWL-QN
//! (Andrew and Gao, *Scalable training of L1-regularized log-linear models*, ICML 2007): the
//! gradient is replaced by the pseudo-gradient of the non-smooth objective, the search
//! direction is kept in the orthant the pseudo-gradient points to, and a step that would
//! cross zero stops at zero. Coordinates with λ_j = 0 are left unconstrained, so with no L1
//! weight at all it is exactly the L-BFGS above.

use std::collections::VecDeque;

/// Settings of a minimisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LbfgsSettings {
    /// Stop when the largest gradient component is at most this.
    pub gradient_tolerance: f64,
    pub max_iterations: usize,
    /// Number of correction pairs kept.
    pub memory: usize,
}

/// Where a minimisation ended.
#[derive(Debug, Clone, PartialEq)]
pub struct LbfgsResult {
    pub x: Vec<f64>,
    pub value: f64,
    pub iterations: usize,
    pub converged: bool,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Largest absolute component; infinite when any is NaN, so a broken gradient never passes
/// for convergence (`f64::max` would silently skip the NaN).
fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, x| {
        if x.is_nan() {
            f64::INFINITY
        } else {
            m.max(x.abs())
        }
    })
}

/// Minimises `f` from `x0`. `f(x, grad)` returns the value and writes the gradient.
/// `on_iteration(iteration, value)` is called after each step; returning `false` stops early
/// and the result so far is returned with `converged == false` and `None` as the signal.
pub fn minimize(
    f: impl FnMut(&[f64], &mut [f64]) -> f64,
    x0: Vec<f64>,
    settings: LbfgsSettings,
    on_iteration: impl FnMut(usize, f64) -> bool,
) -> Option<LbfgsResult> {
    minimize_l1(f, x0, &[], settings, on_iteration)
}

/// Pseudo-gradient of f + Σ λ_j |x_j| (Andrew and Gao, eq. 4): the one-sided derivative
/// that points downhill, or 0 at a kink where neither side descends.
fn pseudo_gradient(x: &[f64], g: &[f64], l1: &[f64], out: &mut [f64]) {
    out.copy_from_slice(g);
    for (j, &lambda) in l1.iter().enumerate() {
        if lambda == 0.0 {
            continue;
        }
        out[j] = if x[j] > 0.0 {
            g[j] + lambda
        } else if x[j] < 0.0 {
            g[j] - lambda
        } else if g[j] + lambda < 0.0 {
            g[j] + lambda
        } else if g[j] - lambda > 0.0 {
            g[j] - lambda
        } else {
            0.0
        };
    }
}

/// Minimises `f(x) + Σ l1[j] |x[j]|` from `x0` by OWL-QN; `l1` may be shorter than `x`
/// (missing weights are 0) and empty for plain L-BFGS. The reported value includes the L1
/// term; convergence is judged on the pseudo-gradient.
pub fn minimize_l1(
    mut f: impl FnMut(&[f64], &mut [f64]) -> f64,
    x0: Vec<f64>,
    l1: &[f64],
    settings: LbfgsSettings,
    mut on_iteration: impl FnMut(usize, f64) -> bool,
) -> Option<LbfgsResult> {
    let n = x0.len();
    let l1 = &l1[..l1.len().min(n)];
    let penalty = |x: &[f64]| -> f64 { l1.iter().zip(x).map(|(l, v)| l * v.abs()).sum() };
    let mut x = x0;
    let mut g = vec![0.0; n];
    let mut value = f(&x, &mut g) + penalty(&x);
    let mut pg = vec![0.0; n];
    pseudo_gradient(&x, &g, l1, &mut pg);
    let mut corrections = Corrections {
        pairs: VecDeque::new(),
        memory: settings.memory,
    };
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    for iteration in 0..settings.max_iterations {
        if max_abs(&pg) <= settings.gradient_tolerance {
            return Some(LbfgsResult {
                x,
                value,
                iterations: iteration,
                converged: true,
            });
        }
        let (d, slope) = corrections.descent(&pg, l1);
        let orthant = orthant(&x, &pg, l1);
        // First step: scale so the move is modest; later steps try the full quasi-Newton step.
        let mut step = if corrections.pairs.is_empty() {
            (1.0 / max_abs(&pg)).min(1.0)
        } else {
            1.0
        };
        let mut accepted = false;
        for _ in 0..60 {
            trial_point(&mut x_new, &x, &d, step, l1, &orthant);
            let v = f(&x_new, &mut g_new) + penalty(&x_new);
            // Armijo on the pseudo-gradient; without L1 this is the classic step * slope.
            let decrease = if l1.is_empty() {
                step * slope
            } else {
                dot_of_difference(&x_new, &x, &pg)
            };
            if v.is_finite() && v <= value + 1e-4 * decrease {
                corrections.remember(&x_new, &x, &g_new, &g);
                std::mem::swap(&mut x, &mut x_new);
                std::mem::swap(&mut g, &mut g_new);
                pseudo_gradient(&x, &g, l1, &mut pg);
                value = v;
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !on_iteration(iteration + 1, value) {
            return None;
        }
        if !accepted {
            // No decrease along a descent direction: we are at the limit of precision.
            return Some(LbfgsResult {
                x,
                value,
                iterations: iteration + 1,
                converged: max_abs(&pg) <= settings.gradient_tolerance.sqrt(),
            });
        }
    }
    let converged = max_abs(&pg) <= settings.gradient_tolerance;
    Some(LbfgsResult {
        x,
        value,
        iterations: settings.max_iterations,
        converged,
    })
}

/// The correction pairs (s, y, 1 / s·y) of the last `memory` accepted steps: the implicit
/// inverse Hessian.
struct Corrections {
    pairs: VecDeque<(Vec<f64>, Vec<f64>, f64)>,
    memory: usize,
}

impl Corrections {
    /// The search direction and its slope along the pseudo-gradient `pg`: -H·pg by the
    /// two-loop recursion, each L1 coordinate kept moving the way its pseudo-gradient
    /// descends (OWL-QN); when that is no descent direction, the pairs are dropped and the
    /// direction is -pg.
    fn descent(&mut self, pg: &[f64], l1: &[f64]) -> (Vec<f64>, f64) {
        let mut q = pg.to_vec();
        let mut alphas = Vec::with_capacity(self.pairs.len());
        for (s, y, rho) in self.pairs.iter().rev() {
            let a = rho * dot(s, &q);
            q.iter_mut().zip(y).for_each(|(qi, yi)| *qi -= a * yi);
            alphas.push(a);
        }
        if let Some((s, y, _)) = self.pairs.back() {
            let gamma = dot(s, y) / dot(y, y);
            q.iter_mut().for_each(|qi| *qi *= gamma);
        }
        for ((s, y, rho), a) in self.pairs.iter().zip(alphas.into_iter().rev()) {
            let b = rho * dot(y, &q);
            q.iter_mut().zip(s).for_each(|(qi, si)| *qi += (a - b) * si);
        }
        let mut d: Vec<f64> = q.into_iter().map(|v| -v).collect();
        for (j, &lambda) in l1.iter().enumerate() {
            if lambda != 0.0 && d[j] * pg[j] >= 0.0 {
                d[j] = 0.0;
            }
        }
        let mut slope = dot(pg, &d);
        if slope >= 0.0 || !slope.is_finite() {
            self.pairs.clear();
            d = pg.iter().map(|v| -v).collect();
            slope = dot(pg, &d);
        }
        (d, slope)
    }

    /// Records the step from `x` (gradient `g`) to `x_new` (`g_new`) when its curvature
    /// s·y is clearly positive, dropping the oldest pair beyond `memory`.
    fn remember(&mut self, x_new: &[f64], x: &[f64], g_new: &[f64], g: &[f64]) {
        let s: Vec<f64> = x_new.iter().zip(x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 * dot(&y, &y).sqrt() * dot(&s, &s).sqrt() {
            if self.pairs.len() == self.memory {
                self.pairs.pop_front();
            }
            self.pairs.push_back((s, y, 1.0 / sy));
        }
    }
}

/// Writes to `x_new` the point `x + step · d`, with each L1 coordinate that would leave its
/// `orthant` (or cross zero) set to zero.
fn trial_point(x_new: &mut [f64], x: &[f64], d: &[f64], step: f64, l1: &[f64], orthant: &[f64]) {
    x_new
        .iter_mut()
        .zip(x.iter().zip(d))
        .for_each(|(xn, (xi, di))| *xn = xi + step * di);
    for (j, &lambda) in l1.iter().enumerate() {
        if lambda != 0.0 && x_new[j] * orthant[j] <= 0.0 {
            x_new[j] = 0.0;
        }
    }
}

/// (a - b) · p.
fn dot_of_difference(a: &[f64], b: &[f64], p: &[f64]) -> f64 {
    a.iter().zip(b).zip(p).map(|((a, b), p)| (a - b) * p).sum()
}

/// The orthant of a step for each L1 coordinate: the sign of `x`, or of the descent
/// direction (-`pg`) where `x` is zero.
fn orthant(x: &[f64], pg: &[f64], l1: &[f64]) -> Vec<f64> {
    l1.iter()
        .enumerate()
        .map(|(j, _)| {
            if x[j] != 0.0 {
                x[j].signum()
            } else {
                -pg[j].signum()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_the_rosenbrock_function() {
        // Minimum at (1, 1) with value 0 (Rosenbrock 1960), a standard hard test.
        let rosen = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        };
        let settings = LbfgsSettings {
            gradient_tolerance: 1e-9,
            max_iterations: 1000,
            memory: 10,
        };
        let r = minimize(rosen, vec![-1.2, 1.0], settings, |_, _| true).expect("not cancelled");
        assert!(r.converged, "{r:?}");
        assert!(
            (r.x[0] - 1.0).abs() < 1e-6 && (r.x[1] - 1.0).abs() < 1e-6,
            "{r:?}"
        );
    }

    #[test]
    fn l1_weight_gives_the_soft_thresholded_minimum() {
        // f = ½(x0 - 3)² + ½(x1 + 0.5)² + 0.5|x0| + 1.0|x1|: separable, so by hand the
        // minimum is the soft threshold, x0 = 3 - 0.5 = 2.5 and x1 = 0 (|−0.5| < 1).
        let f = |x: &[f64], g: &mut [f64]| {
            g[0] = x[0] - 3.0;
            g[1] = x[1] + 0.5;
            0.5 * (x[0] - 3.0).powi(2) + 0.5 * (x[1] + 0.5).powi(2)
        };
        let settings = LbfgsSettings {
            gradient_tolerance: 1e-10,
            max_iterations: 200,
            memory: 5,
        };
        let r = minimize_l1(f, vec![-1.0, 2.0], &[0.5, 1.0], settings, |_, _| true)
            .expect("not cancelled");
        assert!(r.converged, "{r:?}");
        assert!((r.x[0] - 2.5).abs() < 1e-9, "{r:?}");
        assert_eq!(r.x[1], 0.0);
        // Value by hand: ½·0.25 + ½·0.25 + 0.5·2.5 = 1.5.
        assert!((r.value - 1.5).abs() < 1e-12, "{r:?}");
    }

    #[test]
    fn a_nan_gradient_is_not_convergence() {
        let broken = |_: &[f64], g: &mut [f64]| {
            g[0] = f64::NAN;
            1.0
        };
        let settings = LbfgsSettings {
            gradient_tolerance: 1e-6,
            max_iterations: 5,
            memory: 3,
        };
        let r = minimize(broken, vec![0.0], settings, |_, _| true).expect("not cancelled");
        assert!(!r.converged);
    }

    #[test]
    fn stops_when_the_callback_says_so() {
        let quad = |x: &[f64], g: &mut [f64]| {
            g[0] = 2.0 * (x[0] - 3.0);
            (x[0] - 3.0).powi(2)
        };
        let settings = LbfgsSettings {
            gradient_tolerance: 1e-12,
            max_iterations: 100,
            memory: 5,
        };
        assert!(minimize(quad, vec![100.0], settings, |_, _| false).is_none());
    }
}
