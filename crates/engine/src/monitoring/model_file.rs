//! The model file: one versioned JSON document (`.churnscope.json`) holding everything needed
//! to score a later export and to judge it: the input schema, the fitted pipeline, the tier
//! cut-offs, profit inputs and playbook, the training-time test metrics and a reference
//! profile of the training data made of aggregates only, never rows.
//!
//! Reading is strict ([`ModelFile::from_json`]): another kind of file, a newer format
//! version, missing fields, numbers that are not finite, parts whose sizes disagree and
//! oversized documents are each refused with a message naming the problem, and nothing is
//! half-loaded. `docs/model-file.schema.json` is its JSON Schema.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::acting::actions::{Playbook, ProfitInputs, Tier, TierCuts};
use crate::dataset::{ColumnKind, Dataset};
use crate::evaluating::metrics::{ClassificationReport, ConfusionMatrix};
use crate::modelling::config::TrainConfig;
use crate::modelling::pipeline::{FittedPipeline, PipelineError};
use crate::modelling::preprocessing::FeatureBlock;
use crate::modelling::training::{fit_and_test, split_rows};
use crate::monitoring::reference::{NumericReference, ReferenceProfile};

/// The `format` every model file carries.
pub const FORMAT: &str = "churnscope-model";
/// The newest format version this engine writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The largest model file read: 64 MiB (a 100-tree model of 31 leaves is about 1 MB).
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// The file name ending of a model file.
pub const EXTENSION: &str = ".churnscope.json";

/// A saved model and what it was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Always [`FORMAT`].
    pub format: String,
    pub format_version: u32,
    /// The churnscope engine version that wrote the file.
    pub engine_version: String,
    pub dataset: DatasetInfo,
    /// Every column of the training file and what the model does with it.
    pub schema: Vec<InputColumn>,
    pub pipeline: FittedPipeline,
    pub tiers: TierCuts,
    pub profit: ProfitInputs,
    pub playbook: Playbook,
    /// The held-out test metrics at training time.
    pub metrics: SavedMetrics,
    /// The training data in aggregates.
    pub reference: ReferenceProfile,
    /// The held-out customers' scores in aggregates, and their tier shares.
    pub scores: ScoreReference,
    /// The training settings, so "retrain with the new data" trains the same way (absent in
    /// files written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<TrainConfig>,
}

/// The training file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetInfo {
    /// The file's name as the merchant gave it.
    pub name: String,
    pub rows: usize,
    /// The day of training, `YYYY-MM-DD`.
    pub trained_on: String,
}

/// What the model does with one source column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnRole {
    /// A feature: the column must be in every file scored.
    Feature,
    /// The churn column.
    Target,
    /// Left out of the features (an identifier, free text, constant, or chosen to ignore).
    Unused,
}

/// One source column of the training file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputColumn {
    pub name: String,
    pub kind: ColumnKind,
    pub role: ColumnRole,
    /// Whether a file to be scored must have this column.
    pub required: bool,
    /// The category vocabulary the model knows (its levels), for text features.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<String>,
    /// Why an unused column is not a feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The headline test metrics of the model when it was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedMetrics {
    pub roc_auc: f64,
    pub pr_auc: f64,
    pub brier: f64,
    pub log_loss: f64,
    /// The threshold the confusion matrix is at.
    pub threshold: f64,
    pub confusion: ConfusionMatrix,
    /// Labelled test customers, and the churners among them.
    pub n: usize,
    pub n_positive: usize,
}

/// The held-out customers' churn probabilities in aggregates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreReference {
    /// Quantiles, deciles and counts of the probabilities, as for a numeric feature.
    pub distribution: NumericReference,
    /// Share of those customers in each tier (high, medium, low), summing to 1.
    pub tier_shares: TierShares,
}

/// Shares of customers per tier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TierShares {
    pub high: f64,
    pub medium: f64,
    pub low: f64,
}

impl TierShares {
    /// The shares of `probabilities` in the tiers `cuts` make (zeros for none).
    pub fn of(probabilities: &[f64], cuts: &TierCuts) -> Self {
        let n = probabilities.len().max(1) as f64;
        let count = |tier: Tier| {
            probabilities
                .iter()
                .filter(|&&p| cuts.tier(p) == tier)
                .count()
        };
        TierShares {
            high: count(Tier::High) as f64 / n,
            medium: count(Tier::Medium) as f64 / n,
            low: count(Tier::Low) as f64 / n,
        }
    }
}

/// What a model file is made from.
pub struct ModelFileParts<'a> {
    /// The training file, its name and the day of training (`YYYY-MM-DD`).
    pub ds: &'a Dataset,
    pub name: &'a str,
    pub trained_on: &'a str,
    /// The rows the reference profile describes (the training file's rows).
    pub profile_rows: &'a [usize],
    pub pipeline: FittedPipeline,
    /// The held-out test report and the test customers' probabilities.
    pub test: &'a ClassificationReport,
    pub test_scores: &'a [f64],
    pub tiers: TierCuts,
    pub profit: ProfitInputs,
    pub playbook: Playbook,
    /// The settings the pipeline was trained with.
    pub settings: Option<TrainConfig>,
}

impl ModelFile {
    /// Trains `config` on `ds` as the page and `churnscope train` do (a stratified or
    /// out-of-time held-out split), and assembles the model file: the reference profile of
    /// every row of `ds`, the score reference of the held-out customers, tier cut-offs from
    /// their scores unless `tiers` is given.
    pub fn train(
        ds: &Dataset,
        name: &str,
        trained_on: &str,
        config: &TrainConfig,
        tiers: Option<TierCuts>,
        profit: ProfitInputs,
        playbook: Playbook,
    ) -> std::result::Result<Self, PipelineError> {
        let split = split_rows(ds, config)?;
        let outcome = fit_and_test(ds, &split.train, &split.test, config, |_| true)?;
        let labels = config.target.labels(ds)?;
        let test: Vec<usize> = split
            .test
            .into_iter()
            .filter(|&r| labels[r].is_some())
            .collect();
        let test_scores = outcome.pipeline.predict_proba(ds, &test)?;
        let all: Vec<usize> = (0..ds.n_rows).collect();
        Ok(ModelFile::new(ModelFileParts {
            ds,
            name,
            trained_on,
            profile_rows: &all,
            pipeline: outcome.pipeline,
            test: &outcome.test,
            tiers: tiers.unwrap_or_else(|| TierCuts::from_scores(&test_scores)),
            test_scores: &test_scores,
            profit,
            playbook,
            settings: Some(config.clone()),
        }))
    }
}

/// Why a document is not a model file this engine can use.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ModelFileError {
    #[error("the model file is {bytes} bytes; the largest read is {max} bytes")]
    Oversized { bytes: usize, max: usize },
    #[error("not a churnscope model file: {0}")]
    NotAModelFile(String),
    #[error("the model file is format version {found}; this churnscope reads versions up to {supported}: open it with a newer churnscope")]
    NewerVersion { found: u64, supported: u32 },
    #[error("the model file is damaged: {0}")]
    Damaged(String),
    #[error("the model file's parts do not agree: {0}")]
    Inconsistent(String),
}

type Result<T> = std::result::Result<T, ModelFileError>;

impl ModelFile {
    /// Assembles a model file from a fitted pipeline, its test and the training file.
    pub fn new(parts: ModelFileParts<'_>) -> Self {
        let p = &parts.pipeline;
        let schema = schema_of(parts.ds, &parts.pipeline);
        let features: Vec<String> = schema
            .iter()
            .filter(|c| c.role == ColumnRole::Feature)
            .map(|c| c.name.clone())
            .collect();
        let t = parts.test;
        ModelFile {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            engine_version: env!("CARGO_PKG_VERSION").to_string(),
            dataset: DatasetInfo {
                name: parts.name.to_string(),
                rows: parts.ds.n_rows,
                trained_on: parts.trained_on.to_string(),
            },
            metrics: SavedMetrics {
                roc_auc: t.roc_auc,
                pr_auc: t.pr_auc,
                brier: t.brier,
                log_loss: t.log_loss,
                threshold: p.threshold,
                confusion: t.confusion,
                n: t.n,
                n_positive: t.n_positive,
            },
            reference: ReferenceProfile::of(parts.ds, parts.profile_rows, &features),
            scores: ScoreReference {
                distribution: NumericReference::of(
                    parts
                        .test_scores
                        .iter()
                        .copied()
                        .filter(|p| p.is_finite())
                        .collect(),
                ),
                tier_shares: TierShares::of(parts.test_scores, &parts.tiers),
            },
            schema,
            pipeline: parts.pipeline,
            tiers: parts.tiers,
            profit: parts.profit,
            playbook: parts.playbook,
            settings: parts.settings,
        }
    }

    /// The document, pretty-printed.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads and checks a model file; see the module text for what is refused.
    pub fn from_json(text: &str) -> Result<Self> {
        if text.len() > MAX_BYTES {
            return Err(ModelFileError::Oversized {
                bytes: text.len(),
                max: MAX_BYTES,
            });
        }
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| ModelFileError::NotAModelFile(format!("it is not JSON ({e})")))?;
        check_header(&value)?;
        let file: ModelFile = serde_json::from_value(value)
            .map_err(|e| ModelFileError::Damaged(describe_serde_error(&e.to_string())))?;
        file.check()?;
        Ok(file)
    }

    /// The source columns a file to be scored must have.
    pub fn required_columns(&self) -> impl Iterator<Item = &InputColumn> {
        self.schema.iter().filter(|c| c.required)
    }
}

/// The kind and version fields, read before anything else.
fn check_header(value: &serde_json::Value) -> Result<()> {
    let Some(object) = value.as_object() else {
        return Err(ModelFileError::NotAModelFile(
            "it is JSON but not an object".into(),
        ));
    };
    match object.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(ModelFileError::NotAModelFile(format!(
                "its format is '{other}', not '{FORMAT}'"
            )))
        }
        None if object.contains_key("preprocessor") && object.contains_key("model") => {
            return Err(ModelFileError::NotAModelFile(
                "it is a bare fitted pipeline (`churnscope train --out`); save a model file with `churnscope train --save` or the page's Save model".into(),
            ))
        }
        None => {
            return Err(ModelFileError::NotAModelFile(format!(
                "it has no \"format\": \"{FORMAT}\" field"
            )))
        }
    }
    match object.get("format_version").and_then(|v| v.as_u64()) {
        Some(v) if v > u64::from(FORMAT_VERSION) => Err(ModelFileError::NewerVersion {
            found: v,
            supported: FORMAT_VERSION,
        }),
        Some(0) | None => Err(ModelFileError::Damaged(
            "\"format_version\" must be a whole number from 1".into(),
        )),
        Some(_) => Ok(()),
    }
}

/// serde's message in the merchant's words where it helps: JSON has no NaN or infinity, so
/// a number that was not finite when written arrives as `null`.
fn describe_serde_error(message: &str) -> String {
    if message.starts_with("invalid type: null, expected f64") {
        format!("a number is missing or was not finite when written ({message})")
    } else {
        message.to_string()
    }
}

/// The schema of `ds`'s columns for `pipeline`.
fn schema_of(ds: &Dataset, pipeline: &FittedPipeline) -> Vec<InputColumn> {
    let blocks = &pipeline.preprocessor.blocks;
    ds.columns
        .iter()
        .map(|c| {
            let used: Vec<&FeatureBlock> = blocks.iter().filter(|b| b.column() == c.name).collect();
            let role = if c.name == pipeline.target.column {
                ColumnRole::Target
            } else if used.is_empty() {
                ColumnRole::Unused
            } else {
                ColumnRole::Feature
            };
            let levels = used.iter().find_map(|b| match b {
                FeatureBlock::OneHot {
                    levels, infrequent, ..
                }
                | FeatureBlock::Ordinal {
                    levels, infrequent, ..
                } => Some(levels.iter().chain(infrequent).cloned().collect()),
                _ => None,
            });
            let reason = pipeline
                .preprocessor
                .dropped
                .iter()
                .find(|d| d.column == c.name)
                .map(|d| d.reason.clone());
            InputColumn {
                name: c.name.clone(),
                kind: c.kind,
                role,
                required: role == ColumnRole::Feature,
                levels: levels.unwrap_or_default(),
                reason: if role == ColumnRole::Unused {
                    reason.or_else(|| Some("not used by the model".into()))
                } else {
                    None
                },
            }
        })
        .collect()
}

/// An [`ModelFileError::Inconsistent`] unless `ok`.
fn ensure(ok: bool, problem: impl FnOnce() -> String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(ModelFileError::Inconsistent(problem()))
    }
}

/// Whether `x` is a share: finite and from 0 to 1.
fn is_share(x: f64) -> bool {
    (0.0..=1.0).contains(&x)
}

impl ModelFile {
    /// The training file's identifier column (the customer id), if it had one.
    pub fn identifier(&self) -> Option<&str> {
        self.schema
            .iter()
            .find(|c| c.kind == crate::dataset::ColumnKind::Identifier)
            .map(|c| c.name.as_str())
    }

    /// Checks that the parts agree, as [`Self::from_json`] does before handing a file out.
    pub fn check(&self) -> Result<()> {
        self.pipeline
            .check()
            .map_err(|e| ModelFileError::Inconsistent(format!("the fitted pipeline: {e}")))?;
        self.check_schema()?;
        self.check_metrics()?;
        let setting = |what: &str, e: String| ModelFileError::Inconsistent(format!("{what}: {e}"));
        self.tiers
            .check()
            .map_err(|e| setting("the tier cut-offs", e.to_string()))?;
        self.profit
            .check()
            .map_err(|e| setting("the profit inputs", e.to_string()))?;
        self.playbook
            .check()
            .map_err(|e| setting("the playbook", e.to_string()))?;
        let d = &self.dataset.trained_on;
        ensure(is_iso_date(d), || {
            format!("the training date '{d}' is not YYYY-MM-DD")
        })?;
        self.check_reference()?;
        check_numeric("the score distribution", &self.scores.distribution, None)?;
        let s = &self.scores.tier_shares;
        let sum = s.high + s.medium + s.low;
        ensure(
            [s.high, s.medium, s.low].into_iter().all(is_share)
                && ((sum - 1.0).abs() < 1e-9 || sum == 0.0),
            || {
                format!(
                    "the tier shares {} + {} + {} do not add up to 1",
                    s.high, s.medium, s.low
                )
            },
        )
    }

    fn check_schema(&self) -> Result<()> {
        for (i, c) in self.schema.iter().enumerate() {
            ensure(!self.schema[..i].iter().any(|o| o.name == c.name), || {
                format!("the schema names column '{}' twice", c.name)
            })?;
        }
        for block in &self.pipeline.preprocessor.blocks {
            let column = block.column();
            ensure(
                self.schema
                    .iter()
                    .any(|c| c.name == column && c.required && c.role == ColumnRole::Feature),
                || {
                    format!("the model reads column '{column}', which the schema does not list as a required feature")
                },
            )?;
        }
        let target = &self.pipeline.target.column;
        ensure(
            self.schema
                .iter()
                .all(|c| (c.role == ColumnRole::Target) == (&c.name == target)),
            || format!("the schema's target column is not the pipeline's '{target}'"),
        )
    }

    fn check_metrics(&self) -> Result<()> {
        let m = &self.metrics;
        ensure(
            is_share(m.roc_auc) && is_share(m.pr_auc) && is_share(m.brier),
            || {
                format!(
                    "ROC AUC {}, PR AUC {} and Brier score {} must be from 0 to 1",
                    m.roc_auc, m.pr_auc, m.brier
                )
            },
        )?;
        ensure(m.log_loss.is_finite() && m.log_loss >= 0.0, || {
            format!("the log loss {} must be 0 or more", m.log_loss)
        })?;
        ensure(is_share(m.threshold), || {
            format!("the threshold {} must be from 0 to 1", m.threshold)
        })?;
        ensure(m.confusion.total() == m.n && m.n_positive <= m.n, || {
            format!(
                "the confusion matrix counts {} customers, the metrics {} ({} churners)",
                m.confusion.total(),
                m.n,
                m.n_positive
            )
        })
    }

    fn check_reference(&self) -> Result<()> {
        let rows = self.reference.rows;
        for f in &self.reference.features {
            ensure(self.schema.iter().any(|c| c.name == f.column), || {
                format!(
                    "the reference profile describes column '{}', which is not in the schema",
                    f.column
                )
            })?;
            ensure(is_share(f.missing_share) && f.present <= rows, || {
                format!(
                    "column '{}': {} present of {rows} rows, missing share {}",
                    f.column, f.present, f.missing_share
                )
            })?;
            let what = format!("column '{}'", f.column);
            match &f.distribution {
                crate::monitoring::reference::Distribution::Numeric(n) => {
                    check_numeric(&what, n, Some(f.present))?
                }
                crate::monitoring::reference::Distribution::Categorical(c) => {
                    let sum: u64 = c.levels.iter().map(|l| l.count).sum::<u64>() + c.other;
                    ensure(
                        c.levels.len() <= crate::monitoring::reference::TOP_LEVELS
                            && sum == f.present as u64,
                        || {
                            format!(
                                "{what}: {} levels counting {sum} values for {} present",
                                c.levels.len(),
                                f.present
                            )
                        },
                    )?
                }
            }
        }
        Ok(())
    }
}

/// A numeric reference's sizes and order: quantiles and edges ascending, one count per bin,
/// counts adding up to `present` (when given).
fn check_numeric(what: &str, n: &NumericReference, present: Option<usize>) -> Result<()> {
    let ascending = |v: &[f64], strict: bool| {
        v.windows(2)
            .all(|w| if strict { w[0] < w[1] } else { w[0] <= w[1] })
    };
    ensure(
        n.quantiles.len() <= crate::monitoring::reference::QUANTILES
            && ascending(&n.quantiles, false),
        || {
            format!(
                "{what}: {} quantiles, which must be at most 100 and ascending",
                n.quantiles.len()
            )
        },
    )?;
    ensure(n.edges.len() <= 9 && ascending(&n.edges, true), || {
        format!(
            "{what}: {} decile edges, which must be at most 9 and rising",
            n.edges.len()
        )
    })?;
    ensure(n.counts.len() == n.edges.len() + 1, || {
        format!(
            "{what}: {} bin counts for {} edges (one more count than edges is needed)",
            n.counts.len(),
            n.edges.len()
        )
    })?;
    let total: u64 = n.counts.iter().sum();
    ensure(present.is_none_or(|p| p as u64 == total), || {
        format!(
            "{what}: the bins count {total} values for {} present",
            present.unwrap_or(0)
        )
    })?;
    ensure(n.min <= n.max && n.sd >= 0.0, || {
        format!(
            "{what}: min {} above max {} or a negative spread {}",
            n.min, n.max, n.sd
        )
    })
}

/// Whether `text` is a date written `YYYY-MM-DD`.
fn is_iso_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}
