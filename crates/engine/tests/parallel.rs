//! Issue 18: one thread and every core give identical models and metrics (cross-validation,
//! the search, several models side by side, forest trees), since every task is seeded by
//! its own settings and results are reduced in a fixed order.

use churnscope_engine::evaluating::evaluation::{run_plan, ModelRun, TrainPlan};
use churnscope_engine::modelling::pipeline::{ModelKind, TrainConfig};
use churnscope_engine::parallel::set_threads;
use churnscope_engine::reading::ingest::{read_csv, ReadOptions};
use churnscope_engine::reading::sample::{generate_csv, SampleSpec};
use churnscope_engine::understanding::target::detect_target;

/// Every model of a plan with 3-fold cross-validation and the grid search, on 800
/// customers of the built-in sample (seeded), as JSON without the timings.
fn runs(threads: usize) -> Vec<serde_json::Value> {
    set_threads(threads);
    let csv = generate_csv(&SampleSpec {
        customers: 800,
        seed: 5,
    });
    let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample");
    let target = detect_target(&ds).expect("ok").expect("target");
    let mut plan = TrainPlan::single(TrainConfig::new(target));
    plan.models = vec![ModelKind::Logistic, ModelKind::Gbdt, ModelKind::Forest];
    plan.cv_folds = Some(3);
    plan.search = true;
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
    let one = runs(1);
    let two = runs(2);
    let four = runs(4);
    set_threads(0);
    assert_eq!(one.len(), 3);
    assert_eq!(one, two, "1 vs 2 threads");
    assert_eq!(one, four, "1 vs 4 threads");
}
