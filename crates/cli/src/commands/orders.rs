//! `churnscope orders FILE`: an order log turned into one row per customer with a churn
//! label, the current customers, and the BG/NBD and Pareto/NBD baselines.

use std::time::Instant;

use churnscope_engine::acting::export::{to_csv, Table};
use churnscope_engine::dataset::Dataset;
use churnscope_engine::modelling::config::TrainConfig;
use churnscope_engine::modelling::training::split_rows;
use churnscope_engine::orders::baselines::{self, BaselineRun};
use churnscope_engine::orders::cdnow;
use churnscope_engine::orders::derive_from_log;
use churnscope_engine::orders::features::{parse_day, DeriveSummary, Derived, Window, LABEL};
use churnscope_engine::orders::layout::{detect, mapping_for, Detection, Layout};
use churnscope_engine::orders::log::{build_log, LogBuilder, LogReport, OrderLog};
use churnscope_engine::reading::ingest::ReadOptions;
use churnscope_engine::understanding::target::target_for;

use crate::args::OrdersArgs;
use crate::error::CliError;
use crate::input::{in_pieces, parse, read_options, read_piece, streamable};

/// What `orders` found.
pub struct Orders {
    pub path: String,
    pub detection: Detection,
    pub log: LogReport,
    pub summary: DeriveSummary,
    /// The baselines on the held-out customers, or why they could not be fitted.
    pub baselines: Option<Result<Vec<BaselineRun>, String>>,
    /// A log split into parts by customer: how many parts, and the customers of the part
    /// the baselines were fitted and judged on.
    pub parts: usize,
    pub baseline_customers: Option<usize>,
    /// Seconds to read the file, derive the customers and fit the baselines.
    pub read_seconds: f64,
    pub derive_seconds: f64,
    pub baseline_seconds: f64,
    /// Pieces the file was read in (1 for a file read whole).
    pub pieces: usize,
    /// The process's peak resident memory, in bytes (Linux).
    pub peak_memory: Option<u64>,
}

pub(super) fn fail(path: &str, message: impl ToString) -> CliError {
    CliError::Orders {
        path: path.to_string(),
        message: message.to_string(),
    }
}

/// Reads FILE (CDNOW's log by its own reader; delimited text a piece at a time, holding
/// the orders, not the rows), recognises or applies its layout and derives the customers.
pub fn run(args: &OrdersArgs) -> Result<Orders, CliError> {
    let path = args.input.file.as_str();
    let window = window_of(args)?;
    let cdnow = args.layout == "cdnow" || (args.layout == "auto" && starts_like_cdnow(path)?);
    if !cdnow && streamable(path)? {
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        if size > super::split_orders::part_bytes() {
            return super::split_orders::run(args, &window, size);
        }
    }
    let start = Instant::now();
    let (log, detection, pieces) = read_log(args, cdnow)?;
    let read_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let (mut derived, log) =
        derive_from_log(log, &window, &mut |_, _| false).map_err(|e| fail(path, e))?;
    let derive_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
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
        summary: derived.summary,
        baselines,
        parts: 1,
        baseline_customers: None,
        read_seconds,
        derive_seconds,
        baseline_seconds,
        pieces,
        peak_memory: crate::progress::peak_memory(),
    })
}

/// `--cutoff`, `--horizon`, `--window` and `--min-history` as a window.
fn window_of(args: &OrdersArgs) -> Result<Window, CliError> {
    let path = args.input.file.as_str();
    Ok(Window {
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
    })
}

/// The order log of FILE and how its columns were mapped. CDNOW's headerless log and
/// workbooks are read whole; delimited text a piece at a time (`--chunk-kb`), the layout
/// recognised from the first piece, every piece's mapped columns read as text alike.
fn read_log(args: &OrdersArgs, cdnow: bool) -> Result<(OrderLog, Detection, usize), CliError> {
    let path = args.input.file.as_str();
    if cdnow || !streamable(path)? {
        let bytes = std::fs::read(path).map_err(|source| CliError::Io {
            path: path.to_string(),
            source,
        })?;
        let ds = if cdnow {
            cdnow::read(&bytes).map_err(|e| fail(path, e))?
        } else {
            parse(path, &bytes, &read_options(&args.input.read))?.dataset
        };
        drop(bytes);
        let detection = detection_of(args, &ds)?;
        let log = build_log(&ds, &detection.mapping, &mut |_| false).map_err(|e| fail(path, e))?;
        return Ok((log, detection, 1));
    }
    let mut state: Option<(Detection, LogBuilder, ReadOptions)> = None;
    let (mut rows, mut pieces) = (0, 0);
    in_pieces(path, &args.stream, "reading orders from", "rows", |piece| {
        if state.is_none() {
            let (detection, options) = first_piece(args, piece)?;
            let builder = LogBuilder::new(&detection.mapping).map_err(|e| fail(path, e))?;
            state = Some((detection, builder, options));
        }
        let Some((_, builder, options)) = &mut state else {
            return Err(fail(path, "the file's first piece could not be read"));
        };
        let ds = read_piece(piece, options, path)?;
        builder
            .add(&ds, rows + 2, &mut |_| false)
            .map_err(|e| fail(path, e))?;
        rows += ds.n_rows;
        pieces += 1;
        Ok(rows)
    })?;
    let (detection, builder, _) = state.ok_or_else(|| fail(path, "the file has no rows"))?;
    let log = builder.finish().map_err(|e| fail(path, e))?;
    Ok((log, detection, pieces))
}

/// The layout recognised in (or applied to) the first piece of FILE, and the options
/// every piece is then read with: the mapped columns as text.
pub(super) fn first_piece(
    args: &OrdersArgs,
    piece: &[u8],
) -> Result<(Detection, ReadOptions), CliError> {
    let mut options = read_options(&args.input.read);
    let first = read_piece(piece, &mut options, &args.input.file)?;
    let detection = detection_of(args, &first)?;
    options
        .text_columns
        .extend(LogBuilder::text_columns(&detection.mapping));
    Ok((detection, options))
}

/// Whether the first 4 KiB of FILE look like CDNOW's headerless log.
fn starts_like_cdnow(path: &str) -> Result<bool, CliError> {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .map_err(|source| CliError::Io {
            path: path.to_string(),
            source,
        })?;
    Ok(cdnow::looks_like(&head))
}

/// The layout `--layout` names or the one recognised in `ds`, with `--customer` and the
/// other column options applied.
fn detection_of(args: &OrdersArgs, ds: &Dataset) -> Result<Detection, CliError> {
    let path = args.input.file.as_str();
    let mut detection = match Layout::from_key(&args.layout) {
        Some(layout) => Detection {
            layout,
            mapping: mapping_for(ds, layout).map_err(|e| fail(path, e))?,
            reason: format!("--layout {}", layout.key()),
        },
        None => detect(ds).ok_or_else(|| {
            fail(
                path,
                "not recognised as an order log (no customer, date and amount columns by \
                 name, or customer ids do not repeat); name them with --customer, --date, \
                 --amount",
            )
        })?,
    };
    apply_overrides(args, &mut detection);
    Ok(detection)
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
pub(super) fn held_out_baselines(derived: &Derived) -> Result<Vec<BaselineRun>, String> {
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
fn write(path: Option<&str>, ds: &Dataset) -> Result<(), CliError> {
    let Some(path) = path else { return Ok(()) };
    std::fs::write(path, to_csv(&Table::of_dataset(ds))).map_err(|source| CliError::Io {
        path: path.to_string(),
        source,
    })
}
