//! Churn from order logs (issue 17): layouts detected from small fixtures written for these
//! tests, features equal to values computed by hand below, censoring that leaves out exactly
//! the right customers, CDNOW's log reproducing the published calibration summary, and the
//! seeded generator's known processes.

use std::path::PathBuf;

use churnscope_engine::dataset::Dataset;
use churnscope_engine::orders::cdnow;
use churnscope_engine::orders::features::{derive, parse_day, Derived, Window, LABEL};
use churnscope_engine::orders::generate::{generate_log, LogSpec};
use churnscope_engine::orders::layout::{detect, Layout};
use churnscope_engine::orders::log::{build_log, LogBuilder, OrderLog};
use churnscope_engine::orders::{derive_customers, OrdersError};
use churnscope_engine::reading::chunks::RecordChunks;
use churnscope_engine::reading::ingest::{read_table, ReadOptions};

fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(path)
}

fn table(csv: &str) -> Dataset {
    read_table(csv.as_bytes(), &ReadOptions::default())
        .expect("fixture parses")
        .0
}

fn log_of(ds: &Dataset) -> OrderLog {
    let detection = detect(ds).expect("an order log");
    build_log(ds, &detection.mapping, &mut |_| false).expect("orders build")
}

fn window(cutoff: &str, horizon: i64, min_history: i64) -> Window {
    Window {
        cutoff: Some(parse_day(cutoff).expect("a date")),
        horizon_days: horizon,
        observation_days: None,
        min_history_days: min_history,
    }
}

/// The value of `column` for the customer `id` in `ds`.
fn cell(ds: &Dataset, id: &str, column: &str) -> f64 {
    let ids = ds.column("customer").expect("customer column");
    let row = (0..ds.n_rows)
        .find(|&r| ids.text(r).as_deref() == Some(id))
        .unwrap_or_else(|| panic!("no customer {id}"));
    let text = ds
        .column(column)
        .unwrap_or_else(|| panic!("no column {column}"))
        .text(row);
    text.map_or(f64::NAN, |t| t.parse().expect("a number"))
}

/// A generic log written for this test: five customers around a cutoff of 2024-03-31.
const GENERIC: &str = "\
order_id,customer_id,order_date,amount,discount,status,product
A1,alice,2024-01-05,10,0,paid,p1
A2,alice,2024-02-04,20,5,paid,p2
A3,alice,2024-03-05,30,0,paid,p1
A4,alice,2024-03-20,40,0,cancelled,p3
A5,alice,2024-05-01,15,0,paid,p2
B1,bob,2024-01-10,100,0,paid,p1
B2,bob,2024-01-20,50,0,paid,p4
C1,carol,2024-03-25,60,0,paid,p1
D1,dave,2024-04-15,70,0,paid,p5
E1,erin,2024-06-30,5,0,paid,p1
";

#[test]
fn features_equal_values_computed_by_hand() {
    let ds = table(GENERIC);
    let detection = detect(&ds).expect("recognised as a log");
    assert_eq!(detection.layout, Layout::Generic);
    let m = &detection.mapping;
    assert_eq!(
        (m.customer.as_str(), m.date.as_str()),
        ("customer_id", "order_date")
    );
    assert_eq!(m.amount.as_deref(), Some("amount"));
    assert_eq!(m.order_id.as_deref(), Some("order_id"));
    assert_eq!(m.status.as_deref(), Some("status"));
    assert_eq!(m.discount.as_deref(), Some("discount"));
    assert_eq!(m.product.as_deref(), Some("product"));
    let log = log_of(&ds);
    let d = derive(&log, &window("2024-03-31", 90, 30), &mut |_| false).expect("derives");
    let t = &d.labelled;
    // Alice as of 2024-03-31: orders 01-05, 02-04, 03-05 (03-20 cancelled).
    let alice = [
        ("recency_days", 26.0), // 03-05 -> 03-31
        ("frequency", 3.0),
        ("monetary_total", 60.0), // 10 + 20 + 30
        ("monetary_mean", 20.0),
        ("tenure_days", 86.0),   // 01-05 -> 03-31 in a leap year: 26 + 29 + 31
        ("gap_mean_days", 30.0), // 30 and 30 days apart
        ("gap_sd_days", 0.0),
        ("spend_trend", 60.0), // all in the last 90 days, none in the 90 before
        ("orders_trend", 3.0),
        ("discount_share", 1.0 / 3.0), // A2
        ("cancel_rate", 0.25),         // A4 of four orders
        ("distinct_products", 2.0),    // p1, p2 (p3 was cancelled)
        ("active_months", 3.0),
        (LABEL, 0.0), // ordered on 05-01, within 90 days
    ];
    for (column, expected) in alice {
        assert!(
            (cell(t, "alice", column) - expected).abs() < 1e-12,
            "alice {column}"
        );
    }
    let bob = [
        ("recency_days", 71.0), // 01-20 -> 03-31: 11 + 29 + 31
        ("frequency", 2.0),
        ("monetary_total", 150.0),
        ("monetary_mean", 75.0),
        ("tenure_days", 81.0),
        ("gap_mean_days", 10.0),
        ("active_months", 1.0),
        (LABEL, 1.0),
    ];
    for (column, expected) in bob {
        assert!(
            (cell(t, "bob", column) - expected).abs() < 1e-12,
            "bob {column}"
        );
    }
    assert!(
        cell(t, "bob", "gap_sd_days").is_nan(),
        "one gap has no spread"
    );
    // Censoring: carol first ordered 6 days before the cutoff (too new at 30 days), dave
    // and erin after it.
    let s = &d.summary;
    assert_eq!(
        (s.labelled, s.churned, s.too_new, s.after_cutoff),
        (2, 1, 1, 2)
    );
    assert_eq!((s.outside_window, s.one_time_buyers), (0, 0));
    // Every customer is current as of the last day, 2024-06-30.
    assert_eq!(d.current.n_rows, 5);
    assert_eq!(cell(&d.current, "alice", "recency_days"), 60.0); // 05-01 -> 06-30
    assert_eq!(cell(&d.current, "alice", "frequency"), 4.0);
    assert!(d.current.column(LABEL).is_none());
}

#[test]
fn censoring_leaves_out_exactly_the_customers_it_should() {
    let log = log_of(&table(GENERIC));
    // With no minimum history carol is labelled (and churned: nothing after 03-25 + ...
    // she never ordered again).
    let d = derive(&log, &window("2024-03-31", 90, 0), &mut |_| false).expect("derives");
    assert_eq!((d.summary.labelled, d.summary.too_new), (3, 0));
    assert_eq!(cell(&d.labelled, "carol", LABEL), 1.0);
    assert_eq!(d.summary.one_time_buyers, 1);
    // An observation window of 60 days leaves bob (last order 01-20) outside it.
    let w = Window {
        observation_days: Some(60),
        ..window("2024-03-31", 90, 0)
    };
    let d = derive(&log, &w, &mut |_| false).expect("derives");
    assert_eq!(d.summary.outside_window, 1);
    assert_eq!(d.summary.observation_start, "2024-02-01");
    assert_eq!(cell(&d.labelled, "alice", "frequency"), 2.0); // 02-04 and 03-05
                                                              // The default cutoff is the last day minus the horizon: 2024-06-30 - 90 = 2024-04-01.
    let d = derive(&log, &Window::default(), &mut |_| false).expect("derives");
    assert_eq!(d.summary.cutoff, "2024-04-01");
    // A cutoff whose horizon runs past the log is refused, saying the latest possible.
    let e = derive(&log, &window("2024-04-15", 90, 30), &mut |_| false).expect_err("late");
    let text = e.to_string();
    assert!(
        text.contains("2024-04-15") && text.contains("2024-04-01"),
        "{text}"
    );
    let e = derive(&log, &window("2023-12-01", 90, 30), &mut |_| false).expect_err("early");
    assert!(e.to_string().contains("2024-01-05"), "{e}");
}

/// A Shopify orders export written for this test: line items on rows of their own with the
/// order's fields only on its first row, a voided (cancelled) order and a refunded one.
const SHOPIFY: &str = "\
Name,Email,Financial Status,Paid at,Fulfillment Status,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Cancelled at,Refunded Amount,Source
#1001,ann@example.com,paid,2024-01-02 10:00:00 +0000,fulfilled,USD,30.00,5.00,0.00,35.00,,0.00,2024-01-02 09:58:12 +0000,1,Mug,10.00,MUG-1,,0.00,web
#1001,,,,,,,,,,,,,2,Tea,10.00,TEA-1,,,
#1002,ben@example.com,paid,2024-01-05 11:00:00 +0000,fulfilled,USD,20.00,0.00,0.00,18.00,WELCOME10,2.00,2024-01-05 10:30:00 +0000,1,Tea,20.00,TEA-1,,0.00,web
#1003,ann@example.com,voided,,,USD,50.00,0.00,0.00,50.00,,0.00,2024-02-01 08:00:00 +0000,5,Mug,10.00,MUG-1,2024-02-01 12:00:00 +0000,0.00,web
#1004,ann@example.com,paid,2024-03-01 09:00:00 +0000,fulfilled,USD,40.00,0.00,0.00,40.00,,0.00,2024-03-01 08:59:00 +0000,1,Mug,10.00,MUG-1,,0.00,pos
#1004,,,,,,,,,,,,,3,Spoon,10.00,SPOON-1,,,
#1005,ben@example.com,refunded,2024-06-01 09:00:00 +0000,fulfilled,USD,15.00,0.00,0.00,15.00,,0.00,2024-06-01 08:00:00 +0000,1,Tea,15.00,TEA-1,,15.00,web
#1006,cat@example.com,paid,2024-07-01 09:00:00 +0000,fulfilled,USD,12.00,0.00,0.00,12.00,,0.00,2024-07-01 08:00:00 +0000,1,Tea,12.00,TEA-1,,0.00,web
";

#[test]
fn shopify_export_is_recognised_with_multi_line_and_cancelled_orders() {
    let ds = table(SHOPIFY);
    let detection = detect(&ds).expect("recognised");
    assert_eq!(detection.layout, Layout::Shopify);
    assert_eq!(detection.mapping.customer, "Email");
    let log = log_of(&ds);
    // Six orders (#1001..#1006) from eight rows; #1003 voided with a cancel date and
    // #1005 refunded are not purchases.
    assert_eq!((log.report.rows, log.report.orders), (8, 6));
    assert_eq!(log.report.cancelled_orders, 2);
    assert_eq!(log.report.customers, 3);
    let d = derive(&log, &window("2024-03-31", 90, 0), &mut |_| false).expect("derives");
    let t = &d.labelled;
    assert_eq!(cell(t, "ann@example.com", "frequency"), 2.0);
    assert_eq!(cell(t, "ann@example.com", "monetary_total"), 75.0); // 35 + 40
    assert!((cell(t, "ann@example.com", "cancel_rate") - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(cell(t, "ann@example.com", "distinct_products"), 3.0); // MUG, TEA, SPOON
    assert_eq!(cell(t, "ann@example.com", "recency_days"), 30.0); // 03-01 -> 03-31
    assert_eq!(cell(t, "ben@example.com", "discount_share"), 1.0); // WELCOME10
                                                                   // Ben's only later order was refunded: he churned.
    assert_eq!(cell(t, "ben@example.com", LABEL), 1.0);
    assert_eq!(d.summary.after_cutoff, 1); // cat
}

/// UCI Online Retail rows written for this test: a multi-line invoice, a row without a
/// customer, a `C` cancellation invoice.
const ONLINE_RETAIL: &str = "\
InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom
536366,22633,HAND WARMER UNION JACK,6,12/1/2010 8:28,1.85,,United Kingdom
C536379,D,Discount,-1,12/1/2010 9:41,27.50,14527,United Kingdom
536380,22961,JAM MAKING SET PRINTED,24,12/1/2010 9:41,1.45,14527,United Kingdom
536381,22139,RETROSPOT TEA SET,1,12/13/2010 10:00,4.95,17850,United Kingdom
536390,22139,RETROSPOT TEA SET,2,3/15/2011 10:00,4.95,17850,United Kingdom
";

#[test]
fn online_retail_layouts_drop_rows_without_customer_and_count_c_invoices() {
    for text in [
        ONLINE_RETAIL.to_string(),
        // Online Retail II names three columns differently.
        ONLINE_RETAIL.replacen(
            "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
            "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country",
            1,
        ),
    ] {
        let ds = table(&text);
        let detection = detect(&ds).expect("recognised");
        assert_eq!(detection.layout, Layout::OnlineRetail);
        let log = log_of(&ds);
        assert_eq!(log.report.rows_without_customer, 1);
        assert_eq!(log.report.orders, 5); // 536365, C536379, 536380, 536381, 536390
        assert_eq!(log.report.cancelled_orders, 1);
        let d = derive(&log, &window("2010-12-31", 60, 0), &mut |_| false).expect("derives");
        // 6 x 2.55 + 6 x 3.39 + 1 x 4.95
        let total = cell(&d.labelled, "17850", "monetary_total");
        assert!(
            (total - (6.0 * 2.55 + 6.0 * 3.39 + 4.95)).abs() < 1e-9,
            "{total}"
        );
        assert_eq!(cell(&d.labelled, "17850", "distinct_products"), 3.0);
        assert_eq!(cell(&d.labelled, "14527", "cancel_rate"), 0.5);
        assert_eq!(cell(&d.labelled, "14527", LABEL), 1.0);
        assert_eq!(cell(&d.labelled, "17850", LABEL), 1.0); // 2011-03-15 is past 60 days
    }
}

#[test]
fn cdnow_log_reproduces_the_published_calibration_summary() {
    let bytes = std::fs::read(shared("datasets/CDNOW_sample.txt")).expect("CDNOW sample");
    assert!(cdnow::looks_like(&bytes));
    let ds = cdnow::read(&bytes).expect("reads");
    assert_eq!(ds.n_rows, 6919); // the dataset README: 6919 purchases
    let detection = detect(&ds).expect("recognised");
    assert_eq!(detection.layout, Layout::Cdnow);
    let log = log_of(&ds);
    assert_eq!(log.report.customers, 2357); // by 2357 customers
                                            // The calibration period of cdnow_customers_summary.csv: 39 weeks from 1997-01-01, so
                                            // the history ends 1997-09-30 (T = 38.86 weeks = 272 days for a 01-01 customer).
    let d = derive(&log, &window("1997-09-30", 90, 0), &mut |_| false).expect("derives");
    assert_eq!(d.labelled.n_rows, 2357);
    let summary =
        std::fs::read_to_string(shared("datasets/cdnow_customers_summary.csv")).expect("summary");
    let freq = d.labelled.column("frequency").expect("frequency");
    let rec = d.labelled.column("recency_days").expect("recency");
    let ten = d.labelled.column("tenure_days").expect("tenure");
    let number = |c: &churnscope_engine::dataset::Column, r| -> f64 {
        c.text(r).expect("present").parse().expect("number")
    };
    for (row, line) in summary.lines().skip(1).enumerate() {
        let f: Vec<f64> = line
            .split(',')
            .map(|x| x.parse().expect("number"))
            .collect();
        let (x, t_x, t) = (f[1], f[2], f[3]);
        let tenure = number(ten, row);
        assert_eq!(
            number(freq, row) - 1.0,
            x,
            "customer {} repeat purchases",
            f[0]
        );
        assert!(
            ((tenure - number(rec, row)) / 7.0 - t_x).abs() < 0.006,
            "customer {} t_x",
            f[0]
        );
        assert!((tenure / 7.0 - t).abs() < 0.006, "customer {} T", f[0]);
    }
}

#[test]
fn the_generator_is_seeded_and_its_dead_customers_are_all_churned() {
    let spec = LogSpec {
        customers: 800,
        ..LogSpec::default()
    };
    let a = generate_log(&spec);
    assert_eq!(a.csv, generate_log(&spec).csv, "same seed, same bytes");
    assert_ne!(
        a.csv,
        generate_log(&LogSpec {
            seed: 8,
            ..spec.clone()
        })
        .csv
    );
    let ds = table(&a.csv);
    assert_eq!(ds.n_rows, a.lines);
    let detection = detect(&ds).expect("recognised");
    assert_eq!(detection.layout, Layout::Generic);
    assert_eq!(detection.mapping.quantity.as_deref(), Some("quantity"));
    assert_eq!(detection.mapping.unit_price.as_deref(), Some("unit_price"));
    let log = log_of(&ds);
    assert_eq!(log.report.orders, a.orders);
    let d = derive(&log, &Window::default(), &mut |_| false).expect("derives");
    let cutoff = d.summary.cutoff_day as f64;
    let ids = d.labelled.column("customer").expect("ids");
    let label = d.labelled.column(LABEL).expect("label");
    let mut dead = 0;
    for row in 0..d.labelled.n_rows {
        let id = ids.text(row).expect("id");
        let truth = a.truth.iter().find(|t| t.id == id).expect("known customer");
        // Nobody buys after dropping out: dead by the cutoff means churned.
        if truth.death_time < cutoff {
            dead += 1;
            assert_eq!(
                label.text(row).as_deref(),
                Some("1"),
                "{id} died before the cutoff"
            );
        }
    }
    assert!(dead > 50, "the spec makes many customers drop out ({dead})");
}

#[test]
fn bad_logs_say_what_and_where() {
    let ds = table("customer_id,order_date,amount\nx,2024-01-01,5\nx,soon,7\ny,2024-02-01,3\n");
    let log = log_of(&ds);
    // 'soon' is no date: the row is left out and counted, with its line and value.
    assert_eq!(log.report.rows_without_date, 1);
    assert_eq!(log.report.first_bad_date, Some((3, "soon".to_string())));
    let ds = table("customer_id,order_date,amount\nx,2024-01-01,5\nx,2024-01-09,many\n");
    let detection = detect(&ds);
    assert!(
        detection.is_none(),
        "an amount that is not numeric is not found by name"
    );
    let mut mapping = churnscope_engine::orders::layout::OrderMapping {
        customer: "customer_id".into(),
        date: "order_date".into(),
        amount: Some("amount".into()),
        ..Default::default()
    };
    let w = Window::default();
    let e = derive_customers(&ds, &mapping, &w, &mut |_, _| false).expect_err("bad amount");
    assert!(
        matches!(&e, OrdersError::Log(_))
            && e.to_string().contains("line 3")
            && e.to_string().contains("many"),
        "{e}"
    );
    mapping.customer = "buyer".into();
    let e = derive_customers(&ds, &mapping, &w, &mut |_, _| false).expect_err("no column");
    assert!(e.to_string().contains("'buyer'"), "{e}");
    let stopped = derive_customers(
        &table(GENERIC),
        &detect(&table(GENERIC)).expect("log").mapping,
        &w,
        &mut |_, _| true,
    );
    assert!(matches!(
        stopped,
        Err(OrdersError::Log(
            churnscope_engine::orders::log::LogError::Cancelled
        ))
    ));
}

/// The log of `csv` built piece by piece, as `churnscope orders` reads a big file: pieces
/// of about `piece_bytes` of whole records, the layout recognised from the first, the
/// mapped columns read as text in every piece.
fn log_in_pieces(csv: &str, piece_bytes: usize) -> (OrderLog, usize) {
    let mut chunks = RecordChunks::new(csv.as_bytes(), piece_bytes).expect("chunks");
    let mut builder: Option<LogBuilder> = None;
    let mut options = ReadOptions::default();
    let (mut rows, mut pieces) = (0, 0);
    while let Some(piece) = chunks.next_chunk().expect("a piece") {
        if builder.is_none() {
            let first = read_table(&piece, &options).expect("parses").0;
            let mapping = detect(&first).expect("an order log").mapping;
            options.text_columns = LogBuilder::text_columns(&mapping);
            builder = Some(LogBuilder::new(&mapping).expect("builder"));
        }
        let ds = read_table(&piece, &options).expect("piece parses").0;
        let b = builder.as_mut().expect("made above");
        b.add(&ds, rows + 2, &mut |_| false).expect("piece adds");
        rows += ds.n_rows;
        pieces += 1;
    }
    let log = builder.expect("a piece").finish().expect("log");
    (log, pieces)
}

/// The log of `csv` read whole with the same text columns as [`log_in_pieces`].
fn log_whole(csv: &str) -> OrderLog {
    let first = table(csv);
    let mapping = detect(&first).expect("an order log").mapping;
    let options = ReadOptions {
        text_columns: LogBuilder::text_columns(&mapping),
        ..ReadOptions::default()
    };
    let ds = read_table(csv.as_bytes(), &options).expect("parses").0;
    build_log(&ds, &mapping, &mut |_| false).expect("log")
}

#[test]
fn a_log_built_piece_by_piece_equals_the_log_read_whole() {
    // The seeded generator's log (600 customers): line items of one order may fall in
    // different pieces of 4 KiB.
    let generated = generate_log(&LogSpec {
        customers: 600,
        ..LogSpec::default()
    });
    let (pieces, count) = log_in_pieces(&generated.csv, 4096);
    assert!(
        count > 20,
        "the test cuts the log into many pieces ({count})"
    );
    assert_eq!(pieces, log_whole(&generated.csv));
    assert_eq!(pieces.report.orders, generated.orders);
    // Online Retail's invoices split across pieces of 200 bytes, a row without a customer
    // and a C invoice: the same orders, counts and first bad line.
    let (pieces, count) = log_in_pieces(ONLINE_RETAIL, 200);
    assert!(count >= 3, "{count}");
    assert_eq!(pieces, log_whole(ONLINE_RETAIL));
    assert_eq!(pieces.report.orders, 5);
}

#[test]
fn a_day_first_date_in_the_last_piece_makes_the_whole_log_day_first() {
    // Every date but the last reads both ways (day and month at most 12); the last line's
    // 25/03/2024 can only be day-first, so 03/04/2024 is 3 April, not 4 March, in every
    // piece. 02/13/2024 reads only month-first: that row is left out and named.
    let mut csv = String::from(
        "customer_id,order_date,amount
",
    );
    for i in 0..60 {
        csv.push_str(&format!(
            "c{},03/04/2024,{}
",
            i % 7,
            i + 1
        ));
    }
    csv.push_str(
        "c1,02/13/2024,9
",
    );
    csv.push_str(
        "c2,25/03/2024,5
",
    );
    let (pieces, count) = log_in_pieces(&csv, 128);
    assert!(count > 5, "{count}");
    assert_eq!(pieces, log_whole(&csv));
    let april_3 = parse_day("2024-04-03").expect("a date");
    let c0 = &pieces.orders[0];
    assert_eq!((pieces.customers[0].as_str(), c0.day), ("c0", april_3));
    assert_eq!(pieces.report.rows_without_date, 1);
    assert_eq!(
        pieces.report.first_bad_date,
        Some((62, "02/13/2024".to_string()))
    );
    assert_eq!(pieces.report.last_date, "2024-04-03");
    // A bad amount in a later piece is named by its line in the file.
    let bad = csv.replace(
        "c3,03/04/2024,53
",
        "c3,03/04/2024,lots
",
    );
    let mapping = detect(&table(&csv)).expect("log").mapping;
    let mut builder = LogBuilder::new(&mapping).expect("builder");
    let mut chunks = RecordChunks::new(bad.as_bytes(), 128).expect("chunks");
    let mut rows = 0;
    let mut error = None;
    while let Some(piece) = chunks.next_chunk().expect("piece") {
        let ds = read_table(&piece, &ReadOptions::default())
            .expect("parses")
            .0;
        if let Err(e) = builder.add(&ds, rows + 2, &mut |_| false) {
            error = Some(e.to_string());
            break;
        }
        rows += ds.n_rows;
    }
    let error = error.expect("the bad amount is refused");
    // Line 1 is the header; c3's 53 is the 53rd record, so line 54.
    assert!(
        error.contains("line 54") && error.contains("lots"),
        "{error}"
    );
}

/// Keeps `Derived` in the public API the page and the CLI use.
#[allow(dead_code)]
fn _types(_: Derived) {}

#[test]
fn the_baselines_recover_the_generators_process_and_rank_churners() {
    use churnscope_engine::modelling::config::TrainConfig;
    use churnscope_engine::modelling::training::split_rows;
    use churnscope_engine::orders::baselines::{evaluate, BaselineKind};
    use churnscope_engine::understanding::target::target_for;
    // 3,000 customers of the default spec: purchase rates per week ~ Gamma(0.9, 4.0),
    // dropout rates ~ Gamma(0.8, 30) (generate::LogSpec::default).
    let spec = LogSpec {
        customers: 3000,
        ..LogSpec::default()
    };
    let generated = generate_log(&spec);
    let log = log_of(&table(&generated.csv));
    let mut d = derive(&log, &Window::default(), &mut |_| false).expect("derives");
    let target = target_for(&d.labelled, LABEL, Some("1")).expect("target");
    let split = split_rows(&d.labelled, &TrainConfig::new(target.clone())).expect("split");
    let runs = evaluate(&d.labelled, &target, &split.test, 90.0, &|| false).expect("fits");
    assert_eq!(runs.len(), 2);
    let pnbd = runs
        .iter()
        .find(|r| r.kind == BaselineKind::ParetoNbd)
        .expect("pnbd");
    let p = |name: &str| {
        pnbd.parameters
            .iter()
            .find(|(n, _)| n == name)
            .expect("param")
            .1
    };
    // Within 20% of the purchase process, and the mean dropout rate s/beta within half.
    assert!((p("r") / spec.r - 1.0).abs() < 0.2, "r {}", p("r"));
    assert!(
        (p("alpha") / spec.alpha - 1.0).abs() < 0.2,
        "alpha {}",
        p("alpha")
    );
    let dropout = (p("s") / p("beta")) / (spec.s / spec.beta);
    assert!((dropout - 1.0).abs() < 0.5, "s/beta ratio {dropout}");
    // The current customers get P(alive) as of the last day: higher, on average, for the
    // customers the generator kept alive past it than for those who dropped out.
    let last = d.summary.last_day as f64;
    churnscope_engine::orders::baselines::annotate_current(
        &d.labelled,
        &mut d.current,
        90.0,
        &|| false,
    )
    .expect("annotates");
    let ids = d.current.column("customer").expect("ids");
    let alive = d.current.column("p_alive_paretonbd").expect("P(alive)");
    let (mut living, mut dead) = (Vec::new(), Vec::new());
    for row in 0..d.current.n_rows {
        let id = ids.text(row).expect("id");
        let p: f64 = alive.text(row).expect("p").parse().expect("number");
        let truth = generated.truth.iter().find(|t| t.id == id).expect("known");
        if truth.death_time > last {
            living.push(p)
        } else {
            dead.push(p)
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    // Measured when this test was written: living 0.798, dropped out 0.141.
    assert!(
        mean(&living) > mean(&dead) + 0.3,
        "{} vs {}",
        mean(&living),
        mean(&dead)
    );
    for run in &runs {
        assert_eq!(run.test_rows, split.test);
        // On a 3,000-customer log of the CLI's default seed: BG/NBD 0.936, Pareto/NBD 0.936.
        assert!(
            run.test.roc_auc > 0.85,
            "{:?} {}",
            run.kind,
            run.test.roc_auc
        );
        assert!(run.p_alive.iter().all(|p| (0.0..=1.0).contains(p)));
        assert!(run.test_scores.iter().all(|p| (0.0..=1.0).contains(p)));
    }
}
