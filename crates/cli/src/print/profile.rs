//! `profile`'s output.

use crate::args::Format;
use crate::commands::profile::Profile;
use crate::error::CliError;

/// Writes the profile in `format`.
pub fn print(p: &Profile, format: Format) -> Result<(), CliError> {
    match format {
        Format::Json => super::json(&json(p)),
        Format::Text => {
            text(p);
            Ok(())
        }
    }
}

/// The profile as one JSON object.
fn json(p: &Profile) -> serde_json::Value {
    let info = &p.info;
    serde_json::json!({
        "file": p.path,
        "rows": p.rows,
        "sample": p.sampled,
        "peak_memory_bytes": crate::progress::peak_memory(),
        "encoding": info.encoding.label(),
        "delimiter": info.delimiter,
        "sheet": info.sheet,
        "sheets": info.sheets,
        "sheet_reason": info.sheet_reason,
        "summary_rows": info.summary_rows.iter().map(|r| serde_json::json!({
            "row": r,
            "message": r.message(),
        })).collect::<Vec<_>>(),
        "notes": info.notes,
        "parse_seconds": p.parse_seconds,
        "columns": p.columns,
        "target": p.target.as_ref().ok().and_then(|t| t.as_ref()),
        "target_problem": p.target.as_ref().err().map(|e| e.to_string()),
        "warnings": p.warnings.iter().map(|w| serde_json::json!({
            "warning": w,
            "message": w.message(),
        })).collect::<Vec<_>>(),
    })
}

/// The profile as a table of columns, the proposed target and the warnings.
fn text(p: &Profile) {
    let info = &p.info;
    let format = match &info.sheet {
        Some(sheet) => format!("sheet '{sheet}' of {}", info.sheets.len()),
        None => format!("{}, delimiter '{}'", info.encoding.label(), info.delimiter),
    };
    out!(
        "{}: {} rows, {} columns, {format} (read in {:.3} s)",
        p.path,
        p.rows,
        p.summary.len(),
        p.parse_seconds,
    );
    if let Some(s) = &p.sampled {
        out!(
            "profiled a random sample of {} of the file's {} rows (seed {}; --sample){}",
            s.rows,
            s.of,
            s.seed,
            crate::progress::peak_memory_note()
        );
    }
    for note in &info.notes {
        out!("note: {note}");
    }
    out!(
        "{:<32} {:<12} {:>8} {:>9}",
        "column",
        "kind",
        "missing",
        "distinct"
    );
    for c in &p.summary {
        out!(
            "{:<32} {:<12} {:>8} {:>9}",
            c.name,
            c.kind.label(),
            c.missing,
            c.distinct
        );
    }
    match &p.target {
        Ok(Some(t)) => out!("target: {} (positive value '{}')", t.column, t.positive),
        Ok(None) => out!("target: none proposed; pass --target to `train`"),
        Err(e) => out!("target: {e}"),
    }
    for w in &p.warnings {
        out!("warning: {}", w.message());
    }
}
