//! `churnscope orders FILE`: an order log turned into one row per customer with a churn
//! label, the current customers, and the BG/NBD and Pareto/NBD baselines.

use std::time::Instant;

use churnscope_engine::acting::export::{to_csv, Table};
use churnscope_engine::modelling::config::TrainConfig;
use churnscope_engine::modelling::training::split_rows;
use churnscope_engine::orders::baselines::{self, BaselineRun};
use churnscope_engine::orders::cdnow;
use churnscope_engine::orders::derive_customers;
use churnscope_engine::orders::features::{parse_day, Derived, Window, LABEL};
use churnscope_engine::orders::layout::{detect, mapping_for, Detection, Layout};
use churnscope_engine::orders::log::LogReport;
use churnscope_engine::understanding::target::target_for;

use crate::args::OrdersArgs;
use crate::error::CliError;
use crate::input::{parse, read_options};

/// What `orders` found.
pub struct Orders {
    pub path: String,
    pub detection: Detection,
    pub log: LogReport,
    pub derived: Derived,
    /// The baselines on the held-out customers, or why they could not be fitted.
    pub baselines: Option<Result<Vec<BaselineRun>, String>>,
    /// Seconds to read the file, derive the customers and fit the baselines.
    pub read_seconds: f64,
    pub derive_seconds: f64,
    pub baseline_seconds: f64,
}

fn fail(path: &str, message: impl ToString) -> CliError {
    CliError::Orders {
        path: path.to_string(),
        message: message.to_string(),
    }
}

/// Reads FILE (CDNOW's log by its own reader), recognises or applies its layout and
/// derives the customers.
pub fn run(args: &OrdersArgs) -> Result<Orders, CliError> {
    let path = args.input.file.as_str();
    let start = Instant::now();
    let bytes = std::fs::read(path).map_err(|source| CliError::Io {
        path: path.to_string(),
        source,
    })?;
    let ds = if args.layout == "cdnow" || (args.layout == "auto" && cdnow::looks_like(&bytes)) {
        cdnow::read(&bytes).map_err(|e| fail(path, e))?
    } else {
        parse(path, &bytes, &read_options(&args.input.read))?.dataset
    };
    drop(bytes);
    let read_seconds = start.elapsed().as_secs_f64();
    let mut detection = match Layout::from_key(&args.layout) {
        Some(layout) => Detection {
            layout,
            mapping: mapping_for(&ds, layout).map_err(|e| fail(path, e))?,
            reason: format!("--layout {}", layout.key()),
        },
        None => detect(&ds).ok_or_else(|| {
            fail(
                path,
                "not recognised as an order log (no customer, date and amount columns by \
                 name, or customer ids do not repeat); name them with --customer, --date, \
                 --amount",
            )
        })?,
    };
    apply_overrides(args, &mut detection);
    let window = Window {
        cutoff: match &args.cutoff {
            Some(text) => Some(parse_day(text).ok_or_else(|| {
                fail(
                    path,
                    format!("--cutoff: '{text}' is not a date (use YYYY-MM-DD)"),
                )
            })?),
            None => None,
        },
        horizon_days: args.horizon,
        observation_days: args.window,
        min_history_days: args.min_history,
    };
    let start = Instant::now();
    let (derived, log) = derive_customers(&ds, &detection.mapping, &window, &mut |_, _| false)
        .map_err(|e| fail(path, e))?;
    let derive_seconds = start.elapsed().as_secs_f64();
    drop(ds);
    let start = Instant::now();
    let mut derived = derived;
    let baselines = (!args.no_baselines).then(|| {
        let horizon = derived.summary.horizon_days as f64;
        let runs = held_out_baselines(&derived)?;
        baselines::annotate_current(&derived.labelled, &mut derived.current, horizon, &|| false)?;
        Ok(runs)
    });
    let baseline_seconds = start.elapsed().as_secs_f64();
    write(args.out.as_deref(), &derived.labelled)?;
    write(args.current.as_deref(), &derived.current)?;
    Ok(Orders {
        path: path.to_string(),
        detection,
        log,
        derived,
        baselines,
        read_seconds,
        derive_seconds,
        baseline_seconds,
    })
}

/// `--customer`, `--date`, `--amount` and `--order-id` replace what detection chose.
fn apply_overrides(args: &OrdersArgs, detection: &mut Detection) {
    let m = &mut detection.mapping;
    if let Some(c) = &args.customer {
        m.customer = c.clone();
    }
    if let Some(d) = &args.date {
        m.date = d.clone();
    }
    if let Some(a) = &args.amount {
        m.amount = Some(a.clone());
    }
    if let Some(o) = &args.order_id {
        m.order_id = Some(o.clone());
    }
}

/// The baselines fitted on the training customers of the split `train` makes (stratified
/// 20%, seed 42) and judged on its test customers.
fn held_out_baselines(derived: &Derived) -> Result<Vec<BaselineRun>, String> {
    let ds = &derived.labelled;
    let target = target_for(ds, LABEL, Some("1")).map_err(|e| e.to_string())?;
    let split = split_rows(ds, &TrainConfig::new(target.clone())).map_err(|e| e.to_string())?;
    baselines::evaluate(
        ds,
        &target,
        &split.test,
        derived.summary.horizon_days as f64,
        &|| false,
    )
}

/// Writes a derived table as CSV to `path`, when given.
fn write(path: Option<&str>, ds: &churnscope_engine::dataset::Dataset) -> Result<(), CliError> {
    let Some(path) = path else { return Ok(()) };
    std::fs::write(path, to_csv(&Table::of_dataset(ds))).map_err(|source| CliError::Io {
        path: path.to_string(),
        source,
    })
}
