//! Step 2, once a table is loaded: its columns (kinds and read options changeable), the
//! profile of the column the user selected, warnings worth a look, and then the training
//! step.

use std::sync::Arc;

use leptos::prelude::*;

use super::columns::{ColumnTable, ReadControls};
use super::job::JobStatus;
use super::orders::OrdersStep;
use super::profile::ProfilePanel;
use super::state::{Loaded, Workflow};
use super::tasks::{self, Source};
use super::train_step::TrainStep;
use churnscope_engine::dataset::ColumnKind;
use churnscope_engine::reading::ingest::ReadOptions;
use churnscope_engine::understanding::checks::{check, DataWarning};
use churnscope_engine::understanding::clean::{apply_merges, suggest_merges};
use churnscope_engine::understanding::profile::profile_column;
use churnscope_engine::understanding::target::{detect_target, Target};

/// The loaded table's steps; nothing before a file is read.
#[component]
pub fn DataStep() -> impl IntoView {
    let state = Workflow::get();
    // The column whose profile is shown; kept when the file is read again.
    let selected = RwSignal::new(None::<String>);
    move || {
        state.loaded.get().map(|loaded| {
            // An order log shows its step; the customers derived from it train as usual.
            let from = state.orders.get();
            let raw_log = loaded.orders.is_some() && from.is_none();
            let log = match from {
                Some(o) => Some(o.log.clone()),
                None => raw_log.then(|| loaded.clone()),
            };
            view! {
                <TableOverview loaded=loaded.clone() selected />
                <ColumnProfile selected />
                {log.map(|log| view! { <OrdersStep log /> })}
                {(!raw_log).then(|| view! {
                    <DataWarnings loaded target=state.target />
                    <TrainStep />
                })}
            }
        })
    }
}

/// The table's columns and how the file was read, both changeable.
#[component]
fn TableOverview(
    /// The table read last.
    loaded: Arc<Loaded>,
    /// Set to a column's name when the user asks for its profile.
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let (state, job) = (Workflow::get(), JobStatus::get());
    let on_select = Callback::new(move |column: String| selected.set(Some(column)));
    let on_kind = Callback::new(move |(column, kind): (String, ColumnKind)| {
        change_kind(state, job, &column, kind)
    });
    let on_read_options = Callback::new(move |options: ReadOptions| {
        if let Some(l) = state.loaded.get() {
            let source = Source {
                name: l.name.clone(),
                file: l.source.clone(),
                options,
            };
            tasks::read(state, job, source, state.target.get_untracked());
        }
    });
    let l = loaded;
    view! {
        <ColumnTable
            name=l.name.clone()
            rows=l.dataset.n_rows
            columns=l.summary.clone()
            parse_ms=l.parse_ms
            info=l.info.clone()
            on_kind
            on_select
        >
            <ReadControls info=l.info.clone() options=l.options.clone() on_change=on_read_options />
        </ColumnTable>
    }
}

/// Gives `column` another kind; the target stays if it is still a two-valued column,
/// otherwise one is proposed again.
fn change_kind(state: Workflow, job: JobStatus, column: &str, kind: ColumnKind) {
    let Some(l) = state.loaded.get() else { return };
    let next = l.with_column(column, |c| c.kind = kind);
    let keep = state.target.with(|t| {
        t.as_ref()
            .is_some_and(|t| t.column != column || next.candidates.contains(&t.column))
    });
    if !keep {
        state
            .target
            .set(detect_target(&next.dataset).ok().flatten());
    }
    job.clear_error();
    state.replace_table(next);
}

/// The profile of the selected column, with the levels it suggests merging.
#[component]
fn ColumnProfile(
    /// The selected column.
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let (state, job) = (Workflow::get(), JobStatus::get());
    let profile = Memo::new(move |_| {
        let name = selected.get()?;
        let l = state.loaded.get()?;
        let column = l.dataset.column(&name)?;
        Some((
            state
                .target
                .with(|t| profile_column(&l.dataset, column, t.as_ref())),
            suggest_merges(column),
        ))
    });
    let on_merge = Callback::new(move |merges: Vec<(String, String)>| {
        let (Some(l), Some(column)) = (state.loaded.get(), selected.get()) else {
            return;
        };
        job.clear_error();
        state.replace_table(l.with_column(&column, |c| *c = apply_merges(c, &merges)));
    });
    move || {
        profile
            .get()
            .map(|(profile, suggestions)| view! { <ProfilePanel profile suggestions on_merge /> })
    }
}

/// Warnings about the loaded table for the chosen target (leakage, identifiers, duplicates,
/// a rare class), recomputed when the target changes.
#[component]
fn DataWarnings(
    /// The table to check.
    loaded: Arc<Loaded>,
    /// The chosen target, if any.
    target: RwSignal<Option<Target>>,
) -> impl IntoView {
    let warnings = Memo::new(move |_| {
        target.with(|t| {
            let first = loaded
                .first_warnings
                .as_ref()
                .filter(|(proposed, _)| proposed == t)
                .map(|(_, w)| w.clone());
            first.unwrap_or_else(|| check(&loaded.dataset, t.as_ref()))
        })
    });
    let (state, job) = (Workflow::get(), JobStatus::get());
    move || {
        let list = warnings.get();
        (!list.is_empty()).then(|| {
            view! {
                <section class="panel warnings" aria-labelledby="warnings-title" data-testid="warnings">
                    <h2 id="warnings-title">"Worth a look before training"</h2>
                    <ul>
                        {list
                            .into_iter()
                            .map(|w| {
                                // A left-out text column is one click from being a feature.
                                let include = match &w {
                                    DataWarning::LeftOutText { column, .. } => Some(column.clone()),
                                    _ => None,
                                };
                                let button = include.map(|column| {
                                    let name = column.clone();
                                    view! {
                                        " "
                                        <button
                                            class="button small"
                                            data-testid="include-column"
                                            data-column=column.clone()
                                            on:click=move |_| {
                                                change_kind(state, job, &name, ColumnKind::Categorical)
                                            }
                                        >
                                            {format!("Include '{column}' as a category")}
                                        </button>
                                    }
                                });
                                view! { <li data-testid="data-warning">{w.message()}{button}</li> }
                            })
                            .collect_view()}
                    </ul>
                </section>
            }
        })
    }
}
