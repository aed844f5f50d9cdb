//! The threshold slider: as it moves, the confusion matrix, precision, recall, F1 and the
//! number of customers flagged update at once (each move is a binary search over the
//! sorted test scores), with buttons for the F1-optimal threshold and a target recall.

use std::sync::Arc;

use leptos::prelude::*;

use super::metrics::ConfusionTable;
use churnscope_engine::evaluating::curves::RankedScores;
use churnscope_engine::evaluating::evaluation::ModelRun;
use churnscope_engine::evaluating::metrics::ConfusionMatrix;
use churnscope_engine::modelling::threshold::{choose_threshold, ThresholdRule};

/// The slider and what it changes, for the model in use.
#[component]
pub fn ThresholdPanel(
    /// The model in use.
    run: Arc<ModelRun>,
    /// The threshold the page's charts mark; the slider sets it.
    threshold: RwSignal<f64>,
) -> impl IntoView {
    let ranked = match RankedScores::new(&run.test_labels, &run.test_scores) {
        Ok(r) => Arc::new(r),
        Err(e) => {
            return view! { <p class="error" data-testid="threshold-error">{e.to_string()}</p> }
                .into_any()
        }
    };
    let n = ranked.len();
    let confusion = Memo::new(move |_| ranked.confusion_at(threshold.get()));
    view! {
        <div class="threshold-panel" data-testid="threshold-panel">
            <label class="slider">
                "Flag customers whose churn probability is at least "
                <strong data-testid="threshold-value">{move || format!("{:.3}", threshold.get())}</strong>
                <input
                    type="range"
                    min="0"
                    max="1"
                    step="0.001"
                    data-testid="threshold-slider"
                    aria-label="Threshold"
                    prop:value=move || threshold.get().to_string()
                    on:input=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                            threshold.set(v.clamp(0.0, 1.0));
                        }
                    }
                />
            </label>
            <ThresholdButtons run threshold />
            <div class="threshold-grid">
                <ConfusionTable
                    confusion=confusion
                    caption="Test customers at this threshold"
                    table="slider-confusion"
                    prefix="slider"
                />
                <SliderMetrics confusion n />
            </div>
            <p class="how-to-read">
                "How to read this: lowering the threshold contacts more customers, catching more churners (recall up) \
                 but wasting more offers on customers who would have stayed (precision down). The churners in the \
                 test set never change, so caught plus missed churners always add up to the same number."
            </p>
        </div>
    }
    .into_any()
}

/// Jumps to the F1-optimal threshold, to one catching a share of churners, or back to the
/// model's own; says why a jump is impossible.
#[component]
fn ThresholdButtons(run: Arc<ModelRun>, threshold: RwSignal<f64>) -> impl IntoView {
    let (message, set_message) = signal(None::<String>);
    let (target_recall, set_target_recall) = signal(80.0f64);
    let model_threshold = run.outcome.pipeline.threshold;
    let jump = move |rule: ThresholdRule| match choose_threshold(
        &run.test_labels,
        &run.test_scores,
        &rule,
    ) {
        Ok(choice) => {
            set_message.set(None);
            threshold.set(choice.threshold);
        }
        Err(e) => set_message.set(Some(e.to_string())),
    };
    let jump_f1 = jump.clone();
    view! {
        <div class="threshold-buttons">
            <button class="button small" data-testid="threshold-f1" on:click=move |_| jump_f1(ThresholdRule::MaxF1)>
                "Best F1"
            </button>
            <label>
                "Catch at least "
                <input
                    type="number"
                    min="1"
                    max="100"
                    step="1"
                    data-testid="target-recall"
                    prop:value=move || target_recall.get().to_string()
                    on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                            set_target_recall.set(v);
                        }
                    }
                />
                "% of churners "
            </label>
            <button
                class="button small"
                data-testid="threshold-recall"
                on:click=move |_| jump(ThresholdRule::TargetRecall(target_recall.get_untracked() / 100.0))
            >
                "Go"
            </button>
            <button
                class="button small"
                data-testid="threshold-reset"
                on:click=move |_| threshold.set(model_threshold)
            >
                {format!("Model's threshold ({model_threshold:.3})")}
            </button>
        </div>
        {move || message.get().map(|m| view! { <p class="error" data-testid="threshold-message">{m}</p> })}
    }
}

/// Customers flagged, precision, recall and F1 at the slider's threshold, with what each
/// means.
#[component]
fn SliderMetrics(
    confusion: Memo<ConfusionMatrix>,
    /// Number of test customers.
    n: usize,
) -> impl IntoView {
    view! {
        <table class="metrics">
            <tbody>
                <tr>
                    <th scope="row">"Customers flagged"</th>
                    <td class="num" data-testid="slider-flagged">
                        {move || {
                            let c = confusion.get();
                            c.true_positive + c.false_positive
                        }}
                    </td>
                    <td class="help">
                        {move || {
                            let c = confusion.get();
                            let flagged = c.true_positive + c.false_positive;
                            format!("{:.1}% of the {n} test customers: the people you would contact.", 100.0 * flagged as f64 / n.max(1) as f64)
                        }}
                    </td>
                </tr>
                <tr>
                    <th scope="row">"Precision"</th>
                    <td class="num" data-testid="slider-precision">{move || format!("{:.4}", confusion.get().precision())}</td>
                    <td class="help">"Of those contacted, the share who would really have churned: the rest get an offer they did not need."</td>
                </tr>
                <tr>
                    <th scope="row">"Recall"</th>
                    <td class="num" data-testid="slider-recall">{move || format!("{:.4}", confusion.get().recall())}</td>
                    <td class="help">"Of all churners, the share you reach: the rest leave without a word from you."</td>
                </tr>
                <tr>
                    <th scope="row">"F1"</th>
                    <td class="num" data-testid="slider-f1">{move || format!("{:.4}", confusion.get().f1_score())}</td>
                    <td class="help">"One number balancing the two; the Best F1 button finds its peak."</td>
                </tr>
            </tbody>
        </table>
    }
}
