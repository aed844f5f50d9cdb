//! The app: provides the workflow's state and the job status to the steps and lays them
//! out, one step under the other.

use leptos::prelude::*;

use super::data_step::DataStep;
use super::job::{JobStatus, StatusLine};
use super::monitor::{MonitorState, MonitorStep};
use super::privacy::PrivacyPanel;
use super::results::ResultsStep;
use super::state::Workflow;
use super::tasks;
use super::upload::UploadPanel;

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let (state, job) = (Workflow::new(), JobStatus::new());
    provide_context(state);
    provide_context(job);
    provide_context(MonitorState::new());
    let on_cancel = Callback::new(move |()| tasks::cancel(state, job));
    view! {
        <header class="top">
            <h1>"churnscope"</h1>
            <p class="tagline">
                "Churn early warning for online shops, computed entirely in your browser."
            </p>
        </header>
        <main>
            <UploadPanel />
            <StatusLine on_cancel />
            {move || {
                state.bench_fit.get().map(|b| view! { <p class="hint" data-testid="bench-fit">{b}</p> })
            }}
            <DataStep />
            <ResultsStep />
            <MonitorStep />
            <PrivacyPanel />
        </main>
        <footer>
            "No data leaves this page: the file is read and the model trained by WebAssembly in your browser."
        </footer>
    }
}
