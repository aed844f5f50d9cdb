//! Acting: from scores to the retention work a merchant does, and the files they download.

pub mod actions;
pub mod export;
pub mod sql;
