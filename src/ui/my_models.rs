//! The "My models" list: the models kept in this browser, with open, rename and delete.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::model_store::{self, SavedModel};
use super::monitor::MonitorState;
use churnscope_engine::dataset::group_thousands;
use churnscope_engine::monitoring::model_file::ModelFile;

/// Opens the kept model `entry`.
fn open_saved(monitor: MonitorState, entry: SavedModel) {
    spawn_local(async move {
        let result = model_store::load(entry.id).await.and_then(|text| {
            ModelFile::from_json(&text).map_err(|e| format!("My models, “{}”: {e}", entry.name))
        });
        match result {
            Ok(file) => {
                monitor
                    .notice
                    .set(Some(format!("Opened “{}” from My models.", entry.name)));
                monitor.open_model(entry.name.clone(), Some(entry), file);
            }
            Err(e) => monitor.error.set(Some(e)),
        }
    });
}

fn rename(monitor: MonitorState, entry: SavedModel, name: String) {
    let name = name.trim().to_string();
    if name.is_empty() {
        monitor
            .error
            .set(Some("A model's name cannot be empty.".into()));
        return;
    }
    spawn_local(async move {
        match model_store::rename(&entry, &name).await {
            Ok(()) => monitor.refresh(),
            Err(e) => monitor.error.set(Some(e)),
        }
    });
}

fn delete(monitor: MonitorState, entry: SavedModel) {
    spawn_local(async move {
        match model_store::delete(entry.id).await {
            Ok(()) => {
                monitor
                    .notice
                    .set(Some(format!("Deleted “{}” from My models.", entry.name)));
                monitor.refresh();
            }
            Err(e) => monitor.error.set(Some(e)),
        }
    });
}

/// The list.
#[component]
pub fn MyModels() -> impl IntoView {
    let monitor = MonitorState::get();
    view! {
        <details class="my-models" data-testid="my-models" open>
            <summary>
                <h3>{move || format!("My models ({})", monitor.saved.with(Vec::len))}</h3>
            </summary>
            <p class="hint">
                "Kept in this browser only, and only when you press “Save to My models”. “Forget everything” \
                 (Privacy, below) deletes them."
            </p>
            {move || {
                let list = monitor.saved.get();
                if list.is_empty() {
                    return view! { <p class="hint" data-testid="my-models-empty">"No saved models yet."</p> }
                        .into_any();
                }
                view! {
                    <table class="my-models-table" data-testid="my-models-table">
                        <thead><tr>
                            <th scope="col">"Name"</th><th scope="col">"Model"</th><th scope="col">"Trained on"</th>
                            <th scope="col" class="num">"ROC AUC"</th><th scope="col">"Saved"</th><th scope="col">""</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().rev().map(|entry| view! { <SavedRow entry /> }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </details>
    }
}

#[component]
fn SavedRow(entry: SavedModel) -> impl IntoView {
    let monitor = MonitorState::get();
    let editing = RwSignal::new(false);
    // Deleting asks once more: a kept model cannot be brought back.
    let confirming = RwSignal::new(false);
    let draft = RwSignal::new(entry.name.clone());
    let saved_at = entry
        .saved_at
        .get(..16)
        .unwrap_or(&entry.saved_at)
        .replace('T', " ");
    let dataset = format!("{} ({} rows)", entry.dataset, group_thousands(entry.rows));
    let version = entry
        .retrained_from
        .map(|_| " (retrained)".to_string())
        .unwrap_or_default();
    let (for_open, for_rename, for_delete) = (entry.clone(), entry.clone(), entry.clone());
    view! {
        <tr data-testid="saved-model" data-id=entry.id.to_string()>
            <td>
                {move || if editing.get() {
                    let e = for_rename.clone();
                    view! {
                        <input type="text" data-testid="rename-input" prop:value=draft
                            on:input=move |ev| draft.set(event_target_value(&ev)) />
                        <button class="button small" data-testid="rename-confirm"
                            on:click=move |_| { editing.set(false); rename(monitor, e.clone(), draft.get_untracked()); }>
                            "Keep name"
                        </button>
                    }.into_any()
                } else {
                    view! { <span data-testid="saved-model-name">{entry.name.clone()}</span>{version.clone()} }.into_any()
                }}
            </td>
            <td>{entry.kind.clone()}</td>
            <td>{dataset}</td>
            <td class="num">{format!("{:.3}", entry.roc_auc)}</td>
            <td>{saved_at}</td>
            <td class="row-buttons">
                <button class="button small" data-testid="open-saved"
                    on:click=move |_| open_saved(monitor, for_open.clone())>"Open"</button>
                <button class="button small" data-testid="rename-saved"
                    on:click=move |_| editing.set(true)>"Rename"</button>
                <button class="button small" data-testid="delete-saved"
                    on:click=move |_| {
                        if confirming.get_untracked() {
                            delete(monitor, for_delete.clone());
                        } else {
                            confirming.set(true);
                        }
                    }>
                    {move || if confirming.get() { "Really delete?" } else { "Delete" }}
                </button>
            </td>
        </tr>
    }
}
