//! Evaluating: how good a fitted model is, and why it scores a customer as it does.

pub mod curves;
pub mod evaluation;
pub mod explain_parts;
pub mod explanations;
pub mod metrics;
