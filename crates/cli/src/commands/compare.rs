//! `churnscope compare`: several models on one split, side by side.

use std::time::Instant;

use churnscope_engine::evaluating::evaluation::{best_model, run_plan, ModelRun, TrainPlan};
use churnscope_engine::modelling::pipeline::{ModelKind, TrainConfig};

use crate::args::CompareArgs;
use crate::error::CliError;
use crate::input::{choose_target, ignored, include_columns, load, read_options};

/// The models in the order trained, and which one is recommended.
pub struct Comparison {
    pub runs: Vec<ModelRun>,
    /// Index into `runs`.
    pub best: Option<usize>,
}

/// Reads FILE and trains every model the options name on one split.
pub fn run(args: &CompareArgs) -> Result<Comparison, CliError> {
    let search = args.search.unwrap_or(false);
    if search && args.cv.is_none() {
        return Err(CliError::SearchWithoutCv);
    }
    let mut ds = load(&args.input.file, &read_options(&args.input.read))?.dataset;
    include_columns(&mut ds, &args.include)?;
    let mut config = TrainConfig::new(choose_target(&ds, &args.target)?);
    config.seed = args.seed;
    config.ignore = ignored(&args.ignore);
    let mut plan = TrainPlan::single(config);
    plan.models = if args.models.is_empty() {
        vec![
            ModelKind::Logistic,
            ModelKind::Gbdt,
            ModelKind::Forest,
            ModelKind::Mlp,
        ]
    } else {
        args.models.iter().map(|&m| m.into()).collect()
    };
    plan.cv_folds = args.cv;
    plan.search = search;
    plan.explain = args.explain.unwrap_or(false);
    plan.balance = args.balance.map(Into::into);
    let start = Instant::now();
    let clock = || start.elapsed().as_secs_f64();
    let mut runs: Vec<ModelRun> = Vec::new();
    run_plan(&ds, &plan, |_, _| true, &clock, |r| runs.push(r))?;
    let best = best_model(&runs);
    Ok(Comparison { runs, best })
}
