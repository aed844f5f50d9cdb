//! The parsed table at a glance: row count and one line per column.

use leptos::prelude::*;

use churnscope_engine::dataset::{ColumnKind, ColumnSummary};
use churnscope_engine::reading::decode::TextEncoding;
use churnscope_engine::reading::ingest::{ReadInfo, ReadOptions};
use churnscope_engine::reading::totals::SummaryRow;

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
    /// Called with (column, kind) when the user changes a column's kind.
    on_kind: Callback<(String, ColumnKind)>,
    /// Called with a column's name when the user asks for its profile.
    on_select: Callback<String>,
    /// Controls shown under the summary line (the read options).
    children: Children,
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
                {match info.sheet.clone() {
                    Some(sheet) => {
                        view! {
                            "sheet "
                            <span data-testid="file-sheet">{sheet}</span>
                            {format!(" of {}", info.sheets.len())}
                        }
                            .into_any()
                    }
                    None => {
                        view! {
                            <span data-testid="file-encoding">{info.encoding.label()}</span>
                            ", "
                            <span data-testid="file-delimiter">{delimiter}</span>
                            "-separated"
                        }
                            .into_any()
                    }
                }}
                ")."
            </p>
            {info
                .notes
                .into_iter()
                .map(|n| view! { <p class="hint note" data-testid="read-note">{n}</p> })
                .collect_view()}
            {children()}
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
                                let kind = c.kind;
                                let name = c.name.clone();
                                let select_name = c.name.clone();
                                view! {
                                    <tr data-testid="column-row">
                                        <td class="name">
                                            <button
                                                class="link"
                                                data-testid="profile-link"
                                                title="Show this column's profile"
                                                on:click=move |_| on_select.run(select_name.clone())
                                            >
                                                {c.name}
                                            </button>
                                        </td>
                                        <td>
                                            <KindSelect name kind on_kind />
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

/// A column's kind, changeable by the user; the first cell of its row holds the name.
#[component]
fn KindSelect(
    /// Column name.
    name: String,
    /// Current kind.
    kind: ColumnKind,
    /// Called with (column, new kind).
    on_kind: Callback<(String, ColumnKind)>,
) -> impl IntoView {
    let label = format!("Kind of column {name}");
    view! {
        <select
            class=format!("kind kind-{}", kind.label())
            data-testid="kind-select"
            aria-label=label
            on:change=move |ev| {
                if let Some(k) = ColumnKind::from_label(&event_target_value(&ev)) {
                    on_kind.run((name.clone(), k));
                }
            }
        >
            {ColumnKind::ALL
                .into_iter()
                .map(|k| {
                    view! {
                        <option value=k.label() prop:selected=k == kind>
                            {k.label()}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

/// How the file was read, changeable: the sheet of a workbook (with why it was opened) or
/// the encoding and delimiter of text, and any "Total" row left out; a change re-reads the
/// file.
#[component]
pub fn ReadControls(
    /// What the last read used.
    info: ReadInfo,
    /// What the user chose (`None` = detect).
    options: ReadOptions,
    /// Called with the new choices.
    on_change: Callback<ReadOptions>,
) -> impl IntoView {
    let rows = info.summary_rows.clone();
    let for_rows = options.clone();
    view! {
        <SummaryRowNotice rows options=for_rows on_change />
        <FormatControls info options on_change />
    }
}

/// One warning per summary ("Total") row the reader found, and a button that reads the file
/// again keeping (or again leaving out) those rows.
#[component]
fn SummaryRowNotice(
    /// The summary rows of the last read.
    rows: Vec<SummaryRow>,
    /// The options of the last read.
    options: ReadOptions,
    /// Called with the options to read again with.
    on_change: Callback<ReadOptions>,
) -> impl IntoView {
    if rows.is_empty() {
        return ().into_any();
    }
    let kept = rows.iter().all(|r| r.kept);
    let (label, testid) = if kept {
        ("Leave it out", "drop-summary-rows")
    } else {
        ("Keep it as a customer", "keep-summary-rows")
    };
    view! {
        <div class="warnings summary-rows">
            {rows
                .into_iter()
                .map(|r| view! { <p data-testid="summary-row-warning">{r.message()}</p> })
                .collect_view()}
            <button
                type="button"
                class="button small"
                data-testid=testid
                on:click=move |_| {
                    on_change.run(ReadOptions {
                        keep_summary_rows: !kept,
                        ..options.clone()
                    })
                }
            >
                {label}
            </button>
        </div>
    }
    .into_any()
}

/// Encoding and delimiter, detected unless the user picks one, or a workbook's sheet.
#[component]
fn FormatControls(
    /// What the last read used.
    info: ReadInfo,
    /// What the user chose (`None` = detect).
    options: ReadOptions,
    /// Called with the new choices.
    on_change: Callback<ReadOptions>,
) -> impl IntoView {
    let delimiters: [(&str, u8); 4] = [
        ("comma", b','),
        ("semicolon", b';'),
        ("tab", b'\t'),
        ("pipe", b'|'),
    ];
    let (chosen_encoding, chosen_delimiter) = (options.encoding, options.delimiter);
    let for_encoding = options.clone();
    let for_sheet = options.clone();
    let for_delimiter = options;
    let current_sheet = info.sheet.clone();
    // A workbook offers its sheets; encoding and delimiter only apply to delimited text.
    if !info.sheets.is_empty() {
        let sheets = info.sheets.clone();
        return view! {
            <div class="field-row read-controls">
                <label>
                    "Sheet "
                    <select
                        data-testid="sheet-select"
                        on:change=move |ev| {
                            on_change.run(ReadOptions {
                                sheet: Some(event_target_value(&ev)),
                                ..for_sheet.clone()
                            });
                        }
                    >
                        {sheets
                            .into_iter()
                            .map(|name| {
                                let selected = current_sheet.as_deref() == Some(name.as_str());
                                view! {
                                    <option value=name.clone() prop:selected=selected>
                                        {name.clone()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                {info
                    .sheet_reason
                    .clone()
                    .map(|r| view! { <span class="hint" data-testid="sheet-chosen">{r}</span> })}
            </div>
        }
        .into_any();
    }
    view! {
        <div class="field-row read-controls">
            <label>
                "Encoding "
                <select
                    data-testid="encoding-select"
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        on_change.run(ReadOptions {
                            encoding: TextEncoding::from_label(&value),
                            ..for_encoding.clone()
                        });
                    }
                >
                    <option value="" prop:selected=chosen_encoding.is_none()>
                        {format!("detect ({})", info.encoding.label())}
                    </option>
                    {TextEncoding::ALL
                        .into_iter()
                        .map(|e| {
                            view! {
                                <option value=e.label() prop:selected=chosen_encoding == Some(e)>
                                    {e.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Delimiter "
                <select
                    data-testid="delimiter-select"
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        let delimiter = delimiters.iter().find(|(n, _)| *n == value).map(|(_, d)| *d);
                        on_change.run(ReadOptions { delimiter, ..for_delimiter.clone() });
                    }
                >
                    <option value="" prop:selected=chosen_delimiter.is_none()>
                        "detect"
                    </option>
                    {delimiters
                        .into_iter()
                        .map(|(n, d)| {
                            view! {
                                <option value=n prop:selected=chosen_delimiter == Some(d)>
                                    {n}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
        </div>
    }
    .into_any()
}
