//! The built-in sample dataset: synthetic e-commerce customers with realistic churn.
//!
//! Generated, not collected: no real person is in it, so it can ship inside the app
//! (`public/sample_customers.csv`, written by `churnscope sample`). Each customer has a
//! latent engagement level and a price sensitivity; the observable columns follow from those
//! with noise, the way the churn literature describes e-commerce behaviour: engaged customers
//! log in and order more often and more recently, long-tenured customers churn less,
//! complaints, poor reviews, returns and long gaps since the last order raise the risk, and
//! price-sensitive customers who stop receiving coupons drift away. The label is drawn from a
//! logistic model of those signals plus noise, giving a churn rate near 18%, and some cells
//! are blank the way real exports are (no review yet, unknown tenure, tracking gaps).

use crate::rng::Rng;

/// Size and seed of a generated dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleSpec {
    pub customers: usize,
    pub seed: u64,
}

impl Default for SampleSpec {
    /// The shipped sample: 5,000 customers, seed 20241101.
    fn default() -> Self {
        SampleSpec {
            customers: 5000,
            seed: 20_241_101,
        }
    }
}

/// Column names of the generated table, in order.
pub const COLUMNS: &[&str] = &[
    "customer_id",
    "tenure_months",
    "city_tier",
    "preferred_device",
    "payment_method",
    "logins_last_30d",
    "days_since_last_login",
    "sessions_last_30d",
    "orders_last_30d",
    "orders_last_90d",
    "spend_last_90d",
    "days_since_last_order",
    "avg_review_rating",
    "complaints_last_90d",
    "coupons_used_last_90d",
    "returns_last_90d",
    "churned",
];

fn pick<'a>(rng: &mut Rng, options: &[(&'a str, f64)]) -> &'a str {
    let mut u = rng.uniform();
    for (value, p) in options {
        if u < *p {
            return value;
        }
        u -= p;
    }
    options[options.len() - 1].0
}

fn binomial(rng: &mut Rng, n: u32, p: f64) -> u32 {
    (0..n).filter(|_| rng.chance(p)).count() as u32
}

fn blank_or(rng: &mut Rng, p_missing: f64, value: String) -> String {
    if rng.chance(p_missing) {
        String::new()
    } else {
        value
    }
}

/// Generates the dataset as CSV text (comma-separated, LF line ends, header first).
pub fn generate_csv(spec: &SampleSpec) -> String {
    let mut rng = Rng::new(spec.seed);
    let mut out = String::with_capacity(spec.customers * 110);
    out.push_str(&COLUMNS.join(","));
    out.push('\n');
    for i in 0..spec.customers {
        let engagement = rng.normal();
        let price_sensitive = rng.chance(0.3);
        let tenure = ((-(1.0 - rng.uniform()).ln()) * 16.0 * (0.3 * engagement).exp())
            .floor()
            .min(72.0);
        let tier = pick(&mut rng, &[("1", 0.45), ("2", 0.2), ("3", 0.35)]);
        let device = pick(
            &mut rng,
            &[("Mobile", 0.55), ("Desktop", 0.35), ("Tablet", 0.10)],
        );
        let payment = pick(
            &mut rng,
            &[
                ("Credit Card", 0.35),
                ("Debit Card", 0.25),
                ("PayPal", 0.18),
                ("Cash on Delivery", 0.12),
                ("E-wallet", 0.10),
            ],
        );
        let logins = rng.poisson((1.6 + 0.6 * engagement).exp());
        let days_since_login = if logins > 0 {
            (rng.uniform() * 30.0 / f64::from(logins)).floor()
        } else {
            30.0 + (-(1.0 - rng.uniform()).ln() * 25.0).floor()
        };
        let sessions = logins + rng.poisson(f64::from(logins) * 1.5 + 1.0);
        let orders_90 = rng.poisson((0.5 + 0.5 * engagement + 0.01 * tenure.min(36.0)).exp());
        let orders_30 = binomial(&mut rng, orders_90, 0.33);
        let tier_n: f64 = tier.parse().expect("tier is a digit");
        let order_value = (42f64.ln() + 0.35 * rng.normal() - 0.1 * (tier_n - 1.0)).exp();
        let spend = f64::from(orders_90) * order_value * (0.9 + 0.2 * rng.uniform());
        // Consistent with the order counts: an order in the last 30 days means the last one
        // was under 30 days ago; orders only in days 30-89 put it in that range.
        let days_since_order = if orders_30 > 0 {
            (rng.uniform() * 30.0 / f64::from(orders_30).sqrt()).floor()
        } else if orders_90 > 0 {
            30.0 + (rng.uniform() * 60.0).floor()
        } else {
            90.0 + (-(1.0 - rng.uniform()).ln() * 60.0).floor()
        };
        let unhappy = if engagement < -0.5 { 0.25 } else { 0.0 };
        let complaints = rng.poisson(0.15 + unhappy + 0.1 * f64::from(orders_90) / 3.0);
        let rating = (4.1 + 0.35 * engagement - 0.5 * f64::from(complaints) + 0.4 * rng.normal())
            .clamp(1.0, 5.0);
        let rating = (rating * 10.0).round() / 10.0;
        let has_rating = orders_90 > 0 && !rng.chance(0.15);
        let coupon_rate = if price_sensitive { 0.6 } else { 0.1 };
        let coupons = rng.poisson(f64::from(orders_90) * coupon_rate);
        let returns = binomial(&mut rng, orders_90, 0.07);

        let logit = -3.3 + 0.022 * days_since_order - 0.035 * tenure - 0.45 * engagement
            + 0.55 * f64::from(complaints)
            + if has_rating && rating < 3.0 { 0.5 } else { 0.0 }
            + if tier == "3" { 0.35 } else { 0.0 }
            + if price_sensitive && coupons == 0 {
                0.6
            } else {
                0.0
            }
            + if payment == "Cash on Delivery" {
                0.25
            } else {
                0.0
            }
            + 0.4 * f64::from(returns)
            + 0.6 * rng.normal();
        let churned = rng.chance(1.0 / (1.0 + (-logit).exp()));

        let row = [
            format!("C{:06}", i + 1),
            blank_or(&mut rng, 0.02, format!("{tenure}")),
            tier.to_string(),
            device.to_string(),
            payment.to_string(),
            logins.to_string(),
            blank_or(&mut rng, 0.03, format!("{days_since_login}")),
            sessions.to_string(),
            orders_30.to_string(),
            orders_90.to_string(),
            format!("{spend:.2}"),
            blank_or(&mut rng, 0.04, format!("{days_since_order}")),
            if has_rating {
                format!("{rating:.1}")
            } else {
                String::new()
            },
            complaints.to_string(),
            coupons.to_string(),
            returns.to_string(),
            if churned { "Yes" } else { "No" }.to_string(),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::ColumnKind;
    use crate::reading::ingest::{read_csv, ReadOptions};

    #[test]
    fn is_reproducible_from_its_seed() {
        let spec = SampleSpec {
            customers: 200,
            seed: 9,
        };
        assert_eq!(generate_csv(&spec), generate_csv(&spec));
        assert_ne!(
            generate_csv(&spec),
            generate_csv(&SampleSpec { seed: 10, ..spec })
        );
    }

    #[test]
    fn has_realistic_shape_churn_rate_and_missing_cells() {
        let ds = read_csv(
            generate_csv(&SampleSpec::default()).as_bytes(),
            &ReadOptions::default(),
        )
        .expect("parses");
        assert_eq!(ds.n_rows, 5000);
        assert_eq!(ds.columns.len(), COLUMNS.len());
        let churned = ds.column("churned").expect("label");
        let rate = (0..ds.n_rows)
            .filter(|&r| churned.cell_equals(r, "Yes"))
            .count() as f64
            / ds.n_rows as f64;
        // The issue asks for a realistic churn rate between 10% and 30%.
        assert!((0.10..=0.30).contains(&rate), "churn rate {rate}");
        assert_eq!(
            ds.column("customer_id").expect("id").kind,
            ColumnKind::Identifier
        );
        assert_eq!(
            ds.column("preferred_device").expect("device").kind,
            ColumnKind::Categorical
        );
        // Recency agrees with the order counts wherever both are present.
        let recent = ds.column("days_since_last_order").expect("recency");
        let orders_30 = ds.column("orders_last_30d").expect("orders");
        for row in 0..ds.n_rows {
            if let (Some(days), Some(orders)) = (recent.text(row), orders_30.text(row)) {
                let days: f64 = days.parse().expect("number");
                let orders: f64 = orders.parse().expect("number");
                assert_eq!(
                    orders > 0.0,
                    days < 30.0,
                    "row {row}: {orders} orders, {days} days"
                );
            }
        }
        for name in [
            "tenure_months",
            "days_since_last_order",
            "avg_review_rating",
        ] {
            let c = ds.column(name).expect("column");
            assert_eq!(c.kind, ColumnKind::Numeric, "{name}");
            assert!(c.missing() > 0, "{name} should have blanks");
        }
    }
}
