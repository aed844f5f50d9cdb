//! Churn from the orders merchants actually have: a transaction export turned into one row
//! per customer with a churn label, and the classic "buy till you die" models as the
//! baseline machine learning has to beat.
//!
//! [`layout`] recognises the export (Shopify, Online Retail, CDNOW, or columns guessed by
//! name) and maps its columns; [`cdnow`] reads CDNOW's headerless log; [`log`] groups rows
//! into orders ([`parts`] splits a log too big to hold by customer); [`features`] derives the labelled table as of a cutoff and the current
//! customers as of the last day; [`btyd`] fits BG/NBD and Pareto/NBD; [`baselines`] scores
//! the labelled customers with them for the comparison table; [`generate`] writes seeded
//! logs with known processes for tests and benchmarks.

pub mod baselines;
pub mod btyd;
pub mod cdnow;
pub mod features;
pub mod generate;
pub mod layout;
pub mod log;
pub mod parts;

use crate::dataset::Dataset;
use features::{DeriveError, Derived, Window};
use layout::OrderMapping;
use log::LogError;

/// Why a table could not be turned into customers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, thiserror::Error)]
pub enum OrdersError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Derive(#[from] DeriveError),
}

/// The order log of `ds` read as `mapping` says, then the labelled and current customer
/// tables for `window`. `progress` gets the fraction done (building the orders is the
/// first half); returning true stops.
pub fn derive_customers(
    ds: &Dataset,
    mapping: &OrderMapping,
    window: &Window,
    progress: &mut dyn FnMut(&str, f64) -> bool,
) -> Result<(Derived, log::LogReport), OrdersError> {
    let log = log::build_log(ds, mapping, &mut |f| {
        progress("Grouping the rows into orders", f * 0.6)
    })?;
    derive_from_log(log, window, &mut |what, f| progress(what, 0.6 + 0.4 * f))
}

/// The labelled and current customer tables of an order log already built (by
/// [`log::build_log`], or piece by piece by [`log::LogBuilder`]). `progress` gets the
/// fraction done; returning true stops.
pub fn derive_from_log(
    log: log::OrderLog,
    window: &Window,
    progress: &mut dyn FnMut(&str, f64) -> bool,
) -> Result<(Derived, log::LogReport), OrdersError> {
    let derived = features::derive(&log, window, &mut |f| {
        progress("Deriving each customer's features", f)
    })?;
    Ok((derived, log.report))
}
