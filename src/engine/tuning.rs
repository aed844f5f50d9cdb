//! Choosing hyperparameters by stratified k-fold cross-validation on the training rows.
//!
//! Within each fold the preprocessing is fitted on that fold's training rows only and
//! applied unchanged to its held-out rows, exactly as the final pipeline is fitted on the
//! whole training part: no statistic of a held-out row leaks into what scores it. The fold's
//! feature matrices are built once and shared by every candidate. The best candidate is the
//! first with the highest mean score (so, like scikit-learn's `GridSearchCV`, ties go to the
//! candidate listed first).

use serde::{Deserialize, Serialize};

use super::dataset::Dataset;
use super::metrics::{average_precision, roc_auc};
use super::models::Progress;
use super::pipeline::{resample_rows, PipelineError, Result, TrainConfig};
use super::prep::FittedPreprocessor;
use super::split::{fold_training_rows, stratified_folds};

/// What a candidate is judged by on the held-out fold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scoring {
    RocAuc,
    PrAuc,
}

impl Scoring {
    pub fn label(self) -> &'static str {
        match self {
            Scoring::RocAuc => "ROC AUC",
            Scoring::PrAuc => "PR AUC",
        }
    }

    fn score(self, y: &[u8], p: &[f64]) -> Result<f64> {
        Ok(match self {
            Scoring::RocAuc => roc_auc(y, p)?,
            Scoring::PrAuc => average_precision(y, p)?,
        })
    }
}

/// A grid search over the logistic regression's `C` by k-fold cross-validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tuning {
    pub folds: usize,
    pub scoring: Scoring,
    pub c_grid: Vec<f64>,
    /// Seed of the fold assignment.
    pub seed: u64,
}

impl Tuning {
    /// `folds`-fold search over 17 values of C from 1e-4 to 1e4 (a factor of sqrt(10)
    /// apart, the grid of the reference baselines), scored by ROC AUC, seed 42.
    pub fn new(folds: usize) -> Self {
        Tuning {
            folds,
            scoring: Scoring::RocAuc,
            // numpy.logspace(-4, 4, 17), digit for digit.
            c_grid: vec![
                1e-4,
                0.00031622776601683794,
                1e-3,
                0.0031622776601683794,
                0.01,
                0.03162277660168379,
                0.1,
                0.31622776601683794,
                1.0,
                3.1622776601683795,
                10.0,
                31.622776601683793,
                100.0,
                316.2277660168379,
                1e3,
                3162.2776601683795,
                1e4,
            ],
            seed: 42,
        }
    }
}

/// One candidate's cross-validated scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub c: f64,
    pub mean: f64,
    pub std: f64,
    pub fold_scores: Vec<f64>,
}

/// Every candidate's scores and the one chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuningReport {
    pub scoring: Scoring,
    pub folds: usize,
    pub candidates: Vec<Candidate>,
    pub best_c: f64,
}

/// Cross-validates each C of `tuning` on the labelled ones of `rows` of `ds`.
pub fn tune_logistic(
    ds: &Dataset,
    rows: &[usize],
    config: &TrainConfig,
    tuning: &Tuning,
    mut progress: impl FnMut(Progress) -> bool,
) -> Result<TuningReport> {
    if tuning.c_grid.is_empty() {
        return Err(PipelineError::Tuning(
            "the grid of C values is empty".into(),
        ));
    }
    let labels = config.target.labels(ds)?;
    let folds = stratified_folds(&labels, rows, tuning.folds, tuning.seed)?;
    let mut exclude = config.ignore.clone();
    exclude.push(config.target.column.clone());
    let mut scores = vec![Vec::with_capacity(folds.len()); tuning.c_grid.len()];
    for (i, held_out) in folds.iter().enumerate() {
        let mut train = fold_training_rows(&folds, i);
        if let Some(how) = config.resample {
            let y: Vec<u8> = train.iter().map(|&r| labels[r].unwrap_or(0)).collect();
            train = resample_rows(&train, &y, how, config.seed);
        }
        let prep = FittedPreprocessor::fit_with(ds, &train, &exclude, &config.prep)?;
        let x_train = prep.transform(ds, &train)?;
        let x_test = prep.transform(ds, held_out)?;
        let y_train: Vec<u8> = train.iter().map(|&r| labels[r].unwrap_or(0)).collect();
        let y_test: Vec<u8> = held_out.iter().map(|&r| labels[r].unwrap_or(0)).collect();
        for (k, &c) in tuning.c_grid.iter().enumerate() {
            let params = config.logistic.clone().c(c);
            params.check()?;
            let model = params.fit(&x_train, &y_train, &mut progress)?;
            scores[k].push(
                tuning
                    .scoring
                    .score(&y_test, &model.predict_proba(&x_test))?,
            );
        }
    }
    let candidates: Vec<Candidate> = tuning
        .c_grid
        .iter()
        .zip(scores)
        .map(|(&c, fold_scores)| {
            let n = fold_scores.len() as f64;
            let mean = fold_scores.iter().sum::<f64>() / n;
            let var = fold_scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n;
            Candidate {
                c,
                mean,
                std: var.sqrt(),
                fold_scores,
            }
        })
        .collect();
    let best = candidates
        .iter()
        .fold(None::<&Candidate>, |best, c| match best {
            Some(b) if b.mean >= c.mean => Some(b),
            _ => Some(c),
        })
        .expect("at least one candidate");
    Ok(TuningReport {
        scoring: tuning.scoring,
        folds: folds.len(),
        best_c: best.c,
        candidates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ingest::{read_csv, ReadOptions};
    use crate::engine::sample::{generate_csv, SampleSpec};
    use crate::engine::target::target_for;

    fn sample() -> (Dataset, TrainConfig) {
        let csv = generate_csv(&SampleSpec {
            customers: 600,
            seed: 9,
        });
        let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample");
        let target = target_for(&ds, "churned", Some("Yes")).expect("target");
        (ds, TrainConfig::new(target))
    }

    #[test]
    fn grid_search_reports_every_candidate_and_picks_the_best_mean() {
        let (ds, config) = sample();
        let rows: Vec<usize> = (0..ds.n_rows).collect();
        let tuning = Tuning {
            c_grid: vec![1e-4, 1e-2, 1.0],
            ..Tuning::new(3)
        };
        let report = tune_logistic(&ds, &rows, &config, &tuning, |_| true).expect("tune");
        assert_eq!(report.candidates.len(), 3);
        assert!(report.candidates.iter().all(|c| c.fold_scores.len() == 3));
        let best = report
            .candidates
            .iter()
            .map(|c| c.mean)
            .fold(f64::MIN, f64::max);
        let chosen = report
            .candidates
            .iter()
            .find(|c| c.c == report.best_c)
            .expect("chosen");
        assert_eq!(chosen.mean, best);
        // Deterministic given the seed.
        assert_eq!(
            report,
            tune_logistic(&ds, &rows, &config, &tuning, |_| true).expect("again")
        );
        // The default grid is the baselines' np.logspace(-4, 4, 17).
        let grid = Tuning::new(5).c_grid;
        assert_eq!(
            (grid.len(), grid[0], grid[8], grid[16]),
            (17, 1e-4, 1.0, 1e4)
        );
    }

    #[test]
    fn cancelling_stops_the_search() {
        let (ds, config) = sample();
        let rows: Vec<usize> = (0..ds.n_rows).collect();
        let err =
            tune_logistic(&ds, &rows, &config, &Tuning::new(3), |_| false).expect_err("cancel");
        assert!(err.to_string().contains("cancelled"), "{err}");
    }
}
