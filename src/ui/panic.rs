//! What a user sees if the page itself panics (the engine's long work runs in the worker,
//! whose failures the page already reports while keeping its data).
//!
//! The release build aborts on a panic, so the page's WebAssembly cannot go on; the hook
//! first logs the panic to the console and puts a plain message at the top of the page,
//! saying what happened, that no data left the browser, and that reloading starts afresh.

use wasm_bindgen::JsCast;

/// Installs the hook.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show(&info.to_string());
    }));
}

/// Puts the message on the page (text only: the panic message is never parsed as HTML).
fn show(detail: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(div) = document.create_element("div") else {
        return;
    };
    let _ = div.set_attribute("role", "alert");
    let _ = div.set_attribute("class", "panic");
    let _ = div.set_attribute("data-testid", "panic-message");
    div.set_text_content(Some(&format!(
        "Something went wrong inside churnscope and this page stopped working. Your file never \
         left this browser. Reload the page to start again (the file is not kept). Please report \
         what you did and this detail: {detail}"
    )));
    if let Some(body) = document.body() {
        let _ = body.prepend_with_node_1(div.unchecked_ref());
    }
    // Leave a way to check the hook from a test.
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w, &"__churnscopePanicked".into(), &true.into());
    }
}

/// With `?panic-test=1` in the page URL, panics right after the app has started: the e2e
/// test's way to see the hook at work in the built site.
pub fn panic_if_asked() {
    if super::browser::query_param("panic-test").as_deref() == Some("1") {
        gloo_timers::callback::Timeout::new(100, || {
            panic!("a test panic asked for by ?panic-test=1")
        })
        .forget();
    }
}
