//! `drift`'s output: a traffic-light table, most severe first.

use churnscope_engine::monitoring::drift::FeatureDrift;
use churnscope_engine::monitoring::report::HOW_TO_READ;

use crate::args::Format;
use crate::commands::drift::Drift;
use crate::error::CliError;

/// Writes the drift report in `format`.
pub fn print(d: &Drift, format: Format) -> Result<(), CliError> {
    match format {
        Format::Json => super::json(&serde_json::json!({
            "model": {
                "dataset": d.model.dataset,
                "engine_version": d.model.engine_version,
            },
            "sample": d.sampled,
            "peak_memory_bytes": crate::progress::peak_memory(),
            "renamed": d.columns.renamed,
            "ignored": d.columns.ignored,
            "unseen_categories": d.columns.unseen,
            "report": d.report,
        })),
        Format::Text => {
            text(d);
            Ok(())
        }
    }
}

fn row(f: &FeatureDrift) {
    let p = f.p_value.map(|p| format!("p {p:.4}")).unwrap_or_default();
    out!(
        "  {:<6} {:<24} PSI {:>7.4}  {:?} {:.4} {p}{}  missing {:.1}% -> {:.1}%",
        f.light().label(),
        f.column,
        f.psi,
        f.test,
        f.statistic,
        if f.drifted { "  DRIFT" } else { "" },
        100.0 * f.missing_share_reference,
        100.0 * f.missing_share_current
    );
}

fn text(d: &Drift) {
    let r = &d.report;
    if let Some(s) = &d.sampled {
        out!(
            "compared a random sample of {} of the file's {} rows (seed {}; --sample){}",
            s.rows,
            s.of,
            s.seed,
            crate::progress::peak_memory_note()
        );
    }
    for (from, to) in &d.columns.renamed {
        out!("column '{from}' read as the model's '{to}'");
    }
    for u in &d.columns.unseen {
        out!(
            "column '{}': {} cells with categories the model never saw",
            u.column,
            u.cells
        );
    }
    out!(
        "{} of {} features drifted: the export {}",
        r.drifted_features,
        r.features.len(),
        if r.dataset_drifted {
            "has drifted"
        } else {
            "has not drifted"
        }
    );
    for f in &r.features {
        row(f);
    }
    out!("scores:");
    row(&r.scores);
    let (a, b) = (&r.tier_shares_reference, &r.tier_shares_current);
    out!(
        "tier shares (high/medium/low): {:.1}/{:.1}/{:.1}% at training, {:.1}/{:.1}/{:.1}% now",
        100.0 * a.high,
        100.0 * a.medium,
        100.0 * a.low,
        100.0 * b.high,
        100.0 * b.medium,
        100.0 * b.low
    );
    out!(
        "estimated ROC AUC (from the model's probabilities, no labels): {:.4}; at training {:.4}",
        r.estimated_roc_auc,
        r.training_roc_auc
    );
    if let Some(x) = &r.realised {
        out!(
            "realised on {} labelled customers: ROC AUC {:.4} (95% CI {:.4} to {:.4}), PR AUC {:.4} (training {:.4}), Brier {:.4} (training {:.4})",
            x.n, x.roc_auc, x.roc_auc_low, x.roc_auc_high, x.pr_auc, x.training_pr_auc, x.brier, x.training_brier
        );
        if x.decayed {
            out!("DECAY: the ROC AUC's 95% interval lies wholly below the training value {:.4}: retrain the model", r.training_roc_auc);
        }
    }
    out!("{HOW_TO_READ}");
}
