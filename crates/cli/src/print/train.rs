//! `train`'s output: the model, its test metrics, the chosen threshold and the timings.

use churnscope_engine::modelling::models::FittedModel;

use crate::args::Format;
use crate::commands::train::Training;
use crate::error::CliError;

/// Writes the training report in `format`.
pub fn print(t: &Training, format: Format) -> Result<(), CliError> {
    let model = describe_model(t);
    match format {
        Format::Json => super::json(&json(t, &model)),
        Format::Text => {
            text(t, &model);
            Ok(())
        }
    }
}

/// What the model says about its fit.
struct ModelFit {
    /// The model's name in the JSON output.
    name: &'static str,
    /// Iterations, trees or epochs.
    iterations: usize,
    /// Whether the solver converged (logistic regression only).
    converged: Option<bool>,
    /// One line for people.
    summary: String,
}

fn describe_model(t: &Training) -> ModelFit {
    let fit = |name, iterations, converged, summary| ModelFit {
        name,
        iterations,
        converged,
        summary,
    };
    match &t.pipeline.model {
        FittedModel::Logistic(m) => fit(
            "logistic",
            m.iterations,
            Some(m.converged),
            format!(
                "logistic regression (C = {}): {} iterations, {}",
                t.c,
                m.iterations,
                if m.converged {
                    "converged"
                } else {
                    "NOT converged"
                }
            ),
        ),
        FittedModel::Gbdt(m) => {
            let leaves: usize = m.trees.iter().map(|t| t.n_leaves()).sum();
            fit(
                "gbdt",
                m.trees.len(),
                None,
                format!(
                    "gradient-boosted trees: {} trees, {:.1} leaves a tree on average",
                    m.trees.len(),
                    leaves as f64 / m.trees.len().max(1) as f64
                ),
            )
        }
        FittedModel::Forest(m) => fit(
            "forest",
            m.trees.len(),
            None,
            format!(
                "random forest: {} trees, out-of-bag ROC AUC {}",
                m.trees.len(),
                m.oob_roc_auc
                    .map_or("n/a".to_string(), |a| format!("{a:.4}"))
            ),
        ),
        FittedModel::Mlp(m) => fit(
            "mlp",
            m.epochs,
            None,
            format!(
                "neural network ({} hidden): {} epochs, best at {}{}",
                m.layers
                    .iter()
                    .take(m.layers.len().saturating_sub(1))
                    .map(|l| l.outputs.to_string())
                    .collect::<Vec<_>>()
                    .join("+"),
                m.epochs,
                m.best_epoch,
                if m.stopped_early {
                    ", stopped early"
                } else {
                    ""
                }
            ),
        ),
    }
}

/// The run as one JSON object.
fn json(t: &Training, model: &ModelFit) -> serde_json::Value {
    let (p, r) = (&t.pipeline, &t.report);
    serde_json::json!({
        "file": t.path,
        "sample": t.sampled,
        "model": model.name,
        "target": p.target,
        "n_train": t.n_train,
        "n_test": t.n_test,
        "n_features": p.preprocessor.n_features(),
        "iterations": model.iterations,
        "converged": model.converged,
        "parse_seconds": t.parse_seconds,
        "fit_seconds": t.fit_seconds,
        "fit_steps": t.steps,
        "metrics": {
            "roc_auc": r.roc_auc, "pr_auc": r.pr_auc, "accuracy": r.accuracy,
            "precision": r.precision, "recall": r.recall, "f1": r.f1,
            "log_loss": r.log_loss, "brier": r.brier, "threshold": r.threshold,
        },
        "threshold_choice": p.threshold_choice,
        "calibration": p.calibrator.as_ref().map(|c| c.method()),
        "prior_correction": p.prior_correction,
        "probability_note": p.probability_note(),
        "coefficients": p.coefficients(),
        "left_out": p.preprocessor.dropped,
        "notices": p.preprocessor.notices,
        "confusion": r.confusion,
        "c": t.c,
        "cv": t.tuning,
    })
}

/// The run for people: the data, the model, the search, the metrics, the threshold, the
/// confusion matrix and the timings.
fn text(t: &Training, model: &ModelFit) {
    let p = &t.pipeline;
    if let Some(s) = &t.sampled {
        out!(
            "trained on a random sample of {} of the file's {} rows (seed {}; --sample)",
            s.rows,
            s.of,
            s.seed
        );
    }
    out!(
        "{}: target '{}' (positive '{}'), {} training rows, {} test rows, {} features",
        t.path,
        p.target.column,
        p.target.positive,
        t.n_train,
        t.n_test,
        p.preprocessor.n_features()
    );
    out!("{}", model.summary);
    let left_out: Vec<String> = p
        .preprocessor
        .dropped
        .iter()
        .map(|d| format!("{} ({})", d.column, d.reason))
        .collect();
    if !left_out.is_empty() {
        out!("left out: {} (--include COL uses one)", left_out.join(", "));
    }
    for notice in &p.preprocessor.notices {
        out!("{notice}");
    }
    if let Some(tuning) = &t.tuning {
        let best = tuning.best_candidate();
        out!(
            "{} chosen by {}-fold cross-validation on the training rows, of {} settings ({} {:.4} ± {:.4})",
            tuning.best,
            tuning.folds,
            tuning.candidates.len(),
            tuning.scoring.label(),
            best.map_or(f64::NAN, |c| c.mean),
            best.map_or(f64::NAN, |c| c.std)
        );
    }
    metrics(t);
    out!(
        "parse {:.4} s, fit {:.4} s (with --test: the fit alone; otherwise fit and evaluation)",
        t.parse_seconds,
        t.fit_seconds
    );
}

/// The test metrics, the probability note, the chosen threshold and the confusion matrix.
fn metrics(t: &Training) {
    let r = &t.report;
    out!("roc_auc   {:.4}", r.roc_auc);
    out!("pr_auc    {:.4}", r.pr_auc);
    out!("accuracy  {:.4}", r.accuracy);
    out!("precision {:.4}", r.precision);
    out!("recall    {:.4}", r.recall);
    out!("f1        {:.4}", r.f1);
    out!("log_loss  {:.4}", r.log_loss);
    out!("brier     {:.4}", r.brier);
    out!("{}", t.pipeline.probability_note());
    if let Some(choice) = &t.pipeline.threshold_choice {
        out!(
            "threshold {:.4} chosen by {:?} on out-of-fold scores (precision {:.4}, recall {:.4} there)",
            choice.threshold, choice.rule, choice.precision, choice.recall
        );
    }
    let c = r.confusion;
    out!(
        "confusion at {}: TN {} FP {} FN {} TP {}",
        r.threshold,
        c.true_negative,
        c.false_positive,
        c.false_negative,
        c.true_positive
    );
}
