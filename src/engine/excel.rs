//! Reading spreadsheet workbooks (.xlsx, .xls, .xlsb, .ods) with calamine.
//!
//! The chosen sheet's used range is turned into delimited text, one cell per field, and read
//! by the same typed reader as a CSV ([`super::ingest`]), so numbers, dates, missing markers
//! and column kinds are inferred exactly as for a CSV export. Spreadsheet dates become ISO
//! text (`2024-01-02 18:30`), booleans `TRUE`/`FALSE`, error cells (`#N/A`, `#DIV/0!`) blanks.

use std::io::Cursor;

use std::io::Read;
use std::panic::AssertUnwindSafe;

use calamine::{open_workbook_auto_from_rs, Data, Reader, Sheets};

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
    #[error("the workbook is damaged: {part} says its cells run from {dimension}, which runs backwards")]
    ReversedDimension { part: String, dimension: String },
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
    /// The sheet row (0-based) of the text's first line, so line `n` of the text is row
    /// `first_row + n` of the sheet as a spreadsheet numbers it.
    pub first_row: u32,
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
    let mut workbook = Workbook::open(bytes)?;
    let name = match sheet {
        Some(s) => s.to_string(),
        None => workbook.sheets.first().cloned().ok_or(ExcelError::NoSheets)?,
    };
    workbook.sheet_text(&name)
}

/// An open workbook whose sheets can be read one by one (to choose among them).
pub struct Workbook<'a> {
    inner: Sheets<Cursor<&'a [u8]>>,
    /// Every sheet's name, in workbook order.
    pub sheets: Vec<String>,
}

impl<'a> Workbook<'a> {
    /// Opens the workbook in `bytes`, refusing a damaged sheet dimension first.
    pub fn open(bytes: &'a [u8]) -> Result<Self> {
        check_dimensions(bytes)?;
        let inner = catch(|| {
            open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| ExcelError::Open(e.to_string()))
        })?;
        let sheets = inner.sheet_names();
        if sheets.is_empty() {
            return Err(ExcelError::NoSheets);
        }
        Ok(Workbook { inner, sheets })
    }

    /// The sheet `name` as tab-separated text.
    pub fn sheet_text(&mut self, name: &str) -> Result<SheetText> {
        if !self.sheets.iter().any(|n| n == name) {
            return Err(ExcelError::UnknownSheet {
                name: name.to_string(),
                sheets: self.sheets.clone(),
            });
        }
        let inner = &mut self.inner;
        let range = catch(AssertUnwindSafe(|| {
            inner.worksheet_range(name).map_err(|e| ExcelError::Sheet {
                sheet: name.to_string(),
                message: e.to_string(),
            })
        }))?;
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
            sheet: name.to_string(),
            sheets: self.sheets.clone(),
            first_row: range.start().map_or(0, |(row, _)| row),
        })
    }
}

/// Runs a calamine call, turning a panic into an error.
///
/// calamine can panic on a damaged file; where panics unwind (tests, the CLI) that becomes
/// an error. The one such panic found so far (a reversed sheet dimension, see
/// [`check_dimensions`]) is refused before calamine sees the file, in every build profile.
fn catch<T>(f: impl FnOnce() -> Result<T> + std::panic::UnwindSafe) -> Result<T> {
    std::panic::catch_unwind(f).unwrap_or_else(|_| {
        Err(ExcelError::Open(
            "the file is damaged (the spreadsheet reader gave up on it)".to_string(),
        ))
    })
}

/// How much of a worksheet's XML is searched for its `<dimension>`; the element comes
/// before the cells, right after the sheet's properties and views.
const DIMENSION_SEARCH: u64 = 1 << 16;

/// Refuses an .xlsx whose worksheet declares a used range that runs backwards (`B2:A1`).
///
/// calamine 0.38 subtracts the two ends of that range: with overflow checks on (the dev
/// profile) it panics, without them (the release profiles) the subtraction wraps and the
/// read goes on with a nonsense size. tests/fuzz.rs found it; checking here makes the answer
/// the same clear error whatever the build profile. Other containers pass unchecked.
pub fn check_dimensions(bytes: &[u8]) -> Result<()> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return Ok(());
    }
    // A zip that does not open is left to calamine, which says why.
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    for i in 0..zip.len() {
        let Ok(file) = zip.by_index(i) else { continue };
        let part = file.name().map(|n| n.to_string()).unwrap_or_default();
        if !(part.starts_with("xl/worksheets/") && part.ends_with(".xml")) {
            continue;
        }
        let mut head = Vec::new();
        // A damaged part (a bad checksum, say) is calamine's to report; what did decompress
        // is still looked at, as calamine would read it.
        let _ = file.take(DIMENSION_SEARCH).read_to_end(&mut head);
        if let Some(dimension) = declared_dimension(&head) {
            if is_reversed(&dimension) {
                return Err(ExcelError::ReversedDimension { part, dimension });
            }
        }
    }
    Ok(())
}

/// The `ref` of the first `<dimension>` element before the cells, if any.
fn declared_dimension(xml: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(xml);
    let end = text.find("<sheetData").unwrap_or(text.len());
    let text = &text[..end];
    let at = text.find("<dimension")?;
    let element = &text[at..];
    let element = &element[..element.find('>').unwrap_or(element.len())];
    let attr = element.find("ref=")?;
    let rest = &element[attr + 4..];
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    Some(rest[..rest.find(quote)?].to_string())
}

/// True when a range such as `B2:A1` ends above or left of where it starts.
fn is_reversed(range: &str) -> bool {
    let mut ends = range.split(':').map(cell_position);
    match (ends.next(), ends.next(), ends.next()) {
        (Some(Some((r0, c0))), Some(Some((r1, c1))), None) => r1 < r0 || c1 < c0,
        _ => false, // malformed ranges are calamine's to reject
    }
}

/// (row, column) of a cell reference like `$AB$12`; `None` when it is not one.
fn cell_position(cell: &str) -> Option<(u64, u64)> {
    let cell = cell.replace('$', "");
    let letters = cell.bytes().take_while(u8::is_ascii_alphabetic).count();
    let (col, row) = cell.split_at(letters);
    if col.is_empty() || row.is_empty() || !row.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let col = col.bytes().try_fold(0u64, |acc, b| {
        acc.checked_mul(26)?
            .checked_add(u64::from(b.to_ascii_uppercase() - b'A') + 1)
    })?;
    Some((row.parse().ok()?, col))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reversed_ranges_are_recognised() {
        assert!(is_reversed("B2:A1"));
        assert!(is_reversed("A2:B1"));
        assert!(is_reversed("B1:A2"));
        assert!(!is_reversed("A1:B2"));
        assert!(!is_reversed("A1"));
        assert!(!is_reversed("$A$1:$AB$10"));
        assert!(is_reversed("AB1:Z10"));
        assert!(!is_reversed("nonsense"));
        assert!(!is_reversed("A1:B2:C3"));
    }

    #[test]
    fn finds_the_dimension_before_the_cells_only() {
        let xml = br#"<worksheet><dimension ref="A1:C5"/><sheetData><dimension ref="B2:A1"/>"#;
        assert_eq!(declared_dimension(xml).as_deref(), Some("A1:C5"));
        assert_eq!(declared_dimension(b"<worksheet><sheetData/>"), None);
    }
}
