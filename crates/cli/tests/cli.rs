//! The `churnscope` binary: profile JSON, training output and error messages.

use std::process::Command;

fn churnscope(args: &[&str]) -> (i32, String, String) {
    churnscope_with(args, &[])
}

/// [`churnscope`] with environment variables set.
fn churnscope_with(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_churnscope"))
        .args(args)
        .envs(env.iter().copied())
        // The repository root: the tests name files as the README does (tests/data/..).
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("run churnscope");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn profile_json_has_one_object_per_column() {
    let (code, out, err) =
        churnscope(&["profile", "tests/data/gbk_chinese.csv", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["encoding"], "GB18030");
    assert_eq!(v["rows"], 3);
    let columns = v["columns"].as_array().expect("columns");
    assert_eq!(columns.len(), 5);
    for c in columns {
        for key in ["name", "kind", "missing", "distinct"] {
            assert!(!c[key].is_null(), "{key} missing in {c}");
        }
    }
    assert_eq!(columns[2]["name"], "消费金额");
    assert_eq!(columns[2]["kind"], "numeric");
    assert_eq!(columns[2]["missing"], 1);
    assert_eq!(v["target"]["column"], "是否流失");
}

#[test]
fn errors_use_the_engine_messages_and_exit_1() {
    let (code, _, err) = churnscope(&["profile", "tests/data/ragged.csv"]);
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "tests/data/ragged.csv: line 3: found 3 fields, but the header (line 1) has 4"
        ),
        "{err}"
    );
    let (code, _, err) = churnscope(&["train", "tests/data/single_class.csv"]);
    assert_eq!(code, 1);
    assert!(err.contains("has only one value ('No')"), "{err}");
    let (code, _, err) = churnscope(&["profile", "x.csv", "--encoding", "klingon"]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown encoding 'klingon'"), "{err}");
    let (code, _, _) = churnscope(&[]);
    assert_eq!(code, 2, "usage error");
}

#[test]
fn train_with_a_test_file_prints_metrics() {
    // baselines.md, telco_ibm, a_seed_lr_liblinear: ROC AUC 0.8419.
    let (code, out, err) = churnscope(&[
        "train",
        "../shared/datasets/splits/telco_ibm_train.csv",
        "--test",
        "../shared/datasets/splits/telco_ibm_test.csv",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let auc = v["metrics"]["roc_auc"].as_f64().expect("auc");
    assert!((auc - 0.8419).abs() < 0.005, "{auc}");
    assert_eq!(v["n_train"], 5634);
    assert_eq!(v["n_test"], 1409);
}

#[test]
fn train_gbdt_and_tuned_logistic_write_their_model_files() {
    let dir = std::env::temp_dir().join(format!("churnscope-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let model = dir.join("gbdt.json");
    let (code, out, err) = churnscope(&[
        "train",
        "public/sample_customers.csv",
        "--model",
        "gbdt",
        "--out",
        model.to_str().expect("path"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["model"], "gbdt");
    assert_eq!(v["iterations"], 100, "LightGBM's default of 100 trees");
    let auc = v["metrics"]["roc_auc"].as_f64().expect("auc");
    assert!((0.5..=1.0).contains(&auc), "{auc}");
    let saved: churnscope_engine::modelling::pipeline::FittedPipeline =
        serde_json::from_str(&std::fs::read_to_string(&model).expect("model file"))
            .expect("a pipeline");
    assert!(matches!(
        saved.model,
        churnscope_engine::modelling::models::FittedModel::Gbdt(_)
    ));
    assert_eq!(
        saved.format_version,
        churnscope_engine::modelling::pipeline::MODEL_FORMAT_VERSION
    );

    let (code, out, err) = churnscope(&["train", "public/sample_customers.csv", "--cv", "3"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("chosen by 3-fold cross-validation"), "{out}");
    // Any model: a random search of the boosted trees' grid.
    let (code, out, err) = churnscope(&[
        "train",
        "public/sample_customers.csv",
        "--model",
        "gbdt",
        "--cv",
        "3",
        "--search",
        "random:2",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["cv"]["candidates"].as_array().map(Vec::len), Some(2));
    assert!(
        v["cv"]["best"].to_string().contains("num_leaves"),
        "{}",
        v["cv"]
    );

    for (args, message) in [
        (vec!["--model", "tree"], "--model: unknown model 'tree'"),
        (vec!["--cv", "1"], "--cv: '1' is not a number of folds"),
        (
            vec!["--model", "gbdt", "--search", "random:3"],
            "--scoring and --search go with --cv",
        ),
        (
            vec!["--cv", "3", "--search", "random:x"],
            "--search: 'random:x'",
        ),
        (
            vec!["--scoring", "pr_auc"],
            "--scoring and --search go with --cv",
        ),
        (
            vec!["--model", "forest", "--class-weight", "balanced"],
            "--class-weight goes with --model logistic or gbdt",
        ),
        (vec!["--penalty", "l3"], "--penalty: 'l3'"),
        (
            vec!["--class-weight", "1:-2"],
            "class weights must be positive numbers, got 1 and -2",
        ),
        (vec!["--threshold", "recall:1.5"], "recall"),
        (
            vec!["--threshold", "2"],
            "--threshold: 2 is not between 0 and 1",
        ),
        (vec!["--pca", "0"], "PCA"),
        (vec!["--calibration", "sigmoid"], "--calibration: 'sigmoid'"),
        (
            vec!["--split-date", "nope"],
            "--split-date: there is no column 'nope'",
        ),
        (
            vec![
                "--split-date",
                "customer_id",
                "--test",
                "public/sample_customers.csv",
            ],
            "--split-date and --test",
        ),
    ] {
        let mut all = vec!["train", "public/sample_customers.csv"];
        all.extend(args);
        let (code, _, err) = churnscope(&all);
        assert_eq!(code, 1, "{all:?}: {err}");
        assert!(err.contains(message), "{all:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_model_and_option_trains_and_reports_brier_and_the_chosen_threshold() {
    // Forest and MLP on the sample; logistic regression with L1, balanced classes, isotonic
    // calibration and the F1 threshold; trees with early stopping and a recall target.
    let runs: [&[&str]; 4] = [
        &["--model", "forest"],
        &["--model", "mlp"],
        &[
            "--penalty",
            "elasticnet:0.5",
            "--class-weight",
            "balanced",
            "--calibration",
            "isotonic",
            "--threshold",
            "f1",
            "--missing-indicator",
            "yes",
            "--rare-levels",
            "5",
        ],
        &[
            "--model",
            "gbdt",
            "--early-stopping",
            "5",
            "--threshold",
            "recall:0.8",
            "--resample",
            "under",
        ],
    ];
    for extra in runs {
        let mut all = vec!["train", "public/sample_customers.csv", "--format", "json"];
        all.extend_from_slice(extra);
        let (code, out, err) = churnscope(&all);
        assert_eq!(code, 0, "{all:?}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        // Class weights and resampling are corrected back to the real churn share, and the
        // output says so.
        let rebalanced = extra.contains(&"--class-weight") || extra.contains(&"--resample");
        assert_eq!(v["prior_correction"].is_object(), rebalanced, "{all:?}");
        let note = v["probability_note"].as_str().expect("a note");
        assert_eq!(
            note.contains("prior correction"),
            rebalanced,
            "{all:?}: {note}"
        );
        let m = &v["metrics"];
        for key in [
            "roc_auc",
            "pr_auc",
            "accuracy",
            "precision",
            "recall",
            "f1",
            "log_loss",
            "brier",
        ] {
            let x = m[key]
                .as_f64()
                .unwrap_or_else(|| panic!("{all:?}: no {key} in {m}"));
            assert!(x.is_finite() && x >= 0.0, "{all:?}: {key} = {x}");
        }
        // The sample's churn depends strongly on a few columns (see sample.rs); 0.7 is a
        // floor any working model clears, not a reference figure.
        assert!(m["roc_auc"].as_f64().unwrap_or(0.0) > 0.7, "{all:?}: {m}");
    }
    let mut all = vec!["train", "public/sample_customers.csv", "--format", "json"];
    all.extend_from_slice(runs[2]);
    let v: serde_json::Value = serde_json::from_str(&churnscope(&all).1).expect("json");
    let chosen = v["threshold_choice"]["threshold"]
        .as_f64()
        .expect("a chosen threshold");
    assert_eq!(
        v["metrics"]["threshold"].as_f64(),
        Some(chosen),
        "the test metrics use it"
    );
    assert_eq!(v["calibration"], "isotonic");
    let coefficients = v["coefficients"].as_array().expect("coefficients");
    assert!(coefficients
        .iter()
        .any(|c| c["odds_ratio_per_unit"].is_number()));
}

#[test]
fn compare_trains_several_models_on_one_split_and_explains_them() {
    let (code, out, err) = churnscope(&[
        "compare",
        "public/sample_customers.csv",
        "--models",
        "logistic,gbdt",
        "--cv",
        "3",
        "--explain",
        "yes",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let models = v["models"].as_array().expect("models");
    assert_eq!(models.len(), 2);
    assert_eq!(models[0]["model"], "logistic");
    assert_eq!(models[1]["model"], "gbdt");
    assert_eq!(
        models.iter().filter(|m| m["recommended"] == true).count(),
        1,
        "one recommended model"
    );
    for m in models {
        assert_eq!(m["cv"]["folds"], 3, "{m}");
        assert!(m["cv"]["std"].as_f64().is_some_and(|s| s >= 0.0));
        let importance = m["explanation"]["importance"]
            .as_array()
            .expect("importance");
        assert!(!importance.is_empty());
        assert_eq!(
            m["explanation"]["reasons"].as_array().map(Vec::len),
            Some(20),
            "the 20 riskiest test customers"
        );
    }
    // The first model is the one `train` fits (same split and seed): same test metrics.
    let (code, out, err) =
        churnscope(&["train", "public/sample_customers.csv", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let train: serde_json::Value = serde_json::from_str(&out).expect("json");
    for key in ["roc_auc", "pr_auc", "f1", "log_loss", "brier"] {
        assert_eq!(models[0]["metrics"][key], train["metrics"][key], "{key}");
    }
    // Text output: a row per model and the recommendation; bad options say what is wrong.
    let (code, out, _) = churnscope(&[
        "compare",
        "public/sample_customers.csv",
        "--models",
        "logistic,forest",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Logistic regression") && out.contains("Random forest"),
        "{out}"
    );
    assert!(out.contains("<- recommended"), "{out}");
    let (code, _, err) = churnscope(&["compare", "public/sample_customers.csv", "--models", "svm"]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown model 'svm'"), "{err}");
    let (code, _, err) = churnscope(&["compare", "public/sample_customers.csv", "--search", "yes"]);
    assert_eq!(code, 1);
    assert!(err.contains("--search goes with --cv"), "{err}");
}

/// `act` on the shipped sample: the best plan adds up, the tiers cover the test customers,
/// and the action list, its Excel twin and the report are written with formulas defused.
#[test]
fn act_plans_a_campaign_and_writes_the_list_and_report() {
    let dir = std::env::temp_dir().join(format!("churnscope-act-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let playbook = dir.join("playbook.json");
    std::fs::write(
        &playbook,
        r#"{"rules": [{"columns": "days since", "action": "=cmd|' /C calc'!A0"}], "fallback": "Check-in"}"#,
    )
    .expect("playbook");
    let (csv, xlsx, report) = (dir.join("a.csv"), dir.join("a.xlsx"), dir.join("r.html"));
    let (code, out, err) = churnscope(&[
        "act",
        "public/sample_customers.csv",
        "--value",
        "250",
        "--cost",
        "5",
        "--success",
        "0.4",
        "--playbook",
        playbook.to_str().expect("path"),
        "--out",
        csv.to_str().expect("path"),
        "--report",
        report.to_str().expect("path"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["customers"], 5000);
    let p = &v["profit"];
    let f = |k: &str| p[k].as_f64().expect(k);
    // Projected from the 1,000 test customers to the 5,000 in the file (×5).
    assert_eq!(f("scale"), 5.0);
    assert_eq!(f("contacted"), f("test_contacted") * 5.0);
    assert!((f("cost") - f("contacted") * 5.0).abs() < 1e-9);
    assert!((f("retained") - f("cost") - f("net")).abs() < 1e-6);
    let test_customers: u64 = v["tiers"]
        .as_array()
        .expect("tiers")
        .iter()
        .map(|t| t["test_customers"].as_u64().expect("count"))
        .sum();
    assert_eq!(test_customers, 1000);
    let text = std::fs::read_to_string(&csv).expect("csv written");
    assert_eq!(text.lines().count(), 5001);
    assert!(text.contains(",'=cmd|' /C calc'!A0,"), "formula defused");
    assert!(!text.contains(",=cmd"));
    let html = std::fs::read_to_string(&report).expect("report written");
    assert!(html.starts_with("<!doctype html>") || html.starts_with("<!DOCTYPE html>"));
    assert!(html.matches("<svg").count() >= 10);
    assert!(!html.contains("<script"));
    let (code, _, err) = churnscope(&[
        "act",
        "public/sample_customers.csv",
        "--out",
        xlsx.to_str().expect("path"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read(&xlsx).expect("xlsx").starts_with(b"PK"));
    let (code, _, err) = churnscope(&["act", "public/sample_customers.csv", "--success", "2"]);
    assert_eq!(code, 1);
    assert!(err.contains("success rate"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn act_says_when_no_playbook_rule_names_a_column_and_explains_a_damaged_playbook() {
    let dir = std::env::temp_dir().join(format!("churnscope-act-nomatch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (foreign, damaged) = (dir.join("foreign.json"), dir.join("damaged.json"));
    std::fs::write(
        &foreign,
        r#"{"rules": [{"columns": "在网月数", "action": "电话回访"}], "fallback": "Check-in"}"#,
    )
    .expect("playbook");
    std::fs::write(
        &damaged,
        "{\"rules\": [{\"columns\": \"tenure\", \"action\": 5}], \"fallback\": \"x\"}",
    )
    .expect("playbook");
    let (code, out, err) = churnscope(&[
        "act",
        "public/sample_customers.csv",
        "--playbook",
        foreign.to_str().expect("path"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("notice: No rule of the playbook names any column of this file"),
        "{out}"
    );
    // The default playbook names the sample's columns: no notice.
    let (code, out, err) = churnscope(&["act", "public/sample_customers.csv"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("notice:"), "{out}");
    let (code, _, err) = churnscope(&[
        "act",
        "public/sample_customers.csv",
        "--playbook",
        damaged.to_str().expect("path"),
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "line 1, column 44: the rule's `action` must be text in quotes, found the number 5"
        ),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Piped into a reader that stops early (`| head`), the CLI ends quietly, not with a panic.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_churnscope"))
        .args(["sample", "--rows", "20000"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run churnscope");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout);
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr");
    let status = child.wait().expect("exit");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_total_row_is_left_out_with_a_notice_unless_kept() {
    // tests/data/total_row.csv: 8 customers, a blank row, and a Total row on line 11.
    let (code, out, err) = churnscope(&["profile", "tests/data/total_row.csv", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["rows"], 8);
    assert_eq!(v["summary_rows"][0]["row"]["line"], 11);
    assert!(
        err.contains("Line 11 looks like a totals row")
            && err.contains("--keep-summary-rows keeps it"),
        "{err}"
    );
    let (code, out, err) = churnscope(&[
        "profile",
        "tests/data/total_row.csv",
        "--keep-summary-rows",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["rows"], 10);
    assert!(err.contains("it was kept as a customer"), "{err}");
}

#[test]
fn a_workbook_opens_on_its_customer_sheet_and_says_so() {
    let (code, out, err) = churnscope(&["profile", "tests/data/dictionary_first.xlsx"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("sheet 'E Comm' of 2"), "{out}");
    assert!(err.contains("Opened sheet 'E Comm' because"), "{err}");
    let (code, out, err) = churnscope(&[
        "profile",
        "tests/data/dictionary_first.xlsx",
        "--sheet",
        "Data Dict",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("sheet 'Data Dict' of 2"), "{out}");
    assert!(!err.contains("Opened sheet"), "{err}");
}

/// A path the binary reads (relative to the repository root), as this test process sees it.
fn root(path: &str) -> std::path::PathBuf {
    std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(path)
}

/// A fresh directory under the system's temp dir for one test's files.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("churnscope-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn a_saved_model_scores_a_new_export_in_pieces_as_in_one() {
    // The Telco split of ../shared/datasets/splits (the reference protocol's files).
    let train = "../shared/datasets/splits/telco_ibm_train.csv";
    let test = "../shared/datasets/splits/telco_ibm_test.csv";
    let dir = scratch("score");
    let model = dir.join("telco.churnscope.json");
    let model = model.to_str().expect("utf-8");
    let (code, _, err) = churnscope(&[
        "train",
        train,
        "--target",
        "Churn",
        "--positive",
        "Yes",
        "--save",
        model,
    ]);
    assert_eq!(code, 0, "{err}");
    let whole = dir.join("whole.csv");
    let pieces = dir.join("pieces.csv");
    let (code, out, err) = churnscope(&[
        "score",
        model,
        test,
        "--out",
        whole.to_str().expect("path"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    // telco_ibm_test.csv has 1,409 customers.
    assert_eq!(v["rows"], 1409);
    assert_eq!(v["pieces"], 1);
    let tiers = &v["tiers"];
    let sum = tiers["high"].as_u64().unwrap_or(0)
        + tiers["medium"].as_u64().unwrap_or(0)
        + tiers["low"].as_u64().unwrap_or(0);
    assert_eq!(sum, 1409);
    let (code, out, err) = churnscope(&[
        "score",
        model,
        test,
        "--out",
        pieces.to_str().expect("path"),
        "--chunk-kb",
        "16",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(v["pieces"].as_u64().unwrap_or(0) >= 10, "{}", v["pieces"]);
    let a = std::fs::read(&whole).expect("whole");
    let b = std::fs::read(&pieces).expect("pieces");
    assert!(a == b, "scoring in pieces must write the same action list");
    // Read back as the merchant would: one line per customer, in the file's order.
    let text = String::from_utf8(a).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1410);
    let first_id = std::fs::read_to_string(root(test))
        .expect("test file")
        .lines()
        .nth(1)
        .expect("row")
        .split(',')
        .next()
        .expect("id")
        .to_string();
    assert!(lines[1].starts_with(&first_id), "{} / {first_id}", lines[1]);
}

#[test]
fn score_names_a_missing_column_and_refuses_damaged_model_files() {
    let train = "../shared/datasets/splits/telco_ibm_train.csv";
    let dir = scratch("score-errors");
    let model = dir.join("m.churnscope.json");
    let model = model.to_str().expect("utf-8");
    let (code, _, err) = churnscope(&[
        "train",
        train,
        "--target",
        "Churn",
        "--positive",
        "Yes",
        "--save",
        model,
    ]);
    assert_eq!(code, 0, "{err}");
    // The same export without its tenure column, and with one column spelled differently.
    let text = std::fs::read_to_string(root(train)).expect("train");
    let cut: String = text
        .lines()
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            let mut kept: Vec<String> = cells
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != 5)
                .map(|(_, c)| c.to_string())
                .collect();
            if kept[0] == "customerID" {
                kept[1] = "GENDER".into();
            }
            kept.join(",") + "\n"
        })
        .collect();
    assert!(text.lines().next().expect("header").split(',').nth(5) == Some("tenure"));
    let cut_path = dir.join("no_tenure.csv");
    std::fs::write(&cut_path, cut).expect("write");
    let (code, _, err) = churnscope(&["score", model, cut_path.to_str().expect("path")]);
    assert_eq!(code, 1);
    assert!(
        err.contains("has no column 'tenure', which the model needs"),
        "{err}"
    );
    // A model file that is something else, or from a newer churnscope.
    let other = dir.join("other.json");
    std::fs::write(&other, "{\"rules\": []}").expect("write");
    let (code, _, err) = churnscope(&["score", other.to_str().expect("path"), train]);
    assert_eq!(code, 1);
    assert!(err.contains("not a churnscope model file"), "{err}");
    let newer = std::fs::read_to_string(model).expect("model").replacen(
        "\"format_version\": 1",
        "\"format_version\": 7",
        1,
    );
    std::fs::write(&other, newer).expect("write");
    let (code, _, err) = churnscope(&["score", other.to_str().expect("path"), train]);
    assert_eq!(code, 1);
    assert!(err.contains("format version 7"), "{err}");
}

#[test]
fn act_saves_its_campaign_settings_in_the_model_file() {
    let train = "../shared/datasets/splits/telco_ibm_train.csv";
    let dir = scratch("act-save");
    let model = dir.join("act.churnscope.json");
    let model = model.to_str().expect("utf-8");
    let (code, _, err) = churnscope(&[
        "act",
        train,
        "--target",
        "Churn",
        "--positive",
        "Yes",
        "--high",
        "0.6",
        "--medium",
        "0.3",
        "--cost",
        "12",
        "--save",
        model,
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(model).expect("model")).expect("json");
    // The cut-offs and cost given above; the built-in playbook's fallback action.
    assert_eq!(v["tiers"]["high"], 0.6);
    assert_eq!(v["tiers"]["medium"], 0.3);
    assert_eq!(v["profit"]["cost"], 12.0);
    assert!(v["playbook"]["fallback"]
        .as_str()
        .is_some_and(|f| !f.is_empty()));
    assert_eq!(v["dataset"]["name"], "telco_ibm_train.csv");
}

/// `path`'s CSV with `edit` applied to each data row (cells by header name).
fn edited_csv(path: &str, out: &std::path::Path, edit: &dyn Fn(&[String], &mut Vec<String>)) {
    let text = std::fs::read_to_string(root(path)).expect("csv");
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(String::from)
        .collect();
    let mut written = header.join(",") + "\n";
    for line in lines {
        // The Telco split has no quoted fields.
        let mut cells: Vec<String> = line.split(',').map(String::from).collect();
        edit(&header, &mut cells);
        written += &(cells.join(",") + "\n");
    }
    std::fs::write(out, written).expect("write");
}

#[test]
fn drift_flags_exactly_the_shifted_features_and_decay() {
    let train = "../shared/datasets/splits/telco_ibm_train.csv";
    let test = "../shared/datasets/splits/telco_ibm_test.csv";
    let dir = scratch("drift");
    let model = dir.join("telco.churnscope.json");
    let model = model.to_str().expect("utf-8");
    let (code, _, err) = churnscope(&[
        "train",
        train,
        "--target",
        "Churn",
        "--positive",
        "Yes",
        "--save",
        model,
    ]);
    assert_eq!(code, 0, "{err}");
    let drift = |file: &str| {
        let (code, out, err) = churnscope(&["drift", model, file, "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        let drifted: Vec<String> = v["report"]["features"]
            .as_array()
            .expect("features")
            .iter()
            .filter(|f| f["drifted"] == true)
            .map(|f| f["column"].as_str().expect("name").to_string())
            .collect();
        (v, drifted)
    };
    // The held-out customers of the same file: nothing drifts, nothing decays.
    let (v, drifted) = drift(test);
    assert!(drifted.is_empty(), "{drifted:?}");
    assert_eq!(v["report"]["dataset_drifted"], false);
    let realised = &v["report"]["realised"];
    assert_eq!(realised["n"], 1409);
    assert_eq!(realised["decayed"], false);
    let estimated = v["report"]["estimated_roc_auc"].as_f64().expect("cbpe");
    assert!((0.75..0.95).contains(&estimated), "{estimated}");
    // The issue's shift: tenure halved, monthly charges up 30%.
    let shifted = dir.join("shifted.csv");
    edited_csv(test, &shifted, &|h, cells| {
        let at = |name: &str| h.iter().position(|c| c == name).expect("column");
        let t: f64 = cells[at("tenure")].parse().expect("tenure");
        cells[at("tenure")] = format!("{}", (t / 2.0).floor());
        let m: f64 = cells[at("MonthlyCharges")].parse().expect("charges");
        cells[at("MonthlyCharges")] = format!("{:.2}", m * 1.3);
    });
    let (v, mut drifted) = drift(shifted.to_str().expect("path"));
    drifted.sort();
    assert_eq!(drifted, ["MonthlyCharges", "tenure"]);
    assert_eq!(v["report"]["features"][0]["band"], "significant");
    // Churn labels swapped: the realised ROC AUC falls far below training, a decay.
    let swapped = dir.join("swapped.csv");
    edited_csv(test, &swapped, &|h, cells| {
        let at = h.iter().position(|c| c == "Churn").expect("Churn");
        cells[at] = if cells[at] == "Yes" {
            "No".into()
        } else {
            "Yes".into()
        };
    });
    let (v, _) = drift(swapped.to_str().expect("path"));
    assert_eq!(v["report"]["realised"]["decayed"], true);
    let (code, out, _) = churnscope(&["drift", model, swapped.to_str().expect("path")]);
    assert_eq!(code, 0);
    assert!(out.contains("DECAY"), "{out}");
}

#[test]
fn orders_turns_a_log_into_customers_and_fits_the_baselines() {
    // CDNOW's log (../shared/datasets/CDNOW_sample.txt: 6,919 purchases by 2,357 customers)
    // with the calibration period of cdnow_customers_summary.csv (to 1997-09-30).
    let dir = scratch("orders-cdnow");
    let (out, current) = (dir.join("customers.csv"), dir.join("current.csv"));
    let (code, text, err) = churnscope(&[
        "orders",
        "../shared/datasets/CDNOW_sample.txt",
        "--cutoff",
        "1997-09-30",
        "--horizon",
        "90",
        "--min-history",
        "0",
        "--out",
        out.to_str().expect("path"),
        "--current",
        current.to_str().expect("path"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["layout"], "cdnow");
    assert_eq!(v["log"]["rows"], 6919);
    assert_eq!(v["log"]["customers"], 2357);
    assert_eq!(v["summary"]["labelled"], 2357);
    assert_eq!(v["summary"]["cutoff"], "1997-09-30");
    let baselines = v["baselines"].as_array().expect("both baselines");
    assert_eq!(baselines.len(), 2);
    for b in baselines {
        let auc = b["roc_auc"].as_f64().expect("roc auc");
        // Repeat buying predicts coming back: both beat guessing clearly on CDNOW
        // (measured: BG/NBD 0.807, Pareto/NBD 0.822).
        assert!(auc > 0.7, "{b}");
        assert_eq!(b["test_customers"], 472); // 20% of 2,357, stratified (seed 42)
    }
    // The derived table, read back as a merchant would: one row per customer.
    let table = std::fs::read_to_string(&out).expect("customers written");
    let mut lines = table.trim_start_matches('\u{feff}').lines();
    assert!(lines
        .next()
        .expect("header")
        .starts_with("customer,recency_days,frequency,monetary_total,monetary_mean,tenure_days"));
    assert_eq!(lines.count(), 2357);
    let current = std::fs::read_to_string(&current).expect("current written");
    let header = current.lines().next().expect("header");
    assert!(!header.contains("churned"));
    assert!(
        header.ends_with(
            ",p_alive_bgnbd,expected_orders_bgnbd,p_alive_paretonbd,expected_orders_paretonbd"
        ),
        "{header}"
    );
    // The text output names the layout, the censoring and the timings.
    let (code, text, err) = churnscope(&["orders", "../shared/datasets/CDNOW_sample.txt"]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("CDNOW purchase log"), "{text}");
    assert!(
        text.contains("cutoff 1998-04-01"),
        "last day 1998-06-30 minus 90: {text}"
    );
    assert!(text.contains("BG/NBD (baseline): r "), "{text}");
    assert!(text.contains("time: read "), "{text}");
}

#[test]
fn orders_detects_layouts_and_explains_what_it_cannot_use() {
    // The generated log (`sample --orders`) is found by its column names.
    let log = scratch("orders-generated").join("log.csv");
    let (code, _, err) = churnscope(&[
        "sample",
        "--orders",
        "--rows",
        "400",
        "--seed",
        "3",
        "--out",
        log.to_str().expect("p"),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, text, err) = churnscope(&[
        "orders",
        log.to_str().expect("p"),
        "--no-baselines",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["layout"], "generic");
    assert_eq!(v["mapping"]["quantity"], "quantity");
    assert!(v["baselines"].is_null());
    // Read in pieces of 4 KiB (line items of one order falling in different pieces), with
    // progress as JSON lines: the same log, customers and table as read in one piece.
    let (small, big) = (
        log.with_extension("small.csv"),
        log.with_extension("big.csv"),
    );
    let mut runs = Vec::new();
    for (chunk, out) in [("4", &small), ("16384", &big)] {
        let (code, text, err) = churnscope(&[
            "orders",
            log.to_str().expect("p"),
            "--no-baselines",
            "--chunk-kb",
            chunk,
            "--progress",
            "json",
            "--out",
            out.to_str().expect("p"),
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        let last: serde_json::Value =
            serde_json::from_str(err.lines().last().expect("progress lines")).expect("json line");
        assert_eq!(last["rows"], v["log"]["rows"], "{err}");
        assert_eq!(last["bytes"], last["total_bytes"]);
        assert!(v["peak_memory_bytes"].as_u64().is_some_and(|b| b > 0));
        runs.push((v, err.lines().count()));
    }
    assert!(
        runs[0].0["pieces"].as_u64().expect("pieces") > 5,
        "{}",
        runs[0].0
    );
    assert_eq!(runs[1].0["pieces"], 1);
    assert_eq!(
        runs[0].1 as u64,
        runs[0].0["pieces"].as_u64().expect("pieces")
    );
    assert_eq!(runs[0].0["log"], runs[1].0["log"]);
    assert_eq!(runs[0].0["summary"], runs[1].0["summary"]);
    assert_eq!(
        std::fs::read(&small).expect("written"),
        std::fs::read(&big).expect("written")
    );
    // A log over the part size (lowered to 20,000 bytes for the test; 64 MiB otherwise) is
    // split by customer into parts on disk: the same log, summary and labelled customers
    // (written part by part, so compared as sets of lines), the baselines fitted on the
    // first parts' customers (all of them here: fewer than 20,000) scoring every current
    // customer.
    let (split, current) = (
        log.with_extension("split.csv"),
        log.with_extension("cur.csv"),
    );
    let tmp = scratch("orders-parts-tmp");
    let (code, text, err) = churnscope_with(
        &[
            "orders",
            log.to_str().expect("p"),
            "--out",
            split.to_str().expect("p"),
            "--current",
            current.to_str().expect("p"),
            "--progress",
            "json",
            "--format",
            "json",
        ],
        &[
            ("CHURNSCOPE_PART_BYTES", "20000"),
            ("TMPDIR", tmp.to_str().expect("p")),
        ],
    );
    assert_eq!(code, 0, "{err}");
    // Progress in three passes: the file, the parts read, the customers derived.
    for pass in [
        "splitting orders of",
        "reading the parts of",
        "deriving the customers of",
    ] {
        assert!(err.contains(pass), "{pass}: {err}");
    }
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let size = std::fs::metadata(&log).expect("log").len();
    assert_eq!(v["parts"].as_u64(), Some(size.div_ceil(20_000)));
    assert_eq!(v["log"], runs[1].0["log"]);
    assert_eq!(v["summary"], runs[1].0["summary"]);
    let labelled = v["summary"]["labelled"].as_u64().expect("labelled");
    assert_eq!(v["baseline_customers"].as_u64(), Some(labelled));
    assert_eq!(
        v["baselines"].as_array().map(Vec::len),
        Some(2),
        "{}",
        v["baselines"]
    );
    let lines = |p: &std::path::Path| {
        let text = std::fs::read_to_string(p).expect("written");
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(lines(&split), lines(&big));
    let current = std::fs::read_to_string(&current).expect("current written");
    assert!(current
        .lines()
        .next()
        .expect("header")
        .ends_with("expected_orders_paretonbd"));
    assert_eq!(
        current.lines().count() as u64,
        v["summary"]["current"].as_u64().expect("current") + 1
    );
    let left: Vec<_> = std::fs::read_dir(&tmp).expect("temp").flatten().collect();
    assert!(left.is_empty(), "the parts are removed: {left:?}");
    // A customer table is not a log.
    let (code, _, err) = churnscope(&["orders", "public/sample_customers.csv"]);
    assert_eq!(code, 1);
    assert!(err.contains("not recognised as an order log"), "{err}");
    // A forced layout whose header is missing says which columns it needs.
    let (code, _, err) = churnscope(&["orders", log.to_str().expect("p"), "--layout", "shopify"]);
    assert_eq!(code, 1);
    assert!(err.contains("Shopify's orders header"), "{err}");
    // A cutoff too late for the horizon names the latest possible one.
    let (code, _, err) = churnscope(&[
        "orders",
        "../shared/datasets/CDNOW_sample.txt",
        "--cutoff",
        "1998-06-01",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("needs a cutoff on or before 1998-04-01"),
        "{err}"
    );
    let (code, _, err) = churnscope(&[
        "orders",
        "../shared/datasets/CDNOW_sample.txt",
        "--cutoff",
        "soon",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("--cutoff: 'soon' is not a date"), "{err}");
    // A mapped column that is not there is named.
    let (code, _, err) =
        churnscope(&["orders", log.to_str().expect("p"), "--amount", "total_paid"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("the amount column 'total_paid' is not in the file"),
        "{err}"
    );
}

#[test]
fn a_near_unique_surname_is_left_out_by_default_and_can_be_included() {
    // The bank file (datasets/README.md: Surname has 2,932 names in 10,000 rows).
    let bank = "../shared/datasets/Churn_Modelling.csv";
    let auc = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["train", bank, "--format", "json"];
        args.extend_from_slice(extra);
        let (code, out, err) = churnscope(&args);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).expect("json")
    };
    let by_default = auc(&[]);
    let by_hand = auc(&["--ignore", "Surname"]);
    assert_eq!(
        by_default["metrics"]["roc_auc"],
        by_hand["metrics"]["roc_auc"]
    );
    assert!(by_default["left_out"]
        .as_array()
        .expect("left out")
        .iter()
        .any(|d| d["column"] == "Surname" && d["reason"] == "free or near-unique text"));
    // Included by choice: a category whose names seen fewer than 10 times are grouped.
    let included = auc(&["--include", "Surname"]);
    let notices = included["notices"].to_string();
    assert!(notices.contains("'Surname' has 2,"), "{notices}");
    assert!(notices.contains("seen fewer than 10 times"), "{notices}");
    assert_ne!(included["n_features"], by_default["n_features"]);
    let (code, text, _) = churnscope(&["train", bank]);
    assert_eq!(code, 0);
    assert!(text.contains("left out: RowNumber (identifier), CustomerId (identifier), Surname (free or near-unique text)"), "{text}");
    let (code, _, err) = churnscope(&["train", bank, "--include", "Nickname"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("--include: there is no column 'Nickname'"),
        "{err}"
    );
}

#[test]
fn sql_writes_a_saved_model_as_a_query_for_each_engine() {
    // The Telco split of ../shared/datasets/splits; the engines run it in
    // crates/engine/tests/sql_engines.rs.
    let train = "../shared/datasets/splits/telco_ibm_train.csv";
    let dir = scratch("sql");
    let model = dir.join("telco.churnscope.json");
    let model = model.to_str().expect("utf-8");
    let (code, _, err) = churnscope(&["train", train, "--target", "Churn", "--save", model]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = churnscope(&[
        "sql",
        model,
        "--dialect",
        "spark",
        "--table",
        "shop.customers",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("-- churnscope "), "{}", &out[..200]);
    assert!(out.contains("`customerID` AS customer_id"));
    assert!(out.contains("FROM shop.customers"));
    assert!(out.contains("AS top_reason"));
    let file = dir.join("scores.sql");
    let (code, out, err) = churnscope(&[
        "sql",
        model,
        "--dialect",
        "PostgreSQL",
        "--view",
        "churn_scores",
        "--out",
        file.to_str().expect("path"),
    ]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let written = std::fs::read_to_string(&file).expect("written");
    assert!(
        written.contains("CREATE OR REPLACE VIEW churn_scores AS\nWITH cs_input AS MATERIALIZED (")
    );
    // Wrong values: named, with what the option takes.
    let (code, _, err) = churnscope(&["sql", model, "--dialect", "oracle"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("--dialect: 'oracle' (use duckdb, postgres, spark or bigquery)"),
        "{err}"
    );
    let (code, _, err) = churnscope(&["sql", model, "--table", "a;b"]);
    assert_eq!(code, 1);
    assert!(err.contains("'a;b' is not a table name"), "{err}");
}

#[test]
fn train_on_a_seeded_sample_of_a_file_says_so() {
    // telco_ibm_train.csv: 5,634 customers (../shared/datasets/splits).
    let train = "../shared/datasets/splits/telco_ibm_train.csv";
    let args = [
        "train", train, "--target", "Churn", "--sample", "2000", "--format", "json",
    ];
    let (code, out, err) = churnscope(&args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["sample"]["rows"], 2000);
    assert_eq!(v["sample"]["of"], 5634);
    assert_eq!(v["sample"]["seed"], 42);
    assert_eq!(
        v["n_train"].as_u64().unwrap_or(0) + v["n_test"].as_u64().unwrap_or(0),
        2000
    );
    // The same seed, the same rows and so the same model; another seed, other rows.
    let (_, again, _) = churnscope(&args);
    let w: serde_json::Value = serde_json::from_str(&again).expect("json");
    assert_eq!(v["metrics"], w["metrics"]);
    let (code, text, err) = churnscope(&[
        "train", train, "--target", "Churn", "--sample", "2000", "--seed", "7",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.starts_with(
            "trained on a random sample of 2000 of the file's 5634 rows (seed 7; --sample)"
        ),
        "{text}"
    );
    let (code, _, err) = churnscope(&["train", "tests/data/customers.xlsx", "--sample", "10"]);
    assert_eq!(code, 1);
    assert!(err.contains("--sample reads delimited text"), "{err}");
}

#[test]
fn score_reports_its_progress_as_json_lines_on_request() {
    // telco_ibm_test.csv: 1,409 customers (../shared/datasets/splits), read in 16 KB pieces.
    let train = "../shared/datasets/splits/telco_ibm_train.csv";
    let test = "../shared/datasets/splits/telco_ibm_test.csv";
    let dir = scratch("progress");
    let model = dir.join("telco.churnscope.json");
    let model = model.to_str().expect("utf-8");
    let (code, _, err) = churnscope(&["train", train, "--target", "Churn", "--save", model]);
    assert_eq!(code, 0, "{err}");
    let args = [
        "score",
        model,
        test,
        "--chunk-kb",
        "16",
        "--no-reasons",
        "--progress",
        "json",
    ];
    let (code, _, err) = churnscope(&args);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = err
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert!(lines.len() >= 10, "{err}");
    let size = std::fs::metadata(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/datasets/splits/telco_ibm_test.csv"
    ))
    .expect("size")
    .len();
    let last = lines.last().expect("a line");
    assert_eq!(last["bytes"], size);
    assert_eq!(last["total_bytes"], size);
    assert_eq!(last["customers"], 1409);
    let bytes: Vec<u64> = lines
        .iter()
        .map(|l| l["bytes"].as_u64().unwrap_or(0))
        .collect();
    assert!(bytes.windows(2).all(|w| w[0] < w[1]), "{bytes:?}");
    // Not a terminal and not asked: nothing but the result.
    let (code, _, err) = churnscope(&["score", model, test, "--no-reasons"]);
    assert_eq!(code, 0);
    assert!(!err.contains("scoring"), "{err}");
    let (code, _, err) = churnscope(&["score", model, test, "--progress", "loud"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("--progress: 'loud' (use auto, bar, json or off)"),
        "{err}"
    );
}

#[test]
fn profile_and_drift_read_a_seeded_sample_of_a_big_file() {
    // telco_ibm_test.csv: 1,409 customers, 233,181 bytes (../shared/datasets/splits).
    let train = "../shared/datasets/splits/telco_ibm_train.csv";
    let test = "../shared/datasets/splits/telco_ibm_test.csv";
    let (code, out, err) = churnscope(&["profile", test, "--sample", "500", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        (v["rows"].as_u64(), v["sample"]["of"].as_u64()),
        (Some(500), Some(1409))
    );
    // The peak memory is reported (Linux's VmHWM), for reading big files under a limit.
    assert!(
        v["peak_memory_bytes"].as_u64().is_some_and(|b| b > 0),
        "{v}"
    );
    let dir = scratch("sampled-drift");
    let model = dir.join("telco.churnscope.json");
    let model = model.to_str().expect("utf-8");
    let (code, _, err) = churnscope(&["train", train, "--target", "Churn", "--save", model]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = churnscope(&[
        "drift",
        model,
        test,
        "--sample",
        "700",
        "--progress",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    // The sampling pass reports its progress: the whole file read, 700 rows in the sample.
    let last = err
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .next_back()
        .expect("a progress line");
    assert_eq!(last["sample_rows"], 700, "{err}");
    assert_eq!(last["bytes"], last["total_bytes"]);
    assert!(
        out.starts_with(
            "compared a random sample of 700 of the file's 1409 rows (seed 42; --sample)"
        ),
        "{out}"
    );
    assert!(
        out.lines()
            .next()
            .is_some_and(|l| l.contains(", peak memory ")),
        "{out}"
    );
    // A file over the size limit is sampled without being asked, and says so (the limit
    // lowered to 100,000 bytes for the test; 1 GiB otherwise).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_churnscope"))
        .args(["profile", test])
        .env("CHURNSCOPE_AUTO_SAMPLE_BYTES", "100000")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        err.contains("so read as a random sample of 1,000,000 rows"),
        "{err}"
    );
    assert!(
        text.contains("profiled a random sample of 1409 of the file's 1409 rows"),
        "{text}"
    );
}
