//! Choosing data: a file picker, a drop zone and the built-in sample.

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::{DragEvent, HtmlInputElement};

use send_wrapper::SendWrapper;
use web_sys::Blob;

use super::browser::{fetch_blob, memory_available};
use churnscope_engine::reading::ingest::check_fits;

/// File name of the built-in sample dataset, served next to the app.
pub const SAMPLE_FILE: &str = "sample_customers.csv";

/// Where the user picks a CSV (button or drag-and-drop) or the sample dataset.
/// `on_load(name, file)` receives the file (a browser `Blob`, read later by the worker);
/// `on_error` a message for the user.
#[component]
pub fn UploadPanel(
    /// Called with the file name and the file.
    on_load: Callback<(String, SendWrapper<Blob>)>,
    /// Called with a message when the browser cannot read the file.
    on_error: Callback<String>,
    /// Called when fetching the sample starts.
    on_reading: Callback<()>,
    /// True while a file is being read or a model trained; disables the controls.
    busy: Signal<bool>,
) -> impl IntoView {
    let (dragging, set_dragging) = signal(false);
    let read_file = move |file: web_sys::File| {
        // Refuse before reading: loading a file that cannot fit would crash the tab.
        if let Err(e) = check_fits(file.size() as u64, memory_available()) {
            on_error.run(format!("{}: {e}", file.name()));
            return;
        }
        let blob: Blob = file.clone().into();
        on_load.run((file.name(), SendWrapper::new(blob)));
    };
    let on_change = move |ev: leptos::ev::Event| {
        let input: HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            read_file(file);
        }
        // Clearing lets the same file be chosen again after the user fixes it.
        input.set_value("");
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        set_dragging.set(false);
        if let Some(file) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            read_file(file);
        }
    };
    let load_sample = move |_| {
        on_reading.run(());
        spawn_local(async move {
            match fetch_blob(SAMPLE_FILE).await {
                Ok(blob) => on_load.run((SAMPLE_FILE.to_string(), SendWrapper::new(blob))),
                Err(e) => on_error.run(e),
            }
        });
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
                    on:click=load_sample
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
