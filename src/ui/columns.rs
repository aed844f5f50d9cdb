//! The parsed table at a glance: row count and one line per column.

use leptos::prelude::*;

use crate::engine::dataset::ColumnSummary;
use crate::engine::ingest::ReadInfo;

/// Row count and each column's name, inferred kind, missing and distinct counts.
#[component]
pub fn ColumnTable(
    /// File name shown in the heading.
    name: String,
    /// Number of data rows.
    rows: usize,
    /// One summary per column, in file order.
    columns: Vec<ColumnSummary>,
    /// Milliseconds the parse took.
    parse_ms: f64,
    /// How the file was read (encoding, delimiter, notes).
    info: ReadInfo,
) -> impl IntoView {
    let n_columns = columns.len();
    let delimiter = match info.delimiter.as_str() {
        "," => "comma".to_string(),
        ";" => "semicolon".to_string(),
        "\\t" => "tab".to_string(),
        "|" => "pipe".to_string(),
        other => format!("'{other}'"),
    };
    view! {
        <section class="panel" aria-labelledby="columns-title">
            <h2 id="columns-title">"2. What is in " <span class="filename">{name}</span></h2>
            <p class="summary">
                <span data-testid="row-count">{rows}</span>
                " rows, "
                <span data-testid="column-count">{n_columns}</span>
                " columns, read in "
                <span data-testid="parse-time">{format!("{parse_ms:.0}")}</span>
                " ms ("
                <span data-testid="file-encoding">{info.encoding.label()}</span>
                ", "
                <span data-testid="file-delimiter">{delimiter}</span>
                "-separated)."
            </p>
            {info
                .notes
                .into_iter()
                .map(|n| view! { <p class="hint note" data-testid="read-note">{n}</p> })
                .collect_view()}
            <div class="table-scroll">
                <table class="columns" data-testid="column-table">
                    <thead>
                        <tr>
                            <th scope="col">"Column"</th>
                            <th scope="col">"Kind"</th>
                            <th scope="col" class="num">"Missing"</th>
                            <th scope="col" class="num">"Distinct"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {columns
                            .into_iter()
                            .map(|c| {
                                let kind = c.kind.label();
                                view! {
                                    <tr data-testid="column-row">
                                        <td class="name">{c.name}</td>
                                        <td>
                                            <span class=format!("kind kind-{kind}")>{kind}</span>
                                        </td>
                                        <td class="num">{c.missing}</td>
                                        <td class="num">{c.distinct}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
