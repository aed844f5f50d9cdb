//! Writing a table (the merchant's action list) as CSV or as an Excel `.xlsx` workbook.
//!
//! The CSV neutralises spreadsheet formula injection (OWASP, "CSV Injection"): a spreadsheet
//! opening a CSV guesses what each field is and runs `=HYPERLINK("http://x","y")` as a
//! formula, so a text cell or column name that starts with `=`, `+`, `-`, `@`, tab or
//! carriage return gets a leading apostrophe there. The workbook needs no such escape and
//! writes text exactly as it is: its text cells are inline strings (`t="inlineStr"`,
//! ECMA-376 Part 1, 18.3.1.4), which a spreadsheet shows as text and never evaluates (only a
//! cell's `<f>` element is a formula), so a customer id `=1+1` or a phone number
//! `+44 20 7946 0958` still matches the shop's records. In both, number cells are written as
//! numbers and never escaped, so `-12.5` stays a number; a non-finite number becomes an
//! empty cell.
//!
//! The CSV is UTF-8 with a byte-order mark (without it Excel reads UTF-8 as the local code
//! page and garbles accents and Chinese), comma-separated, with CRLF line ends and the
//! quoting of RFC 4180 ("Common Format and MIME Type for CSV Files", section 2).
//!
//! The workbook is a small SpreadsheetML package (ECMA-376 Part 1, section 18; Part 2 for
//! the package): one worksheet of inline strings and numbers, a bold, frozen header row with
//! an autofilter, column widths from the content, and a [`NumberFormat`] per column (four
//! decimals for probabilities, two for money) that changes only what is shown: the stored
//! value keeps its full precision. The zip container is written here (PKWARE `APPNOTE.TXT`
//! 6.3, sections 4.3.7, 4.3.12 and 4.3.16) with every entry deflated (method 8, RFC 1951,
//! by flate2), as spreadsheet programs write it; the sheet is deflated as it is produced, so
//! its XML is never held whole. Every entry carries the same 1980-01-01 timestamp and the
//! compressor is deterministic, so equal tables give byte-identical files.

use std::borrow::Cow;
use std::io::Write;

use crate::dataset::display_columns;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};

/// Why a table could not be written as a workbook.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error("the table has {rows} rows with its header; an Excel sheet holds at most {limit}")]
    TooManyRows { rows: usize, limit: usize },
    #[error("the table has {columns} columns; an Excel sheet holds at most {limit}")]
    TooManyColumns { columns: usize, limit: usize },
    #[error("the workbook would pass {bytes} bytes, more than a plain zip file can hold (4 GiB)")]
    TooLarge { bytes: u64 },
}

pub type Result<T> = std::result::Result<T, ExportError>;

/// Rows in an Excel worksheet, header included (Excel specifications and limits).
pub const MAX_XLSX_ROWS: usize = 1_048_576;
/// Columns in an Excel worksheet (Excel specifications and limits: column XFD).
pub const MAX_XLSX_COLUMNS: usize = 16_384;
/// Characters (UTF-16 units) in an Excel sheet name.
pub const MAX_SHEET_NAME: usize = 31;

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Cell {
    Text(String),
    /// Written as a number; NaN and infinities are written as an empty cell.
    Number(f64),
    Empty,
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Text(text.to_string())
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::Text(text)
    }
}

impl From<f64> for Cell {
    fn from(x: f64) -> Self {
        Cell::Number(x)
    }
}

/// How the workbook shows a column's numbers. Only the display changes: the cell keeps the
/// number in full, and the CSV writes every number in full.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberFormat {
    /// Excel's General format.
    #[default]
    General,
    /// Whole numbers in full (`0`), so a 12-digit customer id is not shown as
    /// `1.23457E+11`; a number with a fraction is shown as General.
    Integer,
    /// Four decimals (`0.0000`).
    Probability,
    /// Thousands separated, two decimals (`#,##0.00`).
    Money,
}

impl NumberFormat {
    /// The cell format (index into the styles' `cellXfs`) of `x` in a column of this format.
    fn style(self, x: f64) -> usize {
        match self {
            NumberFormat::Integer if x.fract() == 0.0 => 2,
            NumberFormat::Integer | NumberFormat::General => 0,
            NumberFormat::Probability => 3,
            NumberFormat::Money => 4,
        }
    }

    /// Characters `x` takes on screen in this format (for the column width).
    fn shown_len(self, x: f64) -> usize {
        match self {
            NumberFormat::Integer if x.fract() == 0.0 => format!("{x:.0}").len(),
            // General shows at most 11 characters, switching to scientific notation.
            NumberFormat::Integer | NumberFormat::General => {
                number_text(x).map_or(0, |t| t.len().min(11))
            }
            NumberFormat::Probability => format!("{x:.4}").len(),
            NumberFormat::Money => {
                let text = format!("{:.2}", x.abs());
                let int_digits = text.len() - 3;
                text.len() + (int_digits - 1) / 3 + usize::from(x < 0.0)
            }
        }
    }
}

/// A table to export: column names, rows of cells and how each column's numbers are shown
/// in the workbook (a column without a format is General). A row shorter than the header is
/// padded with empty cells; a longer one is written in full.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    #[serde(default)]
    pub formats: Vec<NumberFormat>,
}

impl Table {
    /// A whole table as it is: text cells as text (dates as `YYYY-MM-DD`), numbers as
    /// numbers, missing cells empty; for downloading a derived table.
    pub fn of_dataset(ds: &crate::dataset::Dataset) -> Self {
        use crate::dataset::{ColumnData, ColumnKind};
        let rows = (0..ds.n_rows)
            .map(|row| {
                ds.columns
                    .iter()
                    .map(|c| match (&c.data, c.kind) {
                        (ColumnData::Numeric(v), k) if k != ColumnKind::Date => {
                            Cell::Number(v[row])
                        }
                        _ => c.text(row).map_or(Cell::Empty, Cell::Text),
                    })
                    .collect()
            })
            .collect();
        Table {
            columns: ds.columns.iter().map(|c| c.name.clone()).collect(),
            rows,
            formats: Vec::new(),
        }
    }

    /// Fields per line: the header's, or the longest row's when that is longer.
    fn width(&self) -> usize {
        self.rows
            .iter()
            .map(Vec::len)
            .fold(self.columns.len(), usize::max)
    }

    /// The number format of column `index`.
    fn format(&self, index: usize) -> NumberFormat {
        self.formats.get(index).copied().unwrap_or_default()
    }
}

/// The text with a leading apostrophe when a spreadsheet would otherwise read it as a
/// formula: it starts with `=`, `+`, `-`, `@`, tab or carriage return (OWASP, "CSV
/// Injection"). Excel and LibreOffice show the apostrophe-led text as typed.
pub fn escape_formula(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// A finite number in Rust's shortest round-trip form (`0.1`, `-12.5`, `3`), `None` for NaN
/// and infinities.
fn number_text(x: f64) -> Option<String> {
    x.is_finite().then(|| format!("{x}"))
}

/// The table as UTF-8 CSV with a byte-order mark, commas and CRLF line ends (RFC 4180).
pub fn to_csv(table: &Table) -> Vec<u8> {
    let width = table.width();
    let mut out = String::from("\u{feff}");
    let header = table.columns.iter().map(|name| Cell::Text(name.clone()));
    push_csv_line(&mut out, &header.collect::<Vec<_>>(), width);
    for row in &table.rows {
        push_csv_line(&mut out, row, width);
    }
    out.into_bytes()
}

fn push_csv_line(out: &mut String, cells: &[Cell], width: usize) {
    for i in 0..width {
        if i > 0 {
            out.push(',');
        }
        match cells.get(i) {
            Some(Cell::Text(text)) => push_csv_field(out, &escape_formula(text)),
            Some(Cell::Number(x)) => {
                if let Some(text) = number_text(*x) {
                    out.push_str(&text);
                }
            }
            Some(Cell::Empty) | None => {}
        }
    }
    out.push_str("\r\n");
}

/// A field, quoted when it holds a comma, a quote or a line break, with its quotes doubled
/// (RFC 4180, section 2, rules 6 and 7).
fn push_csv_field(out: &mut String, text: &str) {
    if text.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// A sheet name Excel accepts: `[ ] : * ? / \` replaced by `_`, control characters
/// dropped, at most 31 characters, no apostrophe at either end, not the reserved
/// `History`; `Sheet1` when nothing is left.
pub fn sanitize_sheet_name(name: &str) -> String {
    let mut out = String::new();
    let mut units = 0;
    for c in name.chars() {
        let c = match c {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '_',
            c if c.is_control() || !is_xml_char(c) => continue,
            c => c,
        };
        if units + c.len_utf16() > MAX_SHEET_NAME {
            break;
        }
        units += c.len_utf16();
        out.push(c);
    }
    let name = out.trim_matches('\'');
    if name.trim().is_empty() {
        "Sheet1".to_string()
    } else if name.eq_ignore_ascii_case("history") {
        format!("{name}_")
    } else {
        name.to_string()
    }
}

/// True for the characters XML 1.0 allows in a document (its `Char` production); Rust's
/// `char` already excludes the surrogates.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
}

/// Text for XML content or an attribute value: `& < > "` as entities, carriage return as a
/// character reference (a parser would turn a literal one into a line feed), characters
/// XML 1.0 forbids dropped, and a literal `_xHHHH_` protected as `_x005F_xHHHH_`, since
/// SpreadsheetML reads `_xHHHH_` as an escaped character (ECMA-376 Part 1, 22.9.2.19
/// ST_Xstring).
fn push_xml_text(out: &mut String, text: &str) {
    for (i, c) in text.char_indices() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#xD;"),
            '_' if starts_xstring_escape(&text[i..]) => out.push_str("_x005F_"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
}

fn starts_xstring_escape(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 7 && b[1] == b'x' && b[2..6].iter().all(u8::is_ascii_hexdigit) && b[6] == b'_'
}

/// The spreadsheet name of a zero-based column: `A`, ..., `Z`, `AA`, ...
fn column_letters(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n";
const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

const CONTENT_TYPES: &str = "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>\
<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>\
</Types>";

const ROOT_RELS: &str = "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>\
</Relationships>";

const WORKBOOK_RELS: &str = "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
</Relationships>";

/// Five cell formats, by index: 0 the default, 1 bold (the header), 2 whole numbers,
/// 3 probabilities and 4 money (see [`NumberFormat::style`]). Formats from 164 up are the
/// workbook's own (ECMA-376 Part 1, 18.8.30: 0 to 163 are built in).
const STYLES: &str = "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
<numFmts count=\"3\"><numFmt numFmtId=\"164\" formatCode=\"0\"/><numFmt numFmtId=\"165\" formatCode=\"0.0000\"/>\
<numFmt numFmtId=\"166\" formatCode=\"#,##0.00\"/></numFmts>\
<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/></font><font><b/><sz val=\"11\"/><name val=\"Calibri\"/></font></fonts>\
<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>\
<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>\
<cellXfs count=\"5\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>\
<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>\
<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>\
<xf numFmtId=\"165\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>\
<xf numFmtId=\"166\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/></cellXfs>\
<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>\
</styleSheet>";

/// The table as an Excel workbook with one sheet called (a sanitised) `sheet_name`.
///
/// Fails when the table is taller or wider than an Excel sheet, or the file would need
/// ZIP64 (over 4 GiB); the CSV has neither limit.
pub fn to_xlsx(table: &Table, sheet_name: &str) -> Result<Vec<u8>> {
    let width = table.width();
    if table.rows.len() + 1 > MAX_XLSX_ROWS {
        return Err(ExportError::TooManyRows {
            rows: table.rows.len() + 1,
            limit: MAX_XLSX_ROWS,
        });
    }
    if width > MAX_XLSX_COLUMNS {
        return Err(ExportError::TooManyColumns {
            columns: width,
            limit: MAX_XLSX_COLUMNS,
        });
    }
    let mut zip = ZipWriter::default();
    for (name, part) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/styles.xml", STYLES),
    ] {
        zip.add(name, format!("{XML_DECLARATION}{part}").as_bytes())?;
    }
    let workbook = workbook_xml(&sanitize_sheet_name(sheet_name), table, width);
    zip.add("xl/workbook.xml", workbook.as_bytes())?;
    zip.add_with("xl/worksheets/sheet1.xml", |entry| {
        write_sheet(table, width, entry)
    })?;
    zip.finish()
}

/// Where the header and the data end: the last column's letters and the last row's number
/// (`H` and 5001 for `A1:H5001`); `None` for a table without columns.
fn used_range(table: &Table, width: usize) -> Option<(String, usize)> {
    width
        .checked_sub(1)
        .map(|last| (column_letters(last), table.rows.len() + 1))
}

/// The workbook part: the sheet, and the autofilter's range as Excel names it
/// (`_xlnm._FilterDatabase`, ECMA-376 Part 1, 18.2.6), which Excel writes with every
/// autofilter.
fn workbook_xml(sheet: &str, table: &Table, width: usize) -> String {
    let mut xml = format!(
        "{XML_DECLARATION}<workbook xmlns=\"{MAIN_NS}\" xmlns:r=\"{REL_NS}\"><sheets><sheet name=\""
    );
    push_xml_text(&mut xml, sheet);
    xml.push_str("\" sheetId=\"1\" r:id=\"rId1\"/></sheets>");
    if let Some((last, rows)) = used_range(table, width) {
        xml.push_str("<definedNames><definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"0\" hidden=\"1\">");
        // A sheet name in a reference is quoted, its apostrophes doubled.
        push_xml_text(&mut xml, &format!("'{}'", sheet.replace('\'', "''")));
        xml.push_str(&format!(
            "!$A$1:${last}${rows}</definedName></definedNames>"
        ));
    }
    xml.push_str("</workbook>");
    xml
}

/// Bytes of sheet XML gathered before they are handed to the compressor.
const SHEET_CHUNK: usize = 1 << 16;

/// The worksheet part, written to `entry` piece by piece: column widths, a frozen header
/// row in bold, the data rows and an autofilter on the header.
fn write_sheet(table: &Table, width: usize, entry: &mut ZipEntry) {
    let letters: Vec<String> = (0..width).map(column_letters).collect();
    let range = used_range(table, width);
    let mut xml = format!("{XML_DECLARATION}<worksheet xmlns=\"{MAIN_NS}\" xmlns:r=\"{REL_NS}\">");
    match &range {
        Some((last, rows)) => xml.push_str(&format!("<dimension ref=\"A1:{last}{rows}\"/>")),
        None => xml.push_str("<dimension ref=\"A1\"/>"),
    }
    xml.push_str(
        "<sheetViews><sheetView tabSelected=\"1\" workbookViewId=\"0\">\
         <pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>\
         <selection pane=\"bottomLeft\"/></sheetView></sheetViews>",
    );
    push_cols(&mut xml, &column_widths(table, width));
    xml.push_str("<sheetData>");
    let header: Vec<Cell> = table.columns.iter().cloned().map(Cell::Text).collect();
    push_row(&mut xml, table, &letters, 1, &header, Some(1));
    for (i, row) in table.rows.iter().enumerate() {
        push_row(&mut xml, table, &letters, i + 2, row, None);
        if xml.len() >= SHEET_CHUNK {
            entry.write(xml.as_bytes());
            xml.clear();
        }
    }
    xml.push_str("</sheetData>");
    if let Some((last, rows)) = &range {
        xml.push_str(&format!("<autoFilter ref=\"A1:{last}{rows}\"/>"));
    }
    xml.push_str("</worksheet>");
    entry.write(xml.as_bytes());
}

/// Narrowest and widest column, in characters of the default font.
const MIN_COLUMN_WIDTH: usize = 8;
const MAX_COLUMN_WIDTH: usize = 60;

/// Each column's width in characters: its longest cell as shown (the longest line of a
/// text) plus a margin, the header's plus room for the autofilter button, within
/// [`MIN_COLUMN_WIDTH`] and [`MAX_COLUMN_WIDTH`].
fn column_widths(table: &Table, width: usize) -> Vec<usize> {
    let text_len = |s: &str| s.lines().map(display_columns).max().unwrap_or(0);
    let mut longest: Vec<usize> = (0..width)
        .map(|c| table.columns.get(c).map_or(0, |name| text_len(name) + 2))
        .collect();
    for row in &table.rows {
        for (c, cell) in row.iter().enumerate() {
            let len = match cell {
                Cell::Text(s) => text_len(s),
                Cell::Number(x) if x.is_finite() => table.format(c).shown_len(*x),
                Cell::Number(_) | Cell::Empty => 0,
            };
            longest[c] = longest[c].max(len);
        }
    }
    longest
        .into_iter()
        .map(|len| (len + 2).clamp(MIN_COLUMN_WIDTH, MAX_COLUMN_WIDTH))
        .collect()
}

fn push_cols(xml: &mut String, widths: &[usize]) {
    if widths.is_empty() {
        return;
    }
    xml.push_str("<cols>");
    for (i, w) in widths.iter().enumerate() {
        xml.push_str(&format!(
            "<col min=\"{n}\" max=\"{n}\" width=\"{w}\" customWidth=\"1\"/>",
            n = i + 1
        ));
    }
    xml.push_str("</cols>");
}

/// One row; `style` overrides every cell's format (the bold header).
fn push_row(
    xml: &mut String,
    table: &Table,
    letters: &[String],
    number: usize,
    cells: &[Cell],
    style: Option<usize>,
) {
    let number = number.to_string();
    xml.push_str("<row r=\"");
    xml.push_str(&number);
    xml.push_str("\">");
    for (c, (cell, letter)) in cells.iter().zip(letters).enumerate() {
        let reference = format!("{letter}{number}");
        match cell {
            Cell::Text(text) => {
                let s = style.map(|s| format!(" s=\"{s}\"")).unwrap_or_default();
                xml.push_str(&format!(
                    "<c r=\"{reference}\"{s} t=\"inlineStr\"><is><t xml:space=\"preserve\">"
                ));
                // Unescaped: an inline string is never evaluated (see the module docs).
                push_xml_text(xml, text);
                xml.push_str("</t></is></c>");
            }
            Cell::Number(x) => {
                if let Some(text) = number_text(*x) {
                    let s = style.unwrap_or_else(|| table.format(c).style(*x));
                    let s = if s == 0 {
                        String::new()
                    } else {
                        format!(" s=\"{s}\"")
                    };
                    xml.push_str(&format!("<c r=\"{reference}\"{s}><v>{text}</v></c>"));
                }
            }
            Cell::Empty => {}
        }
    }
    xml.push_str("</row>");
}

/// 1980-01-01 00:00:00 in MS-DOS form: (year - 1980) << 9 | month << 5 | day, and time 0.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;
/// Version needed to extract: 2.0, for deflated entries without ZIP64 (APPNOTE 4.4.3.2).
const ZIP_VERSION: u16 = 20;
/// Compression method 8: deflate (APPNOTE 4.4.5).
const DEFLATED: u16 = 8;

/// A zip archive of deflated entries.
#[derive(Default)]
struct ZipWriter {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

/// An entry being written: its bytes are checksummed, counted and deflated into the
/// archive as they come.
struct ZipEntry {
    encoder: DeflateEncoder<Vec<u8>>,
    crc: crc32fast::Hasher,
    size: u64,
}

impl ZipEntry {
    fn write(&mut self, bytes: &[u8]) {
        self.crc.update(bytes);
        self.size += bytes.len() as u64;
        self.encoder
            .write_all(bytes)
            .expect("deflating into a Vec cannot fail");
    }
}

impl ZipWriter {
    fn add(&mut self, name: &str, data: &[u8]) -> Result<()> {
        self.add_with(name, |entry| entry.write(data))
    }

    /// An entry whose bytes `write` gives piece by piece.
    fn add_with(&mut self, name: &str, write: impl FnOnce(&mut ZipEntry)) -> Result<()> {
        let offset = self.zip32(self.out.len() as u64)?;
        let name_len = u16::try_from(name.len()).expect("part names are short constants");

        // Local file header (APPNOTE 4.3.7); the checksum and sizes, at bytes 14 to 25,
        // are filled in once the data is written.
        let out = &mut self.out;
        put32(out, 0x0403_4b50);
        put16(out, ZIP_VERSION);
        put16(out, 0); // flags
        put16(out, DEFLATED);
        put16(out, DOS_TIME);
        put16(out, DOS_DATE);
        out.extend_from_slice(&[0; 12]);
        put16(out, name_len);
        put16(out, 0); // extra field length
        out.extend_from_slice(name.as_bytes());
        let start = out.len();

        // The archive so far moves into the compressor, which appends to it.
        let mut entry = ZipEntry {
            encoder: DeflateEncoder::new(std::mem::take(out), Compression::default()),
            crc: crc32fast::Hasher::new(),
            size: 0,
        };
        write(&mut entry);
        let ZipEntry { encoder, crc, size } = entry;
        self.out = encoder.finish().expect("deflating into a Vec cannot fail");
        let crc = crc.finalize();
        let size = self.zip32(size)?;
        let compressed = self.zip32((self.out.len() - start) as u64)?;
        self.zip32(self.out.len() as u64)?;
        let header = offset as usize + 14;
        for (i, value) in [crc, compressed, size].into_iter().enumerate() {
            self.out[header + 4 * i..header + 4 * i + 4].copy_from_slice(&value.to_le_bytes());
        }

        // Central directory header (APPNOTE 4.3.12).
        let c = &mut self.central;
        put32(c, 0x0201_4b50);
        put16(c, ZIP_VERSION); // made by: MS-DOS, version 2.0
        put16(c, ZIP_VERSION);
        put16(c, 0); // flags
        put16(c, DEFLATED);
        put16(c, DOS_TIME);
        put16(c, DOS_DATE);
        put32(c, crc);
        put32(c, compressed);
        put32(c, size);
        put16(c, name_len);
        put16(c, 0); // extra field length
        put16(c, 0); // comment length
        put16(c, 0); // disk number
        put16(c, 0); // internal attributes
        put32(c, 0); // external attributes
        put32(c, offset);
        c.extend_from_slice(name.as_bytes());
        self.entries += 1;
        Ok(())
    }

    /// The archive: the entries, the central directory and its end record (APPNOTE 4.3.16).
    fn finish(self) -> Result<Vec<u8>> {
        let offset = self.zip32(self.out.len() as u64)?;
        let size = self.zip32(self.central.len() as u64)?;
        self.zip32(self.out.len() as u64 + self.central.len() as u64 + 22)?;
        let mut out = self.out;
        out.extend_from_slice(&self.central);
        put32(&mut out, 0x0605_4b50);
        put16(&mut out, 0); // this disk
        put16(&mut out, 0); // disk with the central directory
        put16(&mut out, self.entries);
        put16(&mut out, self.entries);
        put32(&mut out, size);
        put32(&mut out, offset);
        put16(&mut out, 0); // comment length
        Ok(out)
    }

    /// A size or offset as the 32 bits a zip without ZIP64 stores.
    fn zip32(&self, bytes: u64) -> Result<u32> {
        u32::try_from(bytes).map_err(|_| ExportError::TooLarge { bytes })
    }
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::ingest::{read_csv, read_table, ReadOptions};
    use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
    use std::io::Cursor;

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    /// An action list as the app builds it, with hostile and awkward cells mixed in.
    fn action_list() -> Table {
        Table {
            columns: [
                "customer_id",
                "churn_probability",
                "tier",
                "reasons",
                "suggested_action",
                "expected_value",
            ]
            .map(String::from)
            .to_vec(),
            rows: vec![
                vec![
                    text("C-0001"),
                    Cell::Number(0.9125),
                    text("high"),
                    text("tenure < 6 months; monthly charges > 80"),
                    text("Call: offer 10% off"),
                    Cell::Number(48.25),
                ],
                vec![
                    text("=HYPERLINK(\"http://x\",\"y\")"),
                    Cell::Number(0.5),
                    text("medium"),
                    text("+44 20 7946 0958"),
                    text("-"),
                    Cell::Number(-12.5),
                ],
                vec![
                    text("@SUM(A1:A2)"),
                    Cell::Number(f64::NAN),
                    text("low"),
                    text("a, \"quoted\" reason\nsecond line"),
                    text("<img src=x onerror=alert(1)>"),
                    Cell::Empty,
                ],
                vec![
                    text("客户 Zoë"),
                    Cell::Number(0.1),
                    text("\tlow"),
                    text("_x0041_ & more"),
                    text("e-mail a voucher"),
                    Cell::Number(3.0),
                ],
            ],
            formats: vec![
                NumberFormat::General,
                NumberFormat::Probability,
                NumberFormat::General,
                NumberFormat::General,
                NumberFormat::General,
                NumberFormat::Money,
            ],
        }
    }

    /// The text our reader should give back for a cell of the CSV: `None` for a blank.
    fn expected_csv_text(cell: &Cell) -> Option<String> {
        match cell {
            Cell::Text(s) => Some(escape_formula(s).into_owned()),
            Cell::Number(x) => number_text(*x),
            Cell::Empty => None,
        }
    }

    /// The text our reader should give back for a cell of the workbook: text as it is,
    /// except that a missing-value marker (`-`) reads as a blank.
    fn expected_xlsx_text(cell: &Cell) -> Option<String> {
        match cell {
            Cell::Text(s) if crate::reading::cells::is_missing(s) => None,
            Cell::Text(s) => Some(s.clone()),
            Cell::Number(x) => number_text(*x),
            Cell::Empty => None,
        }
    }

    #[test]
    fn escapes_every_formula_trigger() {
        for trigger in ["=", "+", "-", "@", "\t", "\r"] {
            let cell = format!("{trigger}1+1");
            assert_eq!(
                escape_formula(&cell),
                format!("'{trigger}1+1"),
                "{trigger:?}"
            );
        }
        assert_eq!(
            escape_formula("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        for plain in [
            "",
            "Zoë",
            "客户",
            "a=b",
            "1+1",
            "x-y",
            "me@example.com",
            "a\tb",
            " =1",
        ] {
            assert!(
                matches!(escape_formula(plain), Cow::Borrowed(s) if s == plain),
                "{plain:?}"
            );
        }
    }

    #[test]
    fn csv_quotes_and_escapes() {
        let table = Table {
            columns: ["id", "note", "-delta"].map(String::from).to_vec(),
            rows: vec![
                vec![
                    text("c1"),
                    text("=HYPERLINK(\"http://x\",\"y\")"),
                    Cell::Number(-12.5),
                ],
                vec![text("c2"), text("a, b"), Cell::Number(f64::NAN)],
                vec![text("c3"), text("say \"hi\""), Cell::Number(0.1)],
                vec![text("c4"), text("line1\nline2"), Cell::Number(3.0)],
                vec![
                    text("c5"),
                    text("<img src=x onerror=alert(1)>"),
                    Cell::Empty,
                ],
                vec![text("c6"), Cell::Number(f64::INFINITY)],
            ],
            formats: vec![
                NumberFormat::General,
                NumberFormat::General,
                NumberFormat::Money,
            ],
        };
        // Written by hand from RFC 4180 section 2 and the OWASP trigger list.
        let expected = "\u{feff}id,note,'-delta\r\n\
                        c1,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-12.5\r\n\
                        c2,\"a, b\",\r\n\
                        c3,\"say \"\"hi\"\"\",0.1\r\n\
                        c4,\"line1\nline2\",3\r\n\
                        c5,<img src=x onerror=alert(1)>,\r\n\
                        c6,,\r\n";
        assert_eq!(String::from_utf8(to_csv(&table)).expect("UTF-8"), expected);
    }

    /// Every cell of `table` reads back from `ds` as `expected` says.
    fn assert_cells_read_back(
        ds: &crate::dataset::Dataset,
        table: &Table,
        expected: fn(&Cell) -> Option<String>,
    ) {
        for (r, row) in table.rows.iter().enumerate() {
            for (column, cell) in ds.columns.iter().zip(row) {
                assert_eq!(column.text(r), expected(cell), "row {r}, {}", column.name);
            }
        }
    }

    #[test]
    fn csv_round_trips_through_our_reader() {
        let table = action_list();
        let ds = read_csv(&to_csv(&table), &ReadOptions::default()).expect("our CSV reads back");
        assert_eq!(ds.n_rows, table.rows.len());
        let names: Vec<&str> = ds.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, table.columns);
        assert_cells_read_back(&ds, &table, expected_csv_text);
        assert_eq!(
            ds.columns[0].text(1).as_deref(),
            Some("'=HYPERLINK(\"http://x\",\"y\")")
        );
        assert_eq!(ds.columns[5].text(1).as_deref(), Some("-12.5"));
    }

    #[test]
    fn xlsx_opens_in_calamine() {
        let table = action_list();
        let bytes = to_xlsx(&table, "Action list: top/risk").expect("a small table fits");
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).expect("opens");
        assert_eq!(
            book.sheet_names(),
            vec!["Action list_ top_risk".to_string()]
        );
        let range = book
            .worksheet_range("Action list_ top_risk")
            .expect("sheet reads");
        assert_eq!(
            range.get_size(),
            (table.rows.len() + 1, table.columns.len())
        );
        for (c, name) in table.columns.iter().enumerate() {
            assert_eq!(range.get((0, c)), Some(&Data::String(name.clone())));
        }
        for (r, row) in table.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let expected = match cell {
                    Cell::Text(s) => Data::String(s.clone()),
                    Cell::Number(x) if x.is_finite() => Data::Float(*x),
                    Cell::Number(_) | Cell::Empty => Data::Empty,
                };
                assert_eq!(
                    range.get((r + 1, c)),
                    Some(&expected),
                    "row {r}, column {c}"
                );
            }
        }
        assert_eq!(
            range.get((2, 0)),
            Some(&Data::String("=HYPERLINK(\"http://x\",\"y\")".into()))
        );
        assert_eq!(range.get((2, 5)), Some(&Data::Float(-12.5)));
        assert_eq!(
            range.get((4, 3)),
            Some(&Data::String("_x0041_ & more".into()))
        );

        // Our own reader detects the workbook and reads the same cells.
        let (ds, info) = read_table(&bytes, &ReadOptions::default()).expect("reads as a table");
        assert_eq!(info.sheet.as_deref(), Some("Action list_ top_risk"));
        assert_cells_read_back(&ds, &table, expected_xlsx_text);
    }

    #[test]
    fn xlsx_keeps_header_only_table_and_unicode() {
        let table = Table {
            columns: ["客户", "Zoë", "=risk", "a\u{1}b"]
                .map(String::from)
                .to_vec(),
            rows: Vec::new(),
            formats: Vec::new(),
        };
        let bytes = to_xlsx(&table, "客户").expect("fits");
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("opens");
        assert_eq!(book.sheet_names(), vec!["客户".to_string()]);
        let range = book.worksheet_range("客户").expect("sheet reads");
        let header: Vec<&Data> = range.rows().next().expect("a header row").iter().collect();
        let expected = ["客户", "Zoë", "=risk", "ab"].map(|s| Data::String(s.into()));
        assert_eq!(header, expected.iter().collect::<Vec<_>>());
        assert_eq!(range.get_size(), (1, 4));
        assert_eq!(
            to_csv(&table),
            "\u{feff}客户,Zoë,'=risk,a\u{1}b\r\n".as_bytes()
        );
    }

    #[test]
    fn xlsx_is_deterministic() {
        let table = action_list();
        let first = to_xlsx(&table, "Actions").expect("fits");
        assert_eq!(first, to_xlsx(&table.clone(), "Actions").expect("fits"));
        assert!(first.starts_with(b"PK\x03\x04"));
    }

    #[test]
    fn sanitizes_sheet_names_to_excel_rules() {
        assert_eq!(sanitize_sheet_name("a[b]c:d*e?f/g\\h"), "a_b_c_d_e_f_g_h");
        assert_eq!(sanitize_sheet_name(&"x".repeat(40)), "x".repeat(31));
        assert_eq!(sanitize_sheet_name(&"客".repeat(40)).chars().count(), 31);
        // 😀 is two UTF-16 units, and Excel counts units: 15 fit in 31.
        assert_eq!(sanitize_sheet_name(&"😀".repeat(20)).chars().count(), 15);
        assert_eq!(sanitize_sheet_name("'quoted'"), "quoted");
        assert_eq!(sanitize_sheet_name(""), "Sheet1");
        assert_eq!(sanitize_sheet_name("\u{1}\n"), "Sheet1");
        assert_eq!(sanitize_sheet_name("History"), "History_");
    }

    #[test]
    fn refuses_tables_larger_than_a_sheet() {
        let tall = Table {
            columns: vec!["id".into()],
            rows: vec![Vec::new(); MAX_XLSX_ROWS],
            formats: Vec::new(),
        };
        assert!(matches!(
            to_xlsx(&tall, "x"),
            Err(ExportError::TooManyRows {
                rows: 1_048_577,
                limit: MAX_XLSX_ROWS
            })
        ));
        let wide = Table {
            columns: vec![String::new(); MAX_XLSX_COLUMNS + 1],
            rows: Vec::new(),
            formats: Vec::new(),
        };
        assert!(matches!(
            to_xlsx(&wide, "x"),
            Err(ExportError::TooManyColumns {
                columns: 16_385,
                ..
            })
        ));
    }

    #[test]
    fn names_columns_like_a_spreadsheet() {
        // Excel's own column headings.
        for (index, letters) in [
            (0, "A"),
            (25, "Z"),
            (26, "AA"),
            (701, "ZZ"),
            (702, "AAA"),
            (16_383, "XFD"),
        ] {
            assert_eq!(column_letters(index), letters);
        }
    }

    /// One part of a zip written by [`to_xlsx`], read from its local header.
    struct Part {
        name: String,
        data: Vec<u8>,
        compressed: usize,
    }

    /// The parts of `zip` in order, each checked to be deflated (method 8), to inflate to
    /// the size its header gives and to match its CRC-32 (APPNOTE 4.3.7).
    fn parts(zip: &[u8]) -> Vec<Part> {
        use std::io::Read;
        let u16_at = |i: usize| usize::from(u16::from_le_bytes([zip[i], zip[i + 1]]));
        let u32_at =
            |i: usize| u32::from_le_bytes(zip[i..i + 4].try_into().expect("four bytes")) as usize;
        let mut parts = Vec::new();
        let mut at = 0;
        while u32_at(at) == 0x0403_4b50 {
            assert_eq!(u16_at(at + 8), 8, "deflated");
            let (crc, compressed, size) = (u32_at(at + 14), u32_at(at + 18), u32_at(at + 22));
            let (name_len, extra_len) = (u16_at(at + 26), u16_at(at + 28));
            let name = String::from_utf8(zip[at + 30..at + 30 + name_len].to_vec()).expect("name");
            let start = at + 30 + name_len + extra_len;
            let mut data = Vec::new();
            flate2::read::DeflateDecoder::new(&zip[start..start + compressed])
                .read_to_end(&mut data)
                .expect("inflates");
            assert_eq!(data.len(), size, "{name}");
            assert_eq!(crc32fast::hash(&data) as usize, crc, "{name}");
            parts.push(Part {
                name,
                data,
                compressed,
            });
            at = start + compressed;
        }
        parts
    }

    /// The text of the part called `name`.
    fn part(zip: &[u8], name: &str) -> String {
        let part = parts(zip)
            .into_iter()
            .find(|p| p.name == name)
            .expect("the part is there");
        String::from_utf8(part.data).expect("UTF-8")
    }

    /// Issue 14: the workbook used to give these an apostrophe (`'+44 20 7946 0958`), so
    /// ids no longer matched the shop's records. Inline strings are never evaluated, so the
    /// workbook writes them as they are; the CSV still escapes them.
    #[test]
    fn xlsx_keeps_text_that_starts_with_formula_characters() {
        let texts = [
            "-10% voucher on the next order",
            "+44 20 7946 0958",
            "=1+1",
            "@home",
            "=HYPERLINK(\"http://x\",\"y\")",
        ];
        let table = Table {
            columns: vec!["=customer".into()],
            rows: texts.iter().map(|t| vec![text(t)]).collect(),
            formats: Vec::new(),
        };
        let bytes = to_xlsx(&table, "Actions").expect("fits");
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).expect("opens");
        let range = book.worksheet_range("Actions").expect("sheet reads");
        assert_eq!(range.get((0, 0)), Some(&Data::String("=customer".into())));
        for (r, t) in texts.iter().enumerate() {
            assert_eq!(range.get((r + 1, 0)), Some(&Data::String(t.to_string())));
        }
        let formulas = book.worksheet_formula("Actions").expect("formulas read");
        assert!(
            formulas.used_cells().next().is_none(),
            "no cell is a formula"
        );
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(!sheet.contains("<f>") && !sheet.contains('\''), "{sheet}");
        let csv = String::from_utf8(to_csv(&table)).expect("UTF-8");
        assert!(csv.contains("\r\n'+44 20 7946 0958\r\n'=1+1\r\n"), "{csv}");
    }

    /// The display formats round what is shown, never what is stored.
    #[test]
    fn xlsx_formats_probabilities_and_money_and_keeps_full_precision() {
        let table = Table {
            columns: ["id", "p", "value", "plain"].map(String::from).to_vec(),
            rows: vec![
                vec![
                    Cell::Number(447_911_123_456.0),
                    Cell::Number(0.123_456_789_012_345_68),
                    Cell::Number(1234.5678),
                    Cell::Number(0.1),
                ],
                vec![
                    Cell::Number(2.5),
                    Cell::Number(1.0 / 3.0),
                    Cell::Number(-0.005),
                    Cell::Number(7.0),
                ],
            ],
            formats: vec![
                NumberFormat::Integer,
                NumberFormat::Probability,
                NumberFormat::Money,
            ],
        };
        let bytes = to_xlsx(&table, "Actions").expect("fits");
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).expect("opens");
        let range = book.worksheet_range("Actions").expect("sheet reads");
        for (r, row) in table.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let Cell::Number(x) = cell else {
                    unreachable!("numbers only")
                };
                assert_eq!(range.get((r + 1, c)), Some(&Data::Float(*x)), "{r}, {c}");
            }
        }
        let styles = part(&bytes, "xl/styles.xml");
        for format in [
            "<numFmt numFmtId=\"164\" formatCode=\"0\"/>",
            "<numFmt numFmtId=\"165\" formatCode=\"0.0000\"/>",
            "<numFmt numFmtId=\"166\" formatCode=\"#,##0.00\"/>",
        ] {
            assert!(styles.contains(format), "{format}");
        }
        // cellXfs 2, 3 and 4 use formats 164, 165 and 166 (see STYLES); a fraction in the
        // whole-number column and the unformatted column stay General (no style).
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        for cell in [
            "<c r=\"A2\" s=\"2\"><v>447911123456</v></c>",
            "<c r=\"B2\" s=\"3\"><v>0.12345678901234568</v></c>",
            "<c r=\"C2\" s=\"4\"><v>1234.5678</v></c>",
            "<c r=\"D2\"><v>0.1</v></c>",
            "<c r=\"A3\"><v>2.5</v></c>",
        ] {
            assert!(sheet.contains(cell), "{cell} in {sheet}");
        }
    }

    #[test]
    fn xlsx_header_has_an_autofilter_and_columns_fit_their_content() {
        let table = action_list();
        let bytes = to_xlsx(&table, "Actions").expect("fits");
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        // Four rows and the header, six columns (A to F).
        assert!(sheet.contains("<autoFilter ref=\"A1:F5\"/>"), "{sheet}");
        let workbook = part(&bytes, "xl/workbook.xml");
        assert!(
            workbook.contains("<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"0\" hidden=\"1\">'Actions'!$A$1:$F$5</definedName>"),
            "{workbook}"
        );
        // Widths by hand: the longest shown text plus 2 (a header plus 4), within 8..60.
        // customer_id: header 11 + 4 = 15 vs `=HYPERLINK("http://x","y")` 26 + 2 = 28;
        // churn_probability: header 17 + 4 = 21; tier: 8 (minimum); reasons: 39 + 2 = 41
        // (`tenure < 6 months; monthly charges > 80`); suggested_action: 16 + 4 = 20 vs
        // `<img src=x onerror=alert(1)>` 28 + 2 = 30; expected_value: 14 + 4 = 18.
        let cols = "<cols><col min=\"1\" max=\"1\" width=\"28\" customWidth=\"1\"/>\
                    <col min=\"2\" max=\"2\" width=\"21\" customWidth=\"1\"/>\
                    <col min=\"3\" max=\"3\" width=\"8\" customWidth=\"1\"/>\
                    <col min=\"4\" max=\"4\" width=\"41\" customWidth=\"1\"/>\
                    <col min=\"5\" max=\"5\" width=\"30\" customWidth=\"1\"/>\
                    <col min=\"6\" max=\"6\" width=\"18\" customWidth=\"1\"/></cols>";
        assert!(sheet.contains(cols), "{sheet}");
        let long = Table {
            columns: vec!["note".into()],
            rows: vec![vec![text(&"x".repeat(500))]],
            formats: Vec::new(),
        };
        let sheet = part(
            &to_xlsx(&long, "x").expect("fits"),
            "xl/worksheets/sheet1.xml",
        );
        assert!(sheet.contains("width=\"60\""), "capped at 60");
        // Chinese text is twice as wide as its character count: `在网月数少于六个月`, 9
        // characters, takes 18 columns, plus 2.
        let chinese = Table {
            columns: vec!["原因".into()],
            rows: vec![vec![text("在网月数少于六个月")]],
            formats: Vec::new(),
        };
        let sheet = part(
            &to_xlsx(&chinese, "x").expect("fits"),
            "xl/worksheets/sheet1.xml",
        );
        assert!(sheet.contains("width=\"20\""), "{sheet}");
    }

    /// A synthetic action list of `rows` customers shaped like the Telco one (ids such as
    /// `7590-VHVEG`, three reasons, a playbook action), from a seeded generator.
    fn synthetic_action_list(rows: usize) -> Table {
        let mut state: u64 = 20_241_101;
        let mut next = move || {
            // Knuth's MMIX linear congruential generator.
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state >> 11
        };
        let letters = |n: u64| -> String {
            (0..5)
                .map(|i| char::from(b'A' + ((n >> (5 * i)) % 26) as u8))
                .collect()
        };
        let reasons = [
            "Contract = Month-to-month",
            "tenure = 2",
            "InternetService = Fiber optic",
            "PaymentMethod = Electronic check",
            "MonthlyCharges = 89.1",
            "OnlineSecurity = No",
            "TechSupport = No",
        ];
        let actions = [
            "Offer a discount on a one-year contract",
            "Personal check-in email",
            "Loyalty points for the next order",
        ];
        let formats = vec![
            NumberFormat::Integer,
            NumberFormat::Probability,
            NumberFormat::General,
            NumberFormat::General,
            NumberFormat::General,
            NumberFormat::General,
            NumberFormat::General,
            NumberFormat::Money,
        ];
        Table {
            columns: [
                "customer",
                "churn probability",
                "tier",
                "reason 1",
                "reason 2",
            ]
            .iter()
            .chain(&[
                "reason 3",
                "suggested action",
                "expected value of contacting",
            ])
            .map(|c| c.to_string())
            .collect(),
            rows: (0..rows)
                .map(|_| {
                    let p = (next() % 1_000_000_007) as f64 / 1_000_000_007.0;
                    let mut cells = vec![
                        text(&format!("{:04}-{}", next() % 10_000, letters(next()))),
                        Cell::Number(p),
                        text(["low", "medium", "high"][(p * 2.999) as usize]),
                    ];
                    for _ in 0..3 {
                        cells.push(text(reasons[(next() % 7) as usize]));
                    }
                    cells.push(text(actions[(next() % 3) as usize]));
                    cells.push(Cell::Number(
                        p * 0.3 * 1000.0 * (next() % 100) as f64 / 100.0 - 10.0,
                    ));
                    cells
                })
                .collect(),
            formats,
        }
    }

    /// Issue 14, defect 3: the stored workbook took 4.3 MB for 7,043 customers and 127 MB
    /// for 200,000. The stored size of a file is its size with each part's deflated bytes
    /// replaced by its own bytes (the headers are the same size). Prints both for the
    /// README; `cargo test --lib export::tests::deflated -- --nocapture` shows them.
    #[test]
    fn deflated_workbooks_are_a_fraction_of_the_stored_size() {
        for rows in [7_043, 200_000] {
            let table = synthetic_action_list(rows);
            let bytes = to_xlsx(&table, "Action list").expect("fits");
            let stored: usize = bytes.len()
                + parts(&bytes)
                    .iter()
                    .map(|p| p.data.len() - p.compressed)
                    .sum::<usize>();
            eprintln!(
                "{rows} rows: stored {stored} bytes, deflated {} bytes ({:.1}%)",
                bytes.len(),
                100.0 * bytes.len() as f64 / stored as f64
            );
            assert!(bytes.len() * 4 < stored, "{} of {stored}", bytes.len());
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Any text XML can carry reads back from the workbook exactly as written: formula
        /// triggers, quotes, `_x0041_`, line breaks, spaces at either end.
        #[test]
        fn xlsx_text_cells_read_back_unchanged(
            texts in proptest::collection::vec("[-+=@'\"_x0-9A-Fa-z \t\r\n<>&;客😀]{1,12}", 1..8),
        ) {
            let table = Table {
                columns: vec!["text".into()],
                rows: texts.iter().map(|t| vec![text(t)]).collect(),
                formats: Vec::new(),
            };
            let bytes = to_xlsx(&table, "Actions").expect("fits");
            let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("opens");
            let range = book.worksheet_range("Actions").expect("sheet reads");
            for (r, t) in texts.iter().enumerate() {
                proptest::prop_assert_eq!(range.get((r + 1, 0)), Some(&Data::String(t.clone())));
            }
        }
    }
}
