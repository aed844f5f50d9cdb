//! `churnscope`: the command line over the same engine the page runs.
//!
//! For files too big for a browser tab and for automation. Each command is parse, run,
//! print: [`args`] declares the grammar (clap) and [`values`] reads option values, a module of
//! [`commands`] runs the engine and returns what it found, and [`print`] writes that as text or
//! JSON. Human wording of errors lives here, at the edge ([`error`]); the engine returns typed
//! errors.

/// `println!` that ends the program quietly when standard output is closed (piped into
/// `head`, say) instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// `print!` with the same care.
macro_rules! out_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if write!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod args;
mod commands;
mod error;
mod input;
mod print;
mod progress;
mod values;

use std::error::Error as _;
use std::ffi::OsString;

use clap::error::ErrorKind;
use clap::Parser;

use crate::args::{Cli, Command};
use crate::error::{CliError, ValueError};

fn main() {
    std::process::exit(run(std::env::args_os()));
}

/// Runs the command line `args` (the program's name first) and returns the exit code: 0 on
/// success, 1 when the command fails or an option's value is wrong, 2 for a usage error.
fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return parse_failure(&e),
    };
    churnscope_engine::parallel::set_threads(cli.threads);
    match execute(cli.command) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("churnscope: {e}");
            1
        }
    }
}

/// Prints what clap stopped at and returns the exit code: help and version are not failures;
/// a wrong option value is reported like any failed command (exit 1); the rest are usage
/// errors (exit 2).
fn parse_failure(e: &clap::Error) -> i32 {
    if let Some(value) = e.source().and_then(|s| s.downcast_ref::<ValueError>()) {
        eprintln!("churnscope: {value}");
        return 1;
    }
    // Nothing more can be said when even the usage cannot be printed.
    let _ = e.print();
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => 0,
        _ => 2,
    }
}

/// Runs one command and prints its result.
fn execute(command: Command) -> Result<(), CliError> {
    match command {
        Command::Profile(args) => {
            let profile = commands::profile::run(&args)?;
            print::profile::print(&profile, args.input.format)
        }
        Command::Train(args) => {
            let training = commands::train::run(&args)?;
            print::train::print(&training, args.input.format)
        }
        Command::Compare(args) => {
            let comparison = commands::compare::run(&args)?;
            print::compare::print(&comparison, args.input.format)
        }
        Command::Act(args) => {
            let campaign = commands::act::run(&args)?;
            print::act::print(&campaign, args.input.format)
        }
        Command::Score(args) => {
            let scoring = commands::score::run(&args)?;
            print::score::print(&scoring, args.input.format)
        }
        Command::Drift(args) => {
            let drift = commands::drift::run(&args)?;
            print::drift::print(&drift, args.input.format)
        }
        Command::Orders(args) => {
            let orders = commands::orders::run(&args)?;
            print::orders::print(&orders, args.input.format)
        }
        Command::Sample(args) => print::sample(&commands::sample::run(&args), args.out.as_deref()),
        Command::Sql(args) => print::sample(&commands::sql::run(&args)?, args.out.as_deref()),
    }
}
