//! Reading: from the bytes of a CSV export or a workbook to a typed [`crate::dataset::Dataset`].

pub mod cells;
pub mod chunks;
pub mod decode;
pub mod excel;
pub mod hash;
pub mod ingest;
mod parts;
pub mod sample;
pub mod scan;
pub mod totals;
