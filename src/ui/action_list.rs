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

/// The list, its filters and downloads.
#[component]
pub fn ActionList(
    rows: Arc<Vec<ActionRow>>,
    /// The data file's name, for the names of the downloads.
    file_name: String,
) -> impl IntoView {
    let (tier, set_tier) = signal(None::<Tier>);
    let (action, set_action) = signal(String::new());
    let (text, set_text) = signal(String::new());
    let (sort, set_sort) = signal(SortBy::Risk);
    let (page, set_page) = signal(0usize);
    let (error, set_error) = signal(None::<String>);
    let mut actions: Vec<String> = rows.iter().map(|r| r.action.clone()).collect();
    actions.sort();
    actions.dedup();
    // Positions in `rows` of the customers shown, in the order shown (the rows themselves
    // are not copied as the filters change).
    let shown = Memo::new({
        let rows = rows.clone();
        move |_| {
            let (t, a, q) = (tier.get(), action.get(), text.get().trim().to_lowercase());
            let mut list: Vec<usize> = (0..rows.len())
                .filter(|&i| keep(&rows[i], t, &a, &q))
                .collect();
            match sort.get() {
                // The list arrives riskiest first.
                SortBy::Risk => {}
                SortBy::Value => {
                    list.sort_by(|&a, &b| rows[b].expected_value.total_cmp(&rows[a].expected_value))
                }
                SortBy::Customer => list.sort_by(|&a, &b| rows[a].id.cmp(&rows[b].id)),
                SortBy::Action => list.sort_by(|&a, &b| rows[a].action.cmp(&rows[b].action)),
            }
            Arc::new(list)
        }
    });
    let pages = move || shown.with(|s| s.len().div_ceil(PAGE).max(1));
    let rows_for_save = rows.clone();
    let rows_for_body = rows.clone();
    let save = move |excel: bool| {
        let picked: Vec<ActionRow> = shown
            .get_untracked()
            .iter()
            .map(|&i| rows_for_save[i].clone())
            .collect();
        let table = action_table(&picked);
        let result = if excel {
            to_xlsx(&table, "Action list")
                .map_err(|e| format!("{e}; download the CSV instead"))
                .and_then(|bytes| {
                    download(
                        &bytes,
                        &download_name("churn-action-list", &file_name, &today(), "xlsx"),
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    )
                })
        } else {
            download(
                &to_csv(&table),
                &download_name("churn-action-list", &file_name, &today(), "csv"),
                "text/csv",
            )
        };
        set_error.set(result.err());
    };
    let body = move || {
        let list = shown.get();
        let start = page.get().min(pages() - 1) * PAGE;
        list.iter()
            .skip(start)
            .take(PAGE)
            .map(|&i| {
                let r = &rows_for_body[i];
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
            })
            .collect_view()
    };
    let total = rows.len();
    view! {
        <div class="action-list">
            <h3>"Action list"</h3>
            <div class="advanced-grid">
                <label class="field">
                    "Tier "
                    <select data-testid="action-tier-filter" on:change=move |ev| {
                        set_page.set(0);
                        set_tier.set(match event_target_value(&ev).as_str() {
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
                        set_page.set(0);
                        set_action.set(event_target_value(&ev));
                    }>
                        <option value="">"all"</option>
                        {actions.into_iter().map(|a| view! { <option value=a.clone()>{a.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    "Search "
                    <input type="search" data-testid="action-search" placeholder="customer, reason or action"
                        on:input=move |ev| {
                            set_page.set(0);
                            set_text.set(event_target_value(&ev));
                        } />
                </label>
                <label class="field">
                    "Order by "
                    <select data-testid="action-sort" on:change=move |ev| {
                        set_page.set(0);
                        set_sort.set(match event_target_value(&ev).as_str() {
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
            <div class="pager">
                <button class="button small" data-testid="action-page-first"
                    prop:disabled={move || page.get() == 0}
                    on:click=move |_| set_page.set(0)>"First"</button>
                <button class="button small" data-testid="action-page-prev"
                    prop:disabled={move || page.get() == 0}
                    on:click=move |_| set_page.update(|p| *p = p.saturating_sub(1))>"Previous"</button>
                <span data-testid="action-page">{move || format!(" page {} of {} ", page.get().min(pages() - 1) + 1, pages())}</span>
                <button class="button small" data-testid="action-page-next"
                    // In braces: a bare `>=` would end the tag inside `view!`.
                    prop:disabled={move || page.get() + 1 >= pages()}
                    on:click=move |_| set_page.update(|p| *p = (*p + 1).min(pages() - 1))>"Next"</button>
                <button class="button small" data-testid="action-page-last"
                    prop:disabled={move || page.get() + 1 >= pages()}
                    on:click=move |_| set_page.set(pages() - 1)>"Last"</button>
            </div>
        </div>
    }
}
