//! The browser app: install the panic hook and mount the Leptos page, nothing else.
//!
//! The page ([`ui`]) is the only place with signals and DOM; everything it computes comes
//! from the engine (`churnscope-engine`), its charts from `churnscope-charts`, and its long
//! jobs run in the worker (`churnscope-worker`).

#[cfg(target_arch = "wasm32")]
mod ui;

#[cfg(target_arch = "wasm32")]
fn main() {
    ui::panic::install();
    ui::mount();
    ui::panic::panic_if_asked();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("churnscope-app is the browser app: build it with `trunk build` (see README.md).");
    std::process::exit(2);
}
