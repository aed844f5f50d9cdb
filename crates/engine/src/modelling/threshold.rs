//! Choosing the probability above which a customer is flagged as a churn risk.
//!
//! A customer is flagged when p ≥ threshold (as in [`crate::evaluating::metrics`]). The candidate
//! thresholds are the distinct scores, as in scikit-learn's `precision_recall_curve`: between
//! two neighbouring scores every threshold flags the same customers, so nothing else can do
//! better. [`ThresholdRule::MinCost`] also weighs "flag nobody", whose threshold is the next
//! float above the highest score (`f64::next_up`, e.g. 1.0000000000000002 when a score is 1).
//! Precision is 0 when nobody is flagged (`zero_division=0`).
//!
//! With TP(t), FP(t) the churners and non-churners flagged at t, and P the churners:
//!
//! ```text
//!   precision = TP / (TP + FP)     recall = TP / P     F1 = 2 TP / (TP + FP + P)
//!   cost      = c_FP · FP + c_FN · (P − TP)
//! ```
//!
//! * [`ThresholdRule::Fixed`]: the given threshold, evaluated.
//! * [`ThresholdRule::MaxF1`]: the highest F1; on a tie the higher threshold.
//! * [`ThresholdRule::TargetRecall`]: the highest threshold whose recall reaches the target,
//!   i.e. the fewest customers contacted for that share of churners caught.
//! * [`ThresholdRule::TargetPrecision`]: the lowest threshold whose precision reaches the
//!   target, i.e. the most churners caught at that hit rate (precision is not monotone in the
//!   threshold, so this scans every candidate); an error when no threshold reaches it.
//! * [`ThresholdRule::MinCost`]: the lowest cost, "flag nobody" included; on a tie the higher
//!   threshold (fewer contacts).
//!
//! One sort and cumulative counts make every rule O(n log n).
//!
//! ```
//! use churnscope_engine::modelling::threshold::{choose_threshold, ThresholdRule};
//! let y = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
//! let p = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4, 0.65, 0.05];
//! let c = choose_threshold(&y, &p, &ThresholdRule::TargetRecall(0.7)).expect("valid input");
//! assert_eq!((c.threshold, c.flagged, c.recall), (0.4, 6, 0.8));
//! ```
//!
//! Reference: scikit-learn 1.9.1 `sklearn/metrics/_ranking.py` (`precision_recall_curve`);
//! C. Elkan, "The foundations of cost-sensitive learning", IJCAI 2001.

use serde::{Deserialize, Serialize};

use crate::evaluating::metrics::ConfusionMatrix;

/// Why a threshold cannot be chosen.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ThresholdError {
    #[error("{0} labels but {1} scores")]
    MismatchedShapes(usize, usize),
    #[error("no rows to choose a threshold on")]
    Empty,
    #[error("score {value} at row {row} is not a finite number")]
    NonFiniteScore { row: usize, value: f64 },
    #[error("label {value} at row {row} is neither 0 nor 1")]
    NotBinaryLabel { row: usize, value: u8 },
    #[error("the rows contain no churners, so recall is undefined")]
    NoPositives,
    #[error("threshold {0} is not a finite number")]
    InvalidThreshold(f64),
    #[error("target recall {0} is not in (0, 1]")]
    InvalidRecallTarget(f64),
    #[error("target precision {0} is not in (0, 1]")]
    InvalidPrecisionTarget(f64),
    #[error("costs must be finite and non-negative, got false positive {false_positive}, false negative {false_negative}")]
    InvalidCost {
        false_positive: f64,
        false_negative: f64,
    },
    #[error("no threshold reaches precision {target}; the best is {best}")]
    PrecisionUnreachable { target: f64, best: f64 },
}

pub type Result<T> = std::result::Result<T, ThresholdError>;

/// How to choose the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", content = "value", rename_all = "snake_case")]
pub enum ThresholdRule {
    /// This threshold, as given.
    Fixed(f64),
    /// The threshold with the highest F1 (ties: the higher threshold).
    MaxF1,
    /// The highest threshold with recall ≥ the target in (0, 1].
    TargetRecall(f64),
    /// The lowest threshold with precision ≥ the target in (0, 1].
    TargetPrecision(f64),
    /// The threshold minimising `false_positive · FP + false_negative · FN` (non-negative costs
    /// per customer; ties: the higher threshold).
    MinCost {
        false_positive: f64,
        false_negative: f64,
    },
}

/// The chosen threshold and what it does on the rows it was chosen on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdChoice {
    pub rule: ThresholdRule,
    /// Customers with p ≥ threshold are flagged.
    pub threshold: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// The total cost, for [`ThresholdRule::MinCost`] only.
    pub cost: Option<f64>,
    /// How many customers are flagged (TP + FP).
    pub flagged: usize,
    pub confusion: ConfusionMatrix,
}

/// Chooses a threshold on scores `p` (usually held-out churn probabilities) with 0/1 labels `y`.
pub fn choose_threshold(y: &[u8], p: &[f64], rule: &ThresholdRule) -> Result<ThresholdChoice> {
    let pos = check(y, p)?;
    check_rule(rule)?;
    let neg = y.len() - pos;
    let at = |point: Point| ConfusionMatrix {
        true_negative: neg - point.fp,
        false_positive: point.fp,
        false_negative: pos - point.tp,
        true_positive: point.tp,
    };
    // points[0] is "flag nobody"; the rest are the distinct scores, highest first.
    let (point, cost) = match *rule {
        ThresholdRule::Fixed(t) => {
            let confusion = ConfusionMatrix::at_threshold(y, p, t);
            return Ok(choice(*rule, t, confusion, None));
        }
        ThresholdRule::MaxF1 => {
            // F1 = 2TP / (TP + FP + P), compared as exact fractions; strict > keeps the
            // higher threshold on ties.
            let points = curve(y, p);
            let mut best = points[1];
            for &point in &points[2..] {
                let lhs = 2 * point.tp as u128 * (best.tp + best.fp + pos) as u128;
                let rhs = 2 * best.tp as u128 * (point.tp + point.fp + pos) as u128;
                if lhs > rhs {
                    best = point;
                }
            }
            (best, None)
        }
        ThresholdRule::TargetRecall(r) => {
            let best = curve(y, p)
                .into_iter()
                .find(|point| point.tp as f64 / pos as f64 >= r)
                .expect("the lowest score flags everyone, recall 1 >= any target in (0, 1]");
            (best, None)
        }
        ThresholdRule::TargetPrecision(q) => {
            let points = curve(y, p);
            // "Flag nobody" has precision 0 and never counts.
            let precision = |point: &Point| point.tp as f64 / (point.tp + point.fp) as f64;
            match points[1..].iter().rev().find(|point| precision(point) >= q) {
                Some(&best) => (best, None),
                None => {
                    let best = points[1..].iter().map(precision).fold(0.0, f64::max);
                    return Err(ThresholdError::PrecisionUnreachable { target: q, best });
                }
            }
        }
        ThresholdRule::MinCost {
            false_positive,
            false_negative,
        } => {
            let cost = |point: &Point| {
                false_positive * point.fp as f64 + false_negative * (pos - point.tp) as f64
            };
            let points = curve(y, p);
            let mut best = points[0];
            let mut best_cost = cost(&best);
            for point in &points[1..] {
                let c = cost(point);
                if c < best_cost {
                    (best, best_cost) = (*point, c);
                }
            }
            (best, Some(best_cost))
        }
    };
    Ok(choice(*rule, point.threshold, at(point), cost))
}

fn choice(
    rule: ThresholdRule,
    threshold: f64,
    confusion: ConfusionMatrix,
    cost: Option<f64>,
) -> ThresholdChoice {
    ThresholdChoice {
        rule,
        threshold,
        precision: confusion.precision(),
        recall: confusion.recall(),
        f1: confusion.f1_score(),
        cost,
        flagged: confusion.true_positive + confusion.false_positive,
        confusion,
    }
}

/// Checks the rows and returns the number of churners.
fn check(y: &[u8], p: &[f64]) -> Result<usize> {
    if y.len() != p.len() {
        return Err(ThresholdError::MismatchedShapes(y.len(), p.len()));
    }
    if y.is_empty() {
        return Err(ThresholdError::Empty);
    }
    if let Some((row, &value)) = p.iter().enumerate().find(|(_, s)| !s.is_finite()) {
        return Err(ThresholdError::NonFiniteScore { row, value });
    }
    if let Some((row, &value)) = y.iter().enumerate().find(|(_, &l)| l > 1) {
        return Err(ThresholdError::NotBinaryLabel { row, value });
    }
    match y.iter().filter(|&&l| l == 1).count() {
        0 => Err(ThresholdError::NoPositives),
        pos => Ok(pos),
    }
}

fn check_rule(rule: &ThresholdRule) -> Result<()> {
    let in_unit = |v: f64| v > 0.0 && v <= 1.0; // false for NaN
    match *rule {
        ThresholdRule::Fixed(t) if !t.is_finite() => Err(ThresholdError::InvalidThreshold(t)),
        ThresholdRule::TargetRecall(r) if !in_unit(r) => {
            Err(ThresholdError::InvalidRecallTarget(r))
        }
        ThresholdRule::TargetPrecision(q) if !in_unit(q) => {
            Err(ThresholdError::InvalidPrecisionTarget(q))
        }
        ThresholdRule::MinCost {
            false_positive,
            false_negative,
        } if !(false_positive.is_finite()
            && false_negative.is_finite()
            && false_positive >= 0.0
            && false_negative >= 0.0) =>
        {
            Err(ThresholdError::InvalidCost {
                false_positive,
                false_negative,
            })
        }
        _ => Ok(()),
    }
}

/// Flagged churners and non-churners at one candidate threshold.
#[derive(Clone, Copy)]
struct Point {
    threshold: f64,
    tp: usize,
    fp: usize,
}

/// "Flag nobody", then every distinct score from the highest down with cumulative counts
/// (ties flagged together).
fn curve(y: &[u8], p: &[f64]) -> Vec<Point> {
    let mut pairs: Vec<(f64, u8)> = p.iter().copied().zip(y.iter().copied()).collect();
    pairs.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    let mut points = vec![Point {
        threshold: pairs[0].0.next_up(),
        tp: 0,
        fp: 0,
    }];
    let (mut tp, mut fp) = (0, 0);
    for (k, &(score, label)) in pairs.iter().enumerate() {
        if label == 1 {
            tp += 1;
        } else {
            fp += 1;
        }
        if pairs.get(k + 1).is_none_or(|next| next.0 != score) {
            points.push(Point {
                threshold: score,
                tp,
                fp,
            });
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    // The metrics module's example. Distinct scores from the top, with (TP, FP) flagged:
    // 0.9 (1, 0), 0.8 (2, 0), 0.65 (3, 0), 0.4 (4, 2), 0.35 (5, 2), 0.2 (5, 3), 0.1 (5, 4),
    // 0.05 (5, 5); 5 churners.
    const Y: [u8; 10] = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
    const P: [f64; 10] = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4, 0.65, 0.05];

    fn choose(rule: ThresholdRule) -> ThresholdChoice {
        choose_threshold(&Y, &P, &rule).expect("valid input")
    }

    #[test]
    fn max_f1_matches_sklearn_precision_recall_curve() {
        // scikit-learn 1.9.1 `pr, rc, th = precision_recall_curve(Y, P)`; F1 = 2 pr rc / (pr + rc)
        // is [0.6667, 0.7143, 0.7692, 0.8333, 0.7273, 0.75, 0.5714, 0.3333] at
        // th = [0.05, 0.1, 0.2, 0.35, 0.4, 0.65, 0.8, 0.9]; argmax: th 0.35, F1
        // 0.8333333333333333, precision 0.7142857142857143, recall 1.
        let c = choose(ThresholdRule::MaxF1);
        assert_eq!(c.threshold, 0.35);
        assert!((c.f1 - 0.8333333333333333).abs() < 1e-12);
        assert!((c.precision - 0.7142857142857143).abs() < 1e-12);
        assert_eq!((c.recall, c.flagged, c.cost), (1.0, 7, None));
    }

    #[test]
    fn max_f1_breaks_ties_towards_the_higher_threshold() {
        // Hand calculation: labels by descending score 1, 0, 0, 1. At 0.9: TP 1, FP 0, FN 1,
        // F1 = 2/3; at 0.1: TP 2, FP 2, FN 0, F1 = 4/6 = 2/3 (0.8 and 0.7 give 1/2 and 2/5).
        let c = choose_threshold(&[1, 0, 0, 1], &[0.9, 0.8, 0.7, 0.1], &ThresholdRule::MaxF1)
            .expect("valid input");
        assert_eq!((c.threshold, c.flagged), (0.9, 1));
        assert!((c.f1 - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn target_recall_takes_the_highest_threshold_reaching_it() {
        // Hand calculation from the table above: recall 0.6 first at 0.65, 0.8 at 0.4, 1 at 0.35.
        let c = choose(ThresholdRule::TargetRecall(0.7));
        assert_eq!((c.threshold, c.flagged, c.recall), (0.4, 6, 0.8));
        assert!((c.precision - 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(choose(ThresholdRule::TargetRecall(0.6)).threshold, 0.65);
        assert_eq!(choose(ThresholdRule::TargetRecall(1.0)).threshold, 0.35);
    }

    #[test]
    fn target_precision_takes_the_lowest_threshold_reaching_it() {
        // Hand calculation: precision is 1 down to 0.65, 4/6 at 0.4, 5/7 at 0.35, 5/8 at 0.2, so
        // 0.7 is last reached at 0.35 (skipping 0.4, which misses it) and 0.8 at 0.65.
        let c = choose(ThresholdRule::TargetPrecision(0.7));
        assert_eq!((c.threshold, c.flagged, c.recall), (0.35, 7, 1.0));
        assert_eq!(choose(ThresholdRule::TargetPrecision(0.8)).threshold, 0.65);
        assert_eq!(choose(ThresholdRule::TargetPrecision(1.0)).threshold, 0.65);
        // Hand calculation: the only churner has the lowest score, so the best precision is 1/2.
        assert_eq!(
            choose_threshold(&[0, 1], &[0.9, 0.1], &ThresholdRule::TargetPrecision(0.6)),
            Err(ThresholdError::PrecisionUnreachable {
                target: 0.6,
                best: 0.5
            })
        );
    }

    #[test]
    fn min_cost_by_hand() {
        // Hand calculation, cost = c_FP FP + c_FN FN from the table above.
        // c_FP 1, c_FN 5: nobody 25, 0.9 20, 0.8 15, 0.65 10, 0.4 7, 0.35 2, 0.2 3, 0.1 4, 0.05 5.
        let c = choose(ThresholdRule::MinCost {
            false_positive: 1.0,
            false_negative: 5.0,
        });
        assert_eq!((c.threshold, c.cost, c.flagged), (0.35, Some(2.0), 7));
        // c_FP 1, c_FN 1: 0.65 and 0.35 both cost 2; the higher threshold wins.
        let c = choose(ThresholdRule::MinCost {
            false_positive: 1.0,
            false_negative: 1.0,
        });
        assert_eq!((c.threshold, c.cost, c.flagged), (0.65, Some(2.0), 3));
        // c_FP 1, c_FN 0: flagging nobody costs 0 and is the highest threshold.
        let c = choose(ThresholdRule::MinCost {
            false_positive: 1.0,
            false_negative: 0.0,
        });
        assert_eq!(
            (c.threshold, c.cost, c.flagged),
            (0.9f64.next_up(), Some(0.0), 0)
        );
        assert_eq!((c.precision, c.recall, c.f1), (0.0, 0.0, 0.0));
    }

    #[test]
    fn fixed_threshold_is_evaluated() {
        // Hand calculation (as in metrics): p >= 0.5 flags 3 churners and nobody else.
        let c = choose(ThresholdRule::Fixed(0.5));
        assert_eq!(
            (c.threshold, c.flagged, c.precision, c.recall),
            (0.5, 3, 1.0, 0.6)
        );
        assert!((c.f1 - 0.75).abs() < 1e-12);
    }

    #[test]
    fn rejects_invalid_rules_and_rows() {
        let go = |rule| choose_threshold(&Y, &P, &rule);
        assert!(matches!(
            go(ThresholdRule::TargetRecall(0.0)),
            Err(ThresholdError::InvalidRecallTarget(_))
        ));
        assert!(matches!(
            go(ThresholdRule::TargetRecall(f64::NAN)),
            Err(ThresholdError::InvalidRecallTarget(_))
        ));
        assert!(matches!(
            go(ThresholdRule::TargetPrecision(1.5)),
            Err(ThresholdError::InvalidPrecisionTarget(_))
        ));
        assert!(matches!(
            go(ThresholdRule::MinCost {
                false_positive: -1.0,
                false_negative: 1.0
            }),
            Err(ThresholdError::InvalidCost { .. })
        ));
        assert!(matches!(
            go(ThresholdRule::MinCost {
                false_positive: 1.0,
                false_negative: f64::NAN
            }),
            Err(ThresholdError::InvalidCost { .. })
        ));
        assert!(matches!(
            go(ThresholdRule::Fixed(f64::NAN)),
            Err(ThresholdError::InvalidThreshold(_))
        ));
        let max_f1 = ThresholdRule::MaxF1;
        assert_eq!(
            choose_threshold(&[0, 1], &[0.5], &max_f1),
            Err(ThresholdError::MismatchedShapes(2, 1))
        );
        assert_eq!(
            choose_threshold(&[], &[], &max_f1),
            Err(ThresholdError::Empty)
        );
        assert_eq!(
            choose_threshold(&[0, 0], &[0.5, 0.6], &max_f1),
            Err(ThresholdError::NoPositives)
        );
        assert!(matches!(
            choose_threshold(&[0, 1], &[0.5, f64::INFINITY], &max_f1),
            Err(ThresholdError::NonFiniteScore { row: 1, .. })
        ));
        assert_eq!(
            choose_threshold(&[0, 3], &[0.5, 0.6], &max_f1),
            Err(ThresholdError::NotBinaryLabel { row: 1, value: 3 })
        );
    }

    #[test]
    fn rules_serialise_tagged_in_snake_case() {
        let rules = [
            (ThresholdRule::MaxF1, r#"{"rule":"max_f1"}"#),
            (ThresholdRule::Fixed(0.5), r#"{"rule":"fixed","value":0.5}"#),
            (
                ThresholdRule::TargetRecall(0.8),
                r#"{"rule":"target_recall","value":0.8}"#,
            ),
            (
                ThresholdRule::MinCost {
                    false_positive: 1.0,
                    false_negative: 5.0,
                },
                r#"{"rule":"min_cost","value":{"false_positive":1.0,"false_negative":5.0}}"#,
            ),
        ];
        for (rule, json) in rules {
            assert_eq!(serde_json::to_string(&rule).expect("serialise"), json);
            assert_eq!(
                serde_json::from_str::<ThresholdRule>(json).expect("read"),
                rule
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn choices_agree_with_direct_counting(
            pairs in proptest::collection::vec((0u8..2, 0u32..=20), 1..80),
            target in 1u32..=20,
            c_fp in 0u32..5,
            c_fn in 0u32..5,
        ) {
            // Scores on a grid of 0.05 so ties are common.
            let y: Vec<u8> = pairs.iter().map(|p| p.0).collect();
            let s: Vec<f64> = pairs.iter().map(|p| f64::from(p.1) / 20.0).collect();
            let target = f64::from(target) / 20.0;
            let rules = [
                ThresholdRule::MaxF1,
                ThresholdRule::TargetRecall(target),
                ThresholdRule::TargetPrecision(target),
                ThresholdRule::MinCost {
                    false_positive: f64::from(c_fp),
                    false_negative: f64::from(c_fn),
                },
                ThresholdRule::Fixed(target),
            ];
            let mut candidates: Vec<f64> = s.clone();
            candidates.sort_by(|a, b| b.total_cmp(a));
            candidates.dedup();
            for rule in rules {
                let Ok(c) = choose_threshold(&y, &s, &rule) else { continue };
                let m = ConfusionMatrix::at_threshold(&y, &s, c.threshold);
                proptest::prop_assert_eq!(m, c.confusion);
                proptest::prop_assert_eq!(c.precision, m.precision());
                proptest::prop_assert_eq!(c.recall, m.recall());
                proptest::prop_assert_eq!(c.f1, m.f1_score());
                proptest::prop_assert_eq!(c.flagged, m.true_positive + m.false_positive);
                // Brute force over every candidate: none strictly better, none equally good above.
                let at = |t: f64| ConfusionMatrix::at_threshold(&y, &s, t);
                match rule {
                    ThresholdRule::MaxF1 => {
                        for &t in &candidates {
                            let f1 = at(t).f1_score();
                            proptest::prop_assert!(f1 <= c.f1 + 1e-12);
                            if t > c.threshold {
                                proptest::prop_assert!(f1 < c.f1 - 1e-12);
                            }
                        }
                    }
                    ThresholdRule::TargetRecall(r) => {
                        proptest::prop_assert!(c.recall >= r);
                        for &t in candidates.iter().filter(|&&t| t > c.threshold) {
                            proptest::prop_assert!(at(t).recall() < r);
                        }
                    }
                    ThresholdRule::TargetPrecision(q) => {
                        proptest::prop_assert!(c.precision >= q);
                        for &t in candidates.iter().filter(|&&t| t < c.threshold) {
                            proptest::prop_assert!(at(t).precision() < q);
                        }
                    }
                    ThresholdRule::MinCost { false_positive, false_negative } => {
                        let cost = |m: ConfusionMatrix| {
                            false_positive * m.false_positive as f64
                                + false_negative * m.false_negative as f64
                        };
                        proptest::prop_assert_eq!(Some(cost(m)), c.cost);
                        for &t in &candidates {
                            proptest::prop_assert!(cost(at(t)) >= cost(m));
                            if t > c.threshold {
                                proptest::prop_assert!(cost(at(t)) > cost(m));
                            }
                        }
                    }
                    ThresholdRule::Fixed(t) => proptest::prop_assert_eq!(c.threshold, t),
                }
            }
        }
    }
}
