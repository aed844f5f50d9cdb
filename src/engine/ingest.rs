//! Reading a customer export (CSV bytes) into a typed [`Dataset`].
//!
//! The bytes are decoded first ([`super::decode`]: UTF-8, UTF-16, GB18030, Windows-1252) and
//! the delimiter guessed from the header line. Then two passes over the text: the first
//! checks the shape (every row as wide as the header) and decides, per column, whether every
//! non-missing cell is a number (and in which style: `1,234.5` or `1.234,5`) or a date (and
//! whether day or month comes first); the second builds typed columns directly, so no cell
//! is ever held as a separate `String`. Errors name the line, the field counts or the byte,
//! in the manner of the csv crate's own messages.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::cells::{date_parts, parse_number_in, DateOrder, NumberStyle};
pub use super::cells::{is_missing, parse_number, MISSING_TOKENS};
use super::dataset::{Column, ColumnData, ColumnKind, Dataset, MISSING_CODE};
use super::decode::{decode, DecodeError, TextEncoding};
use super::excel::{is_workbook, sheet_text, ExcelError};

/// Why a file could not be read as a table.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    #[error("the file is empty")]
    Empty,
    #[error("the file has a header row but no data rows")]
    HeaderOnly,
    #[error("line {line}: found {found} fields, but the header (line 1) has {expected}")]
    RaggedRow {
        line: u64,
        expected: usize,
        found: usize,
    },
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Excel(#[from] ExcelError),
    #[error("the file is {0}, not a table of customers (save or export it as CSV)")]
    NotATable(&'static str),
    #[error("line {line}: {message}")]
    Malformed { line: u64, message: String },
    #[error("the file is {size_mb} MB; reading it needs about {needed_mb} MB of memory, more than this browser tab can use (about {limit_mb} MB). Use the churnscope command line for a file this big, or export fewer rows or columns")]
    TooBig {
        size_mb: u64,
        needed_mb: u64,
        limit_mb: u64,
    },
}

pub type Result<T> = std::result::Result<T, IngestError>;

/// Choices that change how cells are read; `None` means "detect".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadOptions {
    /// Columns kept as text even when every cell is a number, e.g. the categorical columns
    /// of a fitted model when it reads new data.
    pub text_columns: Vec<String>,
    /// The text encoding, when the user chose one.
    pub encoding: Option<TextEncoding>,
    /// The field delimiter, when the user chose one.
    pub delimiter: Option<u8>,
    /// The sheet of a workbook (the first when `None`).
    pub sheet: Option<String>,
}

/// How a file was read: what detection (or the user) decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadInfo {
    pub encoding: TextEncoding,
    pub had_bom: bool,
    /// The delimiter as text: `,` `;` `\t` or `|`.
    pub delimiter: String,
    /// Notes for the user, e.g. an ambiguous day/month order.
    pub notes: Vec<String>,
    /// For a workbook: the sheet read and all sheet names (empty for delimited text).
    pub sheet: Option<String>,
    pub sheets: Vec<String>,
}

/// Guesses the delimiter from the header line: the most frequent of `,` `;` tab `|` outside
/// quotes, comma when none occurs.
pub fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 4];
    let candidates = [b',', b';', b'\t', b'|'];
    let mut in_quotes = false;
    for &b in text.as_bytes() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' | b'\r' if !in_quotes => break,
            _ if !in_quotes => {
                if let Some(i) = candidates.iter().position(|&c| c == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let (best, &n) = counts
        .iter()
        .enumerate()
        .max_by_key(|&(i, n)| (*n, std::cmp::Reverse(i)))
        .expect("four candidates");
    if n == 0 {
        b','
    } else {
        candidates[best]
    }
}

/// Working memory a read needs per byte of file: the bytes themselves, text decoded from a
/// legacy encoding (up to 1.5x for GB18030 into UTF-8), and the typed columns (a 1,000,000 x
/// 31 numeric CSV of 270 MB becomes 248 MB of f64), rounded up for the allocator's slack.
pub const MEMORY_PER_FILE_BYTE: u64 = 4;

/// Checks, before reading, that a file of `size` bytes fits in `available` bytes of memory.
pub fn check_fits(size: u64, available: u64) -> Result<()> {
    let needed = size.saturating_mul(MEMORY_PER_FILE_BYTE);
    if needed > available {
        const MB: u64 = 1_000_000;
        return Err(IngestError::TooBig {
            size_mb: size.div_ceil(MB),
            needed_mb: needed.div_ceil(MB),
            limit_mb: available / MB,
        });
    }
    Ok(())
}

/// Reads CSV bytes (any supported encoding and delimiter) into a dataset.
pub fn read_csv(bytes: &[u8], options: &ReadOptions) -> Result<Dataset> {
    read_csv_with_info(bytes, options).map(|(ds, _)| ds)
}

/// What pass 1 learns about a column.
struct Sniff {
    point: bool,
    comma: bool,
    date: bool,
    /// A year-last date had a first component above 12 (so it is day-first) ...
    first_over_12: bool,
    /// ... or a second component above 12 (month-first).
    second_over_12: bool,
    year_last: bool,
    present: usize,
}

enum Plan {
    Number(NumberStyle),
    Date(DateOrder),
    Text,
}

/// Reads a customer export, delimited text or a spreadsheet workbook (recognised by its
/// first bytes), and reports how it was read.
pub fn read_table(bytes: &[u8], options: &ReadOptions) -> Result<(Dataset, ReadInfo)> {
    if !is_workbook(bytes) {
        return read_csv_with_info(bytes, options);
    }
    let sheet = sheet_text(bytes, options.sheet.as_deref())?;
    let text_options = ReadOptions {
        encoding: Some(TextEncoding::Utf8),
        delimiter: Some(b'\t'),
        sheet: None,
        ..options.clone()
    };
    let (ds, mut info) = read_csv_with_info(sheet.text.as_bytes(), &text_options)?;
    info.sheet = Some(sheet.sheet);
    info.sheets = sheet.sheets;
    Ok((ds, info))
}

/// Reads CSV bytes and reports how they were read.
pub fn read_csv_with_info(bytes: &[u8], options: &ReadOptions) -> Result<(Dataset, ReadInfo)> {
    let decoded = decode(bytes, options.encoding)?;
    // The csv crate counts lines by '\n' only; files with old Mac line ends (a lone CR)
    // would report every error on line 1, so lone CRs become LFs first.
    let normalised;
    let text: &str = if has_lone_cr(&decoded.text) {
        normalised = decoded.text.replace("\r\n", "\n").replace('\r', "\n");
        &normalised
    } else {
        &decoded.text
    };
    if text.trim().is_empty() {
        return Err(IngestError::Empty);
    }
    let head = text
        .trim_start()
        .get(..64)
        .unwrap_or(text.trim_start())
        .to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        return Err(IngestError::NotATable("an HTML page"));
    }
    if head.starts_with("<?xml") {
        return Err(IngestError::NotATable("an XML document"));
    }
    let delimiter = options.delimiter.unwrap_or_else(|| sniff_delimiter(text));
    let reader = || {
        csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
    };

    // Pass 1: header, shape, and what each column's cells can be read as.
    let mut rdr = reader();
    let mut records = rdr.records();
    let header = match records.next() {
        Some(r) => r.map_err(malformed)?,
        None => return Err(IngestError::Empty),
    };
    let names = clean_names(header.iter());
    let width = names.len();
    let mut sniffs: Vec<Sniff> = names
        .iter()
        .map(|n| {
            let free = !options.text_columns.contains(n);
            Sniff {
                point: free,
                comma: free,
                date: free,
                first_over_12: false,
                second_over_12: false,
                year_last: false,
                present: 0,
            }
        })
        .collect();
    let mut n_rows = 0usize;
    for record in records {
        let record = record.map_err(malformed)?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != width {
            // A trailing blank line in a one-column file reads as a record of one empty field.
            if record.len() == 1 && record[0].trim().is_empty() {
                continue;
            }
            return Err(IngestError::RaggedRow {
                line,
                expected: width,
                found: record.len(),
            });
        }
        for (sniff, cell) in sniffs.iter_mut().zip(record.iter()) {
            if is_missing(cell) {
                continue;
            }
            sniff.present += 1;
            if sniff.point && parse_number_in(cell, NumberStyle::Point).is_none() {
                sniff.point = false;
            }
            if sniff.comma && parse_number_in(cell, NumberStyle::Comma).is_none() {
                sniff.comma = false;
            }
            if sniff.date && !(sniff.point || sniff.comma) {
                match date_parts(cell) {
                    Some(p) if !p.year_first => {
                        sniff.year_last = true;
                        sniff.first_over_12 |= p.a > 12;
                        sniff.second_over_12 |= p.b > 12;
                    }
                    Some(_) => {}
                    None => sniff.date = false,
                }
            } else if sniff.date && date_parts(cell).is_none() {
                // Still a number candidate; remember the column cannot be a date either.
                sniff.date = false;
            }
        }
        n_rows += 1;
    }
    if n_rows == 0 {
        return Err(IngestError::HeaderOnly);
    }

    let european = delimiter == b';';
    let mut notes = Vec::new();
    let plans: Vec<Plan> = sniffs
        .iter()
        .zip(&names)
        .map(|(s, name)| {
            if s.present == 0 {
                return Plan::Number(NumberStyle::Point);
            }
            match (s.point, s.comma) {
                (true, true) => Plan::Number(if european { NumberStyle::Comma } else { NumberStyle::Point }),
                (true, false) => Plan::Number(NumberStyle::Point),
                (false, true) => Plan::Number(NumberStyle::Comma),
                (false, false) if s.date && !(s.first_over_12 && s.second_over_12) => {
                    let order = if s.first_over_12 {
                        DateOrder::DayFirst
                    } else if s.second_over_12 {
                        DateOrder::MonthFirst
                    } else {
                        let order = if european { DateOrder::DayFirst } else { DateOrder::MonthFirst };
                        if s.year_last {
                            notes.push(format!(
                                "column '{name}': no day above 12, so the order of day and month is ambiguous; read as {}",
                                if order == DateOrder::DayFirst { "day/month/year" } else { "month/day/year" }
                            ));
                        }
                        order
                    };
                    Plan::Date(order)
                }
                _ => Plan::Text,
            }
        })
        .collect();

    // Pass 2: typed columns.
    let mut builders: Vec<Builder> = plans
        .iter()
        .map(|plan| match plan {
            Plan::Number(style) => Builder::Numeric(Vec::with_capacity(n_rows), *style),
            Plan::Date(order) => Builder::Date(Vec::with_capacity(n_rows), *order),
            Plan::Text => Builder::Text {
                index: HashMap::new(),
                levels: Vec::new(),
                codes: Vec::with_capacity(n_rows),
            },
        })
        .collect();
    for record in reader().records().skip(1) {
        let record = record.map_err(malformed)?;
        if record.len() != width {
            continue; // the blank trailing line skipped in pass 1
        }
        for (builder, cell) in builders.iter_mut().zip(record.iter()) {
            builder.push(cell);
        }
    }
    let columns = names
        .into_iter()
        .zip(builders)
        .map(|(name, b)| {
            let is_date = matches!(b, Builder::Date(..));
            let column = Column::new(name, b.finish());
            if is_date {
                column.with_kind(ColumnKind::Date)
            } else {
                column
            }
        })
        .collect();
    let info = ReadInfo {
        encoding: decoded.encoding,
        had_bom: decoded.had_bom,
        delimiter: match delimiter {
            b'\t' => "\\t".to_string(),
            d => (d as char).to_string(),
        },
        notes,
        sheet: None,
        sheets: Vec::new(),
    };
    Ok((Dataset { n_rows, columns }, info))
}

fn has_lone_cr(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter()
        .enumerate()
        .any(|(i, &c)| c == b'\r' && b.get(i + 1) != Some(&b'\n'))
}

fn malformed(e: csv::Error) -> IngestError {
    let line = e.position().map_or(0, |p| p.line());
    IngestError::Malformed {
        line,
        message: e.to_string(),
    }
}

/// Header names with blanks named `column_N` and repeats suffixed `_2`, `_3`, ...
fn clean_names<'a>(raw: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (i, name) in raw.enumerate() {
        let base = match name.trim() {
            "" => format!("column_{}", i + 1),
            t => t.to_string(),
        };
        let mut candidate = base.clone();
        let mut k = 2;
        while names.contains(&candidate) {
            candidate = format!("{base}_{k}");
            k += 1;
        }
        names.push(candidate);
    }
    names
}

enum Builder {
    Numeric(Vec<f64>, NumberStyle),
    Date(Vec<f64>, DateOrder),
    Text {
        index: HashMap<String, u32>,
        levels: Vec<String>,
        codes: Vec<u32>,
    },
}

impl Builder {
    fn push(&mut self, cell: &str) {
        match self {
            Builder::Numeric(v, style) => v.push(if is_missing(cell) {
                f64::NAN
            } else {
                parse_number_in(cell, *style).unwrap_or(f64::NAN)
            }),
            Builder::Date(v, order) => v.push(
                date_parts(cell)
                    .and_then(|p| p.days(*order))
                    .unwrap_or(f64::NAN),
            ),
            Builder::Text {
                index,
                levels,
                codes,
            } => {
                if is_missing(cell) {
                    codes.push(MISSING_CODE);
                } else if let Some(&code) = index.get(cell) {
                    codes.push(code);
                } else {
                    let code = levels.len() as u32;
                    index.insert(cell.to_string(), code);
                    levels.push(cell.to_string());
                    codes.push(code);
                }
            }
        }
    }

    fn finish(self) -> ColumnData {
        match self {
            Builder::Numeric(v, _) | Builder::Date(v, _) => ColumnData::Numeric(v),
            Builder::Text { levels, codes, .. } => ColumnData::Categorical { levels, codes },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::dataset::ColumnKind;

    fn read(text: &str) -> Result<Dataset> {
        read_csv(text.as_bytes(), &ReadOptions::default())
    }

    #[test]
    fn reads_types_and_missing_cells() {
        let ds = read("id,amount,plan,churn\r\n1,3.5,Gold,Yes\r\n2, ,Silver,No\r\n3,NA,,No\r\n")
            .expect("valid csv");
        assert_eq!(ds.n_rows, 3);
        let amount = ds.column("amount").expect("amount");
        match &amount.data {
            ColumnData::Numeric(v) => {
                assert_eq!(v[0], 3.5);
                assert!(
                    v[1].is_nan() && v[2].is_nan(),
                    "a blank and NA are missing: {v:?}"
                );
            }
            other => panic!("amount should be numeric, got {other:?}"),
        }
        assert_eq!(amount.missing(), 2);
        let plan = ds.column("plan").expect("plan");
        assert_eq!(plan.kind, ColumnKind::Categorical);
        assert_eq!(plan.missing(), 1);
        assert_eq!(ds.column("churn").expect("churn").kind, ColumnKind::Boolean);
    }

    #[test]
    fn strips_bom_and_detects_semicolons_and_tabs() {
        let ds = read("\u{FEFF}a;b\n1;2\n").expect("semicolon csv");
        assert_eq!(ds.columns[0].name, "a");
        assert_eq!(ds.columns.len(), 2);
        let ds = read("a\tb\tc\nx\t\"y\ty\"\tz\n").expect("tab csv");
        assert_eq!(ds.columns[1].text(0).as_deref(), Some("y\ty"));
    }

    #[test]
    fn quoted_fields_keep_commas_quotes_and_newlines() {
        let ds = read("name,note\n\"Smith, J\",\"said \"\"hi\"\"\nthen left\"\n").expect("quoted");
        assert_eq!(ds.n_rows, 1);
        assert_eq!(ds.columns[0].text(0).as_deref(), Some("Smith, J"));
        assert_eq!(
            ds.columns[1].text(0).as_deref(),
            Some("said \"hi\"\nthen left")
        );
    }

    #[test]
    fn rejects_ragged_rows_with_the_line() {
        let err = read("a,b,c\n1,2,3\n4,5\n").expect_err("ragged");
        assert_eq!(
            err,
            IngestError::RaggedRow {
                line: 3,
                expected: 3,
                found: 2
            }
        );
        assert_eq!(
            err.to_string(),
            "line 3: found 2 fields, but the header (line 1) has 3"
        );
    }

    #[test]
    fn rejects_empty_header_only_binary_and_bad_utf8() {
        assert_eq!(read(""), Err(IngestError::Empty));
        assert_eq!(read(" \n\n"), Err(IngestError::Empty));
        assert_eq!(read("a,b,churn\n"), Err(IngestError::HeaderOnly));
        assert!(matches!(
            read_csv(b"PK\x03\x04\x00\x00", &ReadOptions::default()),
            Err(IngestError::Decode(DecodeError::Binary { offset: 4 }))
        ));
        assert!(matches!(
            read_csv(
                b"a,b\n1,\xFF\n",
                &ReadOptions {
                    encoding: Some(TextEncoding::Utf8),
                    ..Default::default()
                }
            ),
            Err(IngestError::Decode(DecodeError::Undecodable {
                offset: 6,
                value: 0xFF,
                ..
            }))
        ));
        assert_eq!(
            read("<!DOCTYPE html><html><body>Sign in</body></html>"),
            Err(IngestError::NotATable("an HTML page"))
        );
    }

    #[test]
    fn names_blank_and_repeated_headers() {
        let ds = read("a,,a\n1,2,3\n").expect("csv");
        let names: Vec<&str> = ds.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "column_2", "a_2"]);
    }

    #[test]
    fn numbers_are_finite_and_infinity_is_text() {
        assert_eq!(parse_number(" 1.5 "), Some(1.5));
        assert_eq!(parse_number("-2e3"), Some(-2000.0));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("1e400"), None);
        assert_eq!(parse_number("12abc"), None);
    }

    #[test]
    fn reads_european_numbers_currency_and_percentages() {
        let (ds, info) = read_csv_with_info(
            "Kunde;Umsatz;Rabatt;Anteil\nA;1.234,50 €;12,5%;3\nB;99,00 €;0%;4\n".as_bytes(),
            &ReadOptions::default(),
        )
        .expect("semicolon csv");
        assert_eq!(info.delimiter, ";");
        let values = |name: &str| match &ds.column(name).expect(name).data {
            ColumnData::Numeric(v) => v.clone(),
            other => panic!("{name} should be numeric: {other:?}"),
        };
        assert_eq!(values("Umsatz"), [1234.5, 99.0]);
        assert_eq!(values("Rabatt"), [0.125, 0.0]);
        assert_eq!(values("Anteil"), [3.0, 4.0]);
        let ds = read("id,spend\n1,\"$1,200.00\"\n2,$35.10\n").expect("us money");
        assert!(matches!(&ds.columns[1].data, ColumnData::Numeric(v) if v == &[1200.0, 35.1]));
    }

    #[test]
    fn reads_dates_and_resolves_day_month_order_from_the_data() {
        use crate::engine::cells::days_from_civil;
        let (ds, info) = read_csv_with_info(
            b"signup,last\n03/01/2024,2024-01-02 10:00\n25/12/2023,2024-02-03\n",
            &ReadOptions::default(),
        )
        .expect("dates");
        let signup = ds.column("signup").expect("signup");
        assert_eq!(signup.kind, ColumnKind::Date);
        assert_eq!(
            signup.text(0).as_deref(),
            Some("2024-01-03"),
            "25/12 proves day-first"
        );
        assert!(
            matches!(&signup.data, ColumnData::Numeric(v) if v[1] == days_from_civil(2023, 12, 25) as f64)
        );
        assert_eq!(
            ds.column("last").expect("last").text(0).as_deref(),
            Some("2024-01-02 10:00")
        );
        assert!(info.notes.is_empty());
        let (ds, info) = read_csv_with_info(
            "d\n01/02/2024\n03/04/2024\n".as_bytes(),
            &ReadOptions::default(),
        )
        .expect("ambiguous");
        assert_eq!(
            ds.columns[0].text(0).as_deref(),
            Some("2024-01-02"),
            "comma file: month first"
        );
        assert_eq!(info.notes.len(), 1);
        let ds = read("日期\n2024年1月2日\n2024年11月30日\n").expect("chinese dates");
        assert_eq!(ds.columns[0].kind, ColumnKind::Date);
    }

    #[test]
    fn manual_delimiter_and_encoding_override_detection() {
        let opts = ReadOptions {
            delimiter: Some(b'|'),
            ..Default::default()
        };
        let ds = read_csv(b"a,b|c\n1,2|3\n", &opts).expect("pipe");
        assert_eq!(ds.columns[0].name, "a,b");
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode("name,city\nRenée,Köln\n");
        let (ds, info) = read_csv_with_info(&latin, &ReadOptions::default()).expect("1252");
        assert_eq!(info.encoding, TextEncoding::Windows1252);
        assert_eq!(ds.columns[1].text(0).as_deref(), Some("Köln"));
    }

    #[test]
    fn refuses_files_too_big_for_the_memory_before_reading() {
        // 270 MB (the 1,000,000-row benchmark file) needs 1,080 MB: fits in 4 GiB.
        assert_eq!(check_fits(270_000_000, 4 << 30), Ok(()));
        let err = check_fits(1_500_000_000, 4 << 30).expect_err("6 GB needed");
        assert_eq!(
            err,
            IngestError::TooBig {
                size_mb: 1500,
                needed_mb: 6000,
                limit_mb: 4294
            }
        );
        assert!(err.to_string().contains("command line"));
    }

    #[test]
    fn blank_lines_are_not_rows() {
        let ds = read("a,b\n1,2\n\n3,4\n\n").expect("csv");
        assert_eq!(ds.n_rows, 2);
        let ds = read("only\nx\n\ny\n\n").expect("one-column csv");
        assert_eq!(ds.n_rows, 2);
        assert!(ds.columns.iter().all(|c| c.len() == ds.n_rows));
    }

    #[test]
    fn reads_cr_only_line_ends() {
        let ds = read("a,b\r1,2\r3,4\r").expect("old Mac line ends");
        assert_eq!(ds.n_rows, 2);
        assert_eq!(ds.columns[1].text(1).as_deref(), Some("4"));
        assert!(matches!(
            read("a,b\r1,2\r3\r"),
            Err(IngestError::RaggedRow { line: 3, .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            if let Ok(ds) = read_csv(&bytes, &ReadOptions::default()) {
                proptest::prop_assert!(ds.columns.iter().all(|c| c.len() == ds.n_rows));
                let _ = ds.summary();
                let _ = crate::engine::target::detect_target(&ds);
            }
        }

        #[test]
        fn never_panics_on_damaged_workbooks(tail in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let mut bytes = b"PK\x03\x04".to_vec();
            bytes.extend(tail);
            let _ = read_table(&bytes, &ReadOptions::default());
        }

        #[test]
        fn never_panics_on_csv_like_text(text in "[a-c0-9,;\"\n\r .-]{0,300}") {
            if let Ok(ds) = read_csv(text.as_bytes(), &ReadOptions::default()) {
                proptest::prop_assert!(ds.n_rows > 0);
                proptest::prop_assert!(ds.columns.iter().all(|c| c.len() == ds.n_rows));
                let _ = crate::engine::target::detect_target(&ds);
            }
        }
    }

    #[test]
    fn text_columns_option_keeps_numbers_as_text() {
        let opts = ReadOptions {
            text_columns: vec!["code".into()],
            ..Default::default()
        };
        let ds = read_csv(b"code,x\n415,1\n408,2\n", &opts).expect("csv");
        assert_eq!(ds.columns[0].text(1).as_deref(), Some("408"));
        assert!(matches!(ds.columns[0].data, ColumnData::Categorical { .. }));
    }
}
