//! `score`'s output.

use churnscope_engine::acting::actions::reason_text;

use crate::args::Format;
use crate::commands::score::Scoring;
use crate::error::CliError;

/// Writes what scoring found in `format`.
pub fn print(s: &Scoring, format: Format) -> Result<(), CliError> {
    match format {
        Format::Json => super::json(&json(s)),
        Format::Text => {
            text(s);
            Ok(())
        }
    }
}

fn json(s: &Scoring) -> serde_json::Value {
    serde_json::json!({
        "model": {
            "dataset": s.model.dataset,
            "engine_version": s.model.engine_version,
            "roc_auc": s.model.metrics.roc_auc,
        },
        "rows": s.rows,
        "tiers": {"high": s.tiers[0], "medium": s.tiers[1], "low": s.tiers[2]},
        "renamed": s.columns.renamed,
        "ignored": s.columns.ignored,
        "unseen_categories": s.columns.unseen,
        "riskiest": s.riskiest.iter().map(|a| serde_json::json!({
            "id": a.id,
            "probability": a.probability,
            "tier": a.tier.label(),
            "reasons": a.reasons.iter().map(reason_text).collect::<Vec<_>>(),
            "action": a.action,
            "expected_value": a.expected_value,
        })).collect::<Vec<_>>(),
        "pieces": s.pieces,
        "seconds": s.seconds,
        "peak_memory_bytes": s.peak_memory,
    })
}

fn text(s: &Scoring) {
    let m = &s.model;
    out!(
        "model: trained on {} ({} rows) on {}, test ROC AUC {:.4}",
        m.dataset.name,
        m.dataset.rows,
        m.dataset.trained_on,
        m.metrics.roc_auc
    );
    out!(
        "scored {} customers: {} high, {} medium, {} low risk",
        s.rows,
        s.tiers[0],
        s.tiers[1],
        s.tiers[2]
    );
    for (from, to) in &s.columns.renamed {
        out!("column '{from}' read as the model's '{to}'");
    }
    if !s.columns.ignored.is_empty() {
        out!("columns not used: {}", s.columns.ignored.join(", "));
    }
    for u in &s.columns.unseen {
        out!(
            "column '{}': {} cells with categories the model never saw (e.g. {})",
            u.column,
            u.cells,
            u.examples.join(", ")
        );
    }
    out!("riskiest customers:");
    for a in &s.riskiest {
        let reasons: Vec<String> = a.reasons.iter().map(reason_text).collect();
        out!(
            "  {:<14} {:.4} {:<7} {} | {}",
            a.id,
            a.probability,
            a.tier.label(),
            a.action,
            reasons.join("; ")
        );
    }
    let memory = crate::progress::memory_note(s.peak_memory);
    out!(
        "read and scored in {:.2} s in {} pieces{memory}",
        s.seconds,
        s.pieces
    );
}
