//! The page's pool of background workers: how many to start, how a job is shared out, and
//! how their progress reports make one.
//!
//! A job that splits into independent parts runs on several workers at once, one part each:
//! scoring every customer (each worker gets a slice of the rows, only those rows' values)
//! a training plan of several models (each worker gets some of the models and a copy of
//! the whole table), one model's cross-validation (some of its tasks each) and one forest's
//! trees (a run of them each, [`crate::jobs::tree_shares`]) and one forest's explanation
//! (some columns' importance each, then some points of the partial-dependence curves,
//! [`share_explanation`]). The page sizes the pool from the browser's core count and bounds it by
//! memory, counting each worker's copy ([`workers_for`]). Every part is seeded by its own
//! settings as on one thread, so the results are those of one worker, in the same order.

use std::ops::Range;

use churnscope_engine::dataset::{group_thousands, ColumnData, Dataset};
use churnscope_engine::evaluating::evaluation::TrainPlan;

use crate::jobs::JobProgress;

/// How many times a table's own size a worker training on it needs (its copy of the table,
/// the encoded design matrix and the models' working copies): a working estimate, measured
/// on the 1,000,000 x 30 benchmark file (a 240 MB table, about 900 MB of worker memory
/// training boosted trees).
pub const TRAINING_MEMORY_FACTOR: usize = 4;

/// The memory the page lets its workers use when the browser does not say how much the
/// device has (`navigator.deviceMemory` is Chromium's, in GiB, at most 8).
pub const DEFAULT_BUDGET_BYTES: u64 = 2 << 30;

/// Fewest customers worth a worker of their own when scoring.
pub const MIN_ROWS_PER_WORKER: usize = 1024;

/// The least work (training rows × features × trees) for which growing one forest's trees
/// over the pool pays: starting the workers, copying the table to each and putting the
/// forest together on one more cost about half a second in Chromium, and a forest grows
/// about 50,000,000 of these units a second on one worker (2-core machine, 7 December:
/// Telco's 5,634 × 19 × 100, 11 million, grows in 0.28 s and is 0.25 s slower shared out;
/// 80,000 × 30 × 100, 240 million, in about 3.5 s, and 1.1 s faster shared out).
pub const SHARED_FOREST_MIN_WORK: u64 = 50_000_000;

/// Whether a forest of `trees` trees on `rows` training rows of `features` columns is
/// worth growing over the pool ([`SHARED_FOREST_MIN_WORK`]).
pub fn share_forest(rows: usize, features: usize, trees: usize) -> bool {
    let work = (rows as u64)
        .saturating_mul(features as u64)
        .saturating_mul(trees as u64);
    work >= SHARED_FOREST_MIN_WORK
}

/// The least work (customers explained × input columns) for which sharing one forest's
/// explanation out over the pool pays: its two stages start their own workers, each
/// reading the model and walking the rows' paths again, about 0.3 s a stage in Chromium
/// (2-core machine, 7 December: the 50,000-customer sample's forest, 2,000 customers x
/// 15 columns, explains in 6.3 s on one worker and the whole training is 9.6 -> 8.0 s
/// shared out; Telco's 1,409 test customers x 19 columns fall below it).
pub const SHARED_EXPLANATION_MIN_CELLS: usize = 30_000;

/// Whether explaining a forest on `rows` customers (after the sample's cap) of `columns`
/// input columns is worth sharing out over the pool ([`SHARED_EXPLANATION_MIN_CELLS`]).
pub fn share_explanation(rows: usize, columns: usize) -> bool {
    columns >= 2 && rows.saturating_mul(columns) >= SHARED_EXPLANATION_MIN_CELLS
}

/// The memory budget of the pool: a quarter of the device's memory (`device_gib`, as the
/// browser reports it) or [`DEFAULT_BUDGET_BYTES`] when it does not.
pub fn budget_bytes(device_gib: Option<f64>) -> u64 {
    match device_gib {
        Some(gib) if gib.is_finite() && gib > 0.0 => (gib * f64::from(1u32 << 30) / 4.0) as u64,
        _ => DEFAULT_BUDGET_BYTES,
    }
}

/// Workers to start: one per core (`cores`, at most `cap` when the user set one), no more
/// than the memory budget holds when each needs `bytes_each`, and at least one.
pub fn workers_for(cores: usize, cap: Option<usize>, bytes_each: u64, budget: u64) -> usize {
    let by_memory = budget
        .checked_div(bytes_each)
        .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    cores.min(cap.unwrap_or(usize::MAX)).min(by_memory).max(1)
}

/// The bytes of `dataset`'s values as the workers receive them (8 a number, 4 a category
/// code).
pub fn table_bytes(dataset: &Dataset) -> u64 {
    dataset
        .columns
        .iter()
        .map(|c| match &c.data {
            ColumnData::Numeric(v) => 8 * v.len() as u64,
            ColumnData::Categorical { codes, .. } => 4 * codes.len() as u64,
        })
        .sum()
}

/// `n` rows in `parts` consecutive ranges of sizes differing by at most one (fewer when a
/// part would have under [`MIN_ROWS_PER_WORKER`] rows; always at least one range).
pub fn row_ranges(n: usize, parts: usize) -> Vec<Range<usize>> {
    row_ranges_of(n, parts, MIN_ROWS_PER_WORKER)
}

/// [`row_ranges`] with parts of at least `min_rows` rows.
pub fn row_ranges_of(n: usize, parts: usize, min_rows: usize) -> Vec<Range<usize>> {
    let parts = parts.min(n / min_rows.max(1)).max(1);
    let (size, extra) = (n / parts, n % parts);
    let mut start = 0;
    (0..parts)
        .map(|i| {
            let len = size + usize::from(i < extra);
            let range = start..start + len;
            start += len;
            range
        })
        .collect()
}

/// `plan` shared out over at most `workers` workers: each part is the plan with some of its
/// models (model `i` goes to part `i % parts`, so each part keeps the plan's order), with
/// the positions (1-based) those models have in the whole plan.
pub fn split_plan(plan: &TrainPlan, workers: usize) -> Vec<(TrainPlan, Vec<usize>)> {
    let models = plan.models();
    let parts = workers.min(models.len()).max(1);
    (0..parts)
        .map(|p| {
            let mut part = plan.clone();
            part.models = Vec::new();
            let mut numbers = Vec::new();
            for (i, &m) in models.iter().enumerate().skip(p).step_by(parts) {
                part.models.push(m);
                numbers.push(i + 1);
            }
            (part, numbers)
        })
        .collect()
}

/// The progress of a job shared out over workers, as one report: each part's last report
/// and its weight (rows or models).
#[derive(Debug, Clone)]
pub struct PoolProgress {
    parts: Vec<(f64, Option<JobProgress>)>,
    /// For parts that are rows: what is done to them, so the report counts rows ("Scoring
    /// customers: 1,500 of 4,000"); else the report is that of the part furthest behind.
    rows: Option<String>,
}

impl PoolProgress {
    /// A job of parts of `rows` rows each; `what` is what is done to them.
    pub fn rows(rows: &[usize], what: impl Into<String>) -> Self {
        PoolProgress {
            parts: rows.iter().map(|&w| (w as f64, None)).collect(),
            rows: Some(what.into()),
        }
    }

    /// A job of parts of `models` models each.
    pub fn models(models: &[usize]) -> Self {
        PoolProgress {
            parts: models.iter().map(|&w| (w as f64, None)).collect(),
            rows: None,
        }
    }

    /// Takes part `part`'s report and returns the whole job's: the fraction is the parts'
    /// fractions weighted, the stage and loss curve those of the part furthest behind.
    pub fn observe(&mut self, part: usize, progress: JobProgress) -> JobProgress {
        if let Some(slot) = self.parts.get_mut(part) {
            slot.1 = Some(progress);
        }
        self.report()
    }

    /// The whole job's progress so far.
    pub fn report(&self) -> JobProgress {
        let total: f64 = self.parts.iter().map(|(w, _)| w).sum();
        let done: f64 = self
            .parts
            .iter()
            .map(|(w, p)| w * p.as_ref().map_or(0.0, |p| p.fraction.clamp(0.0, 1.0)))
            .sum();
        let fraction = if total > 0.0 { done / total } else { 1.0 };
        let behind = self
            .parts
            .iter()
            .filter_map(|(_, p)| p.as_ref())
            .min_by(|a, b| a.fraction.total_cmp(&b.fraction));
        let workers = self.parts.len();
        let on = if workers == 1 {
            String::new()
        } else {
            format!(" ({workers} background workers)")
        };
        match (&self.rows, behind) {
            (Some(what), _) => JobProgress::new(
                format!(
                    "{what}: {} of {}{on}",
                    group_thousands(done.round() as usize),
                    group_thousands(total as usize)
                ),
                fraction,
            ),
            (None, Some(p)) if workers > 1 => JobProgress {
                stage: format!("{}{on}", p.stage),
                fraction,
                loss: p.loss.clone(),
                loss_unit: p.loss_unit.clone(),
            },
            (None, Some(p)) => p.clone(),
            (None, None) => JobProgress::new(format!("Starting{on}"), fraction),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_is_one_worker_a_core_bounded_by_memory() {
        // 8 cores, 1 GiB of tables a worker: a 2 GiB budget holds two.
        assert_eq!(workers_for(8, None, 1 << 30, 2 << 30), 2);
        assert_eq!(workers_for(8, None, 0, 2 << 30), 8);
        assert_eq!(workers_for(8, Some(3), 1, 2 << 30), 3);
        // Never none, even when one copy is past the budget.
        assert_eq!(workers_for(4, None, 5 << 30, 2 << 30), 1);
        assert_eq!(workers_for(0, Some(0), 1, 1), 1);
        // Chromium's deviceMemory of 8 (GiB) gives a quarter of it.
        assert_eq!(budget_bytes(Some(8.0)), 2 << 30);
        assert_eq!(budget_bytes(Some(0.5)), 128 << 20);
        assert_eq!(budget_bytes(None), DEFAULT_BUDGET_BYTES);
        assert_eq!(budget_bytes(Some(f64::NAN)), DEFAULT_BUDGET_BYTES);
    }

    #[test]
    fn rows_are_shared_out_in_consecutive_ranges_covering_every_row() {
        for (n, parts) in [
            (0, 4),
            (1, 1),
            (5000, 2),
            (5000, 3),
            (10_001, 4),
            (3000, 16),
        ] {
            let ranges = row_ranges(n, parts);
            assert!(!ranges.is_empty());
            assert_eq!(ranges[0].start, 0);
            assert_eq!(ranges.last().map(|r| r.end), Some(n));
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
            }
            let lens: Vec<usize> = ranges.iter().map(|r| r.len()).collect();
            let (lo, hi) = (lens.iter().min(), lens.iter().max());
            assert!(hi.zip(lo).is_some_and(|(h, l)| h - l <= 1), "{lens:?}");
            if ranges.len() > 1 {
                assert!(lens.iter().all(|&l| l >= MIN_ROWS_PER_WORKER), "{lens:?}");
            }
        }
        // 3,000 rows make two slices of 1,500 (three would be under 1,024 each).
        assert_eq!(row_ranges(3000, 16), vec![0..1500, 1500..3000]);
    }

    #[test]
    fn a_forest_is_shared_out_only_when_its_trees_outweigh_the_pool() {
        // Telco (5,634 training rows, 19 columns): one worker; 80,000 × 30: the pool.
        assert!(!share_forest(5_634, 19, 100));
        assert!(share_forest(80_000, 30, 100));
        // At the limit (50,000,000), and far past it without overflowing.
        assert!(share_forest(50_000, 10, 100));
        assert!(!share_forest(49_999, 10, 100));
        assert!(share_forest(usize::MAX, usize::MAX, 100));
    }

    /// The explanation's limit, 30,000 cells: the 50,000-customer sample's 2,000 explained
    /// customers x 15 columns reach it, Telco's 1,409 x 19 do not.
    #[test]
    fn a_forests_explanation_is_shared_out_only_when_big_enough() {
        assert!(share_explanation(2_000, 15));
        assert!(!share_explanation(1_409, 19));
        assert!(
            !share_explanation(100_000, 1),
            "one column has nothing to share"
        );
    }

    #[test]
    fn a_plan_is_shared_out_by_model_keeping_its_order() {
        use churnscope_engine::modelling::pipeline::{ModelKind, TrainConfig};
        use churnscope_engine::understanding::target::Target;
        let plan = TrainPlan {
            config: TrainConfig::new(Target {
                column: "churn".into(),
                positive: "Yes".into(),
                negative: "No".into(),
            }),
            models: vec![
                ModelKind::Logistic,
                ModelKind::Gbdt,
                ModelKind::Forest,
                ModelKind::Gbdt,
                ModelKind::Mlp,
            ],
            cv_folds: Some(3),
            search: true,
            balance: None,
            explain: true,
            tuned: None,
            grown_trees: None,
        };
        let parts = split_plan(&plan, 2);
        let kinds: Vec<(Vec<ModelKind>, Vec<usize>)> = parts
            .iter()
            .map(|(p, n)| (p.models.clone(), n.clone()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (vec![ModelKind::Logistic, ModelKind::Forest], vec![1, 3]),
                (vec![ModelKind::Gbdt, ModelKind::Mlp], vec![2, 4]),
            ]
        );
        assert!(parts
            .iter()
            .all(|(p, _)| p.cv_folds == Some(3) && p.search && p.explain));
        assert_eq!(split_plan(&plan, 9).len(), 4, "no more parts than models");
        assert_eq!(split_plan(&plan, 1)[0].1, vec![1, 2, 3, 4]);
    }

    /// The models a pool's parts train are those of the whole plan on one worker, and put
    /// back in the plan's order they are the same list (the page shows them in that order).
    #[test]
    fn the_parts_of_a_plan_train_the_models_of_the_whole_plan() {
        use churnscope_engine::evaluating::evaluation::{run_plan, ModelRun};
        use churnscope_engine::modelling::pipeline::{ModelKind, TrainConfig};
        use churnscope_engine::reading::ingest::{read_csv, ReadOptions};
        use churnscope_engine::reading::sample::{generate_csv, SampleSpec};
        use churnscope_engine::understanding::target::target_for;
        // The built-in sample, 400 customers, seed 5.
        let csv = generate_csv(&SampleSpec {
            customers: 400,
            seed: 5,
        });
        let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample");
        let target = target_for(&ds, "churned", Some("Yes")).expect("target");
        let mut plan = TrainPlan::single(TrainConfig::new(target));
        plan.models = vec![ModelKind::Logistic, ModelKind::Gbdt, ModelKind::Forest];
        plan.cv_folds = Some(3);
        let clock = || 0.0;
        let train = |plan: &TrainPlan| {
            let mut runs: Vec<ModelRun> = Vec::new();
            run_plan(&ds, plan, |_, _| true, &clock, |r| runs.push(r)).expect("plan");
            runs
        };
        let whole = train(&plan);
        let mut pooled: Vec<(usize, ModelRun)> = Vec::new();
        for (part, numbers) in split_plan(&plan, 2) {
            pooled.extend(numbers.into_iter().zip(train(&part)));
        }
        pooled.sort_by_key(|(n, _)| *n);
        let json = |runs: Vec<&ModelRun>| serde_json::to_string(&runs).expect("json");
        assert_eq!(
            json(pooled.iter().map(|(_, r)| r).collect()),
            json(whole.iter().collect())
        );
    }

    #[test]
    fn the_pool_reports_one_progress_weighted_by_part() {
        let mut pool = PoolProgress::rows(&[3000, 1000], "Scoring customers");
        assert_eq!(pool.report().fraction, 0.0);
        assert_eq!(
            pool.report().stage,
            "Scoring customers: 0 of 4,000 (2 background workers)"
        );
        let half = pool.observe(0, JobProgress::new("Scoring: 1,500 of 3,000", 0.5));
        assert_eq!(half.fraction, 0.375);
        assert_eq!(
            half.stage,
            "Scoring customers: 1,500 of 4,000 (2 background workers)"
        );
        let done = pool.observe(1, JobProgress::new("Scoring: 1,000 of 1,000", 1.0));
        assert_eq!(done.fraction, 2500.0 / 4000.0);
        // Models: the stage and loss curve are those of the part furthest behind.
        let mut pool = PoolProgress::models(&[2, 1]);
        let mut gbdt = JobProgress::new("Boosted trees (model 2 of 3): tree 10", 0.1);
        gbdt.loss = vec![(1, 0.6), (10, 0.5)];
        pool.observe(
            0,
            JobProgress::new("Logistic regression (model 1 of 3)", 0.8),
        );
        let report = pool.observe(1, gbdt.clone());
        assert_eq!(
            (report.fraction * 30.0).round(),
            17.0,
            "(2 x 0.8 + 0.1) / 3"
        );
        assert_eq!(
            report.stage,
            "Boosted trees (model 2 of 3): tree 10 (2 background workers)"
        );
        assert_eq!(report.loss, gbdt.loss);
        let one = PoolProgress::models(&[1]).observe(0, JobProgress::new("x", 0.3));
        assert_eq!((one.stage.as_str(), one.fraction), ("x", 0.3));
    }
}
