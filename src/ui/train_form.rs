//! The training form: which models to fit (one or several), and an "Advanced" section with
//! their main parameters, class-imbalance handling, cross-validation and the test share.
//! Everything starts at the engine's defaults, so an untouched form trains what the CLI's
//! `train` does.

use leptos::prelude::*;

use churnscope_engine::evaluating::evaluation::{Balance, TrainPlan};
use churnscope_engine::modelling::models::forest::ForestParams;
use churnscope_engine::modelling::models::gbdt::GbdtParams;
use churnscope_engine::modelling::models::mlp::MlpParams;
use churnscope_engine::modelling::pipeline::{ModelKind, TrainConfig};
use churnscope_engine::understanding::target::Target;

/// What the form says.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSettings {
    pub models: Vec<ModelKind>,
    pub cv_folds: Option<usize>,
    pub search: bool,
    pub balance: Option<Balance>,
    pub test_share: f64,
    pub c: f64,
    pub gbdt_trees: usize,
    pub gbdt_leaves: usize,
    pub gbdt_rate: f64,
    pub forest_trees: usize,
    pub mlp_units: usize,
    pub explain: bool,
}

impl Default for TrainSettings {
    fn default() -> Self {
        let gbdt = GbdtParams::default();
        TrainSettings {
            models: vec![ModelKind::Logistic],
            cv_folds: None,
            search: false,
            balance: None,
            test_share: 0.2,
            c: 1.0,
            gbdt_trees: gbdt.n_trees,
            gbdt_leaves: gbdt.num_leaves,
            gbdt_rate: gbdt.learning_rate,
            forest_trees: 100,
            mlp_units: 100,
            explain: true,
        }
    }
}

impl TrainSettings {
    /// The plan to train for `target`.
    pub fn plan(&self, target: Target) -> TrainPlan {
        let mut config = TrainConfig::new(target);
        config.test_fraction = self.test_share;
        config.logistic = config.logistic.clone().c(self.c);
        config.gbdt.n_trees = self.gbdt_trees;
        config.gbdt.num_leaves = self.gbdt_leaves;
        config.gbdt.learning_rate = self.gbdt_rate;
        config.forest = ForestParams::default().n_trees(self.forest_trees);
        config.mlp = MlpParams::default().hidden(vec![self.mlp_units]);
        let mut plan = TrainPlan::single(config);
        plan.models = self.models.clone();
        plan.cv_folds = self.cv_folds;
        plan.search = self.search && self.cv_folds.is_some();
        plan.balance = self.balance;
        plan.explain = self.explain;
        plan
    }
}

const MODELS: [(ModelKind, &str, &str, &str); 4] = [
    (
        ModelKind::Logistic,
        "logistic",
        "Logistic regression",
        "L2-regularised, on median-imputed, standardised numbers and one-hot categories. Fast, and its weights read directly.",
    ),
    (
        ModelKind::Gbdt,
        "gbdt",
        "Gradient-boosted trees",
        "LightGBM's defaults: 100 trees of up to 31 leaves, learning rate 0.1; numbers as they are, categories split natively.",
    ),
    (
        ModelKind::Forest,
        "forest",
        "Random forest",
        "100 Gini trees on bootstrap samples, √features tried per split.",
    ),
    (
        ModelKind::Mlp,
        "mlp",
        "Neural network",
        "One hidden layer of 100 ReLU units, Adam, early stopping on a 10% hold-out.",
    ),
];

/// A number input bound to one field of the settings.
#[component]
fn NumberField(
    label: &'static str,
    testid: &'static str,
    step: &'static str,
    min: &'static str,
    value: Signal<String>,
    on_set: Callback<f64>,
    disabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <label class="field">
            {label}
            <input
                type="number"
                step=step
                min=min
                data-testid=testid
                prop:value=value
                prop:disabled=disabled
                on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                        if v.is_finite() && v > 0.0 {
                            on_set.run(v);
                        }
                    }
                }
            />
        </label>
    }
}

/// Model choice and the advanced settings.
#[component]
pub fn TrainForm(
    settings: RwSignal<TrainSettings>,
    /// True while a job runs (the form is locked).
    busy: Signal<bool>,
) -> impl IntoView {
    view! {
        <ModelChoice settings busy />
        <details class="advanced" data-testid="advanced">
            <summary>"Advanced settings"</summary>
            <div class="advanced-grid">
                <SplitFields settings busy />
                <ParameterFields settings busy />
            </div>
            <p class="hint">
                "Every model is fitted on the same stratified training part (seed 42) and tested on the rest. \
                 Cross-validation splits the training part into folds and reports the mean and spread of ROC AUC \
                 over them; with the search on, each model's best setting is then refitted on the whole training part."
            </p>
        </details>
    }
}

/// One checkbox per model, kept in the order of [`MODELS`].
#[component]
fn ModelChoice(settings: RwSignal<TrainSettings>, busy: Signal<bool>) -> impl IntoView {
    view! {
        <fieldset class="models" data-testid="model-choice" prop:disabled=busy>
            <legend>"Models to train (pick one or several; they are compared on the same test customers)"</legend>
            {MODELS
                .iter()
                .map(|&(kind, key, name, about)| {
                    view! {
                        <label class="model-option">
                            <input
                                type="checkbox"
                                data-testid=format!("model-{key}")
                                prop:checked=move || settings.with(|s| s.models.contains(&kind))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    settings.update(|s| {
                                        s.models.retain(|m| *m != kind);
                                        if on {
                                            s.models.push(kind);
                                            s.models.sort_by_key(|m| MODELS.iter().position(|x| x.0 == *m));
                                        }
                                    });
                                }
                            />
                            <strong>{name}</strong>
                            <span class="hint">" "{about}</span>
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

/// Cross-validation (and its grid search), class balance and the test share.
#[component]
fn SplitFields(settings: RwSignal<TrainSettings>, busy: Signal<bool>) -> impl IntoView {
    view! {
        <label class="field">
            "Cross-validation "
            <select
                data-testid="cv-folds"
                prop:disabled=busy
                on:change=move |ev| {
                    let folds = event_target_value(&ev).parse::<usize>().ok().filter(|&k| k >= 2);
                    settings.update(|s| s.cv_folds = folds);
                }
            >
                <option value="0" selected=move || settings.with(|s| s.cv_folds.is_none())>"none"</option>
                <option value="3">"3 folds"</option>
                <option value="5">"5 folds"</option>
                <option value="10">"10 folds"</option>
            </select>
        </label>
        <label class="field">
            <input
                type="checkbox"
                data-testid="cv-search"
                prop:disabled=move || busy.get() || settings.with(|s| s.cv_folds.is_none())
                prop:checked=move || settings.with(|s| s.search)
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    settings.update(|s| s.search = on);
                }
            />
            " search each model's grid in the folds (slower: up to 18 settings a model)"
        </label>
        <label class="field">
            "Rare churners "
            <select
                data-testid="balance"
                prop:disabled=busy
                on:change=move |ev| {
                    let b = match event_target_value(&ev).as_str() {
                        "weights" => Some(Balance::Weights),
                        "over" => Some(Balance::Over),
                        "under" => Some(Balance::Under),
                        _ => None,
                    };
                    settings.update(|s| s.balance = b);
                }
            >
                <option value="none">"leave as they are"</option>
                <option value="weights">"weigh the classes equally"</option>
                <option value="over">"oversample churners"</option>
                <option value="under">"undersample stayers"</option>
            </select>
        </label>
        <label class="field">
            "Test share "
            <select
                data-testid="test-share"
                prop:disabled=busy
                on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                        settings.update(|s| s.test_share = v);
                    }
                }
            >
                <option value="0.2">"20%"</option>
                <option value="0.25">"25%"</option>
                <option value="0.3">"30%"</option>
            </select>
        </label>
    }
}

/// The models' main parameters and whether to explain them.
#[component]
fn ParameterFields(settings: RwSignal<TrainSettings>, busy: Signal<bool>) -> impl IntoView {
    let field = move |get: fn(&TrainSettings) -> String| Signal::derive(move || settings.with(get));
    let set = move |f: fn(&mut TrainSettings, f64)| {
        Callback::new(move |v: f64| settings.update(|s| f(s, v)))
    };
    view! {
        <NumberField label="Logistic regression C " testid="param-c" step="any" min="0"
            value=field(|s| s.c.to_string()) on_set=set(|s, v| s.c = v) disabled=busy />
        <NumberField label="Boosted trees: trees " testid="param-gbdt-trees" step="1" min="1"
            value=field(|s| s.gbdt_trees.to_string()) on_set=set(|s, v| s.gbdt_trees = v as usize) disabled=busy />
        <NumberField label="leaves per tree " testid="param-gbdt-leaves" step="1" min="2"
            value=field(|s| s.gbdt_leaves.to_string()) on_set=set(|s, v| s.gbdt_leaves = (v as usize).max(2)) disabled=busy />
        <NumberField label="learning rate " testid="param-gbdt-rate" step="any" min="0"
            value=field(|s| s.gbdt_rate.to_string()) on_set=set(|s, v| s.gbdt_rate = v) disabled=busy />
        <NumberField label="Random forest: trees " testid="param-forest-trees" step="1" min="1"
            value=field(|s| s.forest_trees.to_string()) on_set=set(|s, v| s.forest_trees = v as usize) disabled=busy />
        <NumberField label="Neural network: hidden units " testid="param-mlp-units" step="1" min="1"
            value=field(|s| s.mlp_units.to_string()) on_set=set(|s, v| s.mlp_units = v as usize) disabled=busy />
        <label class="field">
            <input
                type="checkbox"
                data-testid="explain"
                prop:disabled=busy
                prop:checked=move || settings.with(|s| s.explain)
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    settings.update(|s| s.explain = on);
                }
            />
            " explain the models (importance, partial dependence, reasons per customer)"
        </label>
    }
}
