//! What checking a new export found: how its columns were matched, the drift table (a
//! traffic light per column, most severe first, each row opening on the two distributions),
//! the model's estimated or realised performance, and the action list for the new
//! customers with its downloads and report.

use std::sync::Arc;

use leptos::prelude::*;

use super::action_list::ActionList;
use super::browser::{download, today};
use super::chart_canvas::{ChartCanvas, Draw};
use super::job::JobStatus;
use super::monitor::{self, MonitorState};
use churnscope_charts::drift::{draw_drift_bins, drift_chart_height};
use churnscope_charts::report::download_name;
use churnscope_charts::scoring_report::{scoring_report, ScoringReportInput};
use churnscope_engine::acting::actions::Tier;
use churnscope_engine::dataset::group_thousands;
use churnscope_engine::monitoring::drift::FeatureDrift;
use churnscope_engine::monitoring::report::{DriftReport, Realised, HOW_TO_READ};
use churnscope_worker::monitor::MonitorResult;

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// Everything one check found.
#[component]
pub fn CheckResults(result: Arc<MonitorResult>) -> impl IntoView {
    let monitor = MonitorState::get();
    let job = JobStatus::get();
    let d = &result.drift;
    let verdict = d.verdict();
    let rows = Arc::new(result.actions.clone());
    let has_labels = d.realised.is_some();
    view! {
        <div class="check" data-testid="check-results">
            <h3>{format!("{}: {} customers", result.name, group_thousands(result.rows))}</h3>
            <ColumnNotes result=result.clone() />
            <h4>"Drift since training"</h4>
            <p data-testid="drift-verdict" data-drifted=d.drifted_features.to_string()
               class=if d.dataset_drifted { "verdict bad" } else { "verdict good" }>{verdict}</p>
            <DriftTable report=result.drift.clone() />
            <p class="how-to-read" data-testid="drift-how-to-read">{HOW_TO_READ}</p>
            <Performance report=result.drift.clone() />
            {has_labels.then(|| view! {
                <div class="score-row">
                    <button class="button" data-testid="retrain" prop:disabled=job.busy()
                        on:click=move |_| monitor::retrain(monitor)>
                        "Retrain with the new data"
                    </button>
                    <span class="hint">" Trains the saved settings on this export and compares old and new on the same held-out customers; nothing is replaced until you say so."</span>
                </div>
            })}
            <h4>"The new customers to act on"</h4>
            <TierCounts result=result.clone() />
            <ActionList rows file_name=result.name.clone() />
            <ReportButton result />
        </div>
    }
}

/// Renamed, ignored and unseen-category columns.
#[component]
fn ColumnNotes(result: Arc<MonitorResult>) -> impl IntoView {
    let c = &result.columns;
    let mut notes: Vec<String> = c
        .renamed
        .iter()
        .map(|(from, to)| format!("“{from}” was read as the model's “{to}”."))
        .collect();
    if !c.ignored.is_empty() {
        notes.push(format!(
            "Not used by the model, ignored: {}.",
            c.ignored.join(", ")
        ));
    }
    for u in &c.unseen {
        notes.push(format!(
            "“{}”: {} cells with categories the model never saw ({}), scored as an unknown level.",
            u.column,
            group_thousands(u.cells),
            u.examples.join(", ")
        ));
    }
    if notes.is_empty() {
        notes.push("Every column the model needs was found under its own name.".into());
    }
    view! {
        <ul class="column-notes" data-testid="column-report">
            {notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
        </ul>
    }
}

/// The traffic-light table: a row per column (then the scores), most severe first; each
/// opens on its two distributions.
#[component]
fn DriftTable(report: DriftReport) -> impl IntoView {
    let scores = report.scores.clone();
    view! {
        <div class="drift-table" data-testid="drift-table" role="table" aria-label="Drift per column, most severe first">
            <div class="drift-head" role="row">
                <span role="columnheader">"Column"</span>
                <span role="columnheader">"PSI"</span>
                <span role="columnheader">"Test"</span>
                <span role="columnheader">"Result"</span>
                <span role="columnheader">"Missing then → now"</span>
            </div>
            {report.features.into_iter().map(|f| view! { <DriftRow f /> }).collect_view()}
            <DriftRow f=scores />
        </div>
    }
}

#[component]
fn DriftRow(f: FeatureDrift) -> impl IntoView {
    let opened = RwSignal::new(false);
    let light = f.light().label();
    let result = match (f.p_value, f.statistic.is_finite()) {
        (_, false) => "the column changed kind".to_string(),
        (Some(p), true) => format!("{:.4}, p = {:.4}", f.statistic, p),
        (None, true) => format!("{:.4}", f.statistic),
    };
    let column = if f.column == churnscope_engine::monitoring::report::SCORE_COLUMN {
        "churn scores (the model's output)".to_string()
    } else {
        f.column.clone()
    };
    let bins = Arc::new(f.bins.clone());
    let name = column.clone();
    let draw: Draw = Arc::new(move || {
        let (bins, name) = (bins.clone(), name.clone());
        Box::new(move |area, scale| draw_drift_bins(area, &name, &bins, scale))
    });
    let height = drift_chart_height(f.bins.len()) as f64;
    view! {
        <details class=format!("drift-row light-{light}") data-testid="drift-row" data-column=f.column.clone()
            data-light=light data-drifted=f.drifted.to_string()
            on:toggle=move |_| opened.set(true)>
            <summary role="row">
                <span role="cell" class="drift-column"><span class=format!("light-dot {light}") aria-label=light></span>{column.clone()}</span>
                <span role="cell" data-testid="drift-psi">{if f.psi.is_finite() { format!("{:.3}", f.psi) } else { "—".into() }}</span>
                <span role="cell">{f.test.label()}</span>
                <span role="cell">{if f.drifted { format!("drifted: {result}") } else { result }}</span>
                <span role="cell">{format!("{} → {}", pct(f.missing_share_reference), pct(f.missing_share_current))}</span>
            </summary>
            {move || opened.get().then(|| view! {
                <ChartCanvas testid="drift-chart" label=format!("{column}: share of values per bin at training and now") draw=draw.clone() width=560.0 height />
            })}
        </details>
    }
}

/// The estimate without labels, the realised figures with them, and the decay warning.
#[component]
fn Performance(report: DriftReport) -> impl IntoView {
    let t = &report.tier_shares_reference;
    let n = &report.tier_shares_current;
    view! {
        <h4>"Does the model still work?"</h4>
        <p data-testid="estimated-auc">
            {format!(
                "Estimated ROC AUC now: {:.3} (an estimate from the model's own probabilities, without outcomes; \
                 confidence-based performance estimation). At training: {:.3}.",
                report.estimated_roc_auc, report.training_roc_auc
            )}
        </p>
        <p data-testid="tier-shares">
            {format!(
                "Share of customers per tier (high / medium / low): {} / {} / {} at training, {} / {} / {} now.",
                pct(t.high), pct(t.medium), pct(t.low), pct(n.high), pct(n.medium), pct(n.low)
            )}
        </p>
        {report.realised.map(|r| view! { <RealisedFigures r training=report.training_roc_auc /> })}
    }
}

#[component]
fn RealisedFigures(r: Realised, training: f64) -> impl IntoView {
    let calibration: Vec<(f64, f64, usize)> = r
        .calibration
        .prob_pred
        .iter()
        .zip(&r.calibration.prob_true)
        .zip(&r.calibration.counts)
        .map(|((&p, &t), &c)| (p, t, c))
        .collect();
    view! {
        <table class="realised" data-testid="realised-metrics">
            <caption>{format!("Realised on {} customers whose outcome the export holds", group_thousands(r.n))}</caption>
            <thead><tr><th scope="col">"Measure"</th><th scope="col" class="num">"Now"</th><th scope="col" class="num">"At training"</th></tr></thead>
            <tbody>
                <tr><td>"ROC AUC (95% interval, DeLong)"</td>
                    <td class="num" data-testid="realised-auc">{format!("{:.3} ({:.3} to {:.3})", r.roc_auc, r.roc_auc_low, r.roc_auc_high)}</td>
                    <td class="num">{format!("{training:.3}")}</td></tr>
                <tr><td>"PR AUC"</td><td class="num">{format!("{:.3}", r.pr_auc)}</td><td class="num">{format!("{:.3}", r.training_pr_auc)}</td></tr>
                <tr><td>"Brier score (lower is better)"</td><td class="num">{format!("{:.3}", r.brier)}</td><td class="num">{format!("{:.3}", r.training_brier)}</td></tr>
                {r.profit_at_threshold.map(|p| view! {
                    <tr><td>"Net value of contacting those above the saved threshold"</td>
                        <td class="num">{churnscope_charts::report::amount(p.net)}</td><td class="num">"—"</td></tr>
                })}
            </tbody>
        </table>
        <table class="calibration" data-testid="realised-calibration">
            <caption>"Calibration now: predicted against actual churn per score band"</caption>
            <thead><tr><th scope="col" class="num">"Mean predicted"</th><th scope="col" class="num">"Actual churn"</th><th scope="col" class="num">"Customers"</th></tr></thead>
            <tbody>
                {calibration.into_iter().map(|(p, t, c)| view! {
                    <tr><td class="num">{pct(p)}</td><td class="num">{pct(t)}</td><td class="num">{group_thousands(c)}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
        {r.decayed.then(|| view! {
            <p class="error" role="alert" data-testid="decay-warning">
                {format!(
                    "The model has decayed: the realised ROC AUC's 95% interval ({:.3} to {:.3}) lies wholly below its \
                     training value {training:.3}. Retrain it with the new data.",
                    r.roc_auc_low, r.roc_auc_high
                )}
            </p>
        })}
    }
}

#[component]
fn TierCounts(result: Arc<MonitorResult>) -> impl IntoView {
    let count = |tier: Tier| result.actions.iter().filter(|a| a.tier == tier).count();
    let text = format!(
        "High risk: {} · medium: {} · low: {} (the saved model's tier cut-offs and playbook).",
        group_thousands(count(Tier::High)),
        group_thousands(count(Tier::Medium)),
        group_thousands(count(Tier::Low))
    );
    view! { <p data-testid="check-tiers">{text}</p> }
}

#[component]
fn ReportButton(result: Arc<MonitorResult>) -> impl IntoView {
    let monitor = MonitorState::get();
    let make = move |_| {
        let Some(open) = monitor.open.get_untracked() else {
            return;
        };
        let generated = js_sys::Date::new_0()
            .to_iso_string()
            .as_string()
            .unwrap_or_default();
        let html = scoring_report(&ScoringReportInput {
            file_name: &result.name,
            generated: &generated,
            model: &open.file,
            model_name: &open.name,
            columns: &result.columns,
            drift: &result.drift,
            actions: &result.actions,
        });
        let outcome = html.map_err(|e| e.to_string()).and_then(|html| {
            download(
                html.as_bytes(),
                &download_name("churn-scores-report", &result.name, &today(), "html"),
                "text/html",
            )
        });
        if let Err(e) = outcome {
            monitor.error.set(Some(e));
        }
    };
    view! {
        <div class="score-row">
            <button class="button" data-testid="download-scoring-report" on:click=make>
                "Download the report (one HTML file)"
            </button>
        </div>
    }
}
