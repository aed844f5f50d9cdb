//! Step 2 for an order log: the columns mapped (as detected, changeable), the cutoff, the
//! churn horizon and the observation window on a timeline, and the customers derived in the
//! worker: the labelled table the rest of the page trains on and the current customers the
//! action list scores. Nothing of the mapping is remembered once the tab closes.

use std::sync::Arc;

use leptos::prelude::*;

use super::browser::download;
use super::job::{Job, JobStatus};
use super::state::{FromOrders, Loaded, Workflow};
use super::worker::start_orders;
use churnscope_engine::acting::export::{to_csv, Table};
use churnscope_engine::dataset::{group_thousands, Dataset};
use churnscope_engine::orders::features::{parse_day, Window, LABEL};
use churnscope_engine::orders::layout::OrderMapping;
use churnscope_engine::orders::log::date_range;
use churnscope_engine::reading::cells::format_date;
use churnscope_engine::understanding::target::{binary_columns, target_for};
use churnscope_worker::orders::Customers;

/// A column role of the mapping form: its key, label, and whether it must be mapped.
const ROLES: [(&str, &str, bool); 11] = [
    ("customer", "Customer", true),
    ("date", "Order date", true),
    ("amount", "Amount", false),
    ("quantity", "Quantity", false),
    ("unit_price", "Unit price", false),
    ("order_id", "Order id", false),
    ("product", "Product or category", false),
    ("status", "Status", false),
    ("cancelled_at", "Cancelled at", false),
    ("discount", "Discount", false),
    ("channel", "Channel", false),
];

/// The column a role is mapped to.
fn get_role(m: &OrderMapping, role: &str) -> Option<String> {
    match role {
        "customer" => Some(m.customer.clone()).filter(|c| !c.is_empty()),
        "date" => Some(m.date.clone()).filter(|c| !c.is_empty()),
        _ => optional(&mut m.clone(), role).clone(),
    }
}

/// Maps `role` to `column` (`None`: not in the file).
fn set_role(m: &mut OrderMapping, role: &str, column: Option<String>) {
    match role {
        "customer" => m.customer = column.unwrap_or_default(),
        "date" => m.date = column.unwrap_or_default(),
        _ => *optional(m, role) = column,
    }
}

fn optional<'a>(m: &'a mut OrderMapping, role: &str) -> &'a mut Option<String> {
    match role {
        "amount" => &mut m.amount,
        "quantity" => &mut m.quantity,
        "unit_price" => &mut m.unit_price,
        "order_id" => &mut m.order_id,
        "product" => &mut m.product,
        "status" => &mut m.status,
        "cancelled_at" => &mut m.cancelled_at,
        "discount" => &mut m.discount,
        _ => &mut m.channel,
    }
}

/// The form's settings, as signals.
#[derive(Clone, Copy)]
struct Settings {
    mapping: RwSignal<OrderMapping>,
    /// The cutoff as typed (`YYYY-MM-DD`); empty for the default.
    cutoff: RwSignal<String>,
    horizon: RwSignal<i64>,
    /// Days of history; 0 for all of it.
    observation: RwSignal<i64>,
    min_history: RwSignal<i64>,
}

impl Settings {
    /// The settings of the last derivation of `log`, or the detected mapping and defaults.
    fn for_log(log: &Arc<Loaded>, previous: Option<Arc<FromOrders>>) -> Self {
        let previous = previous.filter(|p| Arc::ptr_eq(&p.log, log));
        let (mapping, window) = match previous {
            Some(p) => (p.mapping.clone(), p.window),
            None => (
                log.orders
                    .as_ref()
                    .map(|d| d.mapping.clone())
                    .unwrap_or_default(),
                Window::default(),
            ),
        };
        Settings {
            mapping: RwSignal::new(mapping),
            cutoff: RwSignal::new(
                window
                    .cutoff
                    .map(|d| format_date(d as f64))
                    .unwrap_or_default(),
            ),
            horizon: RwSignal::new(window.horizon_days),
            observation: RwSignal::new(window.observation_days.unwrap_or(0)),
            min_history: RwSignal::new(window.min_history_days),
        }
    }

    /// The window the form describes, or what is wrong with it.
    fn window(self) -> Result<Window, String> {
        let text = self.cutoff.get();
        let cutoff = match text.trim() {
            "" => None,
            t => Some(parse_day(t).ok_or_else(|| format!("The cutoff '{t}' is not a date."))?),
        };
        Ok(Window {
            cutoff,
            horizon_days: self.horizon.get(),
            observation_days: Some(self.observation.get()).filter(|&d| d > 0),
            min_history_days: self.min_history.get(),
        })
    }
}

/// The order log's step: mapping, window, timeline, Derive, and what was derived.
#[component]
pub fn OrdersStep(
    /// The order log as read.
    log: Arc<Loaded>,
) -> impl IntoView {
    let (state, job) = (Workflow::get(), JobStatus::get());
    let settings = Settings::for_log(&log, state.orders.get_untracked());
    let detection = log.orders.clone();
    let columns: Vec<String> = log.dataset.columns.iter().map(|c| c.name.clone()).collect();
    let range = {
        let log = log.clone();
        Memo::new(move |_| settings.mapping.with(|m| date_range(&log.dataset, &m.date)))
    };
    let derive_log = log.clone();
    let on_derive = move |_| match settings.window() {
        Ok(window) => derive(
            state,
            job,
            derive_log.clone(),
            settings.mapping.get_untracked(),
            window,
        ),
        Err(e) => job.show_error(e),
    };
    let as_table = {
        let log = log.clone();
        move |_| {
            state.orders.set(None);
            state.replace_table(log.as_customer_table());
        }
    };
    view! {
        <section class="panel orders" aria-labelledby="orders-title" data-testid="orders-step">
            <h2 id="orders-title">"2b. Churn from the orders"</h2>
            <p data-testid="orders-detected">
                {detection.map(|d| {
                    let label = d.layout.label();
                    let mut chars = label.chars();
                    let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
                    format!("{first}{}: {}", chars.as_str(), d.reason)
                })}
            </p>
            <p class="hint">
                "One row per customer is derived from the orders: a customer churned when they \
                 ordered nothing in the horizon after the cutoff. Check the columns, choose the \
                 dates, then derive."
            </p>
            <MappingForm mapping=settings.mapping columns />
            <WindowForm settings range=range.into() />
            <Timeline settings range=range.into() />
            <div class="score-row">
                <button
                    class="button primary"
                    data-testid="derive-customers"
                    prop:disabled=job.busy()
                    on:click=on_derive
                >
                    "Derive the customers"
                </button>
                <button class="button small" data-testid="not-a-log" on:click=as_table>
                    "Not an order log: use it as a customer table"
                </button>
            </div>
            <Derived log />
        </section>
    }
}

/// One select per column role.
#[component]
fn MappingForm(mapping: RwSignal<OrderMapping>, columns: Vec<String>) -> impl IntoView {
    let rows = ROLES
        .iter()
        .map(|&(role, label, required)| {
            let columns = columns.clone();
            let current = move || mapping.with(|m| get_role(m, role));
            view! {
                <label class="map-field">
                    <span>{label}{required.then_some(" *")}</span>
                    <select
                        data-testid=format!("map-{role}")
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            mapping.update(|m| set_role(m, role, Some(value).filter(|v| !v.is_empty())));
                        }
                    >
                        <option value="" prop:selected=move || current().is_none()>
                            {if required { "— choose —" } else { "— not in the file —" }}
                        </option>
                        {columns
                            .into_iter()
                            .map(|c| {
                                let name = c.clone();
                                view! {
                                    <option
                                        value=c.clone()
                                        prop:selected=move || current().as_deref() == Some(name.as_str())
                                    >
                                        {c.clone()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="mapping">
            <legend>"Columns (* required; an amount, or a quantity and a unit price)"</legend>
            {rows}
        </fieldset>
    }
}

/// A number input bound to `value`.
#[component]
fn DaysInput(
    label: &'static str,
    value: RwSignal<i64>,
    testid: &'static str,
    min: i64,
) -> impl IntoView {
    view! {
        <label class="map-field">
            <span>{label}</span>
            <input
                type="number"
                min=min
                step="1"
                data-testid=testid
                prop:value=move || value.get().to_string()
                on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).trim().parse::<i64>() {
                        value.set(v.max(min));
                    }
                }
            />
        </label>
    }
}

/// The cutoff, horizon, observation window and minimum history.
#[component]
fn WindowForm(settings: Settings, range: Signal<Option<(i64, i64)>>) -> impl IntoView {
    let default_cutoff = move || {
        range
            .get()
            .map(|(_, last)| format_date((last - settings.horizon.get()) as f64))
            .unwrap_or_default()
    };
    view! {
        <fieldset class="mapping">
            <legend>"When"</legend>
            <label class="map-field">
                <span>"Cutoff (end of the history)"</span>
                <input
                    type="date"
                    data-testid="orders-cutoff"
                    prop:value=move || {
                        let typed = settings.cutoff.get();
                        if typed.is_empty() { default_cutoff() } else { typed }
                    }
                    on:change=move |ev| settings.cutoff.set(event_target_value(&ev))
                />
            </label>
            <DaysInput label="Churned: no order within (days)" value=settings.horizon testid="orders-horizon" min=1 />
            <DaysInput label="History used (days, 0 = all)" value=settings.observation testid="orders-window" min=0 />
            <DaysInput label="Too new to judge: first order within (days)" value=settings.min_history testid="orders-min-history" min=0 />
        </fieldset>
    }
}

/// The periods on one line: the history used, the churn horizon after the cutoff, and the
/// last day, as of which the current customers are scored.
#[component]
fn Timeline(settings: Settings, range: Signal<Option<(i64, i64)>>) -> impl IntoView {
    move || {
        let (first, last) = range.get()?;
        let window = settings.window().ok()?;
        let cutoff = window.cutoff.unwrap_or(last - window.horizon_days);
        let start = window
            .observation_days
            .map_or(first, |d| (cutoff - d + 1).max(first));
        let end = cutoff + window.horizon_days;
        let span = (last.max(end) - first).max(1) as f64;
        let x = |day: i64| 20.0 + 600.0 * (day - first) as f64 / span;
        let fits = end <= last;
        let summary = format!(
            "History {} to {}; churn horizon {} to {}; log ends {}{}",
            format_date(start as f64),
            format_date(cutoff as f64),
            format_date((cutoff + 1) as f64),
            format_date(end as f64),
            format_date(last as f64),
            if fits {
                ""
            } else {
                " (the horizon runs past the log: choose an earlier cutoff)"
            }
        );
        let cutoff_class = if x(cutoff) > 320.0 {
            "tl-label tl-end"
        } else {
            "tl-label"
        };
        Some(view! {
            <figure class="timeline" data-testid="orders-timeline">
                <svg viewBox="0 0 640 74" role="img" aria-label=summary.clone()>
                    <rect x="20" y="30" width="600" height="10" class="tl-log" />
                    <rect x=x(start) y="24" width=(x(cutoff) - x(start)).max(1.0) height="22" class="tl-history" />
                    <rect x=x(cutoff) y="24" width=(x(end) - x(cutoff)).max(1.0) height="22" class=if fits { "tl-horizon" } else { "tl-horizon tl-bad" } />
                    <line x1=x(last) x2=x(last) y1="16" y2="54" class="tl-now" />
                    <text x=x(start) y="14" class="tl-label">{format!("history from {}", format_date(start as f64))}</text>
                    <text x=x(cutoff) y="68" class=cutoff_class>
                        {format!("cutoff {}", format_date(cutoff as f64))}
                    </text>
                    <text x=x(last) y="12" class="tl-label tl-end">{format!("last day {}", format_date(last as f64))}</text>
                </svg>
                <figcaption class="hint">{summary}</figcaption>
            </figure>
        })
    }
}

/// Derives the customers of `log` in the worker and puts the labelled table in the
/// workflow, with `churned` as the target.
fn derive(
    state: Workflow,
    job: JobStatus,
    log: Arc<Loaded>,
    mapping: OrderMapping,
    window: Window,
) {
    job.start(Job::Deriving);
    let kept = (log.clone(), mapping.clone());
    let on_done = move |result: Result<Customers, String>| match result {
        Ok(customers) => {
            job.finish();
            take_customers(state, kept.0, kept.1, window, customers);
        }
        Err(e) => job.fail(format!(
            "The orders could not be turned into customers: {e}"
        )),
    };
    if let Err(e) = start_orders(
        &log.dataset,
        mapping,
        window,
        move |p| job.report(p),
        on_done,
    ) {
        job.fail(e);
    }
}

/// The derived customers become the table the page trains on.
fn take_customers(
    state: Workflow,
    log: Arc<Loaded>,
    mapping: OrderMapping,
    window: Window,
    customers: Customers,
) {
    let Customers {
        labelled,
        current,
        summary,
        log: report,
    } = customers;
    let stem = log
        .name
        .rsplit_once('.')
        .map_or(log.name.as_str(), |(s, _)| s);
    let name = format!("{stem}-customers-{}.csv", summary.cutoff);
    state
        .target
        .set(target_for(&labelled, LABEL, Some("1")).ok());
    state.orders.set(Some(Arc::new(FromOrders {
        log: log.clone(),
        mapping,
        window,
        summary,
        report,
        current: Arc::new(current),
    })));
    state.replace_table(Loaded {
        name,
        source: log.source.clone(),
        options: log.options.clone(),
        summary: labelled.summary(),
        candidates: binary_columns(&labelled)
            .into_iter()
            .map(|c| c.name.clone())
            .collect(),
        dataset: labelled,
        info: log.info.clone(),
        parse_ms: 0.0,
        first_warnings: None,
        orders: None,
    });
}

/// What the last derivation of `log` found, with the two downloads.
#[component]
fn Derived(log: Arc<Loaded>) -> impl IntoView {
    let state = Workflow::get();
    move || {
        let from = state.orders.get().filter(|o| Arc::ptr_eq(&o.log, &log))?;
        let labelled = state
            .loaded
            .with(|l| l.as_ref().map(|l| l.dataset.clone()))?;
        let (s, r) = (&from.summary, &from.report);
        let rate = 100.0 * s.churned as f64 / s.labelled.max(1) as f64;
        let lines = vec![
            format!(
                "{} rows → {} orders ({} cancelled, voided, returned or refunded, not counted as purchases) by {} customers, {} to {}.",
                group_thousands(r.rows), group_thousands(r.orders), group_thousands(r.cancelled_orders),
                group_thousands(r.customers), r.first_date, r.last_date
            ),
            format!(
                "Left out: {} rows without a customer, {} rows without a date{}.",
                group_thousands(r.rows_without_customer),
                group_thousands(r.rows_without_date),
                r.first_bad_date.as_ref().map(|(line, v)| format!(" (first: line {line}, '{v}')")).unwrap_or_default()
            ),
            format!(
                "Labelled as of {}: {} customers, {} churned ({rate:.1}%), {} one-time buyers.",
                s.cutoff, group_thousands(s.labelled), group_thousands(s.churned), group_thousands(s.one_time_buyers)
            ),
            format!(
                "Not labelled: {} too new (first order under {} days before the cutoff), {} first ordered after it, {} with no order in the history used.",
                group_thousands(s.too_new), s.min_history_days, group_thousands(s.after_cutoff), group_thousands(s.outside_window)
            ),
            format!(
                "Current customers as of {}: {} (the action list scores them).",
                s.last_date, group_thousands(s.current)
            ),
        ];
        let current = from.current.clone();
        let stem = log
            .name
            .rsplit_once('.')
            .map_or(log.name.as_str(), |(s, _)| s)
            .to_string();
        let cutoff = s.cutoff.clone();
        Some(view! {
            <div class="derived" data-testid="orders-summary">
                <ul>{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                <div class="score-row">
                    <DownloadTable testid="download-customers" label="Download the labelled customers (CSV)" table=Arc::new(labelled) name=format!("{stem}-customers-{cutoff}.csv") />
                    <DownloadTable testid="download-current" label="Download the current customers (CSV)" table=current name=format!("{stem}-current-customers.csv") />
                </div>
            </div>
        })
    }
}

/// A button that downloads `table` as CSV.
#[component]
fn DownloadTable(
    testid: &'static str,
    label: &'static str,
    table: Arc<Dataset>,
    name: String,
) -> impl IntoView {
    let job = JobStatus::get();
    let save = move |_| {
        if let Err(e) = download(&to_csv(&Table::of_dataset(&table)), &name, "text/csv") {
            job.show_error(e);
        }
    };
    view! {
        <button class="button" data-testid=testid on:click=save>
            {label}
        </button>
    }
}
