//! `churnscope profile`: what is in the file and which column looks like the target.

use churnscope_engine::dataset::ColumnSummary;
use churnscope_engine::reading::ingest::ReadInfo;
use churnscope_engine::understanding::checks::{check, DataWarning};
use churnscope_engine::understanding::profile::{profile_column, ColumnProfile};
use churnscope_engine::understanding::target::{detect_target, Target, TargetError};

use crate::args::{Format, ProfileArgs};
use crate::error::CliError;
use crate::input::{load_some, read_options, Sampled};

/// A file's profile.
pub struct Profile {
    /// With `--sample` or a file over 1 GiB: the rows read, of how many.
    pub sampled: Option<Sampled>,
    pub path: String,
    pub rows: usize,
    pub info: ReadInfo,
    pub parse_seconds: f64,
    /// Each column's kind, missing and distinct counts.
    pub summary: Vec<ColumnSummary>,
    /// Each column's full profile (statistics, bars); computed for the JSON output only.
    pub columns: Vec<ColumnProfile>,
    /// The proposed target, none, or why no column can be one.
    pub target: Result<Option<Target>, TargetError>,
    pub warnings: Vec<DataWarning>,
}

/// Reads FILE and profiles it.
pub fn run(args: &ProfileArgs) -> Result<Profile, CliError> {
    let path = &args.input.file;
    let (loaded, sampled) = load_some(
        path,
        &read_options(&args.input.read),
        args.sample,
        args.progress.progress,
    )?;
    let ds = loaded.dataset;
    let target = detect_target(&ds);
    let proposed = target.as_ref().ok().and_then(|t| t.as_ref());
    let columns = match args.input.format {
        Format::Json => ds
            .columns
            .iter()
            .map(|c| profile_column(&ds, c, proposed))
            .collect(),
        Format::Text => Vec::new(),
    };
    Ok(Profile {
        sampled,
        path: path.clone(),
        summary: ds.summary(),
        warnings: check(&ds, proposed),
        columns,
        target,
        info: loaded.info,
        parse_seconds: loaded.seconds,
        rows: ds.n_rows,
    })
}
