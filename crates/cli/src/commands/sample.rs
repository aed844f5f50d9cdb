//! `churnscope sample`: the built-in synthetic dataset, or a seeded order log.

use churnscope_engine::orders::generate::{generate_log, LogSpec};
use churnscope_engine::reading::sample::{generate_csv, SampleSpec};

use crate::args::SampleArgs;

/// The sample (or the order log) as CSV text.
pub fn run(args: &SampleArgs) -> String {
    if args.orders {
        return generate_log(&LogSpec {
            customers: args.rows,
            seed: args.seed,
            max_lines: args.lines,
            ..LogSpec::default()
        })
        .csv;
    }
    generate_csv(&SampleSpec {
        customers: args.rows,
        seed: args.seed,
    })
}
