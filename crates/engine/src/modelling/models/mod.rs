//! Classifiers. Each follows linfa's shape: a `…Params` builder whose setters document their
//! defaults, validated by `check()`, fitted into a `Fitted…` value that predicts and
//! serialises. [`FittedModel`] is the closed set a pipeline can hold.

pub mod forest;
pub mod gbdt;
pub mod lbfgs;
pub mod logistic;
pub mod mlp;
pub mod readout;
pub(crate) mod treeshap;

use serde::{Deserialize, Serialize};

use crate::matrix::{Features, Matrix, MatrixExt, RowCells};
pub use forest::{FittedForest, ForestParams, ForestPaths, GrownTree};
pub use gbdt::{FittedGbdt, GbdtParams, GbdtPaths};
pub use logistic::{FittedLogisticRegression, LogisticRegressionParams, Penalty};
pub use mlp::{FittedMlp, MlpParams};

/// Why a model could not be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    #[error("{0} rows of features but {1} labels")]
    MismatchedShapes(usize, usize),
    #[error("the training rows contain only one class")]
    SingleClassTarget,
    #[error("feature {feature} of row {row} is not finite ({value})")]
    NonFinite {
        row: usize,
        feature: usize,
        value: f64,
    },
    #[error("training was cancelled")]
    Cancelled,
    /// A fitted model that cannot have come from a fit, e.g. a damaged or edited model file.
    #[error("the model is inconsistent: {0}")]
    InvalidModel(String),
}

pub type Result<T> = std::result::Result<T, ModelError>;

/// What makes one tree of a fitted forest or boosted model unusable (a damaged or edited
/// model file); reported as [`ModelError::InvalidModel`] with the tree's number.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum TreeDefect {
    #[error("no leaves")]
    NoLeaves,
    #[error("no nodes")]
    NoNodes,
    #[error("node {node} splits feature {feature}")]
    FeatureOutOfRange { node: usize, feature: usize },
    /// A child that is not after its parent, or past the end of the nodes or leaves.
    #[error(
        "node {node} points to {}({child}) of {nodes} nodes and {leaves} leaves",
        if *to_leaf { "Leaf" } else { "Node" }
    )]
    ChildOutOfPlace {
        node: usize,
        to_leaf: bool,
        child: usize,
        nodes: usize,
        leaves: usize,
    },
    /// A forest's split node with its feature or a child out of place.
    #[error("node {node} splits feature {feature} into nodes {left} and {right} of {nodes}")]
    SplitOutOfPlace {
        node: usize,
        feature: usize,
        left: usize,
        right: usize,
        nodes: usize,
    },
}

/// What a model reports while it trains; returning `false` from the callback cancels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub iteration: usize,
    pub max_iterations: usize,
    pub loss: f64,
}

/// How much each class counts in a fit, as scikit-learn's `class_weight`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClassWeight {
    /// Every row counts once (default).
    #[default]
    None,
    /// Each class weighs n / (2 · n_class), so both classes count as much in total
    /// (scikit-learn's `class_weight="balanced"`).
    Balanced,
    /// Explicit weights of the negative (0) and positive (1) class.
    Custom { negative: f64, positive: f64 },
}

impl ClassWeight {
    /// The weights of class 0 and class 1 on labels `y`; `None` when every row counts once.
    pub fn class_weights(&self, y: &[u8]) -> Result<Option<[f64; 2]>> {
        match *self {
            ClassWeight::None => Ok(None),
            ClassWeight::Balanced => {
                let positives = y.iter().filter(|&&v| v == 1).count();
                let negatives = y.len() - positives;
                if positives == 0 || negatives == 0 {
                    return Err(ModelError::SingleClassTarget);
                }
                let n = y.len() as f64;
                Ok(Some([
                    n / (2.0 * negatives as f64),
                    n / (2.0 * positives as f64),
                ]))
            }
            ClassWeight::Custom { negative, positive } => {
                if !(negative.is_finite()
                    && positive.is_finite()
                    && negative > 0.0
                    && positive > 0.0)
                {
                    return Err(ModelError::InvalidParameter(format!(
                        "class weights must be positive numbers, got {negative} and {positive}"
                    )));
                }
                Ok(Some([negative, positive]))
            }
        }
    }

    /// One weight per row of `y`; `None` when every row counts once.
    pub fn sample_weights(&self, y: &[u8]) -> Result<Option<Vec<f64>>> {
        Ok(self
            .class_weights(y)?
            .map(|w| y.iter().map(|&v| w[usize::from(v == 1)]).collect()))
    }
}

/// Any fitted model a pipeline can hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FittedModel {
    Logistic(FittedLogisticRegression),
    Gbdt(FittedGbdt),
    Forest(FittedForest),
    Mlp(FittedMlp),
}

impl FittedModel {
    /// Probability of the positive class for each row.
    pub fn predict_proba(&self, x: &Matrix) -> Vec<f64> {
        match self {
            FittedModel::Logistic(m) => m.predict_proba(x),
            FittedModel::Gbdt(m) => m.predict_proba(x),
            FittedModel::Forest(m) => m.predict_proba(x),
            FittedModel::Mlp(m) => m.predict_proba(x),
        }
    }

    /// [`Self::predict_proba`] of features as the preprocessor gives them: the logistic
    /// regression and the network read sparse rows as they are, the trees every cell.
    pub fn predict_features(&self, x: &Features) -> Vec<f64> {
        match (self, x) {
            (FittedModel::Logistic(m), x) => m.predict_features(x),
            (FittedModel::Mlp(m), x) => m.predict_features(x),
            (_, Features::Dense(m)) => self.predict_proba(m),
            (_, Features::Sparse(rows)) => self.predict_proba(&rows.to_dense()),
        }
    }

    /// Checks that the model can score rows of `n_features` features without going out of
    /// bounds or looping: what a model read from a file must pass before it predicts.
    pub fn check(&self, n_features: usize) -> Result<()> {
        match self {
            FittedModel::Logistic(m) => m.check(n_features),
            FittedModel::Gbdt(m) => m.check(n_features),
            FittedModel::Forest(m) => m.check(n_features),
            FittedModel::Mlp(m) => m.check(n_features),
        }
    }
}

/// The error of a model that fails [`FittedModel::check`].
pub(crate) fn invalid(what: String) -> ModelError {
    ModelError::InvalidModel(what)
}

/// Checks the shared preconditions of every fit: matching shapes, both classes, finite values.
pub(crate) fn check_training_data(x: &Matrix, y: &[u8]) -> Result<()> {
    check_training_data_where(x, y, |v| v.is_finite())
}

/// [`check_training_data`] of features kept as their non-zero cells; `Ok(false)` when more
/// of their cells are non-zero than [`logistic::SPARSE_SHARE`], where a fit reads every cell
/// (as from a dense matrix, so the same sums).
pub(crate) fn check_sparse_training_data(x: &crate::matrix::SparseRows, y: &[u8]) -> Result<bool> {
    if x.n_rows() != y.len() {
        return Err(ModelError::MismatchedShapes(x.n_rows(), y.len()));
    }
    if !(y.contains(&0) && y.contains(&1)) {
        return Err(ModelError::SingleClassTarget);
    }
    for i in 0..x.n_rows() {
        let (columns, values) = x.row(i);
        if let Some(k) = values.iter().position(|v| !v.is_finite()) {
            return Err(ModelError::NonFinite {
                row: i,
                feature: columns[k] as usize,
                value: values[k],
            });
        }
    }
    let cells = (x.n_rows() * x.cols()) as f64;
    Ok(x.non_zero() as f64 <= logistic::SPARSE_SHARE * cells)
}

/// [`check_training_data`] with the test of an acceptable value given (trees accept NaN).
pub(crate) fn check_training_data_where(
    x: &Matrix,
    y: &[u8],
    acceptable: impl Fn(f64) -> bool,
) -> Result<()> {
    let x = x.row_major();
    if x.rows != y.len() {
        return Err(ModelError::MismatchedShapes(x.rows, y.len()));
    }
    if !(y.contains(&0) && y.contains(&1)) {
        return Err(ModelError::SingleClassTarget);
    }
    if let Some(i) = x.data.iter().position(|&v| !acceptable(v)) {
        return Err(ModelError::NonFinite {
            row: i / x.cols.max(1),
            feature: i % x.cols.max(1),
            value: x.data[i],
        });
    }
    Ok(())
}
