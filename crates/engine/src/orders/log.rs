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
    let readings = date_readings(column);
    if readings.day_first_seen {
        readings.day_first
    } else {
        readings.month_first
    }
}

/// A column's dates read both ways where the order of day and month is not written in the
/// cells (`03/04/2024`), and whether some cell can only be day-first (a first number
/// above 12). Year-first text, date columns and `YYYYMMDD` numbers read the same both ways.
pub struct DateReadings {
    pub month_first: Vec<f64>,
    pub day_first: Vec<f64>,
    pub day_first_seen: bool,
}

/// [`DateReadings`] of `column`: days since 1970, NaN where missing or not a date.
pub fn date_readings(column: &Column) -> DateReadings {
    let same = |days: Vec<f64>| DateReadings {
        day_first: days.clone(),
        month_first: days,
        day_first_seen: false,
    };
    match &column.data {
        ColumnData::Numeric(v) if column.kind == ColumnKind::Date => same(v.clone()),
        ColumnData::Numeric(v) => same(v.iter().map(|&x| yyyymmdd(x)).collect()),
        ColumnData::Categorical { levels, codes } => {
            let parts: Vec<_> = levels.iter().map(|l| date_parts(l)).collect();
            let day_first_seen = parts.iter().flatten().any(|p| !p.year_first && p.a > 12);
            let read = |order: DateOrder| -> Vec<f64> {
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
            };
            DateReadings {
                month_first: read(DateOrder::MonthFirst),
                day_first: read(DateOrder::DayFirst),
                day_first_seen,
            }
        }
    }
}

/// A `YYYYMMDD` number as days since 1970, NaN when it is not one.
fn yyyymmdd(x: f64) -> f64 {
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
/// not a number (row 0 of `ds` being on line `first_line` of the file).
fn numbers_of(
    ds: &Dataset,
    role: &str,
    name: &str,
    first_line: usize,
) -> Result<Vec<f64>, LogError> {
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
                        line: first_line + row,
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

/// The per-row facts of one piece of a log, keys local to the piece.
struct Rows {
    customer: Keys,
    dates: DateReadings,
    value: Option<Vec<f64>>,
    order: Option<Keys>,
    product: Option<Keys>,
    cancelled: Vec<bool>,
    discounted: Option<Vec<bool>>,
}

/// Reads the mapped columns of `ds` into per-row facts.
fn rows_of(ds: &Dataset, m: &OrderMapping, first_line: usize) -> Result<Rows, LogError> {
    let customer = keys_of(column(ds, "customer", &m.customer)?);
    let dates = date_readings(column(ds, "date", &m.date)?);
    let value = match (&m.amount, &m.quantity, &m.unit_price) {
        (Some(a), _, _) => Some(numbers_of(ds, "amount", a, first_line)?),
        (None, Some(q), Some(p)) => {
            let q = numbers_of(ds, "quantity", q, first_line)?;
            let p = numbers_of(ds, "unit price", p, first_line)?;
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
        dates,
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
    /// The opening row's date read month-first and day-first (equal when certain).
    month_first: f64,
    day_first: f64,
    amount: f64,
    any_amount: bool,
    cancelled: bool,
    discounted: bool,
    rows: u32,
    products: Vec<u32>,
}

/// Texts numbered in the order they are first seen, each text held once.
#[derive(Default)]
struct Interner {
    ids: crate::reading::hash::FastMap<Box<str>, u32>,
}

impl Interner {
    fn number(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(text.into(), id);
        id
    }

    /// The texts by number.
    fn into_texts(self) -> Vec<String> {
        let mut texts = vec![String::new(); self.ids.len()];
        for (text, id) in self.ids {
            texts[id as usize] = text.into();
        }
        texts
    }
}

/// One row of an order export reduced to what a log keeps of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowFacts<'a> {
    /// The row's line in the file.
    pub line: usize,
    pub customer: Option<&'a str>,
    pub order: Option<&'a str>,
    pub product: Option<&'a str>,
    /// The date read month-first and day-first (equal where the cell says its order; NaN
    /// where it is not a date read that way).
    pub month_first: f64,
    pub day_first: f64,
    /// The date as written, kept where it does not read both ways (for the message).
    pub date_text: Option<&'a str>,
    /// The line's value, NaN without one.
    pub value: f64,
    pub cancelled: bool,
    pub discounted: bool,
}

/// What a piece says about its whole date column.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PieceDates {
    pub day_first_seen: bool,
    /// Some cell reads month-first, some day-first.
    pub any: [bool; 2],
}

/// Hands each row of `piece` (row 0 on line `first_line` of the file) to `each` as
/// [`RowFacts`]; refused when a mapped column is missing or an amount is not a number.
pub fn piece_facts(
    piece: &Dataset,
    mapping: &OrderMapping,
    first_line: usize,
    each: &mut dyn FnMut(RowFacts<'_>),
) -> Result<PieceDates, LogError> {
    let rows = rows_of(piece, mapping, first_line)?;
    let date_column = column(piece, "date", &mapping.date)?;
    let dates = PieceDates {
        day_first_seen: rows.dates.day_first_seen,
        any: [
            rows.dates.month_first.iter().any(|t| !t.is_nan()),
            rows.dates.day_first.iter().any(|t| !t.is_nan()),
        ],
    };
    let label = |keys: Option<&Keys>, row: usize| -> Option<u32> {
        let k = keys?.keys[row];
        (k != NO_KEY).then_some(k)
    };
    for row in 0..piece.n_rows {
        let (month_first, day_first) = (rows.dates.month_first[row], rows.dates.day_first[row]);
        let date_text = (month_first.is_nan() || day_first.is_nan())
            .then(|| date_column.text(row))
            .flatten();
        let customer =
            label(Some(&rows.customer), row).map(|k| rows.customer.texts[k as usize].as_str());
        let order = label(rows.order.as_ref(), row)
            .and_then(|k| rows.order.as_ref().map(|o| o.texts[k as usize].as_str()));
        let product = label(rows.product.as_ref(), row)
            .and_then(|k| rows.product.as_ref().map(|p| p.texts[k as usize].as_str()));
        each(RowFacts {
            line: first_line + row,
            customer,
            order,
            product,
            month_first,
            day_first,
            date_text: date_text.as_deref(),
            value: rows.value.as_ref().map_or(f64::NAN, |v| v[row]),
            cancelled: rows.cancelled[row],
            discounted: rows.discounted.as_ref().is_some_and(|d| d[row]),
        });
    }
    Ok(dates)
}

/// Rows whose date cannot be read one way: how many (with a customer) and the first.
#[derive(Debug, Clone, Default, PartialEq)]
struct BadDates {
    rows: usize,
    first: Option<(usize, String)>,
}

impl BadDates {
    fn count(&mut self, line: usize, text: Option<&str>) {
        self.rows += 1;
        self.note(line, text);
    }

    /// Keeps the first such line without counting it (its order counts it at the end).
    fn note(&mut self, line: usize, text: Option<&str>) {
        if self.first.as_ref().is_none_or(|(first, _)| line < *first) {
            self.first = Some((line, text.unwrap_or_default().to_string()));
        }
    }
}

/// Builds an order log row by row, in the file's order, holding the orders (about a
/// hundred bytes each) and the ids, never the rows: from the pieces of an export
/// ([`Self::add`]) or from rows kept elsewhere ([`Self::add_row`]). Line items join their
/// order across pieces. Dates whose day/month order the cells do not say are read both
/// ways until the end: one cell anywhere that can only be day-first (`25/03/2024`) makes
/// the whole log day-first, as it does for a log read whole.
pub struct LogBuilder {
    mapping: OrderMapping,
    customers: Interner,
    order_ids: Interner,
    products: Interner,
    /// An order's slot by its order id number, or by (customer, time) without one.
    by_id: Vec<u32>,
    by_time: HashMap<(u32, u64), u32>,
    building: Vec<Building>,
    report: LogReport,
    dates: PieceDates,
    /// Rows (with a customer) whose date is not a date read month-first, and day-first.
    bad: [BadDates; 2],
    /// The first date cell, for the message when no cell is a date.
    first_date_cell: Option<(usize, String)>,
}

impl LogBuilder {
    /// A builder for logs mapped by `mapping`; refused without an amount.
    pub fn new(mapping: &OrderMapping) -> Result<Self, LogError> {
        if mapping.amount.is_none() && (mapping.quantity.is_none() || mapping.unit_price.is_none())
        {
            return Err(LogError::NoAmount);
        }
        Ok(LogBuilder {
            mapping: mapping.clone(),
            customers: Interner::default(),
            order_ids: Interner::default(),
            products: Interner::default(),
            by_id: Vec::new(),
            by_time: HashMap::new(),
            building: Vec::new(),
            report: LogReport {
                has_discount: mapping.discount.is_some(),
                has_products: mapping.product.is_some(),
                ..LogReport::default()
            },
            dates: PieceDates::default(),
            bad: [BadDates::default(), BadDates::default()],
            first_date_cell: None,
        })
    }

    /// The columns a piece must keep as text: read here, not by the reader, so that every
    /// piece reads ids and dates alike.
    pub fn text_columns(mapping: &OrderMapping) -> Vec<String> {
        [
            Some(&mapping.customer),
            Some(&mapping.date),
            mapping.order_id.as_ref(),
            mapping.product.as_ref(),
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }

    /// Adds the rows of `piece` (the next rows of the export, its first row on line
    /// `first_line` of the file). `cancel` gets the fraction of the piece done; true stops.
    pub fn add(
        &mut self,
        piece: &Dataset,
        first_line: usize,
        cancel: &mut dyn FnMut(f64) -> bool,
    ) -> Result<(), LogError> {
        let n = piece.n_rows.max(1) as f64;
        let mut stopped = false;
        let mapping = self.mapping.clone();
        let dates = piece_facts(piece, &mapping, first_line, &mut |f| {
            let row = f.line - first_line;
            if row.is_multiple_of(65_536) && !stopped {
                stopped = cancel(row as f64 / n);
            }
            if !stopped {
                self.add_row(f);
            }
        })?;
        if stopped {
            return Err(LogError::Cancelled);
        }
        self.add_dates(dates);
        Ok(())
    }

    /// What a piece (or a part of a log) said about its dates; see [`piece_facts`].
    pub fn add_dates(&mut self, dates: PieceDates) {
        self.dates.day_first_seen |= dates.day_first_seen;
        self.dates.any[0] |= dates.any[0];
        self.dates.any[1] |= dates.any[1];
    }

    /// Adds one row.
    pub fn add_row(&mut self, f: RowFacts<'_>) {
        self.report.rows += 1;
        if self.first_date_cell.is_none() && (f.date_text.is_some() || !f.month_first.is_nan()) {
            let text = f.date_text.map_or_else(
                || crate::reading::cells::format_date(f.month_first),
                str::to_string,
            );
            self.first_date_cell = Some((f.line, text));
        }
        let order_key = f.order.map(|o| {
            let k = self.order_ids.number(o);
            if k as usize == self.by_id.len() {
                self.by_id.push(NO_KEY);
            }
            k
        });
        let open = order_key
            .map(|k| self.by_id[k as usize])
            .filter(|&s| s != NO_KEY);
        let slot = match open {
            Some(s) => s as usize,
            None => match self.open_order(&f, order_key) {
                Some(s) => {
                    for (way, day) in [f.month_first, f.day_first].into_iter().enumerate() {
                        if day.is_nan() {
                            self.bad[way].note(f.line, f.date_text);
                        }
                    }
                    s
                }
                None => {
                    self.count_left_out(&f);
                    return;
                }
            },
        };
        let product = f.product.map(|p| self.products.number(p));
        let order = &mut self.building[slot];
        order.rows += 1;
        if !f.value.is_nan() {
            order.amount += f.value;
            order.any_amount = true;
        }
        order.cancelled |= f.cancelled;
        order.discounted |= f.discounted;
        if let Some(p) = product {
            if !order.products.contains(&p) {
                order.products.push(p);
            }
        }
    }

    /// Starts the order of a row (found by its order id, or by customer and time without
    /// one) and returns its slot; `None` when the row has no customer or no date either way.
    fn open_order(&mut self, f: &RowFacts<'_>, order_key: Option<u32>) -> Option<usize> {
        let customer = self.customers.number(f.customer?);
        if f.month_first.is_nan() && f.day_first.is_nan() {
            return None;
        }
        let fresh = Building {
            customer,
            month_first: f.month_first,
            day_first: f.day_first,
            amount: 0.0,
            any_amount: false,
            cancelled: false,
            discounted: false,
            rows: 0,
            products: Vec::new(),
        };
        let next = self.building.len() as u32;
        let slot = match order_key {
            Some(k) => {
                self.by_id[k as usize] = next;
                next
            }
            None => {
                let time = if f.month_first.is_nan() {
                    f.day_first
                } else {
                    f.month_first
                };
                *self
                    .by_time
                    .entry((customer, time.to_bits()))
                    .or_insert(next)
            }
        };
        if slot == next {
            self.building.push(fresh);
        }
        Some(slot as usize)
    }

    /// Counts a row that opens no order: no customer, or a date that is not one either
    /// way.
    fn count_left_out(&mut self, f: &RowFacts<'_>) {
        if f.customer.is_none() {
            self.report.rows_without_customer += 1;
            return;
        }
        for way in &mut self.bad {
            way.count(f.line, f.date_text);
        }
    }

    /// Whether some date so far can only be read day-first.
    pub fn day_first_seen(&self) -> bool {
        self.dates.day_first_seen
    }

    /// The log: orders sorted by customer and time, dates read day-first when some cell
    /// said so (or `day_first` says so: the rows of a log split by customer, see
    /// [`Self::finish_as`]). Orders whose opening date does not read that way are left out
    /// with their rows, as a log read whole leaves those rows out.
    pub fn finish(self) -> Result<OrderLog, LogError> {
        let day_first = self.dates.day_first_seen;
        self.finish_as(day_first)
    }

    /// [`Self::finish`] with the day/month order decided elsewhere (for a part of a log
    /// whose other parts may hold the deciding cell).
    pub fn finish_as(mut self, day_first: bool) -> Result<OrderLog, LogError> {
        let way = usize::from(day_first);
        if !self.dates.any[way] {
            let (line, value) = self.first_date_cell.take().unwrap_or((2, String::new()));
            return Err(LogError::NotDates {
                column: self.mapping.date.clone(),
                line,
                value,
            });
        }
        let mut bad = std::mem::take(&mut self.bad[way]);
        // An order whose opening date does not read this way: its rows are left out.
        let mut kept = Vec::with_capacity(self.building.len());
        for mut b in self.building {
            let time = if way == 1 { b.day_first } else { b.month_first };
            if time.is_nan() {
                bad.rows += b.rows as usize;
                continue;
            }
            b.month_first = time;
            kept.push(b);
        }
        self.report.rows_without_date = bad.rows;
        self.report.first_bad_date = bad.first;
        finish(self.customers.into_texts(), kept, self.report)
    }
}

/// Builds the orders of `ds` as `mapping` says. `cancel` is asked now and then; true
/// stops with [`LogError::Cancelled`].
pub fn build_log(
    ds: &Dataset,
    mapping: &OrderMapping,
    cancel: &mut dyn FnMut(f64) -> bool,
) -> Result<OrderLog, LogError> {
    let mut builder = LogBuilder::new(mapping)?;
    builder.add(ds, 2, cancel)?;
    builder.finish()
}

/// Sorts the assembled orders by customer and time (`month_first` holds the time read the
/// log's way) and fills the report.
fn finish(
    customer_ids: Vec<String>,
    mut building: Vec<Building>,
    mut report: LogReport,
) -> Result<OrderLog, LogError> {
    if building.is_empty() {
        return Err(LogError::NoOrders);
    }
    building.sort_by(|a, b| {
        (a.customer, a.month_first)
            .partial_cmp(&(b.customer, b.month_first))
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
            time: b.month_first,
            day: b.month_first.floor() as i64,
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
