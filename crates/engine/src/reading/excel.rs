//! Reading spreadsheet workbooks (.xlsx, .xls, .xlsb, .ods) with calamine.
//!
//! The chosen sheet's used range is turned into delimited text, one cell per field, and read
//! by the same typed reader as a CSV ([`crate::reading::ingest`]), so numbers, dates, missing markers
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
    #[error(
        "the workbook is damaged: {part} says its cells run from {dimension}, which runs backwards"
    )]
    ReversedDimension { part: String, dimension: String },
    #[error("the workbook is damaged: {part} has a cell at {cell}, outside a spreadsheet's 1,048,576 rows and 16,384 columns")]
    CellOutOfRange { part: String, cell: String },
    #[error("{part} spans {} cells from its first used cell to its last; churnscope reads at most {} (delete stray cells far from the table, or save it as CSV)", crate::dataset::group_thousands(*.cells as usize), crate::dataset::group_thousands(*.limit as usize))]
    TooManyCells {
        part: String,
        cells: u64,
        limit: u64,
    },
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
        Data::Float(f) => crate::dataset::format_number(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            match (h, mi, s) {
                (0, 0, 0) => format!("{y:04}-{mo:02}-{d:02}"),
                _ => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
            }
        }
        Data::DateTime(dt) => crate::dataset::format_number(dt.as_f64()),
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
        None => workbook
            .sheets
            .first()
            .cloned()
            .ok_or(ExcelError::NoSheets)?,
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
            open_workbook_auto_from_rs(Cursor::new(bytes))
                .map_err(|e| ExcelError::Open(e.to_string()))
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

/// Excel's own sheet size: 1,048,576 rows by 16,384 columns (XFD).
const MAX_SHEET_ROWS: u64 = 1 << 20;
const MAX_SHEET_COLUMNS: u64 = 1 << 14;

/// Most cells (the rectangle from the first used cell to the last) a sheet may span.
/// calamine holds that rectangle densely at 32 bytes a cell, so a sheet with one cell in A1
/// and one in XFD1048576 would ask for 550 GB; 50,000,000 cells (1.6 GB) is a million
/// customers by fifty columns, more than a browser tab can hold anyway.
pub const MAX_SHEET_CELLS: u64 = 50_000_000;

/// Refuses an .xlsx whose worksheets calamine 0.38 would mis-read in a way no error or
/// caught panic can contain, before it sees the file:
///
/// - a declared used range that runs backwards (`B2:A1`): calamine subtracts its ends, which
///   panics with overflow checks on (the dev profile) and wraps without them (release);
/// - a cell reference beyond Excel's 1,048,576 rows or 16,384 columns: calamine parses the
///   row in a `u32` that overflows (a panic in dev, a wrapped row in release), and
/// - cells spanning more than [`MAX_SHEET_CELLS`]: calamine allocates the whole rectangle,
///   and a failed allocation aborts the process instead of unwinding.
///
/// tests/fuzz.rs found all three (the last two only in the `native` profile). Checking here
/// gives the same clear error in every build profile. It inflates each worksheet once more
/// and scans it for `r="..."`; other containers (.xls, .xlsb, .ods) pass unchecked.
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
        check_worksheet(file, &part)?;
    }
    Ok(())
}

/// Scans one worksheet part in chunks. A damaged part (a bad checksum, say) is calamine's
/// to report; what did inflate is still checked, as calamine would read it.
fn check_worksheet(mut part_reader: impl Read, part: &str) -> Result<()> {
    const PATTERN: &[u8] = b" r=\"";
    let mut bounds = Bounds::default();
    let mut buffer: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 1 << 16];
    let mut dimension_checked = false;
    loop {
        let n = part_reader.read(&mut chunk).unwrap_or(0);
        let done = n == 0;
        buffer.extend_from_slice(&chunk[..n]);
        if !dimension_checked && (buffer.len() >= 1 << 16 || done) {
            dimension_checked = true;
            if let Some(dimension) = declared_dimension(&buffer) {
                if is_reversed(&dimension) {
                    return Err(ExcelError::ReversedDimension {
                        part: part.to_string(),
                        dimension,
                    });
                }
            }
        }
        // Every complete `r="..."` in the buffer; an incomplete one waits for more text.
        let mut keep_from = buffer.len().saturating_sub(PATTERN.len() - 1);
        let mut at = 0;
        while let Some(found) = find(&buffer[at..], PATTERN) {
            let value_start = at + found + PATTERN.len();
            let Some(len) = buffer[value_start..].iter().position(|&b| b == b'"') else {
                keep_from = at + found;
                break;
            };
            let value = &buffer[value_start..value_start + len];
            bounds.take(value, part)?;
            at = value_start + len + 1;
            keep_from = keep_from.max(at);
        }
        if done {
            break;
        }
        // The head stays until the `<dimension>` has been looked for in it.
        if dimension_checked {
            buffer.drain(..keep_from.min(buffer.len()));
        }
    }
    let cells = bounds.cells();
    if cells > MAX_SHEET_CELLS {
        return Err(ExcelError::TooManyCells {
            part: part.to_string(),
            cells,
            limit: MAX_SHEET_CELLS,
        });
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The rectangle spanned by the cells seen so far (1-based rows and columns).
#[derive(Default)]
struct Bounds {
    rows: Option<(u64, u64)>,
    columns: Option<(u64, u64)>,
}

impl Bounds {
    /// Takes a row number (`<row r="12">`) or a cell reference (`<c r="B12">`) of the
    /// workbook's `part`; an error quoting the reference when it lies outside an Excel sheet.
    fn take(&mut self, value: &[u8], part: &str) -> Result<()> {
        let text = || ExcelError::CellOutOfRange {
            part: part.to_string(),
            cell: String::from_utf8_lossy(&value[..value.len().min(40)]).into_owned(),
        };
        let letters = value.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let (col, row) = value.split_at(letters);
        if !row.iter().all(u8::is_ascii_digit) {
            return Ok(()); // not a reference; calamine says what it makes of it
        }
        let row = row
            .iter()
            .try_fold(0u64, |acc, &b| {
                acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
            })
            .filter(|&r| r <= MAX_SHEET_ROWS)
            .ok_or_else(text)?;
        if row > 0 {
            widen(&mut self.rows, row);
        }
        if !col.is_empty() {
            let col = col
                .iter()
                .try_fold(0u64, |acc, &b| {
                    acc.checked_mul(26)?
                        .checked_add(u64::from(b.to_ascii_uppercase() - b'A') + 1)
                })
                .filter(|&c| c <= MAX_SHEET_COLUMNS)
                .ok_or_else(text)?;
            widen(&mut self.columns, col);
        }
        Ok(())
    }

    fn cells(&self) -> u64 {
        let span = |b: Option<(u64, u64)>| b.map_or(0, |(lo, hi)| hi - lo + 1);
        span(self.rows) * span(self.columns)
    }
}

fn widen(bounds: &mut Option<(u64, u64)>, x: u64) {
    *bounds = Some(match *bounds {
        Some((lo, hi)) => (lo.min(x), hi.max(x)),
        None => (x, x),
    });
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
    fn cells_outside_a_sheet_or_spanning_too_much_are_refused() {
        let sheet = |cells: &str| {
            format!(
                r#"<worksheet><dimension ref="A1"/><sheetData><row r="1">{cells}</row></sheetData></worksheet>"#
            )
        };
        let ok = sheet(
            r#"<c r="A1"><v>1</v></c><c r="XFD1048576"/>"#.replace("XFD1048576", "C3").as_str(),
        );
        assert_eq!(check_worksheet(ok.as_bytes(), "s"), Ok(()));
        // Row 4,294,967,297 wraps to 1 in a u32.
        let wrapped = sheet(r#"<c r="A4294967297"><v>1</v></c>"#);
        assert!(matches!(
            check_worksheet(wrapped.as_bytes(), "s"),
            Err(ExcelError::CellOutOfRange { cell, .. }) if cell == "A4294967297"
        ));
        let wide = sheet(r#"<c r="XFE1"/>"#);
        assert!(matches!(
            check_worksheet(wide.as_bytes(), "s"),
            Err(ExcelError::CellOutOfRange { .. })
        ));
        // 1,048,576 rows by 16,384 columns: 17,179,869,184 cells.
        let corners = sheet(r#"<c r="A1"/><c r="XFD1048576"/>"#);
        assert!(matches!(
            check_worksheet(corners.as_bytes(), "s"),
            Err(ExcelError::TooManyCells {
                cells: 17_179_869_184,
                ..
            })
        ));
    }

    #[test]
    fn a_reference_split_across_chunks_is_read_whole() {
        // Pad so that `r="A2000000"` straddles the 64 KB chunk boundary.
        let pad = " ".repeat((1 << 16) - 40);
        let xml = format!(
            r#"<worksheet><sheetData>{pad}<row r="1"><c r="A2000000"/></row></sheetData></worksheet>"#
        );
        assert!(matches!(
            check_worksheet(xml.as_bytes(), "s"),
            Err(ExcelError::CellOutOfRange { .. })
        ));
    }

    #[test]
    fn finds_the_dimension_before_the_cells_only() {
        let xml = br#"<worksheet><dimension ref="A1:C5"/><sheetData><dimension ref="B2:A1"/>"#;
        assert_eq!(declared_dimension(xml).as_deref(), Some("A1:C5"));
        assert_eq!(declared_dimension(b"<worksheet><sheetData/>"), None);
    }
}
