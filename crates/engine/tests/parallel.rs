//! Issue 18: one thread and every core give identical models and metrics (cross-validation,
//! the search, several models side by side, forest trees), identical reasons per customer
//! (TreeSHAP in chunks of rows) and identical permutation importance (a column per task),
//! since every task is seeded by its own settings and results are reduced in a fixed order;
//! and a big export reads into the same table in parts on every core as in one piece.

use churnscope_engine::dataset::Dataset;
use churnscope_engine::evaluating::evaluation::{run_plan, ModelRun, TrainPlan};
use churnscope_engine::evaluating::explanations::{contributions, permutation_importance};
use churnscope_engine::modelling::pipeline::{FittedPipeline, ModelKind, TrainConfig};
use churnscope_engine::parallel::set_threads;
use churnscope_engine::reading::ingest::{read_csv, ReadOptions};
use churnscope_engine::reading::sample::{generate_csv, SampleSpec};
use churnscope_engine::understanding::target::{detect_target, Target};
use std::sync::Mutex;

/// Serialises the tests, which set the process's thread count.
static THREADS: Mutex<()> = Mutex::new(());

/// 800 customers of the built-in sample (seed 5) and their detected target.
fn sample() -> (Dataset, Target) {
    let csv = generate_csv(&SampleSpec {
        customers: 800,
        seed: 5,
    });
    let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample");
    let target = detect_target(&ds).expect("ok").expect("target");
    (ds, target)
}

/// Every model of a plan with 3-fold cross-validation, with the grid search or only the
/// given settings (then the final fit runs beside the folds), on 800 customers of the
/// built-in sample (seeded), as JSON without the timings.
fn runs(threads: usize, search: bool) -> Vec<serde_json::Value> {
    set_threads(threads);
    let (ds, target) = sample();
    let mut plan = TrainPlan::single(TrainConfig::new(target));
    plan.models = vec![ModelKind::Logistic, ModelKind::Gbdt, ModelKind::Forest];
    plan.cv_folds = Some(3);
    plan.search = search;
    let mut out: Vec<ModelRun> = Vec::new();
    run_plan(&ds, &plan, |_, _| true, &|| 0.0, |r| out.push(r)).expect("trains");
    out.into_iter()
        .map(|mut r| {
            r.fit_seconds = 0.0;
            serde_json::to_value(&r).expect("json")
        })
        .collect()
}

#[test]
fn one_thread_and_every_core_train_the_same_models() {
    let _only = THREADS.lock();
    for search in [true, false] {
        let one = runs(1, search);
        let two = runs(2, search);
        let four = runs(4, search);
        set_threads(0);
        assert_eq!(one.len(), 3);
        assert_eq!(one, two, "1 vs 2 threads, search {search}");
        assert_eq!(one, four, "1 vs 4 threads, search {search}");
    }
}

/// Per-customer contributions of the boosted trees and the forest for all 800 customers
/// (more than one chunk of 256 rows), the scores, and the permutation importance (2 repeats,
/// seed 3) of the boosted trees, as JSON, on `threads` threads.
fn explanations(threads: usize) -> Vec<serde_json::Value> {
    set_threads(threads);
    let (ds, target) = sample();
    let rows: Vec<usize> = (0..ds.n_rows).collect();
    let mut out = Vec::new();
    for model in [ModelKind::Gbdt, ModelKind::Forest] {
        let mut config = TrainConfig::new(target.clone());
        config.model = model;
        let p = FittedPipeline::fit(&ds, &rows, &config, |_| true).expect("fits");
        let c = contributions(&p, &ds, &rows)
            .expect("explains")
            .expect("exact");
        out.push(serde_json::to_value(&c).expect("json"));
        let scores = p.predict_proba(&ds, &rows).expect("scores");
        out.push(serde_json::to_value(&scores).expect("json"));
        if model == ModelKind::Gbdt {
            let labels = target.labels(&ds).expect("labels");
            let labelled: Vec<usize> = rows
                .iter()
                .copied()
                .filter(|&i| labels[i].is_some())
                .collect();
            let y: Vec<u8> = labelled.iter().filter_map(|&i| labels[i]).collect();
            let pi = permutation_importance(&p, &ds, &labelled, &y, 2, 3, |_, _| true).expect("pi");
            out.push(serde_json::to_value(&pi).expect("json"));
        }
    }
    out
}

#[test]
fn one_thread_and_every_core_give_the_same_reasons_scores_and_importance() {
    let _only = THREADS.lock();
    let one = explanations(1);
    let two = explanations(2);
    set_threads(0);
    assert_eq!(one.len(), 5);
    assert_eq!(one, two, "1 vs 2 threads");
}

#[test]
fn a_big_export_reads_the_same_on_one_thread_and_on_every_core() {
    let _only = THREADS.lock();
    // 150,000 customers of the built-in sample (seed 7, 9.5 MB): over twice the 4 MiB a part of a
    // read needs (reading::parts::PART_BYTES), so 2 and 4 threads read it in parts.
    let csv = generate_csv(&SampleSpec {
        customers: 150_000,
        seed: 7,
    });
    assert!(csv.len() > 2 * (1 << 22), "{} bytes", csv.len());
    let read = |threads| {
        set_threads(threads);
        let read = churnscope_engine::reading::ingest::read_csv_with_info(
            csv.as_bytes(),
            &ReadOptions::default(),
        );
        format!("{read:?}")
    };
    let one = read(1);
    let two = read(2);
    let four = read(4);
    set_threads(0);
    assert!(
        one.starts_with("Ok((Dataset { n_rows: 150000"),
        "{}",
        &one[..200]
    );
    assert_eq!(one, two, "1 vs 2 threads");
    assert_eq!(one, four, "1 vs 4 threads");
}
