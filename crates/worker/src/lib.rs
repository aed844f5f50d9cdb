//! What travels between churnscope's page and its background worker, and the worker
//! itself (`src/bin/worker.rs`).
//!
//! [`jobs`] holds the requests and events as plain serde values, [`monitor`] those of a
//! saved model (its file, checking a new export, retraining); `buffers` (wasm32) turns a
//! table's columns into typed arrays that are transferred rather than serialised. The page
//! and the worker both depend on this crate; neither Leptos nor plotters is in its tree.

#[cfg(target_arch = "wasm32")]
pub mod buffers;
pub mod jobs;
pub mod monitor;
pub mod orders;
pub mod pool;
