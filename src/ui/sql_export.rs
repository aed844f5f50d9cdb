//! "Export as SQL": the open model written as one query that scores the customer table
//! inside the merchant's own engine (the engine's `acting::sql`), with a preview, a copy
//! button and a download. Writing it takes milliseconds (a big forest, a few hundred), so
//! it runs on the page's thread when asked.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use super::browser::download;
use churnscope_engine::acting::sql::{export_sql, Dialect, SqlOptions};
use churnscope_engine::dataset::group_thousands;
use churnscope_engine::monitoring::model_file::ModelFile;

/// The preview shows at most this many characters; the copy and the download hold all.
const PREVIEW_CHARS: usize = 60_000;

/// The written query, or why it could not be written.
#[derive(Clone)]
struct Written {
    dialect: Dialect,
    sql: Arc<String>,
}

/// The export panel of the open model `file` (named `name`).
#[component]
pub fn SqlExport(file: ModelFile, name: String) -> impl IntoView {
    let file = Arc::new(file);
    let identifier = file.identifier().unwrap_or_default().to_string();
    let dialect = RwSignal::new(Dialect::DuckDb);
    let table = RwSignal::new("customers".to_string());
    let id = RwSignal::new(identifier);
    let view_name = RwSignal::new(String::new());
    let written = RwSignal::new(None::<Result<Written, String>>);
    let copied = RwSignal::new(None::<Result<String, String>>);
    let write = move |_| {
        let view = view_name.get_untracked();
        let options = SqlOptions {
            dialect: dialect.get_untracked(),
            table: table.get_untracked(),
            view: (!view.trim().is_empty()).then_some(view),
            id_column: Some(id.get_untracked()).filter(|i| !i.trim().is_empty()),
        };
        copied.set(None);
        written.set(Some(write_sql(&file, &options)));
    };
    view! {
        <details class="sql-export" data-testid="sql-export">
            <summary>"Export as SQL — score the whole customer table inside your own database"</summary>
            <p class="hint">
                "One query that applies this model to a table with the training file's column names, \
                 inside DuckDB, PostgreSQL, Spark SQL or BigQuery: your customers never leave your \
                 warehouse. It returns each customer's id, churn probability, whether it is at or \
                 above the threshold, the tier and, for logistic regression, the column raising the \
                 risk most. Numbers may be stored as numbers or as text; blanks and markers such as \
                 NA count as missing, as here."
            </p>
            <div class="sql-form">
                <label>
                    "Engine "
                    <select data-testid="sql-dialect" on:change=move |ev| {
                        if let Some(d) = Dialect::parse(&event_target_value(&ev)) {
                            dialect.set(d);
                        }
                    }>
                        {Dialect::ALL.iter().map(|d| view! {
                            <option value=d.name() selected=*d == Dialect::DuckDb>{d.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    "Table "
                    <input type="text" data-testid="sql-table" prop:value=table
                        on:input=move |ev| table.set(event_target_value(&ev)) />
                </label>
                <label>
                    "Customer id column "
                    <input type="text" data-testid="sql-id" prop:value=id
                        on:input=move |ev| id.set(event_target_value(&ev)) />
                </label>
                <label>
                    "As a view named (optional) "
                    <input type="text" data-testid="sql-view" prop:value=view_name
                        on:input=move |ev| view_name.set(event_target_value(&ev)) />
                </label>
                <button class="button primary" data-testid="sql-write" on:click=write>
                    "Write the SQL"
                </button>
            </div>
            {move || written.get().map(|w| match w {
                Err(e) => view! { <p class="error" role="alert" data-testid="sql-error">{e}</p> }.into_any(),
                Ok(w) => view! { <SqlPreview written=w name=name.clone() copied /> }.into_any(),
            })}
        </details>
    }
}

/// The query `options` ask for, or the engine's message.
fn write_sql(file: &ModelFile, options: &SqlOptions) -> Result<Written, String> {
    export_sql(file, options)
        .map(|sql| Written {
            dialect: options.dialect,
            sql: Arc::new(sql),
        })
        .map_err(|e| e.to_string())
}

/// The written query: its size, a preview, Copy and Download.
#[component]
fn SqlPreview(
    written: Written,
    name: String,
    copied: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let sql = written.sql.clone();
    let lines = sql.lines().count();
    let size = format!(
        "{} for {}: {} characters, {} lines.",
        "The query",
        written.dialect.label(),
        group_thousands(sql.len()),
        group_thousands(lines)
    );
    let shown: String = sql.chars().take(PREVIEW_CHARS).collect();
    let cut = shown.len() < sql.len();
    let file_name = format!(
        "{}-{}.sql",
        name.trim_end_matches(".churnscope.json")
            .chars()
            .map(|c| if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            })
            .collect::<String>(),
        written.dialect.name()
    );
    let (to_copy, to_save) = (sql.clone(), sql);
    view! {
        <div class="sql-result">
            <p data-testid="sql-size">{size}</p>
            <textarea class="sql-preview" data-testid="sql-preview" readonly rows="16"
                aria-label="The SQL query" prop:value=shown></textarea>
            {cut.then(|| view! {
                <p class="hint" data-testid="sql-cut">
                    {format!("The preview shows the first {} characters; Copy and Download hold the whole query.", group_thousands(PREVIEW_CHARS))}
                </p>
            })}
            <div class="score-row">
                <button class="button" data-testid="sql-copy" on:click=move |_| {
                    let text = to_copy.clone();
                    spawn_local(async move { copied.set(Some(copy_text(&text).await)); });
                }>"Copy"</button>
                <button class="button" data-testid="sql-download" on:click=move |_| {
                    if let Err(e) = download(to_save.as_bytes(), &file_name, "application/sql") {
                        copied.set(Some(Err(e)));
                    }
                }>"Download .sql"</button>
            </div>
            {move || copied.get().map(|c| match c {
                Ok(m) => view! { <p class="notice" data-testid="sql-copied">{m}</p> }.into_any(),
                Err(e) => view! { <p class="error" role="alert" data-testid="sql-copy-error">{e}</p> }.into_any(),
            })}
        </div>
    }
}

/// Puts `text` on the clipboard (`navigator.clipboard.writeText`).
async fn copy_text(text: &str) -> Result<String, String> {
    let refused = |e: wasm_bindgen::JsValue| {
        format!(
            "The browser did not let the page copy ({}); select the preview and copy it, or download the file.",
            e.as_string().unwrap_or_else(|| format!("{e:?}"))
        )
    };
    let navigator = web_sys::window().ok_or("no window")?.navigator();
    let clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into()).map_err(refused)?;
    let write = js_sys::Reflect::get(&clipboard, &"writeText".into())
        .map_err(refused)?
        .dyn_into::<js_sys::Function>()
        .map_err(|_| refused("no clipboard here".into()))?;
    let promise = write
        .call1(&clipboard, &text.into())
        .map_err(refused)?
        .dyn_into::<js_sys::Promise>()
        .map_err(|_| refused("no promise".into()))?;
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(refused)?;
    Ok(format!(
        "Copied the whole query ({} characters) to the clipboard.",
        group_thousands(text.len())
    ))
}
