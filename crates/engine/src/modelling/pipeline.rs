//! One fitted, serialisable churn pipeline: target, preprocessing, model and threshold.
//!
//! [`FittedPipeline`] is a plain serde value carrying everything needed to score a new export
//! (it is what the planned model file will hold, under [`MODEL_FORMAT_VERSION`]).
//! [`train_and_evaluate`] is the whole thin slice the page and the CLI run: label the rows,
//! split them, fit preprocessing and model on the training part only, score the test part.

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::evaluating::metrics::{ClassificationReport, MetricsError};
use crate::matrix::Features;
use crate::modelling::calibration::{
    CalibrationError, CalibrationMethod, Calibrator, PriorCorrection,
};
use crate::modelling::config::TuningError;
pub use crate::modelling::config::{ModelKind, Resample, TrainConfig, POST_FIT_FOLDS};
use crate::modelling::models::logistic::SPARSE_SHARE;
use crate::modelling::models::{FittedModel, GrownTree, ModelError, Progress};
use crate::modelling::preprocessing::{FeatureBlock, FittedPreprocessor, PrepError};
use crate::modelling::split::SplitError;
use crate::modelling::threshold::{ThresholdChoice, ThresholdError};
use crate::reading::ingest::ReadOptions;
use crate::rng::Rng;
use crate::understanding::target::{Target, TargetError};

/// Version of the serialised pipeline layout; bumped on any incompatible change.
pub const MODEL_FORMAT_VERSION: u32 = 1;

/// Any failure of the training workflow, wrapping the step that failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Split(#[from] SplitError),
    #[error(transparent)]
    Prep(#[from] PrepError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    #[error("the file has no rows with a value in the target column '{0}'")]
    NoLabelledRows(String),
    #[error("tuning: {0}")]
    Tuning(#[from] TuningError),
    #[error(transparent)]
    Calibration(#[from] CalibrationError),
    #[error(transparent)]
    Threshold(#[from] ThresholdError),
    #[error("could not explain the model: {0}")]
    Explanation(String),
    #[error("choose at least one model to train")]
    NoModels,
    #[error("only {} ({column} = {value}); at least {needed} of each class are needed to train and test a model", class_count(*.count, *.churned))]
    TooFewRows {
        column: String,
        /// The target value of the scarce class.
        value: String,
        /// Whether the scarce class is the churners.
        churned: bool,
        count: usize,
        needed: usize,
    },
}

/// Fewest labelled rows of each class [`split_rows`] accepts. With fewer, the test part
/// holds a handful of one class, so its ROC AUC moves by a large step per customer and
/// every number the page shows would be noise.
pub const MIN_CLASS_ROWS: usize = 20;

/// "7 customers churned", "1 customer did not churn".
fn class_count(count: usize, churned: bool) -> String {
    let noun = if count == 1 { "customer" } else { "customers" };
    let verb = if churned { "churned" } else { "did not churn" };
    format!("{count} {noun} {verb}")
}

pub type Result<T> = std::result::Result<T, PipelineError>;

/// `rows` rebalanced as `how` says: minority rows drawn again, or majority rows dropped,
/// until both classes are as many; sorted.
pub(crate) fn resample_rows(rows: &[usize], y: &[u8], how: Resample, seed: u64) -> Vec<usize> {
    let mut by_class: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for (&r, &label) in rows.iter().zip(y) {
        by_class[usize::from(label == 1)].push(r);
    }
    let minority = usize::from(by_class[1].len() < by_class[0].len());
    let (small, large) = (by_class[minority].len(), by_class[1 - minority].len());
    let mut rng = Rng::new(seed);
    let mut out = match how {
        Resample::Over if small > 0 => {
            let mut out = rows.to_vec();
            let pool = &by_class[minority];
            out.extend((0..large - small).map(|_| pool[rng.below(small)]));
            out
        }
        Resample::Under => {
            let mut majority = by_class[1 - minority].clone();
            rng.shuffle(&mut majority);
            majority.truncate(small);
            majority.extend_from_slice(&by_class[minority]);
            majority
        }
        Resample::Over => rows.to_vec(),
    };
    out.sort_unstable();
    out
}

/// One weight of a fitted logistic regression, on the name of the feature it multiplies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coefficient {
    /// The source column, or `column=level` for a category, `column is missing` for an
    /// indicator.
    pub feature: String,
    pub coefficient: f64,
    /// e^coefficient: how the odds of churn multiply per standard deviation of a number, or
    /// for a customer with the level against one without.
    pub odds_ratio: f64,
    /// For a number: how the odds multiply per unit of the column as the file gives it.
    pub odds_ratio_per_unit: Option<f64>,
}

/// A fitted pipeline, ready to score rows of any table with the same columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPipeline {
    pub format_version: u32,
    pub target: Target,
    pub preprocessor: FittedPreprocessor,
    pub model: FittedModel,
    pub threshold: f64,
    /// Shifts the model's probabilities from the churn share it was fitted to (after class
    /// weights or resampling) back to the real one; applied before `calibrator`. `None` when
    /// the model saw the real share (and in model files from before it existed).
    #[serde(default)]
    pub prior_correction: Option<PriorCorrection>,
    /// Maps the (prior-corrected) scores to calibrated probabilities.
    #[serde(default)]
    pub calibrator: Option<Calibrator>,
    /// How the threshold was chosen, with its out-of-fold precision and recall.
    #[serde(default)]
    pub threshold_choice: Option<ThresholdChoice>,
}

/// How long the two steps of a fit took, measured by a clock the caller passes (the
/// engine has none: it runs in the page, the worker and natively alike).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct FitTimes {
    /// Fitting the preprocessing and building the feature matrix.
    pub prep_seconds: f64,
    /// Fitting the model on that matrix.
    pub model_seconds: f64,
}

/// The rows of a fit prepared for the model: those with a target value (resampled as the
/// configuration says), the preprocessing fitted on them and their feature matrix.
struct Prepared {
    /// The labelled rows as they are, and their labels.
    real_rows: Vec<usize>,
    real_y: Vec<u8>,
    /// The rows the model is fitted on (resampled) and their labels.
    y: Vec<u8>,
    preprocessor: FittedPreprocessor,
    x: Features,
}

impl Prepared {
    fn new(ds: &Dataset, rows: &[usize], config: &TrainConfig) -> Result<Self> {
        let labels = config.target.labels(ds)?;
        // Rows without a target value teach nothing; they are left out, not counted as 0.
        let real_rows: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&r| labels[r].is_some())
            .collect();
        if real_rows.is_empty() {
            return Err(PipelineError::NoLabelledRows(config.target.column.clone()));
        }
        let label_of =
            |rows: &[usize]| -> Vec<u8> { rows.iter().map(|&r| labels[r].unwrap_or(0)).collect() };
        let real_y = label_of(&real_rows);
        let (rows, y) = match config.resample {
            Some(how) => {
                let rows = resample_rows(&real_rows, &real_y, how, config.seed);
                let y = label_of(&rows);
                (rows, y)
            }
            None => (real_rows.clone(), real_y.clone()),
        };
        let mut exclude = config.ignore.clone();
        exclude.push(config.target.column.clone());
        exclude.extend(config.split_by_date.iter().cloned());
        let preprocessor = if config.model.uses_tree_features() {
            FittedPreprocessor::fit_for_trees_with(ds, &rows, &exclude, &config.prep)?
        } else {
            FittedPreprocessor::fit_with(ds, &rows, &exclude, &config.prep)?
        };
        let x = features_for(&preprocessor, config.model, ds, &rows)?;
        Ok(Prepared {
            real_rows,
            real_y,
            y,
            preprocessor,
            x,
        })
    }

    /// The pipeline of `model` fitted on these rows: with class weights or resampling, the
    /// prior correction matched on the rows as they are.
    fn pipeline(
        self,
        ds: &Dataset,
        config: &TrainConfig,
        model: FittedModel,
    ) -> Result<FittedPipeline> {
        let weights = config.class_weight().class_weights(&self.y)?;
        // The shift is matched on the rows as they are, not as resampled.
        let prior_correction = match PriorCorrection::for_fit(&self.real_y, &self.y, weights) {
            Some(c) if config.resample.is_some() => {
                let x = features_for(&self.preprocessor, config.model, ds, &self.real_rows)?;
                Some(c.matched_to(&model.predict_features(&x)))
            }
            Some(c) => Some(c.matched_to(&model.predict_features(&self.x))),
            None => None,
        };
        Ok(FittedPipeline {
            format_version: MODEL_FORMAT_VERSION,
            target: config.target.clone(),
            preprocessor: self.preprocessor,
            model,
            threshold: config.threshold,
            prior_correction,
            calibrator: None,
            threshold_choice: None,
        })
    }
}

/// The features of `rows` of `ds` for a `model`: the logistic regression's and the
/// network's kept as their non-zero cells when they are mostly zeros (many one-hot
/// levels), so memory and time go with the non-zero cells; the trees' as every cell.
fn features_for(
    prep: &FittedPreprocessor,
    model: ModelKind,
    ds: &Dataset,
    rows: &[usize],
) -> Result<Features> {
    Ok(if matches!(model, ModelKind::Logistic | ModelKind::Mlp) {
        prep.transform_features(ds, rows, SPARSE_SHARE)?
    } else {
        Features::Dense(prep.transform(ds, rows)?)
    })
}

impl FittedPipeline {
    /// Fits preprocessing and model on those of `rows` of `ds` that have a target value.
    pub fn fit(
        ds: &Dataset,
        rows: &[usize],
        config: &TrainConfig,
        progress: impl FnMut(Progress) -> bool,
    ) -> Result<Self> {
        Self::fit_timed(ds, rows, config, progress, &|| 0.0).map(|(p, _)| p)
    }

    /// [`Self::fit`], also reporting how long each step took by `clock` (seconds).
    pub fn fit_timed(
        ds: &Dataset,
        rows: &[usize],
        config: &TrainConfig,
        progress: impl FnMut(Progress) -> bool,
        clock: &(dyn Fn() -> f64 + Sync),
    ) -> Result<(Self, FitTimes)> {
        Self::fit_timed_grown(ds, rows, config, None, progress, clock)
    }

    /// [`Self::fit_timed`], a forest's trees grown already (`grown`: every tree, in order,
    /// from [`Self::grow_forest_trees`] on the same rows and `config`, the page's workers
    /// each growing some): the forest is put together from them instead of grown again.
    /// `grown` is for a forest only.
    pub fn fit_timed_grown(
        ds: &Dataset,
        rows: &[usize],
        config: &TrainConfig,
        grown: Option<Vec<GrownTree>>,
        progress: impl FnMut(Progress) -> bool,
        clock: &(dyn Fn() -> f64 + Sync),
    ) -> Result<(Self, FitTimes)> {
        let start = clock();
        let prepared = Prepared::new(ds, rows, config)?;
        let (features, y) = (&prepared.x, &prepared.y);
        // The trees read every cell (and are given them).
        let x = || features.dense();
        let prepared_at = clock();
        let categorical = || prepared.preprocessor.categorical_features();
        let model = match (config.model, grown) {
            (ModelKind::Forest, Some(trees)) => FittedModel::Forest(config.forest.fit_grown(
                &x(),
                &categorical(),
                y,
                trees,
                progress,
            )?),
            (_, Some(_)) => {
                return Err(ModelError::InvalidParameter(format!(
                    "trees grown ahead for a {:?} model, not a forest",
                    config.model
                ))
                .into())
            }
            (ModelKind::Logistic, None) => {
                FittedModel::Logistic(config.logistic.fit_features(features, y, progress)?)
            }
            (ModelKind::Gbdt, None) => {
                FittedModel::Gbdt(config.gbdt.fit(&x(), &categorical(), y, progress)?)
            }
            (ModelKind::Forest, None) => {
                FittedModel::Forest(config.forest.fit(&x(), &categorical(), y, progress)?)
            }
            (ModelKind::Mlp, None) => {
                FittedModel::Mlp(config.mlp.fit_features(features, y, progress)?)
            }
        };
        let times = FitTimes {
            prep_seconds: prepared_at - start,
            model_seconds: clock() - prepared_at,
        };
        Ok((prepared.pipeline(ds, config, model)?, times))
    }

    /// The trees numbered `trees` of the forest [`Self::fit`] fits on `rows` of `ds` with
    /// `config` (a forest's), for [`Self::fit_timed_grown`]: the same preparation of the
    /// rows, then [`ForestParams::grow_trees`](crate::modelling::models::ForestParams::grow_trees).
    pub fn grow_forest_trees(
        ds: &Dataset,
        rows: &[usize],
        config: &TrainConfig,
        trees: std::ops::Range<usize>,
        progress: impl FnMut(Progress) -> bool,
    ) -> Result<Vec<GrownTree>> {
        if config.model != ModelKind::Forest {
            return Err(ModelError::InvalidParameter(format!(
                "trees to grow for a {:?} model, not a forest",
                config.model
            ))
            .into());
        }
        let prepared = Prepared::new(ds, rows, config)?;
        let categorical = prepared.preprocessor.categorical_features();
        Ok(config.forest.grow_trees(
            &prepared.x.dense(),
            &categorical,
            &prepared.y,
            trees,
            progress,
        )?)
    }

    /// The pipeline apart from a forest's trees, and the trees (`None` for the other
    /// models), so they can travel packed ([`GrownTree::pack_trees`]) rather than as text:
    /// a forest grown on 80,000 rows is about 170 MB of JSON. [`Self::put_forest_trees`]
    /// puts them back.
    pub fn forest_apart(
        &self,
    ) -> (
        FittedPipeline,
        Option<&[crate::modelling::models::forest::Tree]>,
    ) {
        let (model, trees) = match &self.model {
            FittedModel::Forest(f) => (FittedModel::Forest(f.without_trees()), Some(&f.trees[..])),
            other => (other.clone(), None),
        };
        let bare = FittedPipeline {
            format_version: self.format_version,
            target: self.target.clone(),
            preprocessor: self.preprocessor.clone(),
            model,
            threshold: self.threshold,
            prior_correction: self.prior_correction,
            calibrator: self.calibrator.clone(),
            threshold_choice: self.threshold_choice.clone(),
        };
        (bare, trees)
    }

    /// Puts back the trees [`Self::forest_apart`] left out; an error when the model is not
    /// a forest, or already has trees.
    pub fn put_forest_trees(
        &mut self,
        trees: Vec<crate::modelling::models::forest::Tree>,
    ) -> std::result::Result<(), String> {
        match &mut self.model {
            FittedModel::Forest(f) if f.trees.is_empty() => {
                f.trees = trees;
                Ok(())
            }
            FittedModel::Forest(_) => Err("the forest already has its trees".to_string()),
            _ => Err("trees came with a model that is not a forest".to_string()),
        }
    }

    /// Checks that the parts fit together, as a pipeline read from a model file must before
    /// it scores: the model takes as many features as the preprocessing makes, its trees
    /// and layers are well formed, the prior correction and the calibration map can be applied.
    pub fn check(&self) -> Result<()> {
        self.model.check(self.preprocessor.n_outputs())?;
        if let Some(c) = &self.prior_correction {
            c.check()?;
        }
        if let Some(c) = &self.calibrator {
            c.check()?;
        }
        Ok(())
    }

    /// Churn probability of each of `rows` of `ds`: the model's, corrected back to the real
    /// churn share when it was fitted with class weights or resampling, then calibrated when
    /// the pipeline is.
    pub fn predict_proba(&self, ds: &Dataset, rows: &[usize]) -> Result<Vec<f64>> {
        let x = self.features(ds, rows)?;
        Ok(self.churn_probabilities(self.model.predict_features(&x)))
    }

    /// The features of `rows` of `ds` as this pipeline's model reads them (sparse rows for
    /// a logistic regression or a network on many one-hot levels).
    pub fn features(&self, ds: &Dataset, rows: &[usize]) -> Result<Features> {
        features_for(&self.preprocessor, self.kind(), ds, rows)
    }

    /// Which kind of model the pipeline holds.
    pub fn kind(&self) -> ModelKind {
        match self.model {
            FittedModel::Logistic(_) => ModelKind::Logistic,
            FittedModel::Mlp(_) => ModelKind::Mlp,
            FittedModel::Gbdt(_) => ModelKind::Gbdt,
            FittedModel::Forest(_) => ModelKind::Forest,
        }
    }

    /// The churn probabilities of the model's probabilities `p`: corrected back to the
    /// real churn share and calibrated when the pipeline is.
    pub fn churn_probabilities(&self, mut p: Vec<f64>) -> Vec<f64> {
        if let Some(c) = &self.prior_correction {
            p = c.apply_all(&p);
        }
        match &self.calibrator {
            Some(c) => c.apply_all(&p),
            None => p,
        }
    }

    /// One sentence saying what was done to the model's probabilities before they are shown
    /// as churn probabilities: corrected back to the real churn share, calibrated, both, or
    /// nothing.
    pub fn probability_note(&self) -> String {
        let calibrated = self.calibrator.as_ref().map(|c| match c.method() {
            CalibrationMethod::Platt => "Platt scaling",
            CalibrationMethod::Isotonic => "isotonic regression",
        });
        match (&self.prior_correction, calibrated) {
            (Some(c), calibrated) => {
                let then = calibrated.map_or(String::new(), |m| {
                    format!(", then calibrated by {m} on out-of-fold scores")
                });
                format!(
                    "Probabilities corrected for the class weights or resampling: the model was \
                     fitted as if {:.1}% of customers churned, the training rows have {:.1}%, so \
                     its log-odds are lowered by {:.3} (prior correction){then}.",
                    100.0 * c.fitted_rate,
                    100.0 * c.base_rate,
                    c.log_odds_shift
                )
            }
            (None, Some(m)) => {
                format!(
                    "Probabilities calibrated by {m} on out-of-fold scores of the training rows."
                )
            }
            (None, None) => "Probabilities are the model's own: it was fitted on the customers \
                             as they are, without class weights or resampling, and not calibrated."
                .to_string(),
        }
    }

    /// The logistic regression's weights on feature names, with odds ratios; `None` for
    /// other models and after PCA (whose components mix the features).
    pub fn coefficients(&self) -> Option<Vec<Coefficient>> {
        let FittedModel::Logistic(m) = &self.model else {
            return None;
        };
        if self.preprocessor.pca.is_some() {
            return None;
        }
        let scale_of = |name: &str| {
            self.preprocessor.blocks.iter().find_map(|b| match b {
                FeatureBlock::Numeric { column, scale, .. } if column == name => Some(*scale),
                _ => None,
            })
        };
        Some(
            self.preprocessor
                .feature_names
                .iter()
                .zip(&m.coefficients)
                .map(|(feature, &coefficient)| Coefficient {
                    feature: feature.clone(),
                    coefficient,
                    odds_ratio: coefficient.exp(),
                    odds_ratio_per_unit: scale_of(feature).map(|s| (coefficient / s).exp()),
                })
                .collect(),
        )
    }

    /// How to read another file for this pipeline: categorical inputs and the target as text.
    pub fn read_options(&self) -> ReadOptions {
        let mut text_columns = self.preprocessor.categorical_columns();
        text_columns.push(self.target.column.clone());
        ReadOptions {
            text_columns,
            ..ReadOptions::default()
        }
    }

    /// Scores every labelled row of `ds` and reports the metrics at the pipeline's threshold.
    pub fn evaluate(&self, ds: &Dataset) -> Result<ClassificationReport> {
        let labels = self.target.labels(ds)?;
        let rows: Vec<usize> = (0..ds.n_rows).filter(|&r| labels[r].is_some()).collect();
        if rows.is_empty() {
            return Err(PipelineError::NoLabelledRows(self.target.column.clone()));
        }
        self.evaluate_rows(ds, &rows, &labels)
    }

    pub(crate) fn evaluate_rows(
        &self,
        ds: &Dataset,
        rows: &[usize],
        labels: &[Option<u8>],
    ) -> Result<ClassificationReport> {
        let y: Vec<u8> = rows.iter().map(|&r| labels[r].unwrap_or(0)).collect();
        let p = self.predict_proba(ds, rows)?;
        Ok(ClassificationReport::new(&y, &p, self.threshold)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modelling::models::ClassWeight;
    use crate::modelling::threshold::ThresholdRule;
    use crate::modelling::training::*;
    use crate::reading::ingest::read_csv;
    use crate::reading::sample::{generate_csv, SampleSpec};
    use crate::understanding::target::{detect_target, target_for};

    #[test]
    fn trains_on_the_sample_dataset_and_round_trips_through_json() {
        let csv = generate_csv(&SampleSpec {
            customers: 1500,
            seed: 3,
        });
        let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample parses");
        let target = detect_target(&ds)
            .expect("ok")
            .expect("churned column found");
        assert_eq!(
            (target.column.as_str(), target.positive.as_str()),
            ("churned", "Yes")
        );
        let outcome = train_and_evaluate(&ds, &TrainConfig::new(target), |_| true).expect("train");
        assert_eq!(outcome.n_train + outcome.n_test, 1500);
        // The generator's churn depends strongly on recency, complaints and tenure, so a
        // linear model ranks well above chance; 0.75 is a floor, not a reference figure.
        assert!(outcome.test.roc_auc > 0.75, "AUC {}", outcome.test.roc_auc);
        let json = serde_json::to_string(&outcome.pipeline).expect("serialise");
        let back: FittedPipeline = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, outcome.pipeline);
        assert!(!back.preprocessor.input_columns().contains(&"customer_id"));
    }

    proptest::proptest! {
        #[test]
        fn training_never_panics_and_gives_probabilities(
            rows in proptest::collection::vec(
                (proptest::option::of(-1e6f64..1e6), 0u8..4, proptest::bool::ANY), 4..60)
        ) {
            // Random small tables (blank numbers, few levels, any class balance): training
            // either succeeds with metrics in range or reports an error, never panics.
            let mut csv = String::from("amount,plan,churn\n");
            for (amount, plan, churned) in &rows {
                let amount = amount.map(|a| a.to_string()).unwrap_or_default();
                csv.push_str(&format!("{amount},p{plan},{}\n", if *churned { "Yes" } else { "No" }));
            }
            let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("generated csv");
            let Ok(target) = target_for(&ds, "churn", Some("Yes")) else { return Ok(()) };
            if let Ok(o) = train_and_evaluate(&ds, &TrainConfig::new(target), |_| true) {
                proptest::prop_assert!((0.0..=1.0).contains(&o.test.roc_auc));
                proptest::prop_assert!(o.test.log_loss.is_finite());
                let all: Vec<usize> = (0..ds.n_rows).collect();
                let p = o.pipeline.predict_proba(&ds, &all).expect("score own rows");
                proptest::prop_assert!(p.iter().all(|p| (0.0..=1.0).contains(p)));
            }
        }
    }

    #[test]
    fn fit_leaves_out_rows_without_a_target() {
        // Rows 2 and 5 have no label; fitting on all rows must equal fitting on the others.
        let ds = read_csv(
            b"x,churn\n1,Yes\n2,No\n3,\n4,Yes\n5,No\n6,\n7,No\n8,Yes\n",
            &ReadOptions::default(),
        )
        .expect("csv");
        let config = TrainConfig::new(target_for(&ds, "churn", Some("Yes")).expect("target"));
        let all: Vec<usize> = (0..8).collect();
        let labelled = [0, 1, 3, 4, 6, 7];
        let a = FittedPipeline::fit(&ds, &all, &config, |_| true).expect("fit all");
        let b = FittedPipeline::fit(&ds, &labelled, &config, |_| true).expect("fit labelled");
        assert_eq!(a, b);
    }

    #[test]
    fn out_of_time_split_tests_on_the_latest_signups_without_the_date_feature() {
        // 100 customers who signed up on consecutive days; churn alternates in runs so both
        // classes are in both parts. With a 0.2 test share the 20 latest are the test rows.
        let mut csv = String::from("signup,spend,churn\n");
        for i in 0..100u32 {
            let day = 1 + i % 28;
            let month = 1 + i / 28;
            let churn = if (i / 3) % 3 == 0 { "Yes" } else { "No" };
            csv.push_str(&format!(
                "2024-{month:02}-{day:02},{},{churn}\n",
                (i * 37) % 101
            ));
        }
        let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("csv");
        let mut config = TrainConfig::new(target_for(&ds, "churn", Some("Yes")).expect("target"));
        config.split_by_date = Some("signup".into());
        let o = train_and_evaluate(&ds, &config, |_| true).expect("train");
        assert_eq!((o.n_train, o.n_test), (80, 20));
        assert_eq!(o.pipeline.preprocessor.input_columns(), vec!["spend"]);
        config.split_by_date = Some("spend".into());
        // A numeric column works as an ordering too; a missing one is a clear error.
        assert!(train_and_evaluate(&ds, &config, |_| true).is_ok());
        config.split_by_date = Some("nope".into());
        let err = train_and_evaluate(&ds, &config, |_| true).expect_err("no column");
        assert!(err.to_string().contains("no column 'nope'"), "{err}");
    }

    #[test]
    fn calibration_and_threshold_rule_travel_with_the_model() {
        let csv = generate_csv(&SampleSpec {
            customers: 800,
            seed: 5,
        });
        let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample");
        let mut config = TrainConfig::new(target_for(&ds, "churned", Some("Yes")).expect("target"));
        config.calibration = Some(CalibrationMethod::Isotonic);
        config.threshold_rule = Some(ThresholdRule::TargetRecall(0.7));
        config.resample = Some(Resample::Over);
        let o = train_and_evaluate(&ds, &config, |_| true).expect("train");
        let choice = o.pipeline.threshold_choice.clone().expect("a choice");
        assert!(choice.recall >= 0.7, "{choice:?}");
        assert_eq!(o.pipeline.threshold, choice.threshold);
        assert_eq!(o.test.threshold, choice.threshold);
        assert!(o.pipeline.calibrator.is_some());
        let json = serde_json::to_string(&o.pipeline).expect("json");
        let back: FittedPipeline = serde_json::from_str(&json).expect("read back");
        assert_eq!(back, o.pipeline);
    }

    #[test]
    fn every_models_outcome_survives_json_as_the_worker_sends_it() {
        // The worker sends a TrainOutcome to the page as JSON; every number in it must
        // survive (JSON has no infinity or NaN), for each model.
        let csv = generate_csv(&SampleSpec {
            customers: 400,
            seed: 8,
        });
        let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample");
        for model in [
            ModelKind::Logistic,
            ModelKind::Gbdt,
            ModelKind::Forest,
            ModelKind::Mlp,
        ] {
            let mut config =
                TrainConfig::new(target_for(&ds, "churned", Some("Yes")).expect("target"));
            config.model = model;
            let o = train_and_evaluate(&ds, &config, |_| true).expect("train");
            let json = serde_json::to_string(&o).expect("to json");
            let back: TrainOutcome =
                serde_json::from_str(&json).unwrap_or_else(|e| panic!("{model:?}: {e}"));
            assert_eq!(back, o, "{model:?}");
        }
    }

    #[test]
    fn balanced_models_are_corrected_to_the_real_churn_share_and_older_files_load() {
        let csv = generate_csv(&SampleSpec {
            customers: 600,
            seed: 4,
        });
        let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample");
        let mut config = TrainConfig::new(target_for(&ds, "churned", Some("Yes")).expect("target"));
        let plain = train_and_evaluate(&ds, &config, |_| true).expect("train");
        assert_eq!(plain.pipeline.prior_correction, None, "nothing to correct");
        config.logistic = config.logistic.clone().class_weight(ClassWeight::Balanced);
        let o = train_and_evaluate(&ds, &config, |_| true).expect("train");
        let c = o.pipeline.prior_correction.expect("a correction");
        assert!(
            (c.fitted_rate - 0.5).abs() < 1e-12,
            "balanced weights: {c:?}"
        );
        assert_eq!(c.base_rate, share_of_churners(&ds, &config, o.n_train));
        // A model file written before the correction existed has no `prior_correction` key:
        // it loads as uncorrected.
        let mut json = serde_json::to_value(&o.pipeline).expect("json");
        json.as_object_mut()
            .expect("an object")
            .remove("prior_correction");
        let old: FittedPipeline = serde_json::from_value(json).expect("old file loads");
        assert_eq!(old.prior_correction, None);
        old.check().expect("an old file is sound");
        // A damaged correction is caught before it scores.
        let mut damaged = o.pipeline.clone();
        damaged.prior_correction = Some(PriorCorrection {
            base_rate: f64::NAN,
            fitted_rate: 0.5,
            log_odds_shift: 1.0,
        });
        assert!(matches!(
            damaged.check(),
            Err(PipelineError::Calibration(CalibrationError::Invalid(_)))
        ));
    }

    /// The share of churners among the training rows of `config`'s split (`n_train` rows).
    fn share_of_churners(ds: &Dataset, config: &TrainConfig, n_train: usize) -> f64 {
        let labels = config.target.labels(ds).expect("labels");
        let split = split_rows(ds, config).expect("split");
        let churners = split
            .train
            .iter()
            .filter(|&&r| labels[r] == Some(1))
            .count();
        churners as f64 / n_train as f64
    }

    #[test]
    fn resampling_balances_the_classes() {
        // Rows 0..10, three of them churners (rows 1, 4, 7).
        let rows: Vec<usize> = (0..10).collect();
        let y: Vec<u8> = rows.iter().map(|&r| u8::from(r % 3 == 1)).collect();
        let over = resample_rows(&rows, &y, Resample::Over, 1);
        assert_eq!(over.len(), 14, "seven of each class");
        assert!(rows.iter().all(|r| over.contains(r)), "every row kept");
        assert_eq!(over.iter().filter(|&&r| r % 3 == 1).count(), 7);
        let under = resample_rows(&rows, &y, Resample::Under, 1);
        assert_eq!(under.len(), 6, "three of each class");
        assert_eq!(under.iter().filter(|&&r| r % 3 == 1).count(), 3);
    }

    #[test]
    fn reports_too_few_rows_per_class() {
        let ds = read_csv(b"x,churn\n1,Yes\n2,No\n3,No\n", &ReadOptions::default()).expect("csv");
        let target = target_for(&ds, "churn", None).expect("binary");
        let err = train_and_evaluate(&ds, &TrainConfig::new(target), |_| true).expect_err("tiny");
        assert_eq!(
            err.to_string(),
            "only 1 customer churned (churn = Yes); at least 20 of each class are needed to train and test a model"
        );
    }
}
