//! The classic statistical models as baselines on the derived table: BG/NBD and
//! Pareto/NBD fitted on the training customers' histories up to the cutoff (no label is
//! used), each customer's churn score "1 minus the probability of at least one purchase in
//! the horizon", judged on the same test customers as the machine-learning models.

use serde::{Deserialize, Serialize};

use crate::dataset::{ColumnData, Dataset};
use crate::evaluating::metrics::ClassificationReport;
use crate::orders::btyd::{BgNbd, BtydError, History, ParetoNbd};
use crate::understanding::target::Target;

/// Days per week: the models are fitted in weeks, as in the literature.
const WEEK: f64 = 7.0;

/// Which baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineKind {
    BgNbd,
    ParetoNbd,
}

impl BaselineKind {
    pub fn label(self) -> &'static str {
        match self {
            BaselineKind::BgNbd => "BG/NBD (baseline)",
            BaselineKind::ParetoNbd => "Pareto/NBD (baseline)",
        }
    }
}

/// One baseline on the test customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineRun {
    pub kind: BaselineKind,
    /// The fitted parameters by name (r, alpha, a, b or r, alpha, s, beta; time in weeks).
    pub parameters: Vec<(String, f64)>,
    pub log_likelihood: f64,
    /// Customers the model was fitted on.
    pub fitted_on: usize,
    /// Metrics on the test customers at the threshold 0.5.
    pub test: ClassificationReport,
    pub test_rows: Vec<usize>,
    /// The churn score of each test customer.
    pub test_scores: Vec<f64>,
    /// Probability of being alive at the cutoff and expected purchases in the horizon, per
    /// test customer.
    pub p_alive: Vec<f64>,
    pub expected_purchases: Vec<f64>,
}

/// The (x, t_x, T) history of every row of a derived table, in weeks, from its
/// `frequency`, `recency_days` and `tenure_days` columns: x = frequency − 1, T = tenure,
/// t_x = tenure − recency. `None` when the table is not one derived from orders.
pub fn histories(ds: &Dataset) -> Option<Vec<History>> {
    let numbers = |name: &str| match ds.column(name).map(|c| &c.data) {
        Some(ColumnData::Numeric(v)) => Some(v),
        _ => None,
    };
    let (f, r, t) = (
        numbers("frequency")?,
        numbers("recency_days")?,
        numbers("tenure_days")?,
    );
    Some(
        (0..ds.n_rows)
            .map(|i| History {
                x: (f[i] - 1.0).max(0.0),
                t_x: (t[i] - r[i]) / WEEK,
                t: t[i] / WEEK,
            })
            .collect(),
    )
}

/// Fits both baselines on the rows of `ds` that are not in `test_rows` and scores the
/// test rows for a `horizon_days` horizon. Rows without a label are left out. `cancel`
/// returning true stops.
pub fn evaluate(
    ds: &Dataset,
    target: &Target,
    test_rows: &[usize],
    horizon_days: f64,
    cancel: &dyn Fn() -> bool,
) -> Result<Vec<BaselineRun>, String> {
    let all =
        histories(ds).ok_or("the table has no frequency, recency_days and tenure_days columns")?;
    let labels = target.labels(ds).map_err(|e| e.to_string())?;
    let mut is_test = vec![false; ds.n_rows];
    for &r in test_rows {
        if r < ds.n_rows {
            is_test[r] = true;
        }
    }
    let train: Vec<History> = (0..ds.n_rows)
        .filter(|&i| !is_test[i] && labels[i].is_some())
        .map(|i| all[i])
        .collect();
    let test: Vec<usize> = test_rows
        .iter()
        .copied()
        .filter(|&r| r < ds.n_rows && labels[r].is_some())
        .collect();
    let y: Vec<u8> = test.iter().map(|&r| labels[r].unwrap_or(0)).collect();
    let h = horizon_days / WEEK;
    let bg = BgNbd::fit(&train, cancel).map_err(|e| message(&e))?;
    let pnbd = ParetoNbd::fit(&train, cancel).map_err(|e| message(&e))?;
    let bg_score = move |x: &History| {
        let p = bg.p_no_purchase(x, h);
        (p, bg.p_alive(x), bg.expected_purchases(x, h))
    };
    let pnbd_score = move |x: &History| {
        let p = pnbd.p_no_purchase(x, h);
        (p, pnbd.p_alive(x), pnbd.expected_purchases(x, h))
    };
    let judged = Judged {
        all: &all,
        test: &test,
        y: &y,
        fitted_on: train.len(),
    };
    Ok(vec![
        judged.run(
            BaselineKind::BgNbd,
            [("r", bg.r), ("alpha", bg.alpha), ("a", bg.a), ("b", bg.b)],
            bg.log_likelihood,
            &bg_score,
        )?,
        judged.run(
            BaselineKind::ParetoNbd,
            [
                ("r", pnbd.r),
                ("alpha", pnbd.alpha),
                ("s", pnbd.s),
                ("beta", pnbd.beta),
            ],
            pnbd.log_likelihood,
            &pnbd_score,
        )?,
    ])
}

/// The test customers a fitted baseline is judged on.
struct Judged<'a> {
    all: &'a [History],
    test: &'a [usize],
    y: &'a [u8],
    fitted_on: usize,
}

impl Judged<'_> {
    /// Scores the test customers with `score` (churn score, P(alive), expected orders).
    fn run(
        &self,
        kind: BaselineKind,
        parameters: [(&str, f64); 4],
        log_likelihood: f64,
        score: &dyn Fn(&History) -> (f64, f64, f64),
    ) -> Result<BaselineRun, String> {
        let scored: Vec<(f64, f64, f64)> = self.test.iter().map(|&r| score(&self.all[r])).collect();
        let test_scores: Vec<f64> = scored.iter().map(|s| s.0.clamp(0.0, 1.0)).collect();
        Ok(BaselineRun {
            kind,
            parameters: parameters
                .iter()
                .map(|(n, v)| (n.to_string(), *v))
                .collect(),
            log_likelihood,
            fitted_on: self.fitted_on,
            test: ClassificationReport::new(self.y, &test_scores, 0.5)
                .map_err(|e| e.to_string())?,
            test_rows: self.test.to_vec(),
            test_scores,
            p_alive: scored.iter().map(|s| s.1).collect(),
            expected_purchases: scored.iter().map(|s| s.2).collect(),
        })
    }
}

/// The columns [`annotate_current`] adds to the current customers.
pub const CURRENT_COLUMNS: [&str; 4] = [
    "p_alive_bgnbd",
    "expected_orders_bgnbd",
    "p_alive_paretonbd",
    "expected_orders_paretonbd",
];

/// Fits both models on every labelled customer's history up to the cutoff and adds to
/// each current customer (history up to the last day) the probability of being alive and
/// the expected orders in the next `horizon_days` ([`CURRENT_COLUMNS`]).
pub fn annotate_current(
    labelled: &Dataset,
    current: &mut Dataset,
    horizon_days: f64,
    cancel: &dyn Fn() -> bool,
) -> Result<(), String> {
    Baselines::fit(labelled, cancel)?.annotate(current, horizon_days)
}

/// BG/NBD and Pareto/NBD fitted on labelled customers' histories up to the cutoff.
#[derive(Debug, Clone)]
pub struct Baselines {
    bg: BgNbd,
    pnbd: ParetoNbd,
}

impl Baselines {
    /// Both models fitted on every customer of the labelled table.
    pub fn fit(labelled: &Dataset, cancel: &dyn Fn() -> bool) -> Result<Self, String> {
        let fit_on = histories(labelled).ok_or("the labelled table has no order histories")?;
        Ok(Baselines {
            bg: BgNbd::fit(&fit_on, cancel).map_err(|e| message(&e))?,
            pnbd: ParetoNbd::fit(&fit_on, cancel).map_err(|e| message(&e))?,
        })
    }

    /// Adds [`CURRENT_COLUMNS`] to the current customers, for the next `horizon_days`.
    pub fn annotate(&self, current: &mut Dataset, horizon_days: f64) -> Result<(), String> {
        let now = histories(current).ok_or("the current table has no order histories")?;
        let (bg, pnbd) = (&self.bg, &self.pnbd);
        let h = horizon_days / WEEK;
        let columns: [Vec<f64>; 4] = [
            now.iter().map(|x| bg.p_alive(x)).collect(),
            now.iter().map(|x| bg.expected_purchases(x, h)).collect(),
            now.iter().map(|x| pnbd.p_alive(x)).collect(),
            now.iter().map(|x| pnbd.expected_purchases(x, h)).collect(),
        ];
        for (name, values) in CURRENT_COLUMNS.iter().zip(columns) {
            current.columns.retain(|c| c.name != *name);
            current.columns.push(crate::dataset::Column::new(
                name.to_string(),
                ColumnData::Numeric(values),
            ));
        }
        Ok(())
    }
}

fn message(e: &BtydError) -> String {
    format!("the baseline could not be fitted: {e}")
}
