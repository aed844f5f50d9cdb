//! What the user asks to train: the model, its parameters, the split, the search, the
//! calibration and the flagging rule, as one serde value ([`TrainConfig`]).

use serde::{Deserialize, Serialize};

use crate::evaluating::metrics::{average_precision, roc_auc, MetricsError};
use crate::modelling::calibration::CalibrationMethod;
use crate::modelling::models::{
    ClassWeight, ForestParams, GbdtParams, LogisticRegressionParams, MlpParams,
};
use crate::modelling::preprocessing::PrepOptions;
use crate::modelling::threshold::ThresholdRule;
use crate::understanding::target::Target;

/// What to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub target: Target,
    /// Columns the user chose to leave out (besides the target and identifiers).
    pub ignore: Vec<String>,
    /// Share of labelled rows held out for testing (default 0.2).
    pub test_fraction: f64,
    /// Seed of the split (default 42).
    pub seed: u64,
    pub logistic: LogisticRegressionParams,
    /// Probability at or above which a customer is flagged (default 0.5).
    pub threshold: f64,
    /// When set, C is chosen by cross-validation on the training rows before the final fit.
    #[serde(default)]
    pub tuning: Option<Tuning>,
    /// Which model to fit.
    #[serde(default)]
    pub model: ModelKind,
    #[serde(default)]
    pub gbdt: GbdtParams,
    #[serde(default)]
    pub forest: ForestParams,
    #[serde(default)]
    pub mlp: MlpParams,
    /// Imputation, missing indicators, rare levels and PCA of the features.
    #[serde(default)]
    pub prep: PrepOptions,
    /// Random over- or under-sampling of the training rows (of each fold, when tuning).
    #[serde(default)]
    pub resample: Option<Resample>,
    /// Map the model's scores to calibrated probabilities, fitted on out-of-fold scores.
    #[serde(default)]
    pub calibration: Option<CalibrationMethod>,
    /// Choose the threshold by this rule on out-of-fold scores (else `threshold` is used).
    #[serde(default)]
    pub threshold_rule: Option<ThresholdRule>,
    /// Test on the latest customers by this date column instead of a random share; the
    /// column is then not a feature (a model cannot learn from dates it has not reached).
    #[serde(default)]
    pub split_by_date: Option<String>,
}

/// Rebalancing of the training rows before a fit; seeded by the configuration's seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resample {
    /// Draw minority rows again (with replacement) until both classes are as many.
    Over,
    /// Keep a random subset of the majority rows as large as the minority.
    Under,
}

/// Folds of the out-of-fold scores behind calibration and threshold choice (scikit-learn's
/// `CalibratedClassifierCV(ensemble=False)` and `TunedThresholdClassifierCV` use 5).
pub const POST_FIT_FOLDS: usize = 5;

/// The models a pipeline can fit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// L2 logistic regression on imputed, standardised, one-hot features.
    #[default]
    Logistic,
    /// Histogram gradient-boosted trees on raw numbers and category codes.
    Gbdt,
    /// A random forest of Gini trees on raw numbers and category codes.
    Forest,
    /// A neural network with one or two hidden layers on the logistic regression's features.
    Mlp,
}

impl ModelKind {
    /// Whether the model takes the trees' features (raw numbers, category codes).
    pub(crate) fn uses_tree_features(self) -> bool {
        matches!(self, ModelKind::Gbdt | ModelKind::Forest)
    }
}

impl TrainConfig {
    /// The class weights the chosen model is fitted with (only the logistic regression and
    /// the boosted trees take them).
    pub(crate) fn class_weight(&self) -> ClassWeight {
        match self.model {
            ModelKind::Logistic => self.logistic.class_weight_kind(),
            ModelKind::Gbdt => self.gbdt.class_weight,
            ModelKind::Forest | ModelKind::Mlp => ClassWeight::None,
        }
    }
}

impl TrainConfig {
    /// The defaults of the page: 80/20 split, seed 42, C = 1, threshold 0.5.
    pub fn new(target: Target) -> Self {
        TrainConfig {
            target,
            ignore: Vec::new(),
            test_fraction: 0.2,
            seed: 42,
            logistic: LogisticRegressionParams::new(),
            threshold: 0.5,
            tuning: None,
            model: ModelKind::Logistic,
            gbdt: GbdtParams::default(),
            forest: ForestParams::default(),
            mlp: MlpParams::default(),
            prep: PrepOptions::default(),
            resample: None,
            calibration: None,
            threshold_rule: None,
            split_by_date: None,
        }
    }
}

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

    pub(crate) fn score(self, y: &[u8], p: &[f64]) -> Result<f64, MetricsError> {
        match self {
            Scoring::RocAuc => roc_auc(y, p),
            Scoring::PrAuc => average_precision(y, p),
        }
    }
}

/// Why a hyperparameter search as set in a [`Tuning`] cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TuningError {
    #[error("the grid is empty")]
    EmptyGrid,
    #[error("a random search needs at least 1 setting")]
    NoRandomSettings,
    #[error("the grid of C values is empty")]
    EmptyCGrid,
    #[error("the cross-validation got {found} task results where it has {expected} tasks")]
    TaskResults { expected: usize, found: usize },
    #[error("the cross-validation has {tasks} tasks, so no task {task}")]
    NoSuchTask { task: usize, tasks: usize },
}

/// A search over a model's hyperparameters by k-fold cross-validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tuning {
    pub folds: usize,
    pub scoring: Scoring,
    /// The values of C a logistic regression tries.
    pub c_grid: Vec<f64>,
    /// Seed of the fold assignment and of the random draw.
    pub seed: u64,
    /// Random search: try this many settings of the grid, drawn without replacement.
    #[serde(default)]
    pub random: Option<usize>,
    /// Cross-validate only the configuration's own setting (no search): the fold scores
    /// estimate how well that one model does, as `cross_val_score` would.
    #[serde(default)]
    pub current_only: bool,
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
            random: None,
            current_only: false,
        }
    }
}
