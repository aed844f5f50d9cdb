//! Training one or several models on the same split and judging them side by side.
//!
//! A [`TrainPlan`] is the page's "train" button: the settings shared by every model, the
//! models to fit, and whether to cross-validate (or search each model's grid) on the
//! training rows. [`run_model`] fits one model on the plan's split and returns a
//! [`ModelRun`]: the fitted pipeline with its test report, the test scores (so the page can
//! move a threshold without asking the worker again), the cross-validated score, the
//! training-loss curve, the fit time and warnings about the model itself (suspected
//! leakage, no better than the class prior, strong overfitting). All models of a plan share
//! one split, so their test numbers compare like with like.

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::evaluating::curves::{
    calibration_curve, gains_curve, precision_recall_curve, score_histogram, threshold_sweep,
    BinStrategy, CalibrationCurve, GainsCurve, PrCurve, ScoreHistogram, ThresholdSweep,
};
use crate::evaluating::explain_parts::ExplainTable;
use crate::evaluating::explanations::{
    ContributionUnit, CustomerReasons, ExplainError, Importance, PartialDependence,
};
use crate::evaluating::metrics::{log_loss, roc_auc};
use crate::modelling::models::GrownTree;
use crate::modelling::models::{ClassWeight, Progress};
use crate::modelling::pipeline::{ModelKind, PipelineError, Resample, Result, TrainConfig};
use crate::modelling::split::Split;
use crate::modelling::training::{fit_tuned_with, split_rows, DoneAhead, TrainOutcome, TunedFit};
use crate::modelling::tuning::{grid, Scoring, Tuning, TuningReport};

/// What to train: shared settings, the models, and cross-validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainPlan {
    /// Settings of every model (its `model` field is set per model).
    pub config: TrainConfig,
    /// The models to fit, in order; duplicates are fitted once.
    pub models: Vec<ModelKind>,
    /// Cross-validate on the training rows with this many folds.
    #[serde(default)]
    pub cv_folds: Option<usize>,
    /// With `cv_folds`: search each model's grid (else only its own setting is scored).
    #[serde(default)]
    pub search: bool,
    /// How to handle a rare churn class.
    #[serde(default)]
    pub balance: Option<Balance>,
    /// Compute permutation importance, partial dependence and per-customer reasons.
    #[serde(default)]
    pub explain: bool,
    /// The cross-validation of one of the models, done already (the page shares one
    /// model's folds out over its workers): the final fit of the model it names takes its
    /// best setting instead of searching again.
    #[serde(default)]
    pub tuned: Option<TuningReport>,
    /// The forest's trees of the final fit, grown already (the page shares one forest's
    /// trees out over its workers, [`grow_plan_trees`]): the forest is put together from
    /// them. Only for a plan whose forest has no cross-validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grown_trees: Option<Vec<GrownTree>>,
}

/// Class-imbalance handling for every model of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Balance {
    /// "Balanced" class weights for logistic regression and boosted trees; the forest and
    /// the network take no weights, so their minority rows are drawn again instead.
    Weights,
    /// Random oversampling of the minority class.
    Over,
    /// Random undersampling of the majority class.
    Under,
}

impl TrainPlan {
    /// One model, no cross-validation.
    pub fn single(config: TrainConfig) -> Self {
        TrainPlan {
            models: vec![config.model],
            config,
            cv_folds: None,
            search: false,
            balance: None,
            explain: false,
            tuned: None,
            grown_trees: None,
        }
    }

    /// The models to fit, without repeats.
    pub fn models(&self) -> Vec<ModelKind> {
        let mut out: Vec<ModelKind> = Vec::new();
        for &m in &self.models {
            if !out.contains(&m) {
                out.push(m);
            }
        }
        out
    }

    /// The full configuration of one model of the plan.
    pub fn config_for(&self, kind: ModelKind) -> TrainConfig {
        let mut config = self.config.clone();
        config.model = kind;
        match (self.balance, kind) {
            (None, _) => {}
            (Some(Balance::Weights), ModelKind::Logistic) => {
                config.logistic = config.logistic.clone().class_weight(ClassWeight::Balanced);
            }
            (Some(Balance::Weights), ModelKind::Gbdt) => {
                config.gbdt.class_weight = ClassWeight::Balanced;
            }
            (Some(Balance::Weights | Balance::Over), _) => config.resample = Some(Resample::Over),
            (Some(Balance::Under), _) => config.resample = Some(Resample::Under),
        }
        if let Some(folds) = self.cv_folds {
            let mut tuning = config.tuning.take().unwrap_or_else(|| Tuning::new(folds));
            tuning.folds = folds;
            tuning.current_only = !self.search;
            config.tuning = Some(tuning);
        }
        config
    }

    /// The work on `kind`'s final fit the plan brings done already.
    fn done_ahead(&self, kind: ModelKind) -> DoneAhead<'_> {
        DoneAhead {
            tuning: self.tuned.as_ref().filter(|t| t.model == kind),
            trees: self
                .grown_trees
                .as_deref()
                .filter(|_| kind == ModelKind::Forest),
        }
    }

    /// How many times the model is fitted: one per fold and setting tried, the final fit,
    /// and the out-of-fold fits behind calibration or a threshold rule. Progress counts them.
    pub fn fits_for(&self, kind: ModelKind) -> usize {
        let config = self.config_for(kind);
        let searched = config.tuning.as_ref().map_or(0, |t| {
            let settings = if t.current_only {
                1
            } else {
                let all = grid(kind, t).len();
                t.random.map_or(all, |n| n.min(all))
            };
            settings * t.folds
        });
        let post = if config.calibration.is_some() || config.threshold_rule.is_some() {
            crate::modelling::pipeline::POST_FIT_FOLDS
        } else {
            0
        };
        searched + 1 + post
    }
}

/// The trees numbered `trees` of the forest `plan`'s final fit grows (a plan with a forest
/// and no cross-validation of it): one share of them, grown apart (the page's workers each
/// grow some), all of them in order then going into the plan as
/// [`TrainPlan::grown_trees`]. `progress` is called after each tree.
pub fn grow_plan_trees(
    ds: &Dataset,
    plan: &TrainPlan,
    trees: std::ops::Range<usize>,
    progress: impl FnMut(crate::modelling::models::Progress) -> bool,
) -> Result<Vec<GrownTree>> {
    let config = plan.config_for(ModelKind::Forest);
    if config.tuning.is_some() {
        return Err(crate::modelling::models::ModelError::InvalidParameter(
            "a forest's trees grown ahead of a cross-validation that chooses its settings".into(),
        )
        .into());
    }
    let split = split_rows(ds, &plan.config)?;
    crate::modelling::pipeline::FittedPipeline::grow_forest_trees(
        ds,
        &split.train,
        &config,
        trees,
        progress,
    )
}

/// The cross-validated score of the chosen setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvScore {
    pub folds: usize,
    pub scoring: Scoring,
    pub mean: f64,
    pub std: f64,
    /// How many settings were compared (1 without a search).
    pub settings_tried: usize,
}

/// Something about a fitted model worth a warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelWarning {
    /// The test ROC AUC is so high that a column probably records the outcome itself.
    SuspectedLeakage { test_auc: f64 },
    /// The model ranks customers barely better than chance, or its probabilities fit worse
    /// than always predicting the training churn rate.
    NoBetterThanPrior {
        test_auc: f64,
        log_loss: f64,
        prior_log_loss: f64,
    },
    /// The model scores the customers it learnt from far better than new ones.
    Overfitting { train_auc: f64, test_auc: f64 },
}

/// Test ROC AUC at or above which a churn model is suspiciously good: real churn depends
/// on things no export records, and the public churn datasets' baselines stay below it
/// except for the one with a leaking column (see ../shared/datasets/README.md).
pub const LEAKAGE_AUC: f64 = 0.99;
/// Test ROC AUC at or below which a model is no better than guessing in practice.
pub const PRIOR_AUC: f64 = 0.55;
/// Gap between training and test ROC AUC that counts as strong overfitting.
pub const OVERFIT_GAP: f64 = 0.1;

impl ModelWarning {
    /// The warning in plain words, with what to do about it.
    pub fn message(&self) -> String {
        match self {
            ModelWarning::SuspectedLeakage { test_auc } => format!(
                "Suspiciously good (test ROC AUC {test_auc:.3}): a column may record the outcome itself, \
                 such as a cancellation date or a status set after the customer left. Check the \
                 most important columns and leave out any that is only known after churn."
            ),
            ModelWarning::NoBetterThanPrior {
                test_auc,
                log_loss,
                prior_log_loss,
            } => format!(
                "No better than the churn rate alone (test ROC AUC {test_auc:.3}, log loss {log_loss:.3} \
                 against {prior_log_loss:.3} for always predicting the churn rate): these columns \
                 hardly tell churners apart. Try other columns or another model."
            ),
            ModelWarning::Overfitting {
                train_auc,
                test_auc,
            } => format!(
                "Strong overfitting: ROC AUC {train_auc:.3} on the customers it learnt from but \
                 {test_auc:.3} on new ones. It memorises rather than generalises; use a simpler \
                 model, more regularisation or more data."
            ),
        }
    }
}

/// The warnings for a model with these scores.
pub fn model_warnings(
    train_auc: f64,
    test_auc: f64,
    test_log_loss: f64,
    prior_log_loss: f64,
) -> Vec<ModelWarning> {
    let mut out = Vec::new();
    if test_auc >= LEAKAGE_AUC {
        out.push(ModelWarning::SuspectedLeakage { test_auc });
    }
    if test_auc <= PRIOR_AUC || test_log_loss >= prior_log_loss {
        out.push(ModelWarning::NoBetterThanPrior {
            test_auc,
            log_loss: test_log_loss,
            prior_log_loss,
        });
    }
    if train_auc - test_auc > OVERFIT_GAP {
        out.push(ModelWarning::Overfitting {
            train_auc,
            test_auc,
        });
    }
    out
}

/// One trained model of a plan, with everything the page shows about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRun {
    pub kind: ModelKind,
    pub outcome: TrainOutcome,
    /// Seconds for the whole fit (search, final fit, calibration), by the caller's clock.
    pub fit_seconds: f64,
    /// ROC AUC on the training rows (against the test one, for overfitting).
    pub train_roc_auc: f64,
    /// Churn rate of the training rows.
    pub prior: f64,
    pub cv: Option<CvScore>,
    /// The final fit's loss per iteration, tree or epoch.
    pub loss_curve: Vec<(usize, f64)>,
    /// The labelled test rows, their classes and the model's probabilities.
    pub test_rows: Vec<usize>,
    pub test_labels: Vec<u8>,
    pub test_scores: Vec<f64>,
    pub warnings: Vec<ModelWarning>,
    /// The test set's curves.
    pub curves: Curves,
    /// Importance, partial dependence and reasons, when the plan asked for them.
    pub explanation: Option<Explanation>,
}

/// Every curve of the test set the page draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curves {
    pub pr: PrCurve,
    /// At every percent of customers contacted.
    pub gains: GainsCurve,
    /// 10 equal-width bins (scikit-learn's `calibration_curve` default).
    pub calibration: CalibrationCurve,
    /// 20 equal-width bins of scores per class.
    pub histogram: ScoreHistogram,
    /// Thresholds 0, 0.01, ..., 1.
    pub sweep: ThresholdSweep,
}

impl Curves {
    pub fn of(y: &[u8], scores: &[f64]) -> Result<Self> {
        Ok(Curves {
            pr: precision_recall_curve(y, scores)?,
            gains: gains_curve(y, scores, 100)?,
            calibration: calibration_curve(y, scores, 10, BinStrategy::Uniform)?,
            histogram: score_histogram(y, scores, 20)?,
            sweep: threshold_sweep(y, scores, 100)?,
        })
    }
}

/// Why the model scores as it does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Permutation importance of every input column, most important first.
    pub importance: Vec<Importance>,
    /// For the most important numeric columns (at most [`PD_COLUMNS`]).
    pub partial_dependence: Vec<PartialDependence>,
    /// The riskiest test customers with their top reasons.
    pub reasons: Vec<CustomerReasons>,
    /// Whether the reasons are exact contributions (logistic regression, trees) or an
    /// approximation (the network).
    pub exact_reasons: bool,
    /// What the reasons' numbers add up to (log-odds, or probability for the forest).
    pub reasons_unit: ContributionUnit,
    /// Test customers the importance and partial dependence were computed on.
    pub rows_used: usize,
    /// Shuffles per column.
    pub repeats: usize,
}

/// Most test customers the importance and partial dependence use (a seeded sample of the
/// test rows beyond it), so explaining stays quick on a million-row file.
pub const EXPLAIN_ROWS: usize = 2000;
/// Shuffles per column for permutation importance (scikit-learn's default is 5).
pub const IMPORTANCE_REPEATS: usize = 5;
/// Numeric columns given a partial-dependence curve.
pub const PD_COLUMNS: usize = 3;
/// Grid points of a partial-dependence curve.
pub const PD_GRID: usize = 20;
/// Riskiest customers listed with their reasons, and reasons each way per customer.
pub const RISKY_CUSTOMERS: usize = 20;
pub const REASONS_EACH: usize = 3;

/// Computes the explanation of `run`'s pipeline on its test rows (on the rows
/// [`ExplainTable::of`] cuts out: the same explanation, as its parts put together give).
pub fn explain_run(
    ds: &Dataset,
    run: &ModelRun,
    seed: u64,
    progress: impl FnMut(usize, usize) -> bool,
) -> Result<Explanation> {
    let table = ExplainTable::of(ds, run, seed).map_err(explain_error)?;
    table
        .explain(&run.outcome.pipeline, progress)
        .map_err(explain_error)
}

/// The error an explanation's failure is to the training it is part of.
pub fn explain_error(e: ExplainError) -> PipelineError {
    match e {
        ExplainError::Pipeline(p) => p,
        ExplainError::Metrics(m) => PipelineError::Metrics(m),
        ExplainError::Cancelled => {
            PipelineError::Model(crate::modelling::models::ModelError::Cancelled)
        }
        other => PipelineError::Explanation(other.to_string()),
    }
}

impl ModelRun {
    /// A name for people.
    pub fn label(&self) -> &'static str {
        model_label(self.kind)
    }
}

/// The model's name for people.
pub fn model_label(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Logistic => "Logistic regression",
        ModelKind::Gbdt => "Gradient-boosted trees",
        ModelKind::Forest => "Random forest",
        ModelKind::Mlp => "Neural network",
    }
}

/// Fits `kind` as `plan` says on `split.train`, evaluates it on `split.test`, timing the
/// fit by `clock` (seconds).
pub fn run_model(
    ds: &Dataset,
    plan: &TrainPlan,
    kind: ModelKind,
    split: &Split,
    mut progress: impl FnMut(Step) -> bool,
    clock: &(dyn Fn() -> f64 + Sync),
) -> Result<ModelRun> {
    let config = plan.config_for(kind);
    let labels = config.target.labels(ds)?;
    let start = clock();
    let TunedFit {
        pipeline,
        tuning,
        loss_curve,
        ..
    } = fit_tuned_with(
        ds,
        &split.train,
        &config,
        plan.done_ahead(kind),
        |p| progress(Step::Fit(p)),
        clock,
    )?;
    let fit_seconds = clock() - start;
    let (train_rows, test_rows) = labelled_rows(split, &labels, &config.target.column)?;
    let y_of =
        |rows: &[usize]| -> Vec<u8> { rows.iter().map(|&r| labels[r].unwrap_or(0)).collect() };
    let (y_train, y_test) = (y_of(&train_rows), y_of(&test_rows));
    let train_scores = pipeline.predict_proba(ds, &train_rows)?;
    let train_roc_auc = roc_auc(&y_train, &train_scores)?;
    let test_scores = pipeline.predict_proba(ds, &test_rows)?;
    let report = crate::evaluating::metrics::ClassificationReport::new(
        &y_test,
        &test_scores,
        pipeline.threshold,
    )?;
    let prior = y_train.iter().filter(|&&l| l == 1).count() as f64 / y_train.len() as f64;
    let prior_log_loss = log_loss(&y_test, &vec![prior; y_test.len()])?;
    let warnings = model_warnings(
        train_roc_auc,
        report.roc_auc,
        report.log_loss,
        prior_log_loss,
    );
    let cv = tuning.as_ref().and_then(CvScore::of);
    let curves = Curves::of(&y_test, &test_scores)?;
    let mut run = ModelRun {
        kind,
        outcome: TrainOutcome {
            pipeline,
            n_train: train_rows.len(),
            n_test: test_rows.len(),
            n_labelled: labels.iter().filter(|l| l.is_some()).count(),
            test: report,
            tuning,
        },
        fit_seconds,
        train_roc_auc,
        prior,
        cv,
        loss_curve,
        test_rows,
        test_labels: y_test,
        test_scores,
        warnings,
        curves,
        explanation: None,
    };
    if plan.explain {
        let explanation = explain_run(ds, &run, config.seed, |done, total| {
            progress(Step::Explain { done, total })
        })?;
        run.explanation = Some(explanation);
    }
    Ok(run)
}

/// The labelled rows of the split's training and test parts; an error naming the target
/// `column` when either part has none.
fn labelled_rows(
    split: &Split,
    labels: &[Option<u8>],
    column: &str,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let labelled = |rows: &[usize]| -> Vec<usize> {
        rows.iter()
            .copied()
            .filter(|&r| labels[r].is_some())
            .collect()
    };
    let (train_rows, test_rows) = (labelled(&split.train), labelled(&split.test));
    if test_rows.is_empty() || train_rows.is_empty() {
        return Err(PipelineError::NoLabelledRows(column.to_string()));
    }
    Ok((train_rows, test_rows))
}

impl CvScore {
    /// The cross-validated score of the setting a tuning run chose, if it scored one.
    fn of(t: &TuningReport) -> Option<Self> {
        t.best_candidate().map(|c| CvScore {
            folds: t.folds,
            scoring: t.scoring,
            mean: c.mean,
            std: c.std,
            settings_tried: t.candidates.len(),
        })
    }
}

/// What a model of a plan is doing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// A fit reports an iteration, tree or epoch.
    Fit(Progress),
    /// Explaining: `done` of `total` shuffles.
    Explain { done: usize, total: usize },
}

/// Fits every model of `plan` on one split, calling `on_model` as each finishes.
/// `progress` gets the model's index with each report; returning `false` cancels.
pub fn run_plan(
    ds: &Dataset,
    plan: &TrainPlan,
    mut progress: impl FnMut(usize, Step) -> bool,
    clock: &(dyn Fn() -> f64 + Sync),
    mut on_model: impl FnMut(ModelRun),
) -> Result<()> {
    let models = plan.models();
    if models.is_empty() {
        return Err(PipelineError::NoModels);
    }
    let split = split_rows(ds, &plan.config)?;
    // The models train one after another, each on every core inside (its folds and search
    // settings, the forest's trees, the boosted trees' histograms): side by side, a model
    // per core, the slowest (the forest) ran on one core while the others waited, and
    // `compare --cv 5` on 100,000 rows took 1.3x, not 1.7x, less time on two cores.
    for (i, &kind) in models.iter().enumerate() {
        let run = run_model(ds, plan, kind, &split, |p| progress(i, p), clock)?;
        on_model(run);
    }
    Ok(())
}

/// The model to recommend: the best cross-validated score when every model has one (the
/// test set then stays an unbiased check), else the best test ROC AUC; ties go to the
/// first.
pub fn best_model<R: std::borrow::Borrow<ModelRun>>(runs: &[R]) -> Option<usize> {
    let runs: Vec<&ModelRun> = runs.iter().map(|r| r.borrow()).collect();
    let by_cv = runs.iter().all(|r| r.cv.is_some());
    let key = |r: &ModelRun| match (&r.cv, by_cv) {
        (Some(cv), true) => cv.mean,
        _ => r.outcome.test.roc_auc,
    };
    let mut best: Option<usize> = None;
    for (i, r) in runs.iter().enumerate() {
        if best.is_none_or(|b| key(r) > key(runs[b])) {
            best = Some(i);
        }
    }
    best
}

/// Tracks a plan's progress across models and fits for the progress bar: which model, which
/// fit of how many, the iteration, and the current fit's loss curve (for the live chart).
#[derive(Debug, Clone)]
pub struct PlanProgress {
    models: Vec<(ModelKind, usize)>,
    model: usize,
    fit: usize,
    last_iteration: Option<usize>,
    loss: Vec<(usize, f64)>,
    last: Progress,
    explaining: Option<(usize, usize)>,
    /// How the models are numbered for the user: their positions (1-based) in the whole
    /// plan and its number of models, when this plan is a part of it.
    numbering: Option<(Vec<usize>, usize)>,
}

/// Most points of the live loss curve sent with a progress report.
const LIVE_LOSS_POINTS: usize = 400;

impl PlanProgress {
    pub fn new(plan: &TrainPlan) -> Self {
        PlanProgress {
            models: plan
                .models()
                .into_iter()
                .map(|m| (m, plan.fits_for(m) + usize::from(plan.explain)))
                .collect(),
            model: 0,
            fit: 0,
            last_iteration: None,
            loss: Vec::new(),
            last: Progress {
                iteration: 0,
                max_iterations: 0,
                loss: f64::NAN,
            },
            explaining: None,
            numbering: None,
        }
    }

    /// Numbers the models as positions `numbers` (1-based) of a plan of `total` models,
    /// for a plan that is part of a bigger one (one background worker's share).
    pub fn numbered(mut self, numbers: Vec<usize>, total: usize) -> Self {
        if numbers.len() == self.models.len() && total > 0 {
            self.numbering = Some((numbers, total));
        }
        self
    }

    /// "model 2 of 3": the current model's number for the user.
    fn model_number(&self) -> String {
        match &self.numbering {
            Some((numbers, total)) => {
                let n = numbers.get(self.model).copied().unwrap_or(self.model + 1);
                format!("model {n} of {total}")
            }
            None => format!("model {} of {}", self.model + 1, self.models.len().max(1)),
        }
    }

    /// Takes a report of model `model` (a new fit starts when the iteration goes back).
    pub fn observe(&mut self, model: usize, step: Step) {
        if model != self.model {
            self.model = model;
            self.fit = 0;
            self.last_iteration = None;
            self.loss.clear();
            self.explaining = None;
        }
        let p = match step {
            Step::Fit(p) => p,
            Step::Explain { done, total } => {
                self.explaining = Some((done, total));
                return;
            }
        };
        if self.last_iteration.is_some_and(|last| p.iteration <= last) {
            self.fit += 1;
            self.loss.clear();
        }
        self.last_iteration = Some(p.iteration);
        if p.loss.is_finite() {
            self.loss.push((p.iteration, p.loss));
        }
        self.last = p;
    }

    /// The report for the user: stage text, overall fraction and the current fit's loss curve.
    pub fn report(&self) -> crate::progress::JobProgress {
        let n_models = self.models.len().max(1);
        let (kind, fits) = self
            .models
            .get(self.model)
            .copied()
            .unwrap_or((ModelKind::Logistic, 1));
        let unit = match kind {
            ModelKind::Logistic => "iteration",
            ModelKind::Gbdt | ModelKind::Forest => "tree",
            ModelKind::Mlp => "epoch",
        };
        if let Some((done, total)) = self.explaining {
            let within = if total == 0 {
                1.0
            } else {
                done as f64 / total as f64
            };
            let fraction = ((self.model as f64 + (fits as f64 - 1.0 + within) / fits as f64)
                / n_models as f64)
                .clamp(0.0, 1.0);
            return crate::progress::JobProgress::new(
                format!(
                    "{} ({}): explaining, shuffle {done} of {total}",
                    model_label(kind),
                    self.model_number()
                ),
                fraction,
            );
        }
        let fit = self.fit.min(fits.saturating_sub(1));
        let within = if self.last.max_iterations == 0 {
            0.0
        } else {
            (self.last.iteration as f64 / self.last.max_iterations as f64).min(1.0)
        };
        let fraction = ((self.model as f64 + (fit as f64 + within) / fits.max(1) as f64)
            / n_models as f64)
            .clamp(0.0, 1.0);
        let mut stage = format!("{} ({})", model_label(kind), self.model_number());
        if fits > 1 {
            stage.push_str(&format!(", fit {} of {fits}", fit + 1));
        }
        stage.push_str(&format!(
            ": {unit} {} of at most {}",
            self.last.iteration, self.last.max_iterations
        ));
        if self.last.loss.is_finite() {
            stage.push_str(&format!(" (loss {:.4})", self.last.loss));
        }
        let step = self.loss.len().div_ceil(LIVE_LOSS_POINTS).max(1);
        let last = self.loss.len().saturating_sub(1);
        let loss = self
            .loss
            .iter()
            .enumerate()
            .filter(|(i, _)| i % step == 0 || *i == last)
            .map(|(_, &p)| p)
            .collect();
        crate::progress::JobProgress {
            stage,
            fraction,
            loss,
            loss_unit: Some(unit.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::ingest::{read_csv, ReadOptions};
    use crate::reading::sample::{generate_csv, SampleSpec};
    use crate::understanding::target::target_for;

    fn sample(customers: usize) -> (Dataset, TrainConfig) {
        let csv = generate_csv(&SampleSpec { customers, seed: 7 });
        let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample");
        let target = target_for(&ds, "churned", Some("Yes")).expect("target");
        (ds, TrainConfig::new(target))
    }

    /// One model's cross-validation done as separate tasks (as the page's workers share
    /// them out, here run one by one in reverse order) and handed to the plan as `tuned`
    /// gives the same run as the plan searching itself: the sample's 600 customers, 3
    /// folds, boosted trees with a random search of 3 settings (9 tasks) and logistic
    /// regression over the C grid (3 tasks), the JSON equal apart from the fit's time.
    /// The first model `plan` trains on `ds`, as JSON, its fit time left out.
    fn first_run_json(ds: &Dataset, plan: &TrainPlan) -> serde_json::Value {
        let mut runs = Vec::new();
        run_plan(ds, plan, |_, _| true, &|| 0.0, |r| runs.push(r)).expect("plan");
        let mut value = serde_json::to_value(&runs[0]).expect("json");
        value["fit_seconds"] = serde_json::Value::Null;
        value
    }

    #[test]
    fn a_cross_validation_done_in_tasks_gives_the_plans_own_run() {
        use crate::modelling::tuning::CrossValidation;
        let (ds, mut config) = sample(600);
        config.tuning = Some(Tuning {
            random: Some(3),
            ..Tuning::new(3)
        });
        for kind in [ModelKind::Gbdt, ModelKind::Logistic] {
            let mut plan = TrainPlan::single(config.clone());
            plan.models = vec![kind];
            plan.cv_folds = Some(3);
            plan.search = true;
            let json = |plan: &TrainPlan| first_run_json(&ds, plan);
            let searched = json(&plan);
            let split = split_rows(&ds, &plan.config).expect("split");
            let model_config = plan.config_for(kind);
            let tuning = model_config.tuning.clone().expect("tuning");
            let cv = CrossValidation::new(&ds, &split.train, &model_config, &tuning).expect("cv");
            assert_eq!(cv.tasks(), if kind == ModelKind::Logistic { 3 } else { 9 });
            let mut results: Vec<Vec<f64>> = (0..cv.tasks())
                .rev()
                .map(|t| cv.run(t, &mut |_| true).expect("task"))
                .collect();
            results.reverse();
            let report = cv.report(results).expect("report");
            plan.tuned = Some(report.clone());
            assert_eq!(json(&plan), searched, "{kind:?}");
            // The given report is what the final fit follows: with another best setting,
            // that setting is the one fitted.
            let other = report.candidates.iter().find(|c| c.setting != report.best);
            let other = other.expect("three settings").setting.clone();
            plan.tuned = Some(TuningReport {
                best: other.clone(),
                ..report
            });
            assert_eq!(
                json(&plan)["outcome"]["tuning"]["best"],
                serde_json::to_value(&other).expect("json")
            );
            assert_ne!(json(&plan)["outcome"]["test"], searched["outcome"]["test"]);
        }
    }

    #[test]
    fn a_forest_grown_in_shares_gives_the_plans_own_run() {
        let (ds, mut config) = sample(600);
        config.forest = config.forest.clone().n_trees(24);
        // Oversampling and a threshold rule: the shares prepare the same resampled rows,
        // and the out-of-fold fits behind the threshold grow their own trees.
        config.threshold_rule = Some(crate::modelling::threshold::ThresholdRule::MaxF1);
        let mut plan = TrainPlan::single(config.clone());
        plan.models = vec![ModelKind::Forest];
        plan.balance = Some(Balance::Over);
        plan.explain = true;
        let json = |plan: &TrainPlan| first_run_json(&ds, plan);
        let whole = json(&plan);
        // Shares as the page deals them to two workers, grown in the opposite order.
        let mut grown = grow_plan_trees(&ds, &plan, 12..24, |_| true).expect("second");
        let first = grow_plan_trees(&ds, &plan, 0..12, |_| true).expect("first");
        grown.splice(0..0, first);
        plan.grown_trees = Some(grown.clone());
        assert_eq!(json(&plan), whole);
        // The trees given are the ones used: another forest's trees make another model.
        let mut other = plan.clone();
        other.config.forest = other.config.forest.clone().seed(99);
        let mut other_trees = grow_plan_trees(&ds, &other, 0..24, |_| true).expect("other");
        plan.grown_trees = Some(other_trees.clone());
        // Their bags differ, so their out-of-bag predictions do not fit: refused.
        let refused = run_plan(&ds, &plan, |_, _| true, &|| 0.0, |_| {});
        assert!(refused.is_err_and(|e| e.to_string().contains("out-of-bag predictions")));
        // With this forest's out-of-bag predictions they are taken, and score otherwise.
        for (o, g) in other_trees.iter_mut().zip(&grown) {
            o.oob = g.oob.clone();
        }
        plan.grown_trees = Some(other_trees);
        assert_ne!(json(&plan)["outcome"]["test"], whole["outcome"]["test"]);
        // With a cross-validation choosing the settings, trees grown ahead are refused.
        plan.cv_folds = Some(3);
        plan.search = true;
        assert!(grow_plan_trees(&ds, &plan, 0..2, |_| true).is_err());
        plan.grown_trees = Some(grown);
        assert!(run_plan(&ds, &plan, |_, _| true, &|| 0.0, |_| {}).is_err());
    }

    #[test]
    fn a_plan_fits_each_model_once_on_one_split_and_agrees_with_a_single_run() {
        let (ds, config) = sample(600);
        let mut plan = TrainPlan::single(config.clone());
        plan.models = vec![ModelKind::Logistic, ModelKind::Gbdt, ModelKind::Logistic];
        let mut runs = Vec::new();
        run_plan(&ds, &plan, |_, _| true, &|| 0.0, |r| runs.push(r)).expect("plan");
        assert_eq!(runs.len(), 2, "the repeated model is fitted once");
        // The same numbers as the one-model path (`train_and_evaluate`), which the CLI uses.
        let single =
            crate::modelling::training::train_and_evaluate(&ds, &config, |_| true).expect("single");
        assert_eq!(runs[0].outcome.test, single.test);
        assert_eq!(runs[0].test_rows.len(), single.n_test);
        assert_eq!(
            runs[0].test_rows, runs[1].test_rows,
            "one split for all models"
        );
        let r = &runs[1];
        assert_eq!(r.test_scores.len(), r.test_labels.len());
        assert!(r.train_roc_auc >= r.outcome.test.roc_auc - 0.05);
        assert!(
            !r.loss_curve.is_empty() && r.loss_curve.len() <= 100,
            "one point per tree"
        );
        assert!(r.prior > 0.0 && r.prior < 1.0);
        assert!(best_model(&runs).is_some());
    }

    #[test]
    fn cross_validation_without_search_scores_only_the_models_own_setting() {
        let (ds, config) = sample(400);
        let mut plan = TrainPlan::single(config);
        plan.cv_folds = Some(3);
        assert_eq!(plan.fits_for(ModelKind::Logistic), 3 + 1);
        plan.search = true;
        assert_eq!(
            plan.fits_for(ModelKind::Gbdt),
            18 * 3 + 1,
            "18 settings in the grid"
        );
        plan.search = false;
        let split = split_rows(&ds, &plan.config).expect("split");
        let run =
            run_model(&ds, &plan, ModelKind::Logistic, &split, |_| true, &|| 0.0).expect("run");
        let cv = run.cv.expect("cv");
        assert_eq!((cv.folds, cv.settings_tried), (3, 1));
        assert!(cv.mean > 0.5 && cv.std >= 0.0);
        // The final model is the default C = 1 one: the same as without CV.
        let plain = run_model(
            &ds,
            &TrainPlan::single(plan.config.clone()),
            ModelKind::Logistic,
            &split,
            |_| true,
            &|| 0.0,
        )
        .expect("plain");
        assert_eq!(run.outcome.test.roc_auc, plain.outcome.test.roc_auc);
        assert!(plain.cv.is_none());
    }

    /// Issue 18: one model's explanation shared out over workers, as the page's pool does
    /// it: the importance of some columns each (contiguous and interleaved shares, run in
    /// reverse order), then the partial dependence's points, split mid-curve, and the
    /// reasons on one: put together, the explanation of one worker to the bit. 12,000
    /// sample customers (2,400 test rows, so the importance uses a seeded sample of 2,000)
    /// for every model kind; the explanation also equals the full table's own functions
    /// (permutation importance and partial dependence on the same rows and seed).
    #[test]
    fn an_explanation_shared_out_in_parts_is_the_explanation_of_one_worker() {
        use crate::evaluating::explain_parts::{merge_importance, ExplainPart, ExplainTable};
        use crate::evaluating::explanations::{partial_dependence, permutation_importance};
        let (ds, config) = sample(12_000);
        let mut plan = TrainPlan::single(config);
        plan.explain = true;
        let split = split_rows(&ds, &plan.config).expect("split");
        for kind in [
            ModelKind::Logistic,
            ModelKind::Gbdt,
            ModelKind::Forest,
            ModelKind::Mlp,
        ] {
            let run = run_model(&ds, &plan, kind, &split, |_| true, &|| 0.0).expect("run");
            let whole = run.explanation.clone().expect("explained");
            let p = &run.outcome.pipeline;
            let table = ExplainTable::of(&ds, &run, plan.config.seed).expect("table");
            assert_eq!(
                table.table.n_rows,
                EXPLAIN_ROWS + RISKY_CUSTOMERS,
                "{kind:?}"
            );
            let columns = ExplainTable::columns(p).len();
            for shares in [
                vec![
                    (0..columns / 2).collect::<Vec<_>>(),
                    (columns / 2..columns).collect(),
                ],
                (0..3)
                    .map(|w| (w..columns).step_by(3).collect())
                    .collect::<Vec<Vec<usize>>>(),
            ] {
                let mut parts = Vec::new();
                for (k, share) in shares.iter().enumerate().rev() {
                    let part = ExplainPart {
                        importance: share.clone(),
                        reasons: k == 0,
                        ..ExplainPart::default()
                    };
                    parts.push(table.run(p, &part, |_, _| true).expect("part"));
                }
                let reasons = parts.iter().find_map(|x| x.reasons.clone());
                let importance =
                    merge_importance(parts.into_iter().map(|x| x.importance).collect());
                let grids = table.dependence_grids(p, &importance).expect("grids");
                // The points in three pieces, the first curve cut after its 7th point.
                let mut flat: Vec<(String, f64)> = Vec::new();
                for (c, grid) in &grids {
                    flat.extend(grid.iter().map(|&v| (c.clone(), v)));
                }
                let mut dependence = Vec::new();
                for piece in [
                    &flat[..7],
                    &flat[7..flat.len() / 2],
                    &flat[flat.len() / 2..],
                ] {
                    let mut asked: Vec<(String, Vec<f64>)> = Vec::new();
                    for (c, v) in piece {
                        match asked.last_mut() {
                            Some((last, values)) if last == c => values.push(*v),
                            _ => asked.push((c.clone(), vec![*v])),
                        }
                    }
                    let part = ExplainPart {
                        dependence: asked,
                        ..ExplainPart::default()
                    };
                    dependence.extend(table.run(p, &part, |_, _| true).expect("pd").dependence);
                }
                let joined = table.assemble(importance, dependence, reasons);
                assert_eq!(joined, whole, "{kind:?}, shares {shares:?}");
            }
            // The rows cut out give what the full table gives.
            let sampled: Vec<usize> = {
                let mut picks: Vec<usize> = (0..run.test_rows.len()).collect();
                crate::rng::Rng::new(plan.config.seed).shuffle(&mut picks);
                picks.truncate(EXPLAIN_ROWS);
                picks.sort_unstable();
                picks.iter().map(|&i| run.test_rows[i]).collect()
            };
            let full = permutation_importance(
                p,
                &ds,
                &sampled,
                &table.sample.labels,
                IMPORTANCE_REPEATS,
                plan.config.seed,
                |_, _| true,
            )
            .expect("importance on the full table");
            assert_eq!(full, whole.importance, "{kind:?}");
            for curve in &whole.partial_dependence {
                let pd = partial_dependence(p, &ds, &sampled, &curve.column, PD_GRID)
                    .expect("partial dependence on the full table");
                assert_eq!(&pd, curve, "{kind:?}");
            }
            assert_eq!(whole.rows_used, EXPLAIN_ROWS);
        }
    }

    #[test]
    fn an_explained_run_ranks_columns_and_gives_the_riskiest_customers_reasons() {
        let (ds, config) = sample(500);
        let mut plan = TrainPlan::single(config);
        plan.explain = true;
        let split = split_rows(&ds, &plan.config).expect("split");
        for kind in [
            ModelKind::Logistic,
            ModelKind::Gbdt,
            ModelKind::Forest,
            ModelKind::Mlp,
        ] {
            let mut steps = Vec::new();
            let run = run_model(
                &ds,
                &plan,
                kind,
                &split,
                |s| {
                    if let Step::Explain { done, total } = s {
                        steps.push((done, total));
                    }
                    true
                },
                &|| 0.0,
            )
            .expect("run");
            let ex = run.explanation.as_ref().expect("explained");
            let n_inputs = run.outcome.pipeline.preprocessor.input_columns().len();
            assert_eq!(ex.importance.len(), n_inputs, "{kind:?}");
            // One report per shuffle on one thread; on more, the calling thread's shuffles
            // report the count done on all, and the last says all are done.
            let total = n_inputs * IMPORTANCE_REPEATS;
            if crate::parallel::threads() == 1 {
                assert_eq!(steps.len(), total, "one report per shuffle");
            }
            assert!(steps.windows(2).all(|w| w[0].0 <= w[1].0), "{steps:?}");
            assert_eq!(steps.last(), Some(&(total, total)));
            assert!(ex.importance.windows(2).all(|w| w[0].mean >= w[1].mean));
            assert!(!ex.partial_dependence.is_empty() && ex.partial_dependence.len() <= PD_COLUMNS);
            assert_eq!(ex.reasons.len(), RISKY_CUSTOMERS.min(run.test_rows.len()));
            assert!(ex
                .reasons
                .windows(2)
                .all(|w| w[0].probability >= w[1].probability));
            assert_eq!(ex.exact_reasons, kind != ModelKind::Mlp, "{kind:?}");
            assert_eq!(
                ex.reasons_unit == ContributionUnit::Probability,
                kind == ModelKind::Forest
            );
            // The explanation travels to the page as JSON.
            let json = serde_json::to_string(&run).expect("json");
            let back: ModelRun = serde_json::from_str(&json).expect("read");
            assert_eq!(back.explanation, run.explanation);
        }
    }

    #[test]
    fn warnings_name_leakage_no_signal_and_overfitting() {
        // Thresholds are this module's constants; the log losses are made up for the test.
        assert!(model_warnings(0.85, 0.84, 0.4, 0.5).is_empty());
        let w = model_warnings(0.999, 0.995, 0.05, 0.5);
        assert!(matches!(w[..], [ModelWarning::SuspectedLeakage { .. }]));
        let w = model_warnings(0.56, 0.52, 0.6, 0.59);
        assert!(matches!(w[..], [ModelWarning::NoBetterThanPrior { .. }]));
        assert!(w[0].message().contains("0.520"));
        let w = model_warnings(1.0, 0.7, 0.5, 0.6);
        assert!(matches!(w[..], [ModelWarning::Overfitting { .. }]));
        assert!(w[0].message().contains("1.000") && w[0].message().contains("0.700"));
    }

    #[test]
    fn the_best_model_is_chosen_by_cv_when_all_have_it() {
        let (ds, config) = sample(300);
        let split = split_rows(&ds, &config).expect("split");
        let plan = TrainPlan::single(config);
        let a = run_model(&ds, &plan, ModelKind::Logistic, &split, |_| true, &|| 0.0).expect("a");
        let mut b = a.clone();
        b.outcome.test.roc_auc = a.outcome.test.roc_auc + 0.01;
        assert_eq!(best_model(&[a.clone(), b.clone()]), Some(1));
        let cv = |mean| CvScore {
            folds: 5,
            scoring: Scoring::RocAuc,
            mean,
            std: 0.0,
            settings_tried: 1,
        };
        let (mut a, mut b) = (a, b);
        a.cv = Some(cv(0.9));
        b.cv = Some(cv(0.8));
        assert_eq!(best_model(&[a, b]), Some(0));
        assert_eq!(best_model::<ModelRun>(&[]), None);
    }

    #[test]
    fn progress_counts_models_and_fits_and_keeps_the_current_loss_curve() {
        let (_, config) = sample(50);
        let mut plan = TrainPlan::single(config);
        plan.models = vec![ModelKind::Logistic, ModelKind::Gbdt];
        plan.cv_folds = Some(2);
        let mut t = PlanProgress::new(&plan);
        let p = |iteration, loss| Progress {
            iteration,
            max_iterations: 10,
            loss,
        };
        t.observe(0, Step::Fit(p(1, 0.7)));
        t.observe(0, Step::Fit(p(2, 0.6)));
        let r = t.report();
        assert!(
            r.stage
                .starts_with("Logistic regression (model 1 of 2), fit 1 of 3"),
            "{}",
            r.stage
        );
        assert_eq!(r.loss, vec![(1, 0.7), (2, 0.6)]);
        assert!((r.fraction - 0.2 / 3.0 / 2.0).abs() < 1e-12);
        t.observe(0, Step::Fit(p(1, 0.69)));
        let r = t.report();
        assert!(r.stage.contains("fit 2 of 3"), "{}", r.stage);
        assert_eq!(r.loss, vec![(1, 0.69)], "a new fit starts a new curve");
        t.observe(1, Step::Fit(p(5, 0.3)));
        let r = t.report();
        assert!(
            r.stage
                .starts_with("Gradient-boosted trees (model 2 of 2), fit 1 of 3: tree 5"),
            "{}",
            r.stage
        );
        assert!((r.fraction - (1.0 + 0.5 / 3.0) / 2.0).abs() < 1e-12);
        // A background worker's share of a 4-model plan names the models by their place
        // in the whole plan; its fraction is of its own share.
        let mut t = PlanProgress::new(&plan).numbered(vec![2, 4], 4);
        t.observe(1, Step::Fit(p(5, 0.3)));
        let r = t.report();
        assert!(
            r.stage
                .starts_with("Gradient-boosted trees (model 4 of 4), fit 1 of 3: tree 5"),
            "{}",
            r.stage
        );
        assert!((r.fraction - (1.0 + 0.5 / 3.0) / 2.0).abs() < 1e-12);
    }
}
