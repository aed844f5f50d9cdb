//! Choosing the churn column and which of its values means "churned".

use leptos::prelude::*;

use churnscope_engine::understanding::target::Target;

/// Target and positive-value pickers. Only two-valued columns are offered.
#[component]
pub fn TargetPicker(
    /// Names of the columns with exactly two values.
    candidates: Signal<Vec<String>>,
    /// The current target, if any.
    target: Signal<Option<Target>>,
    /// Called with (column, positive value); `None` asks for the proposed positive value.
    on_change: Callback<(String, Option<String>)>,
    /// True while a file is read or a model trained; the pickers wait.
    busy: Signal<bool>,
) -> impl IntoView {
    let column = move || target.with(|t| t.as_ref().map(|t| t.column.clone()));
    view! {
        <div class="field-row">
            <label>
                "Churn column "
                <select
                    data-testid="target-select"
                    prop:disabled=move || busy.get()
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        if !value.is_empty() {
                            on_change.run((value, None));
                        }
                    }
                >
                    <option value="" prop:selected=move || column().is_none()>
                        "— choose —"
                    </option>
                    {move || {
                        let current = column();
                        candidates
                            .get()
                            .into_iter()
                            .map(|name| {
                                let selected = current.as_deref() == Some(name.as_str());
                                view! {
                                    <option value=name.clone() prop:selected=selected>
                                        {name.clone()}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
            </label>
            <PositiveSelect target on_change busy />
        </div>
    }
}

/// Which value of the target column means churned (the proposed one first).
#[component]
fn PositiveSelect(
    target: Signal<Option<Target>>,
    on_change: Callback<(String, Option<String>)>,
    busy: Signal<bool>,
) -> impl IntoView {
    let column = move || target.with(|t| t.as_ref().map(|t| t.column.clone()));
    let values = move || {
        target.with(|t| {
            t.as_ref()
                .map(|t| vec![t.positive.clone(), t.negative.clone()])
                .unwrap_or_default()
        })
    };
    view! {
        <label>
            "Churned means "
            <select
                data-testid="positive-select"
                prop:disabled=move || column().is_none() || busy.get()
                on:change=move |ev| {
                    if let Some(col) = column() {
                        on_change.run((col, Some(event_target_value(&ev))));
                    }
                }
            >
                {move || {
                    values()
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| {
                            view! {
                                <option value=v.clone() prop:selected=i == 0>
                                    {v.clone()}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
        </label>
    }
}
