//! `churnscope sample`: the built-in synthetic dataset.

use churnscope_engine::reading::sample::{generate_csv, SampleSpec};

use crate::args::SampleArgs;

/// The sample as CSV text.
pub fn run(args: &SampleArgs) -> String {
    generate_csv(&SampleSpec {
        customers: args.rows,
        seed: args.seed,
    })
}
