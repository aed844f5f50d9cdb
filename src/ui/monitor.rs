//! Step 6, keep watching: save the model in use (a download or "My models"), open a saved
//! one, score next month's export with it, see how far the customers drifted and whether
//! the model still works, and retrain it on the new data.
//!
//! The model file, its checks and the retrain are the engine's (`monitoring`); the page
//! runs them as worker jobs ([`tasks`] style) and keeps the open model and its last results
//! in [`MonitorState`].

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use send_wrapper::SendWrapper;
use web_sys::{Blob, HtmlInputElement};

use super::browser::{download, today};
use super::drift_view::CheckResults;
use super::job::{Job, JobStatus};
use super::model_store::{self, SavedModel};
use super::my_models::MyModels;
use super::retrain_view::RetrainResults;
use super::sql_export::SqlExport;
use super::state::Workflow;
use super::worker::{start_model, start_monitor};
use churnscope_charts::report::download_name;
use churnscope_engine::acting::actions::TierCuts;
use churnscope_engine::dataset::group_thousands;
use churnscope_engine::evaluating::evaluation::{model_label, ModelRun};
use churnscope_engine::monitoring::model_file::ModelFile;
use churnscope_worker::jobs::{ReadRequest, WorkerEvent};
use churnscope_worker::monitor::{
    ModelRequest, MonitorRequest, MonitorResult, MonitorTask, RetrainResult,
};

/// A model file open in the page.
pub struct OpenModel {
    /// What the merchant calls it (the saved name, or the file's name).
    pub name: String,
    /// Its entry in My models, when it came from there or was saved there.
    pub saved: Option<SavedModel>,
    pub file: ModelFile,
}

/// What step 6 keeps, as signals (so the value is `Copy`); provided by the app.
#[derive(Clone, Copy)]
pub struct MonitorState {
    pub open: RwSignal<Option<Arc<OpenModel>>>,
    /// My models, as last listed.
    pub saved: RwSignal<Vec<SavedModel>>,
    /// The last export checked against the open model.
    pub checked: RwSignal<Option<Arc<MonitorResult>>>,
    /// That export's file, for a retrain on it.
    pub export: RwSignal<Option<(String, SendWrapper<Blob>)>>,
    pub retrained: RwSignal<Option<Arc<RetrainResult>>>,
    /// The last problem of this step (a refused model file, storage), shown in it.
    pub error: RwSignal<Option<String>>,
    pub notice: RwSignal<Option<String>>,
}

impl MonitorState {
    pub fn new() -> Self {
        MonitorState {
            open: RwSignal::new(None),
            saved: RwSignal::new(Vec::new()),
            checked: RwSignal::new(None),
            export: RwSignal::new(None),
            retrained: RwSignal::new(None),
            error: RwSignal::new(None),
            notice: RwSignal::new(None),
        }
    }

    pub fn get() -> Self {
        expect_context()
    }

    /// Reads My models again.
    pub fn refresh(self) {
        spawn_local(async move {
            match model_store::list().await {
                Ok(list) => self.saved.set(list),
                Err(e) => self.error.set(Some(e)),
            }
        });
    }

    /// Opens `file` (its earlier results go).
    pub fn open_model(self, name: String, saved: Option<SavedModel>, file: ModelFile) {
        self.checked.set(None);
        self.retrained.set(None);
        self.export.set(None);
        self.error.set(None);
        self.open
            .set(Some(Arc::new(OpenModel { name, saved, file })));
    }
}

impl Default for MonitorState {
    fn default() -> Self {
        Self::new()
    }
}

/// What the list says of a model file.
pub fn describe(name: &str, file: &ModelFile) -> SavedModel {
    SavedModel {
        id: 0,
        name: name.to_string(),
        saved_at: js_sys::Date::new_0()
            .to_iso_string()
            .as_string()
            .unwrap_or_default(),
        dataset: file.dataset.name.clone(),
        rows: file.dataset.rows,
        roc_auc: file.metrics.roc_auc,
        kind: model_kind(file),
        retrained_from: None,
    }
}

fn model_kind(file: &ModelFile) -> String {
    use churnscope_engine::modelling::models::FittedModel;
    let kind = match file.pipeline.model {
        FittedModel::Logistic(_) => churnscope_engine::modelling::pipeline::ModelKind::Logistic,
        FittedModel::Gbdt(_) => churnscope_engine::modelling::pipeline::ModelKind::Gbdt,
        FittedModel::Forest(_) => churnscope_engine::modelling::pipeline::ModelKind::Forest,
        FittedModel::Mlp(_) => churnscope_engine::modelling::pipeline::ModelKind::Mlp,
    };
    model_label(kind).to_string()
}

/// Keeps `file` in My models as `entry` and opens it from there.
pub fn keep(monitor: MonitorState, entry: SavedModel, file: ModelFile) {
    spawn_local(async move {
        match model_store::save(&entry, &file.to_json()).await {
            Ok(id) => {
                let entry = SavedModel { id, ..entry };
                monitor.notice.set(Some(format!(
                    "Saved “{}” in My models (this browser only).",
                    entry.name
                )));
                monitor.open_model(entry.name.clone(), Some(entry), file);
                monitor.refresh();
            }
            Err(e) => monitor.error.set(Some(e)),
        }
    });
}

/// Where a model file made from the run in use goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SaveTo {
    Download,
    MyModels,
}

/// Writes the model file of `run` (the model in use) in the worker, then downloads it or
/// keeps it in My models under `name`.
fn save_run(run: Arc<ModelRun>, name: String, to: SaveTo) {
    let (state, job, monitor) = (Workflow::get(), JobStatus::get(), MonitorState::get());
    let (Some(loaded), Some(target)) = (
        state.trained_on.get_untracked(),
        state.target.get_untracked(),
    ) else {
        return;
    };
    let mut config = state.settings.with_untracked(|s| s.plan(target).config);
    config.model = run.kind;
    let request = ModelRequest {
        header: Default::default(),
        name: loaded.name.clone(),
        trained_on: today(),
        pipeline: run.outcome.pipeline.clone(),
        test: run.outcome.test.clone(),
        test_scores: run.test_scores.clone(),
        tiers: state
            .actions
            .cuts
            .with_untracked(|c| {
                c.as_ref()
                    .filter(|(r, _)| Arc::ptr_eq(r, &run))
                    .map(|c| c.1)
            })
            .unwrap_or_else(|| TierCuts::from_scores(&run.test_scores)),
        profit: state.actions.inputs.get_untracked(),
        playbook: state.actions.playbook.get_untracked(),
        settings: Some(config),
    };
    job.start(Job::SavingModel);
    let data_name = loaded.name.clone();
    let on_done = move |result: Result<ModelFile, String>| match result {
        Err(e) => job.fail(format!("The model file could not be written: {e}")),
        Ok(file) => {
            job.finish();
            match to {
                SaveTo::Download => {
                    let file_name =
                        download_name("churn-model", &data_name, &today(), "churnscope.json");
                    if let Err(e) =
                        download(file.to_json().as_bytes(), &file_name, "application/json")
                    {
                        monitor.error.set(Some(e));
                    } else {
                        monitor.notice.set(Some(format!("Downloaded {file_name}.")));
                    }
                }
                SaveTo::MyModels => keep(monitor, describe(&name, &file), file),
            }
        }
    };
    if let Err(e) = start_model(&loaded.dataset, request, on_done) {
        job.fail(e);
    }
}

/// Reads a model file the user chose; a refused file leaves the open model as it was.
fn open_file(file: web_sys::File) {
    let monitor = MonitorState::get();
    let name = file.name();
    spawn_local(async move {
        let size = file.size() as usize;
        if size > churnscope_engine::monitoring::model_file::MAX_BYTES {
            monitor.error.set(Some(format!(
                "{name}: the model file is {size} bytes; the largest read is {} bytes",
                churnscope_engine::monitoring::model_file::MAX_BYTES
            )));
            return;
        }
        let text = gloo_file::futures::read_as_text(&gloo_file::File::from(file)).await;
        let result = text
            .map_err(|e| format!("{name}: the browser could not read the file ({e})"))
            .and_then(|t| ModelFile::from_json(&t).map_err(|e| format!("{name}: {e}")));
        match result {
            Ok(model) => {
                monitor.notice.set(Some(format!("Opened {name}.")));
                monitor.open_model(name, None, model);
            }
            Err(e) => monitor.error.set(Some(e)),
        }
    });
}

/// Checks the export the user chose against the open model (or retrains on it).
fn start_task(monitor: MonitorState, name: String, file: SendWrapper<Blob>, task: MonitorTask) {
    let job = JobStatus::get();
    let Some(open) = monitor.open.get_untracked() else {
        return;
    };
    let request = MonitorRequest {
        model: open.file.clone(),
        read: ReadRequest::new(&name, &open.file.pipeline.read_options()),
        task,
        today: today(),
        original: None,
    };
    // The data the model was trained on, when it is still open (same file, same rows).
    let original = (task == MonitorTask::Retrain)
        .then(|| Workflow::get().trained_on.get_untracked())
        .flatten()
        .filter(|l| l.name == open.file.dataset.name && l.dataset.n_rows == open.file.dataset.rows);
    job.start(if task == MonitorTask::Check {
        Job::Checking
    } else {
        Job::Retraining
    });
    monitor.error.set(None);
    let kept = file.clone();
    let on_done = move |result: Result<WorkerEvent, String>| match result {
        Ok(WorkerEvent::Checked(result)) => {
            job.finish();
            monitor.retrained.set(None);
            monitor.export.set(Some((name, kept)));
            monitor.checked.set(Some(Arc::new(*result)));
        }
        Ok(WorkerEvent::Retrained(result)) => {
            job.finish();
            monitor.retrained.set(Some(Arc::new(*result)));
        }
        Ok(_) => job.fail("the background worker sent a message it should not".into()),
        Err(e) => job.fail(e),
    };
    let original = original.as_ref().map(|l| &l.dataset);
    if let Err(e) = start_monitor(
        (*file).clone(),
        &request,
        original,
        move |p| job.report(p),
        on_done,
    ) {
        job.fail(e);
    }
}

/// Retrains the open model on the export checked last.
pub fn retrain(monitor: MonitorState) {
    if let Some((name, file)) = monitor.export.get_untracked() {
        start_task(monitor, name, file, MonitorTask::Retrain);
    }
}

/// The step.
#[component]
pub fn MonitorStep() -> impl IntoView {
    let (state, job, monitor) = (Workflow::get(), JobStatus::get(), MonitorState::get());
    monitor.refresh();
    let in_use = move || {
        let runs = state.runs.get();
        runs.get(state.chosen.get()).cloned()
    };
    view! {
        <section class="panel monitor" aria-labelledby="monitor-title" data-testid="monitor">
            <h2 id="monitor-title">"6. Keep watching: save the model, score next month's export"</h2>
            <p class="hint">
                "A saved model scores new exports and tells you when your customers have changed since \
                 training. The model file holds the model and summaries of the training data (counts and \
                 quantiles, never a customer's row)."
            </p>
            {move || in_use().map(|run| view! { <SaveRow run /> })}
            <div class="score-row">
                <label class="button">
                    "Open a model file…"
                    <input
                        type="file"
                        class="visually-hidden"
                        accept=".json,application/json"
                        data-testid="model-file-input"
                        on:change=move |ev| {
                            let input: HtmlInputElement = event_target(&ev);
                            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                                open_file(file);
                            }
                            input.set_value("");
                        }
                    />
                </label>
            </div>
            {move || monitor.notice.get().map(|n| view! { <p class="notice" data-testid="monitor-notice">{n}</p> })}
            {move || monitor.error.get().map(|e| view! { <p class="error" role="alert" data-testid="monitor-error">{e}</p> })}
            <MyModels />
            {move || monitor.open.get().map(|open| view! { <OpenModelCard open busy=job.busy() /> })}
            {move || monitor.checked.get().map(|result| view! { <CheckResults result /> })}
            {move || monitor.retrained.get().map(|result| view! { <RetrainResults result /> })}
        </section>
    }
}

/// Save buttons for the model in use.
#[component]
fn SaveRow(run: Arc<ModelRun>) -> impl IntoView {
    let state = Workflow::get();
    let job = JobStatus::get();
    let data = state
        .trained_on
        .get_untracked()
        .map(|l| l.name.clone())
        .unwrap_or_default();
    let name = RwSignal::new(format!("{data} — {}", run.label().to_lowercase()));
    let (a, b) = (run.clone(), run);
    view! {
        <div class="score-row save-row">
            <label>
                "Name "
                <input type="text" data-testid="model-name" prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            <button class="button primary" data-testid="save-model" prop:disabled=job.busy()
                on:click=move |_| save_run(a.clone(), name.get_untracked(), SaveTo::MyModels)>
                "Save to My models"
            </button>
            <button class="button" data-testid="download-model" prop:disabled=job.busy()
                on:click=move |_| save_run(b.clone(), name.get_untracked(), SaveTo::Download)>
                "Download the model file"
            </button>
        </div>
    }
}

/// The open model and the drop for a new export.
#[component]
fn OpenModelCard(open: Arc<OpenModel>, busy: Signal<bool>) -> impl IntoView {
    let monitor = MonitorState::get();
    let f = &open.file;
    let summary = format!(
        "{} — {}, trained on {} ({} customers) on {}; ROC AUC {:.3} on its test customers.",
        open.name,
        model_kind(f),
        f.dataset.name,
        group_thousands(f.dataset.rows),
        f.dataset.trained_on,
        f.metrics.roc_auc
    );
    let required: Vec<String> = f.required_columns().map(|c| c.name.clone()).collect();
    view! {
        <div class="open-model" data-testid="open-model">
            <h3>"Model in use for new exports"</h3>
            <p data-testid="open-model-summary">{summary}</p>
            <p class="hint">{format!("A new export needs these columns (case, spaces and underscores may differ): {}.", required.join(", "))}</p>
            <label class="button primary">
                "Score a new export…"
                <input
                    type="file"
                    class="visually-hidden"
                    accept=".csv,.tsv,.txt,.xlsx,.xls,.xlsb,.ods,text/csv"
                    data-testid="export-input"
                    prop:disabled=busy
                    on:change=move |ev| {
                        let input: HtmlInputElement = event_target(&ev);
                        if let Some(file) = input.files().and_then(|f| f.get(0)) {
                            let blob: Blob = file.clone().into();
                            start_task(monitor, file.name(), SendWrapper::new(blob), MonitorTask::Check);
                        }
                        input.set_value("");
                    }
                />
            </label>
            <SqlExport file=open.file.clone() name=open.name.clone() />
        </div>
    }
}
