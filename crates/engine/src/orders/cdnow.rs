//! CDNOW's purchase log: whitespace-separated numbers with no header, one purchase per line:
//! customer id, (an id within the sample, in the 5-field variant), date as `YYYYMMDD`,
//! number of items, dollar value. The CSV reader cannot take it (no header, no delimiter),
//! so it has a reader of its own.

use crate::dataset::{Column, ColumnData, ColumnKind, Dataset};
use crate::reading::cells::days_from_civil;
use crate::reading::decode::TextEncoding;
use crate::reading::ingest::ReadInfo;

/// The columns of the table [`read`] returns, in order.
pub const COLUMNS: [&str; 4] = ["customer", "date", "quantity", "amount"];

/// The fields of one line, as (customer, date, quantity, amount) text.
fn fields(line: &str) -> Option<[&str; 4]> {
    let f: Vec<&str> = line.split_whitespace().collect();
    match f.as_slice() {
        [c, d, q, a] => Some([c, d, q, a]),
        [c, _, d, q, a] => Some([c, d, q, a]),
        _ => None,
    }
}

/// Days since 1970-01-01 of a `YYYYMMDD` date.
fn ymd(text: &str) -> Option<f64> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i64 = text[..4].parse().ok()?;
    let month: u32 = text[4..6].parse().ok()?;
    let day: u32 = text[6..].parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // Rejects 31 February and the like: the day must round-trip.
    (crate::reading::cells::civil_from_days(days) == (year, month, day)).then_some(days as f64)
}

/// True when `bytes` start like a CDNOW log: the first non-blank line is four or five
/// whitespace-separated numbers with a `YYYYMMDD` date.
pub fn looks_like(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let Ok(text) =
        std::str::from_utf8(head).or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]))
    else {
        return false;
    };
    let Some(line) = text.lines().find(|l| !l.trim().is_empty()) else {
        return false;
    };
    fields(line).is_some_and(|[c, d, q, a]| {
        c.parse::<u64>().is_ok()
            && ymd(d).is_some()
            && q.parse::<f64>().is_ok()
            && a.parse::<f64>().is_ok()
    })
}

/// Reads a CDNOW log into a table of [`COLUMNS`]; an error names the first line that is not
/// a purchase, with its text.
pub fn read(bytes: &[u8]) -> Result<Dataset, String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("the log is not UTF-8 text (byte {})", e.valid_up_to()))?;
    let mut customers: Vec<String> = Vec::new();
    let mut codes = Vec::new();
    let mut index = std::collections::HashMap::new();
    let (mut dates, mut quantities, mut amounts) = (Vec::new(), Vec::new(), Vec::new());
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || format!("line {}: not a CDNOW purchase: '{}'", n + 1, line.trim());
        let [c, d, q, a] = fields(line).ok_or_else(bad)?;
        let date = ymd(d).ok_or_else(|| format!("line {}: '{d}' is not a YYYYMMDD date", n + 1))?;
        let quantity: f64 = q.parse().map_err(|_| bad())?;
        let amount: f64 = a.parse().map_err(|_| bad())?;
        let next = customers.len() as u32;
        let code = *index.entry(c.to_string()).or_insert_with(|| {
            customers.push(c.to_string());
            next
        });
        codes.push(code);
        dates.push(date);
        quantities.push(quantity);
        amounts.push(amount);
    }
    if codes.is_empty() {
        return Err("the log has no purchases".to_string());
    }
    Ok(Dataset {
        n_rows: codes.len(),
        columns: vec![
            Column::new(
                COLUMNS[0].into(),
                ColumnData::Categorical {
                    levels: customers,
                    codes,
                },
            )
            .with_kind(ColumnKind::Identifier),
            Column::new(COLUMNS[1].into(), ColumnData::Numeric(dates)).with_kind(ColumnKind::Date),
            Column::new(COLUMNS[2].into(), ColumnData::Numeric(quantities)),
            Column::new(COLUMNS[3].into(), ColumnData::Numeric(amounts)),
        ],
    })
}

/// [`read`] with a [`ReadInfo`] saying how the file was read, for the places that show one.
pub fn read_with_info(bytes: &[u8]) -> Result<(Dataset, ReadInfo), String> {
    let ds = read(bytes)?;
    let info = ReadInfo {
        encoding: TextEncoding::Utf8,
        had_bom: false,
        delimiter: " ".to_string(),
        notes: vec![
            "Read as CDNOW's purchase log: whitespace-separated, no header (customer, date, \
             quantity, amount)."
                .to_string(),
        ],
        sheet: None,
        sheets: Vec::new(),
        sheet_reason: None,
        summary_rows: Vec::new(),
    };
    Ok((ds, info))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_variants_and_names_a_bad_line() {
        // Lines in the format of ../shared/datasets/CDNOW_sample.txt (5 fields) and of the
        // 4-field CDNOW master file.
        let five = b" 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n";
        assert!(looks_like(five));
        let ds = read(five).expect("a CDNOW log");
        assert_eq!(ds.n_rows, 2);
        assert_eq!(ds.columns[0].text(1).as_deref(), Some("00004"));
        assert_eq!(ds.columns[1].text(1).as_deref(), Some("1997-01-18"));
        let four = b"1 19970101 1 11.77\n\n2 19970112 1 12.00\n";
        assert_eq!(read(four).expect("4 fields").n_rows, 2);
        assert!(!looks_like(b"customer,date,amount\n1,2020-01-01,3\n"));
        let err = read(b"1 19970101 1 11.77\n2 19971301 1 12\n").expect_err("month 13");
        assert!(err.contains("line 2") && err.contains("19971301"), "{err}");
    }
}
