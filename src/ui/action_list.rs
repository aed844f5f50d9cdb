//! The action list: every scored customer with tier, reasons, suggested action and the
//! expected value of contacting them; sortable, filterable, paged, and downloadable as CSV
//! or Excel (what is shown, in the order shown).

use std::sync::Arc;

use leptos::prelude::*;

use super::browser::{download, today};
use churnscope_charts::report::download_name;
use churnscope_engine::acting::actions::{action_table, reason_text, ActionRow, Tier};
use churnscope_engine::acting::export::{to_csv, to_xlsx};
use churnscope_engine::dataset::group_thousands;

/// Rows per page.
const PAGE: usize = 50;

/// How the list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortBy {
    Risk,
    Value,
    Customer,
    Action,
}

/// Whether `row` passes the tier, action and text filters.
fn keep(row: &ActionRow, tier: Option<Tier>, action: &str, text: &str) -> bool {
    tier.is_none_or(|t| row.tier == t)
        && (action.is_empty() || row.action == action)
        && (text.is_empty()
            || row.id.to_lowercase().contains(text)
            || row.action.to_lowercase().contains(text)
            || row
                .reasons
                .iter()
                .any(|r| reason_text(r).to_lowercase().contains(text)))
}

/// How the list is filtered, ordered and paged, as signals (so the value is `Copy`).
#[derive(Clone, Copy)]
struct ListState {
    tier: RwSignal<Option<Tier>>,
    action: RwSignal<String>,
    text: RwSignal<String>,
    sort: RwSignal<SortBy>,
    /// The page shown, from 0.
    page: RwSignal<usize>,
}

impl ListState {
    /// Every customer, riskiest first, on the first page.
    fn new() -> Self {
        ListState {
            tier: RwSignal::new(None),
            action: RwSignal::new(String::new()),
            text: RwSignal::new(String::new()),
            sort: RwSignal::new(SortBy::Risk),
            page: RwSignal::new(0),
        }
    }

    /// Positions in `rows` of the customers shown, in the order shown (the rows themselves
    /// are not copied as the filters change).
    fn shown(self, rows: &[ActionRow]) -> Vec<usize> {
        let (t, a) = (self.tier.get(), self.action.get());
        let q = self.text.get().trim().to_lowercase();
        let mut list: Vec<usize> = (0..rows.len())
            .filter(|&i| keep(&rows[i], t, &a, &q))
            .collect();
        match self.sort.get() {
            // The list arrives riskiest first.
            SortBy::Risk => {}
            SortBy::Value => {
                list.sort_by(|&a, &b| rows[b].expected_value.total_cmp(&rows[a].expected_value))
            }
            SortBy::Customer => list.sort_by(|&a, &b| rows[a].id.cmp(&rows[b].id)),
            SortBy::Action => list.sort_by(|&a, &b| rows[a].action.cmp(&rows[b].action)),
        }
        list
    }
}

/// The list, its filters and downloads.
#[component]
pub fn ActionList(
    rows: Arc<Vec<ActionRow>>,
    /// The data file's name, for the names of the downloads.
    file_name: String,
) -> impl IntoView {
    let list_state = ListState::new();
    let (error, set_error) = signal(None::<String>);
    let mut actions: Vec<String> = rows.iter().map(|r| r.action.clone()).collect();
    actions.sort();
    actions.dedup();
    let shown = Memo::new({
        let rows = rows.clone();
        move |_| Arc::new(list_state.shown(&rows))
    });
    let pages = Signal::derive(move || shown.with(|s| s.len().div_ceil(PAGE).max(1)));
    let save = {
        let rows = rows.clone();
        move |excel: bool| {
            let picked: Vec<ActionRow> = shown
                .get_untracked()
                .iter()
                .map(|&i| rows[i].clone())
                .collect();
            set_error.set(save_list(&picked, &file_name, excel).err());
        }
    };
    let total = rows.len();
    view! {
        <div class="action-list">
            <h3>"Action list"</h3>
            <ListFilters list_state actions />
            <p>
                <span data-testid="action-count">{move || group_thousands(shown.with(|s| s.len()))}</span>
                {format!(" of {} customers shown. ", group_thousands(total))}
                <button class="button" data-testid="download-csv" on:click={
                    let save = save.clone();
                    move |_| save(false)
                }>"Download as CSV"</button>
                " "
                <button class="button" data-testid="download-xlsx" on:click=move |_| save(true)>"Download as Excel"</button>
                <span class="hint">" (the customers shown, in this order; in the CSV, cells that a spreadsheet would run as a formula start with an apostrophe; the Excel file keeps every cell as written)"</span>
            </p>
            {move || error.get().map(|e| view! { <p class="error" data-testid="download-error">{e}</p> })}
            <ActionTable rows shown page=list_state.page pages />
            <Pager page=list_state.page pages />
        </div>
    }
}

/// Offers `rows` as a CSV or Excel download named after the data file.
fn save_list(rows: &[ActionRow], file_name: &str, excel: bool) -> Result<(), String> {
    let table = action_table(rows);
    if excel {
        let bytes =
            to_xlsx(&table, "Action list").map_err(|e| format!("{e}; download the CSV instead"))?;
        download(
            &bytes,
            &download_name("churn-action-list", file_name, &today(), "xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    } else {
        download(
            &to_csv(&table),
            &download_name("churn-action-list", file_name, &today(), "csv"),
            "text/csv",
        )
    }
}

/// The tier, action and text filters and the order; each change goes back to page 1.
#[component]
fn ListFilters(
    list_state: ListState,
    /// The actions the list suggests, each once.
    actions: Vec<String>,
) -> impl IntoView {
    let ListState {
        tier,
        action,
        text,
        sort,
        page,
    } = list_state;
    view! {
        <div class="advanced-grid">
            <label class="field">
                "Tier "
                <select data-testid="action-tier-filter" on:change=move |ev| {
                    page.set(0);
                    tier.set(match event_target_value(&ev).as_str() {
                        "high" => Some(Tier::High),
                        "medium" => Some(Tier::Medium),
                        "low" => Some(Tier::Low),
                        _ => None,
                    });
                }>
                    <option value="">"all"</option>
                    <option value="high">"high"</option>
                    <option value="medium">"medium"</option>
                    <option value="low">"low"</option>
                </select>
            </label>
            <label class="field">
                "Action "
                <select data-testid="action-action-filter" on:change=move |ev| {
                    page.set(0);
                    action.set(event_target_value(&ev));
                }>
                    <option value="">"all"</option>
                    {actions.into_iter().map(|a| view! { <option value=a.clone()>{a.clone()}</option> }).collect_view()}
                </select>
            </label>
            <label class="field">
                "Search "
                <input type="search" data-testid="action-search" placeholder="customer, reason or action"
                    on:input=move |ev| {
                        page.set(0);
                        text.set(event_target_value(&ev));
                    } />
            </label>
            <label class="field">
                "Order by "
                <select data-testid="action-sort" on:change=move |ev| {
                    page.set(0);
                    sort.set(match event_target_value(&ev).as_str() {
                        "value" => SortBy::Value,
                        "customer" => SortBy::Customer,
                        "action" => SortBy::Action,
                        _ => SortBy::Risk,
                    });
                }>
                    <option value="risk">"churn probability, highest first"</option>
                    <option value="value">"expected value of contacting, highest first"</option>
                    <option value="customer">"customer"</option>
                    <option value="action">"action"</option>
                </select>
            </label>
        </div>
    }
}

/// The customers of the page shown.
#[component]
fn ActionTable(
    rows: Arc<Vec<ActionRow>>,
    /// Positions in `rows` of the customers shown, in order.
    shown: Memo<Arc<Vec<usize>>>,
    page: RwSignal<usize>,
    pages: Signal<usize>,
) -> impl IntoView {
    let body = move || {
        let list = shown.get();
        let start = page.get().min(pages.get() - 1) * PAGE;
        list.iter()
            .skip(start)
            .take(PAGE)
            .map(|&i| action_row(&rows[i]))
            .collect_view()
    };
    view! {
        <table class="action-table" data-testid="action-table">
            <thead>
                <tr>
                    <th scope="col">"Customer"</th>
                    <th scope="col">"Churn probability"</th>
                    <th scope="col">"Tier"</th>
                    <th scope="col">"Top reasons"</th>
                    <th scope="col">"Suggested action"</th>
                    <th scope="col">"Expected value of contacting"</th>
                </tr>
            </thead>
            <tbody>{body}</tbody>
        </table>
    }
}

/// One customer's row.
fn action_row(r: &ActionRow) -> impl IntoView {
    let reasons = r
        .reasons
        .iter()
        .map(|x| view! { <li>{reason_text(x)}</li> })
        .collect_view();
    view! {
        <tr data-testid="action-row" data-tier=r.tier.label()>
            <td data-col="customer">{r.id.clone()}</td>
            <td class="num" data-col="probability">{format!("{:.3}", r.probability)}</td>
            <td data-col="tier">{r.tier.label()}</td>
            <td data-col="reasons"><ul class="reasons up">{reasons}</ul></td>
            <td data-col="action">{r.action.clone()}</td>
            <td class="num" data-col="value">{format!("{:.2}", r.expected_value)}</td>
        </tr>
    }
}

/// First, previous, next and last page, and which page this is.
#[component]
fn Pager(page: RwSignal<usize>, pages: Signal<usize>) -> impl IntoView {
    view! {
        <div class="pager">
            <button class="button small" data-testid="action-page-first"
                prop:disabled={move || page.get() == 0}
                on:click=move |_| page.set(0)>"First"</button>
            <button class="button small" data-testid="action-page-prev"
                prop:disabled={move || page.get() == 0}
                on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>"Previous"</button>
            <span data-testid="action-page">{move || format!(" page {} of {} ", page.get().min(pages.get() - 1) + 1, pages.get())}</span>
            <button class="button small" data-testid="action-page-next"
                // In braces: a bare `>=` would end the tag inside `view!`.
                prop:disabled={move || page.get() + 1 >= pages.get()}
                on:click=move |_| page.update(|p| *p = (*p + 1).min(pages.get() - 1))>"Next"</button>
            <button class="button small" data-testid="action-page-last"
                prop:disabled={move || page.get() + 1 >= pages.get()}
                on:click=move |_| page.set(pages.get() - 1)>"Last"</button>
        </div>
    }
}
