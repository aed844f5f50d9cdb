//! The exported SQL run in real engines: DuckDB, a throw-away PostgreSQL server and Spark
//! SQL in local mode (scripts/sql_engines.py, with the packages scripts/setup.sh installs),
//! plus BigQuery's dialect parsed by sqlglot. Every probability each engine returns is
//! compared with the engine's own on the test split of each dataset in
//! ../shared/datasets/splits/, for each model kind, with fixture rows appended: cells
//! exactly on the trees' split thresholds, missing cells (blank and the reader's markers),
//! categories never seen in training and cells padded with spaces.
//!
//! Ignored by plain `cargo test` (it needs the engines); the README's test command runs it
//! with `--ignored`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use churnscope_engine::acting::actions::{Playbook, ProfitInputs};
use churnscope_engine::acting::sql::{export_sql, Dialect, SqlOptions};
use churnscope_engine::dataset::Dataset;
use churnscope_engine::evaluating::explanations::{contributions, row_reasons};
use churnscope_engine::modelling::calibration::CalibrationMethod;
use churnscope_engine::modelling::config::{ModelKind, TrainConfig};
use churnscope_engine::modelling::models::readout::{LeftWhen, TreeView};
use churnscope_engine::modelling::models::{ClassWeight, FittedModel};
use churnscope_engine::modelling::preprocessing::FeatureBlock;
use churnscope_engine::monitoring::model_file::ModelFile;
use churnscope_engine::monitoring::scoring::match_columns;
use churnscope_engine::reading::ingest::read_csv;
use churnscope_engine::understanding::target::target_for;

const SPLITS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/datasets/splits"
);
const ID: &str = "cs_row";

/// The tolerances: logistic regression within 1e-9, trees and the network 1e-6.
fn tolerance(kind: ModelKind) -> f64 {
    match kind {
        ModelKind::Logistic => 1e-9,
        _ => 1e-6,
    }
}

struct Job {
    name: String,
    kind: ModelKind,
    model: ModelFile,
    csv: PathBuf,
    /// The engine's own answer per id: probability, at risk, tier, top reason (LR) and
    /// whether the top reason is a near tie (within 1e-9 of the next).
    expected: HashMap<String, (f64, bool, String, Option<String>, bool)>,
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("CHURNSCOPE_SQL_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        venv.exists(),
        "{} is missing: scripts/setup.sh makes it (DuckDB, pyspark, sqlglot)",
        venv.display()
    );
    venv
}

/// The rows of a CSV file as text records.
fn records(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).expect("split opens");
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("record").iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn train(train_csv: &Path, target: &str, kind: ModelKind, variant: &str) -> ModelFile {
    let bytes = std::fs::read(train_csv).expect("train split");
    let ds = read_csv(&bytes, &Default::default()).expect("reads");
    let mut config = TrainConfig::new(target_for(&ds, target, None).expect("target"));
    config.model = kind;
    // 30 trees of depth 8 at most: a grown-out forest's query is megabytes, which Spark's
    // parser reads at about 60 KB/s (the README's figures).
    config.forest = config.forest.clone().n_trees(30).max_depth(Some(8));
    if kind == ModelKind::Mlp {
        config.mlp = config.mlp.clone().max_epochs(40);
    }
    match variant {
        "balanced_isotonic" => {
            config.logistic = config.logistic.clone().class_weight(ClassWeight::Balanced);
            config.calibration = Some(CalibrationMethod::Isotonic);
        }
        "platt" => config.calibration = Some(CalibrationMethod::Platt),
        "pca" => config.prep = config.prep.clone().pca(5),
        // The size bound: 300 trees of 31 leaves, in every engine.
        "300_trees" => {
            config.gbdt.n_trees = 300;
            config.gbdt.num_leaves = 31;
            config.gbdt.early_stopping = None;
        }
        _ => {}
    }
    ModelFile::train(
        &ds,
        "split",
        "2026-12-07",
        &config,
        None,
        ProfitInputs::default(),
        Playbook::ecommerce(),
    )
    .expect("trains")
}

/// Every split bound of the trees: (feature, value).
fn thresholds(model: &ModelFile) -> Vec<(usize, f64)> {
    fn walk(t: &TreeView, out: &mut Vec<(usize, f64)>) {
        if let TreeView::Split {
            feature,
            left_when,
            left,
            right,
        } = t
        {
            if let LeftWhen::Ranges { ranges, .. } = left_when {
                for &(lo, hi) in ranges {
                    out.extend(
                        [lo, hi]
                            .into_iter()
                            .filter(|v| v.is_finite())
                            .map(|v| (*feature, v)),
                    );
                }
            }
            walk(left, out);
            walk(right, out);
        }
    }
    let trees = match &model.pipeline.model {
        FittedModel::Gbdt(m) => m.tree_views(),
        FittedModel::Forest(m) => m.tree_views(),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for t in &trees {
        walk(t, &mut out);
    }
    out
}

/// The test rows, then fixture rows made from the first ones: cells on split thresholds
/// (every 7th bound, at most 120), missing cells, unseen and padded categories.
fn fixture_rows(model: &ModelFile, header: &[String], rows: &[Vec<String>]) -> Vec<Vec<String>> {
    let prep = &model.pipeline.preprocessor;
    let raw: Vec<Option<&str>> = prep
        .blocks
        .iter()
        .flat_map(|b| {
            let col = match b {
                FeatureBlock::Raw { column } => Some(column.as_str()),
                _ => None,
            };
            std::iter::repeat_n(col, b.width())
        })
        .collect();
    let at = |name: &str| header.iter().position(|h| h == name);
    let mut out: Vec<Vec<String>> = rows.to_vec();
    let base = |i: usize| rows[i % rows.len()].clone();
    for (n, (feature, v)) in thresholds(model)
        .into_iter()
        .step_by(7)
        .take(120)
        .enumerate()
    {
        if let Some(Some(col)) = raw.get(feature).map(|c| c.and_then(at)) {
            let mut row = base(n);
            row[col] = format!("{v}");
            out.push(row);
        }
    }
    let numbers: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            prep.blocks.iter().any(|b| {
                b.column() == h.as_str()
                    && matches!(b, FeatureBlock::Numeric { .. } | FeatureBlock::Raw { .. })
            })
        })
        .map(|(i, _)| i)
        .collect();
    let texts: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| prep.categorical_columns().contains(h))
        .map(|(i, _)| i)
        .collect();
    for (n, marker) in ["", "NA", "?", "null"].iter().enumerate() {
        let mut row = base(n + 3);
        for &c in numbers.iter().chain(&texts).skip(n % 2).step_by(2) {
            row[c] = marker.to_string();
        }
        out.push(row);
    }
    for (n, &c) in texts.iter().enumerate() {
        let mut unseen = base(n + 11);
        unseen[c] = "Carrier pigeon".into();
        out.push(unseen);
        let mut padded = base(n + 17);
        padded[c] = format!("  {}  ", padded[c]);
        out.push(padded);
    }
    for (n, &c) in numbers.iter().enumerate() {
        let mut padded = base(n + 23);
        padded[c] = format!(" {} ", padded[c]);
        out.push(padded);
    }
    out
}

fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(path).expect("writes");
    let mut h = vec![ID.to_string()];
    h.extend(header.iter().cloned());
    w.write_record(&h).expect("header");
    for (i, row) in rows.iter().enumerate() {
        let mut r = vec![(i + 1).to_string()];
        r.extend(row.iter().cloned());
        w.write_record(&r).expect("row");
    }
    w.flush().expect("flush");
}

/// What the engine says of every row of `csv`, read as `churnscope score` reads it.
fn expected(
    model: &ModelFile,
    csv: &Path,
) -> HashMap<String, (f64, bool, String, Option<String>, bool)> {
    let bytes = std::fs::read(csv).expect("job csv");
    let mut ds: Dataset = read_csv(&bytes, &model.pipeline.read_options()).expect("reads");
    match_columns(model, &mut ds).expect("columns match");
    let rows: Vec<usize> = (0..ds.n_rows).collect();
    let p = model.pipeline.predict_proba(&ds, &rows).expect("scores");
    let logistic = matches!(model.pipeline.model, FittedModel::Logistic(_));
    let c = logistic.then(|| {
        contributions(&model.pipeline, &ds, &rows)
            .expect("explains")
            .expect("exact")
    });
    let ids = ds.column(ID).expect("id column");
    rows.iter()
        .map(|&r| {
            let (top, tie) = match &c {
                Some(c) => {
                    let (up, _) = row_reasons(c, &ds, r, &c.values[r], 2);
                    let tie = up.len() == 2 && up[0].contribution - up[1].contribution < 1e-9;
                    (up.first().map(|x| x.column.clone()), tie)
                }
                None => (None, false),
            };
            let id = ids.text(r).expect("id");
            let value = (
                p[r],
                p[r] >= model.pipeline.threshold,
                model.tiers.tier(p[r]).label().to_string(),
                top,
                tie,
            );
            (id, value)
        })
        .collect()
}

fn jobs(dir: &Path) -> Vec<Job> {
    let datasets = [
        ("telco_ibm", "Churn"),
        ("bank_churn_modelling", "Exited"),
        ("ecommerce_churn", "Churn"),
        ("telecom_bigml", "Churn"),
    ];
    let mut plan: Vec<(&str, &str, ModelKind, &str)> = Vec::new();
    for (name, target) in datasets {
        for kind in [
            ModelKind::Logistic,
            ModelKind::Gbdt,
            ModelKind::Forest,
            ModelKind::Mlp,
        ] {
            plan.push((name, target, kind, ""));
        }
    }
    plan.push((
        "telco_ibm",
        "Churn",
        ModelKind::Logistic,
        "balanced_isotonic",
    ));
    plan.push(("telco_ibm", "Churn", ModelKind::Gbdt, "platt"));
    plan.push(("bank_churn_modelling", "Exited", ModelKind::Logistic, "pca"));
    plan.push((
        "bank_churn_modelling",
        "Exited",
        ModelKind::Gbdt,
        "300_trees",
    ));
    plan.into_iter()
        .map(|(name, target, kind, variant)| {
            let split = Path::new(SPLITS);
            let model = train(
                &split.join(format!("{name}_train.csv")),
                target,
                kind,
                variant,
            );
            let (header, rows) = records(&split.join(format!("{name}_test.csv")));
            let job = format!(
                "{name}_{kind:?}{}{variant}",
                if variant.is_empty() { "" } else { "_" }
            )
            .to_lowercase();
            let csv = dir.join(format!("{job}.csv"));
            write_csv(&csv, &header, &fixture_rows(&model, &header, &rows));
            let expected = expected(&model, &csv);
            Job {
                name: job,
                kind,
                model,
                csv,
                expected,
            }
        })
        .collect()
}

/// The engines to run: all four, or those `CHURNSCOPE_SQL_ENGINES` lists (comma-separated),
/// for a quicker run while working on one dialect.
fn engines() -> Vec<&'static str> {
    let all = ["duckdb", "postgres", "spark", "bigquery"];
    match std::env::var("CHURNSCOPE_SQL_ENGINES") {
        Ok(list) => all
            .into_iter()
            .filter(|e| list.split(',').any(|l| l.trim() == *e))
            .collect(),
        Err(_) => all.to_vec(),
    }
}

#[test]
#[ignore = "needs DuckDB, PostgreSQL and Spark: the README's test command runs it"]
fn exported_sql_scores_as_the_engine_in_duckdb_postgres_and_spark() {
    let dir = std::env::temp_dir().join(format!("churnscope-sql-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let jobs = jobs(&dir);
    let mut spec_jobs = Vec::new();
    for job in &jobs {
        let mut sql = serde_json::Map::new();
        let mut view = serde_json::Map::new();
        for d in Dialect::ALL {
            let options = SqlOptions {
                dialect: d,
                table: "customers".into(),
                view: None,
                id_column: Some(ID.into()),
            };
            let text = export_sql(&job.model, &options).expect("exports");
            let path = dir.join(format!("{}.{}.sql", job.name, d.name()));
            std::fs::write(&path, text).expect("writes");
            sql.insert(d.name().into(), path.display().to_string().into());
            if job.name.starts_with("telco") {
                let viewed = SqlOptions {
                    view: Some("churn_scores".into()),
                    ..options
                };
                let path = dir.join(format!("{}.{}.view.sql", job.name, d.name()));
                std::fs::write(&path, export_sql(&job.model, &viewed).expect("exports"))
                    .expect("writes");
                view.insert(
                    d.name().into(),
                    serde_json::json!(["churn_scores", path.display().to_string()]),
                );
            }
        }
        spec_jobs.push(serde_json::json!({
            "name": job.name, "csv": job.csv.display().to_string(), "table": "customers",
            "sql": sql, "view": view,
        }));
    }
    let out = dir.join("out");
    let spec = serde_json::json!({
        "out": out.display().to_string(),
        "engines": engines(),
        "jobs": spec_jobs,
    });
    let spec_path = dir.join("jobs.json");
    std::fs::write(&spec_path, spec.to_string()).expect("spec");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sql_engines.py");
    let status = Command::new(python())
        .arg(script)
        .arg(&spec_path)
        .status()
        .expect("python runs");
    assert!(status.success(), "scripts/sql_engines.py failed: {status}");
    let mut failures = Vec::new();
    println!(
        "{:<40} {:>8} {:>6} {:>12} {:>12} {:>12}",
        "job", "SQL KB", "rows", "duckdb", "postgres", "spark"
    );
    for job in &jobs {
        let kb = std::fs::metadata(dir.join(format!("{}.duckdb.sql", job.name)))
            .map_or(0, |m| m.len())
            / 1024;
        let mut line = format!("{:<40} {kb:>8} {:>6}", job.name, job.expected.len());
        for engine in ["duckdb", "postgres", "spark"] {
            if !engines().contains(&engine) {
                line.push_str(&format!(" {:>12}", "-"));
                continue;
            }
            let mut files = vec![out.join(format!("{}.{engine}.csv", job.name))];
            if job.name.starts_with("telco") {
                files.push(out.join(format!("{}.{engine}.view.csv", job.name)));
            }
            let (mut worst, before) = (0.0f64, failures.len());
            for file in files {
                worst = worst.max(compare(job, engine, &file, &mut failures));
            }
            let bad = failures.len() - before;
            line.push_str(&format!(
                " {:>12}",
                format!(
                    "{worst:.1e}{}",
                    if bad > 0 {
                        format!(" ({bad}!)")
                    } else {
                        String::new()
                    }
                )
            ));
        }
        println!("{line}");
        if engines().contains(&"bigquery") {
            assert!(
                out.join(format!("{}.bigquery.parsed", job.name)).exists(),
                "{}: BigQuery not parsed",
                job.name
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreements, first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Compares one engine's output file with the engine's own answers; returns the largest
/// probability difference and pushes each disagreement to `failures`.
fn compare(job: &Job, engine: &str, file: &Path, failures: &mut Vec<String>) -> f64 {
    let (header, rows) = records(file);
    assert_eq!(header[0], "customer_id");
    let tol = tolerance(job.kind);
    let mut worst = 0.0f64;
    let mut seen = 0;
    for row in rows {
        let what = format!("{} {engine} ({}) row {}", job.name, file.display(), row[0]);
        let Some((p, risk, tier, top, tie)) = job.expected.get(&row[0]) else {
            failures.push(format!("{what}: an id the engine did not score"));
            continue;
        };
        seen += 1;
        let got: f64 = row[1].parse().unwrap_or(f64::NAN);
        let diff = (got - p).abs();
        worst = worst.max(if diff.is_nan() { f64::INFINITY } else { diff });
        if diff.is_nan() || diff > tol {
            failures.push(format!(
                "{what}: probability {got} against the engine's {p}"
            ));
        }
        let near_cut = |cut: f64| (p - cut).abs() <= tol;
        let cuts_near = near_cut(job.model.pipeline.threshold)
            || near_cut(job.model.tiers.high)
            || near_cut(job.model.tiers.medium);
        if !cuts_near && ((row[2] == "true") != *risk || row[3] != *tier) {
            failures.push(format!(
                "{what}: at risk {} tier {} against {risk} {tier}",
                row[2], row[3]
            ));
        }
        if !tie && top.as_deref().unwrap_or("") != row[4] {
            failures.push(format!("{what}: top reason '{}' against {top:?}", row[4]));
        }
    }
    if seen != job.expected.len() {
        failures.push(format!(
            "{} {engine}: {seen} rows of {}",
            job.name,
            job.expected.len()
        ));
    }
    worst
}
