//! From an order export's rows to orders: line items grouped into orders, each with its
//! customer, date, value and whether it was cancelled or discounted; rows that cannot be a
//! purchase (no customer, no date) left out and counted.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::dataset::{Column, ColumnData, ColumnKind, Dataset, MISSING_CODE};
use crate::orders::layout::OrderMapping;
use crate::reading::cells::{date_parts, DateOrder};

/// One order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Order {
    /// Index into [`OrderLog::customers`].
    pub customer: u32,
    /// Days since 1970-01-01, with the time of day as a fraction.
    pub time: f64,
    /// Whole day (the date without its time).
    pub day: i64,
    /// The order's value (the sum of its lines); NaN when no amount was given.
    pub amount: f64,
    /// Cancelled, voided, returned or refunded: not a purchase.
    pub cancelled: bool,
    pub discounted: bool,
    /// The order's products: `products[start..start + len]` of the log.
    pub products_start: u32,
    pub products_len: u32,
}

/// What building the orders found, for the user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogReport {
    /// Rows of the export.
    pub rows: usize,
    /// Orders built from them (cancelled ones included).
    pub orders: usize,
    /// Cancelled, voided, returned or refunded orders (not counted as purchases).
    pub cancelled_orders: usize,
    pub customers: usize,
    /// Rows left out because they name no customer.
    pub rows_without_customer: usize,
    /// Rows left out because their date is missing or not a date, with the first such
    /// row's line in the file and its value.
    pub rows_without_date: usize,
    #[serde(default)]
    pub first_bad_date: Option<(usize, String)>,
    /// First and last order day (YYYY-MM-DD).
    pub first_date: String,
    pub last_date: String,
    /// Which optional facts the log has.
    pub has_discount: bool,
    pub has_products: bool,
    pub has_cancellations: bool,
}

/// The orders of a log, sorted by customer and then time.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderLog {
    /// Each customer's id as written in the export.
    pub customers: Vec<String>,
    pub orders: Vec<Order>,
    /// Product keys of every order, concatenated.
    pub products: Vec<u32>,
    pub first_day: i64,
    pub last_day: i64,
    pub report: LogReport,
}

/// Why a log cannot be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum LogError {
    #[error("the {role} column '{column}' is not in the file")]
    MissingColumn { role: String, column: String },
    #[error("the date column '{column}' holds no dates (line {line}: '{value}')")]
    NotDates {
        column: String,
        line: usize,
        value: String,
    },
    #[error("the {role} column '{column}' is not numeric (line {line}: '{value}')")]
    NotNumbers {
        role: String,
        column: String,
        line: usize,
        value: String,
    },
    #[error("no amount: map an amount column, or a quantity and a unit price column")]
    NoAmount,
    #[error("no row has both a customer and a date, so there are no orders")]
    NoOrders,
    #[error("stopped")]
    Cancelled,
}

/// Dense keys for a column's values: equal values get equal keys, a missing cell none.
struct Keys {
    keys: Vec<u32>,
    texts: Vec<String>,
}

const NO_KEY: u32 = u32::MAX;

fn keys_of(column: &Column) -> Keys {
    match &column.data {
        ColumnData::Categorical { levels, codes } => {
            let mut remap = vec![NO_KEY; levels.len()];
            let mut texts = Vec::new();
            let keys = codes
                .iter()
                .map(|&c| {
                    if c == MISSING_CODE {
                        return NO_KEY;
                    }
                    let slot = &mut remap[c as usize];
                    if *slot == NO_KEY {
                        *slot = texts.len() as u32;
                        texts.push(levels[c as usize].clone());
                    }
                    *slot
                })
                .collect();
            Keys { keys, texts }
        }
        ColumnData::Numeric(values) => {
            let mut map: HashMap<u64, u32> = HashMap::new();
            let mut texts = Vec::new();
            let keys = values
                .iter()
                .enumerate()
                .map(|(row, v)| {
                    if v.is_nan() {
                        return NO_KEY;
                    }
                    *map.entry(v.to_bits()).or_insert_with(|| {
                        texts.push(column.text(row).unwrap_or_default());
                        texts.len() as u32 - 1
                    })
                })
                .collect();
            Keys { keys, texts }
        }
    }
}

/// The dates of a column as days since 1970 (NaN where missing or not a date): a date
/// column as read, `YYYYMMDD` integers, or text parsed here (day/month order from the
/// values, a time zone offset ignored).
pub fn dates_of(column: &Column) -> Vec<f64> {
    match &column.data {
        ColumnData::Numeric(v) if column.kind == ColumnKind::Date => v.clone(),
        ColumnData::Numeric(v) => v
            .iter()
            .map(|&x| {
                if x.fract() != 0.0 || !(1e7..1e8).contains(&x) {
                    return f64::NAN;
                }
                let n = x as i64;
                let (y, m, d) = (n / 10_000, (n / 100 % 100) as u32, (n % 100) as u32);
                let days = crate::reading::cells::days_from_civil(y, m, d);
                if crate::reading::cells::civil_from_days(days) == (y, m, d) {
                    days as f64
                } else {
                    f64::NAN
                }
            })
            .collect(),
        ColumnData::Categorical { levels, codes } => {
            let parts: Vec<_> = levels.iter().map(|l| date_parts(l)).collect();
            let day_first = parts.iter().flatten().any(|p| !p.year_first && p.a > 12);
            let order = if day_first {
                DateOrder::DayFirst
            } else {
                DateOrder::MonthFirst
            };
            let days: Vec<f64> = parts
                .iter()
                .map(|p| p.and_then(|p| p.days(order)).unwrap_or(f64::NAN))
                .collect();
            codes
                .iter()
                .map(|&c| {
                    if c == MISSING_CODE {
                        f64::NAN
                    } else {
                        days[c as usize]
                    }
                })
                .collect()
        }
    }
}

/// The first and last whole day of the dates in `column` of `ds`, if it has any.
pub fn date_range(ds: &Dataset, column: &str) -> Option<(i64, i64)> {
    let dates = dates_of(ds.column(column)?);
    let present = dates.iter().filter(|d| !d.is_nan());
    let first = present.clone().fold(f64::INFINITY, |a, &b| a.min(b));
    let last = present.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    (first.is_finite() && last.is_finite()).then(|| (first.floor() as i64, last.floor() as i64))
}

/// The numbers of a column (NaN where missing), or an error naming the first cell that is
/// not a number.
fn numbers_of(ds: &Dataset, role: &str, name: &str) -> Result<Vec<f64>, LogError> {
    let column = column(ds, role, name)?;
    match &column.data {
        ColumnData::Numeric(v) => Ok(v.clone()),
        ColumnData::Categorical { levels, codes } => {
            let parsed: Vec<Option<f64>> = levels
                .iter()
                .map(|l| crate::reading::cells::parse_number(l))
                .collect();
            codes
                .iter()
                .enumerate()
                .map(|(row, &c)| {
                    if c == MISSING_CODE {
                        return Ok(f64::NAN);
                    }
                    parsed[c as usize].ok_or_else(|| LogError::NotNumbers {
                        role: role.to_string(),
                        column: name.to_string(),
                        line: row + 2,
                        value: levels[c as usize].clone(),
                    })
                })
                .collect()
        }
    }
}

fn column<'a>(ds: &'a Dataset, role: &str, name: &str) -> Result<&'a Column, LogError> {
    ds.column(name).ok_or_else(|| LogError::MissingColumn {
        role: role.to_string(),
        column: name.to_string(),
    })
}

/// Whether a status text means the order did not stand: cancelled, voided, returned or
/// (wholly) refunded. `partially_refunded` and the like are still purchases.
pub fn is_cancel_status(status: &str) -> bool {
    let s = status.trim().to_lowercase();
    s.contains("cancel")
        || s.contains("void")
        || s.contains("return")
        || s == "refunded"
        || s == "refund"
}

/// Per-row flags of a text column, computed once per level: `f(level)`; missing is false.
fn level_flags(column: &Column, f: impl Fn(&str) -> bool) -> Vec<bool> {
    match &column.data {
        ColumnData::Categorical { levels, codes } => {
            let flags: Vec<bool> = levels.iter().map(|l| f(l)).collect();
            codes
                .iter()
                .map(|&c| c != MISSING_CODE && flags[c as usize])
                .collect()
        }
        ColumnData::Numeric(v) => (0..v.len())
            .map(|row| column.text(row).is_some_and(|t| f(&t)))
            .collect(),
    }
}

/// Per-row discount flags: a positive number, or any text that is not "0"/"no"/"false".
fn discount_flags(column: &Column) -> Vec<bool> {
    match &column.data {
        ColumnData::Numeric(v) => v.iter().map(|&x| x > 0.0).collect(),
        ColumnData::Categorical { .. } => level_flags(column, |t| {
            let t = t.trim().to_lowercase();
            match crate::reading::cells::parse_number(&t) {
                Some(x) => x > 0.0,
                None => !t.is_empty() && !matches!(t.as_str(), "no" | "false" | "none" | "n"),
            }
        }),
    }
}

/// The per-row facts a log is built from.
struct Rows {
    customer: Keys,
    time: Vec<f64>,
    value: Option<Vec<f64>>,
    order: Option<Keys>,
    product: Option<Keys>,
    cancelled: Vec<bool>,
    discounted: Option<Vec<bool>>,
}

/// Reads the mapped columns of `ds` into per-row facts.
fn rows_of(ds: &Dataset, m: &OrderMapping) -> Result<Rows, LogError> {
    let customer = keys_of(column(ds, "customer", &m.customer)?);
    let date_column = column(ds, "date", &m.date)?;
    let time = dates_of(date_column);
    if time.iter().all(|t| t.is_nan()) {
        let row = (0..ds.n_rows)
            .find(|&r| !date_column.is_missing(r))
            .unwrap_or(0);
        return Err(LogError::NotDates {
            column: m.date.clone(),
            line: row + 2,
            value: date_column.text(row).unwrap_or_default(),
        });
    }
    let value = match (&m.amount, &m.quantity, &m.unit_price) {
        (Some(a), _, _) => Some(numbers_of(ds, "amount", a)?),
        (None, Some(q), Some(p)) => {
            let q = numbers_of(ds, "quantity", q)?;
            let p = numbers_of(ds, "unit price", p)?;
            Some(q.iter().zip(&p).map(|(q, p)| q * p).collect())
        }
        _ => None,
    };
    let mut cancelled = vec![false; ds.n_rows];
    if let Some(s) = &m.status {
        for (c, f) in cancelled
            .iter_mut()
            .zip(level_flags(column(ds, "status", s)?, is_cancel_status))
        {
            *c |= f;
        }
    }
    if let Some(s) = &m.cancelled_at {
        let col = column(ds, "cancelled at", s)?;
        for (row, c) in cancelled.iter_mut().enumerate() {
            *c |= !col.is_missing(row);
        }
    }
    if let (Some(prefix), Some(o)) = (&m.cancel_prefix, &m.order_id) {
        let flags = level_flags(column(ds, "order id", o)?, |t| {
            t.trim().starts_with(prefix.as_str())
        });
        for (c, f) in cancelled.iter_mut().zip(flags) {
            *c |= f;
        }
    }
    Ok(Rows {
        customer,
        time,
        value,
        order: m
            .order_id
            .as_deref()
            .map(|o| column(ds, "order id", o).map(keys_of))
            .transpose()?,
        product: m
            .product
            .as_deref()
            .map(|p| column(ds, "product", p).map(keys_of))
            .transpose()?,
        cancelled,
        discounted: m
            .discount
            .as_deref()
            .map(|d| column(ds, "discount", d).map(discount_flags))
            .transpose()?,
    })
}

/// An order being assembled from its rows.
#[derive(Clone)]
struct Building {
    customer: u32,
    time: f64,
    amount: f64,
    any_amount: bool,
    cancelled: bool,
    discounted: bool,
    products: Vec<u32>,
}

/// Builds the orders of `ds` as `mapping` says. `cancel` is asked now and then; true
/// stops with [`LogError::Cancelled`].
pub fn build_log(
    ds: &Dataset,
    mapping: &OrderMapping,
    cancel: &mut dyn FnMut(f64) -> bool,
) -> Result<OrderLog, LogError> {
    if mapping.amount.is_none() && (mapping.quantity.is_none() || mapping.unit_price.is_none()) {
        return Err(LogError::NoAmount);
    }
    let rows = rows_of(ds, mapping)?;
    let mut report = LogReport {
        rows: ds.n_rows,
        has_discount: rows.discounted.is_some(),
        has_products: rows.product.is_some(),
        ..LogReport::default()
    };
    let mut building: Vec<Building> = Vec::new();
    // An order's slot by order id, or by (customer, time) without one.
    let mut by_id: Vec<u32> = vec![NO_KEY; rows.order.as_ref().map_or(0, |o| o.texts.len())];
    let mut by_time: HashMap<(u32, u64), u32> = HashMap::new();
    // Order-level fields (customer, date) may be on the order's first row only.
    let date_column = column(ds, "date", &mapping.date)?;
    for row in 0..ds.n_rows {
        if row % 65_536 == 0 && cancel(row as f64 / ds.n_rows.max(1) as f64) {
            return Err(LogError::Cancelled);
        }
        let order_key = rows
            .order
            .as_ref()
            .map(|o| o.keys[row])
            .filter(|&k| k != NO_KEY);
        let slot = match order_key {
            Some(k) if by_id[k as usize] != NO_KEY => Some(by_id[k as usize] as usize),
            _ => None,
        };
        let slot = match slot {
            Some(s) => s,
            None => {
                let Some(s) = open_order(
                    row,
                    order_key,
                    &rows,
                    &mut building,
                    &mut by_id,
                    &mut by_time,
                ) else {
                    count_left_out(row, &rows, date_column, &mut report);
                    continue;
                };
                s
            }
        };
        let order = &mut building[slot];
        if let Some(v) = rows.value.as_ref().map(|v| v[row]).filter(|v| !v.is_nan()) {
            order.amount += v;
            order.any_amount = true;
        }
        order.cancelled |= rows.cancelled[row];
        order.discounted |= rows.discounted.as_ref().is_some_and(|d| d[row]);
        if let Some(p) = rows
            .product
            .as_ref()
            .map(|p| p.keys[row])
            .filter(|&k| k != NO_KEY)
        {
            if !order.products.contains(&p) {
                order.products.push(p);
            }
        }
    }
    finish(rows.customer.texts, building, report)
}

/// Starts the order of `row` (found by its order id, or by customer and time without one)
/// and returns its slot; `None` when the row has no customer or no date.
fn open_order(
    row: usize,
    order_key: Option<u32>,
    rows: &Rows,
    building: &mut Vec<Building>,
    by_id: &mut [u32],
    by_time: &mut HashMap<(u32, u64), u32>,
) -> Option<usize> {
    let (customer, time) = (rows.customer.keys[row], rows.time[row]);
    if customer == NO_KEY || time.is_nan() {
        return None;
    }
    let fresh = Building {
        customer,
        time,
        amount: 0.0,
        any_amount: false,
        cancelled: false,
        discounted: false,
        products: Vec::new(),
    };
    Some(match order_key {
        Some(k) => {
            by_id[k as usize] = building.len() as u32;
            building.push(fresh);
            building.len() - 1
        }
        None => {
            let next = building.len() as u32;
            let s = *by_time.entry((customer, time.to_bits())).or_insert(next);
            if s == next {
                building.push(fresh);
            }
            s as usize
        }
    })
}

/// Counts a row left out for having no customer or no date (the first bad date kept).
fn count_left_out(row: usize, rows: &Rows, date_column: &Column, report: &mut LogReport) {
    if rows.customer.keys[row] == NO_KEY {
        report.rows_without_customer += 1;
        return;
    }
    report.rows_without_date += 1;
    if report.first_bad_date.is_none() {
        report.first_bad_date = Some((row + 2, date_column.text(row).unwrap_or_default()));
    }
}

/// Sorts the assembled orders by customer and time and fills the report.
fn finish(
    customer_ids: Vec<String>,
    mut building: Vec<Building>,
    mut report: LogReport,
) -> Result<OrderLog, LogError> {
    if building.is_empty() {
        return Err(LogError::NoOrders);
    }
    building.sort_by(|a, b| {
        (a.customer, a.time)
            .partial_cmp(&(b.customer, b.time))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    // Customers who only appear on rows left out have no orders: renumber the rest.
    let mut renumber = vec![NO_KEY; customer_ids.len()];
    let mut customers = Vec::new();
    let mut products = Vec::new();
    let mut orders = Vec::with_capacity(building.len());
    for b in building {
        let slot = &mut renumber[b.customer as usize];
        if *slot == NO_KEY {
            *slot = customers.len() as u32;
            customers.push(customer_ids[b.customer as usize].clone());
        }
        // A negative total is money going back: a return.
        let cancelled = b.cancelled || (b.any_amount && b.amount < 0.0);
        report.cancelled_orders += usize::from(cancelled);
        orders.push(Order {
            customer: *slot,
            time: b.time,
            day: b.time.floor() as i64,
            amount: if b.any_amount { b.amount } else { f64::NAN },
            cancelled,
            discounted: b.discounted,
            products_start: products.len() as u32,
            products_len: b.products.len() as u32,
        });
        products.extend(b.products);
    }
    let first_day = orders.iter().map(|o| o.day).min().unwrap_or(0);
    let last_day = orders.iter().map(|o| o.day).max().unwrap_or(0);
    report.orders = orders.len();
    report.customers = customers.len();
    report.first_date = crate::reading::cells::format_date(first_day as f64);
    report.last_date = crate::reading::cells::format_date(last_day as f64);
    report.has_cancellations = report.cancelled_orders > 0;
    Ok(OrderLog {
        customers,
        orders,
        products,
        first_day,
        last_day,
        report,
    })
}
