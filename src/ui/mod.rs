//! The Leptos single-page app: the only place with signals and DOM.
//!
//! [`app::App`] provides the state of the workflow ([`state::Workflow`]: the loaded table,
//! the chosen target, the training outcome) and the status of the long jobs
//! ([`job::JobStatus`]: what runs, its progress, the current error) through context; each
//! step component reads them, and [`tasks`] starts the jobs in the background worker. All
//! computing is done by the engine crate (`churnscope_engine`).

pub mod action_list;
pub mod actions;
pub mod app;
pub mod browser;
pub mod chart_canvas;
pub mod columns;
pub mod compare;
pub mod data_step;
pub mod drift_view;
pub mod explanations;
pub mod job;
pub mod metrics;
pub mod model_store;
pub mod monitor;
pub mod my_models;
pub mod orders;
pub mod panic;
pub mod playbook;
pub mod privacy;
pub mod profile;
pub mod profit;
pub mod results;
pub mod retrain_view;
pub mod sql_export;
pub mod state;
pub mod target;
pub mod tasks;
pub mod threshold_panel;
pub mod tiers;
pub mod train_form;
pub mod train_step;
pub mod upload;
pub mod worker;

/// Mounts the app on `<body>`.
pub fn mount() {
    leptos::mount::mount_to_body(app::App);
}
