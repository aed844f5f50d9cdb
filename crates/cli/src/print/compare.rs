//! `compare`'s output: a row a model, then each model's notes, warnings and explanation.

use churnscope_engine::evaluating::evaluation::ModelRun;

use crate::args::Format;
use crate::commands::compare::Comparison;
use crate::error::CliError;

/// Writes the comparison in `format`.
pub fn print(c: &Comparison, format: Format) -> Result<(), CliError> {
    match format {
        Format::Json => super::json(&json(c)),
        Format::Text => {
            table(c);
            for run in &c.runs {
                details(run);
            }
            Ok(())
        }
    }
}

/// `{"models": [...]}`, one object a model.
fn json(c: &Comparison) -> serde_json::Value {
    let models: Vec<serde_json::Value> = c
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let t = &r.outcome.test;
            serde_json::json!({
                "model": r.kind,
                "recommended": Some(i) == c.best,
                "metrics": {
                    "roc_auc": t.roc_auc, "pr_auc": t.pr_auc, "f1": t.f1, "recall": t.recall,
                    "precision": t.precision, "accuracy": t.accuracy, "log_loss": t.log_loss,
                    "brier": t.brier, "threshold": t.threshold,
                },
                "train_roc_auc": r.train_roc_auc,
                "fit_seconds": r.fit_seconds,
                "cv": r.cv,
                "n_train": r.outcome.n_train,
                "n_test": r.outcome.n_test,
                "warnings": r.warnings.iter().map(|w| w.message()).collect::<Vec<_>>(),
                "explanation": r.explanation,
            })
        })
        .collect();
    serde_json::json!({ "models": models })
}

/// The comparison table, the recommended model marked.
fn table(c: &Comparison) {
    out!(
        "{:<24} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8} {:>17}",
        "model",
        "roc_auc",
        "pr_auc",
        "f1",
        "recall",
        "precision",
        "log_loss",
        "brier",
        "fit_s",
        "cv_roc_auc"
    );
    for (i, r) in c.runs.iter().enumerate() {
        let t = &r.outcome.test;
        let cv =
            r.cv.as_ref()
                .map_or("-".to_string(), |c| format!("{:.4} ± {:.4}", c.mean, c.std));
        out!(
            "{:<24} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>9.4} {:>8.4} {:>8.4} {:>8.2} {:>17}{}",
            r.label(),
            t.roc_auc,
            t.pr_auc,
            t.f1,
            t.recall,
            t.precision,
            t.log_loss,
            t.brier,
            r.fit_seconds,
            cv,
            if Some(i) == c.best {
                "  <- recommended"
            } else {
                ""
            }
        );
    }
}

/// A model's preprocessing notes, warnings and, with `--explain`, its permutation importance
/// and the riskiest test customers' reasons.
fn details(r: &ModelRun) {
    for n in &r.outcome.pipeline.preprocessor.notices {
        out!("note ({}): {n}", r.label());
    }
    for w in &r.warnings {
        out!("warning ({}): {}", r.label(), w.message());
    }
    let Some(ex) = &r.explanation else {
        return;
    };
    out!("\n{}: permutation importance (drop in test ROC AUC, mean ± sd over {} shuffles of {} customers)", r.label(), ex.repeats, ex.rows_used);
    for imp in ex.importance.iter().take(8) {
        out!("  {:<28} {:>8.4} ± {:.4}", imp.column, imp.mean, imp.std);
    }
    out!(
        "{}: riskiest test customers and their top reasons",
        r.label()
    );
    for c in ex.reasons.iter().take(5) {
        let up: Vec<String> =
            c.up.iter()
                .map(|x| format!("{} = {} ({:+.2})", x.column, x.value, x.contribution))
                .collect();
        out!(
            "  row {:>6}  p = {:.3}  {}",
            c.row + 1,
            c.probability,
            up.join("; ")
        );
    }
}
