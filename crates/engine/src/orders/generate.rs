//! A seeded order log with known buying and dropout processes, for tests, benchmarks and
//! the built-in order sample: each customer buys as a Poisson process with their own rate
//! (gamma-distributed across customers) until an exponential lifetime (its rate gamma
//! distributed too) ends, the Pareto/NBD story. Orders have one to several lines, some a
//! discount, a few are cancelled.

use std::fmt::Write as _;

use crate::reading::cells::format_date;
use crate::rng::Rng;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSpec {
    pub seed: u64,
    pub customers: usize,
    /// First day of the log (days since 1970-01-01) and its length in days.
    pub start_day: i64,
    pub days: i64,
    /// Purchase rates per week ~ Gamma(shape r, rate alpha).
    pub r: f64,
    pub alpha: f64,
    /// Dropout rates per week ~ Gamma(shape s, rate beta).
    pub s: f64,
    pub beta: f64,
    /// Share of orders cancelled, and of orders with a discount.
    pub cancel_share: f64,
    pub discount_share: f64,
    /// Size of the catalogue.
    pub products: usize,
    /// Stop after this many lines (all customers are still drawn, so the processes stay
    /// the same; the log just ends early in customer order).
    pub max_lines: Option<usize>,
}

impl Default for LogSpec {
    fn default() -> Self {
        LogSpec {
            seed: 7,
            customers: 2000,
            // 2023-01-01
            start_day: 19_358,
            days: 730,
            r: 0.9,
            alpha: 4.0,
            s: 0.8,
            beta: 30.0,
            cancel_share: 0.03,
            discount_share: 0.2,
            products: 400,
            max_lines: None,
        }
    }
}

/// The truth behind one generated customer.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerTruth {
    pub id: String,
    /// Day (fractional) of the first order.
    pub first_time: f64,
    /// Day (fractional) the customer drops out; may be after the log ends.
    pub death_time: f64,
    pub rate_per_week: f64,
}

/// The log as CSV text, with the truth.
#[derive(Debug, Clone)]
pub struct GeneratedLog {
    pub csv: String,
    pub truth: Vec<CustomerTruth>,
    pub lines: usize,
    pub orders: usize,
}

/// The header of the generated CSV.
pub const HEADER: &str =
    "order_id,customer_id,order_date,product,quantity,unit_price,discount,status,channel";

/// A Gamma(shape, rate) draw (Marsaglia and Tsang 2000; shapes under 1 boosted).
pub fn gamma(rng: &mut Rng, shape: f64, rate: f64) -> f64 {
    if shape < 1.0 {
        let u = 1.0 - rng.uniform();
        return gamma(rng, shape + 1.0, rate) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = rng.normal();
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = 1.0 - rng.uniform();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v / rate;
        }
    }
}

/// An exponential draw with the given rate.
fn exponential(rng: &mut Rng, rate: f64) -> f64 {
    -(1.0 - rng.uniform()).ln() / rate
}

/// Generates the log `spec` describes: the same spec gives the same bytes.
pub fn generate_log(spec: &LogSpec) -> GeneratedLog {
    let mut rng = Rng::new(spec.seed);
    let mut csv = String::with_capacity(spec.customers * 400);
    csv.push_str(HEADER);
    csv.push('\n');
    let (mut lines, mut orders) = (0usize, 0usize);
    let end = (spec.start_day + spec.days) as f64;
    let mut truth = Vec::with_capacity(spec.customers);
    for c in 0..spec.customers {
        let id = format!("C{:06}", c + 1);
        let rate = gamma(&mut rng, spec.r, spec.alpha) / 7.0;
        let dropout = gamma(&mut rng, spec.s, spec.beta) / 7.0;
        // Customers arrive over the first 60% of the log.
        let first = spec.start_day as f64 + rng.uniform() * spec.days as f64 * 0.6;
        let death = first + exponential(&mut rng, dropout.max(1e-9));
        let channel = if rng.chance(0.35) { "app" } else { "web" };
        truth.push(CustomerTruth {
            id: id.clone(),
            first_time: first,
            death_time: death,
            rate_per_week: rate * 7.0,
        });
        let mut t = first;
        while t < death.min(end) {
            if spec.max_lines.is_some_and(|m| lines >= m) {
                break;
            }
            orders += 1;
            lines += write_order(&mut csv, &mut rng, spec, (orders, &id, t, channel));
            t += exponential(&mut rng, rate.max(1e-9));
        }
    }
    GeneratedLog {
        csv,
        truth,
        lines,
        orders,
    }
}

/// Writes one order's lines; returns how many. `order` is (number, customer, time,
/// channel).
fn write_order(
    csv: &mut String,
    rng: &mut Rng,
    spec: &LogSpec,
    order: (usize, &str, f64, &str),
) -> usize {
    let (number, customer, time, channel) = order;
    let day = time.floor();
    let seconds = ((time - day) * 86_400.0) as u32;
    let stamp = format!(
        "{} {:02}:{:02}:{:02}",
        format_date(day),
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    let status = if rng.chance(spec.cancel_share) {
        "cancelled"
    } else {
        "paid"
    };
    let discount = rng.chance(spec.discount_share);
    let n_lines = 1 + (rng.poisson(0.8) as usize).min(4);
    for line in 0..n_lines {
        // Popular products first: the square of a uniform leans towards small codes.
        let u = rng.uniform();
        let product = ((u * u) * spec.products.max(1) as f64) as usize;
        let price = 4.99 + (product * 37 % 95) as f64;
        let quantity = 1 + rng.poisson(0.4);
        let discount_cell = if discount && line == 0 {
            format!("{:.2}", price * 0.1)
        } else {
            String::new()
        };
        let _ = writeln!(
            csv,
            "O{number:07},{customer},{stamp},P{product:04},{quantity},{price:.2},{discount_cell},{status},{channel}"
        );
    }
    n_lines
}
