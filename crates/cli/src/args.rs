//! The command line's grammar: commands, options and their help, declared with clap.
//!
//! Option values are read by the parsers of [`crate::values`], so a wrong value reads as the
//! CLI's own message. The fixed sets (models, formats, ...) are enums here that map onto the
//! engine's types. A command declares its own options before the groups it shares with
//! others (flattened): a group's help heading carries on to the options declared after it.

use churnscope_engine::acting::sql::Dialect;
use churnscope_engine::evaluating::evaluation::Balance;
use churnscope_engine::modelling::calibration::CalibrationMethod;
use churnscope_engine::modelling::models::gbdt::Growth;
use churnscope_engine::modelling::models::{ClassWeight, Penalty};
use churnscope_engine::modelling::pipeline::{ModelKind, Resample};
use churnscope_engine::modelling::tuning::Scoring;
use churnscope_engine::reading::decode::TextEncoding;
use churnscope_engine::reading::sample::SampleSpec;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::ValueProblem;
use crate::progress::ProgressMode;
use crate::values::{self, choice, number, reader, yes_no, Choice, Impute, Search, Threshold};

/// churnscope: churn modelling on your own machine (no data leaves it).
///
/// The command line over the same engine the browser page runs, for files too big for a
/// browser tab and for automation. Results go to standard output (as text, or JSON with
/// `--format json`); notices and errors go to standard error. The exit code is 1 when a
/// command fails and 2 for a usage error.
#[derive(Debug, Parser)]
#[command(name = "churnscope", version, arg_required_else_help = true)]
pub struct Cli {
    /// Threads for independent work (cross-validation folds, search candidates, several
    /// models, forest trees): 0 for every core (the default), 1 for one thread. Results
    /// are the same whatever the number.
    #[arg(long, global = true, value_name = "N", default_value_t = 0, value_parser = number::<usize>())]
    pub threads: usize,
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per run: the size of the largest variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Column kinds, missing and distinct counts, and the proposed target.
    ///
    /// FILE is delimited text (encoding: UTF-8, UTF-16LE, UTF-16BE, GB18030, Windows-1252,
    /// and delimiter detected unless given) or a workbook (.xlsx, .xls, .xlsb, .ods; unless
    /// --sheet, the sheet that looks like the customer table: one with a target candidate,
    /// then the most rows). A spreadsheet's "Total" row at the end (labelled Total, Sum,
    /// Grand total, 合计, 总计... with numbers far above every customer's) is left out, with a
    /// notice on stderr, unless --keep-summary-rows; every command that reads FILE takes
    /// these four options.
    Profile(ProfileArgs),
    /// Trains a model and prints test metrics and timings.
    ///
    /// Prints the test metrics (roc_auc, pr_auc, accuracy, precision, recall, f1, log_loss,
    /// brier) and timings. Models: logistic regression (default; imputed, standardised
    /// numbers and one-hot categories, fitted on the training rows only), gbdt
    /// (gradient-boosted trees with LightGBM's defaults, native missing values and
    /// categories), forest (a random forest of 100 Gini trees), mlp (a neural network with
    /// one hidden layer of 100, Adam, early stopping). With --test FILE it trains on all of
    /// FILE and evaluates on the other file, so results compare one to one with other
    /// libraries on the same split. --split-date COL tests on the latest customers by that
    /// date column (out of time) instead of a random share, and leaves COL out of the
    /// features. --cv K chooses the model's hyperparameters (C from 1e-4 to 1e4 for logistic
    /// regression; leaves, learning rate, leaf size for gbdt; features per split, leaf size
    /// for forest; width, L2 for mlp) by stratified K-fold cross-validation on the training
    /// rows, over the whole grid or N random settings of it (--search random:N).
    /// --calibration and --threshold are fitted on 5-fold out-of-fold scores of the training
    /// rows; the chosen threshold is saved with the model. --out writes the fitted pipeline
    /// as JSON.
    Train(TrainArgs),
    /// Trains several models on one split and prints them side by side.
    ///
    /// As the page's comparison table (default: all four models): test ROC AUC, PR AUC, F1,
    /// recall, precision, log loss, Brier, fit time and, with --cv K, the K-fold ROC AUC
    /// (mean and standard deviation; with --search, of the best setting of each model's
    /// grid), with warnings (suspected leakage, no better than the churn rate, overfitting)
    /// and the recommended model. --explain adds each model's permutation importance and the
    /// top reasons of the riskiest test customers.
    Compare(CompareArgs),
    /// Plans a retention campaign: the page's step 5 on the command line.
    ///
    /// Trains the model on the page's split (test share 0.2, seed 42), finds the most
    /// profitable number of customers to contact (a kept customer worth --value or their own
    /// --value-column, a contact costing --cost and keeping --success of the churners it
    /// reaches, at most --capacity contacts) from the test customers' real outcomes
    /// projected to the whole file, cuts risk tiers (default: the 80th and 50th percentiles
    /// of the test scores), scores every customer with their top three reasons, suggests an
    /// action from the playbook (the built-in e-commerce one, or a JSON file {"rules":
    /// [{"columns": "days since|recency", "action": "..."}], "fallback": "..."}) and writes
    /// the action list (CSV or Excel by the extension; in the CSV, cells a spreadsheet would
    /// run as a formula get a leading apostrophe, the workbook keeps text as it is, never as
    /// a formula) and the one-file HTML report. Prints the plan and how long each step took.
    Act(ActArgs),
    /// Writes the built-in synthetic sample dataset (to standard output without --out).
    Sample(SampleArgs),
    /// Churn from an order log: one row per customer with a churn label.
    ///
    /// FILE holds orders (one row per order or per order line): Shopify's orders export,
    /// UCI Online Retail I or II, CDNOW's whitespace-separated log, or any table whose
    /// customer, date and amount (or quantity and unit price) columns are named so or given
    /// with --customer, --date, --amount. Cancelled, voided, returned and refunded orders are
    /// not purchases (counted); rows without a customer or a date are left out (counted).
    /// A customer churned when they ordered nothing in the --horizon days after --cutoff
    /// (default: the last day in the log minus the horizon). Customers whose first order is
    /// fewer than --min-history days before the cutoff are too new to judge and left out.
    /// Features: recency, frequency, monetary total and mean, tenure, mean and spread of
    /// the days between orders, spend and order trends, discount share, cancel rate,
    /// distinct products, active months (formulas in the README). Also fits BG/NBD and
    /// Pareto/NBD on the history up to the cutoff and reports their ROC AUC on the same
    /// held-out customers `train` would test on (stratified 20%, seed 42).
    Orders(OrdersArgs),
    /// Scores a new export with a saved model file, in bounded memory.
    ///
    /// MODEL is a model file (`.churnscope.json`) written by `train --save`, `act --save` or
    /// the page's Save model. FILE's columns are matched to the model's by name (case,
    /// spaces and underscores may differ; reported), a missing required column is an
    /// error naming it, extra columns are ignored, and categories the model never saw are
    /// counted per column. Delimited text is read, scored and written in pieces of about
    /// --chunk-kb kilobytes, so memory stays bounded whatever the file's size; the CSV
    /// action list keeps the file's row order. Workbooks are read whole.
    Score(ScoreArgs),
    /// How far a new export has moved from a saved model's training data.
    ///
    /// Per feature: the population stability index on the reference's decile bins (below
    /// 0.1 stable, 0.1 to 0.25 moderate, above significant) and a test chosen as Evidently
    /// AI does by default (reference of at most 1,000 rows: Kolmogorov-Smirnov, chi-square
    /// or a two-proportion z-test, drift at p < 0.05; larger: Wasserstein distance over the
    /// reference's standard deviation or Jensen-Shannon distance, drift at 0.1 or more),
    /// sorted by severity; the export has drifted when half of the features or more have.
    /// Also the score distribution and the tier shares, the ROC AUC estimated from the
    /// model's own probabilities (CBPE, no labels needed) and, when FILE has the churn
    /// column, the realised metrics beside the training-time ones with a decay warning when
    /// the ROC AUC's 95% interval (DeLong) lies wholly below the training value.
    Drift(DriftArgs),
    /// Writes a saved model as one SQL query that scores a customer table inside DuckDB,
    /// PostgreSQL, Spark SQL or BigQuery.
    ///
    /// MODEL is a model file (`.churnscope.json`). The query applies the whole pipeline to
    /// --table, whose columns carry the training file's names (numbers may be stored as
    /// numbers or as plain text; the reader's missing markers such as NA or a blank are
    /// missing): imputation, scaling, categories, the model (logistic regression as a linear
    /// expression, trees as one CASE per tree, the network's layers), the prior correction
    /// and calibration, then the threshold and tier. It returns customer_id,
    /// churn_probability, at_risk, tier and, for logistic regression, top_reason (the column
    /// raising the risk most). --view NAME writes CREATE OR REPLACE VIEW NAME AS before it.
    /// Written to standard output without --out.
    Sql(SqlArgs),
}

/// FILE, how to read it, and how to print the result: every command that reads a file.
#[derive(Debug, Args)]
pub struct FileArgs {
    /// The customer table: delimited text, or a workbook (.xlsx, .xls, .xlsb, .ods).
    #[arg(value_name = "FILE")]
    pub file: String,
    /// How to print the result.
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = choice::<Format>())]
    pub format: Format,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// How to read FILE, when detection should not decide.
#[derive(Debug, Args)]
#[command(next_help_heading = "Reading FILE")]
pub struct ReadArgs {
    /// The text encoding: UTF-8, UTF-16LE, UTF-16BE, GB18030 (or GBK), Windows-1252.
    #[arg(long, value_name = "NAME", value_parser = reader(values::encoding))]
    pub encoding: Option<TextEncoding>,
    /// The delimiter: one character, or `tab`.
    #[arg(long, value_name = "C", value_parser = reader(values::delimiter))]
    pub delimiter: Option<u8>,
    /// The workbook's sheet to read (by default the one that looks like the customer table).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Keep a trailing "Total" row as a customer instead of leaving it out.
    #[arg(
        long,
        value_name = "yes|no",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "yes",
        value_parser = yes_no()
    )]
    pub keep_summary_rows: Option<bool>,
}

/// Which column is the churn target.
#[derive(Debug, Args)]
#[command(next_help_heading = "Target")]
pub struct TargetArgs {
    /// The churn column (by default the one that looks like it).
    #[arg(long, value_name = "COL")]
    pub target: Option<String>,
    /// The target's value that means "churned".
    #[arg(long, value_name = "VALUE")]
    pub positive: Option<String>,
}

#[derive(Debug, Args)]
#[command(args_override_self = true, allow_negative_numbers = true)]
pub struct ProfileArgs {
    /// Profile N rows of FILE drawn at random (seed 42) in one pass that holds only those
    /// rows; delimited text over 1 GiB is sampled to 1,000,000 rows unless this says.
    #[arg(long, value_name = "N", value_parser = number::<usize>())]
    pub sample: Option<usize>,
    #[command(flatten)]
    pub progress: ProgressArgs,
    #[command(flatten)]
    pub input: FileArgs,
}

#[derive(Debug, Args)]
#[command(args_override_self = true, allow_negative_numbers = true)]
pub struct TrainArgs {
    /// Train on N rows of FILE drawn at random (seeded by --seed) in one pass that holds
    /// only those rows: for a file too big to load. Delimited text only.
    #[arg(long, value_name = "N", value_parser = number::<usize>())]
    pub sample: Option<usize>,
    #[command(flatten)]
    pub progress: ProgressArgs,
    /// Write the fitted pipeline as JSON to this file.
    #[arg(long, value_name = "model.json")]
    pub out: Option<String>,
    /// Write a model file (`.churnscope.json`: the pipeline with the schema, test metrics
    /// and a reference profile of FILE in aggregates) for `score` and `drift`.
    #[arg(long, value_name = "model.churnscope.json")]
    pub save: Option<String>,
    #[command(flatten)]
    pub input: FileArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub split: SplitArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub tuning: TuningArgs,
    #[command(flatten)]
    pub prep: PrepArgs,
    #[command(flatten)]
    pub decision: DecisionArgs,
}

/// Which rows train the model and which test it.
#[derive(Debug, Args)]
#[command(next_help_heading = "Split")]
pub struct SplitArgs {
    /// Columns to leave out of the features.
    #[arg(long, value_name = "COL,COL", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Columns left out by default (identifiers, free or near-unique text) to use as
    /// features after all: text as categories, numbers as numbers.
    #[arg(long, value_name = "COL,COL", value_delimiter = ',')]
    pub include: Vec<String>,
    /// Train on all of FILE and evaluate on this file instead.
    #[arg(long, value_name = "TEST")]
    pub test: Option<String>,
    /// The share of FILE's customers kept for the test.
    #[arg(long, value_name = "SHARE", default_value = "0.2", value_parser = number::<f64>())]
    pub test_fraction: f64,
    /// Test on the latest customers by this date column (out of time), left out of the features.
    #[arg(long, value_name = "COL")]
    pub split_date: Option<String>,
    /// The seed of the split and of every random step.
    #[arg(long, default_value = "42", value_parser = number::<u64>())]
    pub seed: u64,
}

/// The model and its settings.
#[derive(Debug, Args)]
#[command(next_help_heading = "Model")]
pub struct ModelArgs {
    /// The model to train.
    #[arg(long, value_name = "MODEL", default_value = "logistic", value_parser = choice::<Model>())]
    pub model: Model,
    /// Logistic regression's inverse regularisation strength [default: 1.0].
    #[arg(long = "c", value_name = "C", value_parser = number::<f64>())]
    pub c: Option<f64>,
    /// Logistic regression's penalty: l2, l1 or elasticnet:RATIO (e.g. elasticnet:0.5).
    #[arg(long, value_name = "PENALTY", value_parser = reader(values::penalty))]
    pub penalty: Option<Penalty>,
    /// Weigh the classes (logistic or gbdt): balanced, or NEG:POS (e.g. 1:3).
    #[arg(long, value_name = "WEIGHTS", value_parser = reader(values::class_weight))]
    pub class_weight: Option<ClassWeight>,
    /// Over- or under-sample the training rows to balance the classes.
    #[arg(long, value_name = "HOW", value_parser = choice::<ResampleArg>())]
    pub resample: Option<ResampleArg>,
    /// Stop the trees (gbdt) when 10% of the training rows held out have not improved for ROUNDS trees.
    #[arg(long, value_name = "ROUNDS", value_parser = number::<usize>())]
    pub early_stopping: Option<usize>,
    /// How the boosted trees (gbdt) grow.
    #[arg(long, value_name = "HOW", value_parser = choice::<GrowthArg>())]
    pub growth: Option<GrowthArg>,
    /// Cap the depth of boosted or forest trees.
    #[arg(long, value_name = "D", value_parser = reader(values::depth))]
    pub max_depth: Option<usize>,
}

/// Choosing the hyperparameters by cross-validation.
#[derive(Debug, Args)]
#[command(next_help_heading = "Cross-validation")]
pub struct TuningArgs {
    /// Choose the hyperparameters by stratified K-fold cross-validation on the training rows.
    #[arg(long, value_name = "K", value_parser = reader(values::folds))]
    pub cv: Option<usize>,
    /// The score that chooses (with --cv) [default: roc_auc].
    #[arg(long, value_name = "SCORE", value_parser = choice::<ScoringArg>())]
    pub scoring: Option<ScoringArg>,
    /// The settings tried (with --cv): the whole grid, or random:N settings of it [default: grid].
    #[arg(long, value_name = "grid|random:N", value_parser = reader(values::search))]
    pub search: Option<Search>,
}

/// How the table becomes features.
#[derive(Debug, Args)]
#[command(next_help_heading = "Preprocessing")]
pub struct PrepArgs {
    /// Fill in missing values: median, mean or constant:VALUE.
    #[arg(long, value_name = "HOW", value_parser = reader(values::impute))]
    pub impute: Option<Impute>,
    /// Add a feature saying which values were missing.
    #[arg(long, num_args = 0..=1, default_missing_value = "yes", value_parser = yes_no())]
    pub missing_indicator: Option<bool>,
    /// Levels seen fewer than MIN times (or in a share under MIN when below 1) become one feature.
    #[arg(long, value_name = "MIN", value_parser = number::<f64>())]
    pub rare_levels: Option<f64>,
    /// Reduce the features to K principal components (logistic or mlp).
    #[arg(long, value_name = "K", value_parser = number::<usize>())]
    pub pca: Option<usize>,
}

/// Probabilities and the decision threshold, fitted on out-of-fold scores.
#[derive(Debug, Args)]
#[command(next_help_heading = "Probabilities and threshold")]
pub struct DecisionArgs {
    /// Calibrate the probabilities.
    #[arg(long, value_name = "METHOD", value_parser = choice::<CalibrationArg>())]
    pub calibration: Option<CalibrationArg>,
    /// The threshold: a number (default 0.5), f1, recall:R, precision:P or cost:FP:FN.
    #[arg(long, value_name = "RULE", value_parser = reader(values::threshold))]
    pub threshold: Option<Threshold>,
}

#[derive(Debug, Args)]
#[command(args_override_self = true, allow_negative_numbers = true)]
pub struct CompareArgs {
    /// Columns to leave out of the features.
    #[arg(long, value_name = "COL,COL", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Columns left out by default (identifiers, free or near-unique text) to use as
    /// features after all.
    #[arg(long, value_name = "COL,COL", value_delimiter = ',')]
    pub include: Vec<String>,
    /// The seed of the split and of every random step.
    #[arg(long, default_value = "42", value_parser = number::<u64>())]
    pub seed: u64,
    /// The models to compare [default: logistic,gbdt,forest,mlp].
    #[arg(long, value_name = "MODEL,MODEL", value_delimiter = ',', value_parser = choice::<Model>())]
    pub models: Vec<Model>,
    /// Also score each model by K-fold cross-validation on the training rows.
    #[arg(long, value_name = "K", value_parser = reader(values::folds))]
    pub cv: Option<usize>,
    /// With --cv: search each model's grid and report its best setting.
    #[arg(long, num_args = 0..=1, default_missing_value = "yes", value_parser = yes_no())]
    pub search: Option<bool>,
    /// Balance the classes: class weights, or over- or under-sampling.
    #[arg(long, value_name = "HOW", value_parser = choice::<BalanceArg>())]
    pub balance: Option<BalanceArg>,
    /// Add permutation importance and the riskiest test customers' reasons.
    #[arg(long, num_args = 0..=1, default_missing_value = "yes", value_parser = yes_no())]
    pub explain: Option<bool>,
    #[command(flatten)]
    pub input: FileArgs,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Debug, Args)]
#[command(args_override_self = true, allow_negative_numbers = true)]
pub struct ActArgs {
    /// The model to train.
    #[arg(long, value_name = "MODEL", default_value = "logistic", value_parser = choice::<Model>())]
    pub model: Model,
    /// The playbook, as JSON (by default the built-in e-commerce one).
    #[arg(long, value_name = "FILE.json")]
    pub playbook: Option<String>,
    /// Write the action list: CSV, or Excel for a name ending in .xlsx.
    #[arg(long, value_name = "actions.csv|actions.xlsx")]
    pub out: Option<String>,
    /// Write a model file (`.churnscope.json`) with this campaign's tier cut-offs, profit
    /// inputs and playbook, for `score` and `drift`.
    #[arg(long, value_name = "model.churnscope.json")]
    pub save: Option<String>,
    /// Write the one-file HTML report.
    #[arg(long, value_name = "report.html")]
    pub report: Option<String>,
    #[command(flatten)]
    pub input: FileArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub campaign: CampaignArgs,
}

/// What a campaign is worth and costs, and the risk tiers.
#[derive(Debug, Args)]
#[command(next_help_heading = "Campaign")]
pub struct CampaignArgs {
    /// What keeping a customer is worth.
    #[arg(long, value_name = "VALUE", default_value = "200", value_parser = number::<f64>())]
    pub value: f64,
    /// The column holding each customer's own value (instead of --value).
    #[arg(long, value_name = "COL")]
    pub value_column: Option<String>,
    /// What one contact costs.
    #[arg(long, value_name = "COST", default_value = "10", value_parser = number::<f64>())]
    pub cost: f64,
    /// The share of contacted churners the contact keeps.
    #[arg(long, value_name = "RATE", default_value = "0.3", value_parser = number::<f64>())]
    pub success: f64,
    /// At most this many contacts.
    #[arg(long, value_name = "N", value_parser = number::<usize>())]
    pub capacity: Option<usize>,
    /// The churn probability from which a customer is high risk [default: the test scores' 80th percentile].
    #[arg(long, value_name = "P", value_parser = number::<f64>())]
    pub high: Option<f64>,
    /// The churn probability from which a customer is medium risk [default: the test scores' 50th percentile].
    #[arg(long, value_name = "P", value_parser = number::<f64>())]
    pub medium: Option<f64>,
}

#[derive(Debug, Args)]
#[command(args_override_self = true, allow_negative_numbers = true)]
pub struct OrdersArgs {
    /// The export's layout (auto: recognised from the header).
    #[arg(long, value_name = "LAYOUT", default_value = "auto", value_parser = ["auto", "shopify", "online-retail", "cdnow", "generic"])]
    pub layout: String,
    /// The customer id column.
    #[arg(long, value_name = "COL")]
    pub customer: Option<String>,
    /// The order date column.
    #[arg(long, value_name = "COL")]
    pub date: Option<String>,
    /// The amount column (an order's or a line's value).
    #[arg(long, value_name = "COL")]
    pub amount: Option<String>,
    /// The order id column (groups line items into orders).
    #[arg(long, value_name = "COL")]
    pub order_id: Option<String>,
    /// The last day of the history, YYYY-MM-DD (default: last day in the log − horizon).
    #[arg(long, value_name = "DATE")]
    pub cutoff: Option<String>,
    /// Days after the cutoff without an order that make a customer churned.
    #[arg(long, value_name = "DAYS", default_value_t = 90, value_parser = number::<i64>())]
    pub horizon: i64,
    /// Days of history before the cutoff the features look at (default: all).
    #[arg(long, value_name = "DAYS", value_parser = number::<i64>())]
    pub window: Option<i64>,
    /// Customers whose first order is fewer days than this before the cutoff are left out.
    #[arg(long, value_name = "DAYS", default_value_t = 30, value_parser = number::<i64>())]
    pub min_history: i64,
    /// Write the labelled customers (features and `churned`) as CSV.
    #[arg(long, value_name = "customers.csv")]
    pub out: Option<String>,
    /// Write the current customers (features as of the last day, no label) as CSV.
    #[arg(long, value_name = "current.csv")]
    pub current: Option<String>,
    /// Skip fitting BG/NBD and Pareto/NBD.
    #[arg(long)]
    pub no_baselines: bool,
    #[command(flatten)]
    pub stream: StreamArgs,
    #[command(flatten)]
    pub input: FileArgs,
}

#[derive(Debug, Args)]
#[command(args_override_self = true)]
pub struct SampleArgs {
    /// The number of customers.
    #[arg(long, default_value_t = SampleSpec::default().customers, value_parser = number::<usize>())]
    pub rows: usize,
    /// The seed of the generator.
    #[arg(long, default_value_t = SampleSpec::default().seed, value_parser = number::<u64>())]
    pub seed: u64,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<String>,
    /// Write a seeded order log instead (--rows customers who buy and drop out as the
    /// Pareto/NBD story says), for `churnscope orders`.
    #[arg(long)]
    pub orders: bool,
    /// With --orders: stop after this many order lines.
    #[arg(long, value_name = "N", value_parser = number::<usize>())]
    pub lines: Option<usize>,
}

/// `--format`: how a command prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Lines for people.
    Text,
    /// One JSON document for programs.
    Json,
}

impl Choice for Format {}

/// `--model` and `--models`: the four models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Model {
    /// Logistic regression: imputed, standardised numbers and one-hot categories.
    Logistic,
    /// Gradient-boosted trees with LightGBM's defaults, native missing values and categories.
    Gbdt,
    /// A random forest of 100 Gini trees.
    Forest,
    /// A neural network with one hidden layer of 100, Adam, early stopping.
    Mlp,
}

impl Choice for Model {
    fn unknown(value: &str, choices: String) -> ValueProblem {
        ValueProblem::UnknownModel {
            value: value.to_string(),
            choices,
        }
    }
}

impl From<Model> for ModelKind {
    fn from(model: Model) -> Self {
        match model {
            Model::Logistic => ModelKind::Logistic,
            Model::Gbdt => ModelKind::Gbdt,
            Model::Forest => ModelKind::Forest,
            Model::Mlp => ModelKind::Mlp,
        }
    }
}

/// `--resample`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResampleArg {
    /// Draw minority rows again until both classes are as many.
    Over,
    /// Keep a random subset of the majority rows as large as the minority.
    Under,
}

impl Choice for ResampleArg {}

impl From<ResampleArg> for Resample {
    fn from(how: ResampleArg) -> Self {
        match how {
            ResampleArg::Over => Resample::Over,
            ResampleArg::Under => Resample::Under,
        }
    }
}

/// `--growth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GrowthArg {
    /// The leaf whose best split gains most, wherever it is (LightGBM's default).
    Leaf,
    /// Level by level.
    Depth,
}

impl Choice for GrowthArg {}

impl From<GrowthArg> for Growth {
    fn from(how: GrowthArg) -> Self {
        match how {
            GrowthArg::Leaf => Growth::LeafWise,
            GrowthArg::Depth => Growth::DepthWise,
        }
    }
}

/// `--scoring`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScoringArg {
    /// Area under the ROC curve.
    #[value(name = "roc_auc")]
    RocAuc,
    /// Area under the precision-recall curve.
    #[value(name = "pr_auc")]
    PrAuc,
}

impl Choice for ScoringArg {}

impl From<ScoringArg> for Scoring {
    fn from(score: ScoringArg) -> Self {
        match score {
            ScoringArg::RocAuc => Scoring::RocAuc,
            ScoringArg::PrAuc => Scoring::PrAuc,
        }
    }
}

/// `--calibration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CalibrationArg {
    /// A two-parameter sigmoid of the score (smooth, needs few rows).
    Platt,
    /// A non-decreasing piecewise-linear map (flexible, needs more rows).
    Isotonic,
}

impl Choice for CalibrationArg {}

impl From<CalibrationArg> for CalibrationMethod {
    fn from(method: CalibrationArg) -> Self {
        match method {
            CalibrationArg::Platt => CalibrationMethod::Platt,
            CalibrationArg::Isotonic => CalibrationMethod::Isotonic,
        }
    }
}

/// `compare --balance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BalanceArg {
    /// Balanced class weights (the forest and the network draw minority rows again instead).
    Weights,
    /// Random oversampling of the minority class.
    Over,
    /// Random undersampling of the majority class.
    Under,
}

impl Choice for BalanceArg {}

impl From<BalanceArg> for Balance {
    fn from(how: BalanceArg) -> Self {
        match how {
            BalanceArg::Weights => Balance::Weights,
            BalanceArg::Over => Balance::Over,
            BalanceArg::Under => Balance::Under,
        }
    }
}

#[derive(Debug, Args)]
#[command(args_override_self = true)]
pub struct ScoreArgs {
    /// The model file (`.churnscope.json`).
    #[arg(value_name = "MODEL")]
    pub model: String,
    /// Write the action list: CSV (streamed, in the file's row order), or Excel for a name
    /// ending in .xlsx (riskiest first, up to Excel's row limit).
    #[arg(long, value_name = "scored.csv|scored.xlsx")]
    pub out: Option<String>,
    /// Leave out the per-customer reasons (faster for trees; the playbook then gives every
    /// customer its fallback action).
    #[arg(long)]
    pub no_reasons: bool,
    #[command(flatten)]
    pub stream: StreamArgs,
    #[command(flatten)]
    pub input: FileArgs,
}

/// How a delimited file is read a piece at a time (`score`, `orders`).
#[derive(Debug, Args)]
pub struct StreamArgs {
    /// Kilobytes of records read at a time (16 MiB by default).
    #[arg(long, value_name = "KB", default_value_t = 16_384)]
    pub chunk_kb: usize,
    #[command(flatten)]
    pub progress: ProgressArgs,
}

/// `--progress`, for the commands that read a big file in one pass.
#[derive(Debug, Args)]
pub struct ProgressArgs {
    /// Progress on standard error while a delimited file is read in pieces or sampled: auto
    /// (a bar when standard error is a terminal), bar, json (one object a piece) or off.
    #[arg(long, value_name = "HOW", default_value = "auto", value_parser = reader(values::progress))]
    pub progress: ProgressMode,
}

#[derive(Debug, Args)]
#[command(args_override_self = true)]
pub struct DriftArgs {
    /// The model file (`.churnscope.json`).
    #[arg(value_name = "MODEL")]
    pub model: String,
    /// Compare N rows of FILE drawn at random (seed 42) in one pass that holds only those
    /// rows; delimited text over 1 GiB is sampled to 1,000,000 rows unless this says.
    #[arg(long, value_name = "N", value_parser = number::<usize>())]
    pub sample: Option<usize>,
    #[command(flatten)]
    pub progress: ProgressArgs,
    #[command(flatten)]
    pub input: FileArgs,
}

#[derive(Debug, Args)]
#[command(args_override_self = true)]
pub struct SqlArgs {
    /// The model file (`.churnscope.json`).
    #[arg(value_name = "MODEL")]
    pub model: String,
    /// The engine the query is for: duckdb, postgres, spark or bigquery.
    #[arg(long, value_name = "ENGINE", default_value = "duckdb", value_parser = reader(values::dialect))]
    pub dialect: Dialect,
    /// The customer table the query reads (schema.table and project.dataset.table work).
    #[arg(long, value_name = "NAME", default_value = "customers")]
    pub table: String,
    /// Write CREATE OR REPLACE VIEW NAME AS before the query.
    #[arg(long, value_name = "NAME")]
    pub view: Option<String>,
    /// The table's customer id column (default: the model's identifier column).
    #[arg(long, value_name = "COLUMN")]
    pub id: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<String>,
}
