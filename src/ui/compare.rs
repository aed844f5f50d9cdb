//! The model comparison table: every trained model side by side, the best value of each
//! column highlighted, and a button to pick the model the rest of the page uses.

use std::sync::Arc;

use leptos::prelude::*;

use super::state::Workflow;
use churnscope_engine::evaluating::evaluation::{best_model, ModelRun};
use churnscope_engine::orders::baselines::BaselineRun;

/// One column: header, what it means, how to read a run, whether higher is better.
struct Col {
    key: &'static str,
    title: &'static str,
    help: &'static str,
    value: fn(&ModelRun) -> Option<f64>,
    /// The same for a statistical baseline (no fit time or cross-validation).
    baseline: fn(&BaselineRun) -> Option<f64>,
    higher_is_better: bool,
}

const COLUMNS: [Col; 9] = [
    Col {
        key: "roc_auc",
        title: "ROC AUC",
        help: "How well it ranks churners above loyal customers (0.5 guessing, 1 perfect).",
        value: |r| Some(r.outcome.test.roc_auc),
        baseline: |b| Some(b.test.roc_auc),
        higher_is_better: true,
    },
    Col {
        key: "pr_auc",
        title: "PR AUC",
        help: "Average precision over all thresholds; guessing gets the churn rate.",
        value: |r| Some(r.outcome.test.pr_auc),
        baseline: |b| Some(b.test.pr_auc),
        higher_is_better: true,
    },
    Col {
        key: "f1",
        title: "F1",
        help: "Balance of precision and recall at the model's threshold.",
        value: |r| Some(r.outcome.test.f1),
        baseline: |b| Some(b.test.f1),
        higher_is_better: true,
    },
    Col {
        key: "recall",
        title: "Recall",
        help: "Share of churners flagged at the threshold.",
        value: |r| Some(r.outcome.test.recall),
        baseline: |b| Some(b.test.recall),
        higher_is_better: true,
    },
    Col {
        key: "precision",
        title: "Precision",
        help: "Share of flagged customers who churned.",
        value: |r| Some(r.outcome.test.precision),
        baseline: |b| Some(b.test.precision),
        higher_is_better: true,
    },
    Col {
        key: "log_loss",
        title: "Log loss",
        help: "How well the probabilities fit what happened; lower is better.",
        value: |r| Some(r.outcome.test.log_loss),
        baseline: |b| Some(b.test.log_loss),
        higher_is_better: false,
    },
    Col {
        key: "brier",
        title: "Brier",
        help: "Mean squared error of the probabilities; lower is better.",
        value: |r| Some(r.outcome.test.brier),
        baseline: |b| Some(b.test.brier),
        higher_is_better: false,
    },
    Col {
        key: "fit_seconds",
        title: "Fit time (s)",
        help: "Seconds to fit (search and calibration included).",
        value: |r| Some(r.fit_seconds),
        baseline: |_| None,
        higher_is_better: false,
    },
    Col {
        key: "cv_mean",
        title: "CV ROC AUC",
        help:
            "Cross-validated score on the training part: mean ± standard deviation over the folds.",
        value: |r| r.cv.as_ref().map(|c| c.mean),
        baseline: |_| None,
        higher_is_better: true,
    },
];

/// The best value of each column among `runs` and `baselines`.
fn best_values(runs: &[Arc<ModelRun>], baselines: &[BaselineRun]) -> Vec<Option<f64>> {
    COLUMNS
        .iter()
        .map(|c| {
            runs.iter()
                .filter_map(|r| (c.value)(r))
                .chain(baselines.iter().filter_map(|b| (c.baseline)(b)))
                .filter(|v| v.is_finite())
                .reduce(|a, b| {
                    if (b > a) == c.higher_is_better && b != a {
                        b
                    } else {
                        a
                    }
                })
        })
        .collect()
}

/// Every trained model on the same test customers; `chosen` is the one in use.
#[component]
pub fn ComparisonTable(
    /// The trained models, in training order.
    runs: Signal<Vec<Arc<ModelRun>>>,
    /// Index of the model the page uses.
    chosen: RwSignal<usize>,
) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="comparison" data-testid="comparison-table">
                <caption>
                    "Every model on the same test customers. The best value of each column is highlighted; "
                    "the recommended model has the best cross-validated score (or test ROC AUC without cross-validation)."
                </caption>
                <thead>
                    <tr>
                        <th scope="col">"Model"</th>
                        {COLUMNS
                            .iter()
                            .map(|c| view! { <th scope="col" title=c.help>{c.title}</th> })
                            .collect_view()}
                        <th scope="col">"Use"</th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        let list = runs.get();
                        let baselines = baseline_runs();
                        let best = best_values(&list, &baselines);
                        let refs: Vec<&ModelRun> = list.iter().map(|r| &**r).collect();
                        let recommended = best_model(&refs);
                        let several = list.len() > 1;
                        let rows = list.iter()
                            .enumerate()
                            .map(|(i, run)| {
                                let recommended = recommended == Some(i) && several;
                                view! { <ComparisonRow run=run.clone() i best=best.clone() several recommended chosen /> }
                            })
                            .collect_view();
                        let baseline_rows = baselines
                            .into_iter()
                            .map(|b| view! { <BaselineRow run=b best=best.clone() /> })
                            .collect_view();
                        (rows, baseline_rows)
                    }}
                </tbody>
            </table>
        </div>
        <BaselineNote />
    }
}

/// The baselines of the last run on customers derived from orders (none otherwise).
fn baseline_runs() -> Vec<BaselineRun> {
    Workflow::get()
        .baselines
        .with(|b| b.as_ref().and_then(|r| r.as_ref().ok()).cloned())
        .unwrap_or_default()
}

/// A statistical baseline's row: its metrics beside the models', nothing to put in use.
#[component]
fn BaselineRow(run: BaselineRun, best: Vec<Option<f64>>) -> impl IntoView {
    let key = serde_json::to_value(run.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let cells = COLUMNS
        .iter()
        .zip(&best)
        .map(|(c, b)| {
            let v = (c.baseline)(&run);
            let is_best = v.is_some() && v == *b;
            let text = v.map_or("–".to_string(), |v| format!("{v:.4}"));
            view! { <td class="num" class:best=is_best data-metric=c.key>{text}</td> }
        })
        .collect_view();
    view! {
        <tr data-testid="comparison-row" data-model=key class="baseline">
            <th scope="row">{run.kind.label()}</th>
            {cells}
            <td class="hint">"baseline"</td>
        </tr>
    }
}

/// How the baselines were fitted, or why they could not be.
#[component]
fn BaselineNote() -> impl IntoView {
    let state = Workflow::get();
    move || {
        let note = match state.baselines.get()? {
            Err(e) => format!("The BG/NBD and Pareto/NBD baselines could not be fitted: {e}"),
            Ok(runs) => {
                let fitted: Vec<String> = runs
                    .iter()
                    .map(|r| {
                        let p: Vec<String> = r
                            .parameters
                            .iter()
                            .map(|(n, v)| format!("{n} = {v:.3}"))
                            .collect();
                        format!("{}: {}", r.kind.label(), p.join(", "))
                    })
                    .collect();
                format!(
                    "Baselines: the classic buy-till-you-die models, fitted on the training customers' \
                     order histories up to the cutoff (no label used; time in weeks) and scored on the same \
                     test customers: churn score = 1 − P(at least one order in the horizon). {}.",
                    fitted.join("; ")
                )
            }
        };
        Some(view! { <p class="hint" data-testid="baseline-note">{note}</p> })
    }
}

/// One model's row: its metrics (the best of each column highlighted when `several` are
/// compared) and the button that puts it in use.
#[component]
fn ComparisonRow(
    run: Arc<ModelRun>,
    /// Its index in the run.
    i: usize,
    /// The best value of each column.
    best: Vec<Option<f64>>,
    /// Whether more than one model is compared.
    several: bool,
    /// Whether it is the recommended model.
    recommended: bool,
    chosen: RwSignal<usize>,
) -> impl IntoView {
    let kind = serde_json::to_value(run.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let cells = COLUMNS
        .iter()
        .zip(&best)
        .map(|(c, b)| {
            let v = (c.value)(&run);
            let is_best = v.is_some() && v == *b && several;
            let text = match (c.key, v) {
                (_, None) => "–".to_string(),
                ("fit_seconds", Some(v)) => format!("{v:.2}"),
                ("cv_mean", Some(v)) => {
                    format!("{v:.4} ± {:.4}", run.cv.as_ref().map_or(0.0, |c| c.std))
                }
                (_, Some(v)) => format!("{v:.4}"),
            };
            view! {
                <td class="num" class:best=is_best data-metric=c.key>
                    {text}
                </td>
            }
        })
        .collect_view();
    let row_kind = kind.clone();
    view! {
        <tr
            data-testid="comparison-row"
            data-model=row_kind
            class:chosen=move || chosen.get() == i
            aria-selected=move || (chosen.get() == i).to_string()
        >
            <th scope="row">
                {run.label()}
                {recommended.then(|| view! { <span class="badge" data-testid="recommended">" recommended"</span> })}
            </th>
            {cells}
            <td>
                <button
                    class="button small"
                    data-testid="use-model"
                    data-model=kind
                    prop:disabled=move || chosen.get() == i
                    on:click=move |_| chosen.set(i)
                >
                    {move || if chosen.get() == i { "In use" } else { "Use" }}
                </button>
            </td>
        </tr>
    }
}
