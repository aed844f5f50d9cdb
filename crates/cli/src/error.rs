//! The command line's one error type: what went wrong, worded for the person at the terminal.
//!
//! The engine's typed errors describe the problem; the variants here add the file or option it
//! concerns and, where it helps, what to type instead.

use churnscope_charts::ChartError;
use churnscope_engine::acting::actions::ActionError;
use churnscope_engine::acting::export::ExportError;
use churnscope_engine::modelling::models::ModelError;
use churnscope_engine::modelling::pipeline::PipelineError;
use churnscope_engine::modelling::preprocessing::PrepError;
use churnscope_engine::reading::ingest::IngestError;
use churnscope_engine::understanding::target::TargetError;

/// Why a command failed. Printed as `churnscope: <message>` on standard error, exit code 1
/// (as is a [`ValueError`], which clap reports before a command runs).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// The fitted pipeline (`--out`) or model file (`--save`) could not be written.
    #[error("cannot write the model to {path}: {source}")]
    SaveModel {
        path: String,
        source: std::io::Error,
    },
    /// FILE (or the `--test` file) is not a table the engine can read.
    #[error("{path}: {source}")]
    Read { path: String, source: IngestError },
    /// The model could not be evaluated on the `--test` file.
    #[error("{path}: {source}")]
    Evaluate { path: String, source: PipelineError },
    /// The `--playbook` file is not a playbook.
    #[error("{path}: {source}")]
    Playbook { path: String, source: ActionError },
    /// The action list could not be written as a workbook.
    #[error("{path}: {source}; give --out a .csv path instead")]
    Export { path: String, source: ExportError },
    /// FILE is not an order log the engine can turn into customers.
    #[error("{path}: {message}")]
    Orders { path: String, message: String },
    /// No column looks like the churn column and none was named.
    #[error("{0}")]
    Usage(String),
    #[error("no churn column recognised: pass --target COL")]
    NoTarget,
    /// An option names a column the file does not have.
    #[error("--{option}: there is no column '{column}'")]
    NoColumn {
        option: &'static str,
        column: String,
    },
    /// `--split-date` and `--test` were both given.
    #[error("--split-date and --test are two ways to choose the test rows; use one")]
    SplitDateAndTest,
    /// An option that only some models have was given for another model.
    #[error("--{option} goes with --model {models}")]
    OnlyForModels {
        option: &'static str,
        /// The models that take it, as the message words them ("logistic or gbdt").
        models: &'static str,
    },
    /// `train`'s `--scoring` or `--search` without `--cv`.
    #[error("--scoring and --search go with --cv")]
    TuningWithoutCv,
    /// `compare`'s `--search` without `--cv`.
    #[error("--search goes with --cv")]
    SearchWithoutCv,
    /// The training plan produced no model.
    #[error("no model was trained")]
    NoModelTrained,
    /// MODEL is not a model file this churnscope can use.
    #[error("{path}: {source}")]
    ModelFile {
        path: String,
        source: churnscope_engine::monitoring::model_file::ModelFileError,
    },
    /// FILE's columns do not fit the model.
    #[error("{path}: {source}")]
    Columns {
        path: String,
        source: churnscope_engine::monitoring::scoring::MatchError,
    },
    #[error("{path}: {source}")]
    Sql {
        path: String,
        source: churnscope_engine::acting::sql::SqlError,
    },
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Prep(#[from] PrepError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Action(#[from] ActionError),
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// An option's value that could not be read: `--model: unknown model 'tree' (use ...)`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("--{option}: {problem}")]
pub struct ValueError {
    /// The option's long name, without the dashes.
    pub option: String,
    pub problem: ValueProblem,
}

/// What is wrong with an option's value; [`ValueError`] adds the option's name.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ValueProblem {
    #[error("unknown model '{value}' (use {choices})")]
    UnknownModel { value: String, choices: String },
    #[error("unknown encoding '{0}' (use UTF-8, UTF-16LE, UTF-16BE, GB18030 or Windows-1252)")]
    UnknownEncoding(String),
    /// A value outside a fixed set; `expected` lists what the option takes.
    #[error("'{value}' (use {expected})")]
    NotOneOf { value: String, expected: String },
    #[error("'{0}' is not a valid number")]
    NotANumber(String),
    /// A number inside a compound value (`elasticnet:RATIO`, `cost:FP:FN`).
    #[error("'{0}' is not a number")]
    PartNotANumber(String),
    #[error("'{0}' is not a number of folds (2 or more)")]
    TooFewFolds(String),
    #[error("'{0}' is not a depth (1 or more)")]
    ZeroDepth(String),
    #[error("{0} is not between 0 and 1")]
    NotAProbability(String),
    #[error("'{0}' is not a single character")]
    NotOneCharacter(String),
    #[error("'{0}' is not NEG:POS numbers")]
    NotWeights(String),
    /// The engine refused the value (class weights that are not positive, say).
    #[error(transparent)]
    Model(#[from] ModelError),
}
