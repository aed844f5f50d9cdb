//! The engine: everything churnscope computes, as plain functions over plain values.
//!
//! It takes bytes and returns serde values, never touches the DOM or the clock, and so runs
//! unchanged in the page, in the command line and in native tests. Modules follow the
//! workflow: [`decode`] turns bytes into text, [`cells`] reads numbers, dates and missing
//! markers, [`excel`] opens workbooks, [`ingest`] reads a CSV export or a sheet into a typed [`dataset::Dataset`] (leaving out a
//! spreadsheet's "Total" row, [`totals`]), [`target`]
//! finds the churn column, [`split`] holds out a test set, [`prep`] turns columns into a
//! feature matrix, [`models`] fit a classifier, [`metrics`] judge it, [`calibration`] and [`threshold`] turn its
//! scores into calibrated probabilities and a flagging rule, and [`pipeline`] ties
//! those steps into one fitted, serialisable value. [`sample`] generates the built-in
//! demonstration dataset.

pub mod actions;
pub mod calibration;
pub mod cells;
pub mod checks;
pub mod clean;
pub mod curves;
pub mod dataset;
pub mod decode;
pub mod evaluation;
pub mod excel;
pub mod explain;
pub mod export;
pub mod ingest;
pub mod jobs;
pub mod metrics;
pub mod models;
pub mod pipeline;
pub mod prep;
pub mod profile;
pub mod rng;
#[cfg(test)]
mod safety_tests;
pub mod sample;
pub mod scan;
pub mod split;
pub mod target;
pub mod threshold;
pub mod totals;
pub mod tuning;
