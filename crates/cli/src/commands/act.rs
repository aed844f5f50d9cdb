//! `churnscope act`: the page's step 5 on the command line. Trains the model, plans the
//! most profitable campaign, cuts risk tiers, scores every customer with their reasons and a
//! suggested action, and writes the action list and the report.

use std::sync::Arc;
use std::time::Instant;

use churnscope_charts::report::{html_report, ReportInput};
use churnscope_engine::acting::actions::{
    action_list, action_table, profit_curve, score_customers, summarise_tiers, ActionRow,
    CustomerValue, Playbook, ProfitCurve, ProfitInputs, TierCuts, TierSummary,
};
use churnscope_engine::acting::export::{to_csv, to_xlsx};
use churnscope_engine::dataset::Dataset;
use churnscope_engine::evaluating::evaluation::{run_plan, ModelRun, TrainPlan};
use churnscope_engine::modelling::pipeline::TrainConfig;

use churnscope_engine::monitoring::model_file::{ModelFile, ModelFileParts};

use crate::args::{ActArgs, CampaignArgs};
use crate::commands::train::{file_name, today, write_model_file};
use crate::error::CliError;
use crate::input::{choose_target, load, read_options};

/// The planned campaign and how long each step took.
pub struct Campaign {
    /// The trained model, its test scores and explanation.
    pub run: ModelRun,
    /// Every customer, riskiest first, with their tier, reasons and action.
    pub actions: Vec<ActionRow>,
    pub profit: ProfitCurve,
    pub cuts: TierCuts,
    pub tiers: Vec<TierSummary>,
    /// Said when no rule of the playbook names a column of the model.
    pub playbook_notice: Option<String>,
    pub seconds: Timings,
}

/// Seconds each step took.
pub struct Timings {
    pub read: f64,
    pub train: f64,
    /// Scoring every customer with their reasons.
    pub score: f64,
    /// Writing the action list and the report.
    pub write: f64,
}

/// What the campaign plan found, before anything is written.
struct Plan {
    profit: ProfitCurve,
    tiers: Vec<TierSummary>,
    actions: Vec<ActionRow>,
    score_seconds: f64,
}

/// Reads FILE, trains the model and plans the campaign; writes `--out` and `--report`.
pub fn run(args: &ActArgs) -> Result<Campaign, CliError> {
    let file = &args.input.file;
    let loaded = load(file, &read_options(&args.input.read))?;
    let ds = &loaded.dataset;
    let target = choose_target(ds, &args.target)?;
    let target_name = target.column.clone();
    let mut config = TrainConfig::new(target);
    config.model = args.model.into();
    let mut plan = TrainPlan::single(config);
    plan.explain = args.report.is_some();
    let inputs = profit_inputs(&args.campaign)?;
    let playbook = read_playbook(args.playbook.as_deref())?;
    let start = Instant::now();
    let run = train(ds, &plan)?;
    let train_seconds = start.elapsed().as_secs_f64();
    let cuts = tier_cuts(&run, &args.campaign)?;
    let planned = plan_campaign(ds, &run, &inputs, &playbook, cuts)?;
    let start = Instant::now();
    if let Some(path) = &args.out {
        write_action_list(&planned.actions, path)?;
    }
    if let Some(path) = &args.save {
        let all: Vec<usize> = (0..ds.n_rows).collect();
        let model = ModelFile::new(ModelFileParts {
            ds,
            name: file_name(file),
            trained_on: &today(),
            profile_rows: &all,
            pipeline: run.outcome.pipeline.clone(),
            test: &run.outcome.test,
            test_scores: &run.test_scores,
            tiers: cuts,
            profit: inputs.clone(),
            playbook: playbook.clone(),
            settings: Some(plan.config.clone()),
        });
        write_model_file(&model, path)?;
    }
    if let Some(path) = &args.report {
        let report = Report {
            file,
            target: &target_name,
            inputs: &inputs,
            playbook: &playbook,
        };
        write_report(ds, &run, cuts, &planned, &report, path)?;
    }
    let write_seconds = start.elapsed().as_secs_f64();
    Ok(Campaign {
        playbook_notice: playbook_notice(&run, &playbook),
        run,
        actions: planned.actions,
        profit: planned.profit,
        cuts,
        tiers: planned.tiers,
        seconds: Timings {
            read: loaded.seconds,
            train: train_seconds,
            score: planned.score_seconds,
            write: write_seconds,
        },
    })
}

/// The campaign's value, cost, success rate and capacity, checked.
fn profit_inputs(args: &CampaignArgs) -> Result<ProfitInputs, CliError> {
    let inputs = ProfitInputs {
        value: match &args.value_column {
            Some(column) => CustomerValue::Column(column.clone()),
            None => CustomerValue::Fixed(args.value),
        },
        cost: args.cost,
        success_rate: args.success,
        capacity: args.capacity,
    };
    inputs.check()?;
    Ok(inputs)
}

/// The playbook at `path`, or the built-in e-commerce one.
fn read_playbook(path: Option<&str>) -> Result<Playbook, CliError> {
    let Some(path) = path else {
        return Ok(Playbook::ecommerce());
    };
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
        path: path.to_string(),
        source,
    })?;
    Playbook::from_json(&text).map_err(|source| CliError::Playbook {
        path: path.to_string(),
        source,
    })
}

/// Trains the plan's one model.
fn train(ds: &Dataset, plan: &TrainPlan) -> Result<ModelRun, CliError> {
    let start = Instant::now();
    let clock = || start.elapsed().as_secs_f64();
    let mut runs: Vec<ModelRun> = Vec::new();
    run_plan(ds, plan, |_, _| true, &clock, |r| runs.push(r))?;
    runs.pop().ok_or(CliError::NoModelTrained)
}

/// The tiers' cut-offs: `--high` and `--medium`, or the test scores' percentiles.
fn tier_cuts(run: &ModelRun, args: &CampaignArgs) -> Result<TierCuts, CliError> {
    let mut cuts = TierCuts::from_scores(&run.test_scores);
    cuts.high = args.high.unwrap_or(cuts.high);
    cuts.medium = args.medium.unwrap_or(cuts.medium);
    cuts.check()?;
    Ok(cuts)
}

/// The profit curve on the test customers, every customer scored with their reasons, the
/// tiers and the action list.
fn plan_campaign(
    ds: &Dataset,
    run: &ModelRun,
    inputs: &ProfitInputs,
    playbook: &Playbook,
    cuts: TierCuts,
) -> Result<Plan, CliError> {
    let values = inputs.values(ds, &run.test_rows)?;
    let profit = profit_curve(
        &run.test_scores,
        &run.test_labels,
        &values,
        inputs,
        ds.n_rows,
    )?;
    let start = Instant::now();
    let rows: Vec<usize> = (0..ds.n_rows).collect();
    let scored = score_customers(&run.outcome.pipeline, ds, &rows, |_, _| true)?;
    let score_seconds = start.elapsed().as_secs_f64();
    let tiers = summarise_tiers(&cuts, &run.test_scores, &run.test_labels, &scored);
    let actions = action_list(ds, &scored, &cuts, playbook, inputs)?;
    Ok(Plan {
        profit,
        tiers,
        actions,
        score_seconds,
    })
}

/// Writes the action list to `path`: an Excel workbook for a name ending in `.xlsx`,
/// otherwise CSV.
fn write_action_list(actions: &[ActionRow], path: &str) -> Result<(), CliError> {
    let table = action_table(actions);
    let bytes = if path.to_lowercase().ends_with(".xlsx") {
        to_xlsx(&table, "Action list").map_err(|source| CliError::Export {
            path: path.to_string(),
            source,
        })?
    } else {
        to_csv(&table)
    };
    write(path, bytes)
}

/// What the report says besides the model and the plan.
struct Report<'a> {
    file: &'a str,
    target: &'a str,
    inputs: &'a ProfitInputs,
    playbook: &'a Playbook,
}

/// Writes the one-file HTML report to `path`.
fn write_report(
    ds: &Dataset,
    run: &ModelRun,
    cuts: TierCuts,
    plan: &Plan,
    report: &Report,
    path: &str,
) -> Result<(), CliError> {
    let runs = vec![Arc::new(run.clone())];
    let html = html_report(&ReportInput {
        file_name: report.file,
        generated: "from the command line",
        dataset: ds,
        target: report.target,
        runs: &runs,
        chosen: 0,
        threshold: run.outcome.pipeline.threshold,
        cuts,
        tiers: &plan.tiers,
        inputs: report.inputs,
        profit: &plan.profit,
        playbook: report.playbook,
        actions: &plan.actions,
    })?;
    write(path, html)
}

/// Writes `contents` to `path`.
fn write(path: &str, contents: impl AsRef<[u8]>) -> Result<(), CliError> {
    std::fs::write(path, contents).map_err(|source| CliError::Io {
        path: path.to_string(),
        source,
    })
}

/// The notice for a playbook none of whose rules names a column of the model.
fn playbook_notice(run: &ModelRun, playbook: &Playbook) -> Option<String> {
    let mut columns: Vec<&str> = Vec::new();
    for c in run.outcome.pipeline.preprocessor.input_columns() {
        if !columns.contains(&c) {
            columns.push(c);
        }
    }
    playbook.no_match_notice(&columns)
}
