//! Robustness of the whole workflow on awkward tables: constant, empty, separable and
//! extreme columns, too few rows, too many folds, too many levels. Every model is trained
//! through [`run_plan`], the page's path, on small generated tables, and every number it
//! returns must be finite: scores in [0, 1], metrics that survive JSON (which has no NaN or
//! infinity), logistic weights bounded by the L2 penalty.

use crate::dataset::{ColumnKind, Dataset};
use crate::evaluating::evaluation::{run_plan, ModelRun, TrainPlan};
use crate::modelling::models::FittedModel;
use crate::modelling::pipeline::{ModelKind, PipelineError, TrainConfig, MIN_CLASS_ROWS};
use crate::modelling::preprocessing::{FeatureBlock, FittedPreprocessor, PrepOptions, MAX_LEVELS};
use crate::modelling::split::{stratified_folds, SplitError};
use crate::modelling::training::split_rows;
use crate::reading::ingest::{read_csv, ReadOptions};
use crate::rng::Rng;
use crate::understanding::target::target_for;

const ALL_MODELS: [ModelKind; 4] = [
    ModelKind::Logistic,
    ModelKind::Gbdt,
    ModelKind::Forest,
    ModelKind::Mlp,
];

/// An extra column's cell, from the row index and the table's seeded generator.
type Cell = dyn Fn(usize, &mut Rng) -> String;

/// CSV text of `n` customers: `tenure` (whole months, uniform in 0..72), `plan` (a, b or c)
/// and `churn` (yes/no), churners being likelier at short tenure (a logistic curve centred
/// at 20 months, so about a third churn), then the `extra` columns, each cell given by its
/// function of the row index and the seeded generator.
fn customers(n: usize, seed: u64, extra: &[(&str, &Cell)]) -> String {
    let mut rng = Rng::new(seed);
    let mut csv = String::from("tenure,plan");
    for (name, _) in extra {
        csv.push(',');
        csv.push_str(name);
    }
    csv.push_str(",churn\n");
    for i in 0..n {
        let tenure = rng.below(72);
        let plan = ["a", "b", "c"][rng.below(3)];
        let p = 1.0 / (1.0 + ((tenure as f64 - 20.0) / 8.0).exp());
        let churn = if rng.uniform() < p { "yes" } else { "no" };
        csv.push_str(&format!("{tenure},{plan}"));
        for (_, cell) in extra {
            csv.push(',');
            csv.push_str(&cell(i, &mut rng));
        }
        csv.push_str(&format!(",{churn}\n"));
    }
    csv
}

fn read(csv: &str) -> (Dataset, TrainConfig) {
    let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("generated csv");
    let target = target_for(&ds, "churn", Some("yes")).expect("churn target");
    (ds, TrainConfig::new(target))
}

/// Every model of a plan trained on `ds`, each run checked by [`assert_sane`].
fn run_all(ds: &Dataset, config: &TrainConfig) -> Vec<ModelRun> {
    let mut plan = TrainPlan::single(config.clone());
    plan.models = ALL_MODELS.to_vec();
    let mut runs = Vec::new();
    run_plan(ds, &plan, |_, _| true, &|| 0.0, |r| runs.push(r)).expect("every model trains");
    assert_eq!(runs.len(), ALL_MODELS.len());
    for run in &runs {
        assert_sane(ds, run);
    }
    runs
}

/// Scores of the test rows and of every row are probabilities, the metrics are finite, and
/// the run survives JSON unchanged (a NaN would come back as `null` and fail to read).
fn assert_sane(ds: &Dataset, run: &ModelRun) {
    let kind = run.kind;
    assert!(
        run.test_scores.iter().all(|p| (0.0..=1.0).contains(p)),
        "{kind:?}: test scores {:?}",
        run.test_scores
    );
    let all: Vec<usize> = (0..ds.n_rows).collect();
    let p = run
        .outcome
        .pipeline
        .predict_proba(ds, &all)
        .expect("scores every row");
    assert!(p.iter().all(|p| (0.0..=1.0).contains(p)), "{kind:?}: {p:?}");
    let t = &run.outcome.test;
    for (name, v) in [
        ("roc_auc", t.roc_auc),
        ("pr_auc", t.pr_auc),
        ("log_loss", t.log_loss),
        ("brier", t.brier),
        ("train_roc_auc", run.train_roc_auc),
    ] {
        assert!(v.is_finite(), "{kind:?}: {name} = {v}");
    }
    if let FittedModel::Logistic(m) = &run.outcome.pipeline.model {
        assert!(
            m.coefficients.iter().all(|w| w.is_finite()) && m.intercept.is_finite(),
            "{m:?}"
        );
    }
    let json = serde_json::to_string(run).expect("to json");
    let back: ModelRun =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{kind:?} through JSON: {e}"));
    assert_eq!(&back, run, "{kind:?}");
}

#[test]
fn constant_columns_are_dropped_and_every_model_stays_finite() {
    let csv = customers(
        200,
        1,
        &[
            ("region", &|_, _| "north".into()),
            ("fee", &|_, _| "5".into()),
        ],
    );
    let (ds, config) = read(&csv);
    for run in run_all(&ds, &config) {
        let prep = &run.outcome.pipeline.preprocessor;
        assert_eq!(
            prep.input_columns(),
            vec!["tenure", "plan"],
            "{:?}",
            run.kind
        );
        for column in ["region", "fee"] {
            assert!(
                prep.dropped
                    .iter()
                    .any(|d| d.column == column && d.reason == "constant"),
                "{:?}: {:?}",
                run.kind,
                prep.dropped
            );
        }
        // tenure carries the signal: well above chance (a floor, not a reference number).
        assert!(run.outcome.test.roc_auc > 0.7, "{:?}", run.kind);
    }
}

#[test]
fn perfectly_separable_data_gives_finite_weights_and_a_perfect_ranking() {
    // Churners are exactly the customers with tenure below 20: one threshold separates the
    // classes. Unpenalised logistic regression would drive its weight to infinity; the L2
    // penalty (C = 1) keeps it finite, and every model ranks the test rows perfectly.
    let mut csv = String::from("tenure,plan,churn\n");
    for i in 0..200 {
        let tenure = (i * 37) % 72;
        let churn = if tenure < 20 { "yes" } else { "no" };
        csv.push_str(&format!("{tenure},{},{churn}\n", ["a", "b"][i % 2]));
    }
    let (ds, config) = read(&csv);
    for run in run_all(&ds, &config) {
        assert_eq!(run.outcome.test.roc_auc, 1.0, "{:?}", run.kind);
        if let FittedModel::Logistic(m) = &run.outcome.pipeline.model {
            assert!(m.converged, "L-BFGS converges on the penalised loss: {m:?}");
            // The standardised tenure weight is negative and bounded (hand calculation):
            // times S = 160 training rows, the objective is Σ loss + ‖w‖²/(2C); at the optimum
            // it is at most its value at w = 0, b = 0, which is 160·ln 2 ≈ 110.9, so with
            // C = 1, ‖w‖ ≤ sqrt(2 · 110.9) ≈ 14.9.
            assert!(
                m.coefficients[0] < -1.0 && m.coefficients[0] > -14.9,
                "{m:?}"
            );
        }
    }
}

#[test]
fn an_all_missing_column_is_dropped_and_every_model_stays_finite() {
    let csv = customers(200, 2, &[("notes", &|_, _| String::new())]);
    let (ds, config) = read(&csv);
    for run in run_all(&ds, &config) {
        let prep = &run.outcome.pipeline.preprocessor;
        assert!(
            !prep.input_columns().contains(&"notes"),
            "{:?}: {:?}",
            run.kind,
            prep.input_columns()
        );
        assert!(
            prep.dropped.iter().any(|d| d.column == "notes"),
            "{:?}",
            prep.dropped
        );
    }
}

#[test]
fn a_column_missing_in_most_rows_keeps_every_model_finite() {
    // Only every tenth customer has a balance: imputation fills the rest.
    let csv = customers(
        200,
        3,
        &[("balance", &|i, rng| {
            if i % 10 == 0 {
                format!("{}", rng.below(1000))
            } else {
                String::new()
            }
        })],
    );
    let (ds, config) = read(&csv);
    run_all(&ds, &config);
}

#[test]
fn extreme_values_give_finite_scores_and_metrics() {
    // `huge` mixes ±1e300 with ordinary numbers: its squares overflow f64, which used to make
    // the standardisation's variance infinite. `tiny` holds multiples of 1e-300, whose
    // squares underflow to 0: it is then left unscaled, like a constant.
    let csv = customers(
        200,
        4,
        &[
            ("huge", &|i, rng| match i % 4 {
                0 => "1e300".into(),
                1 => "-1e300".into(),
                _ => format!("{}", rng.below(100)),
            }),
            ("tiny", &|_, rng| format!("{}e-300", 1 + rng.below(9))),
        ],
    );
    let (ds, config) = read(&csv);
    for run in run_all(&ds, &config) {
        let prep = &run.outcome.pipeline.preprocessor;
        for block in &prep.blocks {
            if let FeatureBlock::Numeric {
                column,
                mean,
                scale,
                ..
            } = block
            {
                assert!(
                    mean.is_finite() && scale.is_finite() && *scale > 0.0,
                    "{column}: mean {mean}, scale {scale}"
                );
                if column == "huge" {
                    // Half the cells are ±1e300 and the rest tiny beside them: the standard
                    // deviation is about sqrt(1/2) · 1e300 (hand calculation), within 10%.
                    assert!((scale / 1e300 - 0.5f64.sqrt()).abs() < 0.07, "{scale}");
                }
            }
        }
        assert!(run.outcome.test.roc_auc > 0.6, "{:?}", run.kind);
    }
}

#[test]
fn standardising_numbers_near_the_largest_float_stays_finite() {
    // ±1.5e308 (the largest f64 is about 1.8e308): even their sum and difference overflow.
    let mut csv = String::from("big,churn\n");
    for i in 0..40 {
        let big = if i % 2 == 0 { "1.5e308" } else { "-1.5e308" };
        csv.push_str(&format!(
            "{big},{}\n",
            if i % 3 == 0 { "yes" } else { "no" }
        ));
    }
    let (ds, config) = read(&csv);
    let rows: Vec<usize> = (0..ds.n_rows).collect();
    let prep = FittedPreprocessor::fit(&ds, &rows, std::slice::from_ref(&config.target.column))
        .expect("fit");
    let FeatureBlock::Numeric { mean, scale, .. } = &prep.blocks[0] else {
        panic!("{:?}", prep.blocks)
    };
    // Equal halves at ±1.5e308: mean 0 and standard deviation 1.5e308 (hand calculation),
    // to the rounding of dividing by the largest value and multiplying back.
    assert!(mean.abs() < 1e294, "{mean}");
    assert!((scale / 1.5e308 - 1.0).abs() < 1e-12, "{scale}");
    let x = prep.transform(&ds, &rows).expect("transform");
    assert!(
        x.iter().all(|v| v.is_finite()),
        "{:?}",
        x.iter().take(4).collect::<Vec<_>>()
    );
}

#[test]
fn too_few_churners_or_stayers_is_a_clear_error_before_any_fit() {
    // 7 churners among 100 customers.
    let mut csv = String::from("tenure,churn\n");
    for i in 0..100 {
        csv.push_str(&format!("{i},{}\n", if i < 7 { "yes" } else { "no" }));
    }
    let (ds, config) = read(&csv);
    let err = split_rows(&ds, &config).expect_err("7 churners");
    assert!(matches!(
        err,
        PipelineError::TooFewRows {
            count: 7,
            churned: true,
            needed: MIN_CLASS_ROWS,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "only 7 customers churned (churn = yes); at least 20 of each class are needed to train and test a model"
    );
    let mut plan = TrainPlan::single(config.clone());
    plan.models = ALL_MODELS.to_vec();
    let run = run_plan(&ds, &plan, |_, _| true, &|| 0.0, |_| {});
    assert_eq!(run, Err(err));
    // The other way round: 95 churners, 5 who stayed.
    let mut csv = String::from("tenure,churn\n");
    for i in 0..100 {
        csv.push_str(&format!("{i},{}\n", if i < 95 { "yes" } else { "no" }));
    }
    let (ds, config) = read(&csv);
    let err = split_rows(&ds, &config).expect_err("5 stayers");
    assert_eq!(
        err.to_string(),
        "only 5 customers did not churn (churn = no); at least 20 of each class are needed to train and test a model"
    );
    // Exactly 20 of the rarer class is enough.
    let mut csv = String::from("tenure,churn\n");
    for i in 0..100 {
        csv.push_str(&format!("{i},{}\n", if i % 5 == 0 { "yes" } else { "no" }));
    }
    let (ds, config) = read(&csv);
    assert!(split_rows(&ds, &config).is_ok());
}

#[test]
fn more_folds_than_churners_is_a_clear_error_not_a_panic() {
    // 25 churners: 30 stratified folds cannot each hold one.
    let labels: Vec<Option<u8>> = (0..100).map(|i| Some(u8::from(i < 25))).collect();
    let rows: Vec<usize> = (0..100).collect();
    let err = stratified_folds(&labels, &rows, 30, 1).expect_err("30 folds");
    assert_eq!(
        err,
        SplitError::TooFewForFolds {
            class_name: "the positive class",
            count: 25,
            folds: 30
        }
    );
    // The plan's path: of 25 churners, 20 are training rows (a 20% stratified test share).
    let mut csv = String::from("tenure,plan,churn\n");
    for i in 0..100 {
        let churn = if i % 4 == 0 { "yes" } else { "no" };
        csv.push_str(&format!("{},{},{churn}\n", (i * 7) % 60, ["a", "b"][i % 2]));
    }
    let (ds, config) = read(&csv);
    let mut plan = TrainPlan::single(config);
    plan.models = ALL_MODELS.to_vec();
    plan.cv_folds = Some(30);
    let err = run_plan(&ds, &plan, |_, _| true, &|| 0.0, |_| {}).expect_err("30 folds");
    assert_eq!(
        err.to_string(),
        "too few rows for 30-fold cross-validation: the positive class has 20 training rows, and each fold needs at least one"
    );
    // With 5 folds the same table trains every model.
    plan.cv_folds = Some(5);
    let mut runs = Vec::new();
    run_plan(&ds, &plan, |_, _| true, &|| 0.0, |r| runs.push(r)).expect("5 folds");
    for run in &runs {
        assert_sane(&ds, run);
        assert!(run.cv.as_ref().is_some_and(|cv| cv.mean.is_finite()));
    }
}

/// 2,600 rows: 50 postcodes seen 20 times each, then 1,600 seen once.
fn postcode_table() -> String {
    let mut csv = String::from("postcode,tenure,churn\n");
    for i in 0..2600 {
        let code = if i < 1000 {
            format!("c{:02}", i % 50)
        } else {
            format!("r{i}")
        };
        csv.push_str(&format!("{code},{},{}\n", i % 72, ["yes", "no"][i % 2]));
    }
    csv
}

#[test]
fn a_wide_column_groups_its_rare_levels_by_default() {
    // The table of the cap test below: 50 levels seen 20 times, 1,600 seen once. Included
    // by the user with default options, the 1,600 levels seen fewer than 10 times share the
    // infrequent feature (preprocessing::WIDE_COLUMN_MIN_COUNT), with a notice.
    let (mut ds, config) = read(&postcode_table());
    ds.columns[0].kind = ColumnKind::Categorical;
    let rows: Vec<usize> = (0..ds.n_rows).collect();
    let prep = FittedPreprocessor::fit(&ds, &rows, std::slice::from_ref(&config.target.column))
        .expect("fit");
    let FeatureBlock::OneHot {
        levels, infrequent, ..
    } = &prep.blocks[0]
    else {
        panic!("{:?}", prep.blocks[0])
    };
    assert_eq!((levels.len(), infrequent.len()), (50, 1600));
    assert_eq!(
        prep.n_features(),
        50 + 1 + 1,
        "postcode's features, then tenure"
    );
    assert_eq!(
        prep.notices,
        ["'postcode' has 1,650 levels: the 1,600 seen fewer than 10 times in the training rows are grouped as 'postcode=infrequent' (set --rare-levels to choose another rule)"]
    );
    // Trees group the same levels into one code.
    let trees =
        FittedPreprocessor::fit_for_trees(&ds, &rows, std::slice::from_ref(&config.target.column))
            .expect("fit");
    assert_eq!(trees.notices.len(), 1);
}

#[test]
fn levels_beyond_the_cap_are_grouped_with_a_notice() {
    // 2600 rows: 50 common levels seen 20 times each, then 1600 levels seen once. The cap
    // keeps the 50 common ones and the 950 smallest texts among the singletons (ties go to
    // the smallest text); the other 650 share the infrequent feature.
    let (mut ds, config) = read(&postcode_table());
    // Near-unique text is left out by default (issue 18): the user includes it here, and
    // asks for no rare-level grouping (a rule of 1 row), so only the cap groups.
    assert_eq!(ds.columns[0].kind, ColumnKind::Text);
    ds.columns[0].kind = ColumnKind::Categorical;
    let rows: Vec<usize> = (0..ds.n_rows).collect();
    let exclude = [config.target.column.clone()];
    let keep_all = PrepOptions::new().rare_levels(1.0);
    let prep = FittedPreprocessor::fit_with(&ds, &rows, &exclude, &keep_all).expect("fit");
    let FeatureBlock::OneHot {
        levels, infrequent, ..
    } = &prep.blocks[0]
    else {
        panic!("{:?}", prep.blocks[0])
    };
    assert_eq!((levels.len(), infrequent.len()), (MAX_LEVELS, 650));
    assert!(levels.contains(&"c49".to_string()) && levels.contains(&"r1000".to_string()));
    assert!(infrequent.contains(&"r2599".to_string()));
    assert!(levels.windows(2).all(|w| w[0] < w[1]), "levels stay sorted");
    assert_eq!(
        prep.n_features(),
        MAX_LEVELS + 1 + 1,
        "postcode's features, then tenure"
    );
    assert_eq!(
        prep.notices,
        vec!["column 'postcode' has 1,650 levels; the 650 rarest are grouped as one 'other' level (the feature 'postcode=infrequent')".to_string()]
    );
    // A grouped level and an unseen one both set the shared feature, the last of the block.
    let x = prep.transform(&ds, &[2599]).expect("transform");
    assert_eq!(x.row(0)[MAX_LEVELS], 1.0);
    let other = read_csv(
        b"postcode,tenure,churn\nnew,3,yes\n",
        &ReadOptions::default(),
    )
    .expect("csv");
    let x = prep.transform(&other, &[0]).expect("transform unseen");
    assert_eq!(x.row(0)[MAX_LEVELS], 1.0);
    // The notice travels with the model; a preprocessor without one writes no field.
    let json = serde_json::to_string(&prep).expect("json");
    assert_eq!(
        serde_json::from_str::<FittedPreprocessor>(&json).expect("read"),
        prep
    );
    let small = FittedPreprocessor::fit_with(&ds, &rows[..100], &exclude, &keep_all).expect("fit");
    assert!(small.notices.is_empty());
    assert!(!serde_json::to_string(&small)
        .expect("json")
        .contains("notices"));
}
