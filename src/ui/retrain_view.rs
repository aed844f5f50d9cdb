//! The retrained model beside the saved one, on the same held-out customers of the new
//! export; the saved model is replaced only when the user confirms, and its earlier version
//! stays in My models.

use std::sync::Arc;

use leptos::prelude::*;

use super::monitor::{describe, keep, MonitorState};
use churnscope_engine::dataset::group_thousands;
use churnscope_engine::evaluating::metrics::ClassificationReport;
use churnscope_worker::monitor::RetrainResult;

#[component]
pub fn RetrainResults(result: Arc<RetrainResult>) -> impl IntoView {
    let monitor = MonitorState::get();
    let r = &result.retrained;
    let (old, new) = (&r.old, &r.new);
    let row = |name: &str, pick: fn(&ClassificationReport) -> f64, higher_better: bool| {
        let (a, b) = (pick(old), pick(new));
        let better = if higher_better { b > a } else { b < a };
        view! {
            <tr>
                <td>{name.to_string()}</td>
                <td class="num">{format!("{a:.3}")}</td>
                <td class="num" class:better=better>{format!("{b:.3}")}</td>
            </tr>
        }
    };
    let accept = {
        let result = result.clone();
        move |_| {
            let Some(open) = monitor.open.get_untracked() else {
                return;
            };
            let mut entry = describe(
                &format!("{} (retrained on {})", open.name, result.name),
                &result.retrained.model,
            );
            entry.retrained_from = open.saved.as_ref().map(|s| s.id);
            monitor.retrained.set(None);
            keep(monitor, entry, result.retrained.model.clone());
        }
    };
    view! {
        <div class="retrain" data-testid="retrain-results">
            <h4>"Retrained on the new export"</h4>
            <p class="hint">
                {if r.original_rows > 0 {
                    format!(
                        "Both models scored the same {} held-out customers of {}. The new one trained on the other {} \
                         customers: the rest of the export and the original data still open ({} rows).",
                        group_thousands(r.test_rows), result.name, group_thousands(r.train_rows),
                        group_thousands(r.original_rows)
                    )
                } else {
                    format!(
                        "Both models scored the same {} held-out customers of {} (the new one trained on the other {}).",
                        group_thousands(r.test_rows), result.name, group_thousands(r.train_rows)
                    )
                }}
            </p>
            <table data-testid="retrain-compare">
                <thead><tr><th scope="col">"Measure"</th><th scope="col" class="num">"Saved model"</th><th scope="col" class="num">"Retrained"</th></tr></thead>
                <tbody>
                    {row("ROC AUC", |m| m.roc_auc, true)}
                    {row("PR AUC", |m| m.pr_auc, true)}
                    {row("Brier score", |m| m.brier, false)}
                    {row("Log loss", |m| m.log_loss, false)}
                </tbody>
            </table>
            <div class="score-row">
                <button class="button primary" data-testid="retrain-accept" on:click=accept>
                    "Use the retrained model (saved in My models; the old one stays there)"
                </button>
                <button class="button" data-testid="retrain-dismiss" on:click=move |_| monitor.retrained.set(None)>
                    "Keep the saved model"
                </button>
            </div>
        </div>
    }
}
