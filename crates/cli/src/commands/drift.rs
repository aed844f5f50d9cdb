//! `churnscope drift MODEL FILE`: the drift report of a new export against a saved model.

use churnscope_engine::monitoring::model_file::ModelFile;
use churnscope_engine::monitoring::report::{drift_report, DriftReport};
use churnscope_engine::monitoring::scoring::{match_columns, ColumnMatch};

use crate::args::DriftArgs;
use crate::commands::score::open_model;
use crate::error::CliError;
use crate::input::{load_some, read_options, Sampled};

/// The report and what it was made from.
pub struct Drift {
    /// With `--sample` or a file over 1 GiB: the rows compared, of how many.
    pub sampled: Option<Sampled>,
    pub model: ModelFile,
    pub columns: ColumnMatch,
    pub report: DriftReport,
}

/// Reads MODEL and FILE and compares them.
pub fn run(args: &DriftArgs) -> Result<Drift, CliError> {
    let model = open_model(&args.model)?;
    let path = &args.input.file;
    let user = read_options(&args.input.read);
    let options = churnscope_engine::reading::ingest::ReadOptions {
        encoding: user.encoding,
        delimiter: user.delimiter,
        sheet: user.sheet,
        keep_summary_rows: user.keep_summary_rows,
        ..model.pipeline.read_options()
    };
    let (loaded, sampled) = load_some(path, &options, args.sample, args.progress.progress)?;
    let mut ds = loaded.dataset;
    let columns = match_columns(&model, &mut ds).map_err(|source| CliError::Columns {
        path: path.to_string(),
        source,
    })?;
    let report = drift_report(&model, &ds).map_err(|source| CliError::Evaluate {
        path: path.to_string(),
        source,
    })?;
    Ok(Drift {
        sampled,
        model,
        columns,
        report,
    })
}
