//! The Leptos single-page app: the only place with signals and DOM.
//!
//! Components are small and one per file; [`app::App`] owns the state of the workflow
//! (loaded table, chosen target, training outcome, the current error) and passes read
//! signals and callbacks down. All computing is done by the engine crate (`churnscope_engine`).

pub mod action_list;
pub mod actions;
pub mod app;
pub mod browser;
pub mod chart_canvas;
pub mod columns;
pub mod compare;
pub mod metrics;
pub mod panic;
pub mod playbook;
pub mod privacy;
pub mod profile;
pub mod results;
pub mod target;
pub mod threshold_panel;
pub mod train_form;
pub mod upload;
pub mod worker;

/// Mounts the app on `<body>`.
pub fn mount() {
    leptos::mount::mount_to_body(app::App);
}
