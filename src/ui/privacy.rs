//! The Privacy panel: what is stored where, in plain words, and "Forget everything".
//!
//! The page keeps the customer file only in this tab's memory. The one thing it saves in
//! the browser is a copy of the app itself (a service worker and its cache), so it opens
//! offline, and the models the user saved to "My models"; "Forget everything" removes both
//! and clears this site's storage.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Clears this site's local and session storage, deletes its caches and unregisters its
/// service workers. Returns what was removed, in words.
async fn forget_everything() -> Result<String, String> {
    let w = window();
    let mut storage_items = 0u32;
    for storage in [w.local_storage(), w.session_storage()]
        .into_iter()
        .filter_map(|s| s.ok().flatten())
    {
        storage_items += storage.length().unwrap_or(0);
        storage
            .clear()
            .map_err(|e| format!("could not clear the storage: {e:?}"))?;
    }
    let models_removed = super::model_store::forget().await?;
    let mut caches_removed = 0u32;
    if let Ok(caches) = w.caches() {
        let keys = JsFuture::from(caches.keys())
            .await
            .map_err(|e| format!("could not list the caches: {e:?}"))?;
        for key in js_sys::Array::from(&keys).iter() {
            if let Some(name) = key.as_string() {
                JsFuture::from(caches.delete(&name))
                    .await
                    .map_err(|e| format!("could not delete the cache {name}: {e:?}"))?;
                caches_removed += 1;
            }
        }
    }
    let mut workers_removed = 0u32;
    let navigator = w.navigator();
    if js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
        let registrations = JsFuture::from(navigator.service_worker().get_registrations())
            .await
            .map_err(|e| format!("could not list the service workers: {e:?}"))?;
        for registration in js_sys::Array::from(&registrations).iter() {
            if let Ok(r) = registration.dyn_into::<web_sys::ServiceWorkerRegistration>() {
                if let Ok(p) = r.unregister() {
                    let _ = JsFuture::from(p).await;
                    workers_removed += 1;
                }
            }
        }
    }
    Ok(format!(
        "Done: {models_removed} saved model(s), {storage_items} stored item(s), {caches_removed} \
         cached copy(ies) of the app and {workers_removed} service worker(s) removed. The table you loaded was never stored; it \
         lives in this tab's memory until you close the tab."
    ))
}

/// What the app keeps where, and the button that removes it.
#[component]
pub fn PrivacyPanel() -> impl IntoView {
    let (result, set_result) = signal(None::<Result<String, String>>);
    let (working, set_working) = signal(false);
    let monitor = use_context::<super::monitor::MonitorState>();
    let forget = move |_| {
        set_working.set(true);
        spawn_local(async move {
            let r = forget_everything().await;
            set_result.set(Some(r));
            if let Some(monitor) = monitor {
                monitor.refresh();
            }
            set_working.set(false);
        });
    };
    view! {
        <details class="panel privacy" data-testid="privacy-panel">
            <summary><h2>"Privacy: what stays where"</h2></summary>
            <ul>
                <li>"Your file is read and every model trained by this page, in your browser. Nothing of it is sent \
                     anywhere: the page may only contact the site it came from (its Content-Security-Policy \
                     forbids any other address), and only to load the app's own files."</li>
                <li>"The table, the models and the results live in this tab's memory only. Closing or reloading the \
                     tab forgets them."</li>
                <li>"The browser keeps a copy of the app itself (not of your data), so it opens and works without a \
                     network after the first visit."</li>
                <li>"Models you save with “Save to My models” are kept in this browser's storage (IndexedDB), \
                     and nothing else: no cookies, no local storage, no tracking. A model file holds the model \
                     and summaries of the training data (counts, quantiles), never a customer's row."</li>
            </ul>
            <button
                class="button"
                data-testid="forget-everything"
                prop:disabled=working
                on:click=forget
            >
                "Forget everything"
            </button>
            {move || {
                result
                    .get()
                    .map(|r| match r {
                        Ok(m) => view! { <p class="notice" data-testid="forget-result">{m}</p> }.into_any(),
                        Err(e) => view! { <p class="error" data-testid="forget-result">{e}</p> }.into_any(),
                    })
            }}
        </details>
    }
}
