//! The intervention playbook, editable: rules that map a customer's reasons to an action.

use leptos::prelude::*;

use crate::engine::actions::{Playbook, PlaybookRule};

/// The playbook's rules as a table of inputs: add, edit, remove, and back to the default.
#[component]
pub fn PlaybookEditor(playbook: RwSignal<Playbook>) -> impl IntoView {
    let problem = move || playbook.with(|p| p.check().err().map(|e| e.to_string()));
    let rows = move || {
        let count = playbook.with(|p| p.rules.len());
        (0..count)
            .map(|i| {
                let get = move |f: fn(&PlaybookRule) -> String| {
                    move || playbook.with(|p| p.rules.get(i).map(f).unwrap_or_default())
                };
                view! {
                    <tr data-testid="playbook-rule">
                        <td class="num">{i + 1}</td>
                        <td>
                            <input type="text" data-testid="rule-columns" aria-label="Columns"
                                prop:value=get(|r| r.columns.clone())
                                on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    playbook.update(|p| if let Some(r) = p.rules.get_mut(i) { r.columns = v });
                                } />
                        </td>
                        <td>
                            <input type="text" data-testid="rule-action" aria-label="Action"
                                prop:value=get(|r| r.action.clone())
                                on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    playbook.update(|p| if let Some(r) = p.rules.get_mut(i) { r.action = v });
                                } />
                        </td>
                        <td>
                            <button class="button small" data-testid="rule-up" aria-label="Move up"
                                prop:disabled=move || i == 0
                                on:click=move |_| playbook.update(|p| if i > 0 && i < p.rules.len() { p.rules.swap(i - 1, i) })>
                                "↑"
                            </button>
                            <button class="button small" data-testid="rule-remove" aria-label="Remove"
                                on:click=move |_| playbook.update(|p| if i < p.rules.len() { p.rules.remove(i); })>
                                "Remove"
                            </button>
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <details class="playbook" data-testid="playbook" open>
            <summary>"Playbook: which action for which reason"</summary>
            <p class="hint">
                "Each customer's top reasons (the columns raising their risk most) are taken strongest first; the \
                 first reason a rule names decides the action, the higher rule winning. A rule names columns by parts \
                 of their names separated by |, ignoring case, spaces and underscores: \"days since|recency\" covers \
                 days_since_last_order and Recency."
            </p>
            <table class="playbook-table" data-testid="playbook-table">
                <thead>
                    <tr>
                        <th scope="col">"#"</th>
                        <th scope="col">"When a top reason is a column named like"</th>
                        <th scope="col">"Suggest"</th>
                        <th scope="col"></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <div class="advanced-grid">
                <button class="button" data-testid="rule-add"
                    on:click=move |_| playbook.update(|p| p.rules.push(PlaybookRule::new("column name", "New action")))>
                    "Add a rule"
                </button>
                <label class="field">
                    "Otherwise "
                    <input type="text" data-testid="playbook-fallback"
                        prop:value=move || playbook.with(|p| p.fallback.clone())
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            playbook.update(|p| p.fallback = v);
                        } />
                </label>
                <button class="button" data-testid="playbook-reset"
                    on:click=move |_| playbook.set(Playbook::ecommerce())>
                    "Back to the default playbook"
                </button>
            </div>
            {move || problem().map(|e| view! { <p class="error" data-testid="playbook-error">{e}</p> })}
        </details>
    }
}
