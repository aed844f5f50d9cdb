//! Modelling: from a table and its churn column to a fitted, serialisable pipeline.

pub mod calibration;
pub mod config;
pub mod models;
pub mod pipeline;
pub mod preprocessing;
pub mod split;
pub mod threshold;
pub mod training;
pub mod tuning;
