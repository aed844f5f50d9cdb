//! Why customers are at risk: the logistic regression's coefficients, permutation
//! importance, partial dependence, and the riskiest test customers with their reasons.

use std::sync::Arc;

use leptos::prelude::*;

use super::chart_canvas::{ChartCanvas, Draw};
use super::results::{bar_chart, lines};
use churnscope_charts::figures::{coefficient_chart, importance_chart, pd_chart};
use churnscope_charts::BarChart;
use churnscope_engine::acting::actions::id_column;
use churnscope_engine::dataset::Dataset;
use churnscope_engine::evaluating::evaluation::{Explanation, ModelRun};
use churnscope_engine::evaluating::explanations::{ContributionUnit, Reason};

/// Coefficients (logistic regression), permutation importance, partial dependence and the
/// riskiest customers with their reasons.
#[component]
pub fn Explanations(run: Arc<ModelRun>, dataset: Arc<Dataset>) -> impl IntoView {
    let coefficients = coefficient_chart(&run);
    let Some(ex) = run.explanation.clone() else {
        return view! { <p class="hint">"No explanations were computed for this model."</p> }
            .into_any();
    };
    view! {
        <div class="explanations">
            {coefficients.map(|chart| view! { <CoefficientFigure chart /> })}
            <div class="chart-grid">
                <ImportanceFigure ex=ex.clone() />
                {pd_views(&ex)}
            </div>
            <p class="how-to-read">
                "Partial dependence: the model's average churn probability if every customer had that value of the column, \
                 the rest of their data unchanged."
            </p>
            <RiskyTable ex dataset />
        </div>
    }
    .into_any()
}

/// The logistic regression's coefficients by column.
#[component]
fn CoefficientFigure(chart: BarChart) -> impl IntoView {
    let draw: Draw = Arc::new(move || bar_chart(chart.clone()));
    view! {
        <figure class="figure wide">
            <ChartCanvas testid="coefficient-chart" label="Coefficients of the logistic regression by column" draw width=720.0 height=520.0 />
            <figcaption class="how-to-read">
                "How to read this: bars to the right raise the odds of churn, to the left lower them. The odds \
                 ratio in each label says by how much: ×2 doubles the odds for a customer with that level (or one \
                 standard deviation more of that number), everything else equal. Levels of one column stay together."
            </figcaption>
        </figure>
    }
}

/// Permutation importance of each column, with its whiskers.
#[component]
fn ImportanceFigure(ex: Explanation) -> impl IntoView {
    let bars = importance_chart(&ex);
    let importance: Draw = Arc::new(move || bar_chart(bars.clone()));
    view! {
        <figure class="figure">
            <ChartCanvas testid="importance-chart" label="Permutation importance of each column" draw=importance width=480.0 height=400.0 />
            <figcaption class="how-to-read">
                {format!(
                    "How to read this: shuffle one column across the {} test customers and see how much worse the model \
                     ranks them. A long bar means the model leans on that column; the whiskers show the spread over {} shuffles.",
                    ex.rows_used, ex.repeats
                )}
            </figcaption>
        </figure>
    }
}

/// One partial dependence chart per column explained (three at most).
fn pd_views(ex: &Explanation) -> impl IntoView {
    ex.partial_dependence
        .iter()
        .enumerate()
        .map(|(i, pd)| {
            let chart = pd_chart(pd);
            let draw: Draw = Arc::new(move || lines(chart.clone()));
            let testid = match i {
                0 => "pd-chart-0",
                1 => "pd-chart-1",
                _ => "pd-chart-2",
            };
            view! {
                <ChartCanvas testid label=format!("Partial dependence of the churn probability on {}", pd.column) draw width=360.0 height=280.0 />
            }
        })
        .collect_view()
}

/// The riskiest test customers and the contributions pushing their risk up and down.
#[component]
fn RiskyTable(ex: Explanation, dataset: Arc<Dataset>) -> impl IntoView {
    let id_column = id_column(&dataset).map(str::to_string);
    let rows = ex
        .reasons
        .iter()
        .map(|c| {
            let id = id_column
                .as_ref()
                .and_then(|name| dataset.column(name))
                .and_then(|col| col.text(c.row))
                .unwrap_or_else(|| format!("row {}", c.row + 1));
            view! {
                <tr data-testid="risky-row">
                    <td>{id}</td>
                    <td class="num">{format!("{:.3}", c.probability)}</td>
                    <td><ul class="reasons up">{reason_items(&c.up)}</ul></td>
                    <td><ul class="reasons down">{reason_items(&c.down)}</ul></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="risky" data-testid="risky-table">
            <caption>
                {format!(
                    "The riskiest test customers and what drives their score ({}; numbers are changes in {})",
                    if ex.exact_reasons { "exact contributions" } else { "approximate contributions" },
                    match ex.reasons_unit {
                        ContributionUnit::LogOdds => "the log-odds of churn",
                        ContributionUnit::Probability => "the probability of churn",
                    }
                )}
            </caption>
            <thead>
                <tr>
                    <th scope="col">"Customer"</th>
                    <th scope="col">"Churn probability"</th>
                    <th scope="col">"Pushing risk up"</th>
                    <th scope="col">"Pushing risk down"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// A customer's three strongest reasons one way.
fn reason_items(reasons: &[Reason]) -> impl IntoView {
    reasons
        .iter()
        .take(3)
        .map(
            |r| view! { <li>{format!("{} = {} ({:+.2})", r.column, r.value, r.contribution)}</li> },
        )
        .collect_view()
}
