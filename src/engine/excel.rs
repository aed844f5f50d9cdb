//! Reading spreadsheet workbooks (.xlsx, .xls, .xlsb, .ods) with calamine.
//!
//! The chosen sheet's used range is turned into delimited text, one cell per field, and read
//! by the same typed reader as a CSV ([`super::ingest`]), so numbers, dates, missing markers
//! and column kinds are inferred exactly as for a CSV export. Spreadsheet dates become ISO
//! text (`2024-01-02 18:30`), booleans `TRUE`/`FALSE`, error cells (`#N/A`, `#DIV/0!`) blanks.

use std::io::Cursor;

use calamine::{open_workbook_auto_from_rs, Data, Reader};

/// Why a workbook could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ExcelError {
    #[error("the workbook could not be opened: {0}")]
    Open(String),
    #[error("the workbook has no sheets")]
    NoSheets,
    #[error("there is no sheet named '{name}' (the sheets are {sheets:?})")]
    UnknownSheet { name: String, sheets: Vec<String> },
    #[error("sheet '{sheet}' could not be read: {message}")]
    Sheet { sheet: String, message: String },
}

pub type Result<T> = std::result::Result<T, ExcelError>;

/// True when the bytes look like a workbook: a zip container (xlsx, xlsb, ods) or the OLE2
/// compound file of a legacy .xls.
pub fn is_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// A sheet as tab-separated text ready for the CSV reader, plus every sheet's name.
pub struct SheetText {
    pub text: String,
    pub sheet: String,
    pub sheets: Vec<String>,
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => super::dataset::format_number(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            match (h, mi, s) {
                (0, 0, 0) => format!("{y:04}-{mo:02}-{d:02}"),
                _ => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
            }
        }
        Data::DateTime(dt) => super::dataset::format_number(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
    }
}

/// Quotes a field for the tab-separated text when it holds a tab, a quote or a line break.
fn push_field(out: &mut String, field: &str) {
    if field.contains(['\t', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// Reads `sheet` (the first one when `None`) of the workbook in `bytes`.
pub fn sheet_text(bytes: &[u8], sheet: Option<&str>) -> Result<SheetText> {
    // calamine can panic on a damaged file (0.38 subtracts the ends of a reversed sheet
    // dimension such as `B2:A1` with overflow checks on; tests/fuzz.rs found it); where
    // panics unwind (tests, the CLI) that becomes an error. Builds with `panic = "abort"`
    // have overflow checks off, where that subtraction wraps instead.
    std::panic::catch_unwind(|| read_sheet(bytes, sheet)).unwrap_or_else(|_| {
        Err(ExcelError::Open(
            "the file is damaged (the spreadsheet reader gave up on it)".to_string(),
        ))
    })
}

fn read_sheet(bytes: &[u8], sheet: Option<&str>) -> Result<SheetText> {
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| ExcelError::Open(e.to_string()))?;
    let sheets = workbook.sheet_names();
    let name = match sheet {
        Some(s) if sheets.iter().any(|n| n == s) => s.to_string(),
        Some(s) => {
            return Err(ExcelError::UnknownSheet {
                name: s.to_string(),
                sheets,
            })
        }
        None => sheets.first().cloned().ok_or(ExcelError::NoSheets)?,
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| ExcelError::Sheet {
            sheet: name.clone(),
            message: e.to_string(),
        })?;
    let mut text = String::new();
    for row in range.rows() {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                text.push('\t');
            }
            push_field(&mut text, &cell_text(cell));
        }
        text.push('\n');
    }
    Ok(SheetText {
        text,
        sheet: name,
        sheets,
    })
}
