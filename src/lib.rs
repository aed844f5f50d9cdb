//! churnscope: a churn early-warning workbench that runs entirely in the browser.
//!
//! The crate is split by boundary, not by feature:
//! - [`engine`] is pure Rust (no browser crates): ingest, preprocessing, models, metrics.
//!   The page, the command line and the tests all call it.
//! - [`charts`] draws with plotters on any backend: a canvas in the app, SVG in tests and reports.
//! - [`report`] writes a whole analysis as one self-contained HTML document.
//! - `buffers` (wasm32) turns a table's values into typed arrays for page-worker messages.
//! - `ui` (wasm32, feature `ui`) holds the Leptos components, the only place with signals
//!   and DOM.

#[cfg(target_arch = "wasm32")]
pub mod buffers;
pub mod charts;
pub mod engine;
pub mod report;

#[cfg(all(target_arch = "wasm32", feature = "ui"))]
pub mod ui;
