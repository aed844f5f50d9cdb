//! One module a command: `run` takes the parsed arguments, runs the engine and returns what
//! it found, for [`crate::print`] to write.

pub mod act;
pub mod compare;
pub mod drift;
pub mod orders;
pub mod profile;
pub mod sample;
pub mod score;
pub mod split_orders;
pub mod sql;
pub mod train;
