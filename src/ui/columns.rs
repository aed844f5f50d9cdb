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
    let notes = info.notes.clone();
    view! {
        <section class="panel" aria-labelledby="columns-title">
            <h2 id="columns-title">"2. What is in " <span class="filename">{name}</span></h2>
            <ReadSummary rows n_columns parse_ms info />
            {notes
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
                            .map(|c| view! { <ColumnRow column=c on_kind on_select /> })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// "N rows, M columns, read in T ms (how)": the sheet of a workbook, or the encoding and
/// delimiter of text.
#[component]
fn ReadSummary(rows: usize, n_columns: usize, parse_ms: f64, info: ReadInfo) -> impl IntoView {
    let delimiter = match info.delimiter.as_str() {
        "," => "comma".to_string(),
        ";" => "semicolon".to_string(),
        "\\t" => "tab".to_string(),
        "|" => "pipe".to_string(),
        other => format!("'{other}'"),
    };
    let how = match info.sheet.clone() {
        Some(sheet) => view! {
            "sheet "
            <span data-testid="file-sheet">{sheet}</span>
            {format!(" of {}", info.sheets.len())}
        }
        .into_any(),
        None => view! {
            <span data-testid="file-encoding">{info.encoding.label()}</span>
            ", "
            <span data-testid="file-delimiter">{delimiter}</span>
            "-separated"
        }
        .into_any(),
    };
    view! {
        <p class="summary">
            <span data-testid="row-count">{rows}</span>
            " rows, "
            <span data-testid="column-count">{n_columns}</span>
            " columns, read in "
            <span data-testid="parse-time">{format!("{parse_ms:.0}")}</span>
            " ms ("
            {how}
            ")."
        </p>
    }
}

/// One column: its name (a link to its profile), its kind, missing and distinct counts.
#[component]
fn ColumnRow(
    column: ColumnSummary,
    on_kind: Callback<(String, ColumnKind)>,
    on_select: Callback<String>,
) -> impl IntoView {
    let c = column;
    let (kind, name, select_name) = (c.kind, c.name.clone(), c.name.clone());
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

/// Encoding and delimiter, detected unless the user picks one, or a workbook's sheet; the
/// properties are those of [`ReadControls`].
#[component]
fn FormatControls(
    info: ReadInfo,
    options: ReadOptions,
    on_change: Callback<ReadOptions>,
) -> impl IntoView {
    // A workbook offers its sheets; encoding and delimiter only apply to delimited text.
    if !info.sheets.is_empty() {
        return view! { <SheetSelect info options on_change /> }.into_any();
    }
    let detected = info.encoding;
    view! {
        <div class="field-row read-controls">
            <EncodingSelect detected options=options.clone() on_change />
            <DelimiterSelect options on_change />
        </div>
    }
    .into_any()
}

/// The sheet of a workbook, and why it was opened.
#[component]
fn SheetSelect(
    info: ReadInfo,
    options: ReadOptions,
    on_change: Callback<ReadOptions>,
) -> impl IntoView {
    let current_sheet = info.sheet.clone();
    view! {
        <div class="field-row read-controls">
            <label>
                "Sheet "
                <select
                    data-testid="sheet-select"
                    on:change=move |ev| {
                        on_change.run(ReadOptions {
                            sheet: Some(event_target_value(&ev)),
                            ..options.clone()
                        });
                    }
                >
                    {info
                        .sheets
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
                .map(|r| view! { <span class="hint" data-testid="sheet-chosen">{r}</span> })}
        </div>
    }
}

/// The text encoding: detected (saying which), or one the user picks.
#[component]
fn EncodingSelect(
    /// The encoding the last read used.
    detected: TextEncoding,
    options: ReadOptions,
    on_change: Callback<ReadOptions>,
) -> impl IntoView {
    let chosen = options.encoding;
    view! {
        <label>
            "Encoding "
            <select
                data-testid="encoding-select"
                on:change=move |ev| {
                    let value = event_target_value(&ev);
                    on_change.run(ReadOptions {
                        encoding: TextEncoding::from_label(&value),
                        ..options.clone()
                    });
                }
            >
                <option value="" prop:selected=chosen.is_none()>
                    {format!("detect ({})", detected.label())}
                </option>
                {TextEncoding::ALL
                    .into_iter()
                    .map(|e| {
                        view! {
                            <option value=e.label() prop:selected=chosen == Some(e)>
                                {e.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// The delimiters offered, by name.
const DELIMITERS: [(&str, u8); 4] = [
    ("comma", b','),
    ("semicolon", b';'),
    ("tab", b'\t'),
    ("pipe", b'|'),
];

/// The delimiter: detected, or one the user picks.
#[component]
fn DelimiterSelect(options: ReadOptions, on_change: Callback<ReadOptions>) -> impl IntoView {
    let chosen = options.delimiter;
    view! {
        <label>
            "Delimiter "
            <select
                data-testid="delimiter-select"
                on:change=move |ev| {
                    let value = event_target_value(&ev);
                    let delimiter = DELIMITERS.iter().find(|(n, _)| *n == value).map(|(_, d)| *d);
                    on_change.run(ReadOptions { delimiter, ..options.clone() });
                }
            >
                <option value="" prop:selected=chosen.is_none()>
                    "detect"
                </option>
                {DELIMITERS
                    .into_iter()
                    .map(|(n, d)| {
                        view! {
                            <option value=n prop:selected=chosen == Some(d)>
                                {n}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}
