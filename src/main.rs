//! Browser entry point: install the panic hook and mount the app, nothing else.

#[cfg(target_arch = "wasm32")]
fn main() {
    churnscope::ui::panic::install();
    churnscope::ui::mount();
    churnscope::ui::panic::panic_if_asked();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("churnscope-app is the browser app: build it with `trunk build` (see README.md).");
    std::process::exit(2);
}
