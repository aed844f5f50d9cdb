//! Step 1, choosing data: a file picker, a drop zone and the built-in sample. The file is
//! handed to the background reader as it is (a browser `Blob`); the page never copies it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::{DragEvent, HtmlInputElement};

use send_wrapper::SendWrapper;
use web_sys::Blob;

use super::browser::{fetch_blob, memory_available};
use super::job::{Job, JobStatus};
use super::state::Workflow;
use super::tasks::{self, Source};
use churnscope_engine::reading::ingest::{check_fits, ReadOptions};

/// File name of the built-in sample dataset, served next to the app.
pub const SAMPLE_FILE: &str = "sample_customers.csv";

/// Where the user picks a CSV or Excel file (button or drag-and-drop) or the sample
/// dataset; the controls wait while a job runs.
#[component]
pub fn UploadPanel() -> impl IntoView {
    let (state, job) = (Workflow::get(), JobStatus::get());
    let busy = job.busy();
    let (dragging, set_dragging) = signal(false);
    let on_change = move |ev: leptos::ev::Event| {
        let input: HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            read_chosen(state, job, file);
        }
        // Clearing lets the same file be chosen again after the user fixes it.
        input.set_value("");
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        set_dragging.set(false);
        let files = ev.data_transfer().and_then(|d| d.files());
        if let Some(file) = files.and_then(|f| f.get(0)) {
            read_chosen(state, job, file);
        }
    };
    view! {
        <section class="panel upload" aria-labelledby="upload-title">
            <h2 id="upload-title">"1. Your customer data"</h2>
            <div
                class="dropzone"
                class:dragging=move || dragging.get()
                data-testid="dropzone"
                on:dragover=move |ev: DragEvent| {
                    ev.prevent_default();
                    set_dragging.set(true);
                }
                on:dragleave=move |_| set_dragging.set(false)
                on:drop=on_drop
            >
                <p>"Drop a CSV or Excel export here, or"</p>
                <label class="button primary">
                    "Choose a file"
                    <input
                        type="file"
                        accept=".csv,.tsv,.txt,.xlsx,.xls,.xlsb,.ods,text/csv"
                        class="visually-hidden"
                        data-testid="file-input"
                        prop:disabled=move || busy.get()
                        on:change=on_change
                    />
                </label>
                <button
                    class="button"
                    data-testid="sample-button"
                    prop:disabled=move || busy.get()
                    on:click=move |_| read_sample(state, job)
                >
                    "Try the sample dataset"
                </button>
                <p class="hint">
                    "The file is read by this page only. Nothing is uploaded anywhere."
                </p>
            </div>
        </section>
    }
}

/// Reads a file the user chose or dropped, unless it cannot fit in this tab's memory:
/// loading it would crash the tab, so it is refused before reading.
fn read_chosen(state: Workflow, job: JobStatus, file: web_sys::File) {
    if let Err(e) = check_fits(file.size() as u64, memory_available()) {
        job.refuse(format!("{}: {e}", file.name()));
        return;
    }
    let blob: Blob = file.clone().into();
    read_new(state, job, file.name(), blob);
}

/// Fetches the sample dataset from this site and reads it.
fn read_sample(state: Workflow, job: JobStatus) {
    job.prepare(Job::Reading);
    spawn_local(async move {
        match fetch_blob(SAMPLE_FILE).await {
            Ok(blob) => read_new(state, job, SAMPLE_FILE.to_string(), blob),
            Err(e) => job.refuse(e),
        }
    });
}

/// Reads a new file with the options detected.
fn read_new(state: Workflow, job: JobStatus, name: String, file: Blob) {
    let source = Source {
        name,
        file: SendWrapper::new(file),
        options: ReadOptions::default(),
    };
    tasks::read(state, job, source, None);
}
