//! What a retention campaign would earn: the merchant's assumptions (value of a kept
//! customer, cost and success of an intervention, how many can be contacted) and the
//! expected net benefit of contacting the riskiest customers.

use std::sync::Arc;

use leptos::prelude::*;

use super::chart_canvas::{ChartCanvas, Draw};
use super::results::lines;
use churnscope_charts::figures::profit_chart;
use churnscope_charts::report::amount as money;
use churnscope_engine::acting::actions::{value_columns, CustomerValue, ProfitCurve, ProfitInputs};
use churnscope_engine::dataset::{group_thousands, Dataset};

/// The assumptions, the best plan and the two profit charts.
#[component]
pub fn ProfitSection(
    /// The merchant's assumptions.
    inputs: RwSignal<ProfitInputs>,
    /// The expected net gain per number contacted, or why it cannot be computed.
    profit: Signal<Result<ProfitCurve, String>>,
    /// The model's operating threshold (the best plan's can be applied).
    threshold: RwSignal<f64>,
    dataset: Arc<Dataset>,
    /// The target column (never offered as an amount).
    target: String,
) -> impl IntoView {
    view! {
        <div class="profit">
            <h3>"What a retention campaign would earn"</h3>
            <ProfitForm inputs dataset target />
            {move || match profit.get() {
                Ok(curve) => view! { <ProfitSummary curve inputs=inputs.get() threshold /> }.into_any(),
                Err(e) => view! { <p class="error" data-testid="profit-error">{e}</p> }.into_any(),
            }}
            <div class="chart-grid">
                <figure class="figure">
                    <ChartCanvas testid="profit-chart" label="Expected net gain against the number of customers contacted" draw=profit_draw(profit, false) width=480.0 height=340.0 />
                    <figcaption class="how-to-read">
                        "How to read this: contacting the riskiest customers first, the gain rises while most of those \
                         reached would have churned, then falls as each contact costs more than it keeps. The line marks the best point."
                    </figcaption>
                </figure>
                <figure class="figure">
                    <ChartCanvas testid="profit-threshold-chart" label="Expected net gain against the threshold" draw=profit_draw(profit, true) width=480.0 height=340.0 />
                    <figcaption class="how-to-read">
                        "How to read this: the same gain against the churn probability from which customers are contacted."
                    </figcaption>
                </figure>
            </div>
        </div>
    }
}

/// The net gain against the number contacted, or against the threshold.
fn profit_draw(profit: Signal<Result<ProfitCurve, String>>, by_threshold: bool) -> Draw {
    Arc::new(move || match profit.get() {
        Ok(curve) => lines(profit_chart(&curve, by_threshold)),
        Err(_) => lines(Default::default()),
    })
}

/// The assumptions' fields; numbers are parsed and checked before they change anything.
#[component]
fn ProfitForm(
    inputs: RwSignal<ProfitInputs>,
    dataset: Arc<Dataset>,
    target: String,
) -> impl IntoView {
    let (error, set_error) = signal(None::<String>);
    let set_number = move |what: &'static str, text: String, apply: fn(&mut ProfitInputs, f64)| {
        set_error.set(update_inputs(inputs, what, &text, apply).err());
    };
    let set_capacity = move |text: String| {
        if text.trim().is_empty() {
            set_error.set(None);
            inputs.update(|i| i.capacity = None);
        } else {
            set_number("Capacity", text, |i, v| {
                i.capacity = Some(v.max(0.0).round() as usize)
            });
        }
    };
    view! {
        <div class="advanced-grid">
            <ValueFields inputs dataset target on_amount=Callback::new(move |text| set_number("Value", text, |i, v| i.value = CustomerValue::Fixed(v))) />
            <label class="field">
                "Cost of one intervention "
                <input type="number" min="0" step="any" data-testid="cost-input"
                    prop:value=move || inputs.get().cost.to_string()
                    on:change=move |ev| set_number("Cost", event_target_value(&ev), |i, v| i.cost = v) />
            </label>
            <label class="field">
                "Success rate (%) "
                <input type="number" min="0" max="100" step="any" data-testid="success-input"
                    prop:value=move || (inputs.get().success_rate * 100.0).to_string()
                    on:change=move |ev| set_number("Success rate", event_target_value(&ev), |i, v| i.success_rate = v / 100.0) />
            </label>
            <label class="field">
                "Contact at most (blank: no limit) "
                <input type="number" min="0" step="1" data-testid="capacity-input"
                    prop:value=move || inputs.get().capacity.map(|c| c.to_string()).unwrap_or_default()
                    on:change=move |ev| set_capacity(event_target_value(&ev)) />
            </label>
        </div>
        {move || error.get().map(|e| view! { <p class="error" data-testid="input-error">{e}</p> })}
    }
}

/// Applies the number in `text` (a trailing % allowed) to `inputs` with `apply`, if it is a
/// number and the assumptions stay valid; otherwise says what is wrong (`what` names it).
fn update_inputs(
    inputs: RwSignal<ProfitInputs>,
    what: &str,
    text: &str,
    apply: fn(&mut ProfitInputs, f64),
) -> Result<(), String> {
    let text = text.trim().trim_end_matches('%');
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => {
            let mut next = inputs.get_untracked();
            apply(&mut next, v);
            next.check().map_err(|e| e.to_string())?;
            inputs.set(next);
            Ok(())
        }
        _ => Err(format!("{what}: '{text}' is not a number")),
    }
}

/// How much a kept customer is worth: one amount for everyone, or a column of the file.
#[component]
fn ValueFields(
    inputs: RwSignal<ProfitInputs>,
    dataset: Arc<Dataset>,
    target: String,
    /// Called with the text of the amount field.
    on_amount: Callback<String>,
) -> impl IntoView {
    let value_options = value_columns(&dataset, &target)
        .iter()
        .map(|c| view! { <option value=c.clone()>{format!("each customer's {c}")}</option> })
        .collect_view();
    let fixed_value = move || match inputs.get().value {
        CustomerValue::Fixed(v) => v.to_string(),
        CustomerValue::Column(_) => String::new(),
    };
    let set_mode = move |column: String| {
        inputs.update(|i| {
            i.value = if column.is_empty() {
                CustomerValue::Fixed(200.0)
            } else {
                CustomerValue::Column(column)
            }
        })
    };
    view! {
        <label class="field">
            "Value of a kept customer "
            <select data-testid="value-mode" on:change=move |ev| set_mode(event_target_value(&ev))>
                <option value="">"the same amount for everyone"</option>
                {value_options}
            </select>
        </label>
        <label class="field">
            "Amount "
            <input type="number" min="0" step="any" data-testid="value-input"
                prop:value=fixed_value
                prop:disabled=move || matches!(inputs.get().value, CustomerValue::Column(_))
                on:change=move |ev| on_amount.run(event_target_value(&ev)) />
        </label>
    }
}

/// The best plan on the profit curve, the assumptions behind it in words, and a button
/// that makes its threshold the model's.
#[component]
fn ProfitSummary(
    curve: ProfitCurve,
    inputs: ProfitInputs,
    threshold: RwSignal<f64>,
) -> impl IntoView {
    let best = *curve.best();
    let assumptions = assumptions_text(&inputs, &curve);
    let threshold_text = best
        .threshold
        .map_or("nobody".to_string(), |t| format!("{t:.3}"));
    view! {
        <div class="profit-summary" data-testid="profit-summary">
            <p>
                "Best plan: contact the "
                <strong data-testid="profit-contacted">{group_thousands(best.contacted.round() as usize)}</strong>
                " riskiest customers (churn probability at least "
                <strong data-testid="profit-threshold">{threshold_text}</strong>
                "). Expected value kept "
                <strong data-testid="profit-retained">{money(best.retained)}</strong>
                ", cost "
                <strong data-testid="profit-cost">{money(best.cost)}</strong>
                ", net gain "
                <strong data-testid="profit-net">{money(best.net)}</strong>
                "."
            </p>
            <p class="how-to-read" data-testid="profit-assumptions">{assumptions}</p>
            {best.threshold.map(|t| view! {
                <button class="button" data-testid="profit-apply" on:click=move |_| threshold.set(t)>
                    {format!("Use {t:.3} as the model's operating threshold")}
                </button>
            })}
        </div>
    }
}

/// The assumptions behind the profit figures, in words.
fn assumptions_text(i: &ProfitInputs, curve: &ProfitCurve) -> String {
    let value_words = match &i.value {
        CustomerValue::Fixed(v) => format!("a kept customer is worth {}", money(*v)),
        CustomerValue::Column(c) => {
            format!("a kept customer is worth their own {c} (blank cells: the column's median)")
        }
    };
    let capacity_words = match i.capacity {
        Some(c) => format!("at most {} customers can be contacted", group_thousands(c)),
        None => "there is no limit on how many customers can be contacted".to_string(),
    };
    let test_n = curve.points.last().map_or(0, |p| p.test_contacted);
    format!(
        "Assumptions: {value_words}; one intervention costs {}; it keeps {:.0}% of the churners it reaches; \
         {capacity_words}. Figures are what contacting the riskiest customers would have earned on the {} test \
         customers, whose outcome is known, projected to the {} customers in the file (×{:.2}).",
        money(i.cost),
        i.success_rate * 100.0,
        group_thousands(test_n),
        group_thousands(curve.population),
        curve.scale
    )
}
