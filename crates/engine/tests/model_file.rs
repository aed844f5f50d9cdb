//! Model files: written, read back, scored with, and refused when damaged.

use churnscope_engine::acting::actions::{Playbook, ProfitInputs};
use churnscope_engine::dataset::Dataset;
use churnscope_engine::modelling::config::{ModelKind, TrainConfig};
use churnscope_engine::monitoring::model_file::{ModelFile, ModelFileError, MAX_BYTES};
use churnscope_engine::monitoring::scoring::{match_columns, MatchError};
use churnscope_engine::reading::ingest::{read_csv, ReadOptions};
use churnscope_engine::reading::sample::{generate_csv, SampleSpec};
use churnscope_engine::understanding::target::detect_target;

/// The built-in sample generator's table (1,200 customers, seed 7).
fn sample() -> Dataset {
    let csv = generate_csv(&SampleSpec {
        customers: 1200,
        seed: 7,
    });
    read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample parses")
}

fn trained(ds: &Dataset, kind: ModelKind) -> ModelFile {
    let target = detect_target(ds).expect("ok").expect("churn column");
    let mut config = TrainConfig::new(target);
    config.model = kind;
    if kind == ModelKind::Mlp {
        config.mlp = config.mlp.clone().max_epochs(30);
    }
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

#[test]
fn a_saved_and_reopened_model_scores_exactly_as_the_original() {
    let ds = sample();
    let rows: Vec<usize> = (0..ds.n_rows).collect();
    for kind in [
        ModelKind::Logistic,
        ModelKind::Gbdt,
        ModelKind::Forest,
        ModelKind::Mlp,
    ] {
        let file = trained(&ds, kind);
        let text = file.to_json();
        let back = ModelFile::from_json(&text).expect("reads back");
        assert_eq!(back, file, "{kind:?}");
        let before = file.pipeline.predict_proba(&ds, &rows).expect("scores");
        let after = back.pipeline.predict_proba(&ds, &rows).expect("scores");
        // The bound is 1e-12; float_roundtrip makes it exact.
        for (a, b) in before.iter().zip(&after) {
            assert!((a - b).abs() <= 1e-12, "{kind:?}: {a} against {b}");
        }
    }
}

/// Validates `document` against docs/model-file.schema.json with the boon validator.
fn schema_errors(document: &serde_json::Value) -> Option<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/model-file.schema.json"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema file")).expect("json");
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("urn:churnscope:model-file:1", schema)
        .expect("schema resource");
    let index = compiler
        .compile("urn:churnscope:model-file:1", &mut schemas)
        .expect("a valid JSON Schema");
    schemas
        .validate(document, index)
        .err()
        .map(|e| format!("{e:#}"))
}

#[test]
fn every_written_model_file_validates_against_the_json_schema() {
    let ds = sample();
    for kind in [
        ModelKind::Logistic,
        ModelKind::Gbdt,
        ModelKind::Forest,
        ModelKind::Mlp,
    ] {
        let file = trained(&ds, kind);
        let document: serde_json::Value = serde_json::from_str(&file.to_json()).expect("json");
        assert_eq!(schema_errors(&document), None, "{kind:?}");
        // The schema is not vacuous: a file without its reference profile, or with a
        // share above 1, fails it.
        let mut broken = document.clone();
        broken.as_object_mut().expect("object").remove("reference");
        assert!(schema_errors(&broken).is_some());
        let mut broken = document;
        broken["scores"]["tier_shares"]["high"] = 1.5.into();
        assert!(schema_errors(&broken).is_some());
    }
}

#[test]
fn the_file_holds_schema_metrics_and_aggregates_only() {
    let ds = sample();
    let file = trained(&ds, ModelKind::Logistic);
    assert_eq!(file.format, "churnscope-model");
    assert_eq!(file.dataset.rows, 1200);
    let target = file
        .schema
        .iter()
        .find(|c| c.name == "churned")
        .expect("target");
    assert!(!target.required);
    assert!(file
        .schema
        .iter()
        .any(|c| c.required && !c.levels.is_empty()));
    // Aggregates only: no customer id of the table appears in the document.
    let text = file.to_json();
    let ids = ds.column("customer_id").expect("ids");
    for r in [0, 1, 599, 1199] {
        let id = ids.text(r).expect("an id");
        assert!(!text.contains(&format!("\"{id}\"")), "id {id} leaked");
    }
    let s = &file.scores.tier_shares;
    // TierCuts::from_scores cuts at the 80th and 50th percentiles of these same scores.
    assert!(
        (s.high - 0.2).abs() < 0.01 && (s.medium - 0.3).abs() < 0.01,
        "{s:?}"
    );
    assert_eq!(file.metrics.n, file.metrics.confusion.total());
    for f in &file.reference.features {
        assert!(file.schema.iter().any(|c| c.name == f.column && c.required));
    }
}

fn rejected(text: &str) -> ModelFileError {
    ModelFile::from_json(text).expect_err("must be refused")
}

#[test]
fn damaged_or_foreign_files_are_refused_with_the_problem_named() {
    let ds = sample();
    let file = trained(&ds, ModelKind::Logistic);
    let good: serde_json::Value = serde_json::from_str(&file.to_json()).expect("json");
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        v.to_string()
    };
    let e = rejected("{\"rows\": 3");
    assert!(e.to_string().contains("not JSON"), "{e}");
    let e = rejected("[1, 2]");
    assert!(e.to_string().contains("not an object"), "{e}");
    let e = rejected(&serde_json::to_string(&file.pipeline).expect("json"));
    assert!(e.to_string().contains("bare fitted pipeline"), "{e}");
    let e = rejected(&edit(&|v| v["format"] = "playbook".into()));
    assert!(e.to_string().contains("'playbook'"), "{e}");
    let e = rejected(&edit(&|v| v["format_version"] = 2.into()));
    assert!(
        matches!(e, ModelFileError::NewerVersion { found: 2, .. }),
        "{e}"
    );
    let e = rejected(&edit(&|v| {
        v.as_object_mut().expect("object").remove("reference");
    }));
    assert!(e.to_string().contains("missing field `reference`"), "{e}");
    let e = rejected(&edit(&|v| {
        v["metrics"]["roc_auc"] = serde_json::Value::Null
    }));
    assert!(e.to_string().contains("not finite"), "{e}");
    let e = rejected(&edit(&|v| v["metrics"]["roc_auc"] = 1.5.into()));
    assert!(e.to_string().contains("ROC AUC 1.5"), "{e}");
    let e = rejected(&edit(&|v| {
        let f = &mut v["reference"]["features"][0]["distribution"]["counts"];
        f.as_array_mut().expect("counts").pop();
    }));
    assert!(e.to_string().contains("bin counts"), "{e}");
    let e = rejected(&edit(&|v| {
        v["schema"]
            .as_array_mut()
            .expect("schema")
            .retain(|c| c["role"] != "feature")
    }));
    assert!(e.to_string().contains("required feature"), "{e}");
    let big = format!("{}{}", file.to_json(), " ".repeat(MAX_BYTES));
    assert!(matches!(rejected(&big), ModelFileError::Oversized { .. }));
    let e = rejected(&edit(&|v| v["dataset"]["trained_on"] = "5/12/2026".into()));
    assert!(e.to_string().contains("YYYY-MM-DD"), "{e}");
}

#[test]
fn a_new_export_is_matched_by_name_and_unseen_categories_are_counted() {
    let ds = sample();
    let file = trained(&ds, ModelKind::Logistic);
    let feature = file
        .schema
        .iter()
        .find(|c| c.required && c.levels.is_empty())
        .expect("numeric feature");
    let text_feature = file
        .schema
        .iter()
        .find(|c| c.required && !c.levels.is_empty())
        .expect("text feature");
    let mut csv = generate_csv(&SampleSpec {
        customers: 300,
        seed: 8,
    });
    // The same column spelled differently, and an extra column.
    let spelled = feature.name.to_uppercase().replace('_', " ");
    let header_end = csv.find('\n').expect("header");
    let header = csv[..header_end].replace(&feature.name, &spelled) + ",notes";
    let mut lines: Vec<String> = csv[header_end + 1..]
        .lines()
        .map(|l| format!("{l},x"))
        .collect();
    // Two customers with a category the model never saw.
    let at = header
        .split(',')
        .position(|h| h == text_feature.name)
        .expect("text column");
    for line in lines.iter_mut().take(2) {
        let mut cells: Vec<String> = line.split(',').map(String::from).collect();
        cells[at] = "Brand new level".into();
        *line = cells.join(",");
    }
    csv = format!("{header}\n{}\n", lines.join("\n"));
    let mut new = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("parses");
    let report = match_columns(&file, &mut new).expect("matches");
    assert_eq!(report.renamed, [(spelled.clone(), feature.name.clone())]);
    assert_eq!(report.ignored, ["notes"]);
    assert_eq!(report.unseen.len(), 1, "{:?}", report.unseen);
    assert_eq!(
        (
            report.unseen[0].cells,
            report.unseen[0].examples[0].as_str()
        ),
        (2, "Brand new level")
    );
    let rows: Vec<usize> = (0..new.n_rows).collect();
    let p = file.pipeline.predict_proba(&new, &rows).expect("scores");
    assert_eq!(p.len(), 300);
    // A required column missing is an error naming it.
    let dropped = csv.replace(&spelled, "something_else");
    let mut new = read_csv(dropped.as_bytes(), &ReadOptions::default()).expect("parses");
    match match_columns(&file, &mut new) {
        Err(MatchError::MissingColumn { column, .. }) => assert_eq!(column, feature.name),
        other => panic!("{other:?}"),
    }
}

#[test]
fn retraining_keeps_the_settings_and_tests_both_models_on_the_same_customers() {
    // Trained on one sample (seed 7), retrained on another export of the same shop (the
    // generator's seed 8, 1,500 customers) whose column names are spelt differently.
    let file = trained(&sample(), ModelKind::Logistic);
    assert!(
        file.settings.is_some(),
        "a trained file carries its settings"
    );
    let csv = generate_csv(&SampleSpec {
        customers: 1500,
        seed: 8,
    });
    let csv = csv.replacen("customer_id", "Customer ID", 1);
    let mut new = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("parses");
    let report = match_columns(&file, &mut new).expect("matches");
    assert_eq!(report.renamed.len(), 1);
    let again = churnscope_engine::monitoring::retrain::retrain(
        &file,
        &new,
        None,
        "may.csv",
        "2026-12-05",
        |_| true,
    )
    .expect("retrains");
    // The saved split: 20% of the labelled rows held out, as at training.
    let settings = file.settings.as_ref().expect("settings");
    let labelled = settings
        .target
        .labels(&new)
        .expect("labels")
        .iter()
        .filter(|l| l.is_some())
        .count();
    assert_eq!(again.test_rows, again.new.n);
    assert_eq!(again.old.n, again.new.n);
    assert_eq!(again.train_rows + again.test_rows, labelled);
    assert_eq!(again.original_rows, 0);
    // With the original data still open: it trains too, the held-out customers are the
    // same new ones.
    let original = sample();
    let both = churnscope_engine::monitoring::retrain::retrain(
        &file,
        &new,
        Some(&original),
        "may.csv",
        "2026-12-05",
        |_| true,
    )
    .expect("retrains on both");
    assert_eq!(both.original_rows, 1200);
    assert_eq!(both.test_rows, again.test_rows);
    assert_eq!(
        both.old, again.old,
        "the saved model is judged on the same customers"
    );
    let original_labelled = settings
        .target
        .labels(&original)
        .expect("labels")
        .iter()
        .filter(|l| l.is_some())
        .count();
    assert_eq!(both.train_rows, again.train_rows + original_labelled);
    assert_eq!(both.model.dataset.rows, 2700);
    assert_eq!(both.model.dataset.name, "may.csv + sample.csv");
    assert_eq!(again.model.settings.as_ref(), Some(settings));
    assert_eq!(again.model.dataset.name, "may.csv");
    assert_eq!(again.model.dataset.rows, 1500);
    assert_eq!(again.model.tiers, file.tiers);
    assert_eq!(again.model.playbook, file.playbook);
    // Both are real models of the same shop: well above chance on the new customers.
    assert!(
        again.old.roc_auc > 0.6 && again.new.roc_auc > 0.6,
        "{again:?}"
    );
    // The new file is a valid model file.
    ModelFile::from_json(&again.model.to_json()).expect("the retrained file reads back");
    // Without the target the retrain names it.
    let unlabelled = new
        .columns
        .iter()
        .position(|c| c.name == settings.target.column);
    let mut no_target = new.clone();
    no_target.columns.remove(unlabelled.expect("target column"));
    let err =
        churnscope_engine::monitoring::retrain::retrain(&file, &no_target, None, "x", "y", |_| {
            true
        })
        .expect_err("no labels");
    assert!(err.to_string().contains(&settings.target.column), "{err}");
}
