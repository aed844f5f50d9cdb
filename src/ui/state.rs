//! The state of the workflow that the steps share through context: the loaded table, the
//! chosen target, the training settings and outcome, and what the action step keeps.
//!
//! An error never clears what the user already has: a bad second file leaves the first one
//! loaded and its results on screen.

use std::sync::Arc;

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use web_sys::Blob;

use super::actions::ActionState;
use super::train_form::TrainSettings;
use churnscope_engine::dataset::{Column, ColumnSummary, Dataset};
use churnscope_engine::evaluating::evaluation::ModelRun;
use churnscope_engine::orders::baselines::BaselineRun;
use churnscope_engine::orders::features::{DeriveSummary, Window};
use churnscope_engine::orders::layout::{Detection, OrderMapping};
use churnscope_engine::orders::log::LogReport;
use churnscope_engine::reading::ingest::{ReadInfo, ReadOptions};
use churnscope_engine::understanding::checks::DataWarning;
use churnscope_engine::understanding::target::{binary_columns, Target};

/// A parsed file and what the page shows about it. The file itself (a browser `Blob`, not
/// a copy of its bytes) is kept so it can be read again with another encoding, delimiter
/// or sheet without asking for it again.
pub struct Loaded {
    pub name: String,
    pub source: SendWrapper<Blob>,
    pub options: ReadOptions,
    pub dataset: Dataset,
    pub summary: Vec<ColumnSummary>,
    /// The two-valued columns, which can be the target.
    pub candidates: Vec<String>,
    pub info: ReadInfo,
    pub parse_ms: f64,
    /// Warnings the reader computed for the target it proposed, so the first view needs no
    /// second pass over a big table on the page's thread.
    pub first_warnings: Option<(Option<Target>, Vec<DataWarning>)>,
    /// The table is an order log: its layout and proposed column mapping.
    pub orders: Option<Detection>,
}

impl Loaded {
    /// The same table taken as a customer table, not an order log.
    pub fn as_customer_table(&self) -> Self {
        let mut table = self.with_column("", |_| {});
        table.orders = None;
        table
    }

    /// The same table with one column changed by the user (its kind, or merged levels).
    pub fn with_column(&self, column: &str, change: impl FnOnce(&mut Column)) -> Self {
        let mut dataset = self.dataset.clone();
        if let Some(c) = dataset.columns.iter_mut().find(|c| c.name == column) {
            change(c);
        }
        Loaded {
            name: self.name.clone(),
            source: self.source.clone(),
            options: self.options.clone(),
            summary: dataset.summary(),
            candidates: binary_columns(&dataset)
                .into_iter()
                .map(|c| c.name.clone())
                .collect(),
            dataset,
            info: self.info.clone(),
            parse_ms: self.parse_ms,
            first_warnings: None,
            orders: self.orders.clone(),
        }
    }
}

/// Everything the steps share, as signals (so the value is `Copy`); the app provides it
/// and each step reads it with [`Workflow::get`].
#[derive(Clone, Copy)]
pub struct Workflow {
    /// The table read last.
    pub loaded: RwSignal<Option<Arc<Loaded>>>,
    /// The churn column and its churned value.
    pub target: RwSignal<Option<Target>>,
    /// What the training form says.
    pub settings: RwSignal<TrainSettings>,
    /// The models of the last training run.
    pub runs: RwSignal<Vec<Arc<ModelRun>>>,
    /// Index of the model in use among `runs`.
    pub chosen: RwSignal<usize>,
    /// The table the models were trained on.
    pub trained_on: RwSignal<Option<Arc<Loaded>>>,
    /// Milliseconds the last run took (0 while it runs).
    pub train_ms: RwSignal<f64>,
    /// Whether the training run going on (or last run) has delivered a model yet.
    pub run_has_models: RwSignal<bool>,
    /// The operating threshold of the model in use.
    pub threshold: RwSignal<f64>,
    /// What the action step keeps.
    pub actions: ActionState,
    /// The browser fit benchmark's result (see `tasks::bench_fit_request`).
    pub bench_fit: RwSignal<Option<String>>,
    /// When the loaded table was derived from an order log: the log and the current
    /// customers.
    pub orders: RwSignal<Option<Arc<FromOrders>>>,
    /// The BG/NBD and Pareto/NBD baselines of the last training run on derived customers.
    pub baselines: RwSignal<Option<Result<Vec<BaselineRun>, String>>>,
}

/// A table derived from an order log: the log as read (to derive again with other
/// settings), the mapping and window used, what was found, and the current customers (the
/// population the action list scores).
pub struct FromOrders {
    pub log: Arc<Loaded>,
    pub mapping: OrderMapping,
    pub window: Window,
    pub summary: DeriveSummary,
    pub report: LogReport,
    pub current: Arc<Dataset>,
}

impl Workflow {
    /// Nothing loaded, the form at the engine's defaults.
    pub fn new() -> Self {
        Workflow {
            loaded: RwSignal::new(None),
            target: RwSignal::new(None),
            settings: RwSignal::new(TrainSettings::default()),
            runs: RwSignal::new(Vec::new()),
            chosen: RwSignal::new(0),
            trained_on: RwSignal::new(None),
            train_ms: RwSignal::new(0.0),
            run_has_models: RwSignal::new(false),
            threshold: RwSignal::new(0.5),
            actions: ActionState::new(),
            bench_fit: RwSignal::new(None),
            orders: RwSignal::new(None),
            baselines: RwSignal::new(None),
        }
    }

    /// The workflow, provided by the app.
    pub fn get() -> Self {
        expect_context()
    }

    /// Forgets the training results (the data or the target changed).
    pub fn clear_results(self) {
        self.baselines.set(None);
        self.runs.set(Vec::new());
        self.trained_on.set(None);
        self.actions.scored.set(Vec::new());
    }

    /// Replaces the loaded table (its results go).
    pub fn replace_table(self, loaded: Loaded) {
        self.clear_results();
        self.loaded.set(Some(Arc::new(loaded)));
    }
}

impl Default for Workflow {
    fn default() -> Self {
        Self::new()
    }
}
