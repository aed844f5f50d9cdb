//! Writing a command's result to standard output, as text for people or JSON for programs.

pub mod act;
pub mod compare;
pub mod drift;
pub mod orders;
pub mod profile;
pub mod score;
pub mod train;

use crate::error::CliError;

/// Writes `value` as pretty JSON, one document.
fn json(value: &serde_json::Value) -> Result<(), CliError> {
    out!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Writes the sample CSV to `out`, or to standard output.
pub fn sample(csv: &str, out: Option<&str>) -> Result<(), CliError> {
    match out {
        Some(path) => std::fs::write(path, csv).map_err(|source| CliError::Io {
            path: path.to_string(),
            source,
        }),
        None => {
            out_raw!("{csv}");
            Ok(())
        }
    }
}
