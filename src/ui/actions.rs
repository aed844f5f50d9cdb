//! Step 5, acting on the scores: risk tiers, the profit of a retention campaign, the
//! playbook, the action list and the one-file report, for the model in use.
//!
//! Tiers and the profit view come from the test customers at once; scoring every customer
//! of the file with their reasons (for the tiers' drivers and the action list) is a job for
//! the background worker, started by the user.

use std::sync::Arc;

use leptos::prelude::*;

use super::action_list::ActionList;
use super::browser::{download, today};
use super::job::JobStatus;
use super::playbook::PlaybookEditor;
use super::profit::ProfitSection;
use super::state::Workflow;
use super::tasks;
use super::tiers::TierSection;
use churnscope_charts::report::{download_name, html_report, ReportInput};
use churnscope_engine::acting::actions::{
    action_list, profit_curve, summarise_tiers, ActionRow, Playbook, ProfitCurve, ProfitInputs,
    ScoredCustomer, TierCuts, TierSummary,
};
use churnscope_engine::dataset::{group_thousands, Dataset};
use churnscope_engine::evaluating::evaluation::ModelRun;

/// Every customer of the file scored by one model, with their reasons.
#[derive(Clone)]
pub struct Scored {
    /// The model that scored them.
    pub run: Arc<ModelRun>,
    pub customers: Arc<Vec<ScoredCustomer>>,
}

/// What the action step keeps: the merchant's assumptions and playbook outlive a training
/// run.
#[derive(Clone, Copy)]
pub struct ActionState {
    pub inputs: RwSignal<ProfitInputs>,
    pub playbook: RwSignal<Playbook>,
    /// Every customer scored, per model the user scored with; kept while the user
    /// switches between the models of one run, cleared when the data or the run changes.
    pub scored: RwSignal<Vec<Scored>>,
    /// The tier cut-offs as the tiers view shows them, with the model they belong to (a
    /// saved model file keeps them).
    pub cuts: RwSignal<Option<(Arc<ModelRun>, TierCuts)>>,
}

impl ActionState {
    pub fn new() -> Self {
        ActionState {
            inputs: RwSignal::new(ProfitInputs::default()),
            playbook: RwSignal::new(Playbook::ecommerce()),
            scored: RwSignal::new(Vec::new()),
            cuts: RwSignal::new(None),
        }
    }
}

impl Default for ActionState {
    fn default() -> Self {
        Self::new()
    }
}

/// What the action step computes for one model, as memos (so the value is `Copy`).
#[derive(Clone, Copy)]
struct ActionViews {
    /// The tier cut-offs, editable.
    cuts: RwSignal<TierCuts>,
    /// This model's scored customers, once the user has asked for them.
    mine: Memo<Option<Arc<Vec<ScoredCustomer>>>>,
    tiers: Memo<Vec<TierSummary>>,
    profit: Memo<Result<ProfitCurve, String>>,
    /// The action list, once every customer is scored.
    actions: Memo<Option<Result<Arc<Vec<ActionRow>>, String>>>,
}

impl ActionViews {
    /// The views of `run` on `dataset`, the action list for `population`.
    fn new(
        run: &Arc<ModelRun>,
        dataset: &Arc<Dataset>,
        population: &Arc<Dataset>,
        state: ActionState,
    ) -> Self {
        let cuts = RwSignal::new(TierCuts::from_scores(&run.test_scores));
        let ActionState {
            inputs,
            playbook,
            scored,
            cuts: shared_cuts,
        } = state;
        Effect::new({
            let run = run.clone();
            move |_| shared_cuts.set(Some((run.clone(), cuts.get())))
        });
        let mine = Memo::new({
            let run = run.clone();
            move |_| {
                scored.with(|list| {
                    let mine = list.iter().find(|s| Arc::ptr_eq(&s.run, &run));
                    mine.map(|s| s.customers.clone())
                })
            }
        });
        let tiers = Memo::new({
            let run = run.clone();
            move |_| {
                let customers = mine.get();
                let scored: &[ScoredCustomer] = customers.as_deref().map_or(&[], |c| c.as_slice());
                summarise_tiers(&cuts.get(), &run.test_scores, &run.test_labels, scored)
            }
        });
        let profit = Memo::new({
            let (run, dataset) = (run.clone(), dataset.clone());
            move |_| -> Result<ProfitCurve, String> {
                let inputs = inputs.get();
                let values = inputs
                    .values(&dataset, &run.test_rows)
                    .map_err(|e| e.to_string())?;
                let (scores, labels) = (&run.test_scores, &run.test_labels);
                profit_curve(scores, labels, &values, &inputs, dataset.n_rows)
                    .map_err(|e| e.to_string())
            }
        });
        let actions = Memo::new({
            let dataset = population.clone();
            move |_| -> Option<Result<Arc<Vec<ActionRow>>, String>> {
                let customers = mine.get()?;
                let checked = playbook.with(|p| p.check().map(|()| p.clone()));
                let rows = checked.and_then(|p| {
                    action_list(&dataset, &customers, &cuts.get(), &p, &inputs.get())
                });
                Some(rows.map(Arc::new).map_err(|e| e.to_string()))
            }
        });
        ActionViews {
            cuts,
            mine,
            tiers,
            profit,
            actions,
        }
    }
}

/// The action step for the model in use.
#[component]
pub fn ActionsPanel(
    /// The model in use.
    run: Arc<ModelRun>,
    /// The table the models were trained on.
    dataset: Arc<Dataset>,
    /// The customers the action list is for: the same table, or the current customers of
    /// an order log.
    population: Arc<Dataset>,
    /// The file's name and the target column (for the report).
    file_name: String,
    target: String,
) -> impl IntoView {
    let (state, job) = (Workflow::get(), JobStatus::get());
    let views = ActionViews::new(&run, &dataset, &population, state.actions);
    let current = !Arc::ptr_eq(&population, &dataset);
    let default_cuts = views.cuts.get_untracked();
    let ActionState {
        inputs, playbook, ..
    } = state.actions;
    let model_columns: Vec<String> = run
        .outcome
        .pipeline
        .preprocessor
        .input_columns()
        .into_iter()
        .map(str::to_string)
        .collect();
    let score = {
        let run = run.clone();
        move |_| tasks::score(state, job, run.clone())
    };
    let scored = Signal::derive(move || views.mine.with(Option::is_some));
    let file_for_list = file_name.clone();
    view! {
        <section class="panel actions" aria-labelledby="actions-title" data-testid="actions">
            <h2 id="actions-title">"5. Act on the scores"</h2>
            <p class="hint">
                {format!(
                    "For the model in use ({}). Tiers and the profit view use the test customers, whose outcome \
                     the model never saw; the action list scores every customer of the file.",
                    run.label().to_lowercase()
                )}
            </p>
            <TierSection cuts=views.cuts default_cuts tiers=views.tiers.into() scored />
            <ProfitSection inputs profit=views.profit.into() threshold=state.threshold dataset=dataset.clone() target=target.clone() />
            <PlaybookEditor playbook columns=model_columns />
            <div class="score-row">
                <button
                    class="button primary"
                    data-testid="score-customers"
                    prop:disabled=job.busy()
                    on:click=score
                >
                    {format!(
                        "Score all {} {}customers and build the action list",
                        group_thousands(population.n_rows),
                        if current { "current " } else { "" }
                    )}
                </button>
            </div>
            {move || match views.actions.get() {
                None => None,
                Some(Err(e)) => Some(view! { <p class="error" data-testid="action-error">{e}</p> }.into_any()),
                Some(Ok(rows)) => Some(view! { <ActionList rows file_name=file_for_list.clone() /> }.into_any()),
            }}
            <ReportButton views run dataset file_name target />
        </section>
    }
}

/// The button that downloads the one-file report, and why it could not.
#[component]
fn ReportButton(
    views: ActionViews,
    run: Arc<ModelRun>,
    dataset: Arc<Dataset>,
    file_name: String,
    target: String,
) -> impl IntoView {
    let state = Workflow::get();
    let (error, set_error) = signal(None::<String>);
    let make_report = move |_| {
        let result = download_report(state, views, &run, &dataset, &file_name, &target);
        set_error.set(result.err());
    };
    view! {
        <div class="score-row">
            <button class="button" data-testid="download-report" on:click=make_report>
                "Download the report (one HTML file)"
            </button>
            <span class="hint">
                " Opens in any browser without a network; print it to PDF from there."
            </span>
        </div>
        {move || error.get().map(|e| view! { <p class="error" data-testid="report-error">{e}</p> })}
    }
}

/// Writes the report of `run` (the model in use) and offers it as a download.
fn download_report(
    state: Workflow,
    views: ActionViews,
    run: &Arc<ModelRun>,
    dataset: &Dataset,
    file_name: &str,
    target: &str,
) -> Result<(), String> {
    let (Ok(curve), Some(Ok(rows))) = (views.profit.get_untracked(), views.actions.get_untracked())
    else {
        return Err(
            "Score every customer first, and fix any error above: the report shows the action list."
                .to_string(),
        );
    };
    let list = state.runs.get_untracked();
    let chosen = list
        .iter()
        .position(|r| Arc::ptr_eq(r, run))
        .unwrap_or(state.chosen.get_untracked());
    let generated = js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default();
    let html = html_report(&ReportInput {
        file_name,
        generated: &generated,
        dataset,
        target,
        runs: &list,
        chosen,
        threshold: state.threshold.get_untracked(),
        cuts: views.cuts.get_untracked(),
        tiers: &views.tiers.get_untracked(),
        inputs: &state.actions.inputs.get_untracked(),
        profit: &curve,
        playbook: &state.actions.playbook.get_untracked(),
        actions: &rows,
    });
    html.map_err(|e| e.to_string()).and_then(|html| {
        download(
            html.as_bytes(),
            &download_name("churn-report", file_name, &today(), "html"),
            "text/html",
        )
    })
}
