//! Risk tiers of the action step: editable cut-offs, the customers and churn rate of each
//! tier, its main drivers once every customer is scored, and a chart of the churn rates.

use std::sync::Arc;

use leptos::prelude::*;

use super::chart_canvas::{ChartCanvas, Draw};
use churnscope_charts::draw_bars;
use churnscope_charts::figures::tier_chart;
use churnscope_engine::acting::actions::{TierCuts, TierSummary};
use churnscope_engine::dataset::group_thousands;

/// Risk tiers with editable cut-offs.
#[component]
pub fn TierSection(
    /// The cut-offs in use.
    cuts: RwSignal<TierCuts>,
    /// The model's own cut-offs (the reset button's).
    default_cuts: TierCuts,
    /// One summary per tier.
    tiers: Signal<Vec<TierSummary>>,
    /// Whether every customer has been scored (the counts and drivers are the file's).
    scored: Signal<bool>,
) -> impl IntoView {
    let draw: Draw = Arc::new(move || {
        let chart = tier_chart(&tiers.get());
        Box::new(move |area, scale| draw_bars(area, &chart, scale))
    });
    view! {
        <div class="tiers">
            <h3>"Risk tiers"</h3>
            <TierCutInputs cuts default_cuts />
            <div class="chart-grid">
                <TierTable tiers scored />
                <figure class="figure">
                    <ChartCanvas testid="tier-chart" label="Actual churn rate of each risk tier" draw width=420.0 height=280.0 />
                    <figcaption class="how-to-read">
                        "How to read this: the share of each tier's test customers who really churned. \
                         The defaults put a fifth of customers in the high tier and half in the low tier."
                    </figcaption>
                </figure>
            </div>
        </div>
    }
}

/// The two cut-offs, checked before they change anything, and the reset button.
#[component]
fn TierCutInputs(cuts: RwSignal<TierCuts>, default_cuts: TierCuts) -> impl IntoView {
    let (error, set_error) = signal(None::<String>);
    let set_cut = move |high: bool, text: String| match parse_cut(cuts.get_untracked(), high, &text)
    {
        Ok(next) => {
            set_error.set(None);
            cuts.set(next);
        }
        Err(e) => set_error.set(Some(e)),
    };
    view! {
        <div class="advanced-grid">
            <label class="field">
                "High from a churn probability of "
                <input type="number" min="0" max="1" step="0.01" data-testid="tier-high"
                    prop:value=move || format!("{:.3}", cuts.get().high)
                    on:change=move |ev| set_cut(true, event_target_value(&ev)) />
            </label>
            <label class="field">
                "Medium from "
                <input type="number" min="0" max="1" step="0.01" data-testid="tier-medium"
                    prop:value=move || format!("{:.3}", cuts.get().medium)
                    on:change=move |ev| set_cut(false, event_target_value(&ev)) />
            </label>
            <button class="button" data-testid="tier-reset" on:click=move |_| {
                set_error.set(None);
                cuts.set(default_cuts);
            }>"Back to the defaults"</button>
        </div>
        {move || error.get().map(|e| view! { <p class="error" data-testid="tier-error">{e}</p> })}
    }
}

/// `cuts` with the high (or medium) cut-off set to what `text` says, checked.
fn parse_cut(mut cuts: TierCuts, high: bool, text: &str) -> Result<TierCuts, String> {
    let Ok(v) = text.trim().parse::<f64>() else {
        return Err(format!("'{text}' is not a number between 0 and 1"));
    };
    if high {
        cuts.high = v;
    } else {
        cuts.medium = v;
    }
    cuts.check().map_err(|e| e.to_string())?;
    Ok(cuts)
}

/// Customers, churn rate and drivers per tier.
#[component]
fn TierTable(tiers: Signal<Vec<TierSummary>>, scored: Signal<bool>) -> impl IntoView {
    let rows = move || {
        let whole_file = scored.get();
        tiers
            .get()
            .into_iter()
            .map(|t| view! { <TierRow tier=t whole_file /> })
            .collect_view()
    };
    view! {
        <table class="tier-table" data-testid="tier-table">
            <caption>
                {move || if scored.get() {
                    "Customers of the whole file per tier; churn rate on the test customers; drivers: the columns most often among the tier's top reasons"
                } else {
                    "Test customers per tier and their actual churn rate (score every customer below for the whole file and each tier's drivers)"
                }}
            </caption>
            <thead>
                <tr>
                    <th scope="col">"Tier"</th>
                    {move || scored.get().then(|| view! { <th scope="col">"Customers in the file"</th> })}
                    <th scope="col">"Test customers"</th>
                    <th scope="col">"Churn rate (test)"</th>
                    <th scope="col">"Main drivers"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// One tier's row; `whole_file` once every customer is scored.
#[component]
fn TierRow(tier: TierSummary, whole_file: bool) -> impl IntoView {
    let t = tier;
    let rate = t
        .churn_rate()
        .map_or("–".to_string(), |r| format!("{:.1}%", r * 100.0));
    let drivers = if t.drivers.is_empty() {
        "–".to_string()
    } else {
        t.drivers
            .iter()
            .map(|(c, n)| format!("{c} ({})", group_thousands(*n)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Before scoring the counts would repeat the test customers' column.
    let whole_file = whole_file.then(
        || view! { <td class="num" data-col="customers">{group_thousands(t.customers)}</td> },
    );
    view! {
        <tr data-testid="tier-row" data-tier=t.tier.label()>
            <th scope="row">{t.tier.label()}</th>
            {whole_file}
            <td class="num" data-col="test-customers">{group_thousands(t.test_customers)}</td>
            <td class="num" data-col="churn-rate">{rate}</td>
            <td data-col="drivers">{drivers}</td>
        </tr>
    }
}
