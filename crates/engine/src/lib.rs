//! The churnscope engine: everything churnscope computes, as plain functions over plain
//! values.
//!
//! It takes bytes and returns serde values, never touches the DOM or the clock, and so runs
//! unchanged in the page's worker, in the command line and in native tests. Its
//! dependencies hold no browser crate and no drawing crate, so the compiler keeps it pure.
//!
//! The folders follow the merchant's workflow, in order:
//!
//! 1. [`reading`]: bytes to a typed [`dataset::Dataset`]: text encodings ([`reading::decode`]),
//!    the CSV scanner ([`reading::scan`]), numbers, dates and missing markers
//!    ([`reading::cells`]), workbooks ([`reading::excel`]), the whole read
//!    ([`reading::ingest`]), a spreadsheet's "Total" rows ([`reading::totals`]) and the
//!    built-in sample ([`reading::sample`]).
//! 2. [`understanding`]: what the table holds before any model: column profiles
//!    ([`understanding::profile`]), data warnings ([`understanding::checks`]), cleaning
//!    ([`understanding::clean`]) and the churn column ([`understanding::target`]).
//! 3. [`modelling`]: from a table to a fitted, serialisable pipeline: the held-out split
//!    ([`modelling::split`]), features ([`modelling::preprocessing`]), the classifiers
//!    ([`modelling::models`]), the pipeline value ([`modelling::pipeline`]), fitting it
//!    ([`modelling::training`]), the hyperparameter search ([`modelling::tuning`]),
//!    probabilities ([`modelling::calibration`]) and the flagging rule
//!    ([`modelling::threshold`]).
//! 4. [`evaluating`]: how good a model is and why it says what it says: metrics
//!    ([`evaluating::metrics`]), curves ([`evaluating::curves`]), a whole plan of models run
//!    and judged ([`evaluating::evaluation`]) and explanations
//!    ([`evaluating::explanations`]).
//! 5. [`acting`]: from scores to retention work: the action list and playbook
//!    ([`acting::actions`]) and the CSV, Excel and JSON downloads ([`acting::export`]).
//! 6. [`monitoring`]: keeping a saved model honest: the training data in aggregates
//!    ([`monitoring::reference`]), the model file ([`monitoring::model_file`]), a new
//!    export's columns matched to the model's ([`monitoring::scoring`]) and drift between
//!    them ([`monitoring::drift`]).
//!
//! Shared by every stage: the table ([`dataset`]), the feature matrix ([`matrix`]), the
//! seeded random numbers ([`rng`]) and a long step's progress ([`progress`]).
//!
//! New features go in the stage they belong to: order logs get a folder of their own beside
//! these, SQL export goes with [`acting`].

pub mod acting;
pub mod dataset;
pub mod evaluating;
pub mod matrix;
pub mod modelling;
pub mod monitoring;
pub mod orders;
pub mod parallel;
pub mod progress;
pub mod reading;
pub mod rng;
pub mod understanding;

#[cfg(test)]
mod safety_tests;
