//! Distribution functions the drift tests need, written here so the engine stays free of a
//! statistics dependency: the log-gamma function, the regularised incomplete gamma functions
//! (hence the chi-square tail and erfc), the normal distribution and its quantile, and the
//! Kolmogorov distributions (the limiting one and the finite-n one scipy's `kstwo` computes).
//!
//! Every function returns NaN for a NaN argument or an argument outside its domain; none
//! panics.

use std::f64::consts::{PI, SQRT_2};

/// sqrt(2 pi).
const SQRT_2PI: f64 = 2.506_628_274_631_000_7;
/// Relative accuracy the gamma series and continued fraction stop at.
const EPS: f64 = 1e-15;
/// Iteration cap of the gamma series and continued fraction (never reached for the
/// arguments the drift tests produce; a guard against an endless loop).
const MAX_ITERATIONS: usize = 100_000;
/// Smallest float the continued fraction's denominators are kept above (Lentz's method).
const TINY: f64 = 1e-300;

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7 with 9 coefficients, relative error
/// about 1e-15); NaN for x <= 0.
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(π x), with sin(π x) > 0 on (0, 0.5).
        return (PI / (PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let sum = C[1..]
        .iter()
        .enumerate()
        .fold(C[0], |acc, (i, c)| acc + c / (x + i as f64 + 1.0));
    let t = x + G + 0.5;
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The regularised lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a), for a > 0 and
/// x >= 0 (Numerical Recipes' `gammp`: the series below a + 1, the continued fraction above).
pub fn gamma_p(a: f64, x: f64) -> f64 {
    if a.is_nan() || x.is_nan() || a <= 0.0 || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        0.0
    } else if x == f64::INFINITY {
        1.0
    } else if x < a + 1.0 {
        gamma_series(a, x)
    } else {
        1.0 - gamma_continued_fraction(a, x)
    }
}

/// The regularised upper incomplete gamma function Q(a, x) = 1 - P(a, x), computed directly
/// (not as 1 - P) where it is small, so tail probabilities keep their relative accuracy.
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if a.is_nan() || x.is_nan() || a <= 0.0 || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        1.0
    } else if x == f64::INFINITY {
        0.0
    } else if x < a + 1.0 {
        1.0 - gamma_series(a, x)
    } else {
        gamma_continued_fraction(a, x)
    }
}

/// e^-x x^a / Γ(a), the factor both expansions share, from logarithms.
fn gamma_prefactor(a: f64, x: f64) -> f64 {
    (-x + a * x.ln() - ln_gamma(a)).exp()
}

/// P(a, x) by its series Σ x^n / (a (a+1) ... (a+n)), for x < a + 1.
fn gamma_series(a: f64, x: f64) -> f64 {
    let mut term = 1.0 / a;
    let mut sum = term;
    let mut ap = a;
    for _ in 0..MAX_ITERATIONS {
        ap += 1.0;
        term *= x / ap;
        sum += term;
        if term.abs() < sum.abs() * EPS {
            break;
        }
    }
    sum * gamma_prefactor(a, x)
}

/// Q(a, x) by its continued fraction (modified Lentz's method), for x >= a + 1.
fn gamma_continued_fraction(a: f64, x: f64) -> f64 {
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..MAX_ITERATIONS {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < EPS {
            break;
        }
    }
    gamma_prefactor(a, x) * h
}

/// The complementary error function, erfc(x) = Q(1/2, x²) for x >= 0 and 2 - erfc(-x)
/// below; accurate to about 1e-15 relative (far inside the 1e-7 the tests need).
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        f64::NAN
    } else if x >= 0.0 {
        gamma_q(0.5, x * x)
    } else {
        1.0 + gamma_p(0.5, x * x)
    }
}

/// The standard normal distribution function Φ(x).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / SQRT_2)
}

/// The standard normal quantile Φ⁻¹(p) for p in (0, 1) (-inf at 0, +inf at 1, NaN outside):
/// Acklam's rational approximation (relative error 1.15e-9) refined by one Halley step on
/// [`normal_cdf`], which brings it to about 1e-15.
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let x = acklam(p);
    let e = normal_cdf(x) - p;
    let u = e * SQRT_2PI * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// Acklam's approximation of the normal quantile, for p in (0, 1).
fn acklam(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let poly = |c: &[f64], x: f64| c.iter().fold(0.0, |acc, k| acc * x + k);
    let tail = |q: f64| poly(&C, q) / (poly(&D, q) * q + 1.0);
    const LOW: f64 = 0.024_25;
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        poly(&A, r) * q / (poly(&B, r) * r + 1.0)
    }
}

/// The upper tail P(X > x) of the chi-square distribution with `dof` degrees of freedom,
/// Q(dof/2, x/2) (scipy's `chi2.sf`); 1 for x <= 0, NaN for dof <= 0.
pub fn chi_square_sf(x: f64, dof: f64) -> f64 {
    if x.is_nan() || dof.is_nan() || dof <= 0.0 {
        f64::NAN
    } else if x <= 0.0 {
        1.0
    } else {
        gamma_q(dof / 2.0, x / 2.0)
    }
}

/// The upper tail of the limiting Kolmogorov distribution, P(K > z) (scipy's
/// `kstwobign.sf`): 2 Σ (-1)^(k-1) exp(-2 k² z²) for z >= 1.18, and one minus the
/// Jacobi-theta form √(2π)/z Σ exp(-(2k-1)² π² / (8 z²)) of the distribution function below.
pub fn kolmogorov_sf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    if z <= 0.0 {
        return 1.0;
    }
    if z < 1.18 {
        let w = -PI * PI / (8.0 * z * z);
        let cdf: f64 = (1..=20)
            .map(|k| (w * ((2 * k - 1) * (2 * k - 1)) as f64).exp())
            .sum::<f64>()
            * SQRT_2PI
            / z;
        (1.0 - cdf).clamp(0.0, 1.0)
    } else {
        let sf: f64 = (1..=100)
            .map(|k| {
                let sign = if k % 2 == 1 { 1.0 } else { -1.0 };
                sign * (-2.0 * (k * k) as f64 * z * z).exp()
            })
            .sum::<f64>()
            * 2.0;
        sf.clamp(0.0, 1.0)
    }
}

/// The upper tail P(D_n > d) of the two-sided one-sample Kolmogorov–Smirnov statistic for
/// `n` observations (scipy's `kstwo.sf(d, n)`), following the method choice of Simard and
/// L'Ecuyer (2011) as scipy does: the Ruben–Gambino closed forms at the extremes, twice the
/// exact one-sided Smirnov tail (Birnbaum–Tingey sum) in the upper tail, the exact Durbin
/// matrix (Marsaglia–Tsang–Wang) for n <= 140 and the Pelz–Good expansion above. Agrees with
/// scipy 1.17 to 1e-12 at the points the tests check, from n = 5 to 50,000 across every
/// branch. NaN for n = 0 or NaN d.
pub fn kolmogorov_n_sf(n: u64, d: f64) -> f64 {
    if n == 0 || d.is_nan() {
        return f64::NAN;
    }
    if d <= 0.0 {
        return 1.0;
    }
    if d >= 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    let t = nf * d;
    let nd2 = t * d;
    let sf = if t <= 0.5 {
        1.0
    } else if t <= 1.0 {
        1.0 - (ln_gamma(nf + 1.0) - nf * nf.ln() + nf * (2.0 * t - 1.0).ln()).exp()
    } else if t >= nf - 1.0 {
        2.0 * (1.0 - d).powf(nf)
    } else if d >= 0.5 || nd2 >= 370.0 || (n <= 140 && nd2 > 4.0) || (n > 140 && nd2 >= 2.2) {
        2.0 * smirnov_sf(n, d)
    } else if n <= 140 {
        1.0 - durbin_cdf(n as usize, d)
    } else {
        1.0 - pelz_good_cdf(nf, d)
    };
    sf.clamp(0.0, 1.0)
}

/// The exact one-sided Smirnov tail P(D_n+ >= d) (Birnbaum and Tingey, 1951):
/// d Σ_{j <= n(1-d)} C(n, j) (1 - d - j/n)^(n-j) (d + j/n)^(j-1), summed in logarithms.
fn smirnov_sf(n: u64, d: f64) -> f64 {
    let nf = n as f64;
    let last = (nf * (1.0 - d)).floor() as u64;
    let mut ln_choose = 0.0;
    let mut sum = 0.0;
    for j in 0..=last.min(n) {
        let jf = j as f64;
        if j > 0 {
            ln_choose += ((nf - jf + 1.0) / jf).ln();
        }
        let low = (nf - jf) / nf - d;
        let high = d + jf / nf;
        if low <= 0.0 {
            continue;
        }
        let ln_term = ln_choose + (nf - jf) * low.ln() + (jf - 1.0) * high.ln() + d.ln();
        sum += ln_term.exp();
    }
    sum
}

/// P(D_n < d) by the Pelz–Good (1976) asymptotic expansion in 1/√n (scipy's
/// `_kolmogn_PelzGood`), for large n.
fn pelz_good_cdf(n: f64, x: f64) -> f64 {
    let (pi2, pi4, pi6) = (PI * PI, PI.powi(4), PI.powi(6));
    let z = n.sqrt() * x;
    let (z2, z3, z4, z6) = (z * z, z.powi(3), z.powi(4), z.powi(6));
    let qlog = -pi2 / 8.0 / z2;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();
    let (k1a, k1b) = (-z2, pi2 / 4.0);
    let k2a = 6.0 * z6 + 2.0 * z4;
    let k2b = (2.0 * z4 - 5.0 * z2) * pi2 / 4.0;
    let k2c = pi4 * (1.0 - 2.0 * z2) / 16.0;
    let k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z.powi(8);
    let max_k = ((16.0 * z / PI).ceil() as i32).max(1);
    // Horner's scheme over the odd squares: q^((2k+1)^2) / q^((2k-1)^2) = q^(8k).
    let mut k = [0.0f64; 4];
    for j in (1..=max_k).rev() {
        let m2 = f64::from((2 * j - 1) * (2 * j - 1));
        let coefficients = [
            1.0,
            k1a + k1b * m2,
            k2a + k2b * m2 + k2c * m2 * m2,
            k3a + k3b * m2 + k3c * m2 * m2 + k3d * m2 * m2 * m2,
        ];
        let power = q.powi(8 * j);
        for (ki, c) in k.iter_mut().zip(coefficients) {
            *ki = *ki * power + c;
        }
    }
    let divisors = [z, 6.0 * z4, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for (ki, divisor) in k.iter_mut().zip(divisors) {
        *ki *= q * SQRT_2PI / divisor;
    }
    // The sums over all integers k in K2 and K3.
    let q_all = (-pi2 / 2.0 / z2).exp();
    let (mut extra2, mut extra3) = (0.0, 0.0);
    for j in 1..=max_k {
        let j2 = f64::from(j * j);
        let power = q_all.powf(j2);
        extra2 += j2 * power;
        extra3 += (3.0 * z2 - pi2 * j2) * j2 * power;
    }
    k[2] += extra2 * pi2 * SQRT_2PI / (-36.0 * z3);
    k[3] += extra3 * pi2 * SQRT_2PI / (216.0 * z6);
    k[0] + k[1] / n.sqrt() + k[2] / n + k[3] / n.powf(1.5)
}

/// P(D_n < d) exactly, by Durbin's matrix method as programmed by Marsaglia, Tsang and Wang
/// (2003): a power of a (2k-1)-square matrix, k = floor(n d) + 1, with its decimal exponent
/// tracked apart so nothing overflows. Used for n <= 140, where k stays small.
fn durbin_cdf(n: usize, d: f64) -> f64 {
    let nd = n as f64 * d;
    let k = nd.floor() as usize + 1;
    let m = 2 * k - 1;
    let h = k as f64 - nd;
    let mut a = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..m {
            if i + 1 >= j {
                a[i * m + j] = 1.0;
            }
        }
    }
    for i in 0..m {
        a[i * m] -= h.powi(i as i32 + 1);
        a[(m - 1) * m + i] -= h.powi((m - i) as i32);
    }
    if 2.0 * h - 1.0 > 0.0 {
        a[(m - 1) * m] += (2.0 * h - 1.0).powi(m as i32);
    }
    for i in 0..m {
        for j in 0..=(i + 1).min(m - 1) {
            for g in 1..=(i + 1 - j) {
                a[i * m + j] /= g as f64;
            }
        }
    }
    let (power, mut exponent) = matrix_power(&a, m, n);
    let mut s = power[(k - 1) * m + k - 1];
    for i in 1..=n {
        s = s * i as f64 / n as f64;
        if s < 1e-140 {
            s *= 1e140;
            exponent -= 140;
        }
    }
    s * 10f64.powi(exponent)
}

/// `a` (m x m, row-major) to the power `n` >= 1, as (mantissa matrix, decimal exponent).
fn matrix_power(a: &[f64], m: usize, n: usize) -> (Vec<f64>, i32) {
    if n <= 1 {
        return (a.to_vec(), 0);
    }
    let (half, half_exponent) = matrix_power(a, m, n / 2);
    let mut result = matrix_product(&half, &half, m);
    let mut exponent = 2 * half_exponent;
    if n % 2 == 1 {
        result = matrix_product(a, &result, m);
    }
    if result[(m / 2) * m + m / 2] > 1e140 {
        result.iter_mut().for_each(|x| *x *= 1e-140);
        exponent += 140;
    }
    (result, exponent)
}

/// The product of two m x m row-major matrices.
fn matrix_product(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * m];
    for i in 0..m {
        for l in 0..m {
            let x = a[i * m + l];
            if x != 0.0 {
                for j in 0..m {
                    c[i * m + j] += x * b[l * m + j];
                }
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64, tolerance: f64) -> bool {
        (got - want).abs() <= tolerance
    }

    #[test]
    fn ln_gamma_matches_scipy() {
        // python3 -c "from scipy.special import gammaln; print(gammaln(0.5), gammaln(3.7), gammaln(10), gammaln(0.1), gammaln(1234.5))"
        let cases = [
            (0.5, 0.5723649429247),
            (3.7, 1.428072326665388),
            (10.0, 12.801827480081469),
            (0.1, 2.252712651734206),
            (1234.5, 7550.550901077894),
        ];
        for (x, want) in cases {
            let got = ln_gamma(x);
            assert!(
                close(got, want, 1e-12 * want.abs().max(1.0)),
                "{x}: {got} vs {want}"
            );
        }
        assert!(ln_gamma(0.0).is_nan() && ln_gamma(-1.0).is_nan() && ln_gamma(f64::NAN).is_nan());
    }

    #[test]
    fn incomplete_gamma_matches_scipy() {
        // python3 -c "from scipy.special import gammainc, gammaincc; print([gammainc(a, x) for a, x in [(0.5, 0.3), (2.5, 1.0), (10, 3), (3, 20)]], [gammaincc(a, x) for a, x in [(0.5, 4.0), (2.5, 6.0), (10, 25), (50, 40)]])"
        let p = [
            (0.5, 0.3, 0.5614219739190003),
            (2.5, 1.0, 0.15085496391539038),
            (10.0, 3.0, 0.0011024881301154815),
            (3.0, 20.0, 0.9999995444850495),
        ];
        for (a, x, want) in p {
            let got = gamma_p(a, x);
            assert!(close(got, want, 1e-13), "P({a}, {x}): {got} vs {want}");
        }
        let q = [
            (0.5, 4.0, 0.004677734981047276),
            (2.5, 6.0, 0.03478778050624185),
            (10.0, 25.0, 0.0002214766382487835),
            (50.0, 40.0, 0.9296649333406051),
        ];
        for (a, x, want) in q {
            let got = gamma_q(a, x);
            assert!(
                close(got, want, 1e-12 * want.max(1e-3)),
                "Q({a}, {x}): {got} vs {want}"
            );
        }
        assert_eq!(gamma_q(2.0, f64::INFINITY), 0.0);
        assert!(gamma_p(-1.0, 1.0).is_nan() && gamma_q(1.0, f64::NAN).is_nan());
    }

    #[test]
    fn erfc_and_normal_match_scipy() {
        // python3 -c "from scipy.special import erfc; print([erfc(x) for x in [-2.0, -0.5, 0.0, 0.1, 1.0, 2.5, 5.0, 10.0]])"
        let cases = [
            (-2.0, 1.9953222650189528),
            (-0.5, 1.5204998778130465),
            (0.0, 1.0),
            (0.1, 0.8875370839817152),
            (1.0, 0.15729920705028516),
            (2.5, 0.00040695201744495886),
            (5.0, 1.5374597944280347e-12),
            (10.0, 2.0884875837625446e-45),
        ];
        for (x, want) in cases {
            let got = erfc(x);
            // Relative 1e-12 (the brief asks for 1e-7 absolute; this is far inside it).
            assert!(close(got, want, 1e-12 * want), "erfc({x}): {got} vs {want}");
        }
        // python3 -c "from scipy.stats import norm; print(norm.cdf(1.959963984540054), norm.cdf(-3.0), norm.ppf(0.975), norm.ppf(1e-10), norm.ppf(0.3))"
        assert!(close(normal_cdf(1.959963984540054), 0.975, 1e-15));
        assert!(close(normal_cdf(-3.0), 0.0013498980316300933, 1e-16));
        assert!(close(normal_quantile(0.975), 1.959963984540054, 1e-13));
        assert!(close(normal_quantile(1e-10), -6.361340902404056, 1e-11));
        assert!(close(normal_quantile(0.3), -0.5244005127080409, 1e-13));
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert!(normal_quantile(1.5).is_nan() && erfc(f64::NAN).is_nan());
    }

    #[test]
    fn chi_square_tail_matches_scipy() {
        // python3 -c "from scipy.stats import chi2; print(chi2.sf(3.84, 1), chi2.sf(11.07, 5), chi2.sf(0.5, 3), chi2.sf(120, 49))"
        let cases = [
            (3.84, 1.0, 0.05004352124870519),
            (11.07, 5.0, 0.050009618622405425),
            (0.5, 3.0, 0.9188914116546758),
            (120.0, 49.0, 6.876961427062773e-08),
        ];
        for (x, dof, want) in cases {
            let got = chi_square_sf(x, dof);
            assert!(
                close(got, want, 1e-12 * want.max(1e-3)),
                "{x} {dof}: {got} vs {want}"
            );
        }
        assert_eq!(chi_square_sf(f64::INFINITY, 2.0), 0.0);
        assert!(chi_square_sf(1.0, 0.0).is_nan());
    }

    #[test]
    fn limiting_kolmogorov_matches_scipy() {
        // python3 -c "from scipy.stats import kstwobign; print([kstwobign.sf(z) for z in [0.3, 0.8, 1.0, 1.18, 1.36, 2.0, 3.0]])"
        let cases = [
            (0.3, 0.9999906941986655),
            (0.8, 0.5441424115741981),
            (1.0, 0.26999967167735456),
            (1.18, 0.1234538094297657),
            (1.36, 0.049485876755377876),
            (2.0, 0.0006709252557796953),
            (3.0, 3.045995948942526e-08),
        ];
        for (z, want) in cases {
            let got = kolmogorov_sf(z);
            assert!(close(got, want, 1e-12), "{z}: {got} vs {want}");
        }
        assert_eq!(kolmogorov_sf(0.0), 1.0);
    }

    #[test]
    fn finite_kolmogorov_matches_scipy_kstwo() {
        // Every branch: Ruben-Gambino (t <= 1, t >= n-1), the Durbin matrix (n <= 140),
        // 2 x Smirnov (upper tail) and Pelz-Good (n > 140).
        // python3 -c "from scipy.stats import kstwo; print([kstwo.sf(d, n) for n, d in [(10, 0.08), (10, 0.95), (5, 0.3), (20, 0.15), (20, 0.4), (90, 0.12), (90, 0.2), (140, 0.1), (500, 0.05), (500, 0.08), (1000, 0.04), (50000, 0.005), (50000, 0.008)]])"
        let cases = [
            (10, 0.08, 0.9999978058034054),
            (10, 0.95, 1.9531250000000172e-13),
            (5, 0.3, 0.664),
            (20, 0.15, 0.7044671549442872),
            (20, 0.4, 0.0021189221820357984),
            (90, 0.12, 0.137887604066683),
            (90, 0.2, 0.0012446367784449644),
            (140, 0.1, 0.11353657290090946),
            (500, 0.05, 0.15866260223815387),
            (500, 0.08, 0.0031305058199356268),
            (1000, 0.04, 0.07933956059000224),
            (50000, 0.005, 0.16353363492434803),
            (50000, 0.008, 0.003305231279334067),
        ];
        for (n, d, want) in cases {
            let got = kolmogorov_n_sf(n, d);
            assert!(close(got, want, 1e-10), "n {n}, d {d}: {got} vs {want}");
        }
        assert!(kolmogorov_n_sf(0, 0.1).is_nan() && kolmogorov_n_sf(10, f64::NAN).is_nan());
        assert_eq!(kolmogorov_n_sf(10, 0.0), 1.0);
        assert_eq!(kolmogorov_n_sf(10, 1.0), 0.0);
    }
}
