//! The app: owns the workflow state and lays out the panels.
//!
//! State lives here and flows down: the loaded table, the chosen target, the training outcome,
//! what is running, and the current error. An error never clears what the user already has:
//! a bad second file leaves the first one loaded and its results on screen.

use std::sync::Arc;

use leptos::prelude::*;

use send_wrapper::SendWrapper;
use web_sys::Blob;

use super::actions::{ActionState, ActionsPanel, Scored};
use super::browser::{now_ms, query_param};
use super::chart_canvas::{ChartCanvas, Draw};
use super::columns::{ColumnTable, ReadControls};
use super::privacy::PrivacyPanel;
use super::profile::ProfilePanel;
use super::results::lines;
use super::results::Results;
use super::target::TargetPicker;
use super::train_form::{TrainForm, TrainSettings};
use super::upload::UploadPanel;
use super::worker::{cancel as cancel_job, start_read, start_score, start_train};
use churnscope_charts::{LegendAt, LineChart, Series};
use churnscope_engine::dataset::{Column, ColumnKind, ColumnSummary, Dataset};
use churnscope_engine::evaluating::evaluation::{best_model, model_label, ModelRun};
use churnscope_engine::modelling::pipeline::ModelKind;
use churnscope_engine::reading::ingest::{ReadInfo, ReadOptions};
use churnscope_engine::understanding::checks::{check, DataWarning};
use churnscope_engine::understanding::clean::{apply_merges, suggest_merges};
use churnscope_engine::understanding::profile::profile_column;
use churnscope_engine::understanding::target::{binary_columns, detect_target, target_for, Target};
use churnscope_worker::jobs::{FitRequest, JobProgress, ReadRequest, ReadResult};

/// A parsed file and what the page shows about it. The file itself (a browser `Blob`, not
/// a copy of its bytes) is kept so it can be read again with another encoding, delimiter
/// or sheet without asking for it again.
struct Loaded {
    name: String,
    source: SendWrapper<Blob>,
    options: ReadOptions,
    dataset: Dataset,
    summary: Vec<ColumnSummary>,
    candidates: Vec<String>,
    info: ReadInfo,
    parse_ms: f64,
    /// Warnings the reader computed for the target it proposed, so the first view needs no
    /// second pass over a big table on the page's thread.
    first_warnings: Option<(Option<Target>, Vec<DataWarning>)>,
}

impl Loaded {
    /// The same table with one column changed by the user (its kind, or merged levels).
    fn with_column(&self, column: &str, change: impl FnOnce(&mut Column)) -> Self {
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
        }
    }
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let (loaded, set_loaded) = signal(None::<Arc<Loaded>>);
    let (target, set_target) = signal(None::<Target>);
    // The models of the last training run, the one in use, and the table they were
    // trained on.
    let runs = RwSignal::new(Vec::<Arc<ModelRun>>::new());
    let chosen = RwSignal::new(0usize);
    let (trained_on, set_trained_on) = signal(None::<Arc<Loaded>>);
    let train_ms = RwSignal::new(0.0f64);
    let settings = RwSignal::new(TrainSettings::default());
    // The operating threshold of the model in use, and what the action step keeps.
    let threshold = RwSignal::new(0.5f64);
    let action_state = ActionState::new();
    let clear_results = move || {
        runs.set(Vec::new());
        set_trained_on.set(None);
        action_state.scored.set(Vec::new());
    };
    // The model in use; a new one only when another model is chosen (compared by pointer,
    // not by value).
    let current = Memo::new_with_compare(
        move |_| {
            let list = runs.get();
            list.get(chosen.get()).or(list.last()).cloned()
        },
        |a: Option<&Option<Arc<ModelRun>>>, b: Option<&Option<Arc<ModelRun>>>| match (a, b) {
            (Some(Some(a)), Some(Some(b))) => !Arc::ptr_eq(a, b),
            (Some(None), Some(None)) => false,
            _ => true,
        },
    );
    // Whether the training run going on (or last run) has delivered a model yet.
    let run_has_models = RwSignal::new(false);
    let (busy, set_busy) = signal(None::<&'static str>);
    let (error, set_error) = signal(None::<String>);
    let (notice, set_notice) = signal(None::<String>);
    let (progress, set_progress) = signal(None::<JobProgress>);
    // When the running job started (page clock, ms), for the time elapsed beside its progress.
    let (job_started, set_job_started) = signal(0.0f64);
    // The browser fit benchmark's result (see `bench_fit_request`).
    let (bench_fit, set_bench_fit) = signal(None::<String>);
    let (selected, set_selected) = signal(None::<String>);
    let is_busy = Signal::derive(move || busy.with(Option::is_some));
    let on_select = Callback::new(move |column: String| set_selected.set(Some(column)));
    let profile = Memo::new(move |_| {
        let name = selected.get()?;
        let l = loaded.get()?;
        let column = l.dataset.column(&name)?;
        Some((
            target.with(|t| profile_column(&l.dataset, column, t.as_ref())),
            suggest_merges(column),
        ))
    });
    let on_merge = Callback::new(move |merges: Vec<(String, String)>| {
        let (Some(l), Some(column)) = (loaded.get(), selected.get()) else {
            return;
        };
        set_error.set(None);
        clear_results();
        let next = l.with_column(&column, |c| *c = apply_merges(c, &merges));
        set_loaded.set(Some(Arc::new(next)));
    });

    // Reads (or re-reads) a file in the background worker; on failure or cancel the
    // previous table and results stay. `keep` is the target to keep when re-reading the
    // same file with other options.
    let read = move |name: String,
                     source: SendWrapper<Blob>,
                     options: ReadOptions,
                     keep: Option<Target>| {
        set_busy.set(Some("Reading the file…"));
        set_error.set(None);
        set_notice.set(None);
        set_job_started.set(now_ms());
        set_progress.set(Some(JobProgress::new("Starting the reader", 0.0)));
        let mut request = ReadRequest::new(&name, &options);
        request.fit = bench_fit_request();
        let file = (*source).clone();
        let on_done = move |result: Result<(Dataset, ReadResult), String>| {
            set_busy.set(None);
            set_progress.set(None);
            let (dataset, result) = match result {
                Ok(read) => read,
                Err(message) => {
                    set_error.set(Some(message));
                    return;
                }
            };
            let kept = keep.and_then(|t| target_for(&dataset, &t.column, Some(&t.positive)).ok());
            let (proposed, first_warnings) = match kept {
                Some(t) => (Some(t), None),
                None => match result.target {
                    Ok(t) => (t.clone(), Some((t, result.warnings))),
                    Err(e) => {
                        set_error.set(Some(format!("{name}: {e}")));
                        (None, Some((None, result.warnings)))
                    }
                },
            };
            set_bench_fit.set(result.fit.map(|r| match r {
                Ok(report) => serde_json::to_string(&report).unwrap_or_default(),
                Err(e) => format!("fit failed: {e}"),
            }));
            set_target.set(proposed);
            clear_results();
            set_loaded.set(Some(Arc::new(Loaded {
                name,
                source,
                options,
                dataset,
                summary: result.summary,
                candidates: result.candidates,
                info: result.info,
                parse_ms: result.parse_ms,
                first_warnings,
            })));
        };
        if let Err(e) = start_read(file, &request, move |p| set_progress.set(Some(p)), on_done) {
            set_busy.set(None);
            set_progress.set(None);
            set_error.set(Some(e));
        }
    };
    let on_cancel = Callback::new(move |()| {
        let was_training = busy.get_untracked() == Some(TRAINING);
        let was_scoring = busy.get_untracked() == Some(SCORING);
        cancel_job();
        set_busy.set(None);
        set_progress.set(None);
        set_notice.set(Some(if was_scoring {
            "Scoring stopped. The results and settings are as they were.".to_string()
        } else if was_training && run_has_models.get_untracked() {
            // The models finished before Cancel are this run's results: recommend and use
            // the best of them, and untick the ones that were not trained.
            let finished: Vec<ModelKind> =
                runs.with_untracked(|list| list.iter().map(|r| r.kind).collect());
            let stopped: Vec<ModelKind> = settings.with_untracked(|s| {
                s.models
                    .iter()
                    .copied()
                    .filter(|m| !finished.contains(m))
                    .collect()
            });
            settings.update(|s| s.models.retain(|m| finished.contains(m)));
            let best = runs.with_untracked(|list| best_model(list.as_slice()));
            chosen.set(best.unwrap_or(0));
            train_ms.set(now_ms() - job_started.get_untracked());
            cancel_message(&finished, &stopped, best.map(|b| finished[b]))
        } else if was_training {
            "Training stopped before any model finished. Nothing was changed.".to_string()
        } else if loaded.with_untracked(Option::is_some) {
            "Reading stopped. The table you had is still here.".to_string()
        } else {
            "Reading stopped.".to_string()
        }));
    });
    let on_load = Callback::new(move |(name, file): (String, SendWrapper<Blob>)| {
        read(name, file, ReadOptions::default(), None);
    });
    let on_read_options = Callback::new(move |options: ReadOptions| {
        if let Some(l) = loaded.get() {
            read(
                l.name.clone(),
                l.source.clone(),
                options,
                target.get_untracked(),
            );
        }
    });
    let on_kind = Callback::new(move |(column, kind): (String, ColumnKind)| {
        let Some(l) = loaded.get() else { return };
        let next = l.with_column(&column, |c| c.kind = kind);
        // Keep the target if it is still a two-valued column; otherwise propose again.
        let keep = target.with(|t| {
            t.as_ref()
                .is_some_and(|t| t.column != column || next.candidates.contains(&t.column))
        });
        if !keep {
            set_target.set(detect_target(&next.dataset).ok().flatten());
        }
        set_error.set(None);
        clear_results();
        set_loaded.set(Some(Arc::new(next)));
    });
    let on_error = Callback::new(move |message: String| {
        set_busy.set(None);
        set_error.set(Some(message));
    });
    let on_reading = Callback::new(move |()| set_busy.set(Some("Reading the file…")));

    let on_target = Callback::new(move |(column, positive): (String, Option<String>)| {
        let Some(l) = loaded.get() else { return };
        match target_for(&l.dataset, &column, positive.as_deref()) {
            Ok(t) => {
                set_error.set(None);
                set_target.set(Some(t));
                clear_results();
            }
            Err(e) => set_error.set(Some(e.to_string())),
        }
    });

    let train = move |_| {
        let (Some(l), Some(t)) = (loaded.get(), target.get()) else {
            return;
        };
        let plan = settings.with_untracked(|s| s.plan(t));
        if plan.models.is_empty() {
            set_error.set(Some("Choose at least one model to train.".to_string()));
            return;
        }
        set_busy.set(Some(TRAINING));
        set_error.set(None);
        set_notice.set(None);
        set_job_started.set(now_ms());
        set_progress.set(Some(JobProgress::new("Starting the trainer", 0.0)));
        // The previous results stay until the first model of this run arrives.
        let start = now_ms();
        let first = std::rc::Rc::new(std::cell::Cell::new(true));
        run_has_models.set(false);
        let on_model = {
            let l = l.clone();
            move |run: ModelRun| {
                if first.replace(false) {
                    run_has_models.set(true);
                    action_state.scored.set(Vec::new());
                    runs.set(Vec::new());
                    chosen.set(0);
                    train_ms.set(0.0);
                    set_trained_on.set(Some(l.clone()));
                }
                runs.update(|list| list.push(Arc::new(run)));
            }
        };
        let on_done = move |result: Result<(), String>| {
            set_busy.set(None);
            set_progress.set(None);
            match result {
                Ok(()) => {
                    train_ms.set(now_ms() - start);
                    // Use the recommended model.
                    let best = runs.with_untracked(|list| best_model(list.as_slice()));
                    chosen.set(best.unwrap_or(0));
                }
                Err(e) => set_error.set(Some(format!("Training failed: {e}"))),
            }
        };
        // In the worker: the page keeps painting and answering while the models train.
        if let Err(e) = start_train(
            &l.dataset,
            &plan,
            move |p| set_progress.set(Some(p)),
            on_model,
            on_done,
        ) {
            set_busy.set(None);
            set_progress.set(None);
            set_error.set(Some(e));
        }
    };

    // Scores every customer with the model in use, in the worker, for the action list.
    let on_score = Callback::new(move |run: Arc<ModelRun>| {
        let Some(l) = trained_on.get_untracked() else {
            return;
        };
        set_busy.set(Some(SCORING));
        set_error.set(None);
        set_notice.set(None);
        set_job_started.set(now_ms());
        set_progress.set(Some(JobProgress::new("Starting the scorer", 0.0)));
        let on_done = {
            let run = run.clone();
            move |result: Result<
                Vec<churnscope_engine::acting::actions::ScoredCustomer>,
                String,
            >| {
                set_busy.set(None);
                set_progress.set(None);
                match result {
                    Ok(customers) => action_state.scored.update(|list| {
                        list.retain(|s| !Arc::ptr_eq(&s.run, &run));
                        list.push(Scored {
                            run,
                            customers: Arc::new(customers),
                        });
                    }),
                    Err(e) => set_error.set(Some(format!("Scoring failed: {e}"))),
                }
            }
        };
        if let Err(e) = start_score(
            &l.dataset,
            &run.outcome.pipeline,
            move |p| set_progress.set(Some(p)),
            on_done,
        ) {
            set_busy.set(None);
            set_progress.set(None);
            set_error.set(Some(e));
        }
    });

    let candidates = Signal::derive(move || {
        loaded.with(|l| l.as_ref().map(|l| l.candidates.clone()).unwrap_or_default())
    });

    view! {
        <header class="top">
            <h1>"churnscope"</h1>
            <p class="tagline">
                "Churn early warning for online shops, computed entirely in your browser."
            </p>
        </header>
        <main>
            <UploadPanel on_load on_error on_reading busy=is_busy />
            <StatusLine busy error notice progress started=job_started on_cancel />
            {move || {
                bench_fit.get().map(|b| view! { <p class="hint" data-testid="bench-fit">{b}</p> })
            }}
            {move || {
                loaded
                    .get()
                    .map(|l| {
                        let (read_info, read_options) = (l.info.clone(), l.options.clone());
                        view! {
                            <ColumnTable
                                name=l.name.clone()
                                rows=l.dataset.n_rows
                                columns=l.summary.clone()
                                parse_ms=l.parse_ms
                                info=l.info.clone()
                                on_kind
                                on_select
                            >
                                <ReadControls
                                    info=read_info
                                    options=read_options
                                    on_change=on_read_options
                                />
                            </ColumnTable>
                            {move || {
                                profile
                                    .get()
                                    .map(|(profile, suggestions)| {
                                        view! { <ProfilePanel profile suggestions on_merge /> }
                                    })
                            }}
                            <DataWarnings loaded=l.clone() target />
                            <section class="panel" aria-labelledby="train-title">
                                <h2 id="train-title">"3. Train a churn model"</h2>
                                <TargetPicker candidates target=target.into() on_change=on_target busy=is_busy />
                                <TrainForm settings busy=is_busy />
                                <button
                                    class="button primary"
                                    data-testid="train-button"
                                    prop:disabled=move || is_busy.get() || target.with(Option::is_none)
                                    on:click=train
                                >
                                    {move || if settings.with(|s| s.models.len() > 1) { "Train and compare" } else { "Train" }}
                                </button>
                                <LiveLoss progress busy />
                            </section>
                        }
                    })
            }}
            {move || {
                trained_on
                    .get()
                    .map(|l| {
                        let dataset = Arc::new(l.dataset.clone());
                        let file_name = l.name.clone();
                        view! {
                            <Results
                                runs=runs.into()
                                chosen
                                dataset=dataset.clone()
                                train_ms=train_ms.into()
                                threshold
                            />
                            {move || {
                                let (dataset, file_name) = (dataset.clone(), file_name.clone());
                                current
                                    .get()
                                    .map(move |run| {
                                        view! {
                                            <ActionsPanel
                                                run
                                                runs=runs.into()
                                                chosen
                                                dataset
                                                file_name
                                                target=target.get_untracked().map(|t| t.column).unwrap_or_default()
                                                threshold
                                                state=action_state
                                                busy=is_busy
                                                on_score
                                            />
                                        }
                                    })
                            }}
                        }
                    })
            }}
            <PrivacyPanel />
        </main>
        <footer>
            "No data leaves this page: the file is read and the model trained by WebAssembly in your browser."
        </footer>
    }
}

/// What is running (with a progress bar and Cancel while a file is read), the current
/// error and any notice, shown right under the upload.
#[component]
fn StatusLine(
    busy: ReadSignal<Option<&'static str>>,
    error: ReadSignal<Option<String>>,
    notice: ReadSignal<Option<String>>,
    progress: ReadSignal<Option<JobProgress>>,
    /// When the running job started (`now_ms`).
    started: ReadSignal<f64>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="status" aria-live="polite">
            {move || match progress.get() {
                Some(p) => {
                    let percent = (p.fraction * 100.0).floor().clamp(0.0, 100.0);
                    // Recomputed with each progress report (at least every 100 ms of training).
                    let elapsed = ((now_ms() - started.get_untracked()) / 1000.0).max(0.0);
                    view! {
                        <div class="progress" data-testid="progress">
                            <label>
                                <span data-testid="progress-stage">{p.stage}</span>
                                " "
                                <span data-testid="progress-percent">{format!("{percent:.0}%")}</span>
                                ", "
                                <span data-testid="progress-elapsed">{format!("{elapsed:.0} s")}</span>
                                " elapsed"
                                <progress
                                    data-testid="progress-bar"
                                    max="1"
                                    prop:value=p.fraction
                                ></progress>
                            </label>
                            <button
                                class="button"
                                data-testid="cancel-button"
                                on:click=move |_| on_cancel.run(())
                            >
                                "Cancel"
                            </button>
                        </div>
                    }
                        .into_any()
                }
                None => {
                    busy.get()
                        .map(|b| view! { <p class="busy" data-testid="busy">{b}</p> })
                        .into_any()
                }
            }}
            {move || {
                notice.get().map(|n| view! { <p class="notice" data-testid="notice">{n}</p> })
            }}

            {move || {
                error
                    .get()
                    .map(|e| {
                        view! {
                            <p class="error" role="alert" data-testid="error-message">
                                {e}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// Warnings about the loaded table for the chosen target (leakage, identifiers, duplicates,
/// a rare class), recomputed when the target changes.
#[component]
fn DataWarnings(
    /// The table to check.
    loaded: Arc<Loaded>,
    /// The chosen target, if any.
    target: ReadSignal<Option<Target>>,
) -> impl IntoView {
    let warnings = Memo::new(move |_| {
        target.with(|t| {
            let first = loaded
                .first_warnings
                .as_ref()
                .filter(|(proposed, _)| proposed == t)
                .map(|(_, w)| w.clone());
            first
                .unwrap_or_else(|| check(&loaded.dataset, t.as_ref()))
                .iter()
                .map(|w| w.message())
                .collect::<Vec<_>>()
        })
    });
    move || {
        let list = warnings.get();
        (!list.is_empty()).then(|| {
            view! {
                <section class="panel warnings" aria-labelledby="warnings-title">
                    <h2 id="warnings-title">"Worth a look before training"</h2>
                    <ul>
                        {list
                            .into_iter()
                            .map(|w| view! { <li data-testid="data-warning">{w}</li> })
                            .collect_view()}
                    </ul>
                </section>
            }
        })
    }
}

/// The training loss of the fit running now, per iteration, tree or epoch, drawn live.
#[component]
fn LiveLoss(
    progress: ReadSignal<Option<JobProgress>>,
    busy: ReadSignal<Option<&'static str>>,
) -> impl IntoView {
    // Shown once the first loss arrives (so a drawn chart always has a curve).
    let has_loss = Memo::new(move |_| {
        busy.get() == Some(TRAINING)
            && progress.with(|p| p.as_ref().is_some_and(|p| !p.loss.is_empty()))
    });
    let draw: Draw = Arc::new(move || {
        let p = progress.get().unwrap_or_default();
        let unit = p
            .loss_unit
            .clone()
            .unwrap_or_else(|| "iteration".to_string());
        let points: Vec<(f64, f64)> = p.loss.iter().map(|&(i, l)| (i as f64, l)).collect();
        let x_max = points.iter().map(|p| p.0).fold(1.0f64, f64::max);
        let (lo, hi) = points
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.1), b.max(p.1))
            });
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let pad = ((hi - lo) * 0.1).max(1e-3);
        lines(LineChart {
            title: "Training loss, live".into(),
            x_desc: unit.clone(),
            y_desc: "Loss on the training rows".into(),
            x_range: (0.0, x_max),
            y_range: ((lo - pad).max(0.0), hi + pad),
            series: vec![Series::solid(format!("loss per {unit}"), points)],
            diagonal: None,
            vline: None,
            legend: LegendAt::UpperRight,
            percent_axes: false,
        })
    });
    move || {
        has_loss.get().then(|| {
            view! {
                <figure class="figure">
                    <ChartCanvas testid="loss-chart" label="Training loss of the model being fitted" draw=draw.clone() width=480.0 height=300.0 />
                    <figcaption class="how-to-read">
                        "How to read this: the loss measures how wrong the model still is on the customers it learns \
                         from; it falls as training proceeds and flattens when there is little left to learn. With \
                         cross-validation the curve restarts for each fit."
                    </figcaption>
                </figure>
            }
        })
    }
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

/// The busy message of a training run (also how Cancel knows what it stopped).
const TRAINING: &str = "Training the model…";
/// The busy message of scoring every customer.
const SCORING: &str = "Scoring every customer…";
