//! `churnscope train`: one model, its test metrics and timings, and the fitted pipeline.

use std::time::Instant;

use churnscope_engine::acting::actions::{Playbook, ProfitInputs, TierCuts};
use churnscope_engine::dataset::Dataset;
use churnscope_engine::evaluating::metrics::ClassificationReport;
use churnscope_engine::modelling::models::gbdt::EarlyStopping;
use churnscope_engine::modelling::models::LogisticRegressionParams;
use churnscope_engine::modelling::pipeline::{FitTimes, FittedPipeline, ModelKind, TrainConfig};
use churnscope_engine::modelling::preprocessing::PrepOptions;
use churnscope_engine::modelling::training::{fit_and_test, fit_tuned, split_rows, TunedFit};
use churnscope_engine::modelling::tuning::{Scoring, Tuning, TuningReport};
use churnscope_engine::monitoring::model_file::{ModelFile, ModelFileParts};
use churnscope_engine::reading::ingest::ReadOptions;

use crate::args::{DecisionArgs, ModelArgs, PrepArgs, TrainArgs, TuningArgs};
use crate::error::CliError;
use crate::input::{
    check_columns, choose_target, ignored, include_columns, load, load_sample, read_options,
    Sampled,
};
use crate::values::{Search, Threshold};

/// What a training run did, for its report.
pub struct Training {
    /// With `--sample`: the rows kept, of how many, and the seed.
    pub sampled: Option<Sampled>,
    pub path: String,
    pub pipeline: FittedPipeline,
    /// The test metrics.
    pub report: ClassificationReport,
    pub n_train: usize,
    pub n_test: usize,
    /// Logistic regression's C: the one cross-validation chose, or the one given.
    pub c: f64,
    /// The fit's steps, timed (with `--test`).
    pub steps: Option<FitTimes>,
    pub tuning: Option<TuningReport>,
    pub parse_seconds: f64,
    /// With `--test`, the fit alone (tuning included); otherwise fit and evaluation.
    pub fit_seconds: f64,
}

/// A fitted pipeline and its test, before the report.
struct Fitted {
    pipeline: FittedPipeline,
    report: ClassificationReport,
    n_train: usize,
    n_test: usize,
    tuning: Option<TuningReport>,
    steps: Option<FitTimes>,
    fit_seconds: f64,
    /// The labelled test customers' probabilities (for a model file's score reference).
    test_scores: Vec<f64>,
}

/// Reads FILE, trains the model the options describe, tests it and saves it with `--out`.
pub fn run(args: &TrainArgs) -> Result<Training, CliError> {
    check_option_combinations(args)?;
    let options = read_options(&args.input.read);
    let path = &args.input.file;
    let (mut loaded, sampled) = match args.sample {
        Some(n) => {
            let (loaded, sample) =
                load_sample(path, &options, n, args.split.seed, args.progress.progress)?;
            (loaded, Some(sample))
        }
        None => (load(path, &options)?, None),
    };
    include_columns(&mut loaded.dataset, &args.split.include)?;
    let config = train_config(args, &loaded.dataset)?;
    let fitted = match &args.split.test {
        None => fit_on_split(&loaded.dataset, &config)?,
        Some(test_path) => fit_and_test_file(&loaded.dataset, &config, test_path, &options)?,
    };
    if let Some(out) = &args.out {
        save(&fitted.pipeline, out)?;
    }
    if let Some(model_path) = &args.save {
        save_model_file(&loaded.dataset, path, &fitted, &config, model_path)?;
    }
    let given_c = args.model.c.unwrap_or(1.0);
    Ok(Training {
        sampled,
        path: path.clone(),
        c: fitted
            .tuning
            .as_ref()
            .and_then(|t| t.best_c())
            .unwrap_or(given_c),
        pipeline: fitted.pipeline,
        report: fitted.report,
        n_train: fitted.n_train,
        n_test: fitted.n_test,
        steps: fitted.steps,
        tuning: fitted.tuning,
        parse_seconds: loaded.seconds,
        fit_seconds: fitted.fit_seconds,
    })
}

/// Refuses options that do not go together, before the file is read.
fn check_option_combinations(args: &TrainArgs) -> Result<(), CliError> {
    if args.split.split_date.is_some() && args.split.test.is_some() {
        return Err(CliError::SplitDateAndTest);
    }
    let m = &args.model;
    let model: ModelKind = m.model.into();
    use ModelKind::{Forest, Gbdt, Logistic, Mlp};
    let only_for: [(&'static str, bool, &[ModelKind], &'static str); 7] = [
        ("c", m.c.is_some(), &[Logistic], "logistic"),
        ("penalty", m.penalty.is_some(), &[Logistic], "logistic"),
        (
            "class-weight",
            m.class_weight.is_some(),
            &[Logistic, Gbdt],
            "logistic or gbdt",
        ),
        (
            "early-stopping",
            m.early_stopping.is_some(),
            &[Gbdt],
            "gbdt",
        ),
        ("growth", m.growth.is_some(), &[Gbdt], "gbdt"),
        (
            "max-depth",
            m.max_depth.is_some(),
            &[Gbdt, Forest],
            "gbdt or forest",
        ),
        (
            "pca",
            args.prep.pca.is_some(),
            &[Logistic, Mlp],
            "logistic or mlp",
        ),
    ];
    for (option, given, models, names) in only_for {
        if given && !models.contains(&model) {
            return Err(CliError::OnlyForModels {
                option,
                models: names,
            });
        }
    }
    let tuning = &args.tuning;
    if tuning.cv.is_none() && (tuning.scoring.is_some() || tuning.search.is_some()) {
        return Err(CliError::TuningWithoutCv);
    }
    Ok(())
}

/// The training configuration the options describe, checked against the table.
fn train_config(args: &TrainArgs, ds: &Dataset) -> Result<TrainConfig, CliError> {
    let mut config = TrainConfig::new(choose_target(ds, &args.target)?);
    config.model = args.model.model.into();
    config.ignore = ignored(&args.split.ignore);
    check_columns(ds, "ignore", &config.ignore)?;
    config.seed = args.split.seed;
    if let Some(column) = &args.split.split_date {
        check_columns(ds, "split-date", [column])?;
        config.split_by_date = Some(column.clone());
    }
    config.test_fraction = args.split.test_fraction;
    apply_model_options(&args.model, &mut config);
    config.prep = prep_options(&args.prep)?;
    apply_decision_options(&args.decision, &mut config);
    config.logistic.check()?;
    config.tuning = tuning(&args.tuning, config.seed);
    Ok(config)
}

/// The model's settings: logistic regression's C, penalty and class weights, resampling, and
/// the trees' early stopping, growth and depth.
fn apply_model_options(args: &ModelArgs, config: &mut TrainConfig) {
    let mut logistic = LogisticRegressionParams::new().c(args.c.unwrap_or(1.0));
    if let Some(penalty) = args.penalty {
        logistic = logistic.penalty(penalty);
    }
    if let Some(weight) = args.class_weight {
        logistic = logistic.class_weight(weight);
        config.gbdt.class_weight = weight;
    }
    config.logistic = logistic;
    config.resample = args.resample.map(Into::into);
    if let Some(rounds) = args.early_stopping {
        config.gbdt.early_stopping = Some(EarlyStopping {
            rounds,
            seed: config.seed,
            ..EarlyStopping::default()
        });
    }
    if let Some(growth) = args.growth {
        config.gbdt.growth = growth.into();
    }
    if let Some(depth) = args.max_depth {
        config.gbdt.max_depth = Some(depth);
        config.forest = config.forest.clone().max_depth(Some(depth));
    }
}

/// The preprocessing the options describe, checked.
fn prep_options(args: &PrepArgs) -> Result<PrepOptions, CliError> {
    let mut prep = PrepOptions::default();
    if let Some(impute) = &args.impute {
        prep.numeric_impute = impute.numeric;
        if let Some(categorical) = &impute.categorical {
            prep.categorical_impute = categorical.clone();
        }
    }
    prep.missing_indicator = args.missing_indicator.unwrap_or(false);
    if let Some(min) = args.rare_levels {
        prep = prep.rare_levels(min);
    }
    if let Some(k) = args.pca {
        prep = prep.pca(k);
    }
    prep.check()?;
    Ok(prep)
}

/// Calibration and the threshold: a fixed one, or a rule fitted on out-of-fold scores.
fn apply_decision_options(args: &DecisionArgs, config: &mut TrainConfig) {
    config.calibration = args.calibration.map(Into::into);
    match args.threshold {
        Some(Threshold::Fixed(threshold)) => config.threshold = threshold,
        Some(Threshold::Rule(rule)) => config.threshold_rule = Some(rule),
        None => {}
    }
}

/// The cross-validated search `--cv`, `--scoring` and `--search` ask for.
fn tuning(args: &TuningArgs, seed: u64) -> Option<Tuning> {
    let mut tuning = Tuning::new(args.cv?);
    tuning.seed = seed;
    tuning.scoring = args.scoring.map_or(Scoring::RocAuc, Into::into);
    tuning.random = match args.search {
        Some(Search::Random(n)) => Some(n),
        Some(Search::Grid) | None => None,
    };
    Some(tuning)
}

/// Splits the table, fits on the training part and tests on the rest; the fit is timed with
/// the test.
fn fit_on_split(ds: &Dataset, config: &TrainConfig) -> Result<Fitted, CliError> {
    let start = Instant::now();
    let split = split_rows(ds, config)?;
    let outcome = fit_and_test(ds, &split.train, &split.test, config, |_| true)?;
    let labels = config.target.labels(ds)?;
    let test: Vec<usize> = split
        .test
        .into_iter()
        .filter(|&r| labels[r].is_some())
        .collect();
    let test_scores = outcome.pipeline.predict_proba(ds, &test)?;
    Ok(Fitted {
        test_scores,
        pipeline: outcome.pipeline,
        report: outcome.test,
        n_train: outcome.n_train,
        n_test: outcome.n_test,
        tuning: outcome.tuning,
        steps: None,
        fit_seconds: start.elapsed().as_secs_f64(),
    })
}

/// Fits on every labelled row of the table and tests on the file at `test_path`, read as
/// the training file was. The fit alone is timed (tuning included, evaluation not), so the
/// figure compares with other libraries' fit times.
fn fit_and_test_file(
    ds: &Dataset,
    config: &TrainConfig,
    test_path: &str,
    options: &ReadOptions,
) -> Result<Fitted, CliError> {
    let start = Instant::now();
    let labels = config.target.labels(ds)?;
    let rows: Vec<usize> = (0..ds.n_rows).filter(|&r| labels[r].is_some()).collect();
    let clock = || start.elapsed().as_secs_f64();
    let TunedFit {
        pipeline,
        tuning,
        times,
        ..
    } = fit_tuned(ds, &rows, config, |_| true, &clock)?;
    let fit_seconds = start.elapsed().as_secs_f64();
    let test_options = ReadOptions {
        encoding: options.encoding,
        delimiter: options.delimiter,
        sheet: options.sheet.clone(),
        keep_summary_rows: options.keep_summary_rows,
        ..pipeline.read_options()
    };
    let test = load(test_path, &test_options)?;
    let report = pipeline
        .evaluate(&test.dataset)
        .map_err(|source| CliError::Evaluate {
            path: test_path.to_string(),
            source,
        })?;
    let test_labels = pipeline.target.labels(&test.dataset)?;
    let test_rows: Vec<usize> = (0..test.dataset.n_rows)
        .filter(|&r| test_labels[r].is_some())
        .collect();
    let test_scores = pipeline
        .predict_proba(&test.dataset, &test_rows)
        .map_err(|source| CliError::Evaluate {
            path: test_path.to_string(),
            source,
        })?;
    Ok(Fitted {
        test_scores,
        n_test: report.n,
        report,
        pipeline,
        n_train: rows.len(),
        tuning,
        steps: Some(times),
        fit_seconds,
    })
}

/// Writes a model file (`--save`): the pipeline with the training file's schema and
/// reference profile, tiers cut at the test scores' 80th and 50th percentiles, the default
/// profit inputs and the built-in e-commerce playbook (`act --save` keeps the campaign's).
fn save_model_file(
    ds: &Dataset,
    path: &str,
    fitted: &Fitted,
    config: &TrainConfig,
    model_path: &str,
) -> Result<(), CliError> {
    let all: Vec<usize> = (0..ds.n_rows).collect();
    let file = ModelFile::new(ModelFileParts {
        ds,
        name: file_name(path),
        trained_on: &today(),
        profile_rows: &all,
        pipeline: fitted.pipeline.clone(),
        test: &fitted.report,
        test_scores: &fitted.test_scores,
        tiers: TierCuts::from_scores(&fitted.test_scores),
        profit: ProfitInputs::default(),
        playbook: Playbook::ecommerce(),
        settings: Some(config.clone()),
    });
    write_model_file(&file, model_path)
}

/// The last part of a path: the file's name as the merchant knows it.
pub fn file_name(path: &str) -> &str {
    std::path::Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
}

/// Today's date (UTC), `YYYY-MM-DD`.
pub fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    churnscope_engine::reading::cells::format_date((seconds / 86_400) as f64)
}

/// Writes `file` to `path`.
pub fn write_model_file(file: &ModelFile, path: &str) -> Result<(), CliError> {
    std::fs::write(path, file.to_json() + "\n").map_err(|source| CliError::SaveModel {
        path: path.to_string(),
        source,
    })
}

/// Writes the fitted pipeline as JSON to `path`.
fn save(pipeline: &FittedPipeline, path: &str) -> Result<(), CliError> {
    let json = serde_json::to_string_pretty(pipeline)?;
    std::fs::write(path, json + "\n").map_err(|source| CliError::SaveModel {
        path: path.to_string(),
        source,
    })
}
