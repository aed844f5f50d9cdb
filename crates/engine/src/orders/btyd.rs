//! The classic "buy till you die" models of repeat buying: BG/NBD (Fader, Hardie & Lee 2005,
//! "Counting Your Customers the Easy Way: An Alternative to the Pareto/NBD Model") and
//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987, "Counting Your Customers: Who Are They and
//! What Will They Do Next?", with the likelihood of Fader & Hardie 2005, "A Note on Deriving the
//! Pareto/NBD Model and Related Expressions").
//!
//! Both models say the same about a customer who is still alive: purchases come as a Poisson
//! process with rate λ, and λ varies across customers as Gamma(r, α) (shape r, rate α). They
//! differ in how customers die (stop buying for good, unobserved):
//!
//! - BG/NBD: after each repeat purchase the customer drops out with probability p, and p varies
//!   across customers as Beta(a, b). A customer can only drop out right after a purchase.
//! - Pareto/NBD: the customer's lifetime is exponential with rate μ, and μ varies across
//!   customers as Gamma(s, β). A customer can die at any moment.
//!
//! A customer's history in the calibration period is summarised by (x, t_x, T): see
//! [`History`]. Fitting maximises the log-likelihood over the logs of the four parameters
//! (all positive): Nelder–Mead from a deterministic start, restarted once from its best point,
//! then polished by damped Newton steps with numeric derivatives. Customers with identical
//! histories are merged into weighted groups first, and the per-customer terms that depend on
//! x only or on one time only are computed once per distinct value, so a fit costs
//! (distinct histories) × (a few hundred likelihood evaluations).
//!
//! Numerics: everything is computed in log space, so large x cannot overflow. The Pareto/NBD
//! likelihood needs ∫ (α+τ)^-(r+x) (β+τ)^-(s+1) dτ, a Gauss hypergeometric function
//! 2F1(r+s+x, ·; r+s+x+1; z) with 0 <= z < 1; after Euler's transformation it is a series of
//! positive terms, evaluated by Gauss's continued fraction (the one behind the incomplete beta
//! function), which converges in about 7/√(1−z) steps, so z close to 1 stays cheap and exact.
//! No function here panics: invalid histories or parameters give an error from `fit` and NaN
//! from the per-customer functions.

use serde::{Deserialize, Serialize};

use crate::monitoring::stats::ln_gamma;

/// One customer's history in the calibration period, in one time unit (the caller uses weeks):
/// x = number of repeat purchases (purchases after the first), t_x = time of the last purchase
/// measured from the first purchase (0 when x = 0), t = time from the first purchase to the end of
/// the calibration period (T in the papers).
///
/// x must be a whole number, all three finite and non-negative, and t_x <= t. When x = 0 the
/// last purchase is the first one, so t_x is read as 0 whatever it holds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub x: f64,
    pub t_x: f64,
    pub t: f64,
}

/// Why a model could not be fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum BtydError {
    /// The list of customers is empty.
    #[error("there are no customers to fit the model on")]
    NoCustomers,
    /// Every customer bought exactly once (x = 0 for all): the model cannot tell how often
    /// customers buy from how soon they stop, so its parameters are not identified.
    #[error(
        "no customer bought more than once, so the model cannot tell how often customers buy \
         from how soon they stop buying; it needs some repeat buyers"
    )]
    NoRepeatBuyers,
    /// The history at `index` (counting from 0 in the slice given) is unusable; the message
    /// counts customers from 1.
    #[error("customer number {} in the list has an unusable history: {reason}", .index + 1)]
    InvalidHistory { index: usize, reason: String },
    /// The likelihood search did not settle on a maximum (or ran off to a parameter of
    /// e^±30, i.e. the data push the model to a degenerate limit).
    #[error(
        "the {model} model could not be fitted: the search for its parameters did not settle, \
         which usually means the data do not suit the model (for example very few repeat \
         purchases or very short histories)"
    )]
    DidNotConverge { model: &'static str },
    /// The caller's cancel closure returned true.
    #[error("the fit was cancelled")]
    Cancelled,
}

/// A fitted (or given) BG/NBD model. Time is in the unit of the histories it was fitted on.
///
/// λ ~ Gamma(r, α): purchase rate while alive (mean r/α purchases per unit of time).
/// p ~ Beta(a, b): probability of dropping out after each repeat purchase (mean a/(a+b)).
/// `log_likelihood` is the log-likelihood of the data the model was fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
    pub log_likelihood: f64,
}

/// A fitted (or given) Pareto/NBD model. Time is in the unit of the histories it was fitted
/// on.
///
/// λ ~ Gamma(r, α): purchase rate while alive (mean r/α purchases per unit of time).
/// μ ~ Gamma(s, β): death rate (exponential lifetime; mean rate s/β per unit of time).
/// `log_likelihood` is the log-likelihood of the data the model was fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbd {
    pub r: f64,
    pub alpha: f64,
    pub s: f64,
    pub beta: f64,
    pub log_likelihood: f64,
}

/// Logs of the four parameters, the space the fit searches.
type Theta = [f64; 4];

/// The parameters' logs stay within ±LOG_BOUND (e^30 ≈ 1e13): beyond it the objective is +∞,
/// and a fit that ends within 1 of it has run off to a degenerate limit.
const LOG_BOUND: f64 = 30.0;
/// Nelder–Mead stops when its simplex's values differ by at most this, relative (loose: the
/// Newton steps after it bring the precision).
const NM_TOLERANCE: f64 = 1e-8;
/// Nelder–Mead iteration cap (per run).
const NM_MAX_ITERATIONS: usize = 5_000;
/// Newton iteration cap.
const NEWTON_MAX_ITERATIONS: usize = 50;
/// Newton stops when the decrement gᵀH⁻¹g, twice the log-likelihood still to gain, is below
/// this.
const NEWTON_TOLERANCE: f64 = 1e-9;
/// A Newton step's largest change of a log-parameter.
const NEWTON_MAX_STEP: f64 = 2.0;
/// Step of the numeric derivatives, in log-parameter units.
const DIFF_STEP: f64 = 2e-4;
/// Step cap of the continued fraction (enough for 1 − z down to about 1e-9).
const CF_MAX_STEPS: usize = 200_000;
/// Term cap of the BG/NBD expectation's series (enough for 1 − z down to about 4e-5).
const SERIES_MAX_TERMS: usize = 1_000_000;
/// Denominators of the continued fraction are kept at least this far from 0 (Lentz).
const TINY: f64 = 1e-300;

impl History {
    /// The history with t_x read as 0 when x = 0, or why it is unusable.
    fn validated(&self) -> Result<History, String> {
        let History { x, t_x, t } = *self;
        if !(x.is_finite() && t_x.is_finite() && t.is_finite()) {
            return Err(format!(
                "x = {x}, t_x = {t_x}, t = {t}: all must be finite numbers"
            ));
        }
        if x < 0.0 || t_x < 0.0 || t < 0.0 {
            return Err(format!(
                "x = {x}, t_x = {t_x}, t = {t}: none may be negative"
            ));
        }
        if x.fract() != 0.0 {
            return Err(format!("x = {x} is not a whole number of repeat purchases"));
        }
        if t_x > t {
            return Err(format!(
                "the last purchase (t_x = {t_x}) is after the end of the period (t = {t})"
            ));
        }
        // `+ 0.0` turns -0.0 into 0.0, so equal histories sort and merge as equal.
        let t_x = if x == 0.0 { 0.0 } else { t_x + 0.0 };
        Ok(History {
            x: x + 0.0,
            t_x,
            t: t + 0.0,
        })
    }
}

/// Customers with identical histories merged, with the distinct x values, times and (x, time)
/// pairs indexed so the likelihood computes each per-x, per-time and per-pair term once.
struct Groups {
    /// Distinct x values, ascending.
    xs: Vec<f64>,
    /// Distinct times (every t_x and t), ascending.
    times: Vec<f64>,
    /// Distinct (x, time) pairs (indexes into `xs` and `times`) of every (x, t_x) and (x, t).
    pairs: Vec<(usize, usize)>,
    rows: Vec<Group>,
}

/// Customers sharing one history: indexes into [`Groups::xs`], [`Groups::times`] and
/// [`Groups::pairs`].
#[derive(Clone, Copy)]
struct Group {
    x: usize,
    t_x: usize,
    t: usize,
    /// The pairs (x, t_x) and (x, t).
    pair_t_x: usize,
    pair_t: usize,
    weight: f64,
}

/// The values ascending, each once.
fn distinct(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

/// Where `value` sits in the ascending `values` (it is always there).
fn position(values: &[f64], value: f64) -> usize {
    values
        .binary_search_by(|p| p.total_cmp(&value))
        .unwrap_or_else(|i| i)
}

impl Groups {
    /// Validates and groups the histories: NoCustomers when empty, InvalidHistory naming the
    /// first unusable one.
    fn new(data: &[History]) -> Result<Groups, BtydError> {
        if data.is_empty() {
            return Err(BtydError::NoCustomers);
        }
        let mut clean = data
            .iter()
            .enumerate()
            .map(|(index, h)| {
                h.validated()
                    .map_err(|reason| BtydError::InvalidHistory { index, reason })
            })
            .collect::<Result<Vec<History>, BtydError>>()?;
        clean.sort_by(|p, q| {
            (p.x.total_cmp(&q.x))
                .then(p.t_x.total_cmp(&q.t_x))
                .then(p.t.total_cmp(&q.t))
        });
        let mut merged: Vec<(History, f64)> = Vec::new();
        for h in clean {
            match merged.last_mut() {
                Some((last, weight)) if *last == h => *weight += 1.0,
                _ => merged.push((h, 1.0)),
            }
        }
        let xs = distinct(merged.iter().map(|(h, _)| h.x));
        let times = distinct(merged.iter().flat_map(|(h, _)| [h.t_x, h.t]));
        let indexed: Vec<[usize; 3]> = (merged.iter())
            .map(|(h, _)| {
                [
                    position(&xs, h.x),
                    position(&times, h.t_x),
                    position(&times, h.t),
                ]
            })
            .collect();
        let mut pairs: Vec<(usize, usize)> = indexed
            .iter()
            .flat_map(|&[x, t_x, t]| [(x, t_x), (x, t)])
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let pair = |p: (usize, usize)| pairs.binary_search(&p).unwrap_or_else(|i| i);
        let rows = (indexed.iter().zip(&merged))
            .map(|(&[x, t_x, t], (_, weight))| Group {
                x,
                t_x,
                t,
                pair_t_x: pair((x, t_x)),
                pair_t: pair((x, t)),
                weight: *weight,
            })
            .collect();
        Ok(Groups {
            xs,
            times,
            pairs,
            rows,
        })
    }

    /// NoRepeatBuyers when every x is 0.
    fn require_repeat_buyers(&self) -> Result<(), BtydError> {
        match self.xs.last() {
            Some(&x) if x > 0.0 => Ok(()),
            _ => Err(BtydError::NoRepeatBuyers),
        }
    }

    /// A starting α for r = 1: total time over total repeat purchases, so that the starting
    /// mean rate r/α matches the data's.
    fn start_alpha(&self) -> f64 {
        let (mut time, mut purchases) = (0.0, 0.0);
        for g in &self.rows {
            time += g.weight * self.times[g.t];
            purchases += g.weight * self.xs[g.x];
        }
        let alpha = time / purchases;
        if alpha.is_finite() {
            alpha.clamp(1e-6, 1e6)
        } else {
            1.0
        }
    }

    /// ln(c + v) for every distinct time v.
    fn log_shifted_times(&self, c: f64) -> Vec<f64> {
        self.times.iter().map(|&v| (c + v).ln()).collect()
    }
}

/// ln(1 + e^u) without overflow.
fn softplus(u: f64) -> f64 {
    if u > 0.0 {
        u + (-u).exp().ln_1p()
    } else {
        u.exp().ln_1p()
    }
}

/// ln(e^p + e^q) without overflow; -∞ stands for a zero term.
fn log_add_exp(p: f64, q: f64) -> f64 {
    let (hi, lo) = if p >= q { (p, q) } else { (q, p) };
    if lo == f64::NEG_INFINITY {
        hi
    } else {
        hi + softplus(lo - hi)
    }
}

/// (e^u − 1)/u, 1 at u = 0, accurate for small u.
fn expm1_over(u: f64) -> f64 {
    if u == 0.0 {
        1.0
    } else {
        u.exp_m1() / u
    }
}

/// A denominator kept away from 0 (modified Lentz method).
fn away_from_zero(v: f64) -> f64 {
    if v.abs() < TINY {
        TINY
    } else {
        v
    }
}

/// ln 2F1(1, k+1−b; k+1; z) for k > 0, b > 0, 0 <= z < 1.
///
/// By Euler's transformation 2F1(k, b; k+1; z) = (1−z)^(1−b) 2F1(1, k+1−b; k+1; z), and the
/// latter, a series of positive terms, equals Gauss's continued fraction
/// 1/(1+d₁/(1+d₂/(1+…))) with d₂ₘ₊₁ = −(k+m)(k+b'+m)z/((k+2m)(k+2m+1)) and
/// d₂ₘ = m(b'−m)z/((k+2m−1)(k+2m)), b' = 1−b (the fraction of the incomplete beta function
/// B_z(k, b'), z^k (1−z)^b' 2F1(k+b', 1; k+1; z) / k). It is evaluated by the modified Lentz
/// method and converges in about 7/√(1−z) steps, where the plain series needs ~37/(1−z).
fn ln_hyp2f1_euler(k: f64, b: f64, z: f64) -> f64 {
    if z == 0.0 {
        return 0.0;
    }
    let bp = 1.0 - b;
    let mut c = 1.0;
    let mut d = 1.0 / away_from_zero(1.0 - (k + bp) * z / (k + 1.0));
    let mut h = d;
    for m in 1..CF_MAX_STEPS {
        let m = m as f64;
        let even = m * (bp - m) * z / ((k + 2.0 * m - 1.0) * (k + 2.0 * m));
        d = 1.0 / away_from_zero(1.0 + even * d);
        c = away_from_zero(1.0 + even / c);
        h *= d * c;
        let odd = -(k + m) * (k + bp + m) * z / ((k + 2.0 * m) * (k + 2.0 * m + 1.0));
        d = 1.0 / away_from_zero(1.0 + odd * d);
        c = away_from_zero(1.0 + odd / c);
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-15 || delta.is_nan() {
            break;
        }
    }
    h.ln()
}

/// Σ_{n>=1} (A)_n (a)_{n−1} / ((c+1)_{n−1} n!) zⁿ for 0 <= z < 1, a > 0, c > −1: the part of
/// the BG/NBD expectation's 2F1 beyond its leading 1 (see [`BgNbd::expected_purchases`]).
/// Summed until the tail, bounded geometrically, is below 1e-16 of `scale` + |sum|.
fn bg_series(big_a: f64, a: f64, c: f64, z: f64, scale: f64) -> f64 {
    let mut term = big_a * z;
    let mut sum = term;
    let mut n = 1.0;
    for _ in 0..SERIES_MAX_TERMS {
        if term == 0.0 || !term.is_finite() {
            break;
        }
        let ratio = (big_a + n) * (a + n - 1.0) / ((c + n) * (n + 1.0)) * z;
        term *= ratio;
        sum += term;
        n += 1.0;
        let q = ratio.abs().max(z);
        if q < 1.0 && term.abs() * q / (1.0 - q) <= 1e-16 * (scale + sum.abs()) {
            break;
        }
    }
    sum
}

/// Whether every parameter is a positive finite number.
fn positive(values: &[f64]) -> bool {
    values.iter().all(|v| v.is_finite() && *v > 0.0)
}

/// The history, validated, and a horizon that is finite and >= 0; None otherwise.
fn checked(h: &History, horizon: f64) -> Option<History> {
    (horizon.is_finite() && horizon >= 0.0)
        .then(|| h.validated().ok())
        .flatten()
}

impl BgNbd {
    /// Fits r, α, a, b by maximum likelihood (the likelihood of Fader, Hardie & Lee 2005,
    /// eq. 6). `cancel` is called every iteration; returning true gives Err(Cancelled).
    pub fn fit(data: &[History], cancel: &dyn Fn() -> bool) -> Result<Self, BtydError> {
        let groups = Groups::new(data)?;
        groups.require_repeat_buyers()?;
        let start = [1.0, groups.start_alpha(), 1.0, 3.0].map(f64::ln);
        let mut objective = |theta: &Theta| -bg_log_likelihood(&groups, &BgNbd::from_logs(theta));
        let theta = minimise(&mut objective, start, "BG/NBD", cancel)?;
        let mut model = BgNbd::from_logs(&theta);
        model.log_likelihood = bg_log_likelihood(&groups, &model);
        Ok(model)
    }

    /// The model with parameters e^θ (and no log-likelihood yet).
    fn from_logs(theta: &Theta) -> Self {
        let [r, alpha, a, b] = theta.map(f64::exp);
        BgNbd {
            r,
            alpha,
            a,
            b,
            log_likelihood: f64::NAN,
        }
    }

    fn is_valid(&self) -> bool {
        positive(&[self.r, self.alpha, self.a, self.b])
    }

    /// The log-likelihood of `data` under r, α, a, b (the stored `log_likelihood` is not
    /// used), summed over customers: for one customer
    /// L = Γ(r+x) α^r / Γ(r) · B(a, b+x)/B(a, b) · [(α+T)^-(r+x) + δ(x>0) a/(b+x−1) (α+t_x)^-(r+x)].
    /// NaN when a history is unusable or a parameter is not positive; 0 for no customers.
    pub fn log_likelihood_of(&self, data: &[History]) -> f64 {
        match Groups::new(data) {
            Ok(groups) => bg_log_likelihood(&groups, self),
            Err(BtydError::NoCustomers) => 0.0,
            Err(_) => f64::NAN,
        }
    }

    /// ln of the odds "dropped out after the last purchase" against "alive at T":
    /// ln[a/(b+x−1)] + (r+x) ln[(α+T)/(α+t_x)]; -∞ when x = 0.
    fn log_odds_dead(&self, h: &History) -> f64 {
        if h.x == 0.0 {
            return f64::NEG_INFINITY;
        }
        (self.a / (self.b + h.x - 1.0)).ln()
            + (self.r + h.x) * ((h.t - h.t_x) / (self.alpha + h.t_x)).ln_1p()
    }

    /// P(alive at T | x, t_x, T) = 1 / (1 + δ(x>0) a/(b+x−1) ((α+T)/(α+t_x))^(r+x))
    /// (Fader, Hardie & Lee 2005, eq. 9): 1 for x = 0, since a BG/NBD customer can only drop
    /// out right after a repeat purchase. NaN for an unusable history or parameters.
    pub fn p_alive(&self, h: &History) -> f64 {
        match h.validated() {
            Ok(h) if self.is_valid() => (-softplus(self.log_odds_dead(&h))).exp(),
            _ => f64::NAN,
        }
    }

    /// E[purchases in (T, T+horizon] | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10):
    /// P(alive) · (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+h))^(r+x) 2F1(r+x, b+x; a+b+x−1; z)],
    /// z = h/(α+T+h). Computed after Euler's transformation as
    /// P(alive) · [−c ln(1−z) (e^(εℓ)−1)/(εℓ) − e^(εℓ) Σ], c = a+b+x−1, ε = a−1,
    /// ℓ = ln(1−z), Σ = [`bg_series`], which stays exact at a = 1 and a+b+x = 1.
    /// NaN for an unusable history, parameters, or a negative or infinite horizon.
    pub fn expected_purchases(&self, h: &History, horizon: f64) -> f64 {
        let Some(h) = checked(h, horizon).filter(|_| self.is_valid()) else {
            return f64::NAN;
        };
        if horizon == 0.0 {
            return 0.0;
        }
        let (r, a, x) = (self.r, self.a, h.x);
        let c = a + self.b + x - 1.0;
        let ell = -(horizon / (self.alpha + h.t)).ln_1p();
        let z = horizon / (self.alpha + h.t + horizon);
        let lead = -c * ell * expm1_over((a - 1.0) * ell);
        let series = bg_series(a + self.b - 1.0 - r, a, c, z, lead.abs());
        let alive = (-softplus(self.log_odds_dead(&h))).exp();
        (alive * (lead - ((a - 1.0) * ell).exp() * series)).max(0.0)
    }

    /// P(no purchase in (T, T+horizon] | x, t_x, T), the churn score:
    /// 1 − P(alive) · (1 − ((α+T)/(α+T+h))^(r+x)). Given alive at T, λ ~ Gamma(r+x, α+T) and
    /// the next event is a purchase (dropping out only follows a purchase), so P(no purchase |
    /// alive) = E[e^(−λh)] = ((α+T)/(α+T+h))^(r+x); a dead customer never buys. Equivalently
    /// L(x, t_x, T+h) / L(x, t_x, T). Tends to 1 − P(alive) as the horizon grows.
    pub fn p_no_purchase(&self, h: &History, horizon: f64) -> f64 {
        let Some(h) = checked(h, horizon).filter(|_| self.is_valid()) else {
            return f64::NAN;
        };
        let alive = (-softplus(self.log_odds_dead(&h))).exp();
        let buys_if_alive = -(-(self.r + h.x) * (horizon / (self.alpha + h.t)).ln_1p()).exp_m1();
        (1.0 - alive * buys_if_alive).clamp(0.0, 1.0)
    }
}

/// The BG/NBD log-likelihood of the grouped data (see [`BgNbd::log_likelihood_of`]), with
/// the Γ terms computed once per distinct x and ln(α+t) once per distinct time.
fn bg_log_likelihood(groups: &Groups, m: &BgNbd) -> f64 {
    if !m.is_valid() {
        return f64::NAN;
    }
    let (r, a, b) = (m.r, m.a, m.b);
    let base = r * m.alpha.ln() - ln_gamma(r) + ln_gamma(a + b) - ln_gamma(b);
    let per_x: Vec<(f64, f64)> = (groups.xs.iter())
        .map(|&x| {
            let constant = base + ln_gamma(r + x) + ln_gamma(b + x) - ln_gamma(a + b + x);
            let odds = if x > 0.0 {
                (a / (b + x - 1.0)).ln()
            } else {
                f64::NEG_INFINITY
            };
            (constant, odds)
        })
        .collect();
    let la = groups.log_shifted_times(m.alpha);
    let mut total = 0.0;
    for g in &groups.rows {
        let (constant, odds) = per_x[g.x];
        let rx = r + groups.xs[g.x];
        let mut ll = constant - rx * la[g.t];
        if odds > f64::NEG_INFINITY {
            ll += softplus(odds + rx * (la[g.t] - la[g.t_x]));
        }
        total += g.weight * ll;
    }
    total
}

/// ln(α+t) and ln(β+t) at one time.
#[derive(Clone, Copy)]
struct LogTimes {
    alpha: f64,
    beta: f64,
}

impl ParetoNbd {
    /// Fits r, α, s, β by maximum likelihood (the likelihood of Fader & Hardie's 2005 note,
    /// eq. 19 and the A₀ of eqs. 20–21). `cancel` is called every iteration; returning true
    /// gives Err(Cancelled).
    pub fn fit(data: &[History], cancel: &dyn Fn() -> bool) -> Result<Self, BtydError> {
        let groups = Groups::new(data)?;
        groups.require_repeat_buyers()?;
        let alpha = groups.start_alpha();
        let start = [1.0, alpha, 1.0, alpha].map(f64::ln);
        let mut objective =
            |theta: &Theta| -pareto_log_likelihood(&groups, &ParetoNbd::from_logs(theta));
        let theta = minimise(&mut objective, start, "Pareto/NBD", cancel)?;
        let mut model = ParetoNbd::from_logs(&theta);
        model.log_likelihood = pareto_log_likelihood(&groups, &model);
        Ok(model)
    }

    /// The model with parameters e^θ (and no log-likelihood yet).
    fn from_logs(theta: &Theta) -> Self {
        let [r, alpha, s, beta] = theta.map(f64::exp);
        ParetoNbd {
            r,
            alpha,
            s,
            beta,
            log_likelihood: f64::NAN,
        }
    }

    fn is_valid(&self) -> bool {
        positive(&[self.r, self.alpha, self.s, self.beta])
    }

    fn log_times(&self, t: f64) -> LogTimes {
        LogTimes {
            alpha: (self.alpha + t).ln(),
            beta: (self.beta + t).ln(),
        }
    }

    /// The log-likelihood of `data` under r, α, s, β (the stored `log_likelihood` is not
    /// used), summed over customers: for one customer
    /// L = Γ(r+x) α^r β^s / Γ(r) · [(α+T)^-(r+x) (β+T)^-s + s ∫_{t_x}^T (α+τ)^-(r+x) (β+τ)^-(s+1) dτ]
    /// (alive at T, or died at τ between the last purchase and T). NaN when a history is
    /// unusable or a parameter is not positive; 0 for no customers.
    pub fn log_likelihood_of(&self, data: &[History]) -> f64 {
        match Groups::new(data) {
            Ok(groups) => pareto_log_likelihood(&groups, self),
            Err(BtydError::NoCustomers) => 0.0,
            Err(_) => f64::NAN,
        }
    }

    /// ln G(t), G(t) = ∫_t^∞ (α+τ)^-(r+x) (β+τ)^-(s+1) dτ, from ln(α+t) and ln(β+t).
    /// With k = r+s+x, m = max(α, β) and z = |α−β|/(m+t) in [0, 1), G(t) = (m+t)^-k
    /// 2F1(k, b; k+1; z)/k, with b = s+1 when α >= β and b = r+x when α < β (Fader & Hardie's
    /// A₀). In logs, after Euler's transformation: ln(α+t)^-(r+x)(β+t)^-s − ln k
    /// + ln 2F1(1, k+1−b; k+1; z), plus ln((α+t)/(β+t)) when α < β.
    fn ln_tail(&self, x: f64, at: LogTimes) -> f64 {
        let k = self.r + self.s + x;
        let base = -(self.r + x) * at.alpha - self.s * at.beta;
        let (b, extra, gap) = if self.alpha >= self.beta {
            (self.s + 1.0, 0.0, at.beta - at.alpha)
        } else {
            (self.r + x, at.alpha - at.beta, at.alpha - at.beta)
        };
        // gap = ln((min(α,β)+t)/(max(α,β)+t)) <= 0 and z = 1 − e^gap.
        base + extra - k.ln() + ln_hyp2f1_euler(k, b, -gap.exp_m1())
    }

    /// ln of the likelihood without its factor Γ(r+x) α^r β^s / Γ(r):
    /// ln[(α+T)^-(r+x) (β+T)^-s + s (G(t_x) − G(T))].
    fn ln_kernel(&self, x: f64, t_x: LogTimes, t: LogTimes) -> f64 {
        let alive = -(self.r + x) * t.alpha - self.s * t.beta;
        pareto_kernel(alive, self.ln_tail(x, t_x), self.ln_tail(x, t), self.s.ln())
    }

    /// ln of the kernel of one validated history with its end moved to T + shift.
    fn ln_kernel_of(&self, h: &History, shift: f64) -> f64 {
        self.ln_kernel(h.x, self.log_times(h.t_x), self.log_times(h.t + shift))
    }

    /// P(alive at T | x, t_x, T) = (α+T)^-(r+x) (β+T)^-s / [L / (Γ(r+x) α^r β^s / Γ(r))]
    /// (Fader & Hardie's note, eq. 23): the "alive" term's share of the likelihood. Below 1
    /// even for x = 0. NaN for an unusable history or parameters.
    pub fn p_alive(&self, h: &History) -> f64 {
        match h.validated() {
            Ok(h) if self.is_valid() => self.p_alive_checked(&h),
            _ => f64::NAN,
        }
    }

    fn p_alive_checked(&self, h: &History) -> f64 {
        let t = self.log_times(h.t);
        let alive = -(self.r + h.x) * t.alpha - self.s * t.beta;
        (alive - self.ln_kernel_of(h, 0.0)).exp().min(1.0)
    }

    /// E[purchases in (T, T+horizon] | x, t_x, T] (Schmittlein, Morrison & Colombo 1987;
    /// Fader & Hardie's note, eq. 24): P(alive) · (r+x)/(α+T) · (β+T)/(s−1)
    /// · [1 − ((β+T)/(β+T+h))^(s−1)] (given alive, E[λ] = (r+x)/(α+T) and
    /// E[(1−e^(−μh))/μ] for μ ~ Gamma(s, β+T)); the limit (β+T) ln(1+h/(β+T)) at s = 1 is
    /// taken smoothly. NaN for an unusable history, parameters, or a negative or infinite
    /// horizon.
    pub fn expected_purchases(&self, h: &History, horizon: f64) -> f64 {
        let Some(h) = checked(h, horizon).filter(|_| self.is_valid()) else {
            return f64::NAN;
        };
        let ell = (horizon / (self.beta + h.t)).ln_1p();
        let lifetime = (self.beta + h.t) * ell * expm1_over(-(self.s - 1.0) * ell);
        self.p_alive_checked(&h) * (self.r + h.x) / (self.alpha + h.t) * lifetime
    }

    /// P(no purchase in (T, T+horizon] | x, t_x, T), the churn score. Given alive at T,
    /// λ ~ Gamma(r', a') and μ ~ Gamma(s, b') independently (r' = r+x, a' = α+T, b' = β+T),
    /// and no purchase means either neither event by h or death at u < h before any purchase:
    /// P(no purchase | alive) = (a'/(a'+h))^r' (b'/(b'+h))^s +
    /// ∫_0^h (a'/(a'+u))^r' s b'^s/(b'+u)^(s+1) du; then
    /// P(no purchase | history) = 1 − P(alive) (1 − that). Both together equal
    /// L(x, t_x, T+h) / L(x, t_x, T) (the history "x repeat purchases, the last at t_x,
    /// observed until T+h"), which is how it is computed, with the integral in closed form
    /// (G(T) − G(T+h), see `ln_tail`). NaN for an unusable history, parameters, or a negative
    /// or infinite horizon.
    pub fn p_no_purchase(&self, h: &History, horizon: f64) -> f64 {
        let Some(h) = checked(h, horizon).filter(|_| self.is_valid()) else {
            return f64::NAN;
        };
        let ratio = (self.ln_kernel_of(&h, horizon) - self.ln_kernel_of(&h, 0.0)).exp();
        ratio.clamp(0.0, 1.0)
    }
}

/// ln[e^alive + s (G(t_x) − G(T))] from `alive` = ln[(α+T)^-(r+x) (β+T)^-s], the logs of
/// the tails G(t_x) >= G(T) and ln s.
fn pareto_kernel(alive: f64, g_tx: f64, g_t: f64, ln_s: f64) -> f64 {
    if g_tx.is_nan() || g_t.is_nan() {
        return f64::NAN;
    }
    if g_t >= g_tx {
        // t_x = T: no time to die unobserved.
        return alive;
    }
    let died = ln_s + g_tx + (-(g_t - g_tx).exp_m1()).ln();
    log_add_exp(alive, died)
}

/// The Pareto/NBD log-likelihood of the grouped data (see [`ParetoNbd::log_likelihood_of`]),
/// with ln Γ(r+x) computed once per distinct x, ln(α+t), ln(β+t) once per distinct time and
/// the tail integral once per distinct (x, time) pair.
fn pareto_log_likelihood(groups: &Groups, m: &ParetoNbd) -> f64 {
    if !m.is_valid() {
        return f64::NAN;
    }
    let base = m.r * m.alpha.ln() + m.s * m.beta.ln() - ln_gamma(m.r);
    let per_x: Vec<f64> = groups
        .xs
        .iter()
        .map(|&x| base + ln_gamma(m.r + x))
        .collect();
    let la = groups.log_shifted_times(m.alpha);
    let lb = groups.log_shifted_times(m.beta);
    let tails: Vec<f64> = (groups.pairs.iter())
        .map(|&(x, t)| {
            m.ln_tail(
                groups.xs[x],
                LogTimes {
                    alpha: la[t],
                    beta: lb[t],
                },
            )
        })
        .collect();
    let ln_s = m.s.ln();
    let mut total = 0.0;
    for g in &groups.rows {
        let alive = -(m.r + groups.xs[g.x]) * la[g.t] - m.s * lb[g.t];
        let kernel = pareto_kernel(alive, tails[g.pair_t_x], tails[g.pair_t], ln_s);
        total += g.weight * (per_x[g.x] + kernel);
    }
    total
}

/// Minimises `f`, a negative log-likelihood over the parameters' logs, from `start`:
/// Nelder–Mead, once more from its best point with a smaller simplex, then damped Newton
/// steps. The optimum's logs, or DidNotConverge (neither search settled, the value is not
/// finite, or a parameter ran off to the bound), or Cancelled.
fn minimise(
    f: &mut dyn FnMut(&Theta) -> f64,
    start: Theta,
    model: &'static str,
    cancel: &dyn Fn() -> bool,
) -> Result<Theta, BtydError> {
    let mut bounded = |theta: &Theta| {
        if theta.iter().any(|v| v.is_nan() || v.abs() > LOG_BOUND) {
            return f64::INFINITY;
        }
        let v = f(theta);
        if v.is_nan() {
            f64::INFINITY
        } else {
            v
        }
    };
    let (first, first_value, _) = nelder_mead(&mut bounded, start, 0.5, cancel)?;
    let (best, value, simplex_settled) = nelder_mead(&mut bounded, first, 0.2, cancel)?;
    let (best, value) = if value <= first_value {
        (best, value)
    } else {
        (first, first_value)
    };
    let (theta, value, newton_settled) = newton(&mut bounded, best, value, cancel)?;
    let at_bound = theta.iter().any(|v| v.abs() > LOG_BOUND - 1.0);
    if !value.is_finite() || at_bound || !(simplex_settled || newton_settled) {
        return Err(BtydError::DidNotConverge { model });
    }
    Ok(theta)
}

/// Nelder–Mead (reflection 1, expansion 2, contraction ½, shrink ½) from `start` with a
/// simplex of side `step`: the best point, its value, and whether the simplex's values
/// settled within [`NM_TOLERANCE`].
fn nelder_mead(
    f: &mut dyn FnMut(&Theta) -> f64,
    start: Theta,
    step: f64,
    cancel: &dyn Fn() -> bool,
) -> Result<(Theta, f64, bool), BtydError> {
    let mut simplex: Vec<(Theta, f64)> = vec![(start, f(&start))];
    for i in 0..start.len() {
        let mut p = start;
        p[i] += step;
        simplex.push((p, f(&p)));
    }
    let mut settled = false;
    for _ in 0..NM_MAX_ITERATIONS {
        if cancel() {
            return Err(BtydError::Cancelled);
        }
        simplex.sort_by(|p, q| p.1.total_cmp(&q.1));
        let (best, worst) = (simplex[0].1, simplex[simplex.len() - 1].1);
        if worst - best <= NM_TOLERANCE * (1.0 + best.abs()) {
            settled = true;
            break;
        }
        nelder_mead_step(f, &mut simplex);
    }
    simplex.sort_by(|p, q| p.1.total_cmp(&q.1));
    Ok((simplex[0].0, simplex[0].1, settled))
}

/// One Nelder–Mead move on a simplex sorted best first.
fn nelder_mead_step(f: &mut dyn FnMut(&Theta) -> f64, simplex: &mut [(Theta, f64)]) {
    let last = simplex.len() - 1;
    let (worst, worst_value) = simplex[last];
    let mut centroid = [0.0; 4];
    for (p, _) in &simplex[..last] {
        for (c, v) in centroid.iter_mut().zip(p) {
            *c += v / last as f64;
        }
    }
    let along = |t: f64| -> Theta {
        let mut p = centroid;
        for (c, w) in p.iter_mut().zip(&worst) {
            *c += t * (w - *c);
        }
        p
    };
    let reflected = along(-1.0);
    let fr = f(&reflected);
    if fr < simplex[0].1 {
        let expanded = along(-2.0);
        let fe = f(&expanded);
        simplex[last] = if fe < fr {
            (expanded, fe)
        } else {
            (reflected, fr)
        };
        return;
    }
    if fr < simplex[last - 1].1 {
        simplex[last] = (reflected, fr);
        return;
    }
    let contracted = if fr < worst_value {
        along(-0.5)
    } else {
        along(0.5)
    };
    let fc = f(&contracted);
    if fc < fr.min(worst_value) {
        simplex[last] = (contracted, fc);
        return;
    }
    let best = simplex[0].0;
    for (p, v) in simplex[1..].iter_mut() {
        for (c, b) in p.iter_mut().zip(&best) {
            *c = 0.5 * (*c + b);
        }
        *v = f(p);
    }
}

/// Damped Newton from `theta` (value `value`): numeric gradient and Hessian, the step
/// −(H + μI)⁻¹g with the smallest μ >= 0 that makes H + μI positive definite, capped at
/// [`NEWTON_MAX_STEP`], halved until it does not worsen the value. The point, its value and
/// whether it settled (decrement below [`NEWTON_TOLERANCE`]).
fn newton(
    f: &mut dyn FnMut(&Theta) -> f64,
    mut theta: Theta,
    mut value: f64,
    cancel: &dyn Fn() -> bool,
) -> Result<(Theta, f64, bool), BtydError> {
    if !value.is_finite() {
        return Ok((theta, value, false));
    }
    for _ in 0..NEWTON_MAX_ITERATIONS {
        if cancel() {
            return Err(BtydError::Cancelled);
        }
        let (gradient, hessian) = derivatives(f, &theta, value);
        let Some(step) = damped_step(&gradient, &hessian) else {
            return Ok((theta, value, false));
        };
        let decrement: f64 = -gradient.iter().zip(&step).map(|(g, s)| g * s).sum::<f64>();
        let mut scale = 1.0;
        let mut moved = false;
        for _ in 0..30 {
            let mut candidate = theta;
            for (c, s) in candidate.iter_mut().zip(&step) {
                *c += scale * s;
            }
            let v = f(&candidate);
            if v <= value {
                (theta, value, moved) = (candidate, v, true);
                break;
            }
            scale *= 0.5;
        }
        if decrement.abs() < NEWTON_TOLERANCE {
            return Ok((theta, value, true));
        }
        if !moved {
            return Ok((theta, value, false));
        }
    }
    Ok((theta, value, false))
}

/// Central-difference gradient and Hessian of `f` at `theta` (value `value`).
fn derivatives(
    f: &mut dyn FnMut(&Theta) -> f64,
    theta: &Theta,
    value: f64,
) -> (Theta, [[f64; 4]; 4]) {
    let h = DIFF_STEP;
    let mut at = |moves: &[(usize, f64)]| {
        let mut p = *theta;
        for &(i, sign) in moves {
            p[i] += sign * h;
        }
        f(&p)
    };
    let mut gradient = [0.0; 4];
    let mut hessian = [[0.0; 4]; 4];
    for i in 0..4 {
        let (plus, minus) = (at(&[(i, 1.0)]), at(&[(i, -1.0)]));
        gradient[i] = (plus - minus) / (2.0 * h);
        hessian[i][i] = (plus - 2.0 * value + minus) / (h * h);
        for (j, cell) in hessian[i].iter_mut().enumerate().take(i) {
            let cross =
                at(&[(i, 1.0), (j, 1.0)]) - at(&[(i, 1.0), (j, -1.0)]) - at(&[(i, -1.0), (j, 1.0)])
                    + at(&[(i, -1.0), (j, -1.0)]);
            *cell = cross / (4.0 * h * h);
        }
    }
    // The upper triangle mirrors the lower one.
    let lower = hessian;
    for (j, row) in hessian.iter_mut().enumerate() {
        for (i, cell) in row.iter_mut().enumerate().skip(j + 1) {
            *cell = lower[i][j];
        }
    }
    (gradient, hessian)
}

/// −(H + μI)⁻¹g for the smallest μ in {0, 1e-8·max|Hᵢᵢ|·10ᵏ} that makes H + μI positive
/// definite, scaled down so no component exceeds [`NEWTON_MAX_STEP`]; None when the
/// derivatives are not finite.
fn damped_step(gradient: &Theta, hessian: &[[f64; 4]; 4]) -> Option<Theta> {
    if !gradient
        .iter()
        .chain(hessian.iter().flatten())
        .all(|v| v.is_finite())
    {
        return None;
    }
    let scale = (0..4).map(|i| hessian[i][i].abs()).fold(1e-12, f64::max);
    let mut mu = 0.0;
    for _ in 0..40 {
        let mut m = *hessian;
        for (i, row) in m.iter_mut().enumerate() {
            row[i] += mu;
        }
        if let Some(solution) = cholesky_solve(&m, gradient) {
            let step = solution.map(|v| -v);
            let largest = step.iter().fold(0.0_f64, |acc, v| acc.max(v.abs()));
            let shrink = if largest > NEWTON_MAX_STEP {
                NEWTON_MAX_STEP / largest
            } else {
                1.0
            };
            return Some(step.map(|v| v * shrink));
        }
        mu = if mu == 0.0 { 1e-8 * scale } else { mu * 10.0 };
    }
    None
}

/// Solves M y = rhs for a symmetric positive definite M by Cholesky; None when M is not
/// positive definite.
fn cholesky_solve(m: &[[f64; 4]; 4], rhs: &Theta) -> Option<Theta> {
    let mut l = [[0.0; 4]; 4];
    for i in 0..4 {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = m[i][i] - sum;
                if d.is_nan() || d <= 0.0 {
                    return None;
                }
                l[i][i] = d.sqrt();
            } else {
                l[i][j] = (m[i][j] - sum) / l[j][j];
            }
        }
    }
    let mut y = [0.0; 4];
    for i in 0..4 {
        let sum: f64 = (0..i).map(|k| l[i][k] * y[k]).sum();
        y[i] = (rhs[i] - sum) / l[i][i];
    }
    let mut x = [0.0; 4];
    for i in (0..4).rev() {
        let sum: f64 = (i + 1..4).map(|k| l[k][i] * x[k]).sum();
        x[i] = (y[i] - sum) / l[i][i];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    /// The CDNOW summary (Fader, Hardie & Lee 2005's 2,357 customers, calibration period of
    /// 39 weeks), as shipped with the `lifetimes` package: ID, frequency (x), recency (t_x), T.
    fn cdnow() -> &'static [History] {
        static DATA: OnceLock<Vec<History>> = OnceLock::new();
        DATA.get_or_init(|| {
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/datasets/cdnow_customers_summary.csv"
            );
            let text = std::fs::read_to_string(path).expect("the CDNOW summary is readable");
            text.lines()
                .skip(1)
                .filter(|line| !line.trim().is_empty())
                .map(|line| {
                    let f: Vec<f64> = (line.split(','))
                        .map(|v| v.trim().parse().expect("every field is a number"))
                        .collect();
                    History {
                        x: f[1],
                        t_x: f[2],
                        t: f[3],
                    }
                })
                .collect()
        })
    }

    fn never() -> bool {
        false
    }

    fn bg_cdnow() -> &'static BgNbd {
        static FIT: OnceLock<BgNbd> = OnceLock::new();
        FIT.get_or_init(|| BgNbd::fit(cdnow(), &never).expect("BG/NBD fits CDNOW"))
    }

    fn pareto_cdnow() -> &'static ParetoNbd {
        static FIT: OnceLock<ParetoNbd> = OnceLock::new();
        FIT.get_or_init(|| ParetoNbd::fit(cdnow(), &never).expect("Pareto/NBD fits CDNOW"))
    }

    fn history(x: f64, t_x: f64, t: f64) -> History {
        History { x, t_x, t }
    }

    fn close(actual: f64, expected: f64, tolerance: f64, what: &str) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{what}: got {actual}, expected {expected} ± {tolerance}"
        );
    }

    /// ln 2F1(a, b; a+1; z) from the Euler-transformed continued fraction.
    fn ln_hyp2f1_a_b_a1(a: f64, b: f64, z: f64) -> f64 {
        (1.0 - b) * (-z).ln_1p() + ln_hyp2f1_euler(a, b, z)
    }

    #[test]
    fn the_cdnow_file_is_where_the_tests_look() {
        // 2,357 customers (Fader, Hardie & Lee 2005, section 4).
        assert_eq!(cdnow().len(), 2357);
    }

    #[test]
    fn hypergeometric_function_matches_closed_forms() {
        // 2F1(1, 1; 2; z) = −ln(1−z)/z (Abramowitz & Stegun 15.1.3).
        // Thousands of continued-fraction steps near z = 1 cost a little accuracy.
        for (z, tolerance) in [
            (1e-6_f64, 1e-15),
            (0.1, 1e-15),
            (0.5, 1e-14),
            (0.9, 1e-14),
            (0.999, 1e-12),
            (0.999_999, 1e-10),
        ] {
            let exact = (-(-z).ln_1p() / z).ln();
            close(
                ln_hyp2f1_a_b_a1(1.0, 1.0, z),
                exact,
                tolerance,
                "2F1(1,1;2;z)",
            );
        }
        // 2F1(a, a+1; a+1; z) = (1−z)^−a (A&S 15.1.8).
        for (a, z) in [(2.5, 0.3_f64), (0.4, 0.99), (40.0, 0.9)] {
            close(
                ln_hyp2f1_a_b_a1(a, a + 1.0, z),
                -a * (-z).ln_1p(),
                1e-12,
                "2F1(a,a+1;a+1;z)",
            );
        }
        // 2F1(1, b; 2; z) = ((1−z)^(1−b) − 1) / ((b−1) z) (integrate (1−zu)^−b over u in [0, 1]).
        for (b, z) in [(2.5, 0.999), (0.3, 0.9), (1.6, 0.5)] {
            let exact = ((1.0_f64 - z).powf(1.0 - b) - 1.0) / ((b - 1.0) * z);
            close(
                ln_hyp2f1_a_b_a1(1.0, b, z),
                exact.ln(),
                1e-12,
                "2F1(1,b;2;z)",
            );
        }
    }

    #[test]
    fn hypergeometric_function_matches_mpmath() {
        // ln 2F1(1, k+1−b; k+1; z), computed with mpmath 1.3.0 (hyp2f1 at 40 digits).
        let cases = [
            (1.16, 1.6, 0.09, 0.02413761039239135),
            (3.0, 2.0, 0.5, 0.3107643647047076),
            (1.16, 0.55, 0.9999, 4.991413357398147),
            (0.3, 0.2, 0.999, 5.618901042360617),
            (50.5, 1.6, 0.999_999, 4.427102128976713),
            (200.0, 199.5, 0.9, 0.006769449472150879),
        ];
        for (k, b, z, expected) in cases {
            let got = ln_hyp2f1_euler(k, b, z);
            close(
                got,
                expected,
                1e-11 * expected.abs().max(1.0),
                "ln 2F1(1, k+1-b; k+1; z)",
            );
        }
    }

    #[test]
    fn bg_nbd_expectation_matches_the_hypergeometric_formula() {
        // Fader, Hardie & Lee 2005 eq. 10 evaluated with mpmath 1.3.0 (hyp2f1, 40 digits):
        // (r, α, a, b, x, t_x, T, horizon, expected). They include a ≈ 1 (the formula's
        // 0/0), a + b < 1 with x = 0 (its 2F1 has c < 0) and z = 0.99 and 0.999.
        let cases = [
            (
                0.243,
                4.414,
                0.793,
                2.426,
                2.0,
                30.43,
                38.86,
                39.0,
                1.2260281747671444,
            ),
            (
                0.243,
                4.414,
                0.793,
                2.426,
                0.0,
                0.0,
                38.86,
                39.0,
                0.19509805201126265,
            ),
            (
                0.5,
                2.0,
                1.000_000_1,
                2.0,
                3.0,
                10.0,
                20.0,
                52.0,
                1.556700018361667,
            ),
            (0.5, 0.5, 0.3, 0.6, 0.0, 0.0, 0.0, 52.0, 13.7149222166141),
            (0.5, 0.5, 0.3, 0.6, 0.0, 0.0, 0.0, 520.0, 68.77949512236663),
            (
                1.2,
                3.0,
                4.5,
                7.0,
                10.0,
                30.0,
                40.0,
                26.0,
                0.5670493441512295,
            ),
        ];
        for (r, alpha, a, b, x, t_x, t, horizon, expected) in cases {
            let m = BgNbd {
                r,
                alpha,
                a,
                b,
                log_likelihood: 0.0,
            };
            let got = m.expected_purchases(&history(x, t_x, t), horizon);
            close(got, expected, 1e-9 * expected, "BG/NBD expected purchases");
        }
    }

    #[test]
    fn bg_nbd_fit_on_cdnow_matches_the_published_parameters() {
        let m = bg_cdnow();
        // Fader, Hardie & Lee 2005 (section 4) and lifetimes' test_estimation.py
        // (test_params_out_is_close_to_Hardie_paper): r 0.243, α 4.414, a 0.793, b 2.426.
        close(m.r, 0.243, 0.001, "r");
        close(m.alpha, 4.414, 0.001, "alpha");
        close(m.a, 0.793, 0.001, "a");
        close(m.b, 2.426, 0.001, "b");
        // CLVTools tests/testthat/test_correctness_bgnbd.R: LL −9582.4 (the paper) and
        // −9582.429 (CLVTools' own fit on dates; this file's times are rounded to 0.01 week).
        close(m.log_likelihood, -9582.429, 0.05, "log-likelihood");
        close(
            m.log_likelihood,
            m.log_likelihood_of(cdnow()),
            1e-9,
            "stored log-likelihood",
        );
    }

    #[test]
    fn bg_nbd_conditional_expectation_matches_hardies_spreadsheet() {
        // lifetimes' test_estimation.py, test_conditional_expectation_returns_same_value_as_
        // Hardie_excel_sheet: x = 2, t_x = 30.43, T = 38.86, 39 weeks ahead -> 1.226.
        let got = bg_cdnow().expected_purchases(&history(2.0, 30.43, 38.86), 39.0);
        close(got, 1.226, 0.001, "expected purchases");
    }

    #[test]
    fn pareto_nbd_fit_on_cdnow_matches_the_published_parameters() {
        let m = pareto_cdnow();
        // CLVTools tests/testthat/test_correctness_pnbd.R ("As also reported to compare
        // against bgnbd in Fader, Hardie, Lee (2005)"): r 0.553, α 10.578, s 0.606, β 11.669,
        // LL −9595.0.
        close(m.r, 0.553, 0.005, "r");
        close(m.alpha, 10.578, 0.005, "alpha");
        close(m.s, 0.606, 0.005, "s");
        close(m.beta, 11.669, 0.005, "beta");
        close(m.log_likelihood, -9595.0, 0.05, "log-likelihood");
        // The same file's own estimates (on dates, not 0.01-week times): r 0.55315,
        // α 10.57633, s 0.60625, β 11.67150, LL −9594.976.
        close(
            m.log_likelihood,
            -9594.976,
            0.01,
            "log-likelihood (CLVTools)",
        );
        close(
            m.log_likelihood,
            m.log_likelihood_of(cdnow()),
            1e-9,
            "stored log-likelihood",
        );
    }

    #[test]
    fn pareto_nbd_matches_btyd_and_lifetimes_values() {
        // BTYD walkthrough vignette, p. 8, as in lifetimes' test_conditional_probability_alive
        // and test_conditional_expectation_returns_same_value_as_R_BTYD: with BTYD's fit
        // (0.5534, 10.5802, 0.6061, 11.6562), x = 26, t_x = 30.86, T = 31: P(alive) 0.9979,
        // 25.46 purchases in 52 weeks.
        let btyd = ParetoNbd {
            r: 0.5534,
            alpha: 10.5802,
            s: 0.6061,
            beta: 11.6562,
            log_likelihood: 0.0,
        };
        let h = history(26.0, 30.86, 31.0);
        close(btyd.p_alive(&h), 0.9979, 0.001, "P(alive)");
        close(
            btyd.expected_purchases(&h, 52.0),
            25.46,
            0.01,
            "expected purchases",
        );
        // lifetimes' test_conditional_expectation_underflow, its comments' values for
        // (0.55, 10.58, 0.61, 11.67), 10 weeks ahead, t_x = T = 200.
        let m = ParetoNbd {
            r: 0.55,
            alpha: 10.58,
            s: 0.61,
            beta: 11.67,
            log_likelihood: 0.0,
        };
        let left = m.expected_purchases(&history(132.0, 200.0, 200.0), 10.0);
        let right = m.expected_purchases(&history(133.0, 200.0, 200.0), 10.0);
        close(left, 6.206051788963242, 1e-9, "x = 132");
        close(right, 6.252872247574811, 1e-9, "x = 133");
    }

    #[test]
    fn pareto_nbd_stays_finite_for_large_counts() {
        // lifetimes' test_overflow_error and test_conditional_probability_alive_overflow_error.
        let m = ParetoNbd {
            r: 10.465,
            alpha: 7.985_651_81e-3,
            s: 3.0516,
            beta: 2.820,
            log_likelihood: 0.0,
        };
        for (x, t_x, t) in [(40.0, 5.0, 6.0), (50.0, 1.0, 37.0), (50.0, 4.0, 37.0)] {
            let p = m.p_alive(&history(x, t_x, t));
            assert!((0.0..=1.0).contains(&p), "P(alive) {p}");
        }
        // The log-likelihood (a log-density, so it can be positive) from Fader & Hardie's
        // eq. 19 with mpmath 1.3.0's hyp2f1 at 60 digits (cross-checked by mpmath quadrature).
        let cases = [
            (40.0, 5.0, 6.0, -5.719021585223113),
            (400.0, 5.0, 6.0, 1323.188930967818),
            (500.0, 1.0, 37.0, 2594.4044546227565),
            (500.0, 4.0, 37.0, 1888.8212497389407),
            (5000.0, 1.0, 1e4, 37557.8464259139),
        ];
        for (x, t_x, t, expected) in cases {
            let ll = m.log_likelihood_of(&[history(x, t_x, t)]);
            close(
                ll,
                expected,
                1e-11 * expected.abs().max(1.0),
                "log-likelihood",
            );
        }
    }

    #[test]
    fn bg_nbd_customer_without_repeat_purchase_is_alive() {
        // Fader, Hardie & Lee 2005 eq. 9: δ(x>0) = 0, so P(alive) = 1 (lifetimes'
        // test_conditional_probability_alive_returns_1_if_no_repeat_purchases).
        let m = bg_cdnow();
        assert_eq!(m.p_alive(&history(0.0, 0.0, 38.86)), 1.0);
        assert_eq!(m.p_alive(&history(0.0, 0.0, 0.0)), 1.0);
        // Pareto/NBD customers die at any time, so one silent for 39 weeks may be dead.
        let p = pareto_cdnow().p_alive(&history(0.0, 0.0, 38.86));
        assert!(p > 0.0 && p < 1.0, "Pareto/NBD P(alive) {p}");
    }

    fn sample_histories() -> Vec<History> {
        let mut out = Vec::new();
        for x in [0.0, 1.0, 2.0, 7.0, 30.0] {
            for t in [0.0, 5.0, 38.86, 100.0] {
                for share in [0.0, 0.3, 0.95, 1.0] {
                    out.push(history(x, if x == 0.0 { 0.0 } else { share * t }, t));
                }
            }
        }
        out
    }

    #[test]
    fn p_no_purchase_is_a_probability_decreasing_with_the_horizon() {
        let (bg, pnbd) = (bg_cdnow(), pareto_cdnow());
        for h in sample_histories() {
            let mut last = (1.0, 1.0);
            for horizon in [0.0, 0.5, 1.0, 4.0, 13.0, 52.0, 520.0, 1e5] {
                let now = (
                    bg.p_no_purchase(&h, horizon),
                    pnbd.p_no_purchase(&h, horizon),
                );
                for (p, before) in [(now.0, last.0), (now.1, last.1)] {
                    assert!((0.0..=1.0).contains(&p), "{p} for {h:?}, {horizon}");
                    assert!(p <= before + 1e-12, "{p} > {before} for {h:?}, {horizon}");
                }
                last = now;
                let e = (
                    bg.expected_purchases(&h, horizon),
                    pnbd.expected_purchases(&h, horizon),
                );
                assert!(
                    e.0 >= 0.0 && e.0.is_finite() && e.1 >= 0.0 && e.1.is_finite(),
                    "{e:?}"
                );
            }
            assert_eq!(bg.p_no_purchase(&h, 0.0), 1.0);
            close(
                pnbd.p_no_purchase(&h, 0.0),
                1.0,
                1e-12,
                "Pareto/NBD horizon 0",
            );
        }
    }

    #[test]
    fn bg_nbd_p_no_purchase_tends_to_the_probability_of_being_dead() {
        // With an endless horizon an alive BG/NBD customer buys again for sure (he can only
        // drop out after a purchase), so P(no purchase) -> 1 − P(alive).
        let m = bg_cdnow();
        for h in sample_histories() {
            close(
                m.p_no_purchase(&h, 1e80),
                1.0 - m.p_alive(&h),
                1e-10,
                "limit",
            );
        }
    }

    #[test]
    fn p_no_purchase_is_the_likelihood_ratio_of_a_longer_silence() {
        // "No purchase in (T, T+h]" given (x, t_x, T) is the history (x, t_x, T+h): the ratio
        // of the two likelihoods (log_likelihood_of, a separate code path from p_alive).
        let (bg, pnbd) = (bg_cdnow(), pareto_cdnow());
        for h in sample_histories() {
            let later = history(h.x, h.t_x, h.t + 26.0);
            let bg_ratio = (bg.log_likelihood_of(&[later]) - bg.log_likelihood_of(&[h])).exp();
            close(bg.p_no_purchase(&h, 26.0), bg_ratio, 1e-12, "BG/NBD ratio");
            let p_ratio = (pnbd.log_likelihood_of(&[later]) - pnbd.log_likelihood_of(&[h])).exp();
            close(
                pnbd.p_no_purchase(&h, 26.0),
                p_ratio,
                1e-12,
                "Pareto/NBD ratio",
            );
        }
    }

    /// P(alive), P(no purchase in the horizon) and E[purchases in it] for one Pareto/NBD
    /// customer by brute force: the posterior over (λ, μ) on a 1,321 × 1,321 grid in
    /// (ln λ, ln μ) over [−60, 6]², trapezoid rule, straight from the model's definition
    /// (purchases Poisson(λ) until an Exp(μ) death; prior Gamma(r, α) × Gamma(s, β)).
    fn pareto_brute_force(m: &ParetoNbd, h: &History, horizon: f64) -> (f64, f64, f64) {
        let (n, lo, hi) = (1320, -60.0, 6.0);
        let step = (hi - lo) / n as f64;
        let node = |i: usize| {
            (
                lo + i as f64 * step,
                if i == 0 || i == n { 0.5 } else { 1.0 },
            )
        };
        // P(data, died unobserved before `end`) / λ^x for λ + μ = k.
        let died = |k: f64, mu: f64, end: f64| {
            mu * (-k * h.t_x).exp() * -(-k * (end - h.t_x)).exp_m1() / k
        };
        let (mut total, mut alive, mut silent, mut expected) = (0.0, 0.0, 0.0, 0.0);
        for i in 0..=n {
            let (u, wu) = node(i);
            let lambda = u.exp();
            let prior_l = (m.r + h.x) * u - m.alpha * lambda;
            for j in 0..=n {
                let (v, wv) = node(j);
                let mu = v.exp();
                let k = lambda + mu;
                let w = wu * wv * (prior_l + m.s * v - m.beta * mu).exp();
                let alive_now = (-k * h.t).exp();
                total += w * (alive_now + died(k, mu, h.t));
                alive += w * alive_now;
                silent += w * ((-k * (h.t + horizon)).exp() + died(k, mu, h.t + horizon));
                expected += w * alive_now * lambda / mu * -(-mu * horizon).exp_m1();
            }
        }
        (alive / total, silent / total, expected / total)
    }

    #[test]
    fn pareto_nbd_matches_a_brute_force_posterior() {
        let m = pareto_cdnow();
        let customers = [
            history(2.0, 30.43, 38.86),
            history(0.0, 0.0, 38.86),
            history(0.0, 0.0, 0.5),
            history(10.0, 5.0, 38.0),
            history(1.0, 1.71, 38.86),
        ];
        for h in customers {
            for horizon in [1.0, 39.0, 200.0] {
                let (alive, silent, expected) = pareto_brute_force(m, &h, horizon);
                close(m.p_alive(&h), alive, 1e-9, "P(alive)");
                close(m.p_no_purchase(&h, horizon), silent, 1e-9, "P(no purchase)");
                close(
                    m.expected_purchases(&h, horizon),
                    expected,
                    1e-9 * expected.max(1.0),
                    "E",
                );
            }
        }
    }

    #[test]
    fn pareto_nbd_p_no_purchase_matches_the_integral_formula() {
        // P(no purchase | alive) = (a'/(a'+h))^r' (b'/(b'+h))^s
        //   + ∫_0^h (a'/(a'+u))^r' s b'^s/(b'+u)^(s+1) du, by composite Gauss–Legendre
        // (5 points, 2,000 panels), then 1 − P(alive)(1 − that).
        const NODES: [(f64, f64); 5] = [
            (0.0, 0.5688888888888889),
            (0.5384693101056831, 0.4786286704993665),
            (-0.5384693101056831, 0.4786286704993665),
            (0.906_179_845_938_664, 0.2369268850561891),
            (-0.906_179_845_938_664, 0.2369268850561891),
        ];
        let m = pareto_cdnow();
        for h in sample_histories() {
            let (r1, a1, b1) = (m.r + h.x, m.alpha + h.t, m.beta + h.t);
            for horizon in [0.3, 13.0, 104.0] {
                let panels = 2000;
                let width = horizon / panels as f64;
                let mut integral = 0.0;
                for p in 0..panels {
                    let mid = (p as f64 + 0.5) * width;
                    for (node, weight) in NODES {
                        let u = mid + 0.5 * width * node;
                        let f =
                            (a1 / (a1 + u)).powf(r1) * m.s * (b1 / (b1 + u)).powf(m.s) / (b1 + u);
                        integral += 0.5 * width * weight * f;
                    }
                }
                let both = (a1 / (a1 + horizon)).powf(r1) * (b1 / (b1 + horizon)).powf(m.s);
                let expected = 1.0 - m.p_alive(&h) * (1.0 - both - integral);
                close(
                    m.p_no_purchase(&h, horizon),
                    expected,
                    1e-10,
                    "P(no purchase)",
                );
            }
        }
    }

    #[test]
    fn grouping_does_not_change_the_likelihood() {
        let data: Vec<History> = cdnow().iter().take(300).copied().collect();
        let (bg, pnbd) = (bg_cdnow(), pareto_cdnow());
        let one_by_one: (f64, f64) = data.iter().fold((0.0, 0.0), |acc, h| {
            let one = std::slice::from_ref(h);
            (
                acc.0 + bg.log_likelihood_of(one),
                acc.1 + pnbd.log_likelihood_of(one),
            )
        });
        close(bg.log_likelihood_of(&data), one_by_one.0, 1e-9, "BG/NBD");
        close(
            pnbd.log_likelihood_of(&data),
            one_by_one.1,
            1e-9,
            "Pareto/NBD",
        );
    }

    #[test]
    fn fitting_refuses_unusable_data() {
        type Fit = fn(&[History], &dyn Fn() -> bool) -> Result<(), BtydError>;
        let fits: [Fit; 2] = [
            |d, c| BgNbd::fit(d, c).map(|_| ()),
            |d, c| ParetoNbd::fit(d, c).map(|_| ()),
        ];
        for fit in fits {
            assert_eq!(fit(&[], &never), Err(BtydError::NoCustomers));
            let silent = vec![history(0.0, 0.0, 10.0); 5];
            assert_eq!(fit(&silent, &never), Err(BtydError::NoRepeatBuyers));
            let bad = [
                history(f64::NAN, 0.0, 1.0),
                history(1.0, f64::INFINITY, 1.0),
                history(1.0, 5.0, 4.0),
                history(-1.0, 0.0, 4.0),
                history(1.5, 1.0, 4.0),
            ];
            for h in bad {
                let data = [history(1.0, 2.0, 3.0), h];
                match fit(&data, &never) {
                    Err(BtydError::InvalidHistory { index: 1, .. }) => {}
                    other => panic!("{h:?} gave {other:?}"),
                }
            }
            let cancelled = fit(&cdnow()[..100], &|| true);
            assert_eq!(cancelled, Err(BtydError::Cancelled));
        }
        let e = BtydError::InvalidHistory {
            index: 1,
            reason: "x".into(),
        };
        assert!(e.to_string().starts_with("customer number 2 "));
    }

    #[test]
    fn per_customer_functions_give_nan_instead_of_panicking() {
        let (bg, pnbd) = (bg_cdnow(), pareto_cdnow());
        let bad = history(1.0, 5.0, 4.0);
        let good = history(1.0, 2.0, 4.0);
        assert!(bg.p_alive(&bad).is_nan() && pnbd.p_alive(&bad).is_nan());
        assert!(
            bg.p_no_purchase(&good, -1.0).is_nan() && pnbd.p_no_purchase(&good, f64::NAN).is_nan()
        );
        assert!(bg.expected_purchases(&good, f64::INFINITY).is_nan());
        let broken = BgNbd { r: -1.0, ..*bg };
        assert!(broken.p_alive(&good).is_nan() && broken.log_likelihood_of(&[good]).is_nan());
        assert_eq!(bg.log_likelihood_of(&[]), 0.0);
        // t_x is read as 0 when x = 0.
        assert_eq!(
            pnbd.p_alive(&history(0.0, 3.0, 4.0)),
            pnbd.p_alive(&history(0.0, 0.0, 4.0))
        );
    }

    /// A Gamma(shape, rate) draw (Marsaglia & Tsang 2000; shape < 1 boosted by U^(1/shape)).
    fn gamma_draw(rng: &mut crate::rng::Rng, shape: f64, rate: f64) -> f64 {
        if shape < 1.0 {
            let u = rng.uniform().max(f64::MIN_POSITIVE);
            return gamma_draw(rng, shape + 1.0, rate) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = rng.normal();
            let v = (1.0 + c * x).powi(3);
            let u = rng.uniform();
            if v > 0.0 && u.max(f64::MIN_POSITIVE).ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v / rate;
            }
        }
    }

    /// `n` Pareto/NBD customers with the CDNOW fit's parameters, first purchases spread over
    /// 39 weeks, purchase times rounded to whole days (as histories from dated orders are).
    fn simulated(n: usize) -> Vec<History> {
        let mut rng = crate::rng::Rng::new(7);
        let day = 1.0 / 7.0;
        (0..n)
            .map(|_| {
                let t = (rng.uniform() * 273.0).floor() * day;
                let lambda = gamma_draw(&mut rng, 0.55, 10.58);
                let end = t.min(-(1.0 - rng.uniform()).ln() / gamma_draw(&mut rng, 0.61, 11.67));
                let (mut x, mut t_x, mut clock) = (0.0, 0.0, 0.0);
                loop {
                    clock += -(1.0 - rng.uniform()).ln() / lambda;
                    if clock > end {
                        break;
                    }
                    x += 1.0;
                    t_x = ((clock / day).floor() * day).min(t);
                }
                history(x, t_x, t)
            })
            .collect()
    }

    #[test]
    #[ignore = "timing: run with --release -- --ignored --nocapture"]
    fn fit_timings() {
        let time = |label: &str, f: &dyn Fn() -> String| {
            let start = std::time::Instant::now();
            let out = f();
            println!(
                "{label}: {:.1} ms, {out}",
                start.elapsed().as_secs_f64() * 1e3
            );
        };
        let data = cdnow();
        time("BG/NBD, CDNOW", &|| {
            format!("{:?}", BgNbd::fit(data, &never))
        });
        time("Pareto/NBD, CDNOW", &|| {
            format!("{:?}", ParetoNbd::fit(data, &never))
        });
        let big = simulated(100_000);
        let groups = Groups::new(&big)
            .map(|g| (g.rows.len(), g.pairs.len()))
            .unwrap_or((0, 0));
        println!("100,000 simulated customers, (histories, (x, time) pairs) {groups:?}");
        time("BG/NBD, 100k", &|| {
            format!("{:?}", BgNbd::fit(&big, &never))
        });
        time("Pareto/NBD, 100k", &|| {
            format!("{:?}", ParetoNbd::fit(&big, &never))
        });
    }
}
