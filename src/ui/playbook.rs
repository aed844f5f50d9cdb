//! The intervention playbook, editable: rules that map a customer's reasons to an action.
//! It can be saved as a JSON file and loaded again (the same file `churnscope act
//! --playbook` reads).

use gloo_file::futures::read_as_text;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::HtmlInputElement;

use super::browser::download;
use churnscope_engine::acting::actions::{Playbook, PlaybookRule};

/// File name of a saved playbook.
const PLAYBOOK_FILE: &str = "churnscope-playbook.json";

/// The playbook in a JSON file's text, checked, or what is wrong with it and where.
fn parse_playbook(name: &str, text: &str) -> Result<Playbook, String> {
    Playbook::from_json(text).map_err(|e| format!("{name}: {e}"))
}

/// Reads a playbook file the user chose; `Ok` with the playbook or `Err` with what is
/// wrong, for the editor's file error.
async fn load_playbook(file: web_sys::File) -> Result<Playbook, String> {
    let file = gloo_file::File::from(file);
    let name = file.name();
    match read_as_text(&file).await {
        Ok(text) => parse_playbook(&name, &text),
        Err(_) => Err(format!("{name}: the browser could not read the file")),
    }
}

/// The playbook's rules as a table of inputs: add, edit, remove, and back to the default;
/// says so when no rule names any of the model's columns.
#[component]
pub fn PlaybookEditor(
    playbook: RwSignal<Playbook>,
    /// The model's input columns, the reasons a rule can name.
    columns: Vec<String>,
) -> impl IntoView {
    let problem = move || playbook.with(|p| p.check().err().map(|e| e.to_string()));
    let no_match = move || {
        let mut names: Vec<&str> = Vec::new();
        for c in &columns {
            if !names.contains(&c.as_str()) {
                names.push(c);
            }
        }
        playbook.with(|p| p.no_match_notice(&names))
    };
    let (file_error, set_file_error) = signal(None::<String>);
    let rows = move || {
        let count = playbook.with(|p| p.rules.len());
        (0..count)
            .map(|i| view! { <RuleRow playbook i /> })
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
            <PlaybookControls playbook set_file_error />
            {move || no_match().map(|n| view! { <p class="notice" data-testid="playbook-no-match">{n}</p> })}
            {move || problem().map(|e| view! { <p class="error" data-testid="playbook-error">{e}</p> })}
            {move || file_error.get().map(|e| view! { <p class="error" data-testid="playbook-file-error">{e}</p> })}
        </details>
    }
}

/// Rule `i`: the columns it names and the action it suggests, editable, and buttons to move
/// it up or remove it.
#[component]
fn RuleRow(playbook: RwSignal<Playbook>, i: usize) -> impl IntoView {
    let get = move |f: fn(&PlaybookRule) -> String| {
        move || playbook.with(|p| p.rules.get(i).map(f).unwrap_or_default())
    };
    let edit = move |f: fn(&mut PlaybookRule, String), v: String| {
        playbook.update(|p| {
            if let Some(r) = p.rules.get_mut(i) {
                f(r, v)
            }
        })
    };
    view! {
        <tr data-testid="playbook-rule">
            <td class="num">{i + 1}</td>
            <td>
                <input type="text" data-testid="rule-columns" aria-label="Columns"
                    prop:value=get(|r| r.columns.clone())
                    on:change=move |ev| edit(|r, v| r.columns = v, event_target_value(&ev)) />
            </td>
            <td>
                <input type="text" data-testid="rule-action" aria-label="Action"
                    prop:value=get(|r| r.action.clone())
                    on:change=move |ev| edit(|r, v| r.action = v, event_target_value(&ev)) />
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
}

/// Add a rule, the fallback action, back to the default, and saving and loading the
/// playbook as a JSON file.
#[component]
fn PlaybookControls(
    playbook: RwSignal<Playbook>,
    /// Set with what went wrong saving or loading.
    set_file_error: WriteSignal<Option<String>>,
) -> impl IntoView {
    let save = move |_| {
        let json = playbook.with_untracked(serde_json::to_string_pretty);
        let result = json
            .map_err(|e| e.to_string())
            .and_then(|json| download(json.as_bytes(), PLAYBOOK_FILE, "application/json"));
        set_file_error.set(result.err());
    };
    let load = move |ev: leptos::ev::Event| {
        let input: HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        spawn_local(async move {
            match load_playbook(file).await {
                Ok(book) => {
                    set_file_error.set(None);
                    playbook.set(book);
                }
                Err(e) => set_file_error.set(Some(e)),
            }
        });
    };
    view! {
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
            <button class="button" data-testid="playbook-save" on:click=save>
                "Save the playbook (JSON)"
            </button>
            <label class="field">
                "Load a saved playbook "
                <input type="file" accept=".json,application/json" data-testid="playbook-file" on:change=load />
            </label>
        </div>
    }
}
