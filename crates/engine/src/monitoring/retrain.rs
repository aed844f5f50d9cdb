//! "Retrain with the new data": a saved model's settings trained again on a new labelled
//! export, and the old and new models tested on the same held-out customers of that export,
//! so the merchant can decide whether to replace the saved model.

use crate::dataset::Dataset;
use crate::evaluating::metrics::ClassificationReport;
use crate::modelling::config::{ModelKind, TrainConfig};
use crate::modelling::models::{FittedModel, Progress};
use crate::modelling::pipeline::PipelineError;
use crate::modelling::training::{fit_and_test, split_rows};
use crate::monitoring::model_file::{ModelFile, ModelFileParts};

/// A retrained model beside the one it would replace.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Retrained {
    /// The new model file (the saved one's tiers, profit inputs and playbook kept).
    pub model: ModelFile,
    /// The saved model on the new export's held-out customers.
    pub old: ClassificationReport,
    /// The new model on the same customers.
    pub new: ClassificationReport,
    pub train_rows: usize,
    pub test_rows: usize,
}

/// The settings `model` was trained with; for a file without them, the engine's defaults
/// for its target and model kind.
pub fn saved_settings(model: &ModelFile) -> TrainConfig {
    model.settings.clone().unwrap_or_else(|| {
        let mut config = TrainConfig::new(model.pipeline.target.clone());
        config.model = match model.pipeline.model {
            FittedModel::Logistic(_) => ModelKind::Logistic,
            FittedModel::Gbdt(_) => ModelKind::Gbdt,
            FittedModel::Forest(_) => ModelKind::Forest,
            FittedModel::Mlp(_) => ModelKind::Mlp,
        };
        config
    })
}

/// Trains `model`'s settings on `ds` (a new export whose columns [`super::scoring::
/// match_columns`] has matched, with the target), split as at training, and tests the old
/// and the new model on the same held-out customers. `name` and `trained_on` describe the
/// new export; `progress` gets the fit's progress (returning `false` cancels).
pub fn retrain(
    model: &ModelFile,
    ds: &Dataset,
    name: &str,
    trained_on: &str,
    progress: impl FnMut(Progress) -> bool,
) -> Result<Retrained, PipelineError> {
    let config = saved_settings(model);
    let split = split_rows(ds, &config)?;
    let outcome = fit_and_test(ds, &split.train, &split.test, &config, progress)?;
    let labels = config.target.labels(ds)?;
    let (test, y): (Vec<usize>, Vec<u8>) = split
        .test
        .iter()
        .filter_map(|&r| labels[r].map(|l| (r, l)))
        .unzip();
    let new_scores = outcome.pipeline.predict_proba(ds, &test)?;
    let old_scores = model.pipeline.predict_proba(ds, &test)?;
    let old = ClassificationReport::new(&y, &old_scores, model.pipeline.threshold)?;
    let all: Vec<usize> = (0..ds.n_rows).collect();
    let file = ModelFile::new(ModelFileParts {
        ds,
        name,
        trained_on,
        profile_rows: &all,
        pipeline: outcome.pipeline,
        test: &outcome.test,
        test_scores: &new_scores,
        tiers: model.tiers,
        profit: model.profit.clone(),
        playbook: model.playbook.clone(),
        settings: Some(config),
    });
    Ok(Retrained {
        old,
        new: outcome.test,
        train_rows: outcome.n_train,
        test_rows: test.len(),
        model: file,
    })
}
