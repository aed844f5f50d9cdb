//! Judging probabilistic predictions: ranking metrics, thresholded metrics and curves.
//!
//! Names and definitions follow scikit-learn: `roc_auc_score` integrates the ROC curve
//! with the trapezoidal rule over distinct thresholds (so tied scores count half),
//! `average_precision_score` is the step-wise sum Σ (R_n - R_(n-1)) P_n, and thresholded
//! metrics predict "churn" when p >= threshold, with precision 0 when nothing is flagged
//! (`zero_division=0`).

use serde::{Deserialize, Serialize};

/// Why metrics cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    #[error("{0} labels but {1} scores")]
    MismatchedShapes(usize, usize),
    #[error("the evaluated rows contain only one class, so ROC AUC is undefined")]
    SingleClassTarget,
    #[error("score {value} at row {row} is not a probability in [0, 1]")]
    NotAProbability { row: usize, value: f64 },
    #[error("{what} must be at least 1")]
    ZeroBins { what: &'static str },
}

pub type Result<T> = std::result::Result<T, MetricsError>;

/// Counts of the four outcomes at a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ConfusionMatrix {
    pub true_negative: usize,
    pub false_positive: usize,
    pub false_negative: usize,
    pub true_positive: usize,
}

impl ConfusionMatrix {
    /// Counts outcomes, predicting positive when `score >= threshold`.
    pub fn at_threshold(y: &[u8], scores: &[f64], threshold: f64) -> Self {
        let mut m = ConfusionMatrix::default();
        for (&label, &s) in y.iter().zip(scores) {
            match (label == 1, s >= threshold) {
                (false, false) => m.true_negative += 1,
                (false, true) => m.false_positive += 1,
                (true, false) => m.false_negative += 1,
                (true, true) => m.true_positive += 1,
            }
        }
        m
    }

    pub fn total(&self) -> usize {
        self.true_negative + self.false_positive + self.false_negative + self.true_positive
    }

    pub fn accuracy(&self) -> f64 {
        ratio(self.true_positive + self.true_negative, self.total())
    }

    /// TP / (TP + FP), 0 when nothing is flagged.
    pub fn precision(&self) -> f64 {
        ratio(self.true_positive, self.true_positive + self.false_positive)
    }

    /// TP / (TP + FN), 0 when there are no positives.
    pub fn recall(&self) -> f64 {
        ratio(self.true_positive, self.true_positive + self.false_negative)
    }

    /// Harmonic mean of precision and recall, 0 when both are 0.
    pub fn f1_score(&self) -> f64 {
        ratio(
            2 * self.true_positive,
            2 * self.true_positive + self.false_positive + self.false_negative,
        )
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// A ROC curve: false and true positive rates at each distinct threshold, from (0, 0) to (1, 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RocCurve {
    pub fpr: Vec<f64>,
    pub tpr: Vec<f64>,
    /// `thresholds[i]` gives (fpr[i], tpr[i]); the first is +inf, as in scikit-learn.
    /// JSON has no infinity, so +inf is written as `null` (and read back as +inf).
    #[serde(with = "infinite_as_null")]
    pub thresholds: Vec<f64>,
}

/// Serde for a list of thresholds whose +inf JSON cannot hold: +inf travels as `null`.
mod infinite_as_null {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(values: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let out: Vec<Option<f64>> = values
            .iter()
            .map(|&v| if v == f64::INFINITY { None } else { Some(v) })
            .collect();
        out.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let values: Vec<Option<f64>> = Vec::deserialize(d)?;
        Ok(values
            .into_iter()
            .map(|v| v.unwrap_or(f64::INFINITY))
            .collect())
    }
}

/// Checks equal lengths, scores in [0, 1] (so no NaN) and both classes present; returns
/// (positives, negatives).
pub(crate) fn check(y: &[u8], scores: &[f64]) -> Result<(usize, usize)> {
    if y.len() != scores.len() {
        return Err(MetricsError::MismatchedShapes(y.len(), scores.len()));
    }
    if let Some((row, &value)) = scores
        .iter()
        .enumerate()
        .find(|(_, s)| !(0.0..=1.0).contains(*s))
    {
        return Err(MetricsError::NotAProbability { row, value });
    }
    let pos = y.iter().filter(|&&l| l == 1).count();
    let neg = y.len() - pos;
    if pos == 0 || neg == 0 {
        return Err(MetricsError::SingleClassTarget);
    }
    Ok((pos, neg))
}

/// Indices sorted by descending score, and the cumulative (TP, FP) counts at the end of each
/// run of tied scores (scikit-learn's `_binary_clf_curve`).
pub(crate) fn cumulative_counts(y: &[u8], scores: &[f64]) -> Vec<(f64, usize, usize)> {
    // Pairs sorted in place (ties may land in any order: only run ends are reported).
    let mut pairs: Vec<(f64, u8)> = scores.iter().copied().zip(y.iter().copied()).collect();
    pairs.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    let mut out = Vec::new();
    let (mut tp, mut fp) = (0usize, 0usize);
    for (k, &(score, label)) in pairs.iter().enumerate() {
        if label == 1 {
            tp += 1;
        } else {
            fp += 1;
        }
        let last_of_run = pairs.get(k + 1).is_none_or(|next| next.0 != score);
        if last_of_run {
            out.push((score, tp, fp));
        }
    }
    out
}

/// The ROC curve at every distinct score (scikit-learn's `roc_curve(drop_intermediate=False)`).
pub fn roc_curve(y: &[u8], scores: &[f64]) -> Result<RocCurve> {
    let (pos, neg) = check(y, scores)?;
    let mut curve = RocCurve {
        fpr: vec![0.0],
        tpr: vec![0.0],
        thresholds: vec![f64::INFINITY],
    };
    for (threshold, tp, fp) in cumulative_counts(y, scores) {
        curve.fpr.push(fp as f64 / neg as f64);
        curve.tpr.push(tp as f64 / pos as f64);
        curve.thresholds.push(threshold);
    }
    Ok(curve)
}

/// Area under the ROC curve (trapezoidal rule), scikit-learn's `roc_auc_score`.
pub fn roc_auc(y: &[u8], scores: &[f64]) -> Result<f64> {
    let c = roc_curve(y, scores)?;
    Ok(c.fpr
        .windows(2)
        .zip(c.tpr.windows(2))
        .map(|(f, t)| (f[1] - f[0]) * (t[1] + t[0]) / 2.0)
        .sum())
}

/// Average precision, scikit-learn's `average_precision_score`: Σ (R_n - R_(n-1)) P_n.
pub fn average_precision(y: &[u8], scores: &[f64]) -> Result<f64> {
    let (pos, _) = check(y, scores)?;
    let mut ap = 0.0;
    let mut prev_recall = 0.0;
    for (_, tp, fp) in cumulative_counts(y, scores) {
        let recall = tp as f64 / pos as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        ap += (recall - prev_recall) * precision;
        prev_recall = recall;
    }
    Ok(ap)
}

/// Clip applied to probabilities before taking logs, as in the reference protocol
/// (../shared/bench/baseline.py clips to [1e-15, 1 - 1e-15]).
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// Mean negative log-likelihood, as scikit-learn's `log_loss` but clipping probabilities to
/// [1e-15, 1 - 1e-15] like the reference protocol; scikit-learn 1.9.1 clips at machine
/// epsilon, which differs only when a probability is exactly 0 or 1.
pub fn log_loss(y: &[u8], scores: &[f64]) -> Result<f64> {
    check(y, scores)?;
    let total: f64 = y
        .iter()
        .zip(scores)
        .map(|(&l, &p)| {
            let p = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
            if l == 1 {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum();
    Ok(total / y.len() as f64)
}

/// Mean squared error of the probabilities against the 0/1 outcomes, scikit-learn's
/// `brier_score_loss`: (1/n) Σ (p_i − y_i)². 0 is perfect; always predicting the churn rate π
/// scores π(1 − π).
pub fn brier_score(y: &[u8], scores: &[f64]) -> Result<f64> {
    check(y, scores)?;
    let total: f64 = y
        .iter()
        .zip(scores)
        .map(|(&l, &p)| {
            let outcome = if l == 1 { 1.0 } else { 0.0 };
            (p - outcome) * (p - outcome)
        })
        .sum();
    Ok(total / y.len() as f64)
}

/// Every headline number of a binary classifier on one evaluation set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationReport {
    pub threshold: f64,
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub roc_auc: f64,
    pub pr_auc: f64,
    pub log_loss: f64,
    /// Brier score; reports saved before it existed read as 0.
    #[serde(default)]
    pub brier: f64,
    pub confusion: ConfusionMatrix,
    pub roc: RocCurve,
    pub n: usize,
    pub n_positive: usize,
}

impl ClassificationReport {
    /// Computes the report, thresholded metrics at `threshold`.
    pub fn new(y: &[u8], scores: &[f64], threshold: f64) -> Result<Self> {
        let (pos, _) = check(y, scores)?;
        let confusion = ConfusionMatrix::at_threshold(y, scores, threshold);
        Ok(ClassificationReport {
            threshold,
            accuracy: confusion.accuracy(),
            precision: confusion.precision(),
            recall: confusion.recall(),
            f1: confusion.f1_score(),
            roc_auc: roc_auc(y, scores)?,
            pr_auc: average_precision(y, scores)?,
            log_loss: log_loss(y, scores)?,
            brier: brier_score(y, scores)?,
            confusion,
            roc: roc_curve(y, scores)?,
            n: y.len(),
            n_positive: pos,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values: scikit-learn 1.9.1,
    //   y = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0]
    //   p = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4, 0.65, 0.05]
    //   roc_auc_score(y, p) = 0.8799999999999999
    //   average_precision_score(y, p) = 0.8761904761904762
    //   log_loss(y, p) = 0.41268484483288914
    //   brier_score_loss(y, p) = 0.13275
    const Y: [u8; 10] = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
    const P: [f64; 10] = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4, 0.65, 0.05];

    #[test]
    fn matches_sklearn_on_a_small_tied_example() {
        assert!((roc_auc(&Y, &P).expect("auc") - 0.879_999_999_999_999_9).abs() < 1e-12);
        assert!((average_precision(&Y, &P).expect("ap") - 0.876_190_476_190_476_2).abs() < 1e-12);
        assert!((log_loss(&Y, &P).expect("ll") - 0.412_684_844_832_889_14).abs() < 1e-12);
        assert!((brier_score(&Y, &P).expect("brier") - 0.13275).abs() < 1e-12);
    }

    #[test]
    fn report_includes_brier_and_reads_older_json() {
        let report = ClassificationReport::new(&Y, &P, 0.5).expect("report");
        // scikit-learn 1.9.1 `brier_score_loss(y, p)`, as above.
        assert!((report.brier - 0.13275).abs() < 1e-12);
        // The ROC curve's first threshold is +inf, which serde_json writes as null and cannot
        // read back, so the round trip uses a report without a curve.
        let report = ClassificationReport {
            roc: RocCurve::default(),
            ..report
        };
        let mut json = serde_json::to_value(&report).expect("serialise");
        json.as_object_mut().expect("an object").remove("brier");
        let old: ClassificationReport = serde_json::from_value(json).expect("read");
        assert_eq!(old.brier, 0.0);
        assert_eq!(old.log_loss, report.log_loss);
    }

    #[test]
    fn roc_curve_matches_sklearn_points() {
        // sklearn 1.9.1 roc_curve(Y, P, drop_intermediate=False):
        //   fpr = [0, 0, 0, 0, 0.4, 0.4, 0.6, 0.8, 1]
        //   tpr = [0, 0.2, 0.4, 0.6, 0.8, 1, 1, 1, 1]
        let c = roc_curve(&Y, &P).expect("curve");
        assert_eq!(c.fpr, [0.0, 0.0, 0.0, 0.0, 0.4, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(c.tpr, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0, 1.0]);
        assert!(c.thresholds[0].is_infinite());
    }

    #[test]
    fn thresholded_metrics_by_hand() {
        // p >= 0.5 flags rows 3, 5, 8: all positives, so TP=3 FP=0 FN=2 TN=5.
        let m = ConfusionMatrix::at_threshold(&Y, &P, 0.5);
        assert_eq!(
            m,
            ConfusionMatrix {
                true_negative: 5,
                false_positive: 0,
                false_negative: 2,
                true_positive: 3
            }
        );
        assert_eq!(m.accuracy(), 0.8);
        assert_eq!(m.precision(), 1.0);
        assert_eq!(m.recall(), 0.6);
        assert!((m.f1_score() - 0.75).abs() < 1e-12);
        let none = ConfusionMatrix::at_threshold(&Y, &P, 0.95);
        assert_eq!((none.precision(), none.f1_score()), (0.0, 0.0));
    }

    #[test]
    fn rejects_one_class_and_bad_input() {
        assert_eq!(
            roc_auc(&[1, 1], &[0.2, 0.3]),
            Err(MetricsError::SingleClassTarget)
        );
        assert_eq!(
            roc_auc(&[1, 0], &[0.2]),
            Err(MetricsError::MismatchedShapes(2, 1))
        );
        assert!(matches!(
            roc_auc(&[1, 0], &[0.2, f64::NAN]),
            Err(MetricsError::NotAProbability { row: 1, .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn auc_and_ap_stay_in_unit_interval(
            pairs in proptest::collection::vec((0u8..2, 0.0f64..=1.0), 2..200)
        ) {
            let y: Vec<u8> = pairs.iter().map(|p| p.0).collect();
            let s: Vec<f64> = pairs.iter().map(|p| p.1).collect();
            if let Ok(auc) = roc_auc(&y, &s) {
                proptest::prop_assert!((0.0..=1.0 + 1e-12).contains(&auc));
                let flipped: Vec<f64> = s.iter().map(|p| 1.0 - p).collect();
                let auc_flipped = roc_auc(&y, &flipped).expect("same classes");
                proptest::prop_assert!((auc + auc_flipped - 1.0).abs() < 1e-9);
            }
            if let Ok(ap) = average_precision(&y, &s) {
                proptest::prop_assert!((0.0..=1.0 + 1e-12).contains(&ap));
            }
        }
    }
}
