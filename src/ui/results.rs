//! Everything after training: the comparison of models, the chosen model's numbers,
//! warnings and charts, the threshold slider, and the explanations.

use std::sync::Arc;

use leptos::prelude::*;

use super::actions::ActionsPanel;
use super::chart_canvas::{ChartCanvas, Draw, Paint};
use super::compare::ComparisonTable;
use super::explanations::Explanations;
use super::metrics::{ConfusionTable, MetricsTable};
use super::state::Workflow;
use super::threshold_panel::ThresholdPanel;
use churnscope_charts::figures::{
    calibration_inputs, draw_distribution, gains_chart, lift_chart, pr_chart, roc_curves,
    sweep_chart, test_churn_rate,
};
use churnscope_charts::{draw_bars, draw_lines, draw_roc_overlay, BarChart, LineChart};
use churnscope_engine::dataset::Dataset;
use churnscope_engine::evaluating::evaluation::ModelRun;
use churnscope_engine::modelling::models::FittedModel;

/// Steps 4 and 5 once a run has delivered a model: the results of the run and the action
/// step for the model in use.
#[component]
pub fn ResultsStep() -> impl IntoView {
    let state = Workflow::get();
    // The model in use; a new one only when another model is chosen (compared by pointer,
    // not by value).
    let current = Memo::new_with_compare(
        move |_| {
            let list = state.runs.get();
            list.get(state.chosen.get()).or(list.last()).cloned()
        },
        |a: Option<&Option<Arc<ModelRun>>>, b: Option<&Option<Arc<ModelRun>>>| match (a, b) {
            (Some(Some(a)), Some(Some(b))) => !Arc::ptr_eq(a, b),
            (Some(None), Some(None)) => false,
            _ => true,
        },
    );
    move || {
        state.trained_on.get().map(|l| {
            let dataset = Arc::new(l.dataset.clone());
            let (file_name, trained_on) = (l.name.clone(), dataset.clone());
            // From an order log, the action list is for the current customers.
            let population = state
                .orders
                .get_untracked()
                .map_or_else(|| dataset.clone(), |o| o.current.clone());
            let actions = move || {
                let (dataset, file_name) = (dataset.clone(), file_name.clone());
                let population = population.clone();
                let target = state
                    .target
                    .get_untracked()
                    .map(|t| t.column)
                    .unwrap_or_default();
                current.get().map(
                    move |run| view! { <ActionsPanel run dataset population file_name target /> },
                )
            };
            view! {
                <Results
                    runs=state.runs.into()
                    chosen=state.chosen
                    dataset=trained_on
                    train_ms=state.train_ms.into()
                    threshold=state.threshold
                />
                {actions}
            }
        })
    }
}

/// The results of a training run: all models, and the one in use in detail.
#[component]
pub fn Results(
    /// Every model trained so far in this run.
    runs: Signal<Vec<Arc<ModelRun>>>,
    /// The model in use.
    chosen: RwSignal<usize>,
    /// The table the models were trained on (for customer ids and cell values).
    dataset: Arc<Dataset>,
    /// Milliseconds the whole run took on the page's clock (0 while it runs).
    train_ms: Signal<f64>,
    /// The operating threshold of the model in use (the slider, the profit view and the
    /// charts share it).
    threshold: RwSignal<f64>,
) -> impl IntoView {
    let current = Memo::new(move |_| {
        let list = runs.get();
        list.get(chosen.get()).or(list.last()).cloned()
    });
    // A new model in use starts at its own threshold.
    Effect::new(move |_| {
        if let Some(run) = current.get() {
            threshold.set(run.outcome.pipeline.threshold);
        }
    });
    view! {
        <section class="panel results" aria-labelledby="results-title" data-testid="results">
            <h2 id="results-title">"4. Compare the models"</h2>
            <ComparisonTable runs chosen />
            <p class="how-to-read">
                "How to read this: every model was tested on the same customers it never saw while learning. \
                 Pick the one with the best ROC AUC unless another matters more to you, such as a lower log loss \
                 when you use the probabilities themselves, or a much shorter fit time."
            </p>
            {move || {
                current
                    .get()
                    .map(|run| {
                        view! {
                            <ModelDetail
                                run
                                runs
                                threshold
                                dataset=dataset.clone()
                                train_ms
                            />
                        }
                    })
            }}
        </section>
    }
}

/// The model in use: summary, warnings, metrics, charts, threshold and explanations.
#[component]
fn ModelDetail(
    run: Arc<ModelRun>,
    runs: Signal<Vec<Arc<ModelRun>>>,
    threshold: RwSignal<f64>,
    dataset: Arc<Dataset>,
    train_ms: Signal<f64>,
) -> impl IntoView {
    let o = &run.outcome;
    let auc = o.test.roc_auc;
    view! {
        <div class="model-detail" data-testid="model-detail">
            <ModelSummary run=run.clone() train_ms />
            <div class="results-grid">
                <div>
                    <MetricsTable report=o.test.clone() />
                    <ConfusionTable
                        confusion=Signal::stored(o.test.confusion)
                        caption=format!("Test customers at threshold {}", o.test.threshold)
                        table="confusion-matrix"
                        prefix="confusion"
                    />
                    <p class="how-to-read" data-testid="auc-meaning">
                        {format!(
                            "What {auc:.2} ROC AUC means for you: take one customer who churned and one who stayed; \
                             {:.0} times in 100 the model gives the churner the higher risk. 50 would be a coin toss.",
                            auc * 100.0
                        )}
                    </p>
                </div>
                <ChartCanvas
                    testid="roc-chart"
                    label=format!("ROC curves of every model on the test set; the model in use has area {auc:.3}")
                    draw=roc_draw(runs)
                />
            </div>
            <h3>"Choose who to contact"</h3>
            <ThresholdPanel run=run.clone() threshold />
            <h3>"Curves"</h3>
            <Charts run=run.clone() runs threshold />
            <h3>"Why customers are at risk"</h3>
            <Explanations run=run.clone() dataset />
        </div>
    }
}

/// Which model is in use, what it was trained and tested on, how long it took, what was
/// left out, and its notices and warnings.
#[component]
fn ModelSummary(run: Arc<ModelRun>, train_ms: Signal<f64>) -> impl IntoView {
    let o = &run.outcome;
    let prep = &o.pipeline.preprocessor;
    let left_out: Vec<String> = prep
        .dropped
        .iter()
        .map(|d| format!("{} ({})", d.column, d.reason))
        .collect();
    let left_out = if left_out.is_empty() {
        "none".to_string()
    } else {
        left_out.join(", ")
    };
    let warnings: Vec<String> = run.warnings.iter().map(|w| w.message()).collect();
    view! {
        <h3>
            "In use: " <span data-testid="result-model">{model_name(&o.pipeline.model)}</span>
        </h3>
        <p class="summary">
            "Trained on " <span data-testid="n-train">{o.n_train}</span> " customers, tested on "
            <span data-testid="n-test">{o.n_test}</span> " it never saw; "
            {prep.n_features()} " features. Fitting took "
            <span data-testid="fit-time">{format!("{:.2}", run.fit_seconds)}</span> " s"
            {move || {
                let ms = train_ms.get();
                (ms > 0.0).then(|| view! {
                    "; the whole run took "
                    <span data-testid="train-time">{format!("{:.2}", ms / 1000.0)}</span>
                    " s"
                })
            }}
            "."
        </p>
        <p class="hint">
            "Target: " <span data-testid="result-target">{o.pipeline.target.column.clone()}</span>
            " = " <span data-testid="result-positive">{o.pipeline.target.positive.clone()}</span>
            " counts as churned. Left out: " <span data-testid="left-out">{left_out}</span>
        </p>
        <p class="hint" data-testid="probability-correction">{o.pipeline.probability_note()}</p>
        {(!prep.notices.is_empty()).then(|| view! {
            <ul class="hint">
                {prep.notices.iter().map(|n| view! { <li data-testid="prep-notice">{n.clone()}</li> }).collect_view()}
            </ul>
        })}
        {(!warnings.is_empty()).then(|| view! {
            <ul class="model-warnings">
                {warnings.into_iter().map(|w| view! { <li data-testid="model-warning">{w}</li> }).collect_view()}
            </ul>
        })}
    }
}

fn model_name(model: &FittedModel) -> &'static str {
    match model {
        FittedModel::Logistic(_) => "logistic regression",
        FittedModel::Gbdt(_) => "gradient-boosted trees",
        FittedModel::Forest(_) => "random forest",
        FittedModel::Mlp(_) => "neural network",
    }
}

fn roc_draw(runs: Signal<Vec<Arc<ModelRun>>>) -> Draw {
    Arc::new(move || {
        let list = runs.get();
        Box::new(move |area, scale| draw_roc_overlay(area, &roc_curves(&list), scale))
    })
}

/// Paints a line chart.
pub fn lines(chart: LineChart) -> Paint {
    Box::new(move |area, scale| draw_lines(area, &chart, scale))
}

/// Paints a bar chart.
pub fn bar_chart(chart: BarChart) -> Paint {
    Box::new(move |area, scale| draw_bars(area, &chart, scale))
}

/// One chart with its plain-words note.
#[component]
fn Figure(
    testid: &'static str,
    #[prop(into)] label: String,
    draw: Draw,
    #[prop(into)] note: String,
) -> impl IntoView {
    view! {
        <figure class="figure">
            <ChartCanvas testid label draw width=480.0 height=360.0 />
            <figcaption class="how-to-read">{note}</figcaption>
        </figure>
    }
}

/// Precision-recall, gains, lift, calibration, score distribution and metrics against
/// threshold.
#[component]
fn Charts(
    run: Arc<ModelRun>,
    runs: Signal<Vec<Arc<ModelRun>>>,
    threshold: RwSignal<f64>,
) -> impl IntoView {
    let churn_rate = test_churn_rate(&run);
    let pr: Draw = Arc::new(move || lines(pr_chart(&runs.get())));
    let gains: Draw = Arc::new(move || lines(gains_chart(&runs.get())));
    let lift: Draw = Arc::new(move || lines(lift_chart(&runs.get())));
    let calibration: Draw = {
        let run = run.clone();
        Arc::new(move || {
            let inputs = calibration_inputs(&runs.get(), &run);
            Box::new(move |area, scale| inputs.draw(area, scale))
        })
    };
    let distribution: Draw = {
        let run = run.clone();
        Arc::new(move || {
            let t = threshold.get();
            let run = run.clone();
            Box::new(move |area, scale| draw_distribution(area, &run, t, scale))
        })
    };
    let sweep: Draw = {
        let run = run.clone();
        Arc::new(move || lines(sweep_chart(&run, threshold.get())))
    };
    let top_decile = run
        .curves
        .gains
        .contacted
        .iter()
        .zip(&run.curves.gains.caught)
        .find(|(x, _)| **x >= 0.1 - 1e-9)
        .map(|(_, y)| *y);
    view! {
        <div class="chart-grid">
            <Figure testid="pr-chart" label="Precision against recall for every model" draw=pr
                note=format!(
                    "How to read this: each point is a threshold. Further up and to the right is better. \
                     The dashed line is what flagging at random gets: the churn rate ({:.1}%).",
                    churn_rate * 100.0
                ) />
            <Figure testid="gains-chart" label="Cumulative gains of every model" draw=gains
                note=match top_decile {
                    Some(y) => format!(
                        "How to read this: contact the riskiest 10% of customers by this model and you reach {:.0}% of \
                         all churners; contacting at random reaches 10%.",
                        y * 100.0
                    ),
                    None => "How to read this: the share of churners reached as you contact more customers, riskiest first.".to_string(),
                } />
            <Figure testid="lift-chart" label="Lift of every model" draw=lift
                note="How to read this: how many times more churners you find among the customers contacted than a random \
                      pick would; it falls to 1 as you contact everyone." />
            <Figure testid="calibration-chart" label="Calibration of every model with a histogram of scores" draw=calibration
                note="How to read this: customers are grouped by predicted probability; a well-calibrated model's groups churn \
                      as often as it predicts, on the diagonal. Below the diagonal it overstates risk. The bars show how many \
                      customers fall in each score range." />
            <Figure testid="distribution-chart" label="Distribution of scores of customers who stayed and who churned" draw=distribution
                note="How to read this: the less the two humps overlap, the better the model separates churners; the line is \
                      the threshold, and everything right of it is flagged." />
            <Figure testid="sweep-chart" label="Precision, recall, F1 and the share flagged against the threshold" draw=sweep
                note="How to read this: moving the threshold right flags fewer customers: precision rises, recall falls. \
                      The slider above moves the line." />
        </div>
    }
}
