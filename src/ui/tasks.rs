//! The page's long jobs: each starts in the background worker ([`super::worker`]), reports
//! through the one [`JobStatus`], and puts its result into the [`Workflow`]. On failure or
//! cancel the previous table and results stay.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use web_sys::Blob;

use super::actions::Scored;
use super::browser::{now_ms, query_param};
use super::job::{Job, JobStatus};
use super::state::{Loaded, Workflow};
use super::worker::{cancel as cancel_worker, start_read, start_score, start_train, OnBaselines};
use churnscope_engine::acting::actions::ScoredCustomer;
use churnscope_engine::dataset::Dataset;
use churnscope_engine::evaluating::evaluation::{best_model, model_label, ModelRun};
use churnscope_engine::modelling::pipeline::ModelKind;
use churnscope_engine::reading::ingest::ReadOptions;
use churnscope_engine::understanding::target::{target_for, Target};
use churnscope_worker::jobs::{FitRequest, ReadRequest, ReadResult};

/// A file to read: its name, the file itself, and how to read it.
pub struct Source {
    pub name: String,
    pub file: SendWrapper<Blob>,
    pub options: ReadOptions,
}

/// Reads (or re-reads) a file in the background worker. `keep` is the target to keep when
/// re-reading the same file with other options.
pub fn read(state: Workflow, job: JobStatus, source: Source, keep: Option<Target>) {
    job.start(Job::Reading);
    let mut request = ReadRequest::new(&source.name, &source.options);
    request.fit = bench_fit_request();
    let file = (*source.file).clone();
    let on_done = move |result: Result<(Dataset, ReadResult), String>| match result {
        Ok((dataset, result)) => {
            job.finish();
            take_table(state, job, source, keep, dataset, result);
        }
        Err(message) => job.fail(message),
    };
    if let Err(e) = start_read(file, &request, move |p| job.report(p), on_done) {
        job.fail(e);
    }
}

/// Puts a table just read into the workflow, with the target kept or proposed.
fn take_table(
    state: Workflow,
    job: JobStatus,
    source: Source,
    keep: Option<Target>,
    dataset: Dataset,
    result: ReadResult,
) {
    let kept = keep.and_then(|t| target_for(&dataset, &t.column, Some(&t.positive)).ok());
    let (proposed, first_warnings) = match kept {
        Some(t) => (Some(t), None),
        None => match result.target {
            Ok(t) => (t.clone(), Some((t, result.warnings))),
            Err(e) => {
                job.show_error(format!("{}: {e}", source.name));
                (None, Some((None, result.warnings)))
            }
        },
    };
    state.bench_fit.set(result.fit.map(|r| match r {
        Ok(report) => serde_json::to_string(&report).unwrap_or_default(),
        Err(e) => format!("fit failed: {e}"),
    }));
    state.target.set(proposed);
    state.orders.set(None);
    state.replace_table(Loaded {
        name: source.name,
        source: source.file,
        options: source.options,
        dataset,
        summary: result.summary,
        candidates: result.candidates,
        info: result.info,
        parse_ms: result.parse_ms,
        first_warnings,
        orders: result.orders,
    });
}

/// Trains the models the form asks for on the loaded table, in the worker: the page keeps
/// painting and answering while they train. The previous results stay until the first
/// model of this run arrives.
pub fn train(state: Workflow, job: JobStatus) {
    let (Some(loaded), Some(target)) = (state.loaded.get(), state.target.get()) else {
        return;
    };
    let plan = state.settings.with_untracked(|s| s.plan(target));
    if plan.models.is_empty() {
        job.show_error("Choose at least one model to train.".to_string());
        return;
    }
    job.start(Job::Training);
    let start = now_ms();
    let first = Rc::new(Cell::new(true));
    state.run_has_models.set(false);
    let trained_on = loaded.clone();
    let order = plan.models();
    let rank = move |kind: ModelKind| order.iter().position(|&m| m == kind);
    let on_model = move |run: ModelRun| {
        if first.replace(false) {
            state.baselines.set(None);
            state.run_has_models.set(true);
            state.actions.scored.set(Vec::new());
            state.runs.set(Vec::new());
            state.chosen.set(0);
            state.train_ms.set(0.0);
            state.trained_on.set(Some(trained_on.clone()));
        }
        // Models trained side by side may finish out of order: each goes to its place in
        // the plan, so the list reads as the user chose the models.
        state.runs.update(|list| {
            let at = list
                .iter()
                .position(|r| rank(r.kind) > rank(run.kind))
                .unwrap_or(list.len());
            list.insert(at, Arc::new(run));
        });
    };
    let on_done = move |result: Result<(), String>| match result {
        Ok(()) => {
            job.finish();
            state.train_ms.set(now_ms() - start);
            use_recommended(state);
        }
        Err(e) => job.fail(format!("Training failed: {e}")),
    };
    // Customers derived from orders are judged against BG/NBD and Pareto/NBD too.
    let baselines = state.orders.get_untracked().map(|o| {
        let on_baselines: OnBaselines = Box::new(move |runs| state.baselines.set(Some(runs)));
        (o.summary.horizon_days as f64, on_baselines)
    });
    if let Err(e) = start_train(
        &loaded,
        &plan,
        baselines,
        move |p| job.report(p),
        on_model,
        on_done,
    ) {
        job.fail(e);
    }
}

/// Puts the recommended model of the run in use; returns it.
fn use_recommended(state: Workflow) -> Option<usize> {
    let best = state
        .runs
        .with_untracked(|list| best_model(list.as_slice()));
    state.chosen.set(best.unwrap_or(0));
    best
}

/// Scores every customer with `run`, in the worker, for the action list.
pub fn score(state: Workflow, job: JobStatus, run: Arc<ModelRun>) {
    let Some(loaded) = state.trained_on.get_untracked() else {
        return;
    };
    job.start(Job::Scoring);
    let scored_by = run.clone();
    let on_done = move |result: Result<Vec<ScoredCustomer>, String>| match result {
        Ok(customers) => {
            job.finish();
            state.actions.scored.update(|list| {
                list.retain(|s| !Arc::ptr_eq(&s.run, &scored_by));
                list.push(Scored {
                    run: scored_by,
                    customers: Arc::new(customers),
                });
            });
        }
        Err(e) => job.fail(format!("Scoring failed: {e}")),
    };
    // For customers derived from orders the action list is for the current customers.
    let current = state.orders.get_untracked().map(|o| o.current.clone());
    let population = current.as_deref().unwrap_or(&loaded.dataset);
    if let Err(e) = start_score(
        population,
        &run.outcome.pipeline,
        move |p| job.report(p),
        on_done,
    ) {
        job.fail(e);
    }
}

/// Stops the running job and says what the page kept.
pub fn cancel(state: Workflow, job: JobStatus) {
    let running = job.running_now();
    cancel_worker();
    let notice = match running {
        Some(Job::Scoring) => {
            "Scoring stopped. The results and settings are as they were.".to_string()
        }
        Some(Job::SavingModel) => "Saving stopped. Nothing was saved.".to_string(),
        Some(Job::Deriving) => {
            "Stopped. The order log and anything derived before are as they were.".to_string()
        }
        Some(Job::Checking | Job::Retraining) => {
            "Stopped. The open model and its last results are as they were.".to_string()
        }
        Some(Job::Training) if state.run_has_models.get_untracked() => keep_finished(state, job),
        Some(Job::Training) => {
            "Training stopped before any model finished. Nothing was changed.".to_string()
        }
        _ if state.loaded.with_untracked(Option::is_some) => {
            "Reading stopped. The table you had is still here.".to_string()
        }
        _ => "Reading stopped.".to_string(),
    };
    job.stop(notice);
}

/// The models finished before Cancel are this run's results: recommends and uses the best
/// of them, and unticks the ones that were not trained. Returns what Cancel says.
fn keep_finished(state: Workflow, job: JobStatus) -> String {
    let finished: Vec<ModelKind> = state
        .runs
        .with_untracked(|list| list.iter().map(|r| r.kind).collect());
    let stopped: Vec<ModelKind> = state.settings.with_untracked(|s| {
        s.models
            .iter()
            .copied()
            .filter(|m| !finished.contains(m))
            .collect()
    });
    state
        .settings
        .update(|s| s.models.retain(|m| finished.contains(m)));
    let best = use_recommended(state);
    state.train_ms.set(job.elapsed_ms());
    cancel_message(&finished, &stopped, best.map(|b| finished[b]))
}

/// What Cancel during training says: which models were stopped (and unticked), which were
/// kept, and the one now in use.
fn cancel_message(
    finished: &[ModelKind],
    stopped: &[ModelKind],
    in_use: Option<ModelKind>,
) -> String {
    let names = |kinds: &[ModelKind]| -> String {
        let names: Vec<String> = kinds
            .iter()
            .map(|&k| model_label(k).to_lowercase())
            .collect();
        match names.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        }
    };
    let mut text = format!("Training stopped. Kept: {}", names(finished));
    if !stopped.is_empty() {
        text.push_str(&format!(
            "; not trained: {} (unticked, tick again to train it)",
            names(stopped)
        ));
    }
    if let Some(kind) = in_use {
        text.push_str(&format!(
            ". In use: {}, the recommended one of those kept.",
            model_label(kind).to_lowercase()
        ));
    }
    text
}

/// The browser fit benchmark (`tests/browser_bench.rs`): with
/// `?bench-fit=logistic|gbdt|forest|mlp&bench-target=COL&bench-positive=VALUE` in the URL,
/// the reader also fits that model on every labelled row of the file it reads, in the
/// worker, and the page shows the timings (`data-testid=bench-fit`).
fn bench_fit_request() -> Option<FitRequest> {
    let model = match query_param("bench-fit")?.as_str() {
        "logistic" => ModelKind::Logistic,
        "gbdt" => ModelKind::Gbdt,
        "forest" => ModelKind::Forest,
        "mlp" => ModelKind::Mlp,
        _ => return None,
    };
    Some(FitRequest {
        target: query_param("bench-target")?,
        positive: query_param("bench-positive")?,
        model,
    })
}
