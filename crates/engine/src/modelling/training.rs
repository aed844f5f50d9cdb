//! Fitting a pipeline: the held-out split, the hyperparameter search when asked for, the
//! final fit with calibration and the threshold rule on out-of-fold scores, and the test.
//! [`train_and_evaluate`] is the whole thin slice the page and the CLI run.

use serde::{Deserialize, Serialize};

use crate::dataset::{ColumnData, Dataset};
use crate::evaluating::metrics::ClassificationReport;
use crate::modelling::calibration::Calibrator;
use crate::modelling::config::{TrainConfig, POST_FIT_FOLDS};
use crate::modelling::models::{GrownTree, ModelError, Progress};
use crate::modelling::pipeline::{FitTimes, FittedPipeline, PipelineError, Result, MIN_CLASS_ROWS};
use crate::modelling::split::{
    fold_training_rows, out_of_time_split, stratified_folds, stratified_split, Split, SplitError,
};
use crate::modelling::threshold::{choose_threshold, ThresholdChoice};
use crate::modelling::tuning::{apply_setting, single_setting, tune, tune_beside, TuningReport};

/// The result of one training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOutcome {
    pub pipeline: FittedPipeline,
    pub n_train: usize,
    pub n_test: usize,
    /// Labelled rows in the table (rows with a missing target are left out).
    pub n_labelled: usize,
    pub test: ClassificationReport,
    /// The cross-validated search, when one chose C.
    pub tuning: Option<TuningReport>,
}

/// Splits `ds`, fits on the training part and evaluates on the test part.
pub fn train_and_evaluate(
    ds: &Dataset,
    config: &TrainConfig,
    progress: impl FnMut(Progress) -> bool,
) -> Result<TrainOutcome> {
    let split = split_rows(ds, config)?;
    fit_and_test(ds, &split.train, &split.test, config, progress)
}

/// The training and test rows `config` asks for: a stratified random share, or the latest
/// customers by `config.split_by_date`.
pub fn split_rows(ds: &Dataset, config: &TrainConfig) -> Result<Split> {
    let labels = config.target.labels(ds)?;
    let n_labelled = labels.iter().filter(|l| l.is_some()).count();
    if n_labelled == 0 {
        return Err(PipelineError::NoLabelledRows(config.target.column.clone()));
    }
    // Checked here, not in `FittedPipeline::fit`: a fit on few rows is fine (a fold, a
    // test), but a train/test evaluation on them is not.
    let positives = labels.iter().filter(|&&l| l == Some(1)).count();
    for (count, churned) in [(positives, true), (n_labelled - positives, false)] {
        if count < MIN_CLASS_ROWS {
            let target = &config.target;
            return Err(PipelineError::TooFewRows {
                column: target.column.clone(),
                value: if churned {
                    target.positive.clone()
                } else {
                    target.negative.clone()
                },
                churned,
                count,
                needed: MIN_CLASS_ROWS,
            });
        }
    }
    let split = match &config.split_by_date {
        Some(name) => {
            let dates = match ds.column(name).map(|c| &c.data) {
                Some(ColumnData::Numeric(v)) => v,
                Some(_) => {
                    return Err(PipelineError::Split(SplitError::NoDates(format!(
                        "the column '{name}' holds text, not dates"
                    ))))
                }
                None => {
                    return Err(PipelineError::Split(SplitError::NoDates(format!(
                        "there is no column '{name}'"
                    ))))
                }
            };
            out_of_time_split(&labels, dates, config.test_fraction)?
        }
        None => stratified_split(&labels, config.test_fraction, config.seed)?,
    };
    Ok(split)
}

/// Fits on `train` (choosing C by cross-validation there first when `config.tuning` says
/// so) and evaluates on the labelled ones of `test`.
pub fn fit_and_test(
    ds: &Dataset,
    train: &[usize],
    test: &[usize],
    config: &TrainConfig,
    progress: impl FnMut(Progress) -> bool,
) -> Result<TrainOutcome> {
    let labels = config.target.labels(ds)?;
    let n_labelled = labels.iter().filter(|l| l.is_some()).count();
    let TunedFit {
        pipeline, tuning, ..
    } = fit_tuned(ds, train, config, progress, &|| 0.0)?;
    let test_rows: Vec<usize> = test
        .iter()
        .copied()
        .filter(|&r| labels[r].is_some())
        .collect();
    if test_rows.is_empty() {
        return Err(PipelineError::NoLabelledRows(config.target.column.clone()));
    }
    let report = pipeline.evaluate_rows(ds, &test_rows, &labels)?;
    Ok(TrainOutcome {
        pipeline,
        n_train: train.iter().filter(|&&r| labels[r].is_some()).count(),
        n_test: test_rows.len(),
        n_labelled,
        test: report,
        tuning,
    })
}

/// What [`fit_tuned`] gives: the pipeline, the search (when there was one), the two timed
/// steps of the final fit, and the loss the final fit reported at each iteration, tree or
/// epoch (the training-loss curve).
#[derive(Debug, Clone)]
pub struct TunedFit {
    pub pipeline: FittedPipeline,
    pub tuning: Option<TuningReport>,
    pub times: FitTimes,
    pub loss_curve: Vec<(usize, f64)>,
}

/// The whole fit on `train`: hyperparameters chosen by cross-validation first when
/// `config.tuning` says so, then preprocessing and model, then calibration and the threshold
/// rule on out-of-fold scores when asked for. Steps are timed by `clock` (seconds).
pub fn fit_tuned(
    ds: &Dataset,
    train: &[usize],
    config: &TrainConfig,
    progress: impl FnMut(Progress) -> bool,
    clock: &(dyn Fn() -> f64 + Sync),
) -> Result<TunedFit> {
    fit_tuned_with(ds, train, config, DoneAhead::default(), progress, clock)
}

/// Work on the final fit done already, apart (the page shares it out over its workers).
#[derive(Debug, Clone, Copy, Default)]
pub struct DoneAhead<'a> {
    /// The cross-validation ([`crate::modelling::tuning::CrossValidation`]'s tasks): the
    /// final fit takes its best setting instead of searching again.
    pub tuning: Option<&'a TuningReport>,
    /// The final fit's forest trees ([`FittedPipeline::grow_forest_trees`]), every one in
    /// order; only without a cross-validation, whose chosen setting they could not know.
    pub trees: Option<&'a [GrownTree]>,
}

/// [`fit_tuned`], with some of the work `done` already, apart ([`DoneAhead`]).
pub fn fit_tuned_with(
    ds: &Dataset,
    train: &[usize],
    config: &TrainConfig,
    done: DoneAhead<'_>,
    mut progress: impl FnMut(Progress) -> bool,
    clock: &(dyn Fn() -> f64 + Sync),
) -> Result<TunedFit> {
    let labels = config.target.labels(ds)?;
    if done.trees.is_some() && config.tuning.is_some() {
        return Err(ModelError::InvalidParameter(
            "a forest's trees grown ahead of a cross-validation that chooses its settings".into(),
        )
        .into());
    }
    // Taken by the one final fit.
    let grown = std::sync::Mutex::new(done.trees.map(<[GrownTree]>::to_vec));
    // The final fit, with the loss it reported at each step.
    let final_fit = |config: &TrainConfig, progress: &mut dyn FnMut(Progress) -> bool| {
        let mut loss_curve = Vec::new();
        let record = |p: Progress| {
            loss_curve.push((p.iteration, p.loss));
            progress(p)
        };
        let trees = grown.lock().ok().and_then(|mut g| g.take());
        FittedPipeline::fit_timed_grown(ds, train, config, trees, record, clock)
            .map(|(pipeline, times)| (pipeline, times, loss_curve))
    };
    let (config, tuning, fitted) = match (&config.tuning, done.tuning) {
        (Some(_), Some(report)) => (
            apply_setting(config, &report.best),
            Some(report.clone()),
            None,
        ),
        (Some(t), None) => match single_setting(config.model, t)? {
            // One setting: the final fit does not wait for the search, it runs beside its
            // folds (on every core, one more task to share out).
            Some(setting) => {
                let chosen = apply_setting(config, &setting);
                let side = |p: &mut dyn FnMut(Progress) -> bool| final_fit(&chosen, p);
                let (report, fitted) =
                    tune_beside(ds, train, config, t, Some(&side), &mut progress)?;
                (chosen, Some(report), fitted)
            }
            None => {
                let report = tune(ds, train, config, t, &mut progress)?;
                (apply_setting(config, &report.best), Some(report), None)
            }
        },
        (None, _) => (config.clone(), None, None),
    };
    let (mut pipeline, times, loss_curve) = match fitted {
        Some(fitted) => fitted?,
        None => final_fit(&config, &mut progress)?,
    };
    if config.calibration.is_some() || config.threshold_rule.is_some() {
        let (calibrator, choice) = calibrate_and_choose(ds, train, &labels, &config, progress)?;
        pipeline.calibrator = calibrator;
        if let Some(choice) = &choice {
            pipeline.threshold = choice.threshold;
        }
        pipeline.threshold_choice = choice;
    }
    Ok(TunedFit {
        pipeline,
        tuning,
        times,
        loss_curve,
    })
}

/// Fits the calibration map and chooses the threshold on out-of-fold scores of the training
/// rows: each of [`POST_FIT_FOLDS`] stratified folds is scored by a pipeline fitted on the
/// others (scikit-learn's `CalibratedClassifierCV(ensemble=False)`), so neither step sees a
/// score of a row its model was trained on. The threshold is chosen on calibrated scores.
fn calibrate_and_choose(
    ds: &Dataset,
    train: &[usize],
    labels: &[Option<u8>],
    config: &TrainConfig,
    mut progress: impl FnMut(Progress) -> bool,
) -> Result<(Option<Calibrator>, Option<ThresholdChoice>)> {
    let folds = stratified_folds(labels, train, POST_FIT_FOLDS, config.seed)?;
    let mut y = Vec::new();
    let mut scores = Vec::new();
    for (i, fold) in folds.iter().enumerate() {
        let fit_rows = fold_training_rows(&folds, i);
        let pipeline = FittedPipeline::fit(ds, &fit_rows, config, &mut progress)?;
        scores.extend(pipeline.predict_proba(ds, fold)?);
        y.extend(fold.iter().map(|&r| labels[r].unwrap_or(0)));
    }
    let calibrator = config
        .calibration
        .map(|method| Calibrator::fit(method, &scores, &y))
        .transpose()?;
    if let Some(c) = &calibrator {
        scores = c.apply_all(&scores);
    }
    let choice = config
        .threshold_rule
        .as_ref()
        .map(|rule| choose_threshold(&y, &scores, rule))
        .transpose()?;
    Ok((calibrator, choice))
}
