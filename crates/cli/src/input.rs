//! Reading FILE and choosing its target: the first steps every modelling command shares.

use std::time::Instant;

use churnscope_engine::dataset::Dataset;
use churnscope_engine::reading::ingest::{read_table, ReadInfo, ReadOptions};
use churnscope_engine::understanding::target::{detect_target, target_for, Target};

use crate::args::{ReadArgs, TargetArgs};
use crate::error::CliError;

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
