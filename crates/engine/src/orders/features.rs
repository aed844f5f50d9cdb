//! One row per customer from their orders: the churn label as of a cutoff date and the
//! behaviour before it (recency, frequency, money, tenure, rhythm, trend, discounts,
//! cancellations, breadth, active months), and the same behaviour as of the log's last
//! day for every current customer, the population to score and act on.
//!
//! Days are whole days. The cutoff day belongs to the history: orders on days up to and
//! including it are the past, orders on the `horizon` days after it decide the label.
//! Formulas (README, "Churn from orders"):
//! - `recency_days` = cutoff − day of the last order;
//! - `frequency` = orders (cancelled ones excluded); `monetary_total` = their summed value,
//!   `monetary_mean` = total ÷ frequency;
//! - `tenure_days` = cutoff − day of the first order (within the observation window);
//! - `gap_mean_days`, `gap_sd_days` = mean and sample standard deviation of the days between
//!   consecutive orders (missing with fewer than 2 and 3 orders);
//! - `spend_trend`, `orders_trend` = spend (orders) in the last `horizon` days before the
//!   cutoff minus spend (orders) in the `horizon` days before those;
//! - `discount_share` = discounted orders ÷ orders; `cancel_rate` = cancelled ÷ all orders
//!   including the cancelled; `distinct_products` = products bought;
//! - `active_months` = calendar months with an order;
//! - `churned` = 1 when no order falls in the `horizon` days after the cutoff, else 0.

use serde::{Deserialize, Serialize};

use crate::dataset::{Column, ColumnData, ColumnKind, Dataset};
use crate::orders::log::{Order, OrderLog};
use crate::reading::cells::{civil_from_days, format_date};

/// The name of the label column of the derived table.
pub const LABEL: &str = "churned";
/// The name of the customer id column of the derived tables.
pub const CUSTOMER: &str = "customer";

/// Where the past ends and how long silence must last to count as churn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// The last day of the history (days since 1970-01-01); `None`: the log's last day
    /// minus the horizon, the latest cutoff that can be labelled.
    #[serde(default)]
    pub cutoff: Option<i64>,
    /// Days after the cutoff in which a customer who orders is not churned.
    pub horizon_days: i64,
    /// Days of history before the cutoff the features look at; `None`: all of it.
    #[serde(default)]
    pub observation_days: Option<i64>,
    /// Customers whose first order is fewer days than this before the cutoff are too new
    /// to judge: left out of the labelled table and counted.
    pub min_history_days: i64,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            cutoff: None,
            horizon_days: 90,
            observation_days: None,
            min_history_days: 30,
        }
    }
}

/// What the derivation did, for the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeriveSummary {
    /// Cutoff, the first day of the observation window and the log's first and last days.
    pub cutoff: String,
    pub observation_start: String,
    pub first_date: String,
    pub last_date: String,
    pub horizon_days: i64,
    pub cutoff_day: i64,
    pub first_day: i64,
    pub last_day: i64,
    pub observation_start_day: i64,
    /// Rows of the labelled table, and how many churned.
    pub labelled: usize,
    pub churned: usize,
    /// Customers left out of the labelled table: first order within `min_history_days`
    /// of the cutoff; first order after the cutoff; no order in the observation window.
    pub too_new: usize,
    pub after_cutoff: usize,
    pub outside_window: usize,
    pub min_history_days: i64,
    /// Labelled customers with a single order before the cutoff.
    pub one_time_buyers: usize,
    /// Rows of the current table (every customer with an order in the window before the
    /// last day).
    pub current: usize,
}

impl DeriveSummary {
    /// The summary before any customer is counted.
    fn start(log: &OrderLog, window: &Window, cutoff: i64, start: i64) -> Self {
        DeriveSummary {
            cutoff: format_date(cutoff as f64),
            observation_start: format_date(start.max(log.first_day) as f64),
            first_date: format_date(log.first_day as f64),
            last_date: format_date(log.last_day as f64),
            horizon_days: window.horizon_days,
            cutoff_day: cutoff,
            first_day: log.first_day,
            last_day: log.last_day,
            observation_start_day: start.max(log.first_day),
            labelled: 0,
            churned: 0,
            too_new: 0,
            after_cutoff: 0,
            outside_window: 0,
            min_history_days: window.min_history_days,
            one_time_buyers: 0,
            current: 0,
        }
    }
}

/// The labelled table, the current table and what was done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Derived {
    pub labelled: Dataset,
    pub current: Dataset,
    pub summary: DeriveSummary,
}

/// Why a window cannot be labelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum DeriveError {
    #[error("the horizon must be at least 1 day (got {0})")]
    Horizon(i64),
    #[error(
        "the cutoff {cutoff} leaves {left} days of the log after it (it ends {last}); a \
         {horizon}-day horizon needs a cutoff on or before {latest}"
    )]
    CutoffTooLate {
        cutoff: String,
        last: String,
        left: i64,
        horizon: i64,
        latest: String,
    },
    #[error("the cutoff {cutoff} is before the log's first order ({first})")]
    CutoffTooEarly { cutoff: String, first: String },
    #[error(
        "no customer can be labelled at the cutoff {cutoff}: {too_new} are too new, {after} \
         first ordered after it; choose a later cutoff or a shorter horizon"
    )]
    NoCustomers {
        cutoff: String,
        too_new: usize,
        after: usize,
    },
    #[error("stopped")]
    Cancelled,
}

/// One customer's features as of a day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    pub recency_days: f64,
    pub frequency: f64,
    pub monetary_total: f64,
    pub monetary_mean: f64,
    pub tenure_days: f64,
    pub gap_mean_days: f64,
    pub gap_sd_days: f64,
    pub spend_trend: f64,
    pub orders_trend: f64,
    pub discount_share: f64,
    pub cancel_rate: f64,
    pub distinct_products: f64,
    pub active_months: f64,
}

/// The feature columns, in table order, with what each is.
pub const FEATURES: [(&str, &str); 13] = [
    ("recency_days", "days from the last order to the cutoff"),
    ("frequency", "orders (cancelled excluded)"),
    ("monetary_total", "summed value of the orders"),
    ("monetary_mean", "mean value of an order"),
    ("tenure_days", "days from the first order to the cutoff"),
    ("gap_mean_days", "mean days between consecutive orders"),
    (
        "gap_sd_days",
        "standard deviation of the days between orders",
    ),
    (
        "spend_trend",
        "spend in the last horizon before the cutoff minus the one before",
    ),
    (
        "orders_trend",
        "orders in the last horizon before the cutoff minus the one before",
    ),
    ("discount_share", "share of orders with a discount"),
    (
        "cancel_rate",
        "cancelled or returned orders among all orders",
    ),
    ("distinct_products", "different products bought"),
    ("active_months", "calendar months with an order"),
];

impl Features {
    fn values(&self) -> [f64; 13] {
        [
            self.recency_days,
            self.frequency,
            self.monetary_total,
            self.monetary_mean,
            self.tenure_days,
            self.gap_mean_days,
            self.gap_sd_days,
            self.spend_trend,
            self.orders_trend,
            self.discount_share,
            self.cancel_rate,
            self.distinct_products,
            self.active_months,
        ]
    }
}

/// A customer's features as of `day` from their `orders` (sorted by time) with days in
/// `[start, day]`; `None` when they made no purchase then. `trend` is the length of the
/// two windows compared by the trends.
pub fn features_as_of(
    orders: &[Order],
    products: &[u32],
    start: i64,
    day: i64,
    trend: i64,
) -> Option<Features> {
    let within: Vec<&Order> = orders
        .iter()
        .filter(|o| o.day >= start && o.day <= day)
        .collect();
    let bought: Vec<&Order> = within.iter().copied().filter(|o| !o.cancelled).collect();
    let (first, last) = (bought.first()?, bought.last()?);
    let n = bought.len() as f64;
    let total: f64 = bought
        .iter()
        .map(|o| o.amount)
        .filter(|a| !a.is_nan())
        .sum();
    let gaps: Vec<f64> = bought
        .windows(2)
        .map(|w| (w[1].day - w[0].day) as f64)
        .collect();
    let (gap_mean, gap_sd) = mean_sd(&gaps);
    let in_range = |lo: i64, hi: i64| bought.iter().filter(move |o| o.day > lo && o.day <= hi);
    let recent_spend: f64 = in_range(day - trend, day).map(|o| nan_zero(o.amount)).sum();
    let earlier_spend: f64 = in_range(day - 2 * trend, day - trend)
        .map(|o| nan_zero(o.amount))
        .sum();
    let recent_orders = in_range(day - trend, day).count() as f64;
    let earlier_orders = in_range(day - 2 * trend, day - trend).count() as f64;
    let mut bought_products: Vec<u32> = bought
        .iter()
        .flat_map(|o| {
            let s = o.products_start as usize;
            products[s..s + o.products_len as usize].iter().copied()
        })
        .collect();
    bought_products.sort_unstable();
    bought_products.dedup();
    let mut months: Vec<(i64, u32)> = bought
        .iter()
        .map(|o| {
            let (y, m, _) = civil_from_days(o.day);
            (y, m)
        })
        .collect();
    months.dedup();
    Some(Features {
        recency_days: (day - last.day) as f64,
        frequency: n,
        monetary_total: money(total),
        monetary_mean: money(total / n),
        tenure_days: (day - first.day) as f64,
        gap_mean_days: gap_mean,
        gap_sd_days: gap_sd,
        spend_trend: money(recent_spend - earlier_spend),
        orders_trend: recent_orders - earlier_orders,
        discount_share: bought.iter().filter(|o| o.discounted).count() as f64 / n,
        cancel_rate: (within.len() - bought.len()) as f64 / within.len() as f64,
        distinct_products: bought_products.len() as f64,
        active_months: months.len() as f64,
    })
}

/// Money rounded to a millionth, so that sums of prices read as written (260.97, not
/// 260.96999999999997) without changing any amount a currency has.
fn money(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn nan_zero(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x
    }
}

/// Mean (NaN when empty) and sample standard deviation (NaN under two values).
fn mean_sd(xs: &[f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, f64::NAN);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Each customer's orders: `(customer, range into log.orders)`, in customer order.
fn per_customer(log: &OrderLog) -> Vec<(usize, std::ops::Range<usize>)> {
    let mut out = Vec::with_capacity(log.customers.len());
    let mut start = 0;
    while start < log.orders.len() {
        let c = log.orders[start].customer;
        let mut end = start;
        while end < log.orders.len() && log.orders[end].customer == c {
            end += 1;
        }
        out.push((c as usize, start..end));
        start = end;
    }
    out
}

/// Checks the window against the log and settles the cutoff.
fn settle(log: &OrderLog, window: &Window) -> Result<i64, DeriveError> {
    let h = window.horizon_days;
    if h < 1 {
        return Err(DeriveError::Horizon(h));
    }
    let cutoff = window.cutoff.unwrap_or(log.last_day - h);
    if cutoff + h > log.last_day {
        return Err(DeriveError::CutoffTooLate {
            cutoff: format_date(cutoff as f64),
            last: format_date(log.last_day as f64),
            left: (log.last_day - cutoff).max(0),
            horizon: h,
            latest: format_date((log.last_day - h) as f64),
        });
    }
    if cutoff < log.first_day {
        return Err(DeriveError::CutoffTooEarly {
            cutoff: format_date(cutoff as f64),
            first: format_date(log.first_day as f64),
        });
    }
    Ok(cutoff)
}

/// Columns being filled: the customer ids, the features and (for the labelled table) the
/// label.
#[derive(Default)]
struct Table {
    ids: Vec<u32>,
    values: Vec<Vec<f64>>,
    label: Vec<f64>,
}

impl Table {
    fn push(&mut self, customer: usize, f: &Features) {
        if self.values.is_empty() {
            self.values = vec![Vec::new(); FEATURES.len()];
        }
        self.ids.push(customer as u32);
        for (col, v) in self.values.iter_mut().zip(f.values()) {
            col.push(v);
        }
    }

    /// The table, keeping only the optional columns the log has facts for.
    fn into_dataset(self, log: &OrderLog, keep: &[bool; 13], labelled: bool) -> Dataset {
        let n_rows = self.ids.len();
        let ids = ColumnData::Categorical {
            levels: log.customers.clone(),
            codes: self.ids,
        };
        let mut columns = vec![Column::new(CUSTOMER.into(), ids).with_kind(ColumnKind::Identifier)];
        let mut values = self.values;
        values.resize(FEATURES.len(), Vec::new());
        for ((name, _), (v, &k)) in FEATURES.iter().zip(values.into_iter().zip(keep)) {
            if k {
                columns.push(Column::new((*name).into(), ColumnData::Numeric(v)));
            }
        }
        if labelled {
            columns.push(
                Column::new(LABEL.into(), ColumnData::Numeric(self.label))
                    .with_kind(ColumnKind::Boolean),
            );
        }
        Dataset { n_rows, columns }
    }
}

/// Derives the labelled table as of the window's cutoff and the current table as of the
/// log's last day. `cancel` gets the fraction done now and then; true stops.
pub fn derive(
    log: &OrderLog,
    window: &Window,
    cancel: &mut dyn FnMut(f64) -> bool,
) -> Result<Derived, DeriveError> {
    let derived = derive_part(log, window, cancel)?;
    if derived.summary.labelled == 0 {
        let s = &derived.summary;
        return Err(no_customers(s));
    }
    Ok(derived)
}

/// Why no customer could be labelled, from the counts of a summary.
pub fn no_customers(s: &DeriveSummary) -> DeriveError {
    DeriveError::NoCustomers {
        cutoff: s.cutoff.clone(),
        too_new: s.too_new,
        after: s.after_cutoff,
    }
}

/// [`derive`] for one part of a log split by customer ([`crate::orders::parts`]): the
/// same tables, empty when the part has no customer to label (the caller judges the
/// whole). The part's `first_day`, `last_day` and `report.has_*` should be the whole
/// log's, so that every part has the same cutoff and columns.
pub fn derive_part(
    log: &OrderLog,
    window: &Window,
    cancel: &mut dyn FnMut(f64) -> bool,
) -> Result<Derived, DeriveError> {
    let cutoff = settle(log, window)?;
    let h = window.horizon_days;
    let obs = window.observation_days.filter(|&d| d > 0);
    let start_of = |day: i64| obs.map_or(i64::MIN, |d| day - d + 1);
    let start = start_of(cutoff);
    let (mut labelled, mut current) = (Table::default(), Table::default());
    let mut s = DeriveSummary::start(log, window, cutoff, start);
    let customers = per_customer(log);
    for (i, (customer, range)) in customers.iter().enumerate() {
        if i % 4096 == 0 && cancel(i as f64 / customers.len() as f64) {
            return Err(DeriveError::Cancelled);
        }
        let orders = &log.orders[range.clone()];
        if let Some(f) = features_as_of(
            orders,
            &log.products,
            start_of(log.last_day),
            log.last_day,
            h,
        ) {
            current.push(*customer, &f);
        }
        label_one(
            orders,
            log,
            (start, cutoff, h, window.min_history_days),
            *customer,
            &mut labelled,
            &mut s,
        );
    }
    let keep = [
        true,
        true,
        true,
        true,
        true,
        true,
        true,
        true,
        true,
        log.report.has_discount,
        log.report.has_cancellations,
        log.report.has_products,
        true,
    ];
    s.labelled = labelled.ids.len();
    s.current = current.ids.len();
    Ok(Derived {
        labelled: labelled.into_dataset(log, &keep, true),
        current: current.into_dataset(log, &keep, false),
        summary: s,
    })
}

/// Adds one customer to the labelled table, or counts why not. `at` is (start of the
/// observation window, cutoff, horizon, minimum history).
fn label_one(
    orders: &[Order],
    log: &OrderLog,
    at: (i64, i64, i64, i64),
    customer: usize,
    table: &mut Table,
    s: &mut DeriveSummary,
) {
    let (start, cutoff, h, min_history) = at;
    let Some(f) = features_as_of(orders, &log.products, start, cutoff, h) else {
        let first = orders.iter().filter(|o| !o.cancelled).map(|o| o.day).next();
        match first {
            Some(d) if d > cutoff => s.after_cutoff += 1,
            Some(_) => s.outside_window += 1,
            None => {}
        }
        return;
    };
    if f.tenure_days < min_history as f64 {
        s.too_new += 1;
        return;
    }
    let came_back = orders
        .iter()
        .any(|o| !o.cancelled && o.day > cutoff && o.day <= cutoff + h);
    s.one_time_buyers += usize::from(f.frequency == 1.0);
    s.churned += usize::from(!came_back);
    table.push(customer, &f);
    table.label.push(if came_back { 0.0 } else { 1.0 });
}

/// Days since 1970-01-01 of a date written `YYYY-MM-DD` (or any form the reader takes with
/// the year first or last, month first when ambiguous).
pub fn parse_day(text: &str) -> Option<i64> {
    let parts = crate::reading::cells::date_parts(text)?;
    let order = if !parts.year_first && parts.a > 12 {
        crate::reading::cells::DateOrder::DayFirst
    } else {
        crate::reading::cells::DateOrder::MonthFirst
    };
    parts.days(order).map(|d| d.floor() as i64)
}
