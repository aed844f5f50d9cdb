//! The jobs of a saved model's life: assembling its file from a training run, checking a
//! new export against it (scores, action list and drift), and retraining it on a new
//! labelled export. Plain serde values like the other jobs ([`crate::jobs`]); the worker
//! runs them, and so do the native tests.

use serde::{Deserialize, Serialize};

use churnscope_engine::acting::actions::{
    action_list, score_customers, ActionRow, Playbook, ProfitInputs, TierCuts,
};
use churnscope_engine::dataset::{group_thousands, Dataset};
use churnscope_engine::evaluating::metrics::ClassificationReport;
use churnscope_engine::modelling::pipeline::{FittedPipeline, TrainConfig};
use churnscope_engine::monitoring::model_file::{ModelFile, ModelFileParts};
use churnscope_engine::monitoring::report::{drift_report, DriftReport};
use churnscope_engine::monitoring::retrain::{retrain, Retrained};
use churnscope_engine::monitoring::scoring::{match_columns, ColumnMatch};
use churnscope_engine::progress::JobProgress;

use crate::jobs::{DatasetHeader, ReadRequest};

/// "Write the model file of this run": the training table travels beside it, one buffer per
/// column (the reference profile is computed from it, in the worker).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRequest {
    pub header: DatasetHeader,
    /// The training file's name and the day (`YYYY-MM-DD`).
    pub name: String,
    pub trained_on: String,
    pub pipeline: FittedPipeline,
    pub test: ClassificationReport,
    pub test_scores: Vec<f64>,
    pub tiers: TierCuts,
    pub profit: ProfitInputs,
    pub playbook: Playbook,
    pub settings: Option<TrainConfig>,
}

impl ModelRequest {
    /// The model file, its reference profile made of every row of `ds`.
    pub fn run(&self, ds: &Dataset) -> ModelFile {
        let all: Vec<usize> = (0..ds.n_rows).collect();
        ModelFile::new(ModelFileParts {
            ds,
            name: &self.name,
            trained_on: &self.trained_on,
            profile_rows: &all,
            pipeline: self.pipeline.clone(),
            test: &self.test,
            test_scores: &self.test_scores,
            tiers: self.tiers,
            profit: self.profit.clone(),
            playbook: self.playbook.clone(),
            settings: self.settings.clone(),
        })
    }
}

/// What to do with a new export and a saved model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonitorTask {
    /// Score it (action list) and measure its drift.
    Check,
    /// Train the saved settings on it and test old and new side by side.
    Retrain,
}

/// "Check this export against this model" (or retrain on it): the file travels beside the
/// request and is read in the worker with the model's read options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorRequest {
    pub model: ModelFile,
    pub read: ReadRequest,
    pub task: MonitorTask,
    /// Today (`YYYY-MM-DD`), the retrained model's date.
    #[serde(default)]
    pub today: String,
    /// For a retrain: the data the model was trained on, still open in the page, whose
    /// values travel beside the request (it trains too).
    #[serde(default)]
    pub original: Option<DatasetHeader>,
}

/// A new export checked against a saved model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorResult {
    /// The export's name and rows.
    pub name: String,
    pub rows: usize,
    pub columns: ColumnMatch,
    /// Every customer with tier, reasons, the playbook's action and expected value,
    /// riskiest first (the saved tiers, profit inputs and playbook).
    pub actions: Vec<ActionRow>,
    pub drift: DriftReport,
}

/// A new export's retrain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrainResult {
    pub name: String,
    pub columns: ColumnMatch,
    pub retrained: Retrained,
}

impl MonitorRequest {
    /// Matches `ds`'s columns to the model's (an error names a missing one), scores every
    /// customer with their reasons, builds the action list and measures the drift,
    /// reporting progress through `progress` (returning `false` cancels).
    pub fn check(
        &self,
        mut ds: Dataset,
        mut progress: impl FnMut(JobProgress) -> bool,
    ) -> Result<MonitorResult, String> {
        let columns = self.matched(&mut ds)?;
        let model = &self.model;
        let rows: Vec<usize> = (0..ds.n_rows).collect();
        let scored = score_customers(&model.pipeline, &ds, &rows, |done, total| {
            progress(JobProgress::new(
                format!(
                    "Scoring the new customers and finding their reasons: {} of {}",
                    group_thousands(done),
                    group_thousands(total)
                ),
                if total == 0 {
                    1.0
                } else {
                    0.9 * done as f64 / total as f64
                },
            ))
        })
        .map_err(|e| e.to_string())?;
        let actions = action_list(&ds, &scored, &model.tiers, &model.playbook, &model.profit)
            .map_err(|e| e.to_string())?;
        progress(JobProgress::new("Measuring the drift", 0.95));
        let drift = drift_report(model, &ds).map_err(|e| e.to_string())?;
        Ok(MonitorResult {
            name: self.read.name.clone(),
            rows: ds.n_rows,
            columns,
            actions,
            drift,
        })
    }

    /// Trains the model's settings on `ds` and tests old and new on the same held-out
    /// customers.
    pub fn retrain(
        &self,
        mut ds: Dataset,
        original: Option<Dataset>,
        mut progress: impl FnMut(JobProgress) -> bool,
    ) -> Result<RetrainResult, String> {
        let columns = self.matched(&mut ds)?;
        let original = match original {
            Some(mut earlier) => {
                match_columns(&self.model, &mut earlier)
                    .map_err(|e| format!("the original data no longer fits the model: {e}"))?;
                Some(earlier)
            }
            None => None,
        };
        let name = &self.read.name;
        let retrained = retrain(
            &self.model,
            &ds,
            original.as_ref(),
            name,
            &self.today,
            |p| {
                progress(JobProgress::new(
                    format!("Training on {}", self.read.name),
                    if p.max_iterations == 0 {
                        0.0
                    } else {
                        (p.iteration as f64 / p.max_iterations as f64).min(1.0)
                    },
                ))
            },
        )
        .map_err(|e| format!("{}: {e}", self.read.name))?;
        Ok(RetrainResult {
            name: self.read.name.clone(),
            columns,
            retrained,
        })
    }

    fn matched(&self, ds: &mut Dataset) -> Result<ColumnMatch, String> {
        match_columns(&self.model, ds).map_err(|e| format!("{}: {e}", self.read.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use churnscope_engine::monitoring::drift::DriftBin;
    use churnscope_engine::reading::ingest::{read_csv, ReadOptions};
    use churnscope_engine::reading::sample::{generate_csv, SampleSpec};
    use churnscope_engine::understanding::target::detect_target;

    fn sample(customers: usize, seed: u64) -> Dataset {
        let csv = generate_csv(&SampleSpec { customers, seed });
        read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample parses")
    }

    fn saved(ds: &Dataset) -> ModelFile {
        let target = detect_target(ds).expect("ok").expect("churn column");
        let config = TrainConfig::new(target);
        ModelFile::train(
            ds,
            "sample.csv",
            "2026-12-05",
            &config,
            None,
            ProfitInputs::default(),
            Playbook::ecommerce(),
        )
        .expect("trains")
    }

    fn request(model: ModelFile, task: MonitorTask) -> MonitorRequest {
        MonitorRequest {
            model,
            read: ReadRequest::new("june.csv", &ReadOptions::default()),
            task,
            today: "2026-12-05".into(),
            original: None,
        }
    }

    #[test]
    fn a_check_scores_every_customer_and_measures_the_drift() {
        // Trained on the generator's seed 7 (1,000 customers), checked on its seed 8 (600).
        let model = saved(&sample(1000, 7));
        let result = request(model, MonitorTask::Check)
            .check(sample(600, 8), |_| true)
            .expect("checks");
        assert_eq!(result.rows, 600);
        assert_eq!(result.actions.len(), 600);
        assert!(result
            .actions
            .windows(2)
            .all(|w| w[0].probability >= w[1].probability));
        assert!(!result.drift.features.is_empty());
        let bins: &[DriftBin] = &result.drift.features[0].bins;
        assert!(!bins.is_empty());
        // Same generator, other seed: the export as a whole has not drifted.
        assert!(!result.drift.dataset_drifted, "{:?}", result.drift.features);
        // The sample carries its churn column: the realised figures are there.
        assert!(result.drift.realised.is_some());
    }

    #[test]
    fn a_missing_column_is_named_and_nothing_is_scored() {
        let model = saved(&sample(1000, 7));
        let required = model
            .required_columns()
            .next()
            .expect("a required column")
            .name
            .clone();
        let mut ds = sample(300, 8);
        ds.columns.retain(|c| c.name != required);
        let err = request(model, MonitorTask::Check)
            .check(ds, |_| true)
            .expect_err("missing column");
        assert!(
            err.starts_with("june.csv: ") && err.contains(&required),
            "{err}"
        );
    }

    #[test]
    fn a_retrain_tests_old_and_new_on_the_same_customers() {
        let model = saved(&sample(1000, 7));
        let result = request(model, MonitorTask::Retrain)
            .retrain(sample(800, 8), None, |_| true)
            .expect("retrains");
        assert_eq!(result.retrained.old.n, result.retrained.new.n);
        assert_eq!(result.retrained.model.dataset.name, "june.csv");
        assert_eq!(result.retrained.model.dataset.trained_on, "2026-12-05");
    }

    #[test]
    fn a_model_request_writes_the_run_into_a_valid_file() {
        let ds = sample(500, 7);
        let model = saved(&ds);
        let request = ModelRequest {
            header: crate::jobs::dataset_header(&ds),
            name: "sample.csv".into(),
            trained_on: "2026-12-05".into(),
            pipeline: model.pipeline.clone(),
            test: ClassificationReport::new(&[0, 1, 0, 1], &[0.1, 0.8, 0.4, 0.6], 0.5)
                .expect("report"),
            test_scores: vec![0.1, 0.8, 0.4, 0.6],
            tiers: model.tiers,
            profit: model.profit.clone(),
            playbook: model.playbook.clone(),
            settings: model.settings.clone(),
        };
        let file = request.run(&ds);
        let back = ModelFile::from_json(&file.to_json()).expect("valid");
        assert_eq!(back.dataset.rows, 500);
        assert_eq!(back.metrics.n, 4);
        assert_eq!(back.reference, model.reference);
    }
}
