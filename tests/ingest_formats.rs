//! Every dialect, encoding and error the reader must handle, on fixture files in tests/data/
//! written in the encoding they claim (by Python's codecs: `"...".encode("gbk")` and so on),
//! and on the real datasets in ../shared/datasets (their quirks: ../shared/datasets/README.md).

use std::path::PathBuf;

use churnscope_engine::dataset::{ColumnData, ColumnKind, Dataset};
use churnscope_engine::reading::cells::days_from_civil;
use churnscope_engine::reading::decode::{DecodeError, TextEncoding};
use churnscope_engine::reading::ingest::{read_csv_with_info, IngestError, ReadInfo, ReadOptions};
use churnscope_engine::understanding::target::detect_target;

fn read_path(path: PathBuf) -> Result<(Dataset, ReadInfo), IngestError> {
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    read_csv_with_info(&bytes, &ReadOptions::default())
}

fn fixture(name: &str) -> Result<(Dataset, ReadInfo), IngestError> {
    read_path(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
}

fn dataset(name: &str) -> Dataset {
    read_path(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/datasets")
            .join(name),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
    .0
}

fn numbers(ds: &Dataset, column: &str) -> Vec<f64> {
    match &ds
        .column(column)
        .unwrap_or_else(|| panic!("no column {column}"))
        .data
    {
        ColumnData::Numeric(v) => v.clone(),
        other => panic!("{column} is not numeric: {other:?}"),
    }
}

fn names(ds: &Dataset) -> Vec<&str> {
    ds.columns.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn chinese_headers_in_every_encoding_a_spreadsheet_writes() {
    for (file, encoding) in [
        ("gbk_chinese.csv", TextEncoding::Gb18030),
        ("gb18030_chinese.csv", TextEncoding::Gb18030),
        ("utf8_bom.csv", TextEncoding::Utf8),
        ("utf16le_bom.csv", TextEncoding::Utf16Le),
        ("utf16be_bom.csv", TextEncoding::Utf16Be),
    ] {
        let (ds, info) = fixture(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(info.encoding, encoding, "{file}");
        assert_eq!(
            names(&ds),
            ["客户编号", "城市", "消费金额", "注册日期", "是否流失"],
            "{file}"
        );
        assert_eq!(
            ds.column("城市").and_then(|c| c.text(1)).as_deref(),
            Some("上海"),
            "{file}"
        );
        let spend = numbers(&ds, "消费金额");
        assert_eq!((spend[0], spend[1]), (1280.5, 560.0), "{file}");
        assert!(spend[2].is_nan(), "{file}: blank is missing");
        let date = ds.column("注册日期").expect("date column");
        assert_eq!(date.kind, ColumnKind::Date, "{file}");
        assert_eq!(date.text(1).as_deref(), Some("2024-03-15"), "{file}");
        let target = detect_target(&ds).expect("ok").expect("流失 column found");
        assert_eq!(
            (target.column.as_str(), target.positive.as_str()),
            ("是否流失", "是"),
            "{file}"
        );
    }
}

#[test]
fn western_legacy_encoding() {
    let (ds, info) = fixture("windows1252.csv").expect("windows-1252");
    assert_eq!(info.encoding, TextEncoding::Windows1252);
    assert_eq!(
        ds.column("customer").and_then(|c| c.text(0)).as_deref(),
        Some("Müller")
    );
    assert_eq!(
        ds.column("city").and_then(|c| c.text(2)).as_deref(),
        Some("Århus")
    );
}

#[test]
fn european_semicolon_export_with_decimal_commas_currency_and_dates() {
    let (ds, info) = fixture("european_semicolon.csv").expect("semicolon");
    assert_eq!(info.delimiter, ";");
    assert_eq!(numbers(&ds, "Umsatz"), [1234.5, 99.0, 2000.0]);
    let discount = numbers(&ds, "Rabatt");
    assert_eq!((discount[0], discount[1]), (0.125, 0.0));
    assert!(discount[2].is_nan(), "N/A is missing");
    let last = numbers(&ds, "Letzte Bestellung");
    assert_eq!(
        last[1],
        days_from_civil(2023, 12, 25) as f64,
        "25.12.2023 is day-first"
    );
    assert_eq!(last[0], days_from_civil(2024, 1, 3) as f64);
}

#[test]
fn tab_pipe_cr_and_quoted_dialects() {
    let (ds, info) = fixture("tab_separated.tsv").expect("tsv");
    assert_eq!(info.delimiter, "\\t");
    assert_eq!(
        ds.column("plan").and_then(|c| c.text(2)).as_deref(),
        Some("Gold\tPlus")
    );
    let monthly = numbers(&ds, "monthly");
    assert_eq!((monthly[0], monthly[1]), (1200.0, 35.1));
    assert!(monthly[2].is_nan(), "'-' is missing");
    assert_eq!(ds.column("churn").expect("churn").kind, ColumnKind::Boolean);

    let (ds, info) = fixture("pipe_separated.txt").expect("pipe");
    assert_eq!(info.delimiter, "|");
    assert_eq!(
        ds.column("churned").expect("churned").kind,
        ColumnKind::Boolean
    );
    assert!(numbers(&ds, "score")[1].is_nan(), "NULL is missing");

    let (ds, _) = fixture("cr_line_ends.csv").expect("CR only");
    assert_eq!((ds.n_rows, numbers(&ds, "amount")), (2, vec![3.5, 4.0]));

    let (ds, _) = fixture("quoted_multiline.csv").expect("quoted");
    assert_eq!(ds.n_rows, 2);
    assert_eq!(
        ds.column("note").and_then(|c| c.text(0)).as_deref(),
        Some("said \"hi\", then\nleft")
    );
}

#[test]
fn month_first_dates_with_times() {
    let (ds, _) = fixture("us_dates.csv").expect("us dates");
    let signup = numbers(&ds, "signup");
    assert_eq!(
        signup[0],
        days_from_civil(2023, 12, 31) as f64 + 18.5 / 24.0
    );
    assert_eq!(signup[1], days_from_civil(2024, 1, 15) as f64);
}

#[test]
fn errors_are_specific() {
    assert_eq!(fixture("empty.csv").map(|_| ()), Err(IngestError::Empty));
    assert_eq!(
        fixture("header_only.csv").map(|_| ()),
        Err(IngestError::HeaderOnly)
    );
    assert_eq!(
        fixture("ragged.csv").map(|_| ()),
        Err(IngestError::RaggedRow {
            line: 3,
            expected: 4,
            found: 3
        })
    );
    assert_eq!(
        fixture("html_page.csv").map(|_| ()),
        Err(IngestError::NotATable("an HTML page"))
    );
    assert!(matches!(
        fixture("binary.bin"),
        Err(IngestError::Decode(DecodeError::Binary { offset: 0 }))
    ));
    let err = fixture("mixed_encoding.csv")
        .map(|_| ())
        .expect_err("mixed");
    assert_eq!(
        err,
        IngestError::Decode(DecodeError::Undecodable {
            offset: 13,
            value: 0xE9,
            encoding: TextEncoding::Utf8,
            guess: TextEncoding::Windows1252
        })
    );
}

#[test]
fn real_datasets_read_with_their_quirks() {
    // Telco: 11 TotalCharges cells are a single space -> missing numbers.
    let telco = dataset("WA_Fn-UseC_-Telco-Customer-Churn.csv");
    assert_eq!(telco.column("TotalCharges").expect("col").missing(), 11);
    // E-commerce: 1856 blank cells in 7 numeric columns.
    let ecom = dataset("E_Commerce_Dataset.csv");
    let blanks: usize = ecom.columns.iter().map(|c| c.missing()).sum();
    assert_eq!(blanks, 1856);
    assert_eq!(ecom.columns.iter().filter(|c| c.missing() > 0).count(), 7);
    // BigML: True/False labels; headers with spaces.
    let bigml = dataset("churn-bigml-80.csv");
    let t = detect_target(&bigml).expect("ok").expect("Churn");
    assert_eq!((t.column.as_str(), t.positive.as_str()), ("Churn", "True"));
    assert!(bigml.column("Account length").is_some());
    // Bank variant: 54 blank Gender and 300 blank Age cells.
    let bank = dataset("Churn_Modelling_variant_with_blanks.csv");
    assert_eq!(bank.column("Gender").expect("col").missing(), 54);
    assert_eq!(bank.column("Age").expect("col").missing(), 300);
    assert_eq!(
        bank.column("CustomerId").expect("col").kind,
        ColumnKind::Identifier
    );
}

#[test]
fn duplicate_counts_match_the_reference_protocol() {
    use churnscope_engine::understanding::checks::{check, DataWarning};
    // baselines.md: "22 duplicate rows once IDs are dropped" (telco_ibm) and 556
    // (ecommerce_churn), pandas `duplicated()` with the ID column dropped, target included.
    for (file, expected) in [
        ("WA_Fn-UseC_-Telco-Customer-Churn.csv", 22),
        ("E_Commerce_Dataset.csv", 556),
    ] {
        let ds = dataset(file);
        let found = check(&ds, None).into_iter().find_map(|w| match w {
            DataWarning::DuplicateRows { count, .. } => Some(count),
            _ => None,
        });
        assert_eq!(found, Some(expected), "{file}");
    }
}

#[test]
fn excel_workbook_sheets() {
    use churnscope_engine::reading::excel::ExcelError;
    use churnscope_engine::reading::ingest::read_table;
    // tests/data/customers.xlsx, written by openpyxl 3.1.5: sheets Customers and Summary.
    let bytes =
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/customers.xlsx"))
            .expect("fixture");
    let (ds, info) = read_table(&bytes, &ReadOptions::default()).expect("workbook");
    assert_eq!(info.sheet.as_deref(), Some("Customers"));
    assert_eq!(info.sheets, ["Customers", "Summary"]);
    assert_eq!(
        names(&ds),
        [
            "customer_id",
            "signup_date",
            "spend",
            "is_member",
            "city",
            "churned"
        ]
    );
    assert_eq!(ds.n_rows, 4);
    let signup = ds.column("signup_date").expect("date");
    assert_eq!(signup.kind, ColumnKind::Date);
    assert_eq!(signup.text(1).as_deref(), Some("2023-12-25 18:30"));
    assert_eq!(signup.text(3).as_deref(), Some("2024-02-29"));
    let spend = numbers(&ds, "spend");
    assert_eq!((spend[0], spend[1], spend[3]), (120.5, 80.0, 42.25));
    assert!(spend[2].is_nan(), "an empty cell is missing");
    assert_eq!(
        ds.column("is_member").expect("bool").kind,
        ColumnKind::Boolean
    );
    assert_eq!(
        ds.column("city").and_then(|c| c.text(0)).as_deref(),
        Some("北京")
    );
    assert_eq!(
        ds.column("city").and_then(|c| c.text(2)).as_deref(),
        Some("Lyon, FR")
    );

    let options = ReadOptions {
        sheet: Some("Summary".into()),
        ..Default::default()
    };
    let (summary, info) = read_table(&bytes, &options).expect("second sheet");
    assert_eq!(info.sheet.as_deref(), Some("Summary"));
    assert_eq!(numbers(&summary, "value"), [4.0, 2.0]);

    let options = ReadOptions {
        sheet: Some("Nope".into()),
        ..Default::default()
    };
    assert!(matches!(
        read_table(&bytes, &options),
        Err(IngestError::Excel(ExcelError::UnknownSheet { .. }))
    ));
    // A zip that is not a workbook.
    let broken = b"PK\x03\x04this is not really a zip file at all".to_vec();
    assert!(matches!(
        read_table(&broken, &ReadOptions::default()),
        Err(IngestError::Excel(ExcelError::Open(_)))
    ));
}

#[test]
fn damaged_workbooks_give_errors_not_panics() {
    use churnscope_engine::reading::ingest::read_table;
    use churnscope_engine::rng::Rng;
    // 200 copies of the real fixture with random bytes overwritten (seeded) and some cut
    // short: each must come back as a table or an error, never a panic (a panic would take
    // the page down, since the app is built with panic = "abort").
    let original =
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/customers.xlsx"))
            .expect("fixture");
    let mut rng = Rng::new(7);
    for _ in 0..200 {
        let mut bytes = original.clone();
        for _ in 0..1 + rng.below(20) {
            let i = rng.below(bytes.len());
            bytes[i] = rng.below(256) as u8;
        }
        if rng.chance(0.3) {
            bytes.truncate(rng.below(bytes.len()));
        }
        let _ = read_table(&bytes, &ReadOptions::default());
    }
}

#[test]
fn a_surname_column_is_left_out_and_flagged_once_included() {
    use churnscope_engine::dataset::ColumnKind;
    use churnscope_engine::understanding::checks::{check, DataWarning};
    // datasets/README.md: Surname has 2932 distinct names in 10,000 rows; the reference
    // protocol drops it as an id column. By default it is near-unique text, left out with
    // the reason (issue 18); included by the user it is a category flagged as wide. Telco
    // has no such column.
    let mut bank = dataset("Churn_Modelling.csv");
    let left_out: Vec<(String, usize, usize)> = check(&bank, None)
        .into_iter()
        .filter_map(|w| match w {
            DataWarning::LeftOutText {
                column,
                levels,
                rows,
            } => Some((column, levels, rows)),
            _ => None,
        })
        .collect();
    assert_eq!(left_out, [("Surname".to_string(), 2932, 10_000)]);
    let message = DataWarning::LeftOutText {
        column: "Surname".into(),
        levels: 2932,
        rows: 10_000,
    }
    .message();
    assert!(
        message.contains("2,932 different values in 10,000 rows"),
        "{message}"
    );
    for c in bank.columns.iter_mut().filter(|c| c.name == "Surname") {
        c.kind = ColumnKind::Categorical;
    }
    let flagged: Vec<(String, usize)> = check(&bank, None)
        .into_iter()
        .filter_map(|w| match w {
            DataWarning::HighCardinality { column, levels, .. } => Some((column, levels)),
            _ => None,
        })
        .collect();
    assert_eq!(flagged, [("Surname".to_string(), 2932)]);
    let telco = dataset("WA_Fn-UseC_-Telco-Customer-Churn.csv");
    assert!(check(&telco, None).iter().all(|w| !matches!(
        w,
        DataWarning::HighCardinality { .. } | DataWarning::LeftOutText { .. }
    )));
}

#[test]
fn a_total_row_under_a_blank_row_is_left_out() {
    // tests/data/total_row.csv: 8 customers, then an empty row exported as `,,,,` and a
    // `Total` row of column sums (Churn 3, Tenure 100, OrderCount 24, summed by hand), CRLF.
    let (ds, info) = fixture("total_row.csv").expect("reads");
    assert_eq!(ds.n_rows, 8);
    assert!(matches!(
        ds.column("CustomerID").expect("id").data,
        ColumnData::Numeric(_)
    ));
    let target = detect_target(&ds).expect("target").expect("a candidate");
    assert_eq!(target.column, "Churn");
    assert_eq!(info.summary_rows.len(), 1);
    let row = &info.summary_rows[0];
    assert_eq!((row.line, row.label.as_str()), (11, "Total"));
    let out: Vec<(&str, f64)> = row
        .columns
        .iter()
        .map(|c| (c.column.as_str(), c.value))
        .collect();
    assert_eq!(
        out,
        [("Churn", 3.0), ("Tenure", 100.0), ("OrderCount", 24.0)]
    );
    assert!(row.message().starts_with("Line 11 looks like a totals row"));
}

#[test]
fn the_e_commerce_export_with_a_total_row_reads_as_without_it() {
    // The real file, with a blank row and a Total row of column sums appended as a
    // spreadsheet exports them: the table must be the same as the file's own.
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/E_Commerce_Dataset.csv");
    let original = std::fs::read(&path).expect("dataset");
    let (plain, _) = read_csv_with_info(&original, &ReadOptions::default()).expect("reads");
    let mut total = vec!["Total".to_string()];
    let mut blank = Vec::new();
    for column in &plain.columns[1..] {
        blank.push(String::new());
        total.push(match &column.data {
            ColumnData::Numeric(v) => v.iter().filter(|x| x.is_finite()).sum::<f64>().to_string(),
            _ => String::new(),
        });
    }
    let mut bytes = original.clone();
    bytes.extend_from_slice(format!(",{}\n{}\n", blank.join(","), total.join(",")).as_bytes());
    let (ds, info) = read_csv_with_info(&bytes, &ReadOptions::default()).expect("reads");
    assert_eq!(ds.n_rows, plain.n_rows);
    for (got, want) in ds.columns.iter().zip(&plain.columns) {
        // Compared cell by cell as text, so that a mismatch names its place briefly.
        let first_difference = (0..ds.n_rows).find(|&r| got.text(r) != want.text(r));
        assert_eq!(
            (got.kind, first_difference),
            (want.kind, None),
            "{}",
            want.name
        );
    }
    // Line 1 is the header, 5,631 the last customer, 5,632 the blank row.
    assert_eq!(info.summary_rows.len(), 1);
    assert_eq!(info.summary_rows[0].line, 5633);
    assert!(info.summary_rows[0]
        .columns
        .iter()
        .any(|c| c.column == "OrderCount"));

    let keep = ReadOptions {
        keep_summary_rows: true,
        ..ReadOptions::default()
    };
    let (kept, info) = read_csv_with_info(&bytes, &keep).expect("reads");
    assert_eq!(kept.n_rows, 5632);
    assert!(info.summary_rows[0].kept);
}

#[test]
fn a_workbook_opens_on_its_customer_sheet_not_its_data_dictionary() {
    use churnscope_engine::reading::ingest::read_table;
    // tests/data/dictionary_first.xlsx (tests/data/make_dictionary_first.py): sheet
    // "Data Dict" (5 rows, no two-valued column), then "E Comm" (10 customers, row 12
    // empty, row 13 a Total row).
    let bytes = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/dictionary_first.xlsx"),
    )
    .expect("fixture");
    let (ds, info) = read_table(&bytes, &ReadOptions::default()).expect("workbook");
    assert_eq!(info.sheet.as_deref(), Some("E Comm"));
    assert_eq!(info.sheets, ["Data Dict", "E Comm"]);
    assert_eq!(ds.n_rows, 10);
    let reason = info.sheet_reason.expect("a reason");
    assert!(
        reason.contains("'E Comm' (10 rows, target candidate Churn)"),
        "{reason}"
    );
    assert!(
        reason.contains("'Data Dict' (5 rows, no target candidate)"),
        "{reason}"
    );
    assert_eq!(info.summary_rows.len(), 1);
    assert_eq!(info.summary_rows[0].line, 13);
    assert_eq!(info.summary_rows[0].sheet.as_deref(), Some("E Comm"));
    assert!(info.summary_rows[0]
        .message()
        .starts_with("Row 13 of sheet 'E Comm' looks like a totals row"));

    // The user can still open the dictionary, and no reason is given for a chosen sheet.
    let options = ReadOptions {
        sheet: Some("Data Dict".into()),
        ..ReadOptions::default()
    };
    let (dict, info) = read_table(&bytes, &options).expect("dictionary");
    assert_eq!(dict.n_rows, 5);
    assert_eq!(info.sheet_reason, None);
}
