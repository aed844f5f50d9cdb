//! Browser entry point: install the panic hook and mount the app, nothing else.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    churnscope::ui::mount();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("churnscope-app is the browser app: build it with `trunk build` (see README.md).");
    std::process::exit(2);
}
