//! Evaluation curves of a binary churn classifier: what its scores look like across every
//! threshold, bin or share of customers, for charts and a live threshold slider.
//!
//! All functions take labels `y` (1 = churned) and scores in [0, 1] and check them as
//! [`crate::evaluating::metrics`] does: equal lengths, every score a probability, both classes
//! present ([`MetricsError`]); a bin or point count of 0 is [`MetricsError::ZeroBins`].
//! "Flagged" always means `score >= threshold`, as in [`ConfusionMatrix::at_threshold`].
//!
//! - [`precision_recall_curve`] is scikit-learn's `precision_recall_curve` (all distinct
//!   scores, no dropped points): precision P_j = TP_j / (TP_j + FP_j) and recall
//!   R_j = TP_j / N₊ when flagging scores ≥ s_j, over distinct scores s_j in increasing order,
//!   then the final point (P = 1, R = 0) that has no threshold.
//! - [`calibration_curve`] is scikit-learn's `calibration_curve`: rows fall in bin
//!   b = #{inner edges e : e < p} (`np.searchsorted(edges[1:-1], p)`), edges either
//!   `np.linspace(0, 1, n_bins + 1)` ([`BinStrategy::Uniform`]) or the scores' percentiles at
//!   those levels with numpy's linear interpolation ([`BinStrategy::Quantile`]); each non-empty
//!   bin gives (mean label, mean score, count). Unlike scikit-learn, one class is an error.
//! - [`score_histogram`] is `numpy.histogram(p, bins=n_bins, range=(0, 1))` of each class:
//!   bin i holds edges[i] ≤ p < edges[i + 1], the last bin also holds p = 1, with numpy's
//!   edges i · (1 / n_bins) (so 0.3 lies below the edge 0.30000000000000004).
//! - [`gains_curve`] (no scikit-learn counterpart): customers sorted by descending score,
//!   tied scores kept in row order; contacting the top m_k = ⌈k·n / points⌉ rows for
//!   k = 0..=points catches the share C_k of all churners among them, at the share
//!   m_k / n of customers actually contacted (k / points when `points` divides n); the lift is
//!   C_k / (m_k / n), and at k = 0, where it is 0/0, it repeats the lift at k = 1.
//! - [`threshold_sweep`]: precision (0 when nothing is flagged), recall, F1 and the share
//!   flagged at thresholds k / points, k = 0..=points.
//! - [`RankedScores`] sorts the scores once and keeps cumulative churner counts, so the
//!   confusion matrix at any threshold is one binary search: O(log n) per slider move.
//!
//! References: scikit-learn 1.9.1 `sklearn/metrics/_ranking.py` (`precision_recall_curve`,
//! `_binary_clf_curve`) and `sklearn/calibration.py` (`calibration_curve`); numpy 2.4
//! `numpy/lib/_histograms_impl.py` and `numpy/lib/_function_base_impl.py` (`percentile`);
//! A. Niculescu-Mizil and R. Caruana, "Predicting good probabilities with supervised
//! learning", ICML 2005, §4.

use serde::{Deserialize, Serialize};

use crate::evaluating::metrics::{check, cumulative_counts, ConfusionMatrix, MetricsError, Result};

/// Precision and recall at every distinct score, as scikit-learn returns them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrCurve {
    /// Precision at each threshold (in the order of `thresholds`), then a final 1.
    pub precision: Vec<f64>,
    /// Recall at each threshold, non-increasing from 1, then a final 0.
    pub recall: Vec<f64>,
    /// The distinct scores, increasing; one fewer than `precision` (the final point has none).
    pub thresholds: Vec<f64>,
}

/// scikit-learn's `precision_recall_curve(y, scores)` (`drop_intermediate=False`): same order
/// and the final (precision 1, recall 0) point without threshold.
pub fn precision_recall_curve(y: &[u8], scores: &[f64]) -> Result<PrCurve> {
    let (pos, _) = check(y, scores)?;
    let counts = cumulative_counts(y, scores);
    let mut curve = PrCurve {
        precision: Vec::with_capacity(counts.len() + 1),
        recall: Vec::with_capacity(counts.len() + 1),
        thresholds: Vec::with_capacity(counts.len()),
    };
    // `cumulative_counts` runs from the highest score down; scikit-learn reverses it.
    for &(threshold, tp, fp) in counts.iter().rev() {
        // Every run holds at least one row, so tp + fp > 0.
        curve.precision.push(tp as f64 / (tp + fp) as f64);
        curve.recall.push(tp as f64 / pos as f64);
        curve.thresholds.push(threshold);
    }
    curve.precision.push(1.0);
    curve.recall.push(0.0);
    Ok(curve)
}

/// How [`calibration_curve`] places its bin edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinStrategy {
    /// Equal widths over [0, 1] (scikit-learn's `strategy="uniform"`).
    Uniform,
    /// About equal row counts: edges at the scores' quantiles (`strategy="quantile"`).
    Quantile,
}

/// Observed churn rate against mean predicted probability per bin (a reliability diagram).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationCurve {
    /// Share of churners in each non-empty bin.
    pub prob_true: Vec<f64>,
    /// Mean score in each non-empty bin.
    pub prob_pred: Vec<f64>,
    /// Rows in each non-empty bin.
    pub counts: Vec<usize>,
}

/// scikit-learn's `calibration_curve(y, p, n_bins=n_bins, strategy=...)` (empty bins dropped);
/// `counts` gives the rows per kept bin.
pub fn calibration_curve(
    y: &[u8],
    scores: &[f64],
    n_bins: usize,
    strategy: BinStrategy,
) -> Result<CalibrationCurve> {
    check(y, scores)?;
    nonzero(n_bins, "n_bins")?;
    let inner = match strategy {
        BinStrategy::Uniform => linspace_unit(n_bins)[1..n_bins].to_vec(),
        BinStrategy::Quantile => quantile_inner_edges(scores, n_bins),
    };
    let mut sums = vec![0.0; n_bins];
    let mut churned = vec![0.0; n_bins];
    let mut totals = vec![0usize; n_bins];
    // Row order, as `np.bincount(..., weights=...)` accumulates.
    for (&label, &p) in y.iter().zip(scores) {
        // `np.searchsorted(inner, p)` (side="left"): edges strictly below p.
        let bin = inner.partition_point(|&e| e < p);
        sums[bin] += p;
        churned[bin] += f64::from(label == 1);
        totals[bin] += 1;
    }
    let mut curve = CalibrationCurve {
        prob_true: Vec::new(),
        prob_pred: Vec::new(),
        counts: Vec::new(),
    };
    for ((&sum, &pos), &total) in sums.iter().zip(&churned).zip(&totals) {
        if total > 0 {
            curve.prob_true.push(pos / total as f64);
            curve.prob_pred.push(sum / total as f64);
            curve.counts.push(total);
        }
    }
    Ok(curve)
}

/// `np.linspace(0, 1, n + 1)`: i · (1 / n), the last edge exactly 1.
fn linspace_unit(n: usize) -> Vec<f64> {
    let step = 1.0 / n as f64;
    let mut edges: Vec<f64> = (0..=n).map(|i| i as f64 * step).collect();
    if let Some(last) = edges.last_mut() {
        *last = 1.0;
    }
    edges
}

/// The inner edges of scikit-learn's quantile bins:
/// `np.percentile(p, np.linspace(0, 1, n_bins + 1) * 100)[1:-1]`, reproducing numpy's
/// arithmetic (virtual index (n − 1)·q, and its two-sided `_lerp`) bit for bit.
fn quantile_inner_edges(scores: &[f64], n_bins: usize) -> Vec<f64> {
    let mut sorted = scores.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let last = sorted.len() - 1; // check() guarantees two rows
    let step = 1.0 / n_bins as f64;
    (1..n_bins)
        .map(|i| {
            // sklearn multiplies the levels by 100, numpy's percentile divides them back.
            let q = (i as f64 * step) * 100.0 / 100.0;
            let virtual_index = last as f64 * q;
            if virtual_index >= last as f64 {
                return sorted[last];
            }
            let below = virtual_index.floor();
            let gamma = virtual_index - below;
            let (a, b) = (sorted[below as usize], sorted[below as usize + 1]);
            let diff = b - a;
            if gamma >= 0.5 {
                b - diff * (1.0 - gamma)
            } else {
                a + diff * gamma
            }
        })
        .collect()
}

/// Score distribution of each class over equal-width bins of [0, 1].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreHistogram {
    /// `n_bins + 1` edges, numpy's `np.linspace(0, 1, n_bins + 1)`.
    pub edges: Vec<f64>,
    /// Customers who stayed (label 0) per bin.
    pub stayed: Vec<usize>,
    /// Churners (label 1) per bin.
    pub churned: Vec<usize>,
}

/// `numpy.histogram(scores, bins=n_bins, range=(0, 1))` of each class (last bin closed).
pub fn score_histogram(y: &[u8], scores: &[f64], n_bins: usize) -> Result<ScoreHistogram> {
    check(y, scores)?;
    nonzero(n_bins, "n_bins")?;
    let edges = linspace_unit(n_bins);
    let inner = &edges[1..n_bins];
    let mut hist = ScoreHistogram {
        stayed: vec![0; n_bins],
        churned: vec![0; n_bins],
        edges: edges.clone(),
    };
    for (&label, &p) in y.iter().zip(scores) {
        // Inner edges at or below p: [edges[i], edges[i + 1]) and p = 1 in the last bin.
        let bin = inner.partition_point(|&e| e <= p);
        if label == 1 {
            hist.churned[bin] += 1;
        } else {
            hist.stayed[bin] += 1;
        }
    }
    Ok(hist)
}

/// Cumulative gains and lift at `points + 1` shares of customers contacted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GainsCurve {
    /// Share of customers contacted, m_k / n with m_k = ⌈k·n / points⌉; from 0 to 1.
    pub contacted: Vec<f64>,
    /// Share of all churners among the contacted; from 0 to 1.
    pub caught: Vec<f64>,
    /// `caught / contacted`; at k = 0 (0/0) the lift at k = 1.
    pub lift: Vec<f64>,
}

/// Cumulative gains: customers sorted by descending score, ties in score kept in row order;
/// for k = 0..=points the top ⌈k·n / points⌉ rows are contacted and `caught` is the share of
/// all churners among them. `lift[0]` repeats `lift[1]` (0/0 otherwise).
pub fn gains_curve(y: &[u8], scores: &[f64], points: usize) -> Result<GainsCurve> {
    let (pos, _) = check(y, scores)?;
    nonzero(points, "points")?;
    let n = y.len();
    let mut order: Vec<usize> = (0..n).collect();
    // Stable sort: tied scores keep row order. check() rules out NaN.
    order.sort_by(|&a, &b| {
        scores[b]
            .partial_cmp(&scores[a])
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    // churners_in_top[m]: churners among the first m rows of `order`.
    let mut churners_in_top = Vec::with_capacity(n + 1);
    churners_in_top.push(0usize);
    let mut running = 0;
    for &row in &order {
        running += usize::from(y[row] == 1);
        churners_in_top.push(running);
    }
    let mut curve = GainsCurve {
        contacted: Vec::with_capacity(points + 1),
        caught: Vec::with_capacity(points + 1),
        lift: Vec::with_capacity(points + 1),
    };
    for k in 0..=points {
        // u64 so that k·n cannot overflow a 32-bit usize (wasm32).
        let m = (k as u64 * n as u64).div_ceil(points as u64) as usize;
        let contacted = m as f64 / n as f64;
        let caught = churners_in_top[m] as f64 / pos as f64;
        curve.contacted.push(contacted);
        curve.caught.push(caught);
        if k > 0 {
            curve.lift.push(caught / contacted);
        }
    }
    // points >= 1 and n >= 2, so m_1 >= 1 and lift[0] below exists.
    let first = curve.lift[0];
    curve.lift.insert(0, first);
    Ok(curve)
}

/// Thresholded metrics at evenly spaced thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdSweep {
    /// k / points for k = 0..=points (so 0 and exactly 1 included).
    pub thresholds: Vec<f64>,
    /// TP / (TP + FP), 0 when nothing is flagged.
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    /// 0 when precision and recall are both 0.
    pub f1: Vec<f64>,
    /// Share of customers flagged (score >= threshold).
    pub flagged: Vec<f64>,
}

/// Precision, recall, F1 and the share flagged at thresholds 0, 1/points, ..., 1, flagging
/// `score >= t` ([`ConfusionMatrix`]'s definitions, precision 0 when nothing is flagged).
pub fn threshold_sweep(y: &[u8], scores: &[f64], points: usize) -> Result<ThresholdSweep> {
    check(y, scores)?;
    nonzero(points, "points")?;
    let ranked = RankedScores::new(y, scores)?;
    let n = ranked.len() as f64;
    let mut sweep = ThresholdSweep {
        thresholds: Vec::with_capacity(points + 1),
        precision: Vec::with_capacity(points + 1),
        recall: Vec::with_capacity(points + 1),
        f1: Vec::with_capacity(points + 1),
        flagged: Vec::with_capacity(points + 1),
    };
    for k in 0..=points {
        let t = k as f64 / points as f64;
        let m = ranked.confusion_at(t);
        sweep.thresholds.push(t);
        sweep.precision.push(m.precision());
        sweep.recall.push(m.recall());
        sweep.f1.push(m.f1_score());
        sweep
            .flagged
            .push((m.true_positive + m.false_positive) as f64 / n);
    }
    Ok(sweep)
}

/// Scores sorted once so the confusion matrix at any threshold costs O(log n) (for a live
/// slider over hundreds of thousands of rows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RankedScoresData")]
pub struct RankedScores {
    /// The scores, increasing.
    sorted: Vec<f64>,
    /// `churners_below[i]`: churners among `sorted[..i]`; n + 1 entries.
    churners_below: Vec<usize>,
}

impl RankedScores {
    /// Sorts the scores, after the same checks as [`crate::evaluating::metrics::roc_auc`].
    pub fn new(y: &[u8], scores: &[f64]) -> Result<Self> {
        check(y, scores)?;
        let mut pairs: Vec<(f64, u8)> = scores.iter().copied().zip(y.iter().copied()).collect();
        pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let mut churners_below = Vec::with_capacity(pairs.len() + 1);
        churners_below.push(0);
        let mut running = 0;
        for &(_, label) in &pairs {
            running += usize::from(label == 1);
            churners_below.push(running);
        }
        Ok(RankedScores {
            sorted: pairs.into_iter().map(|(s, _)| s).collect(),
            churners_below,
        })
    }

    /// Same as [`ConfusionMatrix::at_threshold`] on the original rows (`score >= threshold`
    /// flags; a NaN threshold flags nothing).
    pub fn confusion_at(&self, threshold: f64) -> ConfusionMatrix {
        // Rows not flagged (!(s >= t)) are a prefix of the sorted scores: those below t, or
        // all of them when t is NaN.
        let kept = if threshold.is_nan() {
            self.sorted.len()
        } else {
            self.sorted.partition_point(|&s| s < threshold)
        };
        let n = self.sorted.len();
        let positives = self.churners_below[n];
        let false_negative = self.churners_below[kept];
        let true_positive = positives - false_negative;
        ConfusionMatrix {
            true_negative: kept - false_negative,
            false_positive: (n - kept) - true_positive,
            false_negative,
            true_positive,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether there are no rows (never, for a value built by [`RankedScores::new`]).
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }
}

/// The serialised form of [`RankedScores`], validated on the way in so that a hand-edited
/// value cannot make [`RankedScores::confusion_at`] index out of bounds.
#[derive(Deserialize)]
struct RankedScoresData {
    sorted: Vec<f64>,
    churners_below: Vec<usize>,
}

/// Why a serialised [`RankedScores`] was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RankedScoresError {
    #[error("{counts} cumulative counts for {scores} scores (expected one more, starting at 0)")]
    CountsLength { counts: usize, scores: usize },
    #[error("score {0} is not a probability in [0, 1]")]
    NotAProbability(f64),
    #[error("scores are not sorted increasing")]
    Unsorted,
    #[error("cumulative churner counts must grow by 0 or 1 per row")]
    BadStep,
}

impl TryFrom<RankedScoresData> for RankedScores {
    type Error = RankedScoresError;

    fn try_from(data: RankedScoresData) -> std::result::Result<Self, RankedScoresError> {
        let RankedScoresData {
            sorted,
            churners_below,
        } = data;
        if churners_below.len() != sorted.len() + 1 || churners_below.first() != Some(&0) {
            return Err(RankedScoresError::CountsLength {
                counts: churners_below.len(),
                scores: sorted.len(),
            });
        }
        if let Some(&value) = sorted.iter().find(|s| !(0.0..=1.0).contains(*s)) {
            return Err(RankedScoresError::NotAProbability(value));
        }
        if sorted.windows(2).any(|w| w[0] > w[1]) {
            return Err(RankedScoresError::Unsorted);
        }
        if churners_below
            .windows(2)
            .any(|w| w[1] < w[0] || w[1] - w[0] > 1)
        {
            return Err(RankedScoresError::BadStep);
        }
        Ok(RankedScores {
            sorted,
            churners_below,
        })
    }
}

fn nonzero(count: usize, what: &'static str) -> Result<()> {
    if count == 0 {
        Err(MetricsError::ZeroBins { what })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The tied example of metrics.rs.
    const Y: [u8; 10] = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
    const P: [f64; 10] = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4, 0.65, 0.05];

    /// 200 rows with many ties (each score k/100 about twice), 80 churners, generated
    /// identically in Python for the references below:
    /// ```text
    /// k = [(i*73+11) % 101 for i in range(200)]
    /// p = np.array([kk/100 for kk in k])
    /// y = np.array([1 if (i*37+5) % 100 < (k[i]*3)//5 + 10 else 0 for i in range(200)])
    /// ```
    fn big() -> (Vec<u8>, Vec<f64>) {
        (0..200usize)
            .map(|i| {
                let k = (i * 73 + 11) % 101;
                let label = u8::from((i * 37 + 5) % 100 < k * 3 / 5 + 10);
                (label, k as f64 / 100.0)
            })
            .unzip()
    }

    /// Elementwise |a - b| <= tol.
    fn assert_close(got: &[f64], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= tol,
                "at {i}: {g} vs {w}\n{got:?}\n{want:?}"
            );
        }
    }

    #[test]
    fn big_example_matches_its_python_generator() {
        let (y, p) = big();
        // numpy: y.sum() = 80.
        assert_eq!(y.iter().filter(|&&l| l == 1).count(), 80);
        assert_eq!(p.len(), 200);
    }

    #[test]
    fn precision_recall_curve_matches_sklearn_on_the_tied_example() {
        // scikit-learn 1.9.1 `precision_recall_curve(Y, P)`; tolerance 1e-15.
        let c = precision_recall_curve(&Y, &P).expect("curve");
        assert_close(
            &c.precision,
            &[
                0.5,
                0.5555555555555556,
                0.625,
                0.7142857142857143,
                0.6666666666666666,
                1.0,
                1.0,
                1.0,
                1.0,
            ],
            1e-15,
        );
        assert_close(
            &c.recall,
            &[1.0, 1.0, 1.0, 1.0, 0.8, 0.6, 0.4, 0.2, 0.0],
            1e-15,
        );
        assert_eq!(c.thresholds, [0.05, 0.1, 0.2, 0.35, 0.4, 0.65, 0.8, 0.9]);
    }

    // scikit-learn 1.9.1 `precision, recall, thresholds = precision_recall_curve(y, p)` on
    // `big()`; thresholds are exactly k/100 for k = 0..=100.
    #[rustfmt::skip]
    const BIG_PR_PRECISION: [f64; 102] = [
        0.4, 0.40404040404040403, 0.40816326530612246, 0.41237113402061853, 0.4166666666666667, 0.42105263157894735,
        0.425531914893617, 0.42473118279569894, 0.42934782608695654, 0.4340659340659341, 0.43333333333333335, 0.43258426966292135,
        0.4318181818181818, 0.43103448275862066, 0.436046511627907, 0.43529411764705883, 0.43452380952380953, 0.4397590361445783,
        0.43902439024390244, 0.4444444444444444, 0.45, 0.45569620253164556, 0.46153846153846156, 0.4675324675324675,
        0.47368421052631576, 0.48, 0.4864864864864865, 0.4863013698630137, 0.4861111111111111, 0.4859154929577465,
        0.4857142857142857, 0.4927536231884058, 0.49264705882352944, 0.4925373134328358, 0.5, 0.5,
        0.5078125, 0.5079365079365079, 0.5080645161290323, 0.5163934426229508, 0.512396694214876, 0.5210084033613446,
        0.5213675213675214, 0.5217391304347826, 0.5221238938053098, 0.5225225225225225, 0.5229357798165137, 0.5233644859813084,
        0.5333333333333333, 0.5339805825242718, 0.5346534653465347, 0.5454545454545454, 0.5463917525773195, 0.5578947368421052,
        0.5591397849462365, 0.5604395604395604, 0.5730337078651685, 0.5747126436781609, 0.5882352941176471, 0.5903614457831325,
        0.5925925925925926, 0.5949367088607594, 0.5974025974025974, 0.6, 0.589041095890411, 0.5915492957746479,
        0.5942028985507246, 0.582089552238806, 0.5909090909090909, 0.59375, 0.5967741935483871, 0.6,
        0.603448275862069, 0.625, 0.6296296296296297, 0.6538461538461539, 0.66, 0.6666666666666666,
        0.6739130434782609, 0.6818181818181818, 0.6904761904761905, 0.675, 0.6842105263157895, 0.6944444444444444,
        0.6764705882352942, 0.6875, 0.6666666666666666, 0.6785714285714286, 0.6923076923076923, 0.6666666666666666,
        0.6818181818181818, 0.65, 0.6666666666666666, 0.6875, 0.7142857142857143, 0.6666666666666666,
        0.7, 0.75, 0.6666666666666666, 0.75, 1.0, 1.0,
    ];

    #[rustfmt::skip]
    const BIG_PR_RECALL: [f64; 102] = [
        1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.9875, 0.9875, 0.9875,
        0.975, 0.9625, 0.95, 0.9375, 0.9375, 0.925, 0.9125, 0.9125, 0.9, 0.9,
        0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8875, 0.875, 0.8625,
        0.85, 0.85, 0.8375, 0.825, 0.825, 0.8125, 0.8125, 0.8, 0.7875, 0.7875,
        0.775, 0.775, 0.7625, 0.75, 0.7375, 0.725, 0.7125, 0.7, 0.7, 0.6875,
        0.675, 0.675, 0.6625, 0.6625, 0.65, 0.6375, 0.6375, 0.625, 0.625, 0.6125,
        0.6, 0.5875, 0.575, 0.5625, 0.5375, 0.525, 0.5125, 0.4875, 0.4875, 0.475,
        0.4625, 0.45, 0.4375, 0.4375, 0.425, 0.425, 0.4125, 0.4, 0.3875, 0.375,
        0.3625, 0.3375, 0.325, 0.3125, 0.2875, 0.275, 0.25, 0.2375, 0.225, 0.2,
        0.1875, 0.1625, 0.15, 0.1375, 0.125, 0.1, 0.0875, 0.075, 0.05, 0.0375,
        0.025, 0.0,
    ];

    #[test]
    fn precision_recall_curve_matches_sklearn_on_200_rows() {
        let (y, p) = big();
        let c = precision_recall_curve(&y, &p).expect("curve");
        // Tolerance 1e-15: the same divisions as scikit-learn.
        assert_close(&c.precision, &BIG_PR_PRECISION, 1e-15);
        assert_close(&c.recall, &BIG_PR_RECALL, 1e-15);
        let thresholds: Vec<f64> = (0..=100).map(|k| k as f64 / 100.0).collect();
        assert_eq!(c.thresholds, thresholds);
    }

    #[test]
    fn calibration_curve_matches_sklearn_on_the_tied_example() {
        // scikit-learn 1.9.1 `calibration_curve(Y, P, n_bins=..., strategy=...)`, tolerance
        // 1e-15; counts from `np.bincount(np.searchsorted(bins[1:-1], P))` (nonzero entries).
        let c = calibration_curve(&Y, &P, 5, BinStrategy::Uniform).expect("uniform 5");
        assert_close(&c.prob_true, &[0.0, 0.5, 1.0, 1.0], 1e-15);
        assert_close(
            &c.prob_pred,
            &[
                0.11666666666666668,
                0.38749999999999996,
                0.7250000000000001,
                0.9,
            ],
            1e-15,
        );
        assert_eq!(c.counts, [3, 4, 2, 1]);

        let c = calibration_curve(&Y, &P, 10, BinStrategy::Uniform).expect("uniform 10");
        assert_close(&c.prob_true, &[0.0, 0.0, 0.5, 1.0, 1.0, 1.0], 1e-15);
        assert_close(
            &c.prob_pred,
            &[
                0.07500000000000001,
                0.2,
                0.38749999999999996,
                0.65,
                0.8,
                0.9,
            ],
            1e-15,
        );
        assert_eq!(c.counts, [2, 1, 4, 1, 1, 1]);

        let c = calibration_curve(&Y, &P, 3, BinStrategy::Quantile).expect("quantile 3");
        assert_close(&c.prob_true, &[0.0, 0.5, 1.0], 1e-15);
        assert_close(
            &c.prob_pred,
            &[0.11666666666666668, 0.38749999999999996, 0.7833333333333333],
            1e-15,
        );
        assert_eq!(c.counts, [3, 4, 3]);

        // Ten quantile bins over ten rows with a triple tie: two bins come out empty.
        let c = calibration_curve(&Y, &P, 10, BinStrategy::Quantile).expect("quantile 10");
        assert_close(
            &c.prob_true,
            &[0.0, 0.0, 0.0, 1.0, 0.3333333333333333, 1.0, 1.0, 1.0],
            1e-15,
        );
        assert_close(
            &c.prob_pred,
            &[0.05, 0.1, 0.2, 0.35, 0.4000000000000001, 0.65, 0.8, 0.9],
            1e-15,
        );
        assert_eq!(c.counts, [1, 1, 1, 1, 3, 1, 1, 1]);

        let c = calibration_curve(&Y, &P, 7, BinStrategy::Quantile).expect("quantile 7");
        assert_close(
            &c.prob_true,
            &[0.0, 0.0, 1.0, 0.3333333333333333, 1.0, 1.0],
            1e-15,
        );
        assert_close(
            &c.prob_pred,
            &[
                0.07500000000000001,
                0.2,
                0.35,
                0.4000000000000001,
                0.65,
                0.8500000000000001,
            ],
            1e-15,
        );
        assert_eq!(c.counts, [2, 1, 1, 3, 1, 2]);
    }

    // Rows per kept bin on `big()`: `np.bincount(np.searchsorted(bins[1:-1], p))`, bins as in
    // scikit-learn 1.9.1 `calibration_curve`.
    const BIG_CAL_UNIFORM5_COUNTS: [usize; 5] = [42, 39, 40, 39, 40];
    const BIG_CAL_UNIFORM10_COUNTS: [usize; 10] = [22, 20, 20, 19, 20, 20, 19, 20, 20, 20];
    const BIG_CAL_QUANTILE3_COUNTS: [usize; 3] = [68, 65, 67];
    const BIG_CAL_QUANTILE10_COUNTS: [usize; 10] = [20, 20, 20, 21, 20, 20, 19, 20, 20, 20];
    const BIG_CAL_QUANTILE7_COUNTS: [usize; 7] = [30, 28, 29, 28, 29, 28, 28];

    #[test]
    fn quantile_edges_equal_numpy_percentile_bit_for_bit() {
        // numpy 2.4.6 `np.percentile(P, np.linspace(0, 1, 8) * 100)[1:-1]`, exact.
        assert_eq!(
            quantile_inner_edges(&P, 7),
            [
                0.12857142857142856,
                0.2857142857142857,
                0.39285714285714285,
                0.4,
                0.507142857142857,
                0.7571428571428571
            ]
        );
        // Same on `big()`.
        let (_, p) = big();
        assert_eq!(
            quantile_inner_edges(&p, 7),
            [0.14, 0.28, 0.43, 0.57, 0.72, 0.86]
        );
    }

    #[test]
    fn calibration_curve_matches_sklearn_on_200_rows() {
        // scikit-learn 1.9.1 `calibration_curve(y, p, n_bins=..., strategy=...)` on `big()`,
        // tolerance 1e-15; counts from `np.bincount(np.searchsorted(bins[1:-1], p))`.
        let (y, p) = big();
        let c = calibration_curve(&y, &p, 5, BinStrategy::Uniform).expect("uniform 5");
        assert_close(
            &c.prob_true,
            &[
                0.19047619047619047,
                0.2564102564102564,
                0.375,
                0.5128205128205128,
                0.675,
            ],
            1e-15,
        );
        assert_close(
            &c.prob_pred,
            &[
                0.09999999999999998,
                0.30282051282051287,
                0.5050000000000001,
                0.7058974358974358,
                0.9049999999999999,
            ],
            1e-15,
        );
        assert_eq!(c.counts, BIG_CAL_UNIFORM5_COUNTS);

        let c = calibration_curve(&y, &p, 10, BinStrategy::Uniform).expect("uniform 10");
        assert_close(
            &c.prob_true,
            &[
                0.13636363636363635,
                0.25,
                0.2,
                0.3157894736842105,
                0.4,
                0.35,
                0.5789473684210527,
                0.45,
                0.7,
                0.65,
            ],
            1e-15,
        );
        assert_close(
            &c.prob_pred,
            &[
                0.05000000000000002,
                0.155,
                0.25499999999999995,
                0.3531578947368421,
                0.45499999999999996,
                0.5549999999999999,
                0.6542105263157895,
                0.7550000000000001,
                0.8550000000000001,
                0.9549999999999998,
            ],
            1e-15,
        );
        assert_eq!(c.counts, BIG_CAL_UNIFORM10_COUNTS);

        let c = calibration_curve(&y, &p, 3, BinStrategy::Quantile).expect("quantile 3");
        assert_close(
            &c.prob_true,
            &[0.20588235294117646, 0.4153846153846154, 0.582089552238806],
            1e-15,
        );
        assert_close(
            &c.prob_pred,
            &[0.165, 0.5016923076923077, 0.837462686567164],
            1e-15,
        );
        assert_eq!(c.counts, BIG_CAL_QUANTILE3_COUNTS);

        let c = calibration_curve(&y, &p, 10, BinStrategy::Quantile).expect("quantile 10");
        assert_close(
            &c.prob_true,
            &[
                0.1,
                0.3,
                0.2,
                0.2857142857142857,
                0.4,
                0.35,
                0.5789473684210527,
                0.45,
                0.7,
                0.65,
            ],
            1e-15,
        );
        assert_close(
            &c.prob_pred,
            &[
                0.045000000000000005,
                0.14500000000000002,
                0.24499999999999997,
                0.3480952380952381,
                0.45499999999999996,
                0.5549999999999999,
                0.6542105263157895,
                0.7550000000000001,
                0.8550000000000001,
                0.9549999999999998,
            ],
            1e-15,
        );
        assert_eq!(c.counts, BIG_CAL_QUANTILE10_COUNTS);

        let c = calibration_curve(&y, &p, 7, BinStrategy::Quantile).expect("quantile 7");
        assert_close(
            &c.prob_true,
            &[
                0.2,
                0.17857142857142858,
                0.3448275862068966,
                0.32142857142857145,
                0.5172413793103449,
                0.5714285714285714,
                0.6785714285714286,
            ],
            1e-15,
        );
        assert_close(
            &c.prob_pred,
            &[
                0.07000000000000002,
                0.21500000000000002,
                0.3589655172413793,
                0.505,
                0.6493103448275861,
                0.7949999999999999,
                0.9349999999999999,
            ],
            1e-15,
        );
        assert_eq!(c.counts, BIG_CAL_QUANTILE7_COUNTS);
    }

    #[test]
    fn score_histogram_matches_numpy() {
        // numpy 2.4.6 `np.histogram(P[Y == c], bins=n, range=(0, 1))`, exact. With ten bins
        // 0.3 is not in the bin starting at 0.3: numpy's edge is 0.30000000000000004.
        let h = score_histogram(&Y, &P, 5).expect("5 bins");
        assert_eq!(h.edges, [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        assert_eq!(h.stayed, [2, 1, 2, 0, 0]);
        assert_eq!(h.churned, [0, 1, 1, 1, 2]);
        let h = score_histogram(&Y, &P, 10).expect("10 bins");
        assert_eq!(
            h.edges,
            [
                0.0,
                0.1,
                0.2,
                0.30000000000000004,
                0.4,
                0.5,
                0.6000000000000001,
                0.7000000000000001,
                0.8,
                0.9,
                1.0
            ]
        );
        assert_eq!(h.stayed, [1, 1, 1, 0, 2, 0, 0, 0, 0, 0]);
        assert_eq!(h.churned, [0, 0, 0, 1, 1, 0, 1, 0, 1, 1]);

        // Same calls on `big()`, whose scores include 0, 1 and every k/100.
        let (y, p) = big();
        let h = score_histogram(&y, &p, 5).expect("5 bins");
        assert_eq!(h.stayed, [32, 29, 27, 19, 13]);
        assert_eq!(h.churned, [8, 10, 15, 18, 29]);
        let h = score_histogram(&y, &p, 10).expect("10 bins");
        assert_eq!(h.stayed, [18, 14, 18, 11, 12, 15, 8, 11, 6, 7]);
        assert_eq!(h.churned, [2, 6, 4, 6, 8, 7, 11, 7, 14, 15]);
    }

    #[test]
    fn gains_curve_by_hand_breaks_ties_by_row_order() {
        // By hand: descending scores, ties in row order, give the rows
        // 5 3 8 1 4 7 2 6 0 9 with labels 1 1 1 0 0 1 1 0 0 0 (5 churners).
        // points = 5 contacts the top 0, 2, 4, 6, 8, 10 rows. The top 4 stop inside the
        // tie at 0.4 after row 1 (stayed), not row 7 (churned): 3 of 5 churners.
        let g = gains_curve(&Y, &P, 5).expect("gains");
        assert_close(&g.contacted, &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0], 1e-15);
        assert_close(&g.caught, &[0.0, 0.4, 0.6, 0.8, 1.0, 1.0], 1e-15);
        assert_close(&g.lift, &[2.0, 2.0, 1.5, 4.0 / 3.0, 1.25, 1.0], 1e-12);
        // points = 4: top ⌈10k/4⌉ = 0, 3, 5, 8, 10 rows, so contacted is 0.3, not 0.25.
        let g = gains_curve(&Y, &P, 4).expect("gains");
        assert_close(&g.contacted, &[0.0, 0.3, 0.5, 0.8, 1.0], 1e-15);
        assert_close(&g.caught, &[0.0, 0.6, 0.6, 1.0, 1.0], 1e-15);
        assert_close(&g.lift, &[2.0, 2.0, 1.2, 1.25, 1.0], 1e-12);
    }

    #[test]
    fn gains_curve_matches_a_numpy_computation_on_200_rows() {
        // numpy 2.4.6 on `big()`, tolerance 1e-15:
        //   order = np.argsort(-p, kind="stable"); cum = np.r_[0, np.cumsum(y[order])]
        //   m = [-(-k*200 // 7) for k in range(8)]
        //   contacted = m/200, caught = cum[m]/80, lift = caught/contacted (k >= 1)
        let (y, p) = big();
        let g = gains_curve(&y, &p, 7).expect("gains");
        assert_close(
            &g.contacted,
            &[0.0, 0.145, 0.29, 0.43, 0.575, 0.715, 0.86, 1.0],
            1e-15,
        );
        assert_close(
            &g.caught,
            &[0.0, 0.2375, 0.4375, 0.625, 0.75, 0.875, 0.9375, 1.0],
            1e-15,
        );
        assert_close(
            &g.lift,
            &[
                1.6379310344827587,
                1.6379310344827587,
                1.5086206896551726,
                1.4534883720930232,
                1.3043478260869565,
                1.2237762237762237,
                1.0901162790697674,
                1.0,
            ],
            1e-15,
        );
    }

    /// Sweep indices k (of points = 20) whose thresholds k/20 are 0, 0.3, 0.35, 0.4, 0.5, 0.65,
    /// 0.7, 0.95 and 1.
    const SWEEP_AT: [usize; 9] = [0, 6, 7, 8, 10, 13, 14, 19, 20];

    fn sweep_at(s: &ThresholdSweep) -> [Vec<f64>; 5] {
        let pick = |v: &[f64]| SWEEP_AT.iter().map(|&k| v[k]).collect::<Vec<f64>>();
        [
            pick(&s.thresholds),
            pick(&s.precision),
            pick(&s.recall),
            pick(&s.f1),
            pick(&s.flagged),
        ]
    }

    #[test]
    fn threshold_sweep_matches_sklearn_scores() {
        // scikit-learn 1.9.1 with pred = (p >= t): `precision_score(y, pred, zero_division=0)`,
        // `recall_score(y, pred)`, `f1_score(y, pred, zero_division=0)`; flagged is numpy's
        // `(p >= t).mean()`. Tolerance 1e-12.
        let s = threshold_sweep(&Y, &P, 20).expect("sweep");
        assert_eq!(s.thresholds.len(), 21);
        let [t, precision, recall, f1, flagged] = sweep_at(&s);
        assert_eq!(t, [0.0, 0.3, 0.35, 0.4, 0.5, 0.65, 0.7, 0.95, 1.0]);
        let pr = [
            0.5,
            0.7142857142857143,
            0.7142857142857143,
            0.6666666666666666,
        ];
        assert_close(
            &precision,
            &[&pr[..], &[1.0, 1.0, 1.0, 0.0, 0.0]].concat(),
            1e-12,
        );
        assert_close(
            &recall,
            &[1.0, 1.0, 1.0, 0.8, 0.6, 0.6, 0.4, 0.0, 0.0],
            1e-12,
        );
        assert_close(
            &f1,
            &[
                0.6666666666666666,
                0.8333333333333334,
                0.8333333333333334,
                0.7272727272727273,
                0.75,
                0.75,
                0.5714285714285714,
                0.0,
                0.0,
            ],
            1e-12,
        );
        assert_close(
            &flagged,
            &[1.0, 0.7, 0.7, 0.6, 0.3, 0.3, 0.2, 0.0, 0.0],
            1e-12,
        );

        // Same calls on `big()`.
        let (y, p) = big();
        let s = threshold_sweep(&y, &p, 20).expect("sweep");
        let [_, precision, recall, f1, flagged] = sweep_at(&s);
        assert_close(
            &precision,
            &[
                0.4,
                0.4857142857142857,
                0.5,
                0.512396694214876,
                0.5346534653465347,
                0.5915492957746479,
                0.5967741935483871,
                0.6666666666666666,
                1.0,
            ],
            1e-12,
        );
        assert_close(
            &recall,
            &[1.0, 0.85, 0.8125, 0.775, 0.675, 0.525, 0.4625, 0.1, 0.025],
            1e-12,
        );
        assert_close(
            &f1,
            &[
                0.5714285714285714,
                0.6181818181818182,
                0.6190476190476191,
                0.6169154228855721,
                0.5966850828729282,
                0.5562913907284768,
                0.5211267605633803,
                0.17391304347826086,
                0.04878048780487805,
            ],
            1e-12,
        );
        assert_close(
            &flagged,
            &[1.0, 0.7, 0.65, 0.605, 0.505, 0.355, 0.31, 0.06, 0.01],
            1e-12,
        );
    }

    #[test]
    fn ranked_scores_agree_with_counting_at_every_kind_of_threshold() {
        let (y, p) = big();
        let ranked = RankedScores::new(&y, &p).expect("ranked");
        assert_eq!((ranked.len(), ranked.is_empty()), (200, false));
        let special = [
            f64::NAN,
            f64::NEG_INFINITY,
            f64::INFINITY,
            -0.0,
            -1.0,
            2.0,
            1.0 + f64::EPSILON,
            0.3,
            0.30000000000000004,
        ];
        let grid = (0..=1000).map(|k| k as f64 / 1000.0);
        for t in special.into_iter().chain(grid).chain(p.iter().copied()) {
            assert_eq!(
                ranked.confusion_at(t),
                ConfusionMatrix::at_threshold(&y, &p, t),
                "threshold {t}"
            );
        }
    }

    #[test]
    fn rejects_one_class_mismatched_lengths_and_zero_bins() {
        let one_class = Err(MetricsError::SingleClassTarget);
        assert_eq!(precision_recall_curve(&[1, 1], &[0.2, 0.3]), one_class);
        assert_eq!(
            calibration_curve(&[0, 0], &[0.2, 0.3], 5, BinStrategy::Uniform),
            Err(MetricsError::SingleClassTarget)
        );
        assert_eq!(
            score_histogram(&[1, 1], &[0.2, 0.3], 5),
            Err(MetricsError::SingleClassTarget)
        );
        assert_eq!(
            gains_curve(&[0, 0], &[0.2, 0.3], 5),
            Err(MetricsError::SingleClassTarget)
        );
        assert_eq!(
            threshold_sweep(&[1, 1], &[0.2, 0.3], 5),
            Err(MetricsError::SingleClassTarget)
        );
        assert_eq!(
            RankedScores::new(&[1, 1], &[0.2, 0.3]),
            Err(MetricsError::SingleClassTarget)
        );

        let mismatched = Err(MetricsError::MismatchedShapes(2, 1));
        assert_eq!(precision_recall_curve(&[1, 0], &[0.2]), mismatched);
        assert_eq!(
            calibration_curve(&[1, 0], &[0.2], 5, BinStrategy::Quantile),
            Err(MetricsError::MismatchedShapes(2, 1))
        );
        assert_eq!(
            score_histogram(&[1, 0], &[0.2], 5),
            Err(MetricsError::MismatchedShapes(2, 1))
        );
        assert_eq!(
            gains_curve(&[1, 0], &[0.2], 5),
            Err(MetricsError::MismatchedShapes(2, 1))
        );
        assert_eq!(
            threshold_sweep(&[1, 0], &[0.2], 5),
            Err(MetricsError::MismatchedShapes(2, 1))
        );
        assert_eq!(
            RankedScores::new(&[1, 0], &[0.2]),
            Err(MetricsError::MismatchedShapes(2, 1))
        );
        assert!(matches!(
            calibration_curve(&[1, 0], &[0.2, f64::NAN], 5, BinStrategy::Uniform),
            Err(MetricsError::NotAProbability { row: 1, .. })
        ));
        assert!(matches!(
            score_histogram(&[1, 0], &[1.5, 0.2], 5),
            Err(MetricsError::NotAProbability { row: 0, .. })
        ));

        let zero_bins = MetricsError::ZeroBins { what: "n_bins" };
        for strategy in [BinStrategy::Uniform, BinStrategy::Quantile] {
            assert_eq!(
                calibration_curve(&Y, &P, 0, strategy),
                Err(zero_bins.clone())
            );
        }
        assert_eq!(score_histogram(&Y, &P, 0), Err(zero_bins.clone()));
        assert_eq!(zero_bins.to_string(), "n_bins must be at least 1");
        let zero_points = MetricsError::ZeroBins { what: "points" };
        assert_eq!(gains_curve(&Y, &P, 0), Err(zero_points.clone()));
        assert_eq!(threshold_sweep(&Y, &P, 0), Err(zero_points.clone()));
        assert_eq!(zero_points.to_string(), "points must be at least 1");
    }

    #[test]
    fn one_bin_or_point_is_the_whole_set() {
        let c = calibration_curve(&Y, &P, 1, BinStrategy::Quantile).expect("one bin");
        assert_eq!((c.prob_true, c.counts), (vec![0.5], vec![10]));
        let h = score_histogram(&Y, &P, 1).expect("one bin");
        assert_eq!(
            (h.edges, h.stayed, h.churned),
            (vec![0.0, 1.0], vec![5], vec![5])
        );
        let g = gains_curve(&Y, &P, 1).expect("one point");
        assert_eq!(
            (g.contacted, g.caught, g.lift),
            (vec![0.0, 1.0], vec![0.0, 1.0], vec![1.0, 1.0])
        );
        let s = threshold_sweep(&Y, &P, 1).expect("one point");
        assert_eq!(s.thresholds, [0.0, 1.0]);
    }

    #[test]
    fn serde_round_trips_and_rejects_a_tampered_ranking() {
        assert_eq!(
            serde_json::to_string(&BinStrategy::Quantile).expect("json"),
            "\"quantile\""
        );
        let strategy: BinStrategy = serde_json::from_str("\"uniform\"").expect("read");
        assert_eq!(strategy, BinStrategy::Uniform);

        let pr = precision_recall_curve(&Y, &P).expect("curve");
        let json = serde_json::to_string(&pr).expect("json");
        assert_eq!(serde_json::from_str::<PrCurve>(&json).expect("read"), pr);
        let cal = calibration_curve(&Y, &P, 5, BinStrategy::Quantile).expect("curve");
        let json = serde_json::to_string(&cal).expect("json");
        assert_eq!(
            serde_json::from_str::<CalibrationCurve>(&json).expect("read"),
            cal
        );

        let ranked = RankedScores::new(&Y, &P).expect("ranked");
        let json = serde_json::to_value(&ranked).expect("json");
        let back: RankedScores = serde_json::from_value(json.clone()).expect("read");
        assert_eq!(back, ranked);
        assert_eq!(
            back.confusion_at(0.4),
            ConfusionMatrix::at_threshold(&Y, &P, 0.4)
        );

        let mut short = json.clone();
        short["churners_below"]
            .as_array_mut()
            .expect("an array")
            .pop();
        assert!(serde_json::from_value::<RankedScores>(short).is_err());
        let mut unsorted = json.clone();
        unsorted["sorted"][0] = serde_json::json!(0.99);
        assert!(serde_json::from_value::<RankedScores>(unsorted).is_err());
        let mut outside = json.clone();
        outside["sorted"][9] = serde_json::json!(1.5);
        assert!(serde_json::from_value::<RankedScores>(outside).is_err());
        let mut jump = json;
        jump["churners_below"][10] = serde_json::json!(9);
        assert!(serde_json::from_value::<RankedScores>(jump).is_err());
    }

    proptest::proptest! {
        #[test]
        fn ranked_scores_match_at_threshold_and_curves_stay_in_range(
            // Scores from a coarse grid half the time, so that ties and thresholds equal to
            // scores are common.
            rows in proptest::collection::vec(
                (0u8..2, proptest::prop_oneof![proptest::strategy::Strategy::prop_map(0u32..=20, |k| f64::from(k) / 20.0), 0.0f64..=1.0]),
                2..120,
            ),
            thresholds in proptest::collection::vec(-0.1f64..1.1, 1..20),
            points in 1usize..30,
        ) {
            let y: Vec<u8> = rows.iter().map(|r| r.0).collect();
            let p: Vec<f64> = rows.iter().map(|r| r.1).collect();
            let Ok(ranked) = RankedScores::new(&y, &p) else {
                return Ok(());
            };
            let grid = (0..=20).map(|k| f64::from(k) / 20.0);
            for t in thresholds.iter().copied().chain(p.iter().copied()).chain(grid) {
                proptest::prop_assert_eq!(
                    ranked.confusion_at(t),
                    ConfusionMatrix::at_threshold(&y, &p, t)
                );
            }
            let g = gains_curve(&y, &p, points).expect("checked above");
            proptest::prop_assert!(g.caught.windows(2).all(|w| w[0] <= w[1]));
            proptest::prop_assert_eq!(g.caught.last().copied(), Some(1.0));
            let c = calibration_curve(&y, &p, points, BinStrategy::Quantile).expect("checked");
            proptest::prop_assert_eq!(c.counts.iter().sum::<usize>(), y.len());
            proptest::prop_assert!(c.prob_true.iter().all(|v| (0.0..=1.0).contains(v)));
            let h = score_histogram(&y, &p, points).expect("checked");
            proptest::prop_assert_eq!(
                h.stayed.iter().chain(&h.churned).sum::<usize>(),
                y.len()
            );
        }
    }
}
