//! Understanding: what a table holds before any model is trained.

pub mod checks;
pub mod clean;
pub mod profile;
pub mod target;
