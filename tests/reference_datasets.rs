//! The engine against scikit-learn on the real datasets, on the exact split behind
//! ../shared/bench/baselines.md (scikit-learn 1.9.1, pipeline `a_seed_lr_liblinear`:
//! median/most-frequent imputation, StandardScaler, OneHotEncoder(handle_unknown="ignore"),
//! LogisticRegression(solver="liblinear"), C = 1).

use std::path::PathBuf;

use churnscope_engine::dataset::Dataset;
use churnscope_engine::modelling::models::{ClassWeight, LogisticRegressionParams};
use churnscope_engine::modelling::pipeline::{FittedPipeline, ModelKind, Resample, TrainConfig};
use churnscope_engine::modelling::tuning::{tune_logistic, Tuning};
use churnscope_engine::reading::ingest::{read_csv, ReadOptions};
use churnscope_engine::understanding::target::target_for;

fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(path)
}

/// The training file of the reference split `name`.
fn train_table(name: &str) -> Dataset {
    let path = shared(&format!("datasets/splits/{name}_train.csv"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    read_csv(&bytes, &ReadOptions::default()).expect("train file parses")
}

/// Test ROC AUC of `pipeline` on the test file of the reference split `name`.
fn test_roc_auc(name: &str, pipeline: &FittedPipeline) -> f64 {
    let path = shared(&format!("datasets/splits/{name}_test.csv"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let test = read_csv(&bytes, &pipeline.read_options()).expect("test file parses");
    pipeline.evaluate(&test).expect("evaluate").roc_auc
}

/// Trains on NAME_train.csv, evaluates on NAME_test.csv, returns the test ROC AUC. The model
/// is liblinear's: C = 1 with the intercept penalised too.
fn test_auc(name: &str, target: &str, positive: &str, ignore: &[&str]) -> f64 {
    fit_and_test(name, target, positive, ignore).0
}

fn fit_and_test(
    name: &str,
    target: &str,
    positive: &str,
    ignore: &[&str],
) -> (f64, FittedPipeline) {
    let train = train_table(name);
    let mut config = TrainConfig::new(target_for(&train, target, Some(positive)).expect("target"));
    config.ignore = ignore.iter().map(|s| s.to_string()).collect();
    config.logistic = LogisticRegressionParams::new().penalize_intercept(true);
    let rows: Vec<usize> = (0..train.n_rows).collect();
    let pipeline = FittedPipeline::fit(&train, &rows, &config, |_| true).expect("fit");
    (test_roc_auc(name, &pipeline), pipeline)
}

#[test]
fn matches_sklearn_on_telco() {
    // baselines.md, telco_ibm, a_seed_lr_liblinear: ROC AUC 0.8419. customerID is inferred
    // an identifier and left out, as the reference drops it.
    let (auc, pipeline) = fit_and_test("telco_ibm", "Churn", "Yes", &[]);
    let dropped: Vec<(&str, &str)> = pipeline
        .preprocessor
        .dropped
        .iter()
        .map(|d| (d.column.as_str(), d.reason.as_str()))
        .collect();
    assert_eq!(dropped, [("customerID", "identifier")]);
    assert!(
        (auc - 0.8419).abs() < 0.005,
        "telco test AUC {auc:.4} vs sklearn 0.8419"
    );
}

#[test]
fn matches_sklearn_on_ecommerce() {
    // baselines.md, ecommerce_churn, a_seed_lr_liblinear: ROC AUC 0.8860.
    let auc = test_auc("ecommerce_churn", "Churn", "1", &[]);
    assert!(
        (auc - 0.8860).abs() < 0.005,
        "e-commerce test AUC {auc:.4} vs sklearn 0.8860"
    );
}

#[test]
fn matches_sklearn_on_bigml_telecom() {
    // baselines.md, telecom_bigml, a_seed_lr_liblinear: ROC AUC 0.8230.
    let auc = test_auc("telecom_bigml", "Churn", "True", &[]);
    assert!(
        (auc - 0.8230).abs() < 0.005,
        "BigML test AUC {auc:.4} vs sklearn 0.8230"
    );
}

#[test]
fn bank_defaults_leave_surname_out_as_a_careful_analyst_would() {
    // Issue 18: with default settings the near-unique `Surname` (2,932 names in 10,000
    // rows) is left out, so logistic regression is exactly as good as with it left out by
    // hand (baselines.md, a_seed_lr_liblinear: 0.7748 with it dropped).
    let by_default = test_auc("bank_churn_modelling", "Exited", "1", &[]);
    let by_hand = test_auc("bank_churn_modelling", "Exited", "1", &["Surname"]);
    assert_eq!(by_default, by_hand);
    assert!((by_default - 0.7748).abs() < 0.002, "{by_default}");
    let ds = train_table("bank_churn_modelling");
    let surname = ds.column("Surname").expect("Surname");
    assert_eq!(surname.kind, churnscope_engine::dataset::ColumnKind::Text);
}

#[test]
fn matches_sklearn_on_bank_with_surname_ignored() {
    // baselines.md, bank_churn_modelling, a_seed_lr_liblinear: ROC AUC 0.7748. The reference
    // drops RowNumber, CustomerId and Surname as IDs; churnscope infers the first two and
    // Surname (2,932 names, not unique) is left out by the user here.
    let auc = test_auc("bank_churn_modelling", "Exited", "1", &["Surname"]);
    assert!(
        (auc - 0.7748).abs() < 0.005,
        "bank test AUC {auc:.4} vs sklearn 0.7748"
    );
}

#[test]
fn telco_blank_total_charges_are_missing_numbers() {
    // datasets/README.md: TotalCharges has 11 cells that are a single space.
    let bytes =
        std::fs::read(shared("datasets/WA_Fn-UseC_-Telco-Customer-Churn.csv")).expect("read");
    let ds = read_csv(&bytes, &ReadOptions::default()).expect("parses");
    assert_eq!(ds.n_rows, 7043);
    let total = ds.column("TotalCharges").expect("column");
    assert_eq!(total.kind, churnscope_engine::dataset::ColumnKind::Numeric);
    assert_eq!(total.missing(), 11);
}

#[test]
fn shipped_sample_is_what_the_generator_makes() {
    use churnscope_engine::reading::sample::{generate_csv, SampleSpec};
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("public/sample_customers.csv");
    let shipped = std::fs::read_to_string(&path).expect("public/sample_customers.csv");
    assert!(
        shipped == generate_csv(&SampleSpec::default()),
        "public/sample_customers.csv is stale: run `cargo run --bin churnscope -- sample --out public/sample_customers.csv`"
    );
}

/// Model (b) of the baselines: C chosen from np.logspace(-4, 4, 17) by 5-fold stratified
/// cross-validated ROC AUC on the training file, refitted on all of it (lbfgs, intercept
/// not penalised). The folds differ from scikit-learn's (another shuffle), so the chosen C
/// may differ where neighbouring values score alike; the test AUC must still be within 0.003.
fn tuned_test_auc(name: &str, target: &str, positive: &str, ignore: &[&str]) -> (f64, f64) {
    let train = train_table(name);
    let mut config = TrainConfig::new(target_for(&train, target, Some(positive)).expect("target"));
    config.ignore = ignore.iter().map(|s| s.to_string()).collect();
    let rows: Vec<usize> = (0..train.n_rows).collect();
    let report = tune_logistic(&train, &rows, &config, &Tuning::new(5), |_| true).expect("tune");
    let best_c = report.best_c().expect("a logistic search chooses C");
    config.logistic = config.logistic.clone().c(best_c);
    let pipeline = FittedPipeline::fit(&train, &rows, &config, |_| true).expect("fit");
    (test_roc_auc(name, &pipeline), best_c)
}

#[test]
fn cross_validated_c_matches_sklearn_grid_search() {
    // baselines.md, model b_lr_lbfgs_cv: test ROC AUC and the C scikit-learn chose.
    let cases = [
        ("telco_ibm", "Churn", "Yes", vec![], 0.8412, 10.0),
        ("ecommerce_churn", "Churn", "1", vec![], 0.8874, 1e4),
        ("telecom_bigml", "Churn", "True", vec![], 0.8289, 0.1),
        (
            "bank_churn_modelling",
            "Exited",
            "1",
            vec!["Surname"],
            0.7751,
            0.0316,
        ),
    ];
    let mut report = Vec::new();
    for (name, target, positive, ignore, reference, sklearn_c) in cases {
        let (auc, c) = tuned_test_auc(name, target, positive, &ignore);
        report.push(format!(
            "{name}: AUC {auc:.4} (sklearn {reference:.4}), C {c} (sklearn {sklearn_c})"
        ));
        assert!((auc - reference).abs() < 0.003, "{}", report.join("; "));
    }
    eprintln!("{}", report.join("\n"));
}

/// Gradient-boosted trees with LightGBM's defaults (100 trees, 31 leaves, learning rate 0.1,
/// 20 rows a leaf, native categories) on the reference split.
fn gbdt_test_auc(name: &str, target: &str, positive: &str, ignore: &[&str]) -> f64 {
    let train = train_table(name);
    let mut config = TrainConfig::new(target_for(&train, target, Some(positive)).expect("target"));
    config.ignore = ignore.iter().map(|s| s.to_string()).collect();
    config.model = ModelKind::Gbdt;
    let rows: Vec<usize> = (0..train.n_rows).collect();
    let pipeline = FittedPipeline::fit(&train, &rows, &config, |_| true).expect("fit");
    test_roc_auc(name, &pipeline)
}

#[test]
fn boosted_trees_match_lightgbm() {
    // baselines.md, model d_lightgbm (LightGBM 4.7.0 defaults): test ROC AUC.
    let cases = [
        ("telco_ibm", "Churn", "Yes", vec![], 0.8325),
        ("ecommerce_churn", "Churn", "1", vec![], 0.9978),
        ("telecom_bigml", "Churn", "True", vec![], 0.9383),
        (
            "bank_churn_modelling",
            "Exited",
            "1",
            vec!["Surname"],
            0.8593,
        ),
    ];
    let mut report = Vec::new();
    let mut ok = true;
    for (name, target, positive, ignore, reference) in cases {
        let auc = gbdt_test_auc(name, target, positive, &ignore);
        report.push(format!("{name}: AUC {auc:.4} (LightGBM {reference:.4})"));
        ok &= (auc - reference).abs() < 0.005;
    }
    eprintln!("{}", report.join("\n"));
    assert!(ok, "{}", report.join("; "));
}

#[test]
fn prior_correction_brings_balanced_models_back_to_the_telco_churn_rate() {
    // Issue 14: with "weigh the classes equally" the mean predicted probability on Telco was
    // about 0.40 against a churn rate of 0.265. Corrected back to the training share, the mean
    // test probability must come within 0.01 of the test file's churn rate (counted from
    // telco_ibm_test.csv below: 374 of 1409, 0.2654, as baselines.md states for the split).
    // Measured when this test was written (uncorrected -> corrected mean): logistic balanced
    // 0.4157 -> 0.2675, boosted trees balanced 0.3661 -> 0.2597, logistic oversampled
    // 0.4123 -> 0.2677, boosted trees undersampled 0.4046 -> 0.2614, network oversampled
    // 0.3615 -> 0.2668. King and Zeng's fixed shift alone left the balanced boosted trees at
    // 0.2422, hence the shift matched on the training rows.
    let train = train_table("telco_ibm");
    let bytes = std::fs::read(shared("datasets/splits/telco_ibm_test.csv")).expect("test file");
    let target = target_for(&train, "Churn", Some("Yes")).expect("target");
    let rows: Vec<usize> = (0..train.n_rows).collect();
    let cases = [
        (
            "logistic, balanced weights",
            ModelKind::Logistic,
            true,
            None,
        ),
        (
            "boosted trees, balanced weights",
            ModelKind::Gbdt,
            true,
            None,
        ),
        (
            "logistic, oversampled",
            ModelKind::Logistic,
            false,
            Some(Resample::Over),
        ),
        (
            "boosted trees, undersampled",
            ModelKind::Gbdt,
            false,
            Some(Resample::Under),
        ),
        (
            "neural network, oversampled",
            ModelKind::Mlp,
            false,
            Some(Resample::Over),
        ),
    ];
    for (name, model, weighted, resample) in cases {
        let mut config = TrainConfig::new(target.clone());
        config.model = model;
        config.resample = resample;
        if weighted {
            config.logistic = config.logistic.clone().class_weight(ClassWeight::Balanced);
            config.gbdt.class_weight = ClassWeight::Balanced;
        }
        let pipeline = FittedPipeline::fit(&train, &rows, &config, |_| true).expect("fit");
        let test = read_csv(&bytes, &pipeline.read_options()).expect("test file parses");
        let labels = pipeline.target.labels(&test).expect("labels");
        let test_rows: Vec<usize> = (0..test.n_rows).collect();
        let churn_rate = labels.iter().filter(|&&l| l == Some(1)).count() as f64 / 1409.0;
        assert!(
            (churn_rate - 0.2654).abs() < 1e-4,
            "test churn rate {churn_rate}"
        );
        let mean = |p: &[f64]| p.iter().sum::<f64>() / p.len() as f64;
        let corrected = mean(&pipeline.predict_proba(&test, &test_rows).expect("scores"));
        let mut uncorrected = pipeline.clone();
        let correction = uncorrected.prior_correction.take().expect("a correction");
        let raw = mean(
            &uncorrected
                .predict_proba(&test, &test_rows)
                .expect("scores"),
        );
        eprintln!(
            "{name}: mean probability {raw:.4} -> {corrected:.4} (churn rate {churn_rate:.4}, \
             fitted share {:.4}, real {:.4}, shift {:.3})",
            correction.fitted_rate, correction.base_rate, correction.log_odds_shift
        );
        assert!(
            (corrected - churn_rate).abs() < 0.01,
            "{name}: mean corrected probability {corrected:.4} vs churn rate {churn_rate:.4}"
        );
        // A monotone map leaves the ranking alone; 1e-9 allows for two scores a rounding
        // apart becoming a tie after the correction.
        let auc = pipeline.evaluate(&test).expect("evaluate").roc_auc;
        let raw_auc = uncorrected.evaluate(&test).expect("evaluate").roc_auc;
        assert!(
            (auc - raw_auc).abs() < 1e-9,
            "{name}: AUC {auc} vs {raw_auc}"
        );
    }
}
