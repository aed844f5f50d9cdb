//! Small bridges to browser APIs that the components share.

use leptos::prelude::window;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Milliseconds since the page started (high resolution).
pub fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

/// Waits `ms` milliseconds, letting the browser paint (so a "Working…" status shows before a
/// long synchronous step starts).
pub async fn pause(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

/// The bytes of a user-chosen file.
pub async fn file_bytes(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| format!("the browser could not read the file: {e:?}"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The bytes at a URL of this site (relative URLs stay on the page's own origin).
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let response = JsFuture::from(window().fetch_with_str(url))
        .await
        .map_err(|e| format!("could not load {url}: {e:?}"))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| format!("could not load {url}: not a response"))?;
    if !response.ok() {
        return Err(format!("could not load {url}: HTTP {}", response.status()));
    }
    let buffer = response
        .array_buffer()
        .map_err(|e| format!("could not read {url}: {e:?}"))?;
    let buffer = JsFuture::from(buffer)
        .await
        .map_err(|e| format!("could not read {url}: {e:?}"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
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
    let search = window().location().search().unwrap_or_default();
    if let Some(mb) = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("max-file-mb="))
        .and_then(|v| v.parse::<u64>().ok())
    {
        limit = limit.min(mb * 1_000_000);
    }
    limit
}
