//! Step 5, acting on the scores: risk tiers, the profit of a retention campaign, the
//! playbook, the action list and the one-file report, for the model in use.
//!
//! Tiers and the profit view come from the test customers at once; scoring every customer
//! of the file with their reasons (for the tiers' drivers and the action list) is a job for
//! the background worker, started by the user.

use std::sync::Arc;

use leptos::prelude::*;

use super::action_list::ActionList;
use super::browser::{download, today};
use super::chart_canvas::{ChartCanvas, Draw};
use super::playbook::PlaybookEditor;
use super::results::lines;
use churnscope_charts::draw_bars;
use churnscope_charts::figures::{profit_chart, tier_chart};
use churnscope_charts::report::{amount as money, download_name, html_report, ReportInput};
use churnscope_engine::acting::actions::{
    action_list, summarise_tiers, value_columns, ActionRow, CustomerValue, Playbook, ProfitCurve,
    ProfitInputs, ScoredCustomer, TierCuts,
};
use churnscope_engine::dataset::{group_thousands, Dataset};
use churnscope_engine::evaluating::evaluation::ModelRun;

/// Every customer of the file scored by one model, with their reasons.
#[derive(Clone)]
pub struct Scored {
    /// The model that scored them.
    pub run: Arc<ModelRun>,
    pub customers: Arc<Vec<ScoredCustomer>>,
}

/// What the action step shares with the app: the merchant's assumptions and playbook
/// outlive a training run.
#[derive(Clone, Copy)]
pub struct ActionState {
    pub inputs: RwSignal<ProfitInputs>,
    pub playbook: RwSignal<Playbook>,
    /// Every customer scored, per model the user scored with; kept while the user
    /// switches between the models of one run, cleared when the data or the run changes.
    pub scored: RwSignal<Vec<Scored>>,
}

impl ActionState {
    pub fn new() -> Self {
        ActionState {
            inputs: RwSignal::new(ProfitInputs::default()),
            playbook: RwSignal::new(Playbook::ecommerce()),
            scored: RwSignal::new(Vec::new()),
        }
    }
}

impl Default for ActionState {
    fn default() -> Self {
        Self::new()
    }
}

/// The action step for the model in use.
#[component]
pub fn ActionsPanel(
    /// The model in use.
    run: Arc<ModelRun>,
    /// Every model of the run (for the report's comparison).
    runs: Signal<Vec<Arc<ModelRun>>>,
    /// Index of the model in use.
    chosen: RwSignal<usize>,
    dataset: Arc<Dataset>,
    /// The file's name and the target column (for the report).
    file_name: String,
    target: String,
    /// The operating threshold the results panel shows.
    threshold: RwSignal<f64>,
    state: ActionState,
    /// True while a job runs.
    busy: Signal<bool>,
    /// Scores every customer with the model in use (in the worker).
    on_score: Callback<Arc<ModelRun>>,
) -> impl IntoView {
    let cuts = RwSignal::new(TierCuts::from_scores(&run.test_scores));
    let default_cuts = cuts.get_untracked();
    let ActionState {
        inputs,
        playbook,
        scored,
    } = state;
    // This model's scored customers, once the user has asked for them.
    let mine = Memo::new({
        let run = run.clone();
        move |_| {
            scored.with(|list| {
                list.iter()
                    .find(|s| Arc::ptr_eq(&s.run, &run))
                    .map(|s| s.customers.clone())
            })
        }
    });
    let tiers = Memo::new({
        let run = run.clone();
        move |_| {
            let customers = mine.get();
            let scored: &[ScoredCustomer] = customers.as_deref().map_or(&[], |c| c.as_slice());
            summarise_tiers(&cuts.get(), &run.test_scores, &run.test_labels, scored)
        }
    });
    let profit = Memo::new({
        let (run, dataset) = (run.clone(), dataset.clone());
        move |_| -> Result<ProfitCurve, String> {
            let inputs = inputs.get();
            let values = inputs
                .values(&dataset, &run.test_rows)
                .map_err(|e| e.to_string())?;
            churnscope_engine::acting::actions::profit_curve(
                &run.test_scores,
                &run.test_labels,
                &values,
                &inputs,
                dataset.n_rows,
            )
            .map_err(|e| e.to_string())
        }
    });
    let actions = Memo::new({
        let dataset = dataset.clone();
        move |_| -> Option<Result<Arc<Vec<ActionRow>>, String>> {
            let customers = mine.get()?;
            Some(
                playbook
                    .with(|p| p.check().map(|()| p.clone()))
                    .and_then(|p| action_list(&dataset, &customers, &cuts.get(), &p, &inputs.get()))
                    .map(Arc::new)
                    .map_err(|e| e.to_string()),
            )
        }
    });
    let (report_error, set_report_error) = signal(None::<String>);
    let file_for_list = file_name.clone();
    let target_for_profit = target.clone();
    let make_report = {
        let dataset = dataset.clone();
        let run = run.clone();
        move |_| {
            let (Ok(curve), Some(Ok(rows))) = (profit.get_untracked(), actions.get_untracked())
            else {
                set_report_error.set(Some(
                    "Score every customer first, and fix any error above: the report shows the action list."
                        .to_string(),
                ));
                return;
            };
            let list = runs.get_untracked();
            let chosen_index = list
                .iter()
                .position(|r| Arc::ptr_eq(r, &run))
                .unwrap_or(chosen.get_untracked());
            let generated = js_sys::Date::new_0()
                .to_iso_string()
                .as_string()
                .unwrap_or_default();
            let html = html_report(&ReportInput {
                file_name: &file_name,
                generated: &generated,
                dataset: &dataset,
                target: &target,
                runs: &list,
                chosen: chosen_index,
                threshold: threshold.get_untracked(),
                cuts: cuts.get_untracked(),
                tiers: &tiers.get_untracked(),
                inputs: &inputs.get_untracked(),
                profit: &curve,
                playbook: &playbook.get_untracked(),
                actions: &rows,
            });
            let result = html.map_err(|e| e.to_string()).and_then(|html| {
                download(
                    html.as_bytes(),
                    &download_name("churn-report", &file_name, &today(), "html"),
                    "text/html",
                )
            });
            set_report_error.set(result.err());
        }
    };
    let run_label = run.label();
    let n_customers = dataset.n_rows;
    let score = {
        let run = run.clone();
        move |_| on_score.run(run.clone())
    };
    let model_columns: Vec<String> = run
        .outcome
        .pipeline
        .preprocessor
        .input_columns()
        .into_iter()
        .map(str::to_string)
        .collect();
    view! {
        <section class="panel actions" aria-labelledby="actions-title" data-testid="actions">
            <h2 id="actions-title">"5. Act on the scores"</h2>
            <p class="hint">
                {format!(
                    "For the model in use ({}). Tiers and the profit view use the test customers, whose outcome \
                     the model never saw; the action list scores every customer of the file.",
                    run_label.to_lowercase()
                )}
            </p>
            <TierSection cuts default_cuts tiers=tiers.into() scored=Signal::derive(move || mine.with(Option::is_some)) />
            <ProfitSection inputs profit=profit.into() threshold dataset=dataset.clone() target=target_for_profit.clone() />
            <PlaybookEditor playbook columns=model_columns />
            <div class="score-row">
                <button
                    class="button primary"
                    data-testid="score-customers"
                    prop:disabled=busy
                    on:click=score
                >
                    {format!("Score all {} customers and build the action list", group_thousands(n_customers))}
                </button>
            </div>
            {move || match actions.get() {
                None => None,
                Some(Err(e)) => Some(view! { <p class="error" data-testid="action-error">{e}</p> }.into_any()),
                Some(Ok(rows)) => Some(view! { <ActionList rows file_name=file_for_list.clone() /> }.into_any()),
            }}
            <div class="score-row">
                <button class="button" data-testid="download-report" on:click=make_report>
                    "Download the report (one HTML file)"
                </button>
                <span class="hint">
                    " Opens in any browser without a network; print it to PDF from there."
                </span>
            </div>
            {move || report_error.get().map(|e| view! { <p class="error" data-testid="report-error">{e}</p> })}
        </section>
    }
}

/// Risk tiers with editable cut-offs.
#[component]
fn TierSection(
    cuts: RwSignal<TierCuts>,
    default_cuts: TierCuts,
    tiers: Signal<Vec<churnscope_engine::acting::actions::TierSummary>>,
    /// Whether every customer has been scored (the counts and drivers are the file's).
    scored: Signal<bool>,
) -> impl IntoView {
    let (error, set_error) = signal(None::<String>);
    let set_cut = move |high: bool, text: String| {
        let Ok(v) = text.trim().parse::<f64>() else {
            set_error.set(Some(format!("'{text}' is not a number between 0 and 1")));
            return;
        };
        let mut next = cuts.get_untracked();
        if high {
            next.high = v;
        } else {
            next.medium = v;
        }
        match next.check() {
            Ok(()) => {
                set_error.set(None);
                cuts.set(next);
            }
            Err(e) => set_error.set(Some(e.to_string())),
        }
    };
    let draw: Draw = Arc::new(move || {
        let chart = tier_chart(&tiers.get());
        Box::new(move |area, scale| draw_bars(area, &chart, scale))
    });
    let rows = move || {
        tiers
            .get()
            .into_iter()
            .map(|t| {
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
                let whole_file = scored
                    .get()
                    .then(|| view! { <td class="num" data-col="customers">{group_thousands(t.customers)}</td> });
                view! {
                    <tr data-testid="tier-row" data-tier=t.tier.label()>
                        <th scope="row">{t.tier.label()}</th>
                        {whole_file}
                        <td class="num" data-col="test-customers">{group_thousands(t.test_customers)}</td>
                        <td class="num" data-col="churn-rate">{rate}</td>
                        <td data-col="drivers">{drivers}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <div class="tiers">
            <h3>"Risk tiers"</h3>
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
            <div class="chart-grid">
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

/// The merchant's assumptions and the expected net benefit of contacting the riskiest
/// customers.
#[component]
fn ProfitSection(
    inputs: RwSignal<ProfitInputs>,
    profit: Signal<Result<ProfitCurve, String>>,
    threshold: RwSignal<f64>,
    dataset: Arc<Dataset>,
    /// The target column (never offered as an amount).
    target: String,
) -> impl IntoView {
    let (error, set_error) = signal(None::<String>);
    // Number fields: parsed and checked before they change anything.
    let set_number = move |what: &'static str, text: String, apply: fn(&mut ProfitInputs, f64)| {
        let text = text.trim().trim_end_matches('%').to_string();
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => {
                let mut next = inputs.get_untracked();
                apply(&mut next, v);
                match next.check() {
                    Ok(()) => {
                        set_error.set(None);
                        inputs.set(next);
                    }
                    Err(e) => set_error.set(Some(e.to_string())),
                }
            }
            _ => set_error.set(Some(format!("{what}: '{text}' is not a number"))),
        }
    };
    let value_options = value_columns(&dataset, &target)
        .iter()
        .map(|c| view! { <option value=c.clone()>{format!("each customer's {c}")}</option> })
        .collect_view();
    let fixed_value = move || match inputs.get().value {
        CustomerValue::Fixed(v) => v.to_string(),
        CustomerValue::Column(_) => String::new(),
    };
    let by_count: Draw = Arc::new(move || match profit.get() {
        Ok(curve) => lines(profit_chart(&curve, false)),
        Err(_) => lines(Default::default()),
    });
    let by_threshold: Draw = Arc::new(move || match profit.get() {
        Ok(curve) => lines(profit_chart(&curve, true)),
        Err(_) => lines(Default::default()),
    });
    let summary = move || {
        let curve = match profit.get() {
            Ok(c) => c,
            Err(e) => {
                return view! { <p class="error" data-testid="profit-error">{e}</p> }.into_any()
            }
        };
        let i = inputs.get();
        let best = *curve.best();
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
        let assumptions = format!(
            "Assumptions: {value_words}; one intervention costs {}; it keeps {:.0}% of the churners it reaches; \
             {capacity_words}. Figures are what contacting the riskiest customers would have earned on the {} test \
             customers, whose outcome is known, projected to the {} customers in the file (×{:.2}).",
            money(i.cost),
            i.success_rate * 100.0,
            group_thousands(test_n),
            group_thousands(curve.population),
            curve.scale
        );
        let threshold_text = best
            .threshold
            .map_or("nobody".to_string(), |t| format!("{t:.3}"));
        let apply = best.threshold;
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
                {apply.map(|t| view! {
                    <button class="button" data-testid="profit-apply" on:click=move |_| threshold.set(t)>
                        {format!("Use {t:.3} as the model's operating threshold")}
                    </button>
                })}
            </div>
        }
        .into_any()
    };
    view! {
        <div class="profit">
            <h3>"What a retention campaign would earn"</h3>
            <div class="advanced-grid">
                <label class="field">
                    "Value of a kept customer "
                    <select data-testid="value-mode" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        inputs.update(|i| {
                            i.value = if v.is_empty() {
                                CustomerValue::Fixed(200.0)
                            } else {
                                CustomerValue::Column(v)
                            }
                        });
                    }>
                        <option value="">"the same amount for everyone"</option>
                        {value_options}
                    </select>
                </label>
                <label class="field">
                    "Amount "
                    <input type="number" min="0" step="any" data-testid="value-input"
                        prop:value=fixed_value
                        prop:disabled=move || matches!(inputs.get().value, CustomerValue::Column(_))
                        on:change=move |ev| set_number("Value", event_target_value(&ev), |i, v| i.value = CustomerValue::Fixed(v)) />
                </label>
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
                        on:change=move |ev| {
                            let text = event_target_value(&ev);
                            if text.trim().is_empty() {
                                set_error.set(None);
                                inputs.update(|i| i.capacity = None);
                            } else {
                                set_number("Capacity", text, |i, v| i.capacity = Some(v.max(0.0).round() as usize));
                            }
                        } />
                </label>
            </div>
            {move || error.get().map(|e| view! { <p class="error" data-testid="input-error">{e}</p> })}
            {summary}
            <div class="chart-grid">
                <figure class="figure">
                    <ChartCanvas testid="profit-chart" label="Expected net gain against the number of customers contacted" draw=by_count width=480.0 height=340.0 />
                    <figcaption class="how-to-read">
                        "How to read this: contacting the riskiest customers first, the gain rises while most of those \
                         reached would have churned, then falls as each contact costs more than it keeps. The line marks the best point."
                    </figcaption>
                </figure>
                <figure class="figure">
                    <ChartCanvas testid="profit-threshold-chart" label="Expected net gain against the threshold" draw=by_threshold width=480.0 height=340.0 />
                    <figcaption class="how-to-read">
                        "How to read this: the same gain against the churn probability from which customers are contacted."
                    </figcaption>
                </figure>
            </div>
        </div>
    }
}
