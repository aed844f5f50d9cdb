//! `churnscope orders` on a log bigger than [`part_bytes`]: split by customer into parts
//! on disk ([`churnscope_engine::orders::parts`]), then each part built and derived on its
//! own, so memory follows one part, not the log. Three passes: the file once (split), the
//! parts twice (the log's first and last day, then the customers). The tables are written
//! part by part; the baselines are fitted and judged on the customers of one part (a
//! random share of them, the parts being a hash of the id) and score every current
//! customer.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use churnscope_engine::acting::export::{to_csv, Table};
use churnscope_engine::dataset::Dataset;
use churnscope_engine::orders::baselines::Baselines;
use churnscope_engine::orders::features::{derive_part, no_customers, DeriveSummary, Window};
use churnscope_engine::orders::layout::{Detection, OrderMapping};
use churnscope_engine::orders::log::{LogBuilder, LogError, LogReport, OrderLog, PieceDates};
use churnscope_engine::orders::parts::{read_part, LogSplitter, PartError};
use churnscope_engine::reading::ingest::ReadOptions;

use super::orders::{fail, first_piece, held_out_baselines, Orders};
use crate::args::OrdersArgs;
use crate::error::CliError;
use crate::input::{in_pieces, read_piece};
use crate::progress::FileProgress;

/// Logs above this many bytes are split (64 MiB of records a part);
/// `CHURNSCOPE_PART_BYTES` overrides it, for the tests.
pub fn part_bytes() -> u64 {
    std::env::var("CHURNSCOPE_PART_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64 << 20)
}

/// A folder of parts, removed when dropped (also when a step fails).
struct Parts {
    dir: PathBuf,
    count: usize,
}

impl Parts {
    fn new(count: usize) -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("churnscope-orders-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Parts { dir, count })
    }

    fn path(&self, k: usize) -> PathBuf {
        self.dir.join(format!("part-{k}.bin"))
    }

    /// The progress of one pass over the parts (`--progress`), counted in their bytes.
    fn progress(&self, args: &OrdersArgs, doing: &str) -> PartProgress {
        let sizes: Vec<u64> = (0..self.count)
            .map(|k| std::fs::metadata(self.path(k)).map_or(0, |m| m.len()))
            .collect();
        let total = sizes.iter().sum();
        PartProgress {
            bar: FileProgress::new(args.stream.progress.progress, doing, "parts", total),
            sizes,
            done: 0,
        }
    }
}

/// How far a pass over the parts has come.
struct PartProgress {
    bar: FileProgress,
    sizes: Vec<u64>,
    done: u64,
}

impl PartProgress {
    /// Shows the parts before part `k` done.
    fn part(&mut self, k: usize) {
        if k > 0 {
            self.done += self.sizes[k - 1];
            self.bar.update(self.done, k);
        }
    }

    fn done(&mut self) {
        self.bar.update(self.sizes.iter().sum(), self.sizes.len());
        self.bar.finish();
    }
}

impl Drop for Parts {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What the split found about the whole log.
struct Whole {
    detection: Detection,
    dates: PieceDates,
    pieces: usize,
}

/// Runs `orders` on FILE (of `size` bytes) in parts.
pub fn run(args: &OrdersArgs, window: &Window, size: u64) -> Result<Orders, CliError> {
    let path = args.input.file.as_str();
    let io = |source| CliError::Io {
        path: std::env::temp_dir().display().to_string(),
        source,
    };
    let parts = Parts::new(size.div_ceil(part_bytes()).max(1) as usize).map_err(io)?;
    let start = Instant::now();
    let whole = split(args, &parts)?;
    let mapping = &whole.detection.mapping;
    let day_first = whole.dates.day_first_seen;
    // The whole log's report, first and last day.
    let mut report: Option<LogReport> = None;
    let mut progress = parts.progress(args, &format!("reading the parts of {path}"));
    for k in 0..parts.count {
        progress.part(k);
        let Some(log) = build_part(&parts, k, mapping, whole.dates, day_first, path)? else {
            continue;
        };
        report = Some(match report {
            None => log.report,
            Some(r) => merge_reports(r, log.report),
        });
    }
    progress.done();
    let report = report.ok_or_else(|| fail(path, LogError::NoOrders))?;
    let read_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let fitted = fit_baselines(args, &parts, &whole, &report, window)?;
    let baseline_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut out = Outputs::new(args)?;
    let mut summary: Option<DeriveSummary> = None;
    let mut progress = parts.progress(args, &format!("deriving the customers of {path}"));
    for k in 0..parts.count {
        progress.part(k);
        let Some(log) = build_part(&parts, k, mapping, whole.dates, day_first, path)? else {
            continue;
        };
        let mut derived = derive_part(&as_whole(log, &report), window, &mut |_| false)
            .map_err(|e| fail(path, e))?;
        if let Some((Ok(_), Ok(b), _)) = &fitted {
            b.annotate(&mut derived.current, window.horizon_days as f64)
                .map_err(|e| fail(path, e))?;
        }
        out.write(&derived.labelled, &derived.current)?;
        summary = Some(match summary {
            None => derived.summary,
            Some(s) => merge_summaries(s, &derived.summary),
        });
    }
    progress.done();
    out.finish()?;
    let summary = summary.ok_or_else(|| fail(path, LogError::NoOrders))?;
    if summary.labelled == 0 {
        return Err(fail(path, no_customers(&summary)));
    }
    let (baselines, baseline_customers) = match fitted {
        Some((runs, _, n)) => (Some(runs), Some(n)),
        None => (None, None),
    };
    Ok(Orders {
        path: path.to_string(),
        detection: whole.detection,
        log: report,
        summary,
        baselines,
        parts: parts.count,
        baseline_customers,
        read_seconds,
        derive_seconds: start.elapsed().as_secs_f64(),
        baseline_seconds,
        pieces: whole.pieces,
        peak_memory: crate::progress::peak_memory(),
    })
}

/// The first pass: FILE read a piece at a time and its rows written to the parts.
fn split(args: &OrdersArgs, parts: &Parts) -> Result<Whole, CliError> {
    let path = args.input.file.as_str();
    let part_error = |e: PartError| fail(path, e);
    let mut files = Vec::with_capacity(parts.count);
    for k in 0..parts.count {
        let file = File::create(parts.path(k)).map_err(|source| CliError::Io {
            path: parts.path(k).display().to_string(),
            source,
        })?;
        files.push(BufWriter::with_capacity(1 << 16, file));
    }
    let mut files = Some(files);
    let mut state: Option<(Detection, LogSplitter<BufWriter<File>>, ReadOptions)> = None;
    let (mut rows, mut pieces) = (0, 0);
    in_pieces(path, &args.stream, "splitting orders of", "rows", |piece| {
        if let Some(files) = files.take() {
            let (detection, options) = first_piece(args, piece)?;
            let splitter = LogSplitter::new(&detection.mapping, files).map_err(part_error)?;
            state = Some((detection, splitter, options));
        }
        let Some((_, splitter, options)) = &mut state else {
            return Err(fail(path, "the file's first piece could not be read"));
        };
        let ds = read_piece(piece, options, path)?;
        splitter.add(&ds, rows + 2).map_err(part_error)?;
        rows += ds.n_rows;
        pieces += 1;
        Ok(rows)
    })?;
    let (detection, splitter, _) = state.ok_or_else(|| fail(path, "the file has no rows"))?;
    let (_, dates) = splitter.finish().map_err(part_error)?;
    Ok(Whole {
        detection,
        dates,
        pieces,
    })
}

/// Part `k`'s log, `None` when it has no orders.
fn build_part(
    parts: &Parts,
    k: usize,
    mapping: &OrderMapping,
    dates: PieceDates,
    day_first: bool,
    path: &str,
) -> Result<Option<OrderLog>, CliError> {
    let file = File::open(parts.path(k)).map_err(|source| CliError::Io {
        path: parts.path(k).display().to_string(),
        source,
    })?;
    let mut builder = LogBuilder::new(mapping).map_err(|e| fail(path, e))?;
    read_part(BufReader::with_capacity(1 << 16, file), &mut builder).map_err(|e| fail(path, e))?;
    builder.add_dates(dates);
    match builder.finish_as(day_first) {
        Ok(log) => Ok(Some(log)),
        Err(LogError::NoOrders) => Ok(None),
        Err(e) => Err(fail(path, e)),
    }
}

/// A part's log with the whole log's first and last day and optional facts, so that
/// every part has the same cutoff and columns.
fn as_whole(mut log: OrderLog, whole: &LogReport) -> OrderLog {
    log.first_day =
        churnscope_engine::orders::features::parse_day(&whole.first_date).unwrap_or(log.first_day);
    log.last_day =
        churnscope_engine::orders::features::parse_day(&whole.last_date).unwrap_or(log.last_day);
    log.report.has_discount = whole.has_discount;
    log.report.has_products = whole.has_products;
    log.report.has_cancellations = whole.has_cancellations;
    log
}

fn merge_reports(a: LogReport, b: LogReport) -> LogReport {
    let first_bad_date = match (a.first_bad_date, b.first_bad_date) {
        (Some(x), Some(y)) => Some(if x.0 <= y.0 { x } else { y }),
        (x, y) => x.or(y),
    };
    LogReport {
        rows: a.rows + b.rows,
        orders: a.orders + b.orders,
        cancelled_orders: a.cancelled_orders + b.cancelled_orders,
        customers: a.customers + b.customers,
        rows_without_customer: a.rows_without_customer + b.rows_without_customer,
        rows_without_date: a.rows_without_date + b.rows_without_date,
        first_bad_date,
        // YYYY-MM-DD compares as text.
        first_date: a.first_date.min(b.first_date),
        last_date: a.last_date.max(b.last_date),
        has_discount: a.has_discount || b.has_discount,
        has_products: a.has_products || b.has_products,
        has_cancellations: a.has_cancellations || b.has_cancellations,
    }
}

fn merge_summaries(mut a: DeriveSummary, b: &DeriveSummary) -> DeriveSummary {
    a.labelled += b.labelled;
    a.churned += b.churned;
    a.too_new += b.too_new;
    a.after_cutoff += b.after_cutoff;
    a.outside_window += b.outside_window;
    a.one_time_buyers += b.one_time_buyers;
    a.current += b.current;
    a
}

/// Labelled customers the baselines are fitted on, at least (all of them in a smaller
/// log): enough for stable BG/NBD and Pareto/NBD parameters.
const BASELINE_CUSTOMERS: usize = 20_000;

/// The baselines judged on held-out customers of the first parts (as many as hold
/// [`BASELINE_CUSTOMERS`] labelled customers), fitted on all of theirs for the current
/// customers, and how many customers those parts labelled; `None` with `--no-baselines`.
type Fitted = (
    Result<Vec<churnscope_engine::orders::baselines::BaselineRun>, String>,
    Result<Baselines, String>,
    usize,
);

fn fit_baselines(
    args: &OrdersArgs,
    parts: &Parts,
    whole: &Whole,
    report: &LogReport,
    window: &Window,
) -> Result<Option<Fitted>, CliError> {
    if args.no_baselines {
        return Ok(None);
    }
    let path = args.input.file.as_str();
    let day_first = whole.dates.day_first_seen;
    let mapping = &whole.detection.mapping;
    // How many of the first parts hold enough customers.
    let (mut labelled, mut used) = (0, 0);
    while used < parts.count && labelled < BASELINE_CUSTOMERS {
        if let Some(log) = build_part(parts, used, mapping, whole.dates, day_first, path)? {
            let derived = derive_part(&as_whole(log, report), window, &mut |_| false)
                .map_err(|e| fail(path, e))?;
            labelled += derived.summary.labelled;
        }
        used += 1;
    }
    if labelled == 0 {
        return Ok(None);
    }
    let mut builder = LogBuilder::new(mapping).map_err(|e| fail(path, e))?;
    for k in 0..used {
        let file = File::open(parts.path(k)).map_err(|source| CliError::Io {
            path: parts.path(k).display().to_string(),
            source,
        })?;
        read_part(BufReader::with_capacity(1 << 16, file), &mut builder)
            .map_err(|e| fail(path, e))?;
    }
    builder.add_dates(whole.dates);
    let log = builder.finish_as(day_first).map_err(|e| fail(path, e))?;
    let derived =
        derive_part(&as_whole(log, report), window, &mut |_| false).map_err(|e| fail(path, e))?;
    let runs = held_out_baselines(&derived);
    let fitted = Baselines::fit(&derived.labelled, &|| false);
    Ok(Some((runs, fitted, derived.summary.labelled)))
}

/// `--out` and `--current`, written a part at a time (the header and byte order mark
/// once).
struct Outputs {
    /// (path, writer, holds the labelled table).
    files: Vec<(String, BufWriter<File>, bool)>,
    first: bool,
}

impl Outputs {
    fn new(args: &OrdersArgs) -> Result<Self, CliError> {
        let mut files = Vec::new();
        for (path, labelled) in [(&args.out, true), (&args.current, false)] {
            let Some(path) = path else { continue };
            let file = File::create(path).map_err(|source| CliError::Io {
                path: path.clone(),
                source,
            })?;
            files.push((path.clone(), BufWriter::new(file), labelled));
        }
        Ok(Outputs { files, first: true })
    }

    fn write(&mut self, labelled: &Dataset, current: &Dataset) -> Result<(), CliError> {
        let first = std::mem::replace(&mut self.first, false);
        for (path, w, is_labelled) in &mut self.files {
            let ds = if *is_labelled { labelled } else { current };
            let bytes = to_csv(&Table::of_dataset(ds));
            w.write_all(crate::input::csv_body(&bytes, first))
                .map_err(|source| CliError::Io {
                    path: path.clone(),
                    source,
                })?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), CliError> {
        for (path, w, _) in &mut self.files {
            w.flush().map_err(|source| CliError::Io {
                path: path.clone(),
                source,
            })?;
        }
        Ok(())
    }
}
