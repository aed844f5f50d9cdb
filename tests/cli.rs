//! The `churnscope` binary: profile JSON, training output and error messages.

use std::process::Command;

fn churnscope(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_churnscope"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
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
