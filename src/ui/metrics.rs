//! Test-set metrics and the confusion matrix.

use leptos::prelude::*;

use churnscope_engine::evaluating::metrics::{ClassificationReport, ConfusionMatrix};

/// One metric: its name, the number (4 decimals, the text a test or script reads) and a
/// plain-words gloss.
#[component]
fn Metric(
    /// Shown label.
    label: &'static str,
    /// `data-testid` of the number.
    testid: &'static str,
    /// The value.
    value: f64,
    /// What it means, in plain words.
    help: &'static str,
) -> impl IntoView {
    view! {
        <tr>
            <th scope="row">{label}</th>
            <td class="num metric" data-testid=testid>{format!("{value:.4}")}</td>
            <td class="help">{help}</td>
        </tr>
    }
}

/// Headline metrics of the test set.
#[component]
pub fn MetricsTable(
    /// The test-set report.
    report: ClassificationReport,
) -> impl IntoView {
    let r = report;
    view! {
        <table class="metrics" data-testid="metrics-table">
            <tbody>
                <Metric label="ROC AUC" testid="metric-roc-auc" value=r.roc_auc
                    help="Chance that a random churner scores above a random loyal customer (0.5 = guessing, 1 = perfect)." />
                <Metric label="PR AUC" testid="metric-pr-auc" value=r.pr_auc
                    help="Average precision across all thresholds; compare with the churn rate, which is what guessing gets." />
                <Metric label="Accuracy" testid="metric-accuracy" value=r.accuracy
                    help="Share of customers classified correctly at the threshold." />
                <Metric label="Precision" testid="metric-precision" value=r.precision
                    help="Of the customers flagged, the share who really churned." />
                <Metric label="Recall" testid="metric-recall" value=r.recall
                    help="Of the customers who churned, the share flagged." />
                <Metric label="F1" testid="metric-f1" value=r.f1
                    help="Balance of precision and recall (their harmonic mean)." />
                <Metric label="Log loss" testid="metric-log-loss" value=r.log_loss
                    help="How well the probabilities fit what happened; lower is better." />
            </tbody>
        </table>
    }
}

/// Counts of the four outcomes: `data-testid` `{table}` on the table and `{prefix}-tn`,
/// `-fp`, `-fn`, `-tp` on the cells; `confusion` may change (the threshold slider).
#[component]
pub fn ConfusionTable(
    /// The counts.
    #[prop(into)]
    confusion: Signal<ConfusionMatrix>,
    /// What the counts are of.
    #[prop(into)]
    caption: String,
    /// `data-testid` of the table.
    table: &'static str,
    /// Prefix of the cells' `data-testid`s.
    prefix: &'static str,
) -> impl IntoView {
    let cell = move |pick: fn(&ConfusionMatrix) -> usize| move || confusion.with(pick);
    view! {
        <table class="confusion" data-testid=table>
            <caption>{caption}</caption>
            <thead>
                <tr>
                    <td></td>
                    <th scope="col">"Predicted to stay"</th>
                    <th scope="col">"Predicted to churn"</th>
                </tr>
            </thead>
            <tbody>
                <tr>
                    <th scope="row">"Stayed"</th>
                    <td class="num good" data-testid=format!("{prefix}-tn")>{cell(|c| c.true_negative)}</td>
                    <td class="num bad" data-testid=format!("{prefix}-fp")>{cell(|c| c.false_positive)}</td>
                </tr>
                <tr>
                    <th scope="row">"Churned"</th>
                    <td class="num bad" data-testid=format!("{prefix}-fn")>{cell(|c| c.false_negative)}</td>
                    <td class="num good" data-testid=format!("{prefix}-tp")>{cell(|c| c.true_positive)}</td>
                </tr>
            </tbody>
        </table>
    }
}
