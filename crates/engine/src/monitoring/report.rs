//! The whole drift report of a new export against a model file: every feature's drift
//! sorted by severity, the export's verdict, the drift of the score distribution and the
//! tier shares, the model's ROC AUC estimated without labels (CBPE) and, when the export
//! carries the churn column, the realised metrics beside the training-time ones with a
//! decay warning.

use serde::{Deserialize, Serialize};

use crate::acting::actions::{profit_curve, ProfitPoint};
use crate::dataset::{format_number, ColumnData, Dataset, MISSING_CODE};
use crate::evaluating::curves::{calibration_curve, BinStrategy, CalibrationCurve};
use crate::evaluating::metrics::{average_precision, brier_score, log_loss};
use crate::modelling::pipeline::PipelineError;
use crate::monitoring::drift::{
    cbpe_roc_auc, dataset_drift, delong_auc_ci, feature_drift, CurrentColumn, FeatureDrift,
    LabelCounts,
};
use crate::monitoring::model_file::{ModelFile, TierShares};
use crate::monitoring::reference::{Distribution, FeatureReference};
use crate::reading::cells::parse_number;

/// The name the score distribution goes by in the report.
pub const SCORE_COLUMN: &str = "churn probability";

/// How a merchant reads a drift report (the page, the CLI and the HTML report say it).
pub const HOW_TO_READ: &str = "How to read this: each row compares a column of the new export with the same column at training. PSI (population stability index) below 0.1 is stable, 0.1 to 0.25 a moderate shift, above 0.25 a significant one. \"Drifted\" means the column's test found a difference unlikely to be chance (a p-value below 0.05, or a distance of 0.1 or more on big files). A few drifted columns are normal from month to month; half of them or more, or drifted scores, mean the model's picture of your customers no longer fits them: check the realised figures when you have the outcomes, and retrain.";

/// What changed between the training data and a new export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    /// Customers in the export.
    pub rows: usize,
    /// One entry per feature, drifted first, then by PSI, largest first.
    pub features: Vec<FeatureDrift>,
    pub drifted_features: usize,
    /// Half of the features or more drifted.
    pub dataset_drifted: bool,
    /// The probabilities' distribution against the held-out customers' at training time.
    pub scores: FeatureDrift,
    pub tier_shares_reference: TierShares,
    pub tier_shares_current: TierShares,
    /// The ROC AUC the model should reach on these customers, from its own probabilities
    /// (confidence-based performance estimation), and the training-time test value.
    pub estimated_roc_auc: f64,
    pub training_roc_auc: f64,
    /// With the churn column in the export: what the model really achieved.
    pub realised: Option<Realised>,
}

/// The model's performance on a labelled export, beside the training-time figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Realised {
    pub n: usize,
    pub n_positive: usize,
    pub roc_auc: f64,
    /// DeLong's 95% confidence interval of the ROC AUC.
    pub roc_auc_low: f64,
    pub roc_auc_high: f64,
    pub pr_auc: f64,
    pub brier: f64,
    pub log_loss: f64,
    pub training_pr_auc: f64,
    pub training_brier: f64,
    /// Ten equal-width bins of predicted against observed churn.
    pub calibration: CalibrationCurve,
    /// Contacting everyone at or above the saved threshold, with the model file's profit
    /// inputs (fixed value, or the value column of the export).
    pub profit_at_threshold: Option<ProfitPoint>,
    /// The interval lies wholly below the training-time ROC AUC.
    pub decayed: bool,
}

/// Why a drift report could not be made.
pub type Result<T> = std::result::Result<T, PipelineError>;

/// The drift report of `ds` (its columns already matched, see
impl DriftReport {
    /// The export's verdict in a sentence: "2 of 19 columns drifted: the export as a whole
    /// has not drifted." (the page and the HTML report say it).
    pub fn verdict(&self) -> String {
        format!(
            "{} of {} columns drifted: the export as a whole {}.",
            self.drifted_features,
            self.features.len(),
            if self.dataset_drifted {
                "has drifted"
            } else {
                "has not drifted"
            }
        )
    }
}

/// [`crate::monitoring::scoring::match_columns`]) against `model`.
pub fn drift_report(model: &ModelFile, ds: &Dataset) -> Result<DriftReport> {
    let mut features: Vec<FeatureDrift> = model
        .reference
        .features
        .iter()
        .filter_map(|reference| {
            let column = ds.column(&reference.column)?;
            Some(drift_of_column(reference, &column.data))
        })
        .collect();
    features.sort_by(|a, b| {
        b.drifted
            .cmp(&a.drifted)
            .then(b.psi.total_cmp(&a.psi))
            .then(a.column.cmp(&b.column))
    });
    let rows: Vec<usize> = (0..ds.n_rows).collect();
    let probabilities = model.pipeline.predict_proba(ds, &rows)?;
    let score_reference = FeatureReference {
        column: SCORE_COLUMN.to_string(),
        present: model.scores.distribution.counts.iter().sum::<u64>() as usize,
        missing_share: 0.0,
        distribution: Distribution::Numeric(model.scores.distribution.clone()),
    };
    let scores = feature_drift(&score_reference, CurrentColumn::Numbers(&probabilities));
    Ok(DriftReport {
        rows: ds.n_rows,
        drifted_features: features.iter().filter(|f| f.drifted).count(),
        dataset_drifted: dataset_drift(&features),
        features,
        scores,
        tier_shares_reference: model.scores.tier_shares,
        tier_shares_current: TierShares::of(&probabilities, &model.tiers),
        estimated_roc_auc: cbpe_roc_auc(&probabilities),
        training_roc_auc: model.metrics.roc_auc,
        realised: realised(model, ds, &probabilities)?,
    })
}

/// One column's drift, whichever way the export stores it: a column stored as text where
/// the reference holds numbers (or the other way round; the model's read options keep its
/// text features as text) is compared on the reference's terms.
fn drift_of_column(reference: &FeatureReference, data: &ColumnData) -> FeatureDrift {
    match (&reference.distribution, data) {
        (Distribution::Numeric(_), ColumnData::Numeric(values)) => {
            feature_drift(reference, CurrentColumn::Numbers(values))
        }
        (Distribution::Numeric(_), ColumnData::Categorical { levels, codes }) => {
            let numbers: Vec<f64> = levels
                .iter()
                .map(|l| parse_number(l).unwrap_or(f64::NAN))
                .collect();
            let values: Vec<f64> = codes
                .iter()
                .map(|&c| match c {
                    MISSING_CODE => f64::NAN,
                    c => numbers[c as usize],
                })
                .collect();
            feature_drift(reference, CurrentColumn::Numbers(&values))
        }
        (Distribution::Categorical(_), ColumnData::Categorical { levels, codes }) => {
            let labels = codes.iter().map(|&c| match c {
                MISSING_CODE => None,
                c => Some(levels[c as usize].as_str()),
            });
            let counts = LabelCounts::of(labels);
            feature_drift(reference, CurrentColumn::Counts(&counts))
        }
        (Distribution::Categorical(_), ColumnData::Numeric(values)) => {
            let texts: Vec<Option<String>> = values
                .iter()
                .map(|x| (!x.is_nan()).then(|| format_number(*x)))
                .collect();
            let counts = LabelCounts::of(texts.iter().map(|t| t.as_deref()));
            feature_drift(reference, CurrentColumn::Counts(&counts))
        }
    }
}

/// The realised metrics, when `ds` has the churn column with both classes.
fn realised(model: &ModelFile, ds: &Dataset, probabilities: &[f64]) -> Result<Option<Realised>> {
    let target = &model.pipeline.target;
    if ds.column(&target.column).is_none() {
        return Ok(None);
    }
    let labels = target.labels(ds)?;
    let rows: Vec<usize> = (0..ds.n_rows).filter(|&r| labels[r].is_some()).collect();
    let y: Vec<u8> = rows.iter().map(|&r| labels[r].unwrap_or(0)).collect();
    let p: Vec<f64> = rows.iter().map(|&r| probabilities[r]).collect();
    let positives = y.iter().filter(|&&l| l == 1).count();
    if positives == 0 || positives == y.len() {
        return Ok(None);
    }
    let (roc_auc, low, high) = delong_auc_ci(&y, &p, 0.95);
    let metric = |r: std::result::Result<f64, _>| r.unwrap_or(f64::NAN);
    let profit = model
        .profit
        .values(ds, &rows)
        .ok()
        .and_then(|values| profit_curve(&p, &y, &values, &model.profit, rows.len()).ok())
        .and_then(|curve| {
            // The last point still at or above the saved threshold.
            curve
                .points
                .iter()
                .rfind(|pt| pt.threshold.is_none_or(|t| t >= model.pipeline.threshold))
                .copied()
        });
    Ok(Some(Realised {
        n: y.len(),
        n_positive: positives,
        roc_auc,
        roc_auc_low: low,
        roc_auc_high: high,
        pr_auc: metric(average_precision(&y, &p)),
        brier: metric(brier_score(&y, &p)),
        log_loss: metric(log_loss(&y, &p)),
        training_pr_auc: model.metrics.pr_auc,
        training_brier: model.metrics.brier,
        calibration: calibration_curve(&y, &p, 10, BinStrategy::Uniform).unwrap_or(
            CalibrationCurve {
                prob_true: Vec::new(),
                prob_pred: Vec::new(),
                counts: Vec::new(),
            },
        ),
        profit_at_threshold: profit,
        decayed: high < model.metrics.roc_auc,
    }))
}
