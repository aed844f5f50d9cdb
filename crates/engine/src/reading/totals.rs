//! Spotting a spreadsheet's "Total" row at the bottom of a customer export.
//!
//! Spreadsheets export the summary rows under a table as if they were data: a last line
//! `Total,,16159,...` becomes a customer called `Total` whose numbers dwarf everyone else's,
//! squashing histograms, inflating sums and appearing in the action list. The rule, applied
//! to the last few rows of a file (blank rows among them are skipped over):
//!
//! 1. the row's label, its first present cell that is not a number, is one of [`LABELS`]
//!    (compared case-insensitively, a trailing colon ignored), and
//! 2. in at least one numeric column the row's value is *far* above the customers' range:
//!    above `max + (max - min)`, where `min` and `max` are taken over every row before the
//!    last few. A sum of many non-negative values passes easily; a customer who happens to
//!    be called "Sum" with ordinary numbers does not.
//!
//! Both conditions must hold, so a totals row without a label, or a label without
//! out-of-range numbers, is left alone.

use serde::{Deserialize, Serialize};

use crate::dataset::{group_thousands, ColumnData, ColumnKind, Dataset};
use crate::reading::cells::{is_missing, parse_number};

/// Labels of summary rows, lower case.
pub const LABELS: &[&str] = &[
    "total",
    "totals",
    "grand total",
    "sum",
    "subtotal",
    "sub-total",
    "sub total",
    "合计",
    "总计",
    "小计",
    "合計",
    "總計",
    "小計",
];

/// How many rows at the end of a file are examined.
pub const TAIL_ROWS: usize = 4;

/// A numeric cell of a summary row that lies far above the column's range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutOfRange {
    pub column: String,
    pub value: f64,
    /// The largest value of the column among the customers.
    pub max: f64,
}

/// A row read as a summary ("Total") row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// The line of the file where the row starts or, in a workbook, the sheet's row number.
    pub line: u64,
    /// The sheet, for a workbook.
    #[serde(default)]
    pub sheet: Option<String>,
    /// The label found, as written (`Total`, `合计`).
    pub label: String,
    /// The numeric cells far above the customers' range, in column order.
    pub columns: Vec<OutOfRange>,
    /// True when the user asked to keep it as a customer.
    pub kept: bool,
}

impl SummaryRow {
    /// One sentence for the user, e.g. "Line 5,632 looks like a totals row (OrderCount 16,159
    /// is above every customer's); it was left out."
    pub fn message(&self) -> String {
        let place = match &self.sheet {
            Some(sheet) => format!("Row {} of sheet '{sheet}'", group_line(self.line)),
            None => format!("Line {}", group_line(self.line)),
        };
        let shown: Vec<String> = self
            .columns
            .iter()
            .take(3)
            .map(|c| format!("{} {}", c.column, amount(c.value)))
            .collect();
        let more = self.columns.len() - shown.len();
        let cells = match (shown.as_slice(), more) {
            ([one], 0) => format!("{one} is"),
            (_, 0) => format!(
                "{} and {} are",
                shown[..shown.len() - 1].join(", "),
                shown[shown.len() - 1]
            ),
            (_, n) => format!("{} and {n} more are", shown.join(", ")),
        };
        let outcome = if self.kept {
            "it was kept as a customer, as asked"
        } else {
            "it was left out"
        };
        format!(
            "{place} looks like a totals row ('{}': {cells} above every customer's); {outcome}.",
            self.label
        )
    }
}

fn group_line(line: u64) -> String {
    group_thousands(usize::try_from(line).unwrap_or(usize::MAX))
}

/// A value for a message: whole numbers grouped by thousands, others as written.
fn amount(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        let grouped = group_thousands(v.abs() as usize);
        if v < 0.0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    } else {
        crate::dataset::format_number(v)
    }
}

/// The summary label of a row's raw cells, if its label is one.
pub fn summary_label(cells: &[String]) -> Option<&str> {
    let label = cells
        .iter()
        .map(|c| c.trim())
        .find(|c| !is_missing(c) && parse_number(c).is_none())?;
    let key = label.trim_end_matches([':', '：']).trim().to_lowercase();
    let key = key.split_whitespace().collect::<Vec<_>>().join(" ");
    LABELS.contains(&key.as_str()).then_some(label)
}

/// True when every cell of a row is blank (a spreadsheet's empty row exported as `,,,`).
pub fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

/// The numeric cells of row `row` far above their column's range over rows `..reference`.
pub fn out_of_range(ds: &Dataset, row: usize, reference: usize) -> Vec<OutOfRange> {
    let mut found = Vec::new();
    for column in &ds.columns {
        let ColumnData::Numeric(values) = &column.data else {
            continue;
        };
        if column.kind == ColumnKind::Date {
            continue;
        }
        let Some(&value) = values.get(row).filter(|v| v.is_finite()) else {
            continue;
        };
        let (min, max) = values[..reference.min(values.len())]
            .iter()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        if max.is_finite() && value > max + (max - min) {
            found.push(OutOfRange {
                column: column.name.clone(),
                value,
                max,
            });
        }
    }
    found
}

/// The summary rows among the last rows of `ds`, given the raw cells of those rows
/// (`tail[j]` is row `ds.n_rows - tail.len() + j`, with its line): the rows found, in file
/// order, and the index in `tail` where the trailing block of summary and blank rows
/// starts. Empty when no row qualifies.
pub fn find(ds: &Dataset, tail: &[(u64, Vec<String>)]) -> (Vec<SummaryRow>, usize) {
    let reference = ds.n_rows - tail.len();
    if reference < 2 {
        return (Vec::new(), tail.len());
    }
    let mut rows = Vec::new();
    let mut start = tail.len();
    for (j, (line, cells)) in tail.iter().enumerate().rev() {
        if is_blank(cells) {
            start = j;
            continue;
        }
        let Some(label) = summary_label(cells) else {
            break;
        };
        let columns = out_of_range(ds, reference + j, reference);
        if columns.is_empty() {
            break;
        }
        start = j;
        rows.push(SummaryRow {
            line: *line,
            sheet: None,
            label: label.to_string(),
            columns,
            kept: false,
        });
    }
    if rows.is_empty() {
        return (rows, tail.len());
    }
    rows.reverse();
    (rows, start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::ingest::{read_csv, ReadOptions};

    fn cells(row: &[&str]) -> Vec<String> {
        row.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn labels_are_matched_case_insensitively_after_numbers_and_blanks() {
        assert_eq!(summary_label(&cells(&["Total", "3"])), Some("Total"));
        assert_eq!(
            summary_label(&cells(&["", "GRAND  Total:", "3"])),
            Some("GRAND  Total:")
        );
        assert_eq!(summary_label(&cells(&["5631", "合计", "3"])), Some("合计"));
        assert_eq!(summary_label(&cells(&["NA", "sum"])), Some("sum"));
        assert_eq!(summary_label(&cells(&["Totally", "3"])), None);
        assert_eq!(summary_label(&cells(&["Alice", "Total"])), None);
        assert_eq!(summary_label(&cells(&["", ""])), None);
    }

    fn dataset(text: &str) -> Dataset {
        read_csv(
            text.as_bytes(),
            &ReadOptions {
                keep_summary_rows: true,
                ..ReadOptions::default()
            },
        )
        .expect("reads")
    }

    fn tail(ds: &Dataset, rows: &[&[&str]]) -> Vec<(u64, Vec<String>)> {
        let first = ds.n_rows - rows.len();
        rows.iter()
            .enumerate()
            .map(|(j, r)| ((first + j + 2) as u64, cells(r)))
            .collect()
    }

    #[test]
    fn a_total_row_far_above_the_range_is_found_with_its_columns() {
        let ds = dataset("id,orders,churn\na,3,1\nb,5,0\nc,4,0\nd,2,1\nTotal,14,2\n");
        let t = tail(
            &ds,
            &[&["c", "4", "0"], &["d", "2", "1"], &["Total", "14", "2"]],
        );
        let (rows, start) = find(&ds, &t);
        assert_eq!(rows.len(), 1);
        assert_eq!(start, 2);
        assert_eq!(rows[0].line, 6);
        assert_eq!(rows[0].label, "Total");
        // By hand over rows a and b (the rows before the tail): orders 14 > 5 + (5 - 3) = 7;
        // churn 2 is not above 1 + (1 - 0) = 2.
        let names: Vec<&str> = rows[0].columns.iter().map(|c| c.column.as_str()).collect();
        assert_eq!(names, ["orders"]);
        assert_eq!(
            rows[0].message(),
            "Line 6 looks like a totals row ('Total': orders 14 is above every customer's); it was left out."
        );
    }

    #[test]
    fn a_customer_called_sum_with_ordinary_numbers_is_not_a_total() {
        let ds = dataset("id,orders\na,3\nb,5\nc,4\nSum,6\n");
        let t = tail(&ds, &[&["c", "4"], &["Sum", "6"]]);
        // 6 is above the max 5 but not above 5 + (5 - 3) = 7.
        assert_eq!(find(&ds, &t).0, Vec::new());
    }

    #[test]
    fn blank_rows_around_a_total_belong_to_the_block() {
        let ds = dataset("id,orders\na,3\nb,5\nc,4\n,\nTotal,12\n,\n");
        let t = tail(&ds, &[&["c", "4"], &["", ""], &["Total", "12"], &["", ""]]);
        let (rows, start) = find(&ds, &t);
        assert_eq!(rows.len(), 1);
        assert_eq!(start, 1);
    }

    #[test]
    fn too_few_rows_to_judge_finds_nothing() {
        let ds = dataset("id,orders\na,3\nTotal,3000\n");
        let t = tail(&ds, &[&["a", "3"], &["Total", "3000"]]);
        assert!(find(&ds, &t).0.is_empty());
    }

    #[test]
    fn messages_name_the_sheet_and_group_numbers() {
        let row = SummaryRow {
            line: 5632,
            sheet: Some("E Comm".into()),
            label: "Total".into(),
            columns: vec![OutOfRange {
                column: "OrderCount".into(),
                value: 16159.0,
                max: 16.0,
            }],
            kept: true,
        };
        assert_eq!(
            row.message(),
            "Row 5,632 of sheet 'E Comm' looks like a totals row ('Total': OrderCount 16,159 is above every customer's); it was kept as a customer, as asked."
        );
    }
}
