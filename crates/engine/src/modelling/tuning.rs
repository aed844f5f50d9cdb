//! Choosing hyperparameters by stratified k-fold cross-validation on the training rows.
//!
//! Every model has a grid ([`grid`]): C for logistic regression (numpy's logspace(-4, 4,
//! 17), the baselines' grid); leaves, learning rate and leaf size for boosted trees;
//! features per split and leaf size for the forest; width and L2 for the network. The
//! search tries every setting, or with `random: Some(n)` n settings drawn from the grid
//! without replacement (seeded), and reports each setting's fold scores.
//!
//! Within each fold the preprocessing is fitted on that fold's training rows only and
//! applied unchanged to its held-out rows, exactly as the final pipeline is fitted on the
//! whole training part: no statistic of a held-out row leaks into what scores it. The fold's
//! feature matrices are built once and shared by every candidate. The best candidate is the
//! first with the highest mean score (so, like scikit-learn's `GridSearchCV`, ties go to the
//! candidate listed first).

use serde::{Deserialize, Serialize};

pub use crate::modelling::config::{Scoring, Tuning, TuningError};

use crate::dataset::Dataset;
use crate::modelling::models::forest::MaxFeatures;
use crate::modelling::models::Progress;
use crate::modelling::pipeline::{resample_rows, FittedPipeline, ModelKind, Result, TrainConfig};
use crate::modelling::preprocessing::FittedPreprocessor;
use crate::modelling::split::{fold_training_rows, stratified_folds};
use crate::rng::Rng;

/// One setting of a model's hyperparameters, as (name, value) pairs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Setting(pub Vec<(String, f64)>);

impl Setting {
    fn of(pairs: &[(&str, f64)]) -> Self {
        Setting(pairs.iter().map(|(n, v)| (n.to_string(), *v)).collect())
    }

    /// The value of `name`, if the setting has it.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(n, v)| format!("{n} = {v}")).collect();
        f.write_str(&parts.join(", "))
    }
}

/// The settings a model's search tries (before any random draw). For the forest,
/// `max_features` 0 stands for √d, scikit-learn's default.
pub fn grid(model: ModelKind, tuning: &Tuning) -> Vec<Setting> {
    let mut out = Vec::new();
    match model {
        ModelKind::Logistic => {
            out.extend(tuning.c_grid.iter().map(|&c| Setting::of(&[("C", c)])));
        }
        ModelKind::Gbdt => {
            for leaves in [15.0, 31.0, 63.0] {
                for rate in [0.05, 0.1] {
                    for min_leaf in [10.0, 20.0, 50.0] {
                        out.push(Setting::of(&[
                            ("num_leaves", leaves),
                            ("learning_rate", rate),
                            ("min_data_in_leaf", min_leaf),
                        ]));
                    }
                }
            }
        }
        ModelKind::Forest => {
            for features in [0.0, 0.33, 0.5] {
                for min_leaf in [1.0, 3.0, 10.0] {
                    out.push(Setting::of(&[
                        ("max_features", features),
                        ("min_samples_leaf", min_leaf),
                    ]));
                }
            }
        }
        ModelKind::Mlp => {
            for width in [50.0, 100.0] {
                for alpha in [1e-4, 1e-3, 1e-2] {
                    out.push(Setting::of(&[("hidden_units", width), ("alpha", alpha)]));
                }
            }
        }
    }
    out
}

/// `config` with the model's hyperparameters set as `setting` says.
pub fn apply_setting(config: &TrainConfig, setting: &Setting) -> TrainConfig {
    let mut c = config.clone();
    for (name, value) in &setting.0 {
        let v = *value;
        match name.as_str() {
            "C" => c.logistic = c.logistic.clone().c(v),
            "num_leaves" => c.gbdt.num_leaves = v as usize,
            "learning_rate" => c.gbdt.learning_rate = v,
            "min_data_in_leaf" => c.gbdt.min_data_in_leaf = v as usize,
            "max_features" => {
                let m = if v == 0.0 {
                    MaxFeatures::Sqrt
                } else {
                    MaxFeatures::Fraction(v)
                };
                c.forest = c.forest.clone().max_features(m);
            }
            "min_samples_leaf" => c.forest = c.forest.clone().min_samples_leaf(v as usize),
            "hidden_units" => c.mlp = c.mlp.clone().hidden(vec![v as usize]),
            "alpha" => c.mlp = c.mlp.clone().alpha(v),
            _ => {}
        }
    }
    c
}

/// The settings to try: the whole grid, or `random` of them drawn without replacement
/// (kept in grid order).
fn settings_to_try(model: ModelKind, tuning: &Tuning) -> Result<Vec<Setting>> {
    let all = grid(model, tuning);
    if all.is_empty() {
        return Err(TuningError::EmptyGrid.into());
    }
    match tuning.random {
        None => Ok(all),
        Some(0) => Err(TuningError::NoRandomSettings.into()),
        Some(n) if n >= all.len() => Ok(all),
        Some(n) => {
            let mut picks: Vec<usize> = (0..all.len()).collect();
            Rng::new(tuning.seed).shuffle(&mut picks);
            picks.truncate(n);
            picks.sort_unstable();
            Ok(picks.into_iter().map(|i| all[i].clone()).collect())
        }
    }
}

/// One candidate's cross-validated scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub setting: Setting,
    pub mean: f64,
    pub std: f64,
    pub fold_scores: Vec<f64>,
}

/// Every candidate's scores and the one chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuningReport {
    pub model: ModelKind,
    pub scoring: Scoring,
    pub folds: usize,
    pub candidates: Vec<Candidate>,
    pub best: Setting,
}

impl TuningReport {
    /// The chosen C of a logistic regression.
    pub fn best_c(&self) -> Option<f64> {
        self.best.get("C")
    }

    /// The chosen candidate's scores.
    pub fn best_candidate(&self) -> Option<&Candidate> {
        self.candidates.iter().find(|c| c.setting == self.best)
    }
}

/// Cross-validates the settings of `config.model`'s grid on the labelled ones of `rows`.
pub fn tune(
    ds: &Dataset,
    rows: &[usize],
    config: &TrainConfig,
    tuning: &Tuning,
    progress: impl FnMut(Progress) -> bool,
) -> Result<TuningReport> {
    tune_beside::<()>(ds, rows, config, tuning, None, progress).map(|(report, _)| report)
}

/// Work that does not depend on the search, run as one more task beside its folds (the
/// final fit when only one setting is tried), with its progress report.
pub type SideTask<'a, T> = dyn Fn(&mut dyn FnMut(Progress) -> bool) -> T + Sync + 'a;

/// The one setting a search would try, when it tries only one (not for logistic
/// regression, whose search fits every C along one path per fold).
pub fn single_setting(model: ModelKind, tuning: &Tuning) -> Result<Option<Setting>> {
    if model == ModelKind::Logistic {
        return Ok(None);
    }
    if tuning.current_only {
        return Ok(Some(Setting::default()));
    }
    let mut settings = settings_to_try(model, tuning)?;
    Ok(if settings.len() == 1 {
        settings.pop()
    } else {
        None
    })
}

/// [`tune`], with `side` run as one more task beside the folds (first when several threads
/// share the tasks, so that the longest task does not start last; last on one thread, so
/// the progress reports come in the same order as without it). Its result comes back
/// beside the report.
pub fn tune_beside<T: Send>(
    ds: &Dataset,
    rows: &[usize],
    config: &TrainConfig,
    tuning: &Tuning,
    side: Option<&SideTask<'_, T>>,
    mut progress: impl FnMut(Progress) -> bool,
) -> Result<(TuningReport, Option<T>)> {
    let cv = CrossValidation::new(ds, rows, config, tuning)?;
    // One task per fold and setting (per fold for logistic regression), on every core;
    // each is seeded by its own config.
    let fold_tasks = cv.tasks();
    let side_at = if side.is_some() && crate::parallel::threads() > 1 {
        0
    } else {
        fold_tasks
    };
    let task = |t: usize, progress: &mut dyn FnMut(Progress) -> bool| -> Part<T> {
        let t = match side {
            Some(side) if t == side_at => return Part::Side(side(progress)),
            Some(_) if t > side_at => t - 1,
            _ => t,
        };
        Part::Fold(cv.run(t, progress))
    };
    let tasks = fold_tasks + usize::from(side.is_some());
    let mut results = Vec::with_capacity(fold_tasks);
    let mut side_result = None;
    for part in crate::parallel::map(tasks, &mut progress, &task) {
        match part {
            Part::Side(result) => side_result = Some(result),
            Part::Fold(result) => results.push(result?),
        }
    }
    Ok((cv.report(results)?, side_result))
}

/// One model's cross-validation as independent tasks, so that whatever has spare cores or
/// workers can share them out: [`tune`] runs them on every core, the page over its pool of
/// workers. A task is one fold's scores of every C for logistic regression (whose fits
/// follow one path of C's along a fold), else one fold's score of one setting. A task
/// depends only on the table, the rows, the config and the tuning, so wherever it runs
/// the same scores come back, and [`report`](Self::report) makes the same report of them.
pub struct CrossValidation<'a> {
    ds: &'a Dataset,
    config: &'a TrainConfig,
    tuning: Tuning,
    labels: Vec<Option<u8>>,
    folds: Vec<Vec<usize>>,
    settings: Vec<Setting>,
}

impl<'a> CrossValidation<'a> {
    /// The folds and settings of `tuning` on the labelled ones of `rows` of `ds`.
    pub fn new(
        ds: &'a Dataset,
        rows: &[usize],
        config: &'a TrainConfig,
        tuning: &Tuning,
    ) -> Result<Self> {
        let mut tuning = tuning.clone();
        let settings = match (config.model, tuning.current_only) {
            (ModelKind::Logistic, current_only) => {
                if current_only {
                    tuning.c_grid = vec![config.logistic.c_value()];
                } else {
                    let settings = settings_to_try(ModelKind::Logistic, &tuning)?;
                    tuning.c_grid = settings.iter().filter_map(|s| s.get("C")).collect();
                }
                if tuning.c_grid.is_empty() {
                    return Err(TuningError::EmptyCGrid.into());
                }
                tuning
                    .c_grid
                    .iter()
                    .map(|&c| Setting::of(&[("C", c)]))
                    .collect()
            }
            (model, false) => settings_to_try(model, &tuning)?,
            (_, true) => vec![Setting::default()],
        };
        let labels = config.target.labels(ds)?;
        let folds = stratified_folds(&labels, rows, tuning.folds, tuning.seed)?;
        Ok(CrossValidation {
            ds,
            config,
            tuning,
            labels,
            folds,
            settings,
        })
    }

    /// How many tasks: one per fold for logistic regression, else one per fold and setting.
    pub fn tasks(&self) -> usize {
        self.layout().tasks()
    }

    /// Task `t`'s scores (in the settings' order): of every C on fold `t` for logistic
    /// regression, else of setting `t % settings` on fold `t / settings`.
    pub fn run(&self, t: usize, progress: &mut dyn FnMut(Progress) -> bool) -> Result<Vec<f64>> {
        let (ds, config, labels) = (self.ds, self.config, &self.labels);
        let per_fold = self.settings.len();
        let i = match config.model {
            ModelKind::Logistic => t,
            _ => t / per_fold,
        };
        let held_out = self.folds.get(i).ok_or(TuningError::NoSuchTask {
            task: t,
            tasks: self.tasks(),
        })?;
        let y_of =
            |rows: &[usize]| -> Vec<u8> { rows.iter().map(|&r| labels[r].unwrap_or(0)).collect() };
        let y_test = y_of(held_out);
        let mut train = fold_training_rows(&self.folds, i);
        if config.model != ModelKind::Logistic {
            let candidate = apply_setting(config, &self.settings[t % per_fold]);
            let score = FittedPipeline::fit(ds, &train, &candidate, progress)
                .and_then(|pipeline| pipeline.predict_proba(ds, held_out))
                .and_then(|p| Ok(self.tuning.scoring.score(&y_test, &p)?))?;
            return Ok(vec![score]);
        }
        // The fold's features built once for every C.
        let mut exclude = config.ignore.clone();
        exclude.push(config.target.column.clone());
        exclude.extend(config.split_by_date.iter().cloned());
        if let Some(how) = config.resample {
            train = resample_rows(&train, &y_of(&train), how, config.seed);
        }
        let prep = FittedPreprocessor::fit_with(ds, &train, &exclude, &config.prep)?;
        let share = crate::modelling::models::logistic::SPARSE_SHARE;
        let x_train = prep.transform_features(ds, &train, share)?;
        let x_test = prep.transform_features(ds, held_out, share)?;
        let y_train = y_of(&train);
        let mut fold_scores = Vec::with_capacity(self.tuning.c_grid.len());
        for &c in &self.tuning.c_grid {
            let params = config.logistic.clone().c(c);
            params.check()?;
            let model = params.fit_features(&x_train, &y_train, &mut *progress)?;
            let p = model.predict_features(&x_test);
            fold_scores.push(self.tuning.scoring.score(&y_test, &p)?);
        }
        Ok(fold_scores)
    }

    /// The report of every task's scores, given in task order.
    pub fn report(&self, results: Vec<Vec<f64>>) -> Result<TuningReport> {
        self.layout().report(results)
    }

    /// What [`report`](Self::report) needs, without the table: to report tasks run
    /// elsewhere once they are in.
    pub fn layout(&self) -> CvLayout {
        CvLayout {
            model: self.config.model,
            tuning: self.tuning.clone(),
            folds: self.folds.len(),
            settings: self.settings.clone(),
        }
    }
}

/// A [`CrossValidation`]'s model, tuning, number of folds and settings: enough to report its
/// tasks' scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvLayout {
    pub model: ModelKind,
    pub tuning: Tuning,
    pub folds: usize,
    pub settings: Vec<Setting>,
}

impl CvLayout {
    /// How many tasks: one per fold for logistic regression, else one per fold and setting.
    pub fn tasks(&self) -> usize {
        match self.model {
            ModelKind::Logistic => self.folds,
            _ => self.folds * self.settings.len(),
        }
    }

    /// The report of every task's scores, given in task order.
    pub fn report(&self, results: Vec<Vec<f64>>) -> Result<TuningReport> {
        let per_task = match self.model {
            ModelKind::Logistic => self.settings.len(),
            _ => 1,
        };
        let wrong = results.len() != self.tasks() || results.iter().any(|r| r.len() != per_task);
        if wrong {
            return Err(TuningError::TaskResults {
                expected: self.tasks(),
                found: results.len(),
            }
            .into());
        }
        let per_fold = self.settings.len();
        let mut scores = vec![Vec::with_capacity(self.folds); per_fold];
        for (t, task_scores) in results.into_iter().enumerate() {
            for (k, score) in task_scores.into_iter().enumerate() {
                scores[if per_task == 1 { t % per_fold } else { k }].push(score);
            }
        }
        Ok(report(
            self.model,
            &self.tuning,
            self.folds,
            self.settings.clone(),
            scores,
        ))
    }
}

/// A task of [`tune_beside`]: a fold's scores, or the side task's result.
enum Part<T> {
    Fold(Result<Vec<f64>>),
    Side(T),
}

/// Mean and spread of each setting's fold scores; the first best mean wins.
fn report(
    model: ModelKind,
    tuning: &Tuning,
    folds: usize,
    settings: Vec<Setting>,
    scores: Vec<Vec<f64>>,
) -> TuningReport {
    let candidates: Vec<Candidate> = settings
        .into_iter()
        .zip(scores)
        .map(|(setting, fold_scores)| {
            let n = fold_scores.len() as f64;
            let mean = fold_scores.iter().sum::<f64>() / n;
            let var = fold_scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n;
            Candidate {
                setting,
                mean,
                std: var.sqrt(),
                fold_scores,
            }
        })
        .collect();
    let best = candidates
        .iter()
        .fold(None::<&Candidate>, |best, c| match best {
            Some(b) if b.mean >= c.mean => Some(b),
            _ => Some(c),
        })
        .map(|c| c.setting.clone())
        .unwrap_or_default();
    TuningReport {
        model,
        scoring: tuning.scoring,
        folds,
        candidates,
        best,
    }
}

/// Cross-validates each C of `tuning.c_grid` on the labelled ones of `rows` of `ds` (the
/// fold's features built once for every C).
pub fn tune_logistic(
    ds: &Dataset,
    rows: &[usize],
    config: &TrainConfig,
    tuning: &Tuning,
    progress: impl FnMut(Progress) -> bool,
) -> Result<TuningReport> {
    if tuning.c_grid.is_empty() {
        return Err(TuningError::EmptyCGrid.into());
    }
    // Exactly the C's given: a grid of its own, neither drawn from nor the current C.
    let subset = Tuning {
        random: None,
        current_only: false,
        ..tuning.clone()
    };
    let logistic = TrainConfig {
        model: ModelKind::Logistic,
        ..config.clone()
    };
    let cv = CrossValidation::new(ds, rows, &logistic, &subset)?;
    let mut progress = progress;
    let task = |t: usize, progress: &mut dyn FnMut(Progress) -> bool| cv.run(t, progress);
    let results = crate::parallel::map(cv.tasks(), &mut progress, &task)
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    cv.report(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::ingest::{read_csv, ReadOptions};
    use crate::reading::sample::{generate_csv, SampleSpec};
    use crate::understanding::target::target_for;

    fn sample() -> (Dataset, TrainConfig) {
        let csv = generate_csv(&SampleSpec {
            customers: 600,
            seed: 9,
        });
        let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample");
        let target = target_for(&ds, "churned", Some("Yes")).expect("target");
        (ds, TrainConfig::new(target))
    }

    #[test]
    fn grid_search_reports_every_candidate_and_picks_the_best_mean() {
        let (ds, config) = sample();
        let rows: Vec<usize> = (0..ds.n_rows).collect();
        let tuning = Tuning {
            c_grid: vec![1e-4, 1e-2, 1.0],
            ..Tuning::new(3)
        };
        let report = tune_logistic(&ds, &rows, &config, &tuning, |_| true).expect("tune");
        assert_eq!(report.candidates.len(), 3);
        assert!(report.candidates.iter().all(|c| c.fold_scores.len() == 3));
        let best = report
            .candidates
            .iter()
            .map(|c| c.mean)
            .fold(f64::MIN, f64::max);
        let chosen = report.best_candidate().expect("chosen");
        assert_eq!(chosen.mean, best);
        // Deterministic given the seed.
        assert_eq!(
            report,
            tune_logistic(&ds, &rows, &config, &tuning, |_| true).expect("again")
        );
        // The default grid is the baselines' np.logspace(-4, 4, 17).
        let grid = Tuning::new(5).c_grid;
        assert_eq!(
            (grid.len(), grid[0], grid[8], grid[16]),
            (17, 1e-4, 1.0, 1e4)
        );
    }

    #[test]
    fn every_model_has_a_grid_and_random_search_draws_from_it() {
        let (ds, mut config) = sample();
        let rows: Vec<usize> = (0..ds.n_rows).collect();
        config.model = ModelKind::Forest;
        config.forest = config.forest.clone().n_trees(10);
        let tuning = Tuning {
            random: Some(3),
            ..Tuning::new(3)
        };
        let report = tune(&ds, &rows, &config, &tuning, |_| true).expect("tune");
        assert_eq!(report.model, ModelKind::Forest);
        assert_eq!(report.candidates.len(), 3, "three of the nine settings");
        let all = grid(ModelKind::Forest, &tuning);
        assert_eq!(all.len(), 9);
        assert!(report.candidates.iter().all(|c| all.contains(&c.setting)));
        assert!(report.candidates.iter().all(|c| c.fold_scores.len() == 3));
        let best = report.best_candidate().expect("best");
        assert!(report.candidates.iter().all(|c| c.mean <= best.mean));
        // Seeded: the same draw and scores again.
        assert_eq!(
            report,
            tune(&ds, &rows, &config, &tuning, |_| true).expect("again")
        );
        // The chosen setting is applied.
        let tuned = apply_setting(&config, &best.setting);
        assert_eq!(
            tuned.forest,
            config
                .forest
                .clone()
                .max_features(match best.setting.get("max_features") {
                    Some(f) if f > 0.0 => MaxFeatures::Fraction(f),
                    _ => MaxFeatures::Sqrt,
                })
                .min_samples_leaf(best.setting.get("min_samples_leaf").unwrap_or(1.0) as usize)
        );
        for model in [ModelKind::Logistic, ModelKind::Gbdt, ModelKind::Mlp] {
            assert!(!grid(model, &tuning).is_empty());
        }
        let zero = Tuning {
            random: Some(0),
            ..Tuning::new(3)
        };
        assert!(tune(&ds, &rows, &config, &zero, |_| true).is_err());
    }

    #[test]
    fn cancelling_stops_the_search() {
        let (ds, config) = sample();
        let rows: Vec<usize> = (0..ds.n_rows).collect();
        let err =
            tune_logistic(&ds, &rows, &config, &Tuning::new(3), |_| false).expect_err("cancel");
        assert!(err.to_string().contains("cancelled"), "{err}");
    }
}
