//! Reading a customer export (CSV bytes) into a typed [`Dataset`].
//!
//! Two passes over the bytes: the first checks the shape (every row as wide as the header)
//! and decides, per column, whether every non-missing cell is a number; the second builds
//! typed columns directly, so no cell is ever held as a separate `String`. Errors name the
//! line, the field counts or the byte, in the manner of the csv crate's own messages.

use std::collections::HashMap;

use super::dataset::{Column, ColumnData, Dataset, MISSING_CODE};

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
    #[error("the file is not UTF-8 text: byte 0x{value:02X} at offset {offset} cannot be decoded")]
    NotUtf8 { offset: usize, value: u8 },
    #[error("the file is not a text table: it contains a NUL byte at offset {offset}")]
    Binary { offset: usize },
    #[error("line {line}: {message}")]
    Malformed { line: u64, message: String },
}

pub type Result<T> = std::result::Result<T, IngestError>;

/// Choices that change how cells are read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadOptions {
    /// Columns kept as text even when every cell is a number, e.g. the categorical columns
    /// of a fitted model when it reads new data.
    pub text_columns: Vec<String>,
}

/// Cell texts that mean "no value" (compared after trimming spaces).
pub const MISSING_TOKENS: &[&str] = &[
    "", "NA", "N/A", "n/a", "na", "#N/A", "null", "NULL", "Null", "NaN", "nan", "None", "none",
    "-", "?",
];

/// True when a cell's text means "no value".
pub fn is_missing(cell: &str) -> bool {
    MISSING_TOKENS.contains(&cell.trim())
}

/// The cell as a finite number, if it is one.
pub fn parse_number(cell: &str) -> Option<f64> {
    let t = cell.trim();
    // Rust also reads "inf" and "infinity"; a table cell saying so is text, not a number.
    let first = t.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    t.parse::<f64>().ok().filter(|x| x.is_finite())
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

/// Reads CSV bytes (UTF-8, optional byte-order mark, any of the usual delimiters).
pub fn read_csv(bytes: &[u8], options: &ReadOptions) -> Result<Dataset> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(offset) = bytes.iter().take(8192).position(|&b| b == 0) {
        return Err(IngestError::Binary { offset });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| IngestError::NotUtf8 {
        offset: e.valid_up_to(),
        value: bytes[e.valid_up_to()],
    })?;
    if text.trim().is_empty() {
        return Err(IngestError::Empty);
    }
    let delimiter = sniff_delimiter(text);
    let reader = || {
        csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
    };

    // Pass 1: header, shape, and which columns are entirely numeric.
    let mut rdr = reader();
    let mut records = rdr.records();
    let header = match records.next() {
        Some(r) => r.map_err(malformed)?,
        None => return Err(IngestError::Empty),
    };
    let names = clean_names(header.iter());
    let width = names.len();
    let mut numeric: Vec<bool> = names
        .iter()
        .map(|n| !options.text_columns.contains(n))
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
        for (i, cell) in record.iter().enumerate() {
            if numeric[i] && !is_missing(cell) && parse_number(cell).is_none() {
                numeric[i] = false;
            }
        }
        n_rows += 1;
    }
    if n_rows == 0 {
        return Err(IngestError::HeaderOnly);
    }

    // Pass 2: typed columns.
    let mut builders: Vec<Builder> = numeric
        .iter()
        .map(|&is_num| {
            if is_num {
                Builder::Numeric(Vec::with_capacity(n_rows))
            } else {
                Builder::Text {
                    index: HashMap::new(),
                    levels: Vec::new(),
                    codes: Vec::with_capacity(n_rows),
                }
            }
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
        .map(|(name, b)| Column::new(name, b.finish()))
        .collect();
    Ok(Dataset { n_rows, columns })
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
    Numeric(Vec<f64>),
    Text {
        index: HashMap<String, u32>,
        levels: Vec<String>,
        codes: Vec<u32>,
    },
}

impl Builder {
    fn push(&mut self, cell: &str) {
        match self {
            Builder::Numeric(v) => v.push(parse_number(cell).unwrap_or(f64::NAN)),
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
            Builder::Numeric(v) => ColumnData::Numeric(v),
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
            Err(IngestError::Binary { offset: 4 })
        ));
        assert!(matches!(
            read_csv(b"a,b\n1,\xFF\n", &ReadOptions::default()),
            Err(IngestError::NotUtf8 {
                offset: 6,
                value: 0xFF
            })
        ));
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
        };
        let ds = read_csv(b"code,x\n415,1\n408,2\n", &opts).expect("csv");
        assert_eq!(ds.columns[0].text(1).as_deref(), Some("408"));
        assert!(matches!(ds.columns[0].data, ColumnData::Categorical { .. }));
    }
}
