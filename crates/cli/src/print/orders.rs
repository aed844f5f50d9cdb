//! `orders`' output: what the log held, who was labelled and who left out, and the
//! baselines.

use crate::args::Format;
use crate::commands::orders::Orders;
use crate::error::CliError;

/// Writes the result in `format`.
pub fn print(o: &Orders, format: Format) -> Result<(), CliError> {
    match format {
        Format::Json => super::json(&serde_json::json!({
            "file": o.path,
            "layout": o.detection.layout,
            "reason": o.detection.reason,
            "mapping": o.detection.mapping,
            "log": o.log,
            "summary": o.summary,
            "baselines": o.baselines.as_ref().map(|b| match b {
                Ok(runs) => serde_json::json!(runs.iter().map(|r| serde_json::json!({
                    "model": r.kind,
                    "parameters": r.parameters,
                    "log_likelihood": r.log_likelihood,
                    "fitted_on": r.fitted_on,
                    "test_customers": r.test_rows.len(),
                    "roc_auc": r.test.roc_auc,
                    "pr_auc": r.test.pr_auc,
                    "brier": r.test.brier,
                })).collect::<Vec<_>>()),
                Err(e) => serde_json::json!({ "error": e }),
            }),
            "seconds": {
                "read": o.read_seconds,
                "derive": o.derive_seconds,
                "baselines": o.baseline_seconds,
            },
            "pieces": o.pieces,
            "parts": o.parts,
            "baseline_customers": o.baseline_customers,
            "peak_memory_bytes": o.peak_memory,
        })),
        Format::Text => {
            text(o);
            Ok(())
        }
    }
}

fn text(o: &Orders) {
    let (d, l, s) = (&o.detection, &o.log, &o.summary);
    out!("{}: {} — {}", o.path, d.layout.label(), d.reason);
    let roles: Vec<String> = d
        .mapping
        .roles()
        .iter()
        .map(|(role, column)| format!("{role} = {column}"))
        .collect();
    out!("columns: {}", roles.join(", "));
    out!(
        "{} rows -> {} orders ({} cancelled, voided, returned or refunded) by {} customers, {} to {}",
        l.rows, l.orders, l.cancelled_orders, l.customers, l.first_date, l.last_date
    );
    if l.rows_without_customer > 0 {
        out!(
            "left out: {} rows without a customer",
            l.rows_without_customer
        );
    }
    if let Some((line, value)) = &l.first_bad_date {
        out!(
            "left out: {} rows without a date (first: line {line}, '{value}')",
            l.rows_without_date
        );
    }
    out!(
        "cutoff {} (history from {}), churned = no order in the {} days after it",
        s.cutoff,
        s.observation_start,
        s.horizon_days
    );
    out!(
        "labelled: {} customers, {} churned ({:.1}%), {} one-time buyers",
        s.labelled,
        s.churned,
        100.0 * s.churned as f64 / s.labelled.max(1) as f64,
        s.one_time_buyers
    );
    out!(
        "not labelled: {} too new (first order under {} days before the cutoff), {} first ordered after it, {} with no order in the window",
        s.too_new, s.min_history_days, s.after_cutoff, s.outside_window
    );
    out!("current customers (as of {}): {}", s.last_date, s.current);
    baselines_text(o);
    let memory = crate::progress::memory_note(o.peak_memory);
    out!(
        "time: read {:.3} s ({} pieces), derive {:.3} s, baselines {:.3} s{memory}",
        o.read_seconds,
        o.pieces,
        o.derive_seconds,
        o.baseline_seconds
    );
}

/// The split, and the baselines' parameters and held-out figures.
fn baselines_text(o: &Orders) {
    if o.parts > 1 {
        out!(
            "split by customer into {} parts on disk (one part's orders in memory at a time); tables written part by part",
            o.parts
        );
    }
    if let Some(n) = o.baseline_customers {
        out!(
            "baselines fitted and judged on {n} labelled customers of the first parts (a random share of them, by a hash of the id)"
        );
    }
    match &o.baselines {
        Some(Ok(runs)) => {
            for r in runs {
                let params: Vec<String> = r
                    .parameters
                    .iter()
                    .map(|(n, v)| format!("{n} {v:.4}"))
                    .collect();
                out!(
                    "{}: {} (weeks), LL {:.1}, fitted on {}; on {} held-out customers ROC AUC {:.4}, PR AUC {:.4}, Brier {:.4}",
                    r.kind.label(),
                    params.join(", "),
                    r.log_likelihood,
                    r.fitted_on,
                    r.test_rows.len(),
                    r.test.roc_auc,
                    r.test.pr_auc,
                    r.test.brier
                );
            }
        }
        Some(Err(e)) => out!("baselines: {e}"),
        None => {}
    }
}
