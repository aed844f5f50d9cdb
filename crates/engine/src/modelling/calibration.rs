//! Probability calibration: remapping a model's churn probabilities so that, among customers
//! given probability p, about a fraction p churn.
//!
//! Both methods follow scikit-learn's `CalibratedClassifierCV` for a classifier that has only
//! `predict_proba`: the calibrator's input F is the model's probability itself (not its
//! logit), fitted on held-out rows.
//!
//! **Platt scaling** (`method="sigmoid"`, `sklearn.calibration._sigmoid_calibration`) fits
//!
//! ```text
//!   P(churn | F) = 1 / (1 + exp(a F + b))
//! ```
//!
//! (scikit-learn's sign convention: a < 0 when higher scores mean more churn) by minimising
//! the cross-entropy Σ_i [ log(1 + e^{r_i}) − T_i r_i ] with r_i = −(a F_i + b) against
//! Platt's smoothed targets T_i = (N₊ + 1)/(N₊ + 2) for churners and 1/(N₋ + 2) for the
//! others, from a = 0, b = log((N₋ + 1)/(N₊ + 1)). Scores with max |F| ≥ 30 are divided by
//! that maximum while fitting and a is scaled back, as scikit-learn does. scikit-learn stops
//! L-BFGS-B at a gradient of 1e-6; we run damped Newton on the 2 × 2 problem to the optimum,
//! so a and b agree with scikit-learn to within its own stopping error (about 1e-6).
//!
//! **Isotonic regression** (`method="isotonic"`, `IsotonicRegression(out_of_bounds="clip",
//! y_min=0, y_max=1)`) sorts by score, merges scores closer than 1e-15 into one point whose
//! target is the mean of the merged labels and whose weight is their count (`_make_unique`),
//! runs weighted pool-adjacent-violators for the closest non-decreasing step function, clips to
//! [0, 1] and keeps only the points needed to describe it. New scores are clipped to the fitted
//! range and linearly interpolated between those points (`scipy.interpolate.interp1d`).
//!
//! ```
//! use churnscope_engine::modelling::calibration::{CalibrationMethod, Calibrator};
//! let p = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4, 0.65, 0.05];
//! let y = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
//! let iso = Calibrator::fit(CalibrationMethod::Isotonic, &p, &y).expect("two classes");
//! assert_eq!(iso.apply(0.4), 0.5);
//! ```
//!
//! **Prior correction** ([`PriorCorrection`]) undoes class weights and resampling. A model
//! fitted where churners made up a share π' (after weighting or resampling) while their real
//! share among the training rows is π estimates probabilities for a world with π' churners;
//! the probability for the real one is
//!
//! ```text
//!   p·(π/π') / (p·(π/π') + (1 − p)·((1 − π)/(1 − π')))
//! ```
//!
//! that is, the log-odds minus log(π'(1 − π) / (π(1 − π'))) (G. King and L. Zeng, "Logistic
//! regression in rare events data", Political Analysis 9 (2001), §4.1; C. Elkan, "The
//! foundations of cost-sensitive learning", IJCAI 2001, theorem 2). That shift assumes the
//! model estimates the reweighted probabilities exactly; the pipeline keeps the same form
//! (log-odds minus a constant) but re-estimates the constant so the mean corrected probability
//! of the real training rows is π ([`PriorCorrection::matched_to`]). Either way the map is
//! monotone, so the ranking (ROC AUC, PR AUC) is unchanged.
//!
//! References: J. Platt, "Probabilistic outputs for support vector machines" (1999), §2.2;
//! B. Zadrozny and C. Elkan, "Transforming classifier scores into accurate multiclass
//! probability estimates", KDD 2002; scikit-learn 1.9.1 `sklearn/calibration.py`,
//! `sklearn/isotonic.py`, `sklearn/_isotonic.pyx`.

use serde::{Deserialize, Serialize};

use crate::modelling::models::logistic::{sigmoid, softplus};

/// Why a calibrator cannot be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CalibrationError {
    #[error("{0} labels but {1} scores")]
    MismatchedShapes(usize, usize),
    #[error("no rows to calibrate on")]
    Empty,
    #[error("score {value} at row {row} is not a finite number")]
    NonFiniteScore { row: usize, value: f64 },
    #[error("label {value} at row {row} is neither 0 nor 1")]
    NotBinaryLabel { row: usize, value: u8 },
    #[error(
        "the calibration rows contain only one class, so there is nothing to calibrate against"
    )]
    SingleClassTarget,
    #[error("Platt scaling did not converge in {0} Newton steps")]
    NotConverged(usize),
    /// A calibrator that cannot have come from a fit, e.g. from a damaged model file.
    #[error("the calibration map is inconsistent: {0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, CalibrationError>;

/// Which calibration to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalibrationMethod {
    /// A two-parameter sigmoid of the score (smooth, needs few rows).
    Platt,
    /// A non-decreasing piecewise-linear map (flexible, needs more rows).
    Isotonic,
}

/// A fitted calibration map from a model's probability to a calibrated probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Calibrator {
    /// p ↦ 1 / (1 + exp(a p + b)), scikit-learn's `_SigmoidCalibration` `a_`, `b_`.
    Platt { a: f64, b: f64 },
    /// Linear interpolation through (x[i], y[i]), x strictly increasing, y non-decreasing in
    /// [0, 1], clipped outside [x[0], x[last]]: `IsotonicRegression`'s `X_thresholds_`,
    /// `y_thresholds_`.
    Isotonic { x: Vec<f64>, y: Vec<f64> },
}

impl Calibrator {
    /// Fits a calibrator on held-out `scores` (the model's probabilities) and 0/1 labels `y`.
    pub fn fit(method: CalibrationMethod, scores: &[f64], y: &[u8]) -> Result<Calibrator> {
        check(scores, y)?;
        Ok(match method {
            CalibrationMethod::Platt => {
                let (a, b) = fit_platt(scores, y)?;
                Calibrator::Platt { a, b }
            }
            CalibrationMethod::Isotonic => {
                let (x, y) = fit_isotonic(scores, y);
                Calibrator::Isotonic { x, y }
            }
        })
    }

    /// The method this calibrator was fitted with.
    pub fn method(&self) -> CalibrationMethod {
        match self {
            Calibrator::Platt { .. } => CalibrationMethod::Platt,
            Calibrator::Isotonic { .. } => CalibrationMethod::Isotonic,
        }
    }

    /// The calibrated probability for one score, in [0, 1]; NaN stays NaN.
    pub fn apply(&self, p: f64) -> f64 {
        if p.is_nan() {
            return f64::NAN;
        }
        match self {
            Calibrator::Platt { a, b } => sigmoid(-(a * p + b)),
            Calibrator::Isotonic { x, y } => interpolate(x, y, p),
        }
    }

    /// Checks the map can be applied: isotonic knots as many `x` as `y`, at least one, `x`
    /// finite and strictly increasing.
    pub fn check(&self) -> Result<()> {
        let Calibrator::Isotonic { x, y } = self else {
            return Ok(());
        };
        let increasing = x.windows(2).all(|w| w[0] < w[1]);
        if x.is_empty() || x.len() != y.len() || !increasing || !x.iter().all(|v| v.is_finite()) {
            return Err(CalibrationError::Invalid(format!(
                "{} knots at {} values, which must be finite and strictly increasing",
                x.len(),
                y.len()
            )));
        }
        Ok(())
    }

    /// [`Calibrator::apply`] to every score.
    pub fn apply_all(&self, p: &[f64]) -> Vec<f64> {
        p.iter().map(|&v| self.apply(v)).collect()
    }
}

/// The shift of a model's probabilities from the churn share it was fitted to back to the real
/// one (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriorCorrection {
    /// π: the share of churners among the training rows as they are.
    pub base_rate: f64,
    /// π': the share of churners the model saw, after class weights or resampling.
    pub fitted_rate: f64,
    /// What is subtracted from the model's log-odds.
    pub log_odds_shift: f64,
}

impl PriorCorrection {
    /// King and Zeng's correction for a model fitted on labels `fitted` (after resampling)
    /// with class weights `weights` (negative, positive), when the real training labels are
    /// `real`; `None` when the two shares agree (to 1e-9), so there is nothing to correct.
    pub fn for_fit(real: &[u8], fitted: &[u8], weights: Option<[f64; 2]>) -> Option<Self> {
        let share = |y: &[u8], w: [f64; 2]| {
            let positives = y.iter().filter(|&&v| v == 1).count() as f64;
            let negatives = y.len() as f64 - positives;
            w[1] * positives / (w[1] * positives + w[0] * negatives)
        };
        let (base_rate, fitted_rate) = (
            share(real, [1.0, 1.0]),
            share(fitted, weights.unwrap_or([1.0, 1.0])),
        );
        let correction = PriorCorrection {
            base_rate,
            fitted_rate,
            log_odds_shift: (fitted_rate * (1.0 - base_rate) / (base_rate * (1.0 - fitted_rate)))
                .ln(),
        };
        let differs = (base_rate - fitted_rate).abs() > 1e-9;
        (differs && correction.check().is_ok()).then_some(correction)
    }

    /// This correction with the shift re-estimated so that the mean corrected probability of
    /// `scores` (the model's probabilities of the real training rows) equals π.
    ///
    /// King and Zeng's shift is exact for a model that estimates the reweighted probabilities
    /// themselves, as a logistic regression with a free intercept does; boosted trees and
    /// networks, shrunk by their learning rate and regularisation, do not (on Telco with
    /// balanced weights their shift leaves the boosted trees' mean test probability at 0.242
    /// against a churn rate of 0.265). Matching the mean on the training rows is the intercept
    /// re-estimate of the same log-odds model; for the logistic regression both shifts agree.
    /// Keeps `self` when the scores are empty or not finite.
    pub fn matched_to(self, scores: &[f64]) -> Self {
        if scores.is_empty() || !scores.iter().all(|p| p.is_finite()) {
            return self;
        }
        let mean_at = |shift: f64| {
            let c = PriorCorrection {
                log_odds_shift: shift,
                ..self
            };
            scores.iter().map(|&p| c.apply(p)).sum::<f64>() / scores.len() as f64
        };
        // The mean falls as the shift grows; bisection on a bracket wide enough for any
        // probability a model gives (e^±40 is far beyond a double's odds near 0 or 1).
        let (mut low, mut high) = (-40.0, 40.0);
        for _ in 0..200 {
            let mid = 0.5 * (low + high);
            if mean_at(mid) > self.base_rate {
                low = mid;
            } else {
                high = mid;
            }
        }
        PriorCorrection {
            log_odds_shift: 0.5 * (low + high),
            ..self
        }
    }

    /// The corrected probability of one model probability: its log-odds minus the shift;
    /// 0 and 1 stay, NaN stays NaN.
    pub fn apply(&self, p: f64) -> f64 {
        // The odds form rather than the log-odds one keeps p = 0 and p = 1 exact.
        let churn = p * (-self.log_odds_shift).exp();
        churn / (churn + (1.0 - p))
    }

    /// [`PriorCorrection::apply`] to every probability.
    pub fn apply_all(&self, p: &[f64]) -> Vec<f64> {
        p.iter().map(|&v| self.apply(v)).collect()
    }

    /// Checks both shares are strictly between 0 and 1, as they must be to come from a fit
    /// on two classes, and the shift is finite.
    pub fn check(&self) -> Result<()> {
        let fine = |v: f64| v.is_finite() && v > 0.0 && v < 1.0;
        if !(fine(self.base_rate) && fine(self.fitted_rate) && self.log_odds_shift.is_finite()) {
            return Err(CalibrationError::Invalid(format!(
                "the prior correction's churn shares {} and {} must lie strictly between 0 and \
                 1 and its shift {} must be finite",
                self.base_rate, self.fitted_rate, self.log_odds_shift
            )));
        }
        Ok(())
    }
}

fn check(scores: &[f64], y: &[u8]) -> Result<()> {
    if y.len() != scores.len() {
        return Err(CalibrationError::MismatchedShapes(y.len(), scores.len()));
    }
    if y.is_empty() {
        return Err(CalibrationError::Empty);
    }
    if let Some((row, &value)) = scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
        return Err(CalibrationError::NonFiniteScore { row, value });
    }
    if let Some((row, &value)) = y.iter().enumerate().find(|(_, &l)| l > 1) {
        return Err(CalibrationError::NotBinaryLabel { row, value });
    }
    let pos = y.iter().filter(|&&l| l == 1).count();
    if pos == 0 || pos == y.len() {
        return Err(CalibrationError::SingleClassTarget);
    }
    Ok(())
}

/// Newton steps allowed for Platt scaling; it typically converges in under 10.
const PLATT_MAX_ITERATIONS: usize = 100;

/// Platt's (a, b) by damped Newton (Lin, Lin and Weng, "A note on Platt's probabilistic
/// outputs for support vector machines", 2007, Algorithm 1, including its 1e-12 ridge so a
/// constant score still gives a finite step).
fn fit_platt(scores: &[f64], y: &[u8]) -> Result<(f64, f64)> {
    let max_abs = scores.iter().fold(0.0f64, |m, s| m.max(s.abs()));
    // scikit-learn's `max_abs_prediction_threshold=30`.
    let scale = if max_abs >= 30.0 { max_abs } else { 1.0 };
    let f: Vec<f64> = scores.iter().map(|s| s / scale).collect();
    let prior1 = y.iter().filter(|&&l| l == 1).count() as f64;
    let prior0 = y.len() as f64 - prior1;
    let t_pos = (prior1 + 1.0) / (prior1 + 2.0);
    let t_neg = 1.0 / (prior0 + 2.0);
    let targets: Vec<f64> = y
        .iter()
        .map(|&l| if l == 1 { t_pos } else { t_neg })
        .collect();
    let loss = |a: f64, b: f64| -> f64 {
        f.iter()
            .zip(&targets)
            .map(|(&fi, &ti)| {
                let r = -(a * fi + b);
                softplus(r) - ti * r
            })
            .sum()
    };
    let (mut a, mut b) = (0.0, ((prior0 + 1.0) / (prior1 + 1.0)).ln());
    let mut value = loss(a, b);
    let tolerance = 1e-12 * y.len() as f64;
    for _ in 0..PLATT_MAX_ITERATIONS {
        // Gradient and Hessian in (a, b); d loss / d r_i = σ(r_i) − T_i and dr/da = −F_i.
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&fi, &ti) in f.iter().zip(&targets) {
            let p = sigmoid(-(a * fi + b));
            let g = p - ti;
            let w = p * (1.0 - p);
            ga -= g * fi;
            gb -= g;
            haa += w * fi * fi;
            hab += w * fi;
            hbb += w;
        }
        if ga.abs().max(gb.abs()) <= tolerance {
            return Ok((a / scale, b));
        }
        let (haa, hbb) = (haa + 1e-12, hbb + 1e-12);
        let det = haa * hbb - hab * hab;
        let da = (hbb * ga - hab * gb) / det;
        let db = (haa * gb - hab * ga) / det;
        let slope = ga * da + gb * db;
        // Armijo backtracking along −H⁻¹g.
        let mut step = 1.0;
        let mut moved = false;
        while step >= 1e-10 {
            let (na, nb) = (a - step * da, b - step * db);
            let new_value = loss(na, nb);
            if new_value <= value - 1e-4 * step * slope {
                moved = (na, nb) != (a, b);
                (a, b, value) = (na, nb, new_value);
                break;
            }
            step /= 2.0;
        }
        if !moved {
            // No representable decrease left: we are at the optimum to rounding.
            return Ok((a / scale, b));
        }
    }
    Err(CalibrationError::NotConverged(PLATT_MAX_ITERATIONS))
}

/// scikit-learn's `_make_unique` merges sorted scores within this distance of a run's first
/// score (`np.finfo(np.float64).resolution`).
const TIE_RESOLUTION: f64 = 1e-15;

/// Isotonic regression's trimmed fitted points (x strictly increasing, y non-decreasing).
fn fit_isotonic(scores: &[f64], labels: &[u8]) -> (Vec<f64>, Vec<f64>) {
    // np.lexsort((y, X)): by score, then label.
    let mut pairs: Vec<(f64, u8)> = scores.iter().copied().zip(labels.iter().copied()).collect();
    pairs.sort_unstable_by(|p, q| p.0.total_cmp(&q.0).then(p.1.cmp(&q.1)));

    // _make_unique: one point per run of tied scores, weighted by its size.
    let mut xs: Vec<f64> = Vec::new();
    let mut means: Vec<f64> = Vec::new();
    let mut weights: Vec<f64> = Vec::new();
    let mut sum = 0.0;
    let mut weight = 0.0;
    for &(x, label) in &pairs {
        match xs.last() {
            Some(&run_x) if x - run_x < TIE_RESOLUTION => {}
            _ => {
                if weight > 0.0 {
                    means.push(sum / weight);
                    weights.push(weight);
                }
                xs.push(x);
                sum = 0.0;
                weight = 0.0;
            }
        }
        sum += f64::from(label);
        weight += 1.0;
    }
    means.push(sum / weight);
    weights.push(weight);

    let fitted = pool_adjacent_violators(&means, &weights);
    let fitted: Vec<f64> = fitted.into_iter().map(|v| v.clamp(0.0, 1.0)).collect();

    // Keep the ends and every point whose value differs from a neighbour's.
    let n = fitted.len();
    let keep =
        |i: usize| i == 0 || i + 1 == n || fitted[i] != fitted[i - 1] || fitted[i] != fitted[i + 1];
    let mut x_out = Vec::new();
    let mut y_out = Vec::new();
    for i in (0..n).filter(|&i| keep(i)) {
        x_out.push(xs[i]);
        y_out.push(fitted[i]);
    }
    (x_out, y_out)
}

/// The weighted least-squares non-decreasing fit to `values` (pool adjacent violators).
fn pool_adjacent_violators(values: &[f64], weights: &[f64]) -> Vec<f64> {
    // Blocks of (weighted mean, total weight, number of points), kept non-decreasing.
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(values.len());
    for (&v, &w) in values.iter().zip(weights) {
        let mut block = (v, w, 1usize);
        while let Some(&(prev_mean, prev_weight, prev_len)) = blocks.last() {
            if prev_mean <= block.0 {
                break;
            }
            let total = prev_weight + block.1;
            block = (
                (prev_mean * prev_weight + block.0 * block.1) / total,
                total,
                prev_len + block.2,
            );
            blocks.pop();
        }
        blocks.push(block);
    }
    blocks
        .into_iter()
        .flat_map(|(mean, _, len)| std::iter::repeat_n(mean, len))
        .collect()
}

/// `interp1d(x, y, kind="linear")` after clipping `t` to [x[0], x[last]] (numpy's `interp`
/// arithmetic: exact at the knots, `slope (t − x_j) + y_j` between them).
fn interpolate(x: &[f64], y: &[f64], t: f64) -> f64 {
    let (Some(&first), Some(&last)) = (x.first(), x.last()) else {
        return f64::NAN;
    };
    let t = t.clamp(first, last);
    // j: the last knot with x[j] <= t.
    let j = x.partition_point(|&xi| xi <= t).saturating_sub(1);
    if x[j] == t || j + 1 >= x.len() {
        return y[j];
    }
    let slope = (y[j + 1] - y[j]) / (x[j + 1] - x[j]);
    slope * (t - x[j]) + y[j]
}

#[cfg(test)]
mod tests {
    use super::*;

    // The metrics module's example, `P` as held-out probabilities and `Y` the outcomes.
    const Y: [u8; 10] = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
    const P: [f64; 10] = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4, 0.65, 0.05];

    // A larger example with ties and both ends: numpy 2, `rng = np.random.default_rng(7)`,
    // `p2 = np.round(rng.uniform(size=40), 2)`, `y2 = (rng.uniform(size=40) < p2).astype(int)`.
    const P2: [f64; 40] = [
        0.63, 0.9, 0.78, 0.23, 0.3, 0.87, 0.01, 0.82, 0.8, 0.47, 0.3, 0.28, 0.25, 0.45, 0.5, 0.55,
        1.0, 0.79, 0.62, 0.99, 0.22, 0.16, 0.61, 0.04, 0.04, 0.51, 0.47, 0.92, 0.63, 0.51, 0.5,
        0.25, 0.01, 0.19, 0.69, 0.2, 0.37, 0.0, 0.83, 0.15,
    ];
    const Y2: [u8; 40] = [
        1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1,
        0, 0, 0, 0, 1, 0, 0, 0, 1, 1,
    ];
    const Q: [f64; 7] = [0.0, 0.05, 0.3, 0.37, 0.5, 0.77, 1.0];

    fn platt(p: &[f64], y: &[u8]) -> (f64, f64) {
        match Calibrator::fit(CalibrationMethod::Platt, p, y).expect("two classes") {
            Calibrator::Platt { a, b } => (a, b),
            other => panic!("expected Platt, got {other:?}"),
        }
    }

    #[test]
    fn platt_matches_sklearn_sigmoid_calibration() {
        // scikit-learn 1.9.1 `_sigmoid_calibration(P, Y)` (also `CalibratedClassifierCV(
        // FrozenEstimator(clf), method="sigmoid")` on a predict_proba-only classifier) gives
        // a = -4.928150369881801, b = 2.03748484900574; it stops L-BFGS-B at gtol 1e-6, and
        // numpy Newton iterated to a gradient of 2e-16 gives the optimum
        // a = -4.928148881973529, b = 2.0374843639111253. We reach the latter (1e-9) and so
        // are within 2e-6 of scikit-learn.
        let (a, b) = platt(&P, &Y);
        assert!((a - -4.928148881973529).abs() < 1e-9, "a = {a}");
        assert!((b - 2.0374843639111253).abs() < 1e-9, "b = {b}");
        assert!((a - -4.928150369881801).abs() < 2e-6);
        assert!((b - 2.03748484900574).abs() < 2e-6);

        // Same calls on (P2, Y2): scikit-learn a = -5.75541788460597, b = 2.685574449377461;
        // the numpy Newton optimum a = -5.755417899373487, b = 2.6855744570895306.
        let (a, b) = platt(&P2, &Y2);
        assert!((a - -5.755417899373487).abs() < 1e-9, "a = {a}");
        assert!((b - 2.6855744570895306).abs() < 1e-9, "b = {b}");
        assert!((a - -5.75541788460597).abs() < 1e-6);
        assert!((b - 2.685574449377461).abs() < 1e-6);
    }

    #[test]
    fn platt_predictions_match_sklearn() {
        // scikit-learn 1.9.1: `a, b = _sigmoid_calibration(p2, y2); expit(-(a * Q + b))`.
        let expected = [
            0.06382996027871343,
            0.08334033981055305,
            0.2770886550978418,
            0.3644573115065892,
            0.5478864006008022,
            0.8514598837605177,
            0.9556315345529807,
        ];
        let cal = Calibrator::fit(CalibrationMethod::Platt, &P2, &Y2).expect("two classes");
        for (got, want) in cal.apply_all(&Q).into_iter().zip(expected) {
            // scikit-learn's own stopping error in (a, b) moves these by under 1e-8.
            assert!((got - want).abs() < 1e-7, "{got} vs {want}");
        }
    }

    #[test]
    fn platt_rescales_large_scores_like_sklearn() {
        // Scores beyond 30 are divided by their maximum for the fit; the fitted map depends
        // only on a·F, so scaling the scores by 100 divides a by 100 and keeps b.
        let big: Vec<f64> = P.iter().map(|p| p * 100.0).collect();
        let (a, b) = platt(&P, &Y);
        let (a100, b100) = platt(&big, &Y);
        assert!((a100 * 100.0 - a).abs() < 1e-9);
        assert!((b100 - b).abs() < 1e-9);
    }

    #[test]
    fn isotonic_matches_sklearn() {
        // scikit-learn 1.9.1 `ir = IsotonicRegression(out_of_bounds="clip", y_min=0,
        // y_max=1).fit(P, Y)`: X_thresholds_ = [0.05, 0.2, 0.35, 0.4, 0.65, 0.9],
        // y_thresholds_ = [0, 0, 0.5, 0.5, 1, 1]; `ir.predict(Q)` =
        // [0, 0, 0.3333333333333333, 0.5, 0.7, 1, 1].
        let cal = Calibrator::fit(CalibrationMethod::Isotonic, &P, &Y).expect("two classes");
        assert_eq!(
            cal,
            Calibrator::Isotonic {
                x: vec![0.05, 0.2, 0.35, 0.4, 0.65, 0.9],
                y: vec![0.0, 0.0, 0.5, 0.5, 1.0, 1.0],
            }
        );
        let expected = [0.0, 0.0, 0.3333333333333333, 0.5, 0.7, 1.0, 1.0];
        for (got, want) in cal.apply_all(&Q).into_iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }

        // Same calls on (P2, Y2), with tied scores of both labels (0.63, 0.5, 0.51, 0.47):
        // X_thresholds_ = [0, 0.04, 0.15, 0.37, 0.45, 0.63, 0.69, 1],
        // y_thresholds_ = [0, 0, 1/6, 1/6, 7/12, 7/12, 1, 1]; `ir.predict(Q)` =
        // [0, 0.015151515151515157, 0.16666666666666666, 0.16666666666666666,
        //  0.5833333333333334, 1, 1].
        let cal = Calibrator::fit(CalibrationMethod::Isotonic, &P2, &Y2).expect("two classes");
        let Calibrator::Isotonic { x, y } = &cal else {
            panic!("expected isotonic, got {cal:?}");
        };
        assert_eq!(x, &[0.0, 0.04, 0.15, 0.37, 0.45, 0.63, 0.69, 1.0]);
        let y_expected = [
            0.0,
            0.0,
            0.16666666666666666,
            0.16666666666666666,
            0.5833333333333334,
            0.5833333333333334,
            1.0,
            1.0,
        ];
        for (got, want) in y.iter().zip(y_expected) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        let expected = [
            0.0,
            0.015151515151515157,
            0.16666666666666666,
            0.16666666666666666,
            0.5833333333333334,
            1.0,
            1.0,
        ];
        for (got, want) in cal.apply_all(&Q).into_iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    #[test]
    fn isotonic_merges_near_ties_like_make_unique() {
        // scikit-learn 1.9.1 `_make_unique([0.5, nextafter(0.5, 1), 0.5 + 5e-16, 0.5 + 2e-15,
        // 0.7], [0, 1, 1, 1, 0], ones(5))` = x [0.5, 0.5 + 2e-15, 0.7], y [2/3, 1, 0]; the
        // increasing fit then pools everything to 0.6 (hand calculation: 3/5).
        let x = [0.5, 0.5f64.next_up(), 0.5 + 5e-16, 0.5 + 2e-15, 0.7];
        let cal = Calibrator::fit(CalibrationMethod::Isotonic, &x, &[0, 1, 1, 1, 0])
            .expect("two classes");
        assert_eq!(
            cal,
            Calibrator::Isotonic {
                x: vec![0.5, 0.7],
                y: vec![0.6, 0.6]
            }
        );
    }

    #[test]
    fn isotonic_with_one_distinct_score_is_constant() {
        // Hand calculation: all four scores tie, so the fit is their mean label 0.25 everywhere.
        let cal = Calibrator::fit(CalibrationMethod::Isotonic, &[0.3; 4], &[0, 1, 0, 0])
            .expect("two classes");
        assert_eq!(cal.apply_all(&[0.0, 0.3, 1.0]), [0.25, 0.25, 0.25]);
    }

    #[test]
    fn rejects_bad_input() {
        let fit = |p: &[f64], y: &[u8]| Calibrator::fit(CalibrationMethod::Platt, p, y);
        assert_eq!(
            fit(&[0.1, 0.2], &[0]),
            Err(CalibrationError::MismatchedShapes(1, 2))
        );
        assert_eq!(fit(&[], &[]), Err(CalibrationError::Empty));
        assert_eq!(
            fit(&[0.1, 0.9], &[1, 1]),
            Err(CalibrationError::SingleClassTarget)
        );
        assert!(matches!(
            fit(&[0.1, f64::NAN], &[0, 1]),
            Err(CalibrationError::NonFiniteScore { row: 1, .. })
        ));
        assert!(matches!(
            Calibrator::fit(CalibrationMethod::Isotonic, &[0.1, f64::INFINITY], &[0, 1]),
            Err(CalibrationError::NonFiniteScore { row: 1, .. })
        ));
        assert_eq!(
            fit(&[0.1, 0.9], &[0, 2]),
            Err(CalibrationError::NotBinaryLabel { row: 1, value: 2 })
        );
    }

    #[test]
    fn serde_round_trip_is_tagged() {
        let cal = Calibrator::Platt { a: -4.5, b: 2.0 };
        let json = serde_json::to_string(&cal).expect("serialise");
        assert_eq!(json, r#"{"method":"platt","a":-4.5,"b":2.0}"#);
        assert_eq!(
            serde_json::from_str::<Calibrator>(&json).expect("read"),
            cal
        );
        let iso = Calibrator::fit(CalibrationMethod::Isotonic, &P, &Y).expect("two classes");
        let json = serde_json::to_string(&iso).expect("serialise");
        assert_eq!(
            serde_json::from_str::<Calibrator>(&json).expect("read"),
            iso
        );
        assert_eq!(
            serde_json::to_string(&CalibrationMethod::Isotonic).expect("serialise"),
            r#""isotonic""#
        );
    }

    proptest::proptest! {
        #[test]
        fn calibration_is_monotone_and_stays_in_unit_interval(
            pairs in proptest::collection::vec((0u8..2, 0u32..=40), 2..120),
            queries in proptest::collection::vec(-0.5f64..1.5, 1..40),
        ) {
            // Scores on a grid of 0.025 so ties are common.
            let y: Vec<u8> = pairs.iter().map(|p| p.0).collect();
            let s: Vec<f64> = pairs.iter().map(|p| f64::from(p.1) / 40.0).collect();
            let mut q = queries;
            q.extend_from_slice(&s);
            q.sort_by(f64::total_cmp);
            for method in [CalibrationMethod::Platt, CalibrationMethod::Isotonic] {
                let Ok(cal) = Calibrator::fit(method, &s, &y) else {
                    continue; // one class
                };
                let out = cal.apply_all(&q);
                proptest::prop_assert!(out.iter().all(|v| (0.0..=1.0).contains(v)));
                let increasing = match cal {
                    Calibrator::Platt { a, .. } => a <= 0.0,
                    Calibrator::Isotonic { .. } => true,
                };
                for w in out.windows(2) {
                    if increasing {
                        proptest::prop_assert!(w[1] >= w[0] - 1e-15, "{:?}", w);
                    } else {
                        proptest::prop_assert!(w[1] <= w[0] + 1e-15, "{:?}", w);
                    }
                }
            }
        }
    }

    #[test]
    fn prior_correction_matches_a_hand_calculation() {
        // One churner in four, fitted with scikit-learn's balanced weights n / (2 n_class):
        // 4/6 for the others and 4/2 for the churner, so the model saw a share of
        // 2 / (2 + 3 · 4/6) = 0.5 where the real one is 0.25.
        let c = PriorCorrection::for_fit(&[1, 0, 0, 0], &[1, 0, 0, 0], Some([4.0 / 6.0, 2.0]))
            .expect("shares differ");
        assert_eq!((c.base_rate, c.fitted_rate), (0.25, 0.5));
        assert!((c.log_odds_shift - 3f64.ln()).abs() < 1e-12);
        // By hand: shift = ln(0.5 · 0.75 / (0.25 · 0.5)) = ln 3; logit(0.8) = ln 4, so the
        // corrected odds are 4/3 and the probability 4/7; p = 0.5 goes to the base rate.
        assert!((c.apply(0.8) - 4.0 / 7.0).abs() < 1e-12, "{}", c.apply(0.8));
        assert!((c.apply(0.5) - 0.25).abs() < 1e-12);
        assert_eq!((c.apply(0.0), c.apply(1.0)), (0.0, 1.0));
        assert!(c.apply(f64::NAN).is_nan());
        // Oversampling to 3 + 3 rows: the same shares without weights.
        let over = PriorCorrection::for_fit(&[1, 0, 0, 0], &[1, 1, 1, 0, 0, 0], None);
        assert_eq!(over, Some(c));
        // Nothing to correct when the model saw the real share.
        assert_eq!(PriorCorrection::for_fit(&[1, 0], &[1, 0], None), None);
    }

    #[test]
    fn matched_shift_gives_the_real_share_on_average() {
        let c = PriorCorrection::for_fit(&[1, 0, 0, 0], &[1, 1, 1, 0, 0, 0], None).expect("c");
        // Every score 0.5: the mean is matched exactly by King and Zeng's ln 3 (by hand above).
        let same = c.matched_to(&[0.5; 4]);
        assert!((same.log_odds_shift - 3f64.ln()).abs() < 1e-9, "{same:?}");
        // Scores 0.2 and 0.8, by hand: with e = exp(−shift) they become e/(e + 4) and
        // 4e/(4e + 1); their mean is 0.25 when 6e² + 8.5e − 2 = 0, e = (−8.5 + √120.25)/12
        // = 0.2054880, shift = 1.5823676 (more than ln 3 = 1.0986: spread scores need more).
        let matched = c.matched_to(&[0.2, 0.8]);
        assert!(
            (matched.log_odds_shift - 1.582_367_600_5).abs() < 1e-9,
            "{matched:?}"
        );
        // Degenerate scores leave the correction as it was.
        assert_eq!(c.matched_to(&[]), c);
        assert_eq!(c.matched_to(&[f64::NAN]), c);
    }

    #[test]
    fn prior_correction_check_rejects_impossible_shares() {
        let cases = [
            (0.0, 0.5, 1.0),
            (0.3, 1.0, 1.0),
            (f64::NAN, 0.5, 1.0),
            (0.2, 0.5, f64::INFINITY),
        ];
        for (base_rate, fitted_rate, log_odds_shift) in cases {
            let c = PriorCorrection {
                base_rate,
                fitted_rate,
                log_odds_shift,
            };
            assert!(
                matches!(c.check(), Err(CalibrationError::Invalid(_))),
                "{c:?}"
            );
        }
    }
}
