//! `churnscope`: the command line over the same engine the page runs.
//!
//! For files too big for a browser tab and for automation. Human wording of errors lives here,
//! at the edge; the engine returns typed errors.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::run(std::env::args().skip(1).collect()));
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    /// `println!` that ends the program quietly when standard output is closed (piped into
    /// `head`, say) instead of panicking.
    macro_rules! out {
        ($($arg:tt)*) => {{
            use std::io::Write as _;
            if writeln!(std::io::stdout(), $($arg)*).is_err() {
                std::process::exit(0);
            }
        }};
    }

    /// `print!` with the same care.
    macro_rules! out_raw {
        ($($arg:tt)*) => {{
            use std::io::Write as _;
            if write!(std::io::stdout(), $($arg)*).is_err() {
                std::process::exit(0);
            }
        }};
    }

    use std::time::Instant;

    use churnscope_charts::report::{html_report, ReportInput};
    use churnscope_engine::acting::actions::{
        action_list, action_table, profit_curve, score_customers, summarise_tiers, CustomerValue,
        Playbook, ProfitInputs, TierCuts,
    };
    use churnscope_engine::acting::export::{to_csv, to_xlsx};
    use churnscope_engine::dataset::Dataset;
    use churnscope_engine::evaluating::evaluation::{
        best_model, run_plan, Balance, ModelRun, TrainPlan,
    };
    use churnscope_engine::evaluating::metrics::ClassificationReport;
    use churnscope_engine::modelling::calibration::CalibrationMethod;
    use churnscope_engine::modelling::models::gbdt::{EarlyStopping, Growth};
    use churnscope_engine::modelling::models::{ClassWeight, LogisticRegressionParams, Penalty};
    use churnscope_engine::modelling::pipeline::{
        FitTimes, FittedPipeline, ModelKind, Resample, TrainConfig,
    };
    use churnscope_engine::modelling::preprocessing::{
        CategoricalImpute, NumericImpute, PrepOptions,
    };
    use churnscope_engine::modelling::threshold::ThresholdRule;
    use churnscope_engine::modelling::training::{fit_tuned, train_and_evaluate, TunedFit};
    use churnscope_engine::modelling::tuning::{Scoring, Tuning, TuningReport};
    use churnscope_engine::reading::decode::TextEncoding;
    use churnscope_engine::reading::ingest::{read_table, ReadInfo, ReadOptions};
    use churnscope_engine::reading::sample::{generate_csv, SampleSpec};
    use churnscope_engine::understanding::checks::check;
    use churnscope_engine::understanding::profile::profile_column;
    use churnscope_engine::understanding::target::{detect_target, target_for, Target};

    const USAGE: &str = "\
churnscope: churn modelling on your own machine (no data leaves it)

USAGE:
  churnscope profile FILE [--format text|json] [--encoding NAME] [--delimiter C] [--sheet NAME]
                         [--keep-summary-rows]
      Column kinds, missing and distinct counts, and the proposed target. FILE is delimited
      text (encoding: UTF-8, UTF-16LE, UTF-16BE, GB18030, Windows-1252, and delimiter
      detected unless given) or a workbook (.xlsx, .xls, .xlsb, .ods; unless --sheet, the
      sheet that looks like the customer table: one with a target candidate, then the most
      rows). A spreadsheet's \"Total\" row at the end (labelled Total, Sum, Grand total, 合计,
      总计... with numbers far above every customer's) is left out, with a notice on stderr,
      unless --keep-summary-rows; every command that reads FILE takes these four options.
  churnscope train FILE [--target COL] [--positive VALUE] [--ignore COL,COL]
                        [--test FILE | --test-fraction 0.2 [--split-date COL]] [--seed 42] [--c 1.0]
                        [--model logistic|gbdt|forest|mlp]
                        [--cv K [--scoring roc_auc|pr_auc] [--search grid|random:N]]
                        [--penalty l2|l1|elasticnet:RATIO] [--class-weight balanced|NEG:POS]
                        [--resample over|under] [--early-stopping ROUNDS]
                        [--growth leaf|depth] [--max-depth D]
                        [--impute median|mean|constant:VALUE] [--missing-indicator yes]
                        [--rare-levels MIN] [--pca K] [--calibration platt|isotonic]
                        [--threshold 0.5|f1|recall:R|precision:P|cost:FP:FN]
                        [--out model.json] [--format text|json]
                        [--encoding NAME] [--delimiter C] [--sheet NAME] [--keep-summary-rows]
      Trains a model and prints test metrics (roc_auc, pr_auc, accuracy, precision, recall,
      f1, log_loss, brier) and timings. Models: logistic regression (default; imputed,
      standardised numbers and one-hot categories, fitted on the training rows only),
      gbdt (gradient-boosted trees with LightGBM's defaults, native missing values and
      categories), forest (a random forest of 100 Gini trees), mlp (a neural network with
      one hidden layer of 100, Adam, early stopping). With --test FILE it trains on all of
      FILE and evaluates on the other file, so results compare one to one with other
      libraries on the same split. --split-date COL tests on the latest customers by that
      date column (out of time) instead of a random share, and leaves COL out of the features. --cv K chooses the model's hyperparameters (C from 1e-4
      to 1e4 for logistic regression; leaves, learning rate, leaf size for gbdt; features
      per split, leaf size for forest; width, L2 for mlp) by stratified K-fold
      cross-validation on the training rows, over the whole grid or N random settings of
      it (--search random:N). --calibration and
      --threshold are fitted on 5-fold out-of-fold scores of the training rows; the
      chosen threshold is saved with the model. --out writes the fitted pipeline as JSON.
  churnscope compare FILE [--target COL] [--positive VALUE] [--ignore COL,COL]
                          [--models logistic,gbdt,forest,mlp] [--cv K [--search yes]]
                          [--balance weights|over|under] [--explain yes] [--format text|json]
      Trains several models on one split (default: all four) and prints them side by
      side, as the page's comparison table: test ROC AUC, PR AUC, F1, recall, precision,
      log loss, Brier, fit time and, with --cv K, the K-fold ROC AUC (mean and standard
      deviation; with --search yes, of the best setting of each model's grid), with warnings
      (suspected leakage, no better than the churn rate, overfitting) and the recommended
      model. --explain yes adds each model's permutation importance and the top reasons of the
      riskiest test customers.
  churnscope act FILE [--target COL] [--positive VALUE] [--model logistic|gbdt|forest|mlp]
                      [--value 200 | --value-column COL] [--cost 10] [--success 0.3]
                      [--capacity N] [--high P --medium P] [--playbook FILE.json]
                      [--out actions.csv|actions.xlsx] [--report report.html]
                      [--format text|json]
      The page's step 5 on the command line: trains the model on the page's split (test
      share 0.2, seed 42), finds the most profitable number of customers to contact (a kept
      customer worth --value or their own --value-column, a contact costing --cost and
      keeping --success of the churners it reaches, at most --capacity contacts) from the
      test customers' real outcomes projected to the whole file, cuts risk tiers (default:
      the 80th and 50th percentiles of the test scores), scores every customer with their
      top three reasons, suggests an action from the playbook (the built-in e-commerce one,
      or a JSON file {\"rules\": [{\"columns\": \"days since|recency\", \"action\": \"...\"}],
      \"fallback\": \"...\"}) and writes the action list (CSV or Excel by the extension; in
      the CSV, cells a spreadsheet would run as a formula get a leading apostrophe, the
      workbook keeps text as it is, never as a formula) and the one-file HTML report. Prints the plan and how long each step took.
  churnscope sample [--rows 5000] [--seed 20241101] [--out FILE]
      Writes the built-in synthetic sample dataset (to standard output without --out).
";

    /// Options that take no value.
    const FLAGS: &[&str] = &["keep-summary-rows"];

    struct Args {
        positional: Vec<String>,
        options: Vec<(String, String)>,
    }

    impl Args {
        fn parse(raw: Vec<String>, known: &[&str]) -> Result<Args, String> {
            let mut positional = Vec::new();
            let mut options = Vec::new();
            let mut it = raw.into_iter();
            while let Some(a) = it.next() {
                if let Some(name) = a.strip_prefix("--") {
                    let (name, value) = match name.split_once('=') {
                        Some((n, v)) => (n.to_string(), v.to_string()),
                        None if FLAGS.contains(&name) => (name.to_string(), "yes".to_string()),
                        None => {
                            let v = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
                            (name.to_string(), v)
                        }
                    };
                    if !known.contains(&name.as_str()) {
                        return Err(format!("unknown option --{name}"));
                    }
                    options.push((name, value));
                } else {
                    positional.push(a);
                }
            }
            Ok(Args {
                positional,
                options,
            })
        }

        fn get(&self, name: &str) -> Option<&str> {
            self.options
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        }

        fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
            match self.get(name) {
                None => Ok(default),
                Some(v) => v
                    .parse()
                    .map_err(|_| format!("--{name}: '{v}' is not a valid number")),
            }
        }

        fn file(&self) -> Result<&str, String> {
            match self.positional.as_slice() {
                [f] => Ok(f),
                [] => Err("missing the FILE argument".into()),
                more => Err(format!("expected one FILE, got {}", more.len())),
            }
        }

        fn json(&self) -> Result<bool, String> {
            match self.get("format").unwrap_or("text") {
                "text" => Ok(false),
                "json" => Ok(true),
                other => Err(format!("--format must be text or json, not '{other}'")),
            }
        }
    }

    pub fn run(raw: Vec<String>) -> i32 {
        let (command, rest) = match raw.split_first() {
            Some((c, rest)) => (c.as_str(), rest.to_vec()),
            None => {
                eprint!("{USAGE}");
                return 2;
            }
        };
        let result = match command {
            "profile" => profile(rest),
            "train" => train(rest),
            "compare" => compare(rest),
            "act" => act(rest),
            "sample" => sample(rest),
            "help" | "--help" | "-h" => {
                out_raw!("{USAGE}");
                Ok(())
            }
            other => Err(format!("unknown command '{other}'\n\n{USAGE}")),
        };
        match result {
            Ok(()) => 0,
            Err(message) => {
                eprintln!("churnscope: {message}");
                1
            }
        }
    }

    fn load(path: &str, options: &ReadOptions) -> Result<(Dataset, f64), String> {
        load_with_info(path, options).map(|(ds, _, s)| (ds, s))
    }

    fn load_with_info(
        path: &str,
        options: &ReadOptions,
    ) -> Result<(Dataset, ReadInfo, f64), String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        let start = Instant::now();
        let (ds, info) = read_table(&bytes, options).map_err(|e| format!("{path}: {e}"))?;
        let seconds = start.elapsed().as_secs_f64();
        // Decisions the reader took for the user, said on stderr so stdout stays the result.
        if let Some(reason) = &info.sheet_reason {
            eprintln!("churnscope: {path}: {reason}");
        }
        for row in &info.summary_rows {
            let hint = if row.kept {
                ""
            } else {
                " (--keep-summary-rows keeps it)"
            };
            eprintln!("churnscope: {path}: {}{hint}", row.message());
        }
        Ok((ds, info, seconds))
    }

    /// `--encoding`, `--delimiter`, `--sheet` and `--keep-summary-rows`, when given.
    fn read_options(args: &Args) -> Result<ReadOptions, String> {
        let encoding = match args.get("encoding") {
            None => None,
            Some(label) => Some(TextEncoding::from_label(label).ok_or_else(|| {
                format!("--encoding: unknown encoding '{label}' (use UTF-8, UTF-16LE, UTF-16BE, GB18030 or Windows-1252)")
            })?),
        };
        let delimiter = match args.get("delimiter") {
            None => None,
            Some("\\t") | Some("tab") => Some(b'\t'),
            Some(d) if d.len() == 1 => Some(d.as_bytes()[0]),
            Some(d) => return Err(format!("--delimiter: '{d}' is not a single character")),
        };
        Ok(ReadOptions {
            encoding,
            delimiter,
            sheet: args.get("sheet").map(str::to_string),
            keep_summary_rows: args.get("keep-summary-rows").is_some(),
            ..Default::default()
        })
    }

    fn profile(raw: Vec<String>) -> Result<(), String> {
        let args = Args::parse(
            raw,
            &[
                "format",
                "encoding",
                "delimiter",
                "sheet",
                "keep-summary-rows",
            ],
        )?;
        let path = args.file()?;
        let json = args.json()?;
        let (ds, info, seconds) = load_with_info(path, &read_options(&args)?)?;
        let target = detect_target(&ds);
        let summary = ds.summary();
        let warnings = check(&ds, target.as_ref().ok().and_then(|t| t.as_ref()));
        if json {
            let value = serde_json::json!({
                "file": path,
                "rows": ds.n_rows,
                "encoding": info.encoding.label(),
                "delimiter": info.delimiter,
                "sheet": info.sheet,
                "sheets": info.sheets,
                "sheet_reason": info.sheet_reason,
                "summary_rows": info.summary_rows.iter().map(|r| serde_json::json!({
                    "row": r,
                    "message": r.message(),
                })).collect::<Vec<_>>(),
                "notes": info.notes,
                "parse_seconds": seconds,
                "columns": ds
                    .columns
                    .iter()
                    .map(|c| profile_column(&ds, c, target.as_ref().ok().and_then(|t| t.as_ref())))
                    .collect::<Vec<_>>(),
                "target": target.as_ref().ok().and_then(|t| t.as_ref()),
                "target_problem": target.as_ref().err().map(|e| e.to_string()),
                "warnings": warnings.iter().map(|w| serde_json::json!({
                    "warning": w,
                    "message": w.message(),
                })).collect::<Vec<_>>(),
            });
            out!(
                "{}",
                serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?
            );
            return Ok(());
        }
        let format = match &info.sheet {
            Some(sheet) => format!("sheet '{sheet}' of {}", info.sheets.len()),
            None => format!("{}, delimiter '{}'", info.encoding.label(), info.delimiter),
        };
        out!(
            "{path}: {} rows, {} columns, {format} (read in {seconds:.3} s)",
            ds.n_rows,
            summary.len(),
        );
        for note in &info.notes {
            out!("note: {note}");
        }
        out!(
            "{:<32} {:<12} {:>8} {:>9}",
            "column",
            "kind",
            "missing",
            "distinct"
        );
        for c in &summary {
            out!(
                "{:<32} {:<12} {:>8} {:>9}",
                c.name,
                c.kind.label(),
                c.missing,
                c.distinct
            );
        }
        match target {
            Ok(Some(t)) => out!("target: {} (positive value '{}')", t.column, t.positive),
            Ok(None) => out!("target: none proposed; pass --target to `train`"),
            Err(e) => out!("target: {e}"),
        }
        for w in &warnings {
            out!("warning: {}", w.message());
        }
        Ok(())
    }

    fn choose_target(ds: &Dataset, args: &Args) -> Result<Target, String> {
        match args.get("target") {
            Some(column) => target_for(ds, column, args.get("positive")).map_err(|e| e.to_string()),
            None => match detect_target(ds).map_err(|e| e.to_string())? {
                Some(t) if args.get("positive").is_none() => Ok(t),
                Some(t) => {
                    target_for(ds, &t.column, args.get("positive")).map_err(|e| e.to_string())
                }
                None => Err("no churn column recognised: pass --target COL".into()),
            },
        }
    }

    fn train(raw: Vec<String>) -> Result<(), String> {
        let args = Args::parse(
            raw,
            &[
                "target",
                "positive",
                "ignore",
                "test",
                "test-fraction",
                "seed",
                "c",
                "model",
                "cv",
                "scoring",
                "out",
                "format",
                "encoding",
                "delimiter",
                "sheet",
                "keep-summary-rows",
                "penalty",
                "class-weight",
                "resample",
                "early-stopping",
                "impute",
                "missing-indicator",
                "rare-levels",
                "pca",
                "calibration",
                "threshold",
                "search",
                "split-date",
                "growth",
                "max-depth",
            ],
        )?;
        let model = match args.get("model") {
            None | Some("logistic") => ModelKind::Logistic,
            Some("gbdt") => ModelKind::Gbdt,
            Some("forest") => ModelKind::Forest,
            Some("mlp") => ModelKind::Mlp,
            Some(m) => {
                return Err(format!(
                    "--model: unknown model '{m}' (use logistic, gbdt, forest or mlp)"
                ))
            }
        };
        let path = args.file()?;
        let json = args.json()?;
        let options = read_options(&args)?;
        let (ds, parse_seconds) = load(path, &options)?;
        let target = choose_target(&ds, &args)?;
        let mut config = TrainConfig::new(target);
        config.model = model;
        config.ignore = args
            .get("ignore")
            .map(|s| s.split(',').map(|c| c.trim().to_string()).collect())
            .unwrap_or_default();
        for column in &config.ignore {
            if ds.column(column).is_none() {
                return Err(format!("--ignore: there is no column '{column}'"));
            }
        }
        config.seed = args.number("seed", 42u64)?;
        if let Some(column) = args.get("split-date") {
            if args.get("test").is_some() {
                return Err(
                    "--split-date and --test are two ways to choose the test rows; use one".into(),
                );
            }
            if ds.column(column).is_none() {
                return Err(format!("--split-date: there is no column '{column}'"));
            }
            config.split_by_date = Some(column.to_string());
        }
        config.test_fraction = args.number("test-fraction", 0.2f64)?;
        let c_arg = args.number("c", 1.0f64)?;
        config.logistic = LogisticRegressionParams::new().c(c_arg);
        apply_model_options(&args, &mut config)?;
        config.logistic.check().map_err(|e| e.to_string())?;
        if let Some(k) = args.get("cv") {
            let folds: usize = k
                .parse()
                .ok()
                .filter(|&k| k >= 2)
                .ok_or_else(|| format!("--cv: '{k}' is not a number of folds (2 or more)"))?;
            let mut tuning = Tuning::new(folds);
            tuning.seed = config.seed;
            tuning.scoring = match args.get("scoring") {
                None | Some("roc_auc") => Scoring::RocAuc,
                Some("pr_auc") => Scoring::PrAuc,
                Some(s) => return Err(format!("--scoring: '{s}' (use roc_auc or pr_auc)")),
            };
            tuning.random = match args.get("search") {
                None | Some("grid") => None,
                Some(r) => match r.strip_prefix("random:").map(str::parse::<usize>) {
                    Some(Ok(n)) if n > 0 => Some(n),
                    _ => {
                        return Err(format!(
                            "--search: '{r}' (use grid or random:N, e.g. random:5)"
                        ))
                    }
                },
            };
            config.tuning = Some(tuning);
        } else if args.get("scoring").is_some() || args.get("search").is_some() {
            return Err("--scoring and --search go with --cv".into());
        }

        let start = Instant::now();
        // With --test, the fit alone is timed (tuning included, evaluation not), so the
        // figure compares with other libraries' fit times.
        let mut fit_only = None;
        let mut steps = None;
        let (pipeline, report, n_train, n_test, test_parse, tuning) = match args.get("test") {
            None => {
                let o = train_and_evaluate(&ds, &config, |_| true).map_err(|e| e.to_string())?;
                (o.pipeline, o.test, o.n_train, o.n_test, None, o.tuning)
            }
            Some(test_path) => {
                let labels = config.target.labels(&ds).map_err(|e| e.to_string())?;
                let rows: Vec<usize> = (0..ds.n_rows).filter(|&r| labels[r].is_some()).collect();
                let clock = || start.elapsed().as_secs_f64();
                let TunedFit {
                    pipeline,
                    tuning,
                    times,
                    ..
                } = fit_tuned(&ds, &rows, &config, |_| true, &clock).map_err(|e| e.to_string())?;
                fit_only = Some(start.elapsed().as_secs_f64());
                steps = Some(times);
                let test_options = ReadOptions {
                    encoding: options.encoding,
                    delimiter: options.delimiter,
                    sheet: options.sheet.clone(),
                    keep_summary_rows: options.keep_summary_rows,
                    ..pipeline.read_options()
                };
                let (test_ds, test_seconds) = load(test_path, &test_options)?;
                let report = pipeline
                    .evaluate(&test_ds)
                    .map_err(|e| format!("{test_path}: {e}"))?;
                let n_test = report.n;
                (
                    pipeline,
                    report,
                    rows.len(),
                    n_test,
                    Some(test_seconds),
                    tuning,
                )
            }
        };
        let fit_seconds =
            fit_only.unwrap_or_else(|| start.elapsed().as_secs_f64() - test_parse.unwrap_or(0.0));
        if let Some(out) = args.get("out") {
            let json = serde_json::to_string_pretty(&pipeline).map_err(|e| e.to_string())?;
            std::fs::write(out, json + "\n").map_err(|e| format!("--out {out}: {e}"))?;
        }
        let run = Run {
            path,
            pipeline: &pipeline,
            n_train,
            n_test,
            c: tuning.as_ref().and_then(|t| t.best_c()).unwrap_or(c_arg),
            steps,
            tuning: tuning.as_ref(),
            parse_seconds,
            fit_seconds,
        };
        print_report(&run, &report, json)
    }

    /// Reads the model and preprocessing options of `train` into `config`.
    fn apply_model_options(args: &Args, config: &mut TrainConfig) -> Result<(), String> {
        let model = config.model;
        let only_for = |option: &str, models: &[ModelKind], names: &str| {
            if args.get(option).is_some() && !models.contains(&model) {
                Err(format!("--{option} goes with --model {names}"))
            } else {
                Ok(())
            }
        };
        only_for("c", &[ModelKind::Logistic], "logistic")?;
        only_for("penalty", &[ModelKind::Logistic], "logistic")?;
        only_for(
            "class-weight",
            &[ModelKind::Logistic, ModelKind::Gbdt],
            "logistic or gbdt",
        )?;
        only_for("early-stopping", &[ModelKind::Gbdt], "gbdt")?;
        only_for("growth", &[ModelKind::Gbdt], "gbdt")?;
        only_for(
            "max-depth",
            &[ModelKind::Gbdt, ModelKind::Forest],
            "gbdt or forest",
        )?;
        if let Some(g) = args.get("growth") {
            config.gbdt.growth = match g {
                "leaf" => Growth::LeafWise,
                "depth" => Growth::DepthWise,
                _ => return Err(format!("--growth: '{g}' (use leaf or depth)")),
            };
        }
        if args.get("max-depth").is_some() {
            let depth: usize = args.number("max-depth", 0)?;
            if depth == 0 {
                return Err("--max-depth must be at least 1".into());
            }
            config.gbdt.max_depth = Some(depth);
            config.forest = config.forest.clone().max_depth(Some(depth));
        }
        only_for(
            "pca",
            &[ModelKind::Logistic, ModelKind::Mlp],
            "logistic or mlp",
        )?;
        if let Some(p) = args.get("penalty") {
            let penalty = match p.split_once(':') {
                None if p == "l2" => Penalty::L2,
                None if p == "l1" => Penalty::L1,
                Some(("elasticnet", r)) => Penalty::ElasticNet {
                    l1_ratio: r
                        .parse()
                        .map_err(|_| format!("--penalty: '{r}' is not a number"))?,
                },
                _ => {
                    return Err(format!(
                        "--penalty: '{p}' (use l2, l1 or elasticnet:RATIO, e.g. elasticnet:0.5)"
                    ))
                }
            };
            config.logistic = config.logistic.clone().penalty(penalty);
        }
        if let Some(w) = args.get("class-weight") {
            let weight = match w.split_once(':') {
                None if w == "balanced" => ClassWeight::Balanced,
                Some((n, p)) => match (n.parse(), p.parse()) {
                    (Ok(negative), Ok(positive)) => ClassWeight::Custom { negative, positive },
                    _ => return Err(format!("--class-weight: '{w}' is not NEG:POS numbers")),
                },
                None => {
                    return Err(format!(
                        "--class-weight: '{w}' (use balanced or NEG:POS, e.g. 1:3)"
                    ))
                }
            };
            weight
                .class_weights(&[0, 1])
                .map_err(|e| format!("--class-weight: {e}"))?;
            config.logistic = config.logistic.clone().class_weight(weight);
            config.gbdt.class_weight = weight;
        }
        if let Some(r) = args.get("resample") {
            config.resample = Some(match r {
                "over" => Resample::Over,
                "under" => Resample::Under,
                _ => return Err(format!("--resample: '{r}' (use over or under)")),
            });
        }
        if args.get("early-stopping").is_some() {
            let rounds: usize = args.number("early-stopping", 10)?;
            config.gbdt.early_stopping = Some(EarlyStopping {
                rounds,
                seed: config.seed,
                ..EarlyStopping::default()
            });
        }
        let mut prep = PrepOptions::default();
        if let Some(i) = args.get("impute") {
            prep.numeric_impute = match i.split_once(':') {
                None if i == "median" => NumericImpute::Median,
                None if i == "mean" => NumericImpute::Mean,
                Some(("constant", v)) => {
                    prep.categorical_impute = CategoricalImpute::Constant(v.to_string());
                    NumericImpute::Constant(
                        v.parse()
                            .map_err(|_| format!("--impute: '{v}' is not a number"))?,
                    )
                }
                _ => {
                    return Err(format!(
                        "--impute: '{i}' (use median, mean or constant:VALUE)"
                    ))
                }
            };
        }
        prep.missing_indicator = match args.get("missing-indicator") {
            None | Some("no") => false,
            Some("yes") => true,
            Some(v) => return Err(format!("--missing-indicator: '{v}' (use yes or no)")),
        };
        if args.get("rare-levels").is_some() {
            prep = prep.rare_levels(args.number("rare-levels", 0.0)?);
        }
        if args.get("pca").is_some() {
            prep = prep.pca(args.number("pca", 0usize)?);
        }
        prep.check().map_err(|e| e.to_string())?;
        config.prep = prep;
        if let Some(c) = args.get("calibration") {
            config.calibration = Some(match c {
                "platt" => CalibrationMethod::Platt,
                "isotonic" => CalibrationMethod::Isotonic,
                _ => return Err(format!("--calibration: '{c}' (use platt or isotonic)")),
            });
        }
        if let Some(t) = args.get("threshold") {
            let number = |v: &str| {
                v.parse::<f64>()
                    .map_err(|_| format!("--threshold: '{v}' is not a number"))
            };
            let rule = match t.split(':').collect::<Vec<_>>().as_slice() {
                ["f1"] => ThresholdRule::MaxF1,
                ["recall", r] => ThresholdRule::TargetRecall(number(r)?),
                ["precision", p] => ThresholdRule::TargetPrecision(number(p)?),
                ["cost", fp, fn_] => ThresholdRule::MinCost {
                    false_positive: number(fp)?,
                    false_negative: number(fn_)?,
                },
                [v] => {
                    config.threshold = number(v)?;
                    if !(0.0..=1.0).contains(&config.threshold) {
                        return Err(format!("--threshold: {v} is not between 0 and 1"));
                    }
                    return Ok(());
                }
                _ => {
                    return Err(format!(
                        "--threshold: '{t}' (use a number, f1, recall:R, precision:P or cost:FP:FN)"
                    ))
                }
            };
            config.threshold_rule = Some(rule);
        }
        Ok(())
    }

    /// What a training run did, for its report.
    struct Run<'a> {
        path: &'a str,
        pipeline: &'a FittedPipeline,
        n_train: usize,
        n_test: usize,
        c: f64,
        steps: Option<FitTimes>,
        tuning: Option<&'a TuningReport>,
        parse_seconds: f64,
        fit_seconds: f64,
    }

    fn print_report(run: &Run, r: &ClassificationReport, json: bool) -> Result<(), String> {
        let Run {
            path,
            pipeline,
            n_train,
            n_test,
            c,
            steps,
            tuning,
            parse_seconds,
            fit_seconds,
        } = *run;
        use churnscope_engine::modelling::models::FittedModel;
        // What the model says about its fit: (name, iterations or trees, converged, text).
        let (model_name, iterations, converged, summary) = match &pipeline.model {
            FittedModel::Logistic(m) => (
                "logistic",
                m.iterations,
                Some(m.converged),
                format!(
                    "logistic regression (C = {c}): {} iterations, {}",
                    m.iterations,
                    if m.converged {
                        "converged"
                    } else {
                        "NOT converged"
                    }
                ),
            ),
            FittedModel::Gbdt(m) => {
                let leaves: usize = m.trees.iter().map(|t| t.n_leaves()).sum();
                (
                    "gbdt",
                    m.trees.len(),
                    None,
                    format!(
                        "gradient-boosted trees: {} trees, {:.1} leaves a tree on average",
                        m.trees.len(),
                        leaves as f64 / m.trees.len().max(1) as f64
                    ),
                )
            }
            FittedModel::Forest(m) => (
                "forest",
                m.trees.len(),
                None,
                format!(
                    "random forest: {} trees, out-of-bag ROC AUC {}",
                    m.trees.len(),
                    m.oob_roc_auc
                        .map_or("n/a".to_string(), |a| format!("{a:.4}"))
                ),
            ),
            FittedModel::Mlp(m) => (
                "mlp",
                m.epochs,
                None,
                format!(
                    "neural network ({} hidden): {} epochs, best at {}{}",
                    m.layers
                        .iter()
                        .take(m.layers.len().saturating_sub(1))
                        .map(|l| l.outputs.to_string())
                        .collect::<Vec<_>>()
                        .join("+"),
                    m.epochs,
                    m.best_epoch,
                    if m.stopped_early {
                        ", stopped early"
                    } else {
                        ""
                    }
                ),
            ),
        };
        let calibration = pipeline.calibrator.as_ref().map(|c| c.method());
        if json {
            let value = serde_json::json!({
                "file": path,
                "model": model_name,
                "target": pipeline.target,
                "n_train": n_train,
                "n_test": n_test,
                "n_features": pipeline.preprocessor.n_features(),
                "iterations": iterations,
                "converged": converged,
                "parse_seconds": parse_seconds,
                "fit_seconds": fit_seconds,
                "fit_steps": steps,
                "metrics": {
                    "roc_auc": r.roc_auc, "pr_auc": r.pr_auc, "accuracy": r.accuracy,
                    "precision": r.precision, "recall": r.recall, "f1": r.f1,
                    "log_loss": r.log_loss, "brier": r.brier, "threshold": r.threshold,
                },
                "threshold_choice": pipeline.threshold_choice,
                "calibration": calibration,
                "prior_correction": pipeline.prior_correction,
                "probability_note": pipeline.probability_note(),
                "coefficients": pipeline.coefficients(),
                "confusion": r.confusion,
                "c": c,
                "cv": tuning,
            });
            out!(
                "{}",
                serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?
            );
            return Ok(());
        }
        out!(
            "{path}: target '{}' (positive '{}'), {n_train} training rows, {n_test} test rows, {} features",
            pipeline.target.column,
            pipeline.target.positive,
            pipeline.preprocessor.n_features()
        );
        out!("{summary}");
        if let Some(t) = tuning {
            let best = t.best_candidate();
            out!(
                "{} chosen by {}-fold cross-validation on the training rows, of {} settings ({} {:.4} ± {:.4})",
                t.best,
                t.folds,
                t.candidates.len(),
                t.scoring.label(),
                best.map_or(f64::NAN, |c| c.mean),
                best.map_or(f64::NAN, |c| c.std)
            );
        }
        out!("roc_auc   {:.4}", r.roc_auc);
        out!("pr_auc    {:.4}", r.pr_auc);
        out!("accuracy  {:.4}", r.accuracy);
        out!("precision {:.4}", r.precision);
        out!("recall    {:.4}", r.recall);
        out!("f1        {:.4}", r.f1);
        out!("log_loss  {:.4}", r.log_loss);
        out!("brier     {:.4}", r.brier);
        out!("{}", pipeline.probability_note());
        if let Some(t) = &pipeline.threshold_choice {
            out!(
                "threshold {:.4} chosen by {:?} on out-of-fold scores (precision {:.4}, recall {:.4} there)",
                t.threshold, t.rule, t.precision, t.recall
            );
        }
        let c = r.confusion;
        out!(
            "confusion at {}: TN {} FP {} FN {} TP {}",
            r.threshold,
            c.true_negative,
            c.false_positive,
            c.false_negative,
            c.true_positive
        );
        out!("parse {parse_seconds:.4} s, fit {fit_seconds:.4} s (with --test: the fit alone; otherwise fit and evaluation)");
        Ok(())
    }

    fn compare(raw: Vec<String>) -> Result<(), String> {
        let args = Args::parse(
            raw,
            &[
                "target",
                "positive",
                "ignore",
                "models",
                "cv",
                "search",
                "balance",
                "explain",
                "format",
                "encoding",
                "delimiter",
                "sheet",
                "keep-summary-rows",
                "seed",
            ],
        )?;
        let json = args.json()?;
        let options = read_options(&args)?;
        let (ds, _) = load(args.file()?, &options)?;
        let mut config = TrainConfig::new(choose_target(&ds, &args)?);
        config.seed = args.number("seed", 42u64)?;
        config.ignore = args
            .get("ignore")
            .map(|s| s.split(',').map(|c| c.trim().to_string()).collect())
            .unwrap_or_default();
        let mut plan = TrainPlan::single(config);
        plan.models = match args.get("models") {
            None => vec![
                ModelKind::Logistic,
                ModelKind::Gbdt,
                ModelKind::Forest,
                ModelKind::Mlp,
            ],
            Some(list) => list
                .split(',')
                .map(|m| match m.trim() {
                    "logistic" => Ok(ModelKind::Logistic),
                    "gbdt" => Ok(ModelKind::Gbdt),
                    "forest" => Ok(ModelKind::Forest),
                    "mlp" => Ok(ModelKind::Mlp),
                    other => Err(format!(
                        "--models: unknown model '{other}' (use logistic, gbdt, forest, mlp)"
                    )),
                })
                .collect::<Result<_, _>>()?,
        };
        if let Some(k) = args.get("cv") {
            plan.cv_folds = Some(
                k.parse()
                    .ok()
                    .filter(|&k: &usize| k >= 2)
                    .ok_or_else(|| format!("--cv: '{k}' is not a number of folds (2 or more)"))?,
            );
        }
        let yes = |name: &str| -> Result<bool, String> {
            match args.get(name) {
                None | Some("no") => Ok(false),
                Some("yes") => Ok(true),
                Some(v) => Err(format!("--{name}: '{v}' (use yes or no)")),
            }
        };
        plan.search = yes("search")?;
        if plan.search && plan.cv_folds.is_none() {
            return Err("--search goes with --cv".into());
        }
        plan.explain = yes("explain")?;
        plan.balance = match args.get("balance") {
            None => None,
            Some("weights") => Some(Balance::Weights),
            Some("over") => Some(Balance::Over),
            Some("under") => Some(Balance::Under),
            Some(v) => return Err(format!("--balance: '{v}' (use weights, over or under)")),
        };
        let start = Instant::now();
        let clock = || start.elapsed().as_secs_f64();
        let mut runs: Vec<ModelRun> = Vec::new();
        run_plan(&ds, &plan, |_, _| true, &clock, |r| runs.push(r)).map_err(|e| e.to_string())?;
        let best = best_model(&runs);
        if json {
            let models: Vec<serde_json::Value> = runs
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let t = &r.outcome.test;
                    serde_json::json!({
                        "model": r.kind,
                        "recommended": Some(i) == best,
                        "metrics": {
                            "roc_auc": t.roc_auc, "pr_auc": t.pr_auc, "f1": t.f1, "recall": t.recall,
                            "precision": t.precision, "accuracy": t.accuracy, "log_loss": t.log_loss,
                            "brier": t.brier, "threshold": t.threshold,
                        },
                        "train_roc_auc": r.train_roc_auc,
                        "fit_seconds": r.fit_seconds,
                        "cv": r.cv,
                        "n_train": r.outcome.n_train,
                        "n_test": r.outcome.n_test,
                        "warnings": r.warnings.iter().map(|w| w.message()).collect::<Vec<_>>(),
                        "explanation": r.explanation,
                    })
                })
                .collect();
            let out = serde_json::json!({ "models": models });
            out!(
                "{}",
                serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
            );
            return Ok(());
        }
        out!(
            "{:<24} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8} {:>17}",
            "model",
            "roc_auc",
            "pr_auc",
            "f1",
            "recall",
            "precision",
            "log_loss",
            "brier",
            "fit_s",
            "cv_roc_auc"
        );
        for (i, r) in runs.iter().enumerate() {
            let t = &r.outcome.test;
            let cv =
                r.cv.as_ref()
                    .map_or("-".to_string(), |c| format!("{:.4} ± {:.4}", c.mean, c.std));
            out!(
                "{:<24} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>9.4} {:>8.4} {:>8.4} {:>8.2} {:>17}{}",
                r.label(),
                t.roc_auc,
                t.pr_auc,
                t.f1,
                t.recall,
                t.precision,
                t.log_loss,
                t.brier,
                r.fit_seconds,
                cv,
                if Some(i) == best {
                    "  <- recommended"
                } else {
                    ""
                }
            );
        }
        for r in &runs {
            for n in &r.outcome.pipeline.preprocessor.notices {
                out!("note ({}): {n}", r.label());
            }
            for w in &r.warnings {
                out!("warning ({}): {}", r.label(), w.message());
            }
            if let Some(ex) = &r.explanation {
                out!("\n{}: permutation importance (drop in test ROC AUC, mean ± sd over {} shuffles of {} customers)", r.label(), ex.repeats, ex.rows_used);
                for imp in ex.importance.iter().take(8) {
                    out!("  {:<28} {:>8.4} ± {:.4}", imp.column, imp.mean, imp.std);
                }
                out!(
                    "{}: riskiest test customers and their top reasons",
                    r.label()
                );
                for c in ex.reasons.iter().take(5) {
                    let up: Vec<String> =
                        c.up.iter()
                            .map(|x| format!("{} = {} ({:+.2})", x.column, x.value, x.contribution))
                            .collect();
                    out!(
                        "  row {:>6}  p = {:.3}  {}",
                        c.row + 1,
                        c.probability,
                        up.join("; ")
                    );
                }
            }
        }
        Ok(())
    }

    fn act(raw: Vec<String>) -> Result<(), String> {
        let args = Args::parse(
            raw,
            &[
                "target",
                "positive",
                "model",
                "value",
                "value-column",
                "cost",
                "success",
                "capacity",
                "high",
                "medium",
                "playbook",
                "out",
                "report",
                "format",
                "encoding",
                "delimiter",
                "sheet",
                "keep-summary-rows",
            ],
        )?;
        let json = args.json()?;
        let options = read_options(&args)?;
        let file = args.file()?;
        let (ds, read_seconds) = load(file, &options)?;
        let target = choose_target(&ds, &args)?;
        let target_name = target.column.clone();
        let mut config = TrainConfig::new(target);
        config.model = match args.get("model").unwrap_or("logistic") {
            "logistic" => ModelKind::Logistic,
            "gbdt" => ModelKind::Gbdt,
            "forest" => ModelKind::Forest,
            "mlp" => ModelKind::Mlp,
            other => {
                return Err(format!(
                    "--model: unknown model '{other}' (use logistic, gbdt, forest, mlp)"
                ))
            }
        };
        let mut plan = TrainPlan::single(config);
        plan.explain = args.get("report").is_some();
        let inputs = ProfitInputs {
            value: match args.get("value-column") {
                Some(c) => CustomerValue::Column(c.to_string()),
                None => CustomerValue::Fixed(args.number("value", 200.0)?),
            },
            cost: args.number("cost", 10.0)?,
            success_rate: args.number("success", 0.3)?,
            capacity: match args.get("capacity") {
                None => None,
                Some(_) => Some(args.number("capacity", 0usize)?),
            },
        };
        inputs.check().map_err(|e| e.to_string())?;
        let playbook = match args.get("playbook") {
            None => Playbook::ecommerce(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
                Playbook::from_json(&text).map_err(|e| format!("{path}: {e}"))?
            }
        };
        let start = Instant::now();
        let clock = || start.elapsed().as_secs_f64();
        let mut runs: Vec<ModelRun> = Vec::new();
        run_plan(&ds, &plan, |_, _| true, &clock, |r| runs.push(r)).map_err(|e| e.to_string())?;
        let train_seconds = start.elapsed().as_secs_f64();
        let run = runs.pop().ok_or("no model was trained")?;
        let mut cuts = TierCuts::from_scores(&run.test_scores);
        cuts.high = args.number("high", cuts.high)?;
        cuts.medium = args.number("medium", cuts.medium)?;
        cuts.check().map_err(|e| e.to_string())?;
        let values = inputs
            .values(&ds, &run.test_rows)
            .map_err(|e| e.to_string())?;
        let curve = profit_curve(
            &run.test_scores,
            &run.test_labels,
            &values,
            &inputs,
            ds.n_rows,
        )
        .map_err(|e| e.to_string())?;
        let start = Instant::now();
        let rows: Vec<usize> = (0..ds.n_rows).collect();
        let scored = score_customers(&run.outcome.pipeline, &ds, &rows, |_, _| true)
            .map_err(|e| e.to_string())?;
        let score_seconds = start.elapsed().as_secs_f64();
        let tiers = summarise_tiers(&cuts, &run.test_scores, &run.test_labels, &scored);
        let list =
            action_list(&ds, &scored, &cuts, &playbook, &inputs).map_err(|e| e.to_string())?;
        let start = Instant::now();
        if let Some(path) = args.get("out") {
            let table = action_table(&list);
            let bytes = if path.to_lowercase().ends_with(".xlsx") {
                to_xlsx(&table, "Action list")
                    .map_err(|e| format!("{path}: {e}; give --out a .csv path instead"))?
            } else {
                to_csv(&table)
            };
            std::fs::write(path, bytes).map_err(|e| format!("{path}: {e}"))?;
        }
        if let Some(path) = args.get("report") {
            let runs = vec![std::sync::Arc::new(run.clone())];
            let html = html_report(&ReportInput {
                file_name: file,
                generated: "from the command line",
                dataset: &ds,
                target: &target_name,
                runs: &runs,
                chosen: 0,
                threshold: run.outcome.pipeline.threshold,
                cuts,
                tiers: &tiers,
                inputs: &inputs,
                profit: &curve,
                playbook: &playbook,
                actions: &list,
            })
            .map_err(|e| e.to_string())?;
            std::fs::write(path, html).map_err(|e| format!("{path}: {e}"))?;
        }
        let write_seconds = start.elapsed().as_secs_f64();
        let best = curve.best();
        let mut columns: Vec<&str> = Vec::new();
        for c in run.outcome.pipeline.preprocessor.input_columns() {
            if !columns.contains(&c) {
                columns.push(c);
            }
        }
        let playbook_notice = playbook.no_match_notice(&columns);
        if json {
            let out = serde_json::json!({
                "model": run.kind,
                "customers": list.len(),
                "playbook_notice": playbook_notice,
                "probability_note": run.outcome.pipeline.probability_note(),
                "profit": {
                    "contacted": best.contacted,
                    "test_contacted": best.test_contacted,
                    "threshold": best.threshold,
                    "retained": best.retained,
                    "cost": best.cost,
                    "net": best.net,
                    "population": curve.population,
                    "scale": curve.scale,
                },
                "cuts": cuts,
                "tiers": tiers,
                "seconds": {
                    "read": read_seconds,
                    "train": train_seconds,
                    "score": score_seconds,
                    "write": write_seconds,
                },
            });
            out!(
                "{}",
                serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
            );
            return Ok(());
        }
        if let Some(notice) = &playbook_notice {
            out!("notice: {notice}");
        }
        out!("{}", run.outcome.pipeline.probability_note());
        out!(
            "{}: contact the {:.0} riskiest of {} customers (churn probability at least {}): \
             value kept {:.0}, cost {:.0}, net gain {:.0}",
            run.label(),
            best.contacted,
            curve.population,
            best.threshold
                .map_or("-".to_string(), |t| format!("{t:.3}")),
            best.retained,
            best.cost,
            best.net
        );
        for t in &tiers {
            let drivers: Vec<String> = t
                .drivers
                .iter()
                .map(|(c, n)| format!("{c} ({n})"))
                .collect();
            out!(
                "tier {:<6} {:>8} customers  test churn rate {:>6}  drivers: {}",
                t.tier.label(),
                t.customers,
                t.churn_rate()
                    .map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0)),
                drivers.join(", ")
            );
        }
        for r in list.iter().take(5) {
            out!(
                "  {:<12} p = {:.3}  {:<6}  {}  (expected value {:.2})",
                r.id,
                r.probability,
                r.tier.label(),
                r.action,
                r.expected_value
            );
        }
        out!(
            "timings: read {read_seconds:.2} s, train {train_seconds:.2} s, score {} customers with reasons {score_seconds:.2} s, write {write_seconds:.2} s",
            list.len()
        );
        Ok(())
    }

    fn sample(raw: Vec<String>) -> Result<(), String> {
        let args = Args::parse(raw, &["rows", "seed", "out"])?;
        let defaults = SampleSpec::default();
        let spec = SampleSpec {
            customers: args.number("rows", defaults.customers)?,
            seed: args.number("seed", defaults.seed)?,
        };
        let csv = generate_csv(&spec);
        match args.get("out") {
            Some(path) => std::fs::write(path, csv).map_err(|e| format!("{path}: {e}")),
            None => {
                out_raw!("{csv}");
                Ok(())
            }
        }
    }
}
