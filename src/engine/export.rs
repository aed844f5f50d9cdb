//! Writing a table (the merchant's action list) as CSV or as an Excel `.xlsx` workbook.
//!
//! Both writers neutralise spreadsheet formula injection (OWASP, "CSV Injection"): a text
//! cell or column name that starts with `=`, `+`, `-`, `@`, tab or carriage return gets a
//! leading apostrophe, so a customer name such as `=HYPERLINK("http://x","y")` is shown as
//! text and never evaluated. Number cells are written as numbers and never escaped, so
//! `-12.5` stays a number; a non-finite number becomes an empty cell.
//!
//! The CSV is UTF-8 with a byte-order mark (without it Excel reads UTF-8 as the local code
//! page and garbles accents and Chinese), comma-separated, with CRLF line ends and the
//! quoting of RFC 4180 ("Common Format and MIME Type for CSV Files", section 2).
//!
//! The workbook is the smallest valid SpreadsheetML package (ECMA-376 Part 1, section 18;
//! Part 2 for the package): one worksheet of inline strings and numbers, a bold, frozen
//! header row. The zip container is written here with the STORED method (PKWARE
//! `APPNOTE.TXT` 6.3, sections 4.3.7, 4.3.12 and 4.3.16), so no compression library is
//! compiled into the page; every entry carries the same 1980-01-01 timestamp, so equal
//! tables give byte-identical files.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Why a table could not be written as a workbook.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error("the table has {rows} rows with its header; an Excel sheet holds at most {limit} (download the CSV instead)")]
    TooManyRows { rows: usize, limit: usize },
    #[error("the table has {columns} columns; an Excel sheet holds at most {limit} (download the CSV instead)")]
    TooManyColumns { columns: usize, limit: usize },
    #[error("the workbook would pass {bytes} bytes, more than a plain zip file can hold (4 GiB); download the CSV instead")]
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

/// A table to export: column names and rows of cells. A row shorter than the header is
/// padded with empty cells; a longer one is written in full.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// Fields per line: the header's, or the longest row's when that is longer.
    fn width(&self) -> usize {
        self.rows
            .iter()
            .map(Vec::len)
            .fold(self.columns.len(), usize::max)
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

/// Two cell formats: 0 the default, 1 bold (for the header).
const STYLES: &str = "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/></font><font><b/><sz val=\"11\"/><name val=\"Calibri\"/></font></fonts>\
<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>\
<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>\
<cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>\
<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/></cellXfs>\
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
    let mut workbook = format!(
        "{XML_DECLARATION}<workbook xmlns=\"{MAIN_NS}\" xmlns:r=\"{REL_NS}\"><sheets><sheet name=\""
    );
    push_xml_text(&mut workbook, &sanitize_sheet_name(sheet_name));
    workbook.push_str("\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>");

    let mut zip = ZipWriter::default();
    for (name, part) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/styles.xml", STYLES),
    ] {
        zip.add(name, format!("{XML_DECLARATION}{part}").as_bytes())?;
    }
    zip.add("xl/workbook.xml", workbook.as_bytes())?;
    zip.add(
        "xl/worksheets/sheet1.xml",
        sheet_xml(table, width).as_bytes(),
    )?;
    zip.finish()
}

/// The worksheet part: a frozen header row in bold, then the data rows.
fn sheet_xml(table: &Table, width: usize) -> String {
    let letters: Vec<String> = (0..width).map(column_letters).collect();
    let mut xml = format!("{XML_DECLARATION}<worksheet xmlns=\"{MAIN_NS}\" xmlns:r=\"{REL_NS}\">");
    match letters.last() {
        Some(last) => xml.push_str(&format!(
            "<dimension ref=\"A1:{last}{}\"/>",
            table.rows.len() + 1
        )),
        None => xml.push_str("<dimension ref=\"A1\"/>"),
    }
    xml.push_str(
        "<sheetViews><sheetView tabSelected=\"1\" workbookViewId=\"0\">\
         <pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>\
         <selection pane=\"bottomLeft\"/></sheetView></sheetViews><sheetData>",
    );
    let header: Vec<Cell> = table.columns.iter().cloned().map(Cell::Text).collect();
    push_row(&mut xml, &letters, 1, &header, " s=\"1\"");
    for (i, row) in table.rows.iter().enumerate() {
        push_row(&mut xml, &letters, i + 2, row, "");
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

fn push_row(xml: &mut String, letters: &[String], number: usize, cells: &[Cell], style: &str) {
    let number = number.to_string();
    xml.push_str("<row r=\"");
    xml.push_str(&number);
    xml.push_str("\">");
    for (cell, letter) in cells.iter().zip(letters) {
        let reference = format!("{letter}{number}");
        match cell {
            Cell::Text(text) => {
                xml.push_str(&format!(
                    "<c r=\"{reference}\"{style} t=\"inlineStr\"><is><t xml:space=\"preserve\">"
                ));
                push_xml_text(xml, &escape_formula(text));
                xml.push_str("</t></is></c>");
            }
            Cell::Number(x) => {
                if let Some(text) = number_text(*x) {
                    xml.push_str(&format!("<c r=\"{reference}\"{style}><v>{text}</v></c>"));
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
/// Version needed to extract: 1.0, enough for stored entries without ZIP64.
const ZIP_VERSION: u16 = 10;

/// A zip archive of stored (uncompressed) entries.
#[derive(Default)]
struct ZipWriter {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

impl ZipWriter {
    fn add(&mut self, name: &str, data: &[u8]) -> Result<()> {
        let offset = self.zip32(self.out.len() as u64)?;
        let size = self.zip32(data.len() as u64)?;
        self.zip32(self.out.len() as u64 + 30 + name.len() as u64 + data.len() as u64)?;
        let crc = crc32fast::hash(data);
        let name_len = u16::try_from(name.len()).expect("part names are short constants");

        // Local file header (APPNOTE 4.3.7).
        let out = &mut self.out;
        put32(out, 0x0403_4b50);
        put16(out, ZIP_VERSION);
        put16(out, 0); // flags
        put16(out, 0); // method: stored
        put16(out, DOS_TIME);
        put16(out, DOS_DATE);
        put32(out, crc);
        put32(out, size); // compressed size
        put32(out, size);
        put16(out, name_len);
        put16(out, 0); // extra field length
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);

        // Central directory header (APPNOTE 4.3.12).
        let c = &mut self.central;
        put32(c, 0x0201_4b50);
        put16(c, ZIP_VERSION); // made by: MS-DOS, version 1.0
        put16(c, ZIP_VERSION);
        put16(c, 0);
        put16(c, 0);
        put16(c, DOS_TIME);
        put16(c, DOS_DATE);
        put32(c, crc);
        put32(c, size);
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
    use crate::engine::ingest::{read_csv, read_table, ReadOptions};
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
        }
    }

    /// The text a reader should give back for a cell: `None` for a blank.
    fn expected_text(cell: &Cell) -> Option<String> {
        match cell {
            Cell::Text(s) => Some(escape_formula(s).into_owned()),
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

    /// Every cell of `table` reads back from `ds` as the text our reader gives it.
    fn assert_cells_read_back(ds: &crate::engine::dataset::Dataset, table: &Table) {
        for (r, row) in table.rows.iter().enumerate() {
            for (column, cell) in ds.columns.iter().zip(row) {
                assert_eq!(
                    column.text(r),
                    expected_text(cell),
                    "row {r}, {}",
                    column.name
                );
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
        assert_cells_read_back(&ds, &table);
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
                    Cell::Text(s) => Data::String(escape_formula(s).into_owned()),
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
            Some(&Data::String("'=HYPERLINK(\"http://x\",\"y\")".into()))
        );
        assert_eq!(range.get((2, 5)), Some(&Data::Float(-12.5)));
        assert_eq!(
            range.get((4, 3)),
            Some(&Data::String("_x0041_ & more".into()))
        );

        // Our own reader detects the workbook and reads the same cells.
        let (ds, info) = read_table(&bytes, &ReadOptions::default()).expect("reads as a table");
        assert_eq!(info.sheet.as_deref(), Some("Action list_ top_risk"));
        assert_cells_read_back(&ds, &table);
    }

    #[test]
    fn xlsx_keeps_header_only_table_and_unicode() {
        let table = Table {
            columns: ["客户", "Zoë", "=risk", "a\u{1}b"]
                .map(String::from)
                .to_vec(),
            rows: Vec::new(),
        };
        let bytes = to_xlsx(&table, "客户").expect("fits");
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("opens");
        assert_eq!(book.sheet_names(), vec!["客户".to_string()]);
        let range = book.worksheet_range("客户").expect("sheet reads");
        let header: Vec<&Data> = range.rows().next().expect("a header row").iter().collect();
        let expected = ["客户", "Zoë", "'=risk", "ab"].map(|s| Data::String(s.into()));
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
}
