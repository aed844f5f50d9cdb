//! Small bridges to browser APIs that the components share.

use gloo_timers::callback::Timeout;
use leptos::prelude::window;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Today's date (UTC) as `YYYY-MM-DD`, for the names of downloaded files.
pub fn today() -> String {
    let iso = js_sys::Date::new_0().to_iso_string().as_string();
    iso.and_then(|s| s.get(..10).map(str::to_string))
        .unwrap_or_else(|| "today".to_string())
}

/// Milliseconds on the page's clock.
pub fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

/// The file at a URL of this site (relative URLs stay on the page's own origin), as a
/// `Blob` for the background reader.
pub async fn fetch_blob(url: &str) -> Result<web_sys::Blob, String> {
    let response = JsFuture::from(window().fetch_with_str(url))
        .await
        .map_err(|e| format!("could not load {url}: {e:?}"))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| format!("could not load {url}: not a response"))?;
    if !response.ok() {
        return Err(format!("could not load {url}: HTTP {}", response.status()));
    }
    let blob = response
        .blob()
        .map_err(|e| format!("could not read {url}: {e:?}"))?;
    JsFuture::from(blob)
        .await
        .map_err(|e| format!("could not read {url}: {e:?}"))?
        .dyn_into()
        .map_err(|_| format!("could not read {url}: not a file"))
}

/// Memory this tab can give a file read, in bytes: what wasm32 can still address (4 GiB in
/// all) and, where the browser tells (`navigator.deviceMemory`, in GiB), half the device's
/// memory. A `?max-file-mb=N` query parameter lowers it further, so a host (or a test) can
/// set a smaller limit.
pub fn memory_available() -> u64 {
    const GIB: u64 = 1 << 30;
    let used = wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0, |b| b.byte_length() as u64);
    let mut limit = (4 * GIB).saturating_sub(used);
    let navigator = window().navigator();
    if let Ok(gib) = js_sys::Reflect::get(&navigator, &"deviceMemory".into()) {
        if let Some(gib) = gib.as_f64() {
            limit = limit.min((gib * GIB as f64 / 2.0) as u64);
        }
    }
    if let Some(mb) = query_param("max-file-mb").and_then(|v| v.parse::<u64>().ok()) {
        limit = limit.min(mb * 1_000_000);
    }
    limit
}

/// Background workers for a job whose parts each need `bytes_each` bytes of worker memory:
/// one per core the browser reports (`navigator.hardwareConcurrency`), within a quarter of
/// the device's memory (`navigator.deviceMemory`, see [`churnscope_worker::pool`]), at most
/// `?workers=N` when the URL says so (a host or a test can keep the pool small).
pub fn pool_workers(bytes_each: u64) -> usize {
    let navigator = window().navigator();
    let cores = navigator.hardware_concurrency();
    let cores = if cores.is_finite() && cores >= 1.0 {
        cores as usize
    } else {
        1
    };
    let device = js_sys::Reflect::get(&navigator, &"deviceMemory".into())
        .ok()
        .and_then(|g| g.as_f64());
    let cap = query_param("workers").and_then(|v| v.parse::<usize>().ok());
    churnscope_worker::pool::workers_for(
        cores,
        cap,
        bytes_each,
        churnscope_worker::pool::budget_bytes(device),
    )
}

/// The value of `name` in the page URL's query (`?name=value&...`), undecoded.
pub fn query_param(name: &str) -> Option<String> {
    let search = window().location().search().unwrap_or_default();
    let prefix = format!("{name}=");
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix(prefix.as_str()).map(str::to_string))
}

/// Offers `bytes` to the user as a downloaded file called `name`: a `Blob` of type `mime`
/// behind a temporary object URL, clicked through a hidden link. Nothing leaves the page:
/// the browser saves the bytes it already holds.
pub fn download(bytes: &[u8], name: &str, mime: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|e| format!("the browser could not prepare {name}: {e:?}"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|e| format!("the browser could not prepare {name}: {e:?}"))?;
    let document = window()
        .document()
        .ok_or_else(|| "the page has no document".to_string())?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| format!("{e:?}"))?
        .dyn_into()
        .map_err(|_| "not a link".to_string())?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // Give the browser time to start the download before the URL goes.
    Timeout::new(60_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}
