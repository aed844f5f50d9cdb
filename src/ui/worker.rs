//! The page's side of the background worker (`crates/worker/src/bin/worker.rs`).
//!
//! Each job gets fresh workers: each is started, says `ready`, gets its part of the job (a
//! file to read, a table to train on with the training settings, a slice of customers to
//! score), reports progress and sends the result back (a table as one buffer per column, or
//! the training outcome). Then it is terminated, so the memory it used goes back to the
//! browser at once. Scoring, training several models, one model's cross-validation, one
//! forest's trees and one forest's explanation are shared out over a pool of workers, one per core within a memory
//! budget (`churnscope_worker::pool`); the others run on one. Cancelling terminates every worker of the job; the page keeps whatever it
//! had before.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, ErrorEvent, MessageEvent, Worker};

use std::sync::Arc;

use super::browser::pool_workers;
use super::state::Loaded;
use churnscope_engine::acting::actions::ScoredCustomer;
use churnscope_engine::dataset::Dataset;
use churnscope_engine::evaluating::evaluation::{
    model_label, ModelRun, TrainPlan, EXPLAIN_ROWS, IMPORTANCE_REPEATS, PD_COLUMNS, PD_GRID,
    RISKY_CUSTOMERS,
};
use churnscope_engine::evaluating::explain_parts::{
    merge_importance, ExplainPart, ExplainTable, ExplainedPart,
};
use churnscope_engine::evaluating::explanations::Importance;
use churnscope_engine::modelling::pipeline::{FittedPipeline, ModelKind};
use churnscope_engine::modelling::training::split_rows;
use churnscope_engine::modelling::tuning::{CrossValidation, CvLayout, TuningReport};
use churnscope_engine::monitoring::model_file::ModelFile;
use churnscope_engine::orders::baselines::BaselineRun;
use churnscope_engine::orders::features::Window;
use churnscope_engine::orders::layout::OrderMapping;
use churnscope_worker::buffers::{dataset_to_js, transfer_list, values_from_js, values_to_js};
use churnscope_worker::jobs::{
    cv_shares, dataset_header, dataset_slice, join_dataset, pack_forest, tree_shares,
    unpack_forest, ColumnValues, CvRequest, ExplainRequest, ForestRequest, JobProgress,
    ReadRequest, ReadResult, ScoreRequest, TrainRequest, WorkerEvent,
};
use churnscope_worker::monitor::{ModelRequest, MonitorRequest};
use churnscope_worker::orders::{Customers, OrdersRequest};
use churnscope_worker::pool::{
    row_ranges, row_ranges_of, share_explanation, share_forest, split_plan, table_bytes,
    PoolProgress, TRAINING_MEMORY_FACTOR,
};

/// The worker's loader, which Trunk writes next to `index.html`.
pub const WORKER_URL: &str = "./worker_loader.js";

/// What ends a job: the worker's last event with the message that carried it, or a message
/// for the user.
type Done = Box<dyn FnOnce(Result<(WorkerEvent, JsValue), String>)>;

/// A running job: the worker and its listeners, kept until the next job (dropping a
/// listener removes it from the worker).
struct RunningJob {
    worker: Worker,
    done: Rc<RefCell<Option<Done>>>,
    _on_message: EventListener,
    _on_error: EventListener,
}

thread_local! {
    /// The workers of the running job (several when it is shared out over a pool).
    static CURRENT: RefCell<Vec<RunningJob>> = const { RefCell::new(Vec::new()) };
}

/// Stops the running job, if any, on every worker; no `done` callback is called.
pub fn cancel() {
    let jobs = CURRENT.with(|c| std::mem::take(&mut *c.borrow_mut()));
    for job in jobs {
        job.done.borrow_mut().take();
        job.worker.terminate();
    }
}

/// The table a finished read sent: its buffers, back into typed columns.
fn collect(data: &JsValue, result: ReadResult) -> Result<(Dataset, ReadResult), String> {
    let values = values_from_js(data)?;
    let dataset = join_dataset(result.header.clone(), values).map_err(|e| e.to_string())?;
    Ok((dataset, result))
}

/// The event a worker's message carries (JSON in its `event` field).
fn read_event(data: &JsValue) -> Result<WorkerEvent, String> {
    js_sys::Reflect::get(data, &"event".into())
        .ok()
        .and_then(|e| e.as_string())
        .ok_or_else(|| "no event".to_string())
        .and_then(|e| serde_json::from_str::<WorkerEvent>(&e).map_err(|e| e.to_string()))
}

/// Starts a new worker (stopping any job still running) and, once it is ready, posts it
/// `message`, transferring the buffers in `transfer`. `on_update` gets each event that does
/// not end the job (progress, a model trained); `on_done` the last event or a message for
/// the user.
fn start_job(
    message: js_sys::Object,
    transfer: js_sys::Array,
    on_update: impl Fn(WorkerEvent) + 'static,
    on_done: impl FnOnce(Result<(WorkerEvent, JsValue), String>) + 'static,
) -> Result<(), String> {
    cancel();
    let job = spawn(message, transfer, on_update, on_done)?;
    CURRENT.with(|c| c.borrow_mut().push(job));
    Ok(())
}

/// The message `{ key: request, buffers }` of a job on a table, and the buffers to transfer
/// with it (moved, not copied).
fn table_message(key: &str, request: String, buffers: js_sys::Array) -> Part {
    let transfer = transfer_list(&buffers);
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &key.into(), &request.into());
    let _ = js_sys::Reflect::set(&message, &"buffers".into(), &buffers);
    (message, transfer)
}

/// One part of a pooled job: the message for its worker and the buffers it transfers.
type Part = (js_sys::Object, js_sys::Array);

/// A worker's last event and the message that carried it.
type LastEvent = (WorkerEvent, JsValue);

/// What ends a pooled job: every part's last event in the parts' order, or a message.
type PoolDone = Box<dyn FnOnce(Result<Vec<LastEvent>, String>)>;

/// Starts one worker per part (stopping any job still running). `on_update(i, event)` gets
/// part `i`'s events that do not end it; `on_done` every part's last event once all are in,
/// or the first failure (the other workers are then stopped).
fn start_pool(
    parts: Vec<Part>,
    on_update: impl Fn(usize, WorkerEvent) + 'static,
    on_done: impl FnOnce(Result<Vec<LastEvent>, String>) + 'static,
) -> Result<(), String> {
    cancel();
    let n = parts.len();
    let results: Rc<RefCell<Vec<Option<LastEvent>>>> = Rc::new(RefCell::new(vec![None; n]));
    let done: Rc<RefCell<Option<PoolDone>>> = Rc::new(RefCell::new(Some(Box::new(on_done))));
    let workers: Rc<RefCell<Vec<Worker>>> = Rc::new(RefCell::new(Vec::new()));
    let on_update = Rc::new(on_update);
    for (i, (message, transfer)) in parts.into_iter().enumerate() {
        let (results, done, all) = (results.clone(), done.clone(), workers.clone());
        let update = on_update.clone();
        let finish = move |result: Result<(WorkerEvent, JsValue), String>| {
            let outcome = match result {
                Ok(event) => {
                    let mut slots = results.borrow_mut();
                    slots[i] = Some(event);
                    if slots.iter().any(Option::is_none) {
                        return;
                    }
                    Ok(slots.iter_mut().filter_map(Option::take).collect())
                }
                Err(e) => {
                    // The job failed: its other parts are of no use.
                    for w in all.borrow().iter() {
                        w.terminate();
                    }
                    Err(e)
                }
            };
            let callback = done.borrow_mut().take();
            if let Some(callback) = callback {
                callback(outcome);
            }
        };
        let job = match spawn(message, transfer, move |ev| update(i, ev), finish) {
            Ok(job) => job,
            Err(e) => {
                cancel();
                return Err(e);
            }
        };
        workers.borrow_mut().push(job.worker.clone());
        CURRENT.with(|c| c.borrow_mut().push(job));
    }
    Ok(())
}

/// A trained model's event with its forest's trees put back: they come packed beside the
/// run, in the message's buffers ([`pack_forest`]).
fn with_its_trees(mut run: Box<ModelRun>, data: &JsValue) -> Result<WorkerEvent, String> {
    values_from_js(data)
        .and_then(|trees| unpack_forest(&mut run.outcome.pipeline, trees))
        .map_err(|e| format!("the background worker sent a model the page cannot read ({e})"))?;
    Ok(WorkerEvent::ModelTrained(run))
}

/// Starts a worker that, once ready, gets `message` (and the buffers in `transfer`).
fn spawn(
    message: js_sys::Object,
    transfer: js_sys::Array,
    on_update: impl Fn(WorkerEvent) + 'static,
    on_done: impl FnOnce(Result<(WorkerEvent, JsValue), String>) + 'static,
) -> Result<RunningJob, String> {
    let worker = Worker::new(WORKER_URL)
        .map_err(|e| format!("the browser could not start the background worker: {e:?}"))?;
    let done: Rc<RefCell<Option<Done>>> = Rc::new(RefCell::new(Some(Box::new(on_done))));
    let finish = {
        let (done, worker) = (done.clone(), worker.clone());
        move |result: Result<(WorkerEvent, JsValue), String>| {
            worker.terminate();
            let callback = done.borrow_mut().take();
            if let Some(callback) = callback {
                callback(result);
            }
        }
    };
    let finish = Rc::new(RefCell::new(Some(finish)));
    let on_message = {
        let (job_worker, finish) = (worker.clone(), finish.clone());
        EventListener::new(&worker, "message", move |ev| {
            let data = ev.unchecked_ref::<MessageEvent>().data();
            let end = |result| {
                if let Some(f) = finish.borrow_mut().take() {
                    f(result);
                }
            };
            match read_event(&data) {
                Ok(WorkerEvent::Ready) => {
                    if let Err(e) = job_worker.post_message_with_transfer(&message, &transfer) {
                        end(Err(format!(
                            "could not hand the job to the background worker: {e:?}"
                        )));
                    }
                }
                Ok(WorkerEvent::ModelTrained(run)) => match with_its_trees(run, &data) {
                    Ok(event) => on_update(event),
                    Err(e) => end(Err(e)),
                },
                Ok(event @ (WorkerEvent::Progress(_) | WorkerEvent::Baselines(_))) => {
                    on_update(event)
                }
                Ok(WorkerEvent::Failed { message }) => end(Err(message)),
                Ok(event) => end(Ok((event, data))),
                Err(e) => end(Err(format!(
                    "the background worker sent a message the page cannot read ({e})"
                ))),
            }
        })
    };
    // Not passive: the error is handled here, so the browser need not report it.
    let on_error = EventListener::new_with_options(
        &worker,
        "error",
        EventListenerOptions::enable_prevent_default(),
        move |ev| {
            let ev = ev.unchecked_ref::<ErrorEvent>();
            ev.prevent_default();
            if let Some(f) = finish.borrow_mut().take() {
                f(Err(format!(
                    "the background worker stopped unexpectedly ({}); the file may be damaged or too big for this tab",
                    ev.message()
                )));
            }
        },
    );
    Ok(RunningJob {
        worker,
        done,
        _on_message: on_message,
        _on_error: on_error,
    })
}

/// Reads `file` in a new worker (stopping any job still running). `on_progress` gets each
/// progress report; `on_done` the table and its description, or a message for the user.
pub fn start_read(
    file: Blob,
    request: &ReadRequest,
    on_progress: impl Fn(JobProgress) + 'static,
    on_done: impl FnOnce(Result<(Dataset, ReadResult), String>) + 'static,
) -> Result<(), String> {
    let request = serde_json::to_string(request).map_err(|e| e.to_string())?;
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"request".into(), &request.into());
    let _ = js_sys::Reflect::set(&message, &"file".into(), &file);
    let on_update = move |event| {
        if let WorkerEvent::Progress(p) = event {
            on_progress(p);
        }
    };
    start_job(message, js_sys::Array::new(), on_update, move |result| {
        on_done(result.and_then(|(event, data)| match event {
            WorkerEvent::Read(result) => collect(&data, *result),
            _ => Err("the background reader sent a message it should not".to_string()),
        }))
    })
}

/// What gets the baselines of a training run on customers derived from orders.
pub type OnBaselines = Box<dyn Fn(Result<Vec<BaselineRun>, String>)>;

/// Trains every model of `plan` on a copy of `dataset` in the background (stopping any job
/// still running), so the page stays responsive: on several workers at once when the plan
/// has several models, the cores and the memory allow ([`pool_workers`], each worker's copy
/// of the table counted), one progress report for them all. `on_progress` gets each
/// progress report, `on_model` each model as it finishes (not always in the plan's order);
/// `on_done` the end of the plan or a message for the user.
pub fn start_train(
    loaded: &Arc<Loaded>,
    plan: &TrainPlan,
    baselines: Option<(f64, OnBaselines)>,
    on_progress: impl Fn(JobProgress) + 'static,
    on_model: impl Fn(ModelRun) + 'static,
    on_done: impl FnOnce(Result<(), String>) + 'static,
) -> Result<(), String> {
    let (horizon, on_baselines) = match baselines {
        Some((h, f)) => (Some(h), Some(f)),
        None => (None, None),
    };
    let callbacks = TrainCallbacks {
        on_progress: Rc::new(on_progress),
        on_model: Rc::new(on_model),
        on_done: Rc::new(RefCell::new(Some(Box::new(on_done)))),
        on_baselines,
    };
    if let Some(workers) = shared_explanation(&loaded.dataset, plan) {
        return start_explained_on_pool(loaded.clone(), plan, workers, horizon, callbacks);
    }
    start_training(&loaded.dataset, plan, horizon, callbacks)
}

/// Trains `plan` as [`start_train`] says, its explanations (if it asks for them) made
/// where each model is trained.
fn start_training(
    dataset: &Dataset,
    plan: &TrainPlan,
    horizon: Option<f64>,
    callbacks: TrainCallbacks,
) -> Result<(), String> {
    if let Some(shared) = shared_cv(dataset, plan) {
        return start_shared_cv(dataset, plan, shared, horizon, callbacks);
    }
    if let Some(workers) = shared_forest(dataset, plan) {
        return start_shared_forest(dataset, plan, workers, horizon, callbacks);
    }
    let total = plan.models().len();
    let workers = if total > 1 {
        pool_workers(table_bytes(dataset) * TRAINING_MEMORY_FACTOR as u64)
    } else {
        1
    };
    let shares = split_plan(plan, workers);
    let weights: Vec<usize> = shares.iter().map(|(p, _)| p.models.len()).collect();
    let header = dataset_header(dataset);
    let mut parts = Vec::with_capacity(shares.len());
    for (k, (share, numbers)) in shares.into_iter().enumerate() {
        let request = TrainRequest {
            plan: share,
            header: header.clone(),
            // The baselines are judged on the test customers, the same for every model.
            baseline_horizon_days: if k == 0 { horizon } else { None },
            numbering: Some((numbers, total)),
        };
        let request = serde_json::to_string(&request).map_err(|e| e.to_string())?;
        parts.push(table_message("train", request, dataset_to_js(dataset)));
    }
    start_train_pool(parts, &weights, callbacks)
}

/// What a training job reports to: progress, each model, the baselines, and its end (kept
/// in a cell, so that whichever stage ends the job calls it once).
struct TrainCallbacks {
    on_progress: Rc<dyn Fn(JobProgress)>,
    on_model: Rc<dyn Fn(ModelRun)>,
    on_done: TrainDone,
    on_baselines: Option<OnBaselines>,
}

/// The end of a training job, called once by whichever stage ends it.
type TrainDone = Rc<RefCell<Option<Box<dyn FnOnce(Result<(), String>)>>>>;

/// Ends the job (once).
fn finish(on_done: &TrainDone, result: Result<(), String>) {
    let callback = on_done.borrow_mut().take();
    if let Some(callback) = callback {
        callback(result);
    }
}

/// Starts the training parts (`weights`: models each) on a pool, one progress report for
/// them all.
fn start_train_pool(
    parts: Vec<Part>,
    weights: &[usize],
    callbacks: TrainCallbacks,
) -> Result<(), String> {
    let pool = RefCell::new(PoolProgress::models(weights));
    let TrainCallbacks {
        on_progress,
        on_model,
        on_done,
        on_baselines,
    } = callbacks;
    let on_update = move |i: usize, event| match event {
        WorkerEvent::Progress(p) => on_progress(pool.borrow_mut().observe(i, p)),
        WorkerEvent::ModelTrained(run) => on_model(*run),
        WorkerEvent::Baselines(runs) => {
            if let Some(f) = &on_baselines {
                f(runs.map_err(|e| e.0))
            }
        }
        _ => {}
    };
    start_pool(parts, on_update, move |result| {
        let result = result.and_then(|events| {
            match events
                .iter()
                .all(|(e, _)| matches!(e, WorkerEvent::Finished))
            {
                true => Ok(()),
                false => Err("the background worker sent a message it should not".to_string()),
            }
        });
        finish(&on_done, result);
    })
}

/// A plan of one model whose cross-validation has more than one task, when the pool has
/// room for more than one worker ([`pool_workers`], each worker's copy of the table
/// counted): the model, its tasks' layout and the workers to share them over.
fn shared_cv(dataset: &Dataset, plan: &TrainPlan) -> Option<(ModelKind, CvLayout, usize)> {
    let models = plan.models();
    let [kind] = models[..] else {
        return None;
    };
    if plan.tuned.is_some() {
        return None;
    }
    let config = plan.config_for(kind);
    let tuning = config.tuning.as_ref()?;
    // Anything wrong with the data is the training job's to report.
    let split = split_rows(dataset, &plan.config).ok()?;
    let layout = CrossValidation::new(dataset, &split.train, &config, tuning)
        .ok()?
        .layout();
    let workers =
        pool_workers(table_bytes(dataset) * TRAINING_MEMORY_FACTOR as u64).min(layout.tasks());
    (workers > 1).then_some((kind, layout, workers))
}

/// Trains the one model of `plan` with its cross-validation shared out: the folds (and the
/// settings searched) over a pool of workers, each with its share of the tasks, then the
/// final fit on one worker with the report they make ([`TrainPlan::tuned`]). One progress
/// bar over both stages, weighted by their fits.
fn start_shared_cv(
    dataset: &Dataset,
    plan: &TrainPlan,
    (kind, layout, workers): (ModelKind, CvLayout, usize),
    horizon: Option<f64>,
    callbacks: TrainCallbacks,
) -> Result<(), String> {
    let shares = cv_shares(layout.tasks(), workers);
    let header = dataset_header(dataset);
    let mut parts = Vec::with_capacity(shares.len());
    for tasks in &shares {
        let request = CvRequest {
            plan: plan.clone(),
            model: kind,
            header: header.clone(),
            tasks: tasks.clone(),
        };
        let request = serde_json::to_string(&request).map_err(|e| e.to_string())?;
        parts.push(table_message("cv", request, dataset_to_js(dataset)));
    }
    let weights: Vec<usize> = shares.iter().map(Vec::len).collect();
    let cv_fits = layout.folds * layout.settings.len();
    let all_fits = (plan.fits_for(kind) + usize::from(plan.explain)).max(cv_fits + 1);
    let share = cv_fits as f64 / all_fits as f64;
    let stage = FirstStage {
        parts,
        weights,
        share,
    };
    start_two_stages(
        dataset,
        plan,
        stage,
        horizon,
        callbacks,
        move |events, plan| {
            plan.tuned = Some(cv_report(events, &layout)?);
            Ok(None)
        },
    )
}

/// A plan of one forest without cross-validation, big enough for the pool to pay
/// ([`share_forest`]), when the pool has room for more than one worker ([`pool_workers`],
/// each worker's copy of the table counted): the workers to share its trees over.
fn shared_forest(dataset: &Dataset, plan: &TrainPlan) -> Option<usize> {
    if plan.models() != [ModelKind::Forest] || plan.grown_trees.is_some() {
        return None;
    }
    let config = plan.config_for(ModelKind::Forest);
    if config.tuning.is_some() {
        return None;
    }
    // Anything wrong with the data is the training job's to report.
    let rows = split_rows(dataset, &plan.config).ok()?.train.len();
    let features = dataset
        .columns
        .len()
        .saturating_sub(1 + plan.config.ignore.len());
    if !share_forest(rows, features, config.forest.trees()) {
        return None;
    }
    let workers = pool_workers(table_bytes(dataset) * TRAINING_MEMORY_FACTOR as u64)
        .min(config.forest.trees());
    (workers > 1).then_some(workers)
}

/// Trains the forest of `plan` with its trees shared out: consecutive runs of trees over a
/// pool of workers, then the forest put together, evaluated and explained on one worker
/// ([`TrainPlan::grown_trees`]). One progress bar over both stages.
fn start_shared_forest(
    dataset: &Dataset,
    plan: &TrainPlan,
    workers: usize,
    horizon: Option<f64>,
    callbacks: TrainCallbacks,
) -> Result<(), String> {
    let config = plan.config_for(ModelKind::Forest);
    let shares = tree_shares(config.forest.trees(), workers);
    let header = dataset_header(dataset);
    let mut parts = Vec::with_capacity(shares.len());
    for trees in &shares {
        let request = ForestRequest {
            plan: plan.clone(),
            header: header.clone(),
            trees: trees.clone(),
        };
        let request = serde_json::to_string(&request).map_err(|e| e.to_string())?;
        parts.push(table_message("forest", request, dataset_to_js(dataset)));
    }
    let weights: Vec<usize> = shares.iter().map(|r| r.len()).collect();
    // The trees are one fit of the plan's; the final worker's fits (out-of-fold ones behind
    // calibration or a threshold) and the explanations the rest.
    let all_fits = plan.fits_for(ModelKind::Forest) + usize::from(plan.explain);
    let stage = FirstStage {
        parts,
        weights,
        share: 1.0 / all_fits.max(1) as f64,
    };
    // The trees stay packed: the page passes each share's two buffers on to the final
    // worker, in order, without reading them.
    start_two_stages(dataset, plan, stage, horizon, callbacks, |events, _| {
        let packed = js_sys::Array::new();
        for (event, data) in events {
            let WorkerEvent::ForestTrees { .. } = event else {
                return Err("the background worker sent a message it should not".to_string());
            };
            let buffers = js_sys::Reflect::get(&data, &"buffers".into())
                .ok()
                .and_then(|b| b.dyn_into::<js_sys::Array>().ok())
                .filter(|b| b.length() == 2)
                .ok_or("a background worker sent its trees in an unknown form")?;
            for b in buffers.iter() {
                packed.push(&b);
            }
        }
        Ok(Some(packed))
    })
}

/// The first stage of a training job shared out over a pool: its parts, their weights in
/// its progress, and its share of the whole job's progress.
struct FirstStage {
    parts: Vec<Part>,
    weights: Vec<usize>,
    share: f64,
}

/// Runs `first` on a pool, then, with the plan `complete`d from its parts' last events
/// (in the parts' order; it may give buffers for the final message's `trees`), the plan's
/// final fit, evaluation and explanations on one worker.
/// One progress bar over both stages; one Cancel stops whichever workers are running.
fn start_two_stages(
    dataset: &Dataset,
    plan: &TrainPlan,
    first: FirstStage,
    horizon: Option<f64>,
    callbacks: TrainCallbacks,
    complete: impl FnOnce(Vec<LastEvent>, &mut TrainPlan) -> Result<Option<js_sys::Array>, String>
        + 'static,
) -> Result<(), String> {
    let FirstStage {
        parts,
        weights,
        share,
    } = first;
    let header = dataset_header(dataset);
    // The final fit's copy of the table, made now: the page's table is not at hand when
    // the first stage is done.
    let final_buffers = dataset_to_js(dataset);
    let pool = RefCell::new(PoolProgress::models(&weights));
    let on_progress = callbacks.on_progress.clone();
    let on_update = move |i: usize, event| {
        if let WorkerEvent::Progress(p) = event {
            let mut p = pool.borrow_mut().observe(i, p);
            p.fraction *= share;
            on_progress(p);
        }
    };
    let mut plan = plan.clone();
    start_pool(parts, on_update, move |result| {
        let trees = match result.and_then(|events| complete(events, &mut plan)) {
            Ok(trees) => trees,
            Err(e) => return finish(&callbacks.on_done, Err(e)),
        };
        let request = TrainRequest {
            plan,
            header,
            baseline_horizon_days: horizon,
            numbering: None,
        };
        let request = match serde_json::to_string(&request) {
            Ok(r) => r,
            Err(e) => return finish(&callbacks.on_done, Err(e.to_string())),
        };
        let part = table_message("train", request, final_buffers);
        if let Some(trees) = trees {
            let _ = js_sys::Reflect::set(&part.0, &"trees".into(), &trees);
            for b in transfer_list(&trees).iter() {
                part.1.push(&b);
            }
        }
        let on_progress = callbacks.on_progress.clone();
        let rest = TrainCallbacks {
            on_progress: Rc::new(move |mut p: JobProgress| {
                p.fraction = share + (1.0 - share) * p.fraction;
                on_progress(p)
            }),
            on_model: callbacks.on_model.clone(),
            on_done: callbacks.on_done.clone(),
            on_baselines: callbacks.on_baselines,
        };
        let on_done = rest.on_done.clone();
        if let Err(e) = start_train_pool(vec![part], &[1], rest) {
            finish(&on_done, Err(e));
        }
    })
}

/// A plan of one forest that asks for explanations big enough for the pool to pay
/// ([`share_explanation`]), when the pool has room for more than one worker: the workers
/// to share the explanation over. Only the forest's: its deep trees' paths are walked
/// again for most shuffles, so its explanation takes seconds (6.3 s on one worker for the
/// 50,000-customer sample, 7.0 s on 100,000 x 30, Chromium, 2 cores), while the other
/// models explain in about a second or less, less than the pool's two stages cost to
/// start (sharing out lost 0.1 s for the boosted trees and 0.6 s for the network on the
/// sample, 0.3 s for the boosted trees on 100,000 x 30).
fn shared_explanation(dataset: &Dataset, plan: &TrainPlan) -> Option<usize> {
    if !plan.explain || plan.models() != [ModelKind::Forest] {
        return None;
    }
    // Anything wrong with the data is the training job's to report.
    let rows = split_rows(dataset, &plan.config)
        .ok()?
        .test
        .len()
        .min(EXPLAIN_ROWS);
    let columns = dataset
        .columns
        .len()
        .saturating_sub(1 + plan.config.ignore.len());
    if !share_explanation(rows, columns) {
        return None;
    }
    let cells = ((rows + RISKY_CUSTOMERS) * dataset.columns.len()) as u64;
    let workers = pool_workers(8 * cells * TRAINING_MEMORY_FACTOR as u64).min(columns);
    (workers > 1).then_some(workers)
}

/// Trains the one model of `plan` without its explanation (on one worker or shared out as
/// [`start_training`] does), then shares the explanation out over a pool of `workers`:
/// first the columns' permutation importance, then the partial dependence of the most
/// important numeric ones (`churnscope_engine::evaluating::explain_parts`), each part on
/// the few thousand rows it uses. The model reaches the page explained, as on one worker.
/// One progress bar over the stages; one Cancel stops whichever workers are running.
fn start_explained_on_pool(
    loaded: Arc<Loaded>,
    plan: &TrainPlan,
    workers: usize,
    horizon: Option<f64>,
    callbacks: TrainCallbacks,
) -> Result<(), String> {
    let kind = plan.models()[0];
    let seed = plan.config_for(kind).seed;
    let mut training = plan.clone();
    training.explain = false;
    // The training's share of the progress: its fits, the explanation counted as one more.
    let fits = plan.fits_for(kind);
    let share = fits as f64 / (fits + 1) as f64;
    let trained: Rc<RefCell<Option<ModelRun>>> = Rc::default();
    let TrainCallbacks {
        on_progress,
        on_model,
        on_done,
        on_baselines,
    } = callbacks;
    let outer = Explaining {
        on_progress: on_progress.clone(),
        on_model,
        on_done,
        share,
        workers,
    };
    let keep = trained.clone();
    let dataset = loaded.clone();
    let inner = TrainCallbacks {
        on_progress: Rc::new(move |mut p: JobProgress| {
            p.fraction *= share;
            on_progress(p)
        }),
        on_model: Rc::new(move |run| *keep.borrow_mut() = Some(run)),
        on_done: Rc::new(RefCell::new(Some(Box::new(
            move |result: Result<(), String>| {
                let run = trained.borrow_mut().take();
                let result = result.and_then(|()| {
                    let run = run.ok_or("the background worker sent no model")?;
                    let table = ExplainTable::of(&dataset.dataset, &run, seed)
                        .map_err(|e| e.to_string())?;
                    explain_importance(table, run, &outer)
                });
                if let Err(e) = result {
                    finish(&outer.on_done, Err(e));
                }
            },
        )))),
        on_baselines,
    };
    start_training(&loaded.dataset, &training, horizon, inner)
}

/// Where a model explained over the pool goes, and the pool's size: the training job's
/// progress (the explanation's share of it the rest after `share`), model and end.
#[derive(Clone)]
struct Explaining {
    on_progress: Rc<dyn Fn(JobProgress)>,
    on_model: Rc<dyn Fn(ModelRun)>,
    on_done: TrainDone,
    share: f64,
    workers: usize,
}

/// The parts of one stage of explaining `run`: each `part` with the rows of `table`, the
/// pipeline's JSON written once for all.
fn explain_parts(
    table: &ExplainTable,
    run: &ModelRun,
    parts: Vec<ExplainPart>,
) -> Result<Vec<Part>, String> {
    let (pipeline, trees) = pipeline_apart(&run.outcome.pipeline)?;
    let pipeline = JsValue::from(pipeline);
    let header = dataset_header(&table.table);
    parts
        .into_iter()
        .map(|part| {
            let request = ExplainRequest {
                model: run.kind,
                header: header.clone(),
                sample: table.sample.clone(),
                part,
            };
            let request = serde_json::to_string(&request).map_err(|e| e.to_string())?;
            let message = table_message("explain", request, dataset_to_js(&table.table));
            let _ = js_sys::Reflect::set(&message.0, &"pipeline".into(), &pipeline);
            with_trees(&message, &trees);
            Ok(message)
        })
        .collect()
}

/// `pipeline` for messages to workers: its JSON without a forest's trees, and the trees
/// packed ([`pack_forest`]; none for the other models), made once for every worker.
fn pipeline_apart(pipeline: &FittedPipeline) -> Result<(String, Vec<ColumnValues>), String> {
    let (bare, trees) = pack_forest(pipeline);
    let json = serde_json::to_string(&bare).map_err(|e| e.to_string())?;
    Ok((json, trees))
}

/// Adds a copy of the packed `trees` to `part`'s message as `packed_trees`, transferred.
fn with_trees(part: &Part, trees: &[ColumnValues]) {
    if trees.is_empty() {
        return;
    }
    let buffers = values_to_js(trees.to_vec());
    for b in transfer_list(&buffers).iter() {
        part.1.push(&b);
    }
    let _ = js_sys::Reflect::set(&part.0, &"packed_trees".into(), &buffers);
}

/// The parts a stage of explaining got back, in order.
fn explained_parts(events: Vec<LastEvent>) -> Result<Vec<ExplainedPart>, String> {
    events
        .into_iter()
        .map(|(event, _)| match event {
            WorkerEvent::Explained(part) => Ok(*part),
            _ => Err("the background worker sent a message it should not".to_string()),
        })
        .collect()
}

/// Starts a stage of explaining on the pool: `parts` of `weights` units each, its progress
/// the part of the explanation's from `from` to `to` (fractions of it).
fn start_explain_stage(
    parts: Vec<Part>,
    weights: &[usize],
    what: String,
    (from, to): (f64, f64),
    outer: &Explaining,
    on_done: impl FnOnce(Result<Vec<LastEvent>, String>) + 'static,
) -> Result<(), String> {
    let pool = RefCell::new(PoolProgress::rows(weights, what));
    let (on_progress, share) = (outer.on_progress.clone(), outer.share);
    let on_update = move |i: usize, event| {
        if let WorkerEvent::Progress(p) = event {
            let mut p = pool.borrow_mut().observe(i, p);
            p.fraction = share + (1.0 - share) * (from + (to - from) * p.fraction);
            on_progress(p);
        }
    };
    start_pool(parts, on_update, on_done)
}

/// The first stage of explaining `run` on the pool: each worker some of the input columns'
/// permutation importance (every `workers`th), the last also the riskiest
/// customers' reasons; then the partial dependence ([`explain_dependence`]).
fn explain_importance(
    table: ExplainTable,
    run: ModelRun,
    outer: &Explaining,
) -> Result<(), String> {
    let columns = ExplainTable::columns(&run.outcome.pipeline).len();
    // Every `workers`th column to each, so the columns whose shuffles change the most
    // paths are spread out.
    let shares = cv_shares(columns, outer.workers);
    let last = shares.len() - 1;
    let weights: Vec<usize> = shares
        .iter()
        .map(|s| s.len() * IMPORTANCE_REPEATS)
        .collect();
    let parts: Vec<ExplainPart> = shares
        .into_iter()
        .enumerate()
        .map(|(k, importance)| ExplainPart {
            importance,
            reasons: k == last,
            ..ExplainPart::default()
        })
        .collect();
    // The importance's share of the explanation, the curves' points counted as shuffles.
    let shuffles = (columns * IMPORTANCE_REPEATS) as f64;
    let split = shuffles / (shuffles + (PD_COLUMNS * PD_GRID) as f64);
    let what = format!("{}: explaining, shuffles", model_label(run.kind));
    let messages = explain_parts(&table, &run, parts)?;
    let then = outer.clone();
    start_explain_stage(
        messages,
        &weights,
        what,
        (0.0, split),
        outer,
        move |result| {
            let result = result.and_then(explained_parts).and_then(|parts| {
                let mut reasons = None;
                let mut importance = Vec::with_capacity(parts.len());
                for part in parts {
                    reasons = reasons.or(part.reasons);
                    importance.push(part.importance);
                }
                let importance = merge_importance(importance);
                explain_dependence(table, run, importance, reasons, split, &then)
            });
            if let Err(e) = result {
                finish(&then.on_done, Err(e));
            }
        },
    )
}

/// The second stage of explaining `run` on the pool: the partial dependence's grid points
/// of the most important numeric columns (`importance`, ranked) shared out in consecutive
/// runs; then the explanation put together and the model handed to the page.
fn explain_dependence(
    table: ExplainTable,
    run: ModelRun,
    importance: Vec<Importance>,
    reasons: Option<churnscope_engine::evaluating::explain_parts::Reasons>,
    from: f64,
    outer: &Explaining,
) -> Result<(), String> {
    let grids = table
        .dependence_grids(&run.outcome.pipeline, &importance)
        .map_err(|e| e.to_string())?;
    let points: Vec<(&String, f64)> = grids
        .iter()
        .flat_map(|(c, grid)| grid.iter().map(move |&v| (c, v)))
        .collect();
    let deliver = |table: ExplainTable, mut run: ModelRun, dependence, outer: &Explaining| {
        run.explanation = Some(table.assemble(importance, dependence, reasons));
        (outer.on_model)(run);
        finish(&outer.on_done, Ok(()));
    };
    if points.is_empty() {
        deliver(table, run, Vec::new(), outer);
        return Ok(());
    }
    let shares = row_ranges_of(points.len(), outer.workers, 1);
    let parts: Vec<ExplainPart> = shares
        .iter()
        .map(|r| {
            let mut asked: Vec<(String, Vec<f64>)> = Vec::new();
            for &(c, v) in &points[r.clone()] {
                match asked.last_mut() {
                    Some((last, values)) if last == c => values.push(v),
                    _ => asked.push((c.clone(), vec![v])),
                }
            }
            ExplainPart {
                dependence: asked,
                ..ExplainPart::default()
            }
        })
        .collect();
    let weights: Vec<usize> = shares.iter().map(|r| r.len()).collect();
    let what = format!("{}: partial dependence, grid points", model_label(run.kind));
    let messages = explain_parts(&table, &run, parts)?;
    let then = outer.clone();
    start_explain_stage(
        messages,
        &weights,
        what,
        (from, 1.0),
        outer,
        move |result| match result.and_then(explained_parts) {
            Ok(parts) => {
                let dependence = parts.into_iter().flat_map(|p| p.dependence).collect();
                deliver(table, run, dependence, &then);
            }
            Err(e) => finish(&then.on_done, Err(e)),
        },
    )
}

/// The report of a shared-out cross-validation from its workers' last events.
fn cv_report(events: Vec<LastEvent>, layout: &CvLayout) -> Result<TuningReport, String> {
    let mut results: Vec<Option<Vec<f64>>> = vec![None; layout.tasks()];
    for (event, _) in events {
        let WorkerEvent::CvScores { scores } = event else {
            return Err("the background worker sent a message it should not".to_string());
        };
        for (t, task_scores) in scores {
            if let Some(slot) = results.get_mut(t) {
                *slot = Some(task_scores);
            }
        }
    }
    let results: Option<Vec<Vec<f64>>> = results.into_iter().collect();
    let results = results.ok_or("a background worker left a cross-validation task out")?;
    layout.report(results).map_err(|e| e.to_string())
}

/// Scores every customer of `dataset` with `pipeline` in the background (stopping any job
/// still running), with each customer's reasons: the rows shared out over a pool of
/// workers ([`pool_workers`]), each getting only its slice of the table, so the pool holds
/// one copy of it in all. `on_progress` gets one progress report for them all; `on_done`
/// the scored customers in the table's order, or a message for the user.
pub fn start_score(
    dataset: &Dataset,
    pipeline: &FittedPipeline,
    on_progress: impl Fn(JobProgress) + 'static,
    on_done: impl FnOnce(Result<Vec<ScoredCustomer>, String>) + 'static,
) -> Result<(), String> {
    let ranges = row_ranges(dataset.n_rows, pool_workers(0));
    let weights: Vec<usize> = ranges.iter().map(|r| r.len()).collect();
    let mut parts = Vec::with_capacity(ranges.len());
    // A forest's trees travel packed beside each request ([`pack_forest`]).
    let (pipeline, trees) = pack_forest(pipeline);
    for range in ranges {
        let (header, values) = dataset_slice(dataset, range.clone());
        let request = ScoreRequest {
            pipeline: pipeline.clone(),
            header,
            first_row: range.start,
        };
        let request = serde_json::to_string(&request).map_err(|e| e.to_string())?;
        let part = table_message("score", request, values_to_js(values));
        with_trees(&part, &trees);
        parts.push(part);
    }
    let pool = RefCell::new(PoolProgress::rows(
        &weights,
        "Scoring customers and finding their reasons",
    ));
    let on_update = move |i: usize, event| {
        if let WorkerEvent::Progress(p) = event {
            on_progress(pool.borrow_mut().observe(i, p))
        }
    };
    start_pool(parts, on_update, move |result| {
        on_done(result.and_then(|events| {
            let mut all = Vec::with_capacity(weights.iter().sum());
            for (event, _) in events {
                match event {
                    WorkerEvent::Scored { customers } => all.extend(customers),
                    _ => {
                        return Err("the background worker sent a message it should not".to_string())
                    }
                }
            }
            Ok(all)
        }))
    })
}

/// Assembles the model file of a run on `dataset` (its reference profile) in a new worker.
pub fn start_model(
    dataset: &Dataset,
    mut request: ModelRequest,
    on_done: impl FnOnce(Result<ModelFile, String>) + 'static,
) -> Result<(), String> {
    request.header = dataset_header(dataset);
    let request = serde_json::to_string(&request).map_err(|e| e.to_string())?;
    let (message, transfer) = table_message("model", request, dataset_to_js(dataset));
    start_job(
        message,
        transfer,
        |_| {},
        move |result| {
            on_done(result.and_then(|(event, _)| match event {
                WorkerEvent::Model(file) => Ok(*file),
                _ => Err("the background worker sent a message it should not".to_string()),
            }))
        },
    )
}

/// Reads `file` in a new worker and checks it against (or retrains) the saved model of
/// `request`; a retrain also trains on `original` (the model's training data, still open). `on_done` gets the worker's last event (`Checked` or `Retrained`).
pub fn start_monitor(
    file: Blob,
    request: &MonitorRequest,
    original: Option<&Dataset>,
    on_progress: impl Fn(JobProgress) + 'static,
    on_done: impl FnOnce(Result<WorkerEvent, String>) + 'static,
) -> Result<(), String> {
    let mut request = request.clone();
    request.original = original.map(dataset_header);
    let request = serde_json::to_string(&request).map_err(|e| e.to_string())?;
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"monitor".into(), &request.into());
    let _ = js_sys::Reflect::set(&message, &"file".into(), &file);
    let mut transfer = js_sys::Array::new();
    if let Some(dataset) = original {
        let buffers = dataset_to_js(dataset);
        transfer = transfer_list(&buffers);
        let _ = js_sys::Reflect::set(&message, &"buffers".into(), &buffers);
    }
    let on_update = move |event| {
        if let WorkerEvent::Progress(p) = event {
            on_progress(p)
        }
    };
    start_job(message, transfer, on_update, move |result| {
        on_done(result.map(|(event, _)| event))
    })
}

/// Turns the order log `dataset` into customers as `mapping` and `window` say, in a new
/// worker (stopping any job still running). `on_progress` gets each progress report;
/// `on_done` the labelled and current customers, or a message for the user.
pub fn start_orders(
    dataset: &Dataset,
    mapping: OrderMapping,
    window: Window,
    on_progress: impl Fn(JobProgress) + 'static,
    on_done: impl FnOnce(Result<Customers, String>) + 'static,
) -> Result<(), String> {
    let request = OrdersRequest {
        header: dataset_header(dataset),
        mapping,
        window,
    };
    let request = serde_json::to_string(&request).map_err(|e| e.to_string())?;
    let (message, transfer) = table_message("orders", request, dataset_to_js(dataset));
    let on_update = move |event| {
        if let WorkerEvent::Progress(p) = event {
            on_progress(p)
        }
    };
    start_job(message, transfer, on_update, move |result| {
        on_done(result.and_then(|(event, data)| match event {
            WorkerEvent::Derived(result) => result.join(values_from_js(&data)?),
            _ => Err("the background worker sent a message it should not".to_string()),
        }))
    })
}
