//! Step 3: the churn column, the models and their settings, the Train button, and the
//! training loss drawn live while the models fit.

use std::sync::Arc;

use leptos::prelude::*;

use super::chart_canvas::{ChartCanvas, Draw};
use super::job::JobStatus;
use super::results::lines;
use super::state::Workflow;
use super::target::TargetPicker;
use super::tasks;
use super::train_form::TrainForm;
use churnscope_charts::{LegendAt, LineChart, Series};
use churnscope_engine::understanding::target::target_for;
use churnscope_worker::jobs::JobProgress;

/// The training section of the loaded table.
#[component]
pub fn TrainStep() -> impl IntoView {
    let (state, job) = (Workflow::get(), JobStatus::get());
    let busy = job.busy();
    let candidates = Signal::derive(move || {
        state
            .loaded
            .with(|l| l.as_ref().map(|l| l.candidates.clone()).unwrap_or_default())
    });
    let on_target = Callback::new(move |(column, positive): (String, Option<String>)| {
        choose_target(state, job, &column, positive.as_deref())
    });
    view! {
        <section class="panel" aria-labelledby="train-title">
            <h2 id="train-title">"3. Train a churn model"</h2>
            <TargetPicker candidates target=state.target.into() on_change=on_target busy />
            <TrainForm settings=state.settings busy />
            <button
                class="button primary"
                data-testid="train-button"
                prop:disabled=move || busy.get() || state.target.with(Option::is_none)
                on:click=move |_| tasks::train(state, job)
            >
                {move || if state.settings.with(|s| s.models.len() > 1) { "Train and compare" } else { "Train" }}
            </button>
            <LiveLoss />
        </section>
    }
}

/// Makes `column` the target, `positive` (or the proposed value) meaning churned; the
/// results of another target go.
fn choose_target(state: Workflow, job: JobStatus, column: &str, positive: Option<&str>) {
    let Some(l) = state.loaded.get() else { return };
    match target_for(&l.dataset, column, positive) {
        Ok(t) => {
            job.clear_error();
            state.target.set(Some(t));
            state.clear_results();
        }
        Err(e) => job.show_error(e.to_string()),
    }
}

/// The training loss of the fit running now, per iteration, tree or epoch, drawn live.
#[component]
fn LiveLoss() -> impl IntoView {
    let job = JobStatus::get();
    // Shown once the first loss arrives (so a drawn chart always has a curve).
    let has_loss = Memo::new(move |_| job.training_progress().is_some_and(|p| !p.loss.is_empty()));
    let draw: Draw =
        Arc::new(move || lines(loss_chart(&job.training_progress().unwrap_or_default())));
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

/// The loss curve of a training progress report.
fn loss_chart(p: &JobProgress) -> LineChart {
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
    LineChart {
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
    }
}
