//! Long steps as jobs: what the page asks a background worker to do and what the worker
//! reports back, as plain serde values.
//!
//! A job travels as JSON (the request and every event) plus, for a finished read, one typed
//! buffer per column: numbers as `f64`, categories as `u32` level codes. The buffers are
//! handed over without copying (transferable `ArrayBuffer`s in the browser), so a
//! million-row table crosses from the worker to the page as it is stored, never as text.
//! [`split_dataset`] and [`join_dataset`] are the two ends of that trip.

use serde::{Deserialize, Serialize};

pub use churnscope_engine::progress::JobProgress;

use churnscope_engine::acting::actions::{score_customers, ScoredCustomer};
use churnscope_engine::dataset::{
    group_thousands, Column, ColumnData, ColumnKind, ColumnSummary, Dataset, MISSING_CODE,
};
use churnscope_engine::evaluating::evaluation::{
    grow_plan_trees, model_label, ModelRun, TrainPlan,
};
use churnscope_engine::evaluating::explain_parts::{
    ExplainPart, ExplainSample, ExplainTable, ExplainedPart,
};
use churnscope_engine::modelling::models::{GrownTree, Progress};
use churnscope_engine::modelling::pipeline::{
    FittedPipeline, ModelKind, PipelineError, TrainConfig,
};
use churnscope_engine::modelling::training::split_rows;
use churnscope_engine::modelling::tuning::CrossValidation;
use churnscope_engine::orders::baselines::BaselineRun;
use churnscope_engine::orders::layout::{detect, Detection};
use churnscope_engine::reading::decode::TextEncoding;
use churnscope_engine::reading::ingest::{ReadInfo, ReadOptions};
use churnscope_engine::understanding::checks::{check, DataWarning};
use churnscope_engine::understanding::target::{binary_columns, detect_target, target_for, Target};

/// "Read this file": the file itself travels beside the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadRequest {
    /// The file's name, for messages.
    pub name: String,
    pub encoding: Option<TextEncoding>,
    pub delimiter: Option<u8>,
    pub sheet: Option<String>,
    pub text_columns: Vec<String>,
    /// Keep a trailing "Total" row as a customer.
    #[serde(default)]
    pub keep_summary_rows: bool,
    /// Also fit a model on every labelled row and time it (the browser fit benchmark).
    #[serde(default)]
    pub fit: Option<FitRequest>,
}

/// "Fit this model on the whole table": what the browser benchmark times, next to the
/// same fit by the native CLI and by scikit-learn and LightGBM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitRequest {
    pub target: String,
    pub positive: String,
    pub model: ModelKind,
}

/// How long a [`FitRequest`] took, by the worker's clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    pub model: ModelKind,
    pub rows: usize,
    pub prep_seconds: f64,
    pub model_seconds: f64,
    /// ROC AUC of the fitted model on the rows it was fitted on (a check that the fit is
    /// the same as the native one).
    pub train_roc_auc: f64,
}

impl FitRequest {
    /// Fits on every labelled row of `dataset`, timing the two steps by `clock` (seconds).
    pub fn run(
        &self,
        dataset: &Dataset,
        clock: &(dyn Fn() -> f64 + Sync),
    ) -> Result<FitReport, PipelineError> {
        let target = target_for(dataset, &self.target, Some(&self.positive))?;
        let mut config = TrainConfig::new(target);
        config.model = self.model;
        let labels = config.target.labels(dataset)?;
        let rows: Vec<usize> = (0..dataset.n_rows)
            .filter(|&r| labels[r].is_some())
            .collect();
        let (pipeline, times) =
            FittedPipeline::fit_timed(dataset, &rows, &config, |_| true, clock)?;
        let report = pipeline.evaluate(dataset)?;
        Ok(FitReport {
            model: self.model,
            rows: rows.len(),
            prep_seconds: times.prep_seconds,
            model_seconds: times.model_seconds,
            train_roc_auc: report.roc_auc,
        })
    }
}

impl ReadRequest {
    pub fn new(name: &str, options: &ReadOptions) -> Self {
        ReadRequest {
            name: name.to_string(),
            encoding: options.encoding,
            delimiter: options.delimiter,
            sheet: options.sheet.clone(),
            text_columns: options.text_columns.clone(),
            keep_summary_rows: options.keep_summary_rows,
            fit: None,
        }
    }

    pub fn options(&self) -> ReadOptions {
        ReadOptions {
            text_columns: self.text_columns.clone(),
            encoding: self.encoding,
            delimiter: self.delimiter,
            sheet: self.sheet.clone(),
            keep_summary_rows: self.keep_summary_rows,
        }
    }
}

/// What a worker says, in order: `Ready` once it can take work, then for a job any number
/// of `Progress` and one `Read` or `Failed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WorkerEvent {
    Ready,
    Progress(JobProgress),
    Read(Box<ReadResult>),
    /// One model of a training plan is done (more may follow).
    ModelTrained(Box<ModelRun>),
    /// Every model of the plan is done.
    Finished,
    /// Every customer of a scoring job, scored with their reasons.
    Scored {
        customers: Vec<ScoredCustomer>,
    },
    /// A model file assembled ([`crate::monitor::ModelRequest`]).
    Model(Box<churnscope_engine::monitoring::model_file::ModelFile>),
    /// A new export checked against a saved model.
    Checked(Box<crate::monitor::MonitorResult>),
    /// A saved model retrained on a new export.
    Retrained(Box<crate::monitor::RetrainResult>),
    /// A worker's share of one model's cross-validation ([`CvRequest`]): each task's
    /// number and scores.
    CvScores {
        scores: Vec<(usize, Vec<f64>)>,
    },
    /// A worker's share of one forest's trees ([`ForestRequest`]): how many, the trees
    /// themselves packed in the message's two buffers ([`GrownTree::pack`]).
    ForestTrees {
        trees: usize,
    },
    /// A worker's part of explaining one model ([`ExplainRequest`]).
    Explained(Box<ExplainedPart>),
    /// An order log turned into customers (their values in the message's buffers).
    Derived(Box<crate::orders::OrdersResult>),
    /// The BG/NBD and Pareto/NBD baselines on the test customers of a training run on
    /// customers derived from orders (sent before `Finished`), or why they could not be
    /// fitted.
    Baselines(Result<Vec<BaselineRun>, ErrorMessage>),
    Failed {
        message: String,
    },
}

/// "Train on this table": the table's values travel beside it, one buffer per column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainRequest {
    pub plan: TrainPlan,
    pub header: DatasetHeader,
    /// For customers derived from orders: the horizon in days, and the baselines are
    /// fitted and judged on the run's test customers too.
    #[serde(default)]
    pub baseline_horizon_days: Option<f64>,
    /// When this plan is one background worker's share of a bigger one: its models'
    /// positions (1-based) in the whole plan and the whole plan's number of models, so the
    /// progress names them as the user chose them.
    #[serde(default)]
    pub numbering: Option<(Vec<usize>, usize)>,
}

/// "Run these tasks of the cross-validation of `model` of this plan" (a background worker's
/// share, [`CrossValidation`]): the table's values travel beside it, one buffer per column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvRequest {
    pub plan: TrainPlan,
    pub model: ModelKind,
    pub header: DatasetHeader,
    pub tasks: Vec<usize>,
}

impl CvRequest {
    /// Runs the tasks on the plan's training rows, reporting progress through `progress`
    /// (returning `false` cancels): each task's number and scores.
    pub fn run(
        &self,
        dataset: &Dataset,
        mut progress: impl FnMut(JobProgress) -> bool,
    ) -> Result<Vec<(usize, Vec<f64>)>, PipelineError> {
        let split = split_rows(dataset, &self.plan.config)?;
        let config = self.plan.config_for(self.model);
        let Some(tuning) = &config.tuning else {
            return Ok(Vec::new());
        };
        let cv = CrossValidation::new(dataset, &split.train, &config, tuning)?;
        let n = self.tasks.len();
        let label = model_label(self.model);
        let mut out = Vec::with_capacity(n);
        for (done, &t) in self.tasks.iter().enumerate() {
            let stage = format!("{label}: cross-validation, fit {} of {n}", done + 1);
            let mut report = |p: Progress| {
                let within = if p.max_iterations > 0 {
                    p.iteration as f64 / p.max_iterations as f64
                } else {
                    0.0
                };
                progress(JobProgress::new(
                    stage.clone(),
                    (done as f64 + within.min(1.0)) / n as f64,
                ))
            };
            out.push((t, cv.run(t, &mut report)?));
        }
        Ok(out)
    }
}

/// The tasks of a cross-validation of `tasks` tasks shared out over `workers` workers:
/// every `workers`th task to each, so each gets some of every setting.
pub fn cv_shares(tasks: usize, workers: usize) -> Vec<Vec<usize>> {
    let workers = workers.clamp(1, tasks.max(1));
    (0..workers)
        .map(|w| (w..tasks).step_by(workers).collect())
        .collect()
}

/// "Grow these trees of the forest of this plan" (a background worker's share of one
/// forest's trees, [`grow_plan_trees`]): the table's values travel beside it, one buffer
/// per column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForestRequest {
    pub plan: TrainPlan,
    pub header: DatasetHeader,
    /// The trees' numbers in the forest.
    pub trees: std::ops::Range<usize>,
}

impl ForestRequest {
    /// Grows the trees on the plan's training rows, reporting progress through `progress`
    /// (returning `false` cancels).
    pub fn run(
        &self,
        dataset: &Dataset,
        mut progress: impl FnMut(JobProgress) -> bool,
    ) -> Result<Vec<GrownTree>, PipelineError> {
        let (first, last) = (self.trees.start + 1, self.trees.end);
        let total = self.plan.config_for(ModelKind::Forest).forest.trees();
        let label = model_label(ModelKind::Forest);
        grow_plan_trees(dataset, &self.plan, self.trees.clone(), |p: Progress| {
            let stage = format!(
                "{label}: trees {first} to {last} of {total}, {} grown",
                p.iteration
            );
            let share = p.iteration as f64 / p.max_iterations.max(1) as f64;
            progress(JobProgress::new(stage, share))
        })
    }
}

/// A forest's `n_trees` trees shared out over `workers` workers: consecutive ranges of
/// sizes differing by at most one, none empty.
pub fn tree_shares(n_trees: usize, workers: usize) -> Vec<std::ops::Range<usize>> {
    crate::pool::row_ranges_of(n_trees, workers, 1)
}

/// "Do this part of explaining one model" (a background worker's share of it,
/// [`ExplainTable`]): the rows the explanation uses travel beside it, one buffer per
/// column, and the fitted pipeline in the message's `pipeline` field (JSON written once
/// for every part).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExplainRequest {
    pub model: ModelKind,
    pub header: DatasetHeader,
    pub sample: ExplainSample,
    pub part: ExplainPart,
}

impl ExplainRequest {
    /// Does the part with `pipeline` on `table` (the rows of [`ExplainTable::of`]),
    /// reporting progress through `progress` (returning `false` cancels).
    pub fn run(
        &self,
        pipeline: &FittedPipeline,
        table: Dataset,
        mut progress: impl FnMut(JobProgress) -> bool,
    ) -> Result<ExplainedPart, PipelineError> {
        pipeline.check()?;
        let table = ExplainTable {
            table,
            sample: self.sample.clone(),
        };
        let label = model_label(self.model);
        table
            .run(pipeline, &self.part, |done, total| {
                progress(JobProgress::new(
                    format!("{label}: explaining, {done} of {total}"),
                    if total == 0 {
                        1.0
                    } else {
                        done as f64 / total as f64
                    },
                ))
            })
            .map_err(churnscope_engine::evaluating::evaluation::explain_error)
    }
}

/// `pipeline` apart from a forest's trees, and the trees as two arrays to travel beside
/// the message rather than inside its JSON (none for the other models;
/// [`FittedPipeline::forest_apart`], [`GrownTree::pack_trees`]). [`unpack_forest`] puts
/// them back.
pub fn pack_forest(pipeline: &FittedPipeline) -> (FittedPipeline, Vec<ColumnValues>) {
    let (bare, trees) = pipeline.forest_apart();
    let packed = trees.map_or_else(Vec::new, |trees| {
        let (ints, floats) = GrownTree::pack_trees(trees);
        vec![ColumnValues::Codes(ints), ColumnValues::Numbers(floats)]
    });
    (bare, packed)
}

/// Puts the trees [`pack_forest`] packed back into `pipeline`; nothing to do when `values`
/// is empty (a model other than a forest).
pub fn unpack_forest(
    pipeline: &mut FittedPipeline,
    values: Vec<ColumnValues>,
) -> Result<(), String> {
    match &values[..] {
        [] => Ok(()),
        [ColumnValues::Codes(ints), ColumnValues::Numbers(floats)] => {
            let trees = GrownTree::unpack(ints, floats)?;
            pipeline.put_forest_trees(trees.into_iter().map(|g| g.tree).collect())
        }
        _ => Err("the forest's trees came in an unknown form".to_string()),
    }
}

/// "Score every customer of this table with this pipeline, with their reasons" (the action
/// list): the table's values travel beside it, one buffer per column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRequest {
    pub pipeline: FittedPipeline,
    pub header: DatasetHeader,
    /// The table's first row is this row of the page's table (a background worker's slice,
    /// see [`dataset_slice`]); the scored customers carry the page's row numbers.
    #[serde(default)]
    pub first_row: usize,
}

impl ScoreRequest {
    /// Scores every row of `dataset`, reporting progress as "Scoring customers" through
    /// `progress` (returning `false` cancels).
    pub fn run(
        &self,
        dataset: &Dataset,
        mut progress: impl FnMut(JobProgress) -> bool,
    ) -> Result<Vec<ScoredCustomer>, PipelineError> {
        self.pipeline.check()?;
        let rows: Vec<usize> = (0..dataset.n_rows).collect();
        let mut scored = score_customers(&self.pipeline, dataset, &rows, |done, total| {
            progress(JobProgress::new(
                format!(
                    "Scoring customers and finding their reasons: {} of {}",
                    group_thousands(done),
                    group_thousands(total)
                ),
                if total == 0 {
                    1.0
                } else {
                    done as f64 / total as f64
                },
            ))
        })?;
        for customer in &mut scored {
            customer.row += self.first_row;
        }
        Ok(scored)
    }
}

/// A finished read: the table's shape (the values travel as buffers) and what the page
/// would otherwise compute on its own thread right after loading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadResult {
    pub header: DatasetHeader,
    pub info: ReadInfo,
    pub parse_ms: f64,
    pub summary: Vec<ColumnSummary>,
    /// Two-valued columns, the possible targets.
    pub candidates: Vec<String>,
    /// The proposed target, or why the obvious one cannot be used.
    pub target: Result<Option<Target>, ErrorMessage>,
    /// Warnings for the proposed target.
    pub warnings: Vec<DataWarning>,
    /// The timed fit, when the request asked for one.
    #[serde(default)]
    pub fit: Option<Result<FitReport, ErrorMessage>>,
    /// The table is an order log: its layout and column mapping.
    #[serde(default)]
    pub orders: Option<Detection>,
}

/// An engine error as it crosses from the worker to the page: its message, since the typed
/// error does not travel as JSON. Serialised as the bare string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(transparent)]
#[error("{0}")]
pub struct ErrorMessage(pub String);

impl ErrorMessage {
    /// The message of `error`.
    pub fn of(error: &impl std::fmt::Display) -> Self {
        ErrorMessage(error.to_string())
    }
}

impl ReadResult {
    /// Everything about `dataset` the page shows first, computed where the dataset is.
    pub fn describe(dataset: &Dataset, info: ReadInfo, parse_ms: f64) -> Self {
        let target = detect_target(dataset).map_err(|e| ErrorMessage::of(&e));
        let warnings = check(dataset, target.as_ref().ok().and_then(|t| t.as_ref()));
        ReadResult {
            header: DatasetHeader::default(),
            info,
            parse_ms,
            summary: dataset.summary(),
            candidates: binary_columns(dataset)
                .into_iter()
                .map(|c| c.name.clone())
                .collect(),
            target,
            warnings,
            fit: None,
            orders: detect(dataset),
        }
    }
}

/// A dataset without its values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatasetHeader {
    pub n_rows: usize,
    pub columns: Vec<ColumnHeader>,
}

/// A column without its values; `levels` is `Some` for a categorical column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnHeader {
    pub name: String,
    pub kind: ColumnKind,
    pub levels: Option<Vec<String>>,
}

/// One column's values, as they cross to the page.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    Numbers(Vec<f64>),
    Codes(Vec<u32>),
}

/// Takes a dataset apart into its header and one value buffer per column.
/// The description of `dataset` without its values (what travels beside the buffers).
pub fn dataset_header(dataset: &Dataset) -> DatasetHeader {
    DatasetHeader {
        n_rows: dataset.n_rows,
        columns: dataset
            .columns
            .iter()
            .map(|c| ColumnHeader {
                name: c.name.clone(),
                kind: c.kind,
                levels: match &c.data {
                    ColumnData::Numeric(_) => None,
                    ColumnData::Categorical { levels, .. } => Some(levels.clone()),
                },
            })
            .collect(),
    }
}

/// Rows `rows` of `dataset` as a table of their own (the header and one value buffer per
/// column; categories keep every level), for a background worker that scores only them.
pub fn dataset_slice(
    dataset: &Dataset,
    rows: std::ops::Range<usize>,
) -> (DatasetHeader, Vec<ColumnValues>) {
    let rows = rows.start.min(dataset.n_rows)..rows.end.min(dataset.n_rows);
    let mut header = dataset_header(dataset);
    header.n_rows = rows.len();
    let values = dataset
        .columns
        .iter()
        .map(|c| match &c.data {
            ColumnData::Numeric(v) => ColumnValues::Numbers(v[rows.clone()].to_vec()),
            ColumnData::Categorical { codes, .. } => {
                ColumnValues::Codes(codes[rows.clone()].to_vec())
            }
        })
        .collect();
    (header, values)
}

pub fn split_dataset(dataset: Dataset) -> (DatasetHeader, Vec<ColumnValues>) {
    let mut header = DatasetHeader {
        n_rows: dataset.n_rows,
        columns: Vec::with_capacity(dataset.columns.len()),
    };
    let mut values = Vec::with_capacity(dataset.columns.len());
    for c in dataset.columns {
        match c.data {
            ColumnData::Numeric(v) => {
                header.columns.push(ColumnHeader {
                    name: c.name,
                    kind: c.kind,
                    levels: None,
                });
                values.push(ColumnValues::Numbers(v));
            }
            ColumnData::Categorical { levels, codes } => {
                header.columns.push(ColumnHeader {
                    name: c.name,
                    kind: c.kind,
                    levels: Some(levels),
                });
                values.push(ColumnValues::Codes(codes));
            }
        }
    }
    (header, values)
}

/// Puts a dataset back together, checking that every buffer fits its header (a buffer of
/// the wrong type or length, or a code with no level, is an error, not a bad table).
pub fn join_dataset(
    header: DatasetHeader,
    values: Vec<ColumnValues>,
) -> Result<Dataset, JoinError> {
    if header.columns.len() != values.len() {
        return Err(JoinError::ColumnCount {
            sent: values.len(),
            described: header.columns.len(),
        });
    }
    let n = header.n_rows;
    let columns = header
        .columns
        .into_iter()
        .zip(values)
        .map(|(h, v)| {
            let data = match (h.levels, v) {
                (None, ColumnValues::Numbers(v)) if v.len() == n => ColumnData::Numeric(v),
                (Some(levels), ColumnValues::Codes(codes))
                    if codes.len() == n
                        && codes
                            .iter()
                            .all(|&c| c == MISSING_CODE || (c as usize) < levels.len()) =>
                {
                    ColumnData::Categorical { levels, codes }
                }
                _ => return Err(JoinError::Misfit(h.name)),
            };
            Ok(Column::new(h.name, data).with_kind(h.kind))
        })
        .collect::<Result<Vec<_>, JoinError>>()?;
    Ok(Dataset { n_rows: n, columns })
}

/// Why a table's value buffers do not fit its header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoinError {
    #[error("the reader sent {sent} columns of values for {described} columns")]
    ColumnCount { sent: usize, described: usize },
    #[error("the values of column '{0}' do not fit its description")]
    Misfit(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use churnscope_engine::reading::ingest::ReadProgress;

    #[test]
    fn the_header_of_a_dataset_is_what_splitting_it_gives() {
        let ds = churnscope_engine::reading::ingest::read_csv(
            b"id,plan,spend\n1,a,3.5\n2,b,\n3,a,1\n",
            &ReadOptions::default(),
        )
        .expect("csv");
        let header = dataset_header(&ds);
        assert_eq!(header, split_dataset(ds).0);
    }

    /// The built-in sample of `customers` customers (seed `seed`) and its churn target.
    fn sample(customers: usize, seed: u64) -> (Dataset, Target) {
        let csv = churnscope_engine::reading::sample::generate_csv(
            &churnscope_engine::reading::sample::SampleSpec { customers, seed },
        );
        let ds =
            churnscope_engine::reading::ingest::read_csv(csv.as_bytes(), &ReadOptions::default())
                .expect("sample");
        let target = target_for(&ds, "churned", Some("Yes")).expect("target");
        (ds, target)
    }

    #[test]
    fn cross_validation_tasks_are_dealt_out_in_turn() {
        assert_eq!(cv_shares(5, 2), vec![vec![0, 2, 4], vec![1, 3]]);
        assert_eq!(
            cv_shares(2, 4),
            vec![vec![0], vec![1]],
            "no worker without a task"
        );
        assert_eq!(cv_shares(3, 1), vec![vec![0, 1, 2]]);
    }

    /// A plan's cross-validation shared out over two workers' requests (here run one after
    /// the other) and reported gives the report the plan's own search gives: the sample's
    /// 400 customers, boosted trees, 3 folds, a random search of 2 settings (6 tasks).
    #[test]
    fn a_shared_out_cross_validation_reports_what_the_search_reports() {
        use churnscope_engine::modelling::tuning::tune;
        let (ds, target) = sample(400, 4);
        let mut config = TrainConfig::new(target);
        config.tuning = Some(churnscope_engine::modelling::tuning::Tuning {
            random: Some(2),
            ..churnscope_engine::modelling::tuning::Tuning::new(3)
        });
        let mut plan = TrainPlan::single(config);
        plan.models = vec![ModelKind::Gbdt];
        plan.cv_folds = Some(3);
        plan.search = true;
        let header = dataset_header(&ds);
        let mut results: Vec<(usize, Vec<f64>)> = cv_shares(6, 2)
            .into_iter()
            .flat_map(|tasks| {
                let request = CvRequest {
                    plan: plan.clone(),
                    model: ModelKind::Gbdt,
                    header: header.clone(),
                    tasks,
                };
                request.run(&ds, |_| true).expect("tasks")
            })
            .collect();
        results.sort_by_key(|(t, _)| *t);
        // The scores reach the page as a worker's event.
        let event = WorkerEvent::CvScores {
            scores: results.clone(),
        };
        let json = serde_json::to_string(&event).expect("encode");
        assert_eq!(
            serde_json::from_str::<WorkerEvent>(&json).expect("decode"),
            event
        );
        let split = split_rows(&ds, &plan.config).expect("split");
        let config = plan.config_for(ModelKind::Gbdt);
        let tuning = config.tuning.clone().expect("tuning");
        let cv = CrossValidation::new(&ds, &split.train, &config, &tuning).expect("cv");
        let shared = cv
            .layout()
            .report(results.into_iter().map(|(_, r)| r).collect())
            .expect("report");
        let searched = tune(&ds, &split.train, &config, &tuning, |_| true).expect("tune");
        assert_eq!(shared, searched);
        assert_eq!(shared.candidates.len(), 2);
    }

    #[test]
    fn a_forests_trees_are_shared_out_in_consecutive_runs() {
        assert_eq!(tree_shares(100, 3), vec![0..34, 34..67, 67..100]);
        assert_eq!(
            tree_shares(2, 4),
            vec![0..1, 1..2],
            "no worker without a tree"
        );
        assert_eq!(tree_shares(5, 1), vec![0..5]);
    }

    /// A forest's trees grown by three workers' requests (here run one after the other, the
    /// last first), sent back as events and put into the plan, give the model the plan
    /// trains alone: the sample's 400 customers, a forest of 20 trees.
    #[test]
    fn a_forest_grown_over_the_pool_is_the_plans_own_forest() {
        use churnscope_engine::evaluating::evaluation::run_plan;
        let (ds, target) = sample(400, 4);
        let mut config = TrainConfig::new(target);
        config.model = ModelKind::Forest;
        config.forest = config.forest.clone().n_trees(20);
        let mut plan = TrainPlan::single(config);
        plan.explain = true;
        let header = dataset_header(&ds);
        let mut events: Vec<(Vec<u32>, Vec<f64>)> = tree_shares(20, 3)
            .into_iter()
            .rev()
            .map(|trees| {
                let request = ForestRequest {
                    plan: plan.clone(),
                    header: header.clone(),
                    trees,
                };
                let json = serde_json::to_string(&request).expect("request");
                let request: ForestRequest = serde_json::from_str(&json).expect("decode");
                let mut stages = Vec::new();
                let trees = request
                    .run(&ds, |p| {
                        stages.push(p.stage);
                        true
                    })
                    .expect("trees");
                assert_eq!(stages.len(), trees.len(), "progress after each tree");
                assert!(
                    stages[0].starts_with("Random forest: trees "),
                    "{}",
                    stages[0]
                );
                // The event names the count; the trees travel packed beside it.
                let event = WorkerEvent::ForestTrees { trees: trees.len() };
                let json = serde_json::to_string(&event).expect("event");
                let back: WorkerEvent = serde_json::from_str(&json).expect("decode");
                assert_eq!(back, event);
                GrownTree::pack(&trees)
            })
            .collect();
        events.reverse();
        let mut trees = Vec::new();
        for (ints, floats) in events {
            trees.extend(GrownTree::unpack(&ints, &floats).expect("unpacked"));
        }
        assert_eq!(trees.len(), 20);
        let run = |plan: &TrainPlan| {
            let mut runs = Vec::new();
            run_plan(&ds, plan, |_, _| true, &|| 0.0, |r| runs.push(r)).expect("plan");
            let mut value = serde_json::to_value(&runs[0]).expect("json");
            value["fit_seconds"] = serde_json::Value::Null;
            value
        };
        let alone = run(&plan);
        plan.grown_trees = Some(trees);
        assert_eq!(run(&plan), alone);
    }

    /// Issue 18: a model crosses between the page and its workers as JSON with a forest's
    /// trees packed beside it: a run's pipeline (the sample's 600 customers, a forest of 30
    /// trees, explained) comes back equal after the trip, its JSON a small part of the
    /// whole; boosted trees travel whole. An explaining part sent as a request (the
    /// pipeline apart, JSON both ways) gives what the part gives on the model itself.
    #[test]
    fn a_forest_travels_packed_beside_its_pipeline() {
        use churnscope_engine::evaluating::evaluation::run_plan;
        let (ds, target) = sample(600, 5);
        let mut config = TrainConfig::new(target);
        config.forest = config.forest.clone().n_trees(30);
        let mut plan = TrainPlan::single(config);
        plan.models = vec![ModelKind::Forest, ModelKind::Gbdt];
        let mut runs = Vec::new();
        run_plan(&ds, &plan, |_, _| true, &|| 0.0, |r| runs.push(r)).expect("plan");
        let (forest, gbdt) = (&runs[0].outcome.pipeline, &runs[1].outcome.pipeline);
        let (bare, trees) = pack_forest(forest);
        assert_eq!(trees.len(), 2, "the trees in two arrays");
        let whole = serde_json::to_string(forest).expect("json").len();
        let json = serde_json::to_string(&bare).expect("json");
        assert!(json.len() * 10 < whole, "{} of {whole} bytes", json.len());
        let mut back: FittedPipeline = serde_json::from_str(&json).expect("decode");
        unpack_forest(&mut back, trees.clone()).expect("unpacked");
        assert_eq!(&back, forest);
        assert!(
            unpack_forest(&mut back, trees).is_err(),
            "a forest takes its trees once"
        );
        let (bare, none) = pack_forest(gbdt);
        assert!(none.is_empty());
        assert_eq!(&bare, gbdt);

        let table = ExplainTable::of(&ds, &runs[0], 3).expect("table");
        let part = ExplainPart {
            importance: vec![1, 2],
            dependence: vec![("tenure_months".to_string(), vec![3.0, 12.0])],
            reasons: true,
        };
        let direct = table.run(forest, &part, |_, _| true).expect("direct");
        let request = ExplainRequest {
            model: ModelKind::Forest,
            header: dataset_header(&table.table),
            sample: table.sample.clone(),
            part,
        };
        let request: ExplainRequest =
            serde_json::from_str(&serde_json::to_string(&request).expect("json")).expect("decode");
        let (bare, trees) = pack_forest(forest);
        let mut model: FittedPipeline =
            serde_json::from_str(&serde_json::to_string(&bare).expect("json")).expect("decode");
        unpack_forest(&mut model, trees).expect("unpacked");
        let mut stages = Vec::new();
        let sent = request
            .run(&model, table.table.clone(), |p| {
                stages.push(p.stage);
                true
            })
            .expect("sent");
        assert_eq!(sent, direct);
        assert_eq!(sent.importance.len(), 2);
        assert_eq!(sent.dependence[0].average.len(), 2);
        assert!(sent.reasons.is_some());
        assert_eq!(
            stages.last().map(String::as_str),
            Some("Random forest: explaining, 12 of 12"),
            "2 columns x 5 shuffles and 2 grid points"
        );
    }

    #[test]
    fn a_fit_request_fits_every_labelled_row_and_times_it() {
        let csv = churnscope_engine::reading::sample::generate_csv(
            &churnscope_engine::reading::sample::SampleSpec {
                customers: 300,
                seed: 2,
            },
        );
        let ds =
            churnscope_engine::reading::ingest::read_csv(csv.as_bytes(), &ReadOptions::default())
                .expect("sample");
        let request = FitRequest {
            target: "churned".into(),
            positive: "Yes".into(),
            model: ModelKind::Gbdt,
        };
        let ticks = std::sync::atomic::AtomicU32::new(0);
        let clock = || f64::from(ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
        let report = request.run(&ds, &clock).expect("fit");
        assert_eq!((report.rows, report.model), (300, ModelKind::Gbdt));
        assert_eq!((report.prep_seconds, report.model_seconds), (1.0, 1.0));
        assert!(report.train_roc_auc > 0.5);
        let bad = FitRequest {
            target: "nope".into(),
            ..request
        };
        assert!(bad.run(&ds, &clock).is_err());
    }

    /// A scoring job survives the trip as JSON and scores every row, reporting progress;
    /// a damaged pipeline is refused with a message, not a panic.
    #[test]
    fn a_score_request_scores_every_row() {
        let (ds, target) = sample(300, 2);
        let rows: Vec<usize> = (0..ds.n_rows).collect();
        let pipeline =
            FittedPipeline::fit(&ds, &rows, &TrainConfig::new(target), |_| true).expect("fit");
        let request = ScoreRequest {
            pipeline,
            header: dataset_header(&ds),
            first_row: 0,
        };
        let json = serde_json::to_string(&request).expect("json");
        let request: ScoreRequest = serde_json::from_str(&json).expect("back");
        let mut stages = Vec::new();
        let scored = request
            .run(&ds, |p| {
                stages.push(p.stage);
                true
            })
            .expect("scores");
        assert_eq!(scored.len(), 300);
        assert_eq!(
            stages.last().map(String::as_str),
            Some("Scoring customers and finding their reasons: 300 of 300")
        );
        let event = WorkerEvent::Scored {
            customers: scored.clone(),
        };
        let back: WorkerEvent =
            serde_json::from_str(&serde_json::to_string(&event).expect("json")).expect("back");
        assert_eq!(back, event);
        let mut broken = request.clone();
        if let churnscope_engine::modelling::models::FittedModel::Logistic(m) =
            &mut broken.pipeline.model
        {
            m.coefficients.push(1.0);
        }
        assert!(broken.run(&ds, |_| true).is_err());
        // The page's pool: each worker scores a slice of the rows; together they are the
        // whole table's scores and reasons, with the page's row numbers.
        let mut pooled = Vec::new();
        for range in crate::pool::row_ranges_of(ds.n_rows, 3, 1) {
            let (header, values) = dataset_slice(&ds, range.clone());
            let part = ScoreRequest {
                header: header.clone(),
                first_row: range.start,
                ..request.clone()
            };
            let slice = join_dataset(header, values).expect("slice");
            pooled.extend(part.run(&slice, |_| true).expect("part"));
        }
        assert_eq!(pooled, scored);
    }
    use churnscope_engine::reading::ingest::read_table;

    #[test]
    fn a_dataset_survives_the_trip_through_buffers() {
        let text = "id,plan,spend,joined,churn\n1,Gold,3.5,2024-01-02,Yes\n2,,NA,2024-02-03,No\n3,Basic,7,2024-03-04,No\n";
        let (ds, _) = read_table(text.as_bytes(), &ReadOptions::default()).expect("reads");
        let (header, values) = split_dataset(ds.clone());
        assert!(matches!(values[1], ColumnValues::Codes(_)));
        assert!(matches!(values[2], ColumnValues::Numbers(_)));
        let back = join_dataset(header, values).expect("joins");
        // NaN != NaN, so compare the JSON (which writes NaN as null).
        assert_eq!(
            serde_json::to_string(&back).expect("json"),
            serde_json::to_string(&ds).expect("json")
        );
        assert_eq!(
            back.column("joined").map(|c| c.kind),
            Some(ColumnKind::Date)
        );
    }

    #[test]
    fn mismatched_buffers_are_refused() {
        let text = "plan,churn\nGold,Yes\nBasic,No\n";
        let (ds, _) = read_table(text.as_bytes(), &ReadOptions::default()).expect("reads");
        let (header, mut values) = split_dataset(ds);
        values[0] = ColumnValues::Numbers(vec![1.0, 2.0]);
        let err = join_dataset(header.clone(), values.clone())
            .expect_err("wrong type")
            .to_string();
        assert!(err.contains("'plan'"), "{err}");
        values[0] = ColumnValues::Codes(vec![0, 7]);
        assert!(
            join_dataset(header.clone(), values.clone()).is_err(),
            "a code without a level"
        );
        values.pop();
        assert!(join_dataset(header, values).is_err(), "a missing column");
    }

    #[test]
    fn events_and_requests_are_plain_json() {
        let request = ReadRequest::new(
            "a.csv",
            &ReadOptions {
                delimiter: Some(b';'),
                ..ReadOptions::default()
            },
        );
        let json = serde_json::to_string(&request).expect("json");
        let back: ReadRequest = serde_json::from_str(&json).expect("parse");
        assert_eq!(back.options().delimiter, Some(b';'));
        let event = WorkerEvent::Progress(JobProgress::of_read(ReadProgress {
            pass: 1,
            done: 25,
            total: 100,
        }));
        let json = serde_json::to_string(&event).expect("json");
        assert!(json.contains("\"event\":\"progress\""), "{json}");
        assert_eq!(
            serde_json::from_str::<WorkerEvent>(&json).expect("parse"),
            event
        );
    }

    #[test]
    fn describe_proposes_the_target_and_its_warnings() {
        let mut text = String::from("customer_id,spend,churn\n");
        for i in 0..40 {
            text.push_str(&format!(
                "{i},{},{}\n",
                i % 7,
                if i % 4 == 0 { "Yes" } else { "No" }
            ));
        }
        let (ds, info) = read_table(text.as_bytes(), &ReadOptions::default()).expect("reads");
        let described = ReadResult::describe(&ds, info, 1.0);
        let target = described.target.expect("ok").expect("proposed");
        assert_eq!(
            (target.column.as_str(), target.positive.as_str()),
            ("churn", "Yes")
        );
        assert_eq!(described.candidates, vec!["churn"]);
        assert!(described
            .warnings
            .iter()
            .any(|w| matches!(w, DataWarning::Identifier { column } if column == "customer_id")));
    }
}
