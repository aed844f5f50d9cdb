//! "Retrain with the new data": a saved model's settings trained again on a new labelled
//! export, and the old and new models tested on the same held-out customers of that export,
//! so the merchant can decide whether to replace the saved model.

use crate::dataset::{Column, ColumnData, Dataset, MISSING_CODE};
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
    /// Rows of the original training data trained on beside the new export (0 without it).
    #[serde(default)]
    pub original_rows: usize,
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
/// and the new model on the same held-out customers of `ds`. With `original` (the data the
/// model was trained on, matched too), every labelled row of it trains as well; the
/// held-out customers stay the new export's. `name` and `trained_on` describe the new
/// export; `progress` gets the fit's progress (returning `false` cancels).
pub fn retrain(
    model: &ModelFile,
    ds: &Dataset,
    original: Option<&Dataset>,
    name: &str,
    trained_on: &str,
    progress: impl FnMut(Progress) -> bool,
) -> Result<Retrained, PipelineError> {
    let config = saved_settings(model);
    let split = split_rows(ds, &config)?;
    let (data, offset, name) = match original {
        Some(earlier) => (
            stack(earlier, ds),
            earlier.n_rows,
            format!("{name} + {}", model.dataset.name),
        ),
        None => (ds.clone(), 0, name.to_string()),
    };
    let labels = config.target.labels(&data)?;
    let mut train: Vec<usize> = (0..offset).filter(|&r| labels[r].is_some()).collect();
    train.extend(split.train.iter().map(|r| r + offset));
    let test_all: Vec<usize> = split.test.iter().map(|r| r + offset).collect();
    let outcome = fit_and_test(&data, &train, &test_all, &config, progress)?;
    let (test, y): (Vec<usize>, Vec<u8>) = test_all
        .iter()
        .filter_map(|&r| labels[r].map(|l| (r, l)))
        .unzip();
    let new_scores = outcome.pipeline.predict_proba(&data, &test)?;
    let old_scores = model.pipeline.predict_proba(&data, &test)?;
    let old = ClassificationReport::new(&y, &old_scores, model.pipeline.threshold)?;
    let all: Vec<usize> = (0..data.n_rows).collect();
    let file = ModelFile::new(ModelFileParts {
        ds: &data,
        name: &name,
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
        original_rows: offset,
        model: file,
    })
}

/// The rows of `earlier` followed by those of `later`, over `later`'s columns (in its order
/// and kinds). A column `earlier` lacks is missing on its rows; a column stored as numbers
/// on one side and text on the other becomes text (numbers written as Rust prints them).
pub fn stack(earlier: &Dataset, later: &Dataset) -> Dataset {
    let columns = later
        .columns
        .iter()
        .map(|column| {
            let before = earlier.column(&column.name).map(|c| &c.data);
            let data = match (before, &column.data) {
                (Some(ColumnData::Numeric(a)), ColumnData::Numeric(b)) => {
                    ColumnData::Numeric(a.iter().chain(b).copied().collect())
                }
                (None, ColumnData::Numeric(b)) => ColumnData::Numeric(
                    std::iter::repeat_n(f64::NAN, earlier.n_rows)
                        .chain(b.iter().copied())
                        .collect(),
                ),
                (before, after) => {
                    let mut text: Vec<Option<String>> = match before {
                        Some(data) => cells_as_text(data),
                        None => vec![None; earlier.n_rows],
                    };
                    text.extend(cells_as_text(after));
                    encode(text)
                }
            };
            Column {
                name: column.name.clone(),
                kind: column.kind,
                data,
            }
        })
        .collect();
    Dataset {
        n_rows: earlier.n_rows + later.n_rows,
        columns,
    }
}

fn cells_as_text(data: &ColumnData) -> Vec<Option<String>> {
    match data {
        ColumnData::Numeric(v) => v
            .iter()
            .map(|x| x.is_finite().then(|| format!("{x}")))
            .collect(),
        ColumnData::Categorical { levels, codes } => codes
            .iter()
            .map(|&c| (c != MISSING_CODE).then(|| levels[c as usize].clone()))
            .collect(),
    }
}

fn encode(cells: Vec<Option<String>>) -> ColumnData {
    let mut levels: Vec<String> = Vec::new();
    let mut index: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let codes = cells
        .into_iter()
        .map(|cell| match cell {
            None => MISSING_CODE,
            Some(text) => *index.entry(text.clone()).or_insert_with(|| {
                levels.push(text);
                (levels.len() - 1) as u32
            }),
        })
        .collect();
    ColumnData::Categorical { levels, codes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::ColumnKind;

    fn numbers(name: &str, v: &[f64]) -> Column {
        Column {
            name: name.into(),
            kind: ColumnKind::Numeric,
            data: ColumnData::Numeric(v.to_vec()),
        }
    }

    fn text(name: &str, v: &[Option<&str>]) -> Column {
        Column {
            name: name.into(),
            kind: ColumnKind::Categorical,
            data: encode(v.iter().map(|c| c.map(String::from)).collect()),
        }
    }

    #[test]
    fn stacking_keeps_later_columns_and_aligns_levels() {
        let earlier = Dataset {
            n_rows: 2,
            columns: vec![
                numbers("a", &[1.0, 2.0]),
                text("c", &[Some("x"), None]),
                numbers("id", &[7.0, 8.0]),
            ],
        };
        let later = Dataset {
            n_rows: 3,
            columns: vec![
                text("c", &[Some("y"), Some("x"), Some("y")]),
                numbers("a", &[3.0, f64::NAN, 5.0]),
                text("id", &[Some("A1"), Some("A2"), None]),
                numbers("new", &[1.0, 1.0, 1.0]),
            ],
        };
        let both = stack(&earlier, &later);
        assert_eq!(both.n_rows, 5);
        let names: Vec<&str> = both.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["c", "a", "id", "new"]);
        let cells = |name: &str| cells_as_text(&both.column(name).expect("column").data);
        let s = |v: &[Option<&str>]| -> Vec<Option<String>> {
            v.iter().map(|c| c.map(String::from)).collect()
        };
        assert_eq!(
            cells("c"),
            s(&[Some("x"), None, Some("y"), Some("x"), Some("y")])
        );
        assert_eq!(
            cells("a"),
            s(&[Some("1"), Some("2"), Some("3"), None, Some("5")])
        );
        // Numbers on one side, text on the other: text.
        assert_eq!(
            cells("id"),
            s(&[Some("7"), Some("8"), Some("A1"), Some("A2"), None])
        );
        // A column the earlier data lacks: missing there.
        assert_eq!(
            cells("new"),
            s(&[None, None, Some("1"), Some("1"), Some("1")])
        );
    }
}
