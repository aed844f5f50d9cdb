//! Reading FILE and choosing its target: the first steps every modelling command shares.

use std::time::Instant;

use churnscope_engine::dataset::{group_thousands, Dataset};
use churnscope_engine::reading::ingest::{read_table, ReadInfo, ReadOptions};
use churnscope_engine::understanding::target::{detect_target, target_for, Target};

use churnscope_engine::reading::chunks::RecordChunks;

use crate::args::{ReadArgs, StreamArgs, TargetArgs};
use crate::error::CliError;
use crate::progress::{FileProgress, ProgressMode};

/// A table read from a file, with what the reader found and how long it took.
pub struct Loaded {
    pub dataset: Dataset,
    pub info: ReadInfo,
    pub seconds: f64,
}

/// Reads the table at `path`. Decisions the reader took for the user (the sheet it opened, a
/// totals row left out) are said on stderr, so that stdout stays the result.
pub fn load(path: &str, options: &ReadOptions) -> Result<Loaded, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::Io {
        path: path.to_string(),
        source,
    })?;
    parse(path, &bytes, options)
}

/// [`load`] of the bytes of `path`, already read.
pub fn parse(path: &str, bytes: &[u8], options: &ReadOptions) -> Result<Loaded, CliError> {
    let start = Instant::now();
    let (dataset, info) = read_table(bytes, options).map_err(|source| CliError::Read {
        path: path.to_string(),
        source,
    })?;
    let seconds = start.elapsed().as_secs_f64();
    if let Some(reason) = &info.sheet_reason {
        eprintln!("churnscope: {path}: {reason}");
    }
    for row in &info.summary_rows {
        let hint = if row.kept {
            ""
        } else {
            " (--keep-summary-rows keeps it)"
        };
        eprintln!("churnscope: {path}: {}{hint}", row.message());
    }
    Ok(Loaded {
        dataset,
        info,
        seconds,
    })
}

/// `--encoding`, `--delimiter`, `--sheet` and `--keep-summary-rows`, when given.
pub fn read_options(args: &ReadArgs) -> ReadOptions {
    ReadOptions {
        encoding: args.encoding,
        delimiter: args.delimiter,
        sheet: args.sheet.clone(),
        keep_summary_rows: args.keep_summary_rows.unwrap_or(false),
        ..Default::default()
    }
}

/// The target `--target` and `--positive` name, or the one the engine recognises.
pub fn choose_target(ds: &Dataset, args: &TargetArgs) -> Result<Target, CliError> {
    let positive = args.positive.as_deref();
    let target = match &args.target {
        Some(column) => target_for(ds, column, positive)?,
        None => match detect_target(ds)? {
            Some(t) if positive.is_none() => t,
            Some(t) => target_for(ds, &t.column, positive)?,
            None => return Err(CliError::NoTarget),
        },
    };
    Ok(target)
}

/// Checks that every column `option` names is in the table.
pub fn check_columns<'a>(
    ds: &Dataset,
    option: &'static str,
    columns: impl IntoIterator<Item = &'a String>,
) -> Result<(), CliError> {
    match columns.into_iter().find(|c| ds.column(c).is_none()) {
        Some(column) => Err(CliError::NoColumn {
            option,
            column: column.clone(),
        }),
        None => Ok(()),
    }
}

/// `--ignore COL,COL` as column names, each trimmed of spaces.
pub fn ignored(columns: &[String]) -> Vec<String> {
    columns.iter().map(|c| c.trim().to_string()).collect()
}

/// Makes the columns `--include` names features: a text column a category, a numeric one a
/// number, whatever kind detection gave them.
pub fn include_columns(ds: &mut Dataset, columns: &[String]) -> Result<(), CliError> {
    use churnscope_engine::dataset::{ColumnData, ColumnKind};
    let names = ignored(columns);
    check_columns(ds, "include", &names)?;
    for c in ds.columns.iter_mut().filter(|c| names.contains(&c.name)) {
        c.kind = match c.data {
            ColumnData::Numeric(_) => ColumnKind::Numeric,
            ColumnData::Categorical { .. } => ColumnKind::Categorical,
        };
    }
    Ok(())
}

/// Whether `path` names a spreadsheet workbook (read whole, never cut into pieces or
/// sampled as text).
pub fn is_workbook(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// Whether FILE is delimited text that can be cut into pieces (not a workbook, not UTF-16).
pub fn streamable(path: &str) -> Result<bool, CliError> {
    use std::io::Read;
    if is_workbook(path) {
        return Ok(false);
    }
    let mut start = [0u8; 2];
    let got = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut start))
        .map_err(|source| CliError::Io {
            path: path.to_string(),
            source,
        })?;
    Ok(!churnscope_engine::reading::chunks::is_utf16(&start[..got]))
}

/// Reads the delimited FILE a piece of whole records at a time (`--chunk-kb`), each piece
/// with the header line, and hands each to `each`, which returns how many `unit`s are done
/// so far for the progress `--progress` shows (`doing` FILE).
pub fn in_pieces(
    path: &str,
    stream: &StreamArgs,
    doing: &str,
    unit: &'static str,
    mut each: impl FnMut(&[u8]) -> Result<usize, CliError>,
) -> Result<(), CliError> {
    let io = |source| CliError::Io {
        path: path.to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let total = file.metadata().map_or(0, |m| m.len());
    let mut progress = FileProgress::new(
        stream.progress.progress,
        &format!("{doing} {path}"),
        unit,
        total,
    );
    let mut chunks = RecordChunks::new(file, stream.chunk_kb.max(1) << 10).map_err(io)?;
    let header = chunks.header().len() as u64;
    let mut done = header;
    while let Some(piece) = chunks.next_chunk().map_err(io)? {
        done += piece.len() as u64 - header;
        let count = each(&piece)?;
        progress.update(done, count);
    }
    progress.finish();
    Ok(())
}

/// One piece of FILE read as `options` say; later pieces are then read with the first's
/// delimiter and encoding.
pub fn read_piece(
    bytes: &[u8],
    options: &mut ReadOptions,
    path: &str,
) -> Result<Dataset, CliError> {
    let (ds, info) = read_table(bytes, options).map_err(|source| CliError::Read {
        path: path.to_string(),
        source,
    })?;
    options.delimiter = info.delimiter.bytes().next();
    options.encoding = Some(info.encoding);
    Ok(ds)
}

/// A CSV written a piece at a time: the first piece whole, later ones without their first
/// line (the byte order mark and the header).
pub fn csv_body(bytes: &[u8], first: bool) -> &[u8] {
    if first {
        return bytes;
    }
    let end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| i + 1);
    &bytes[end..]
}

/// `--sample` (train, profile, drift): which rows of the file were read.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Sampled {
    pub rows: usize,
    pub of: usize,
    pub seed: u64,
}

/// Reads a seeded reservoir sample of `n` records of the delimited file `path`, in one pass
/// holding only those records, and parses it as the file.
pub fn load_sample(
    path: &str,
    options: &ReadOptions,
    n: usize,
    seed: u64,
    progress: ProgressMode,
) -> Result<(Loaded, Sampled), CliError> {
    if is_workbook(path) {
        return Err(CliError::Usage(
            "--sample reads delimited text; a workbook is read whole (save the sheet as CSV)"
                .into(),
        ));
    }
    let io = |source| CliError::Io {
        path: path.to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let total = file.metadata().map_or(0, |m| m.len());
    let counting = Counting {
        inner: file,
        done: 0,
        shown: 0,
        progress: FileProgress::new(progress, &format!("sampling {path}"), "sample rows", total),
        kept: n,
    };
    let mut reader = std::io::BufReader::new(counting);
    let sample =
        churnscope_engine::reading::chunks::reservoir_sample(&mut reader, n, seed, 8 << 20)
            .map_err(io)?;
    let mut counting = reader.into_inner();
    counting.progress.update(counting.done, sample.kept);
    counting.progress.finish();
    let loaded = parse(path, &sample.bytes, options)?;
    Ok((
        loaded,
        Sampled {
            rows: sample.kept,
            of: sample.records,
            seed,
        },
    ))
}

/// A reader that shows how much of the file it has read (every 8 MB).
struct Counting<R> {
    inner: R,
    done: u64,
    shown: u64,
    progress: FileProgress,
    /// The sample's size, shown as the count.
    kept: usize,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if self.done - self.shown >= 8 << 20 {
            self.shown = self.done;
            self.progress.update(self.done, self.kept);
        }
        Ok(n)
    }
}

/// Files above this size are sampled by `profile` and `drift` unless `--sample` says how
/// many rows (`CHURNSCOPE_AUTO_SAMPLE_BYTES` overrides it, for the tests).
const AUTO_SAMPLE_BYTES: u64 = 1 << 30;
/// The rows such a file is sampled to.
pub const AUTO_SAMPLE_ROWS: usize = 1_000_000;

/// FILE for `profile` and `drift`: `sample` rows of it when asked, a sample of
/// [`AUTO_SAMPLE_ROWS`] when it is delimited text over a gibibyte (said on standard
/// error), else the whole file.
pub fn load_some(
    path: &str,
    options: &ReadOptions,
    sample: Option<usize>,
    progress: ProgressMode,
) -> Result<(Loaded, Option<Sampled>), CliError> {
    let seed = 42;
    let limit = std::env::var("CHURNSCOPE_AUTO_SAMPLE_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(AUTO_SAMPLE_BYTES);
    let big = !is_workbook(path) && std::fs::metadata(path).is_ok_and(|m| m.len() > limit);
    let n = match (sample, big) {
        (Some(n), _) => n,
        (None, true) => {
            eprintln!(
                "churnscope: {path}: over {} MB, so read as a random sample of {} rows (seed {seed}); --sample N sets how many",
                limit / 1_000_000,
                group_thousands(AUTO_SAMPLE_ROWS)
            );
            AUTO_SAMPLE_ROWS
        }
        (None, false) => return Ok((load(path, options)?, None)),
    };
    let (loaded, sampled) = load_sample(path, options, n, seed, progress)?;
    Ok((loaded, Some(sampled)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workbook_extension_is_read_whole_and_refused_by_sample() {
        for path in ["a.xlsx", "b.XLSM", "c.xls", "d.xlsb", "e.ods"] {
            assert!(is_workbook(path), "{path}");
            let refused = load_sample(path, &ReadOptions::default(), 10, 42, ProgressMode::Off);
            assert!(matches!(refused, Err(CliError::Usage(_))), "{path}");
        }
        for path in ["a.csv", "b.tsv", "c.txt", "xlsx.csv"] {
            assert!(!is_workbook(path), "{path}");
        }
    }
}
