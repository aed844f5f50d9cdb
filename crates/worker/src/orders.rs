//! Turning an order log the page holds into customers, in the worker: the request (the
//! log's columns travel beside it as buffers, with the mapping and the window) and the
//! result (the labelled and current tables travel back as buffers too: the labelled
//! table's columns first, then the current table's).

use serde::{Deserialize, Serialize};

use churnscope_engine::dataset::Dataset;
use churnscope_engine::orders::baselines::annotate_current;
use churnscope_engine::orders::derive_customers;
use churnscope_engine::orders::features::{DeriveSummary, Window};
use churnscope_engine::orders::layout::OrderMapping;
use churnscope_engine::orders::log::LogReport;

use crate::jobs::{join_dataset, split_dataset, ColumnValues, DatasetHeader, JobProgress};

/// "Turn this log into customers".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrdersRequest {
    pub header: DatasetHeader,
    pub mapping: OrderMapping,
    pub window: Window,
}

/// The customers of a log, without their values (see [`OrdersResult::join`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrdersResult {
    /// One row per customer as of the cutoff, with `churned`.
    pub labelled: DatasetHeader,
    /// One row per customer as of the log's last day, to score and act on.
    pub current: DatasetHeader,
    pub summary: DeriveSummary,
    pub log: LogReport,
}

/// The two tables of a derivation, whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Customers {
    pub labelled: Dataset,
    pub current: Dataset,
    pub summary: DeriveSummary,
    pub log: LogReport,
}

impl OrdersResult {
    /// The headers and, in one list, the values of both tables (labelled first).
    pub fn split(customers: Customers) -> (Self, Vec<ColumnValues>) {
        let (labelled, mut values) = split_dataset(customers.labelled);
        let (current, more) = split_dataset(customers.current);
        values.extend(more);
        let result = OrdersResult {
            labelled,
            current,
            summary: customers.summary,
            log: customers.log,
        };
        (result, values)
    }

    /// Both tables back from the headers and `values` as [`OrdersResult::split`] made them.
    pub fn join(self, mut values: Vec<ColumnValues>) -> Result<Customers, String> {
        let n = self.labelled.columns.len();
        if values.len() < n {
            return Err("the worker sent fewer columns than the customers have".to_string());
        }
        let rest = values.split_off(n);
        Ok(Customers {
            labelled: join_dataset(self.labelled, values).map_err(|e| e.to_string())?,
            current: join_dataset(self.current, rest).map_err(|e| e.to_string())?,
            summary: self.summary,
            log: self.log,
        })
    }
}

impl OrdersRequest {
    /// Derives the customers of `log`, reporting progress (returning `false` cancels).
    pub fn run(
        &self,
        log: &Dataset,
        mut progress: impl FnMut(JobProgress) -> bool,
    ) -> Result<Customers, String> {
        let (derived, report) =
            derive_customers(log, &self.mapping, &self.window, &mut |stage, f| {
                !progress(JobProgress::new(stage, f))
            })
            .map_err(|e| e.to_string())?;
        let mut derived = derived;
        if !progress(JobProgress::new(
            "Fitting BG/NBD and Pareto/NBD for the current customers",
            1.0,
        )) {
            return Err("stopped".to_string());
        }
        // The current customers' chances of being alive help the merchant even when the
        // models cannot be fitted (no repeat buyers, say): then the columns are left out.
        let _ = annotate_current(
            &derived.labelled,
            &mut derived.current,
            derived.summary.horizon_days as f64,
            &|| false,
        );
        Ok(Customers {
            labelled: derived.labelled,
            current: derived.current,
            summary: derived.summary,
            log: report,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use churnscope_engine::orders::generate::{generate_log, LogSpec};
    use churnscope_engine::orders::layout::detect;
    use churnscope_engine::reading::ingest::{read_table, ReadOptions};

    #[test]
    fn a_generated_log_becomes_customers_and_cancel_stops_it() {
        // The engine's seeded generator, 300 customers (issue 17's test log).
        let log = generate_log(&LogSpec {
            customers: 300,
            ..LogSpec::default()
        });
        let (ds, _) = read_table(log.csv.as_bytes(), &ReadOptions::default()).expect("reads");
        let request = OrdersRequest {
            header: DatasetHeader::default(),
            mapping: detect(&ds).expect("a log").mapping,
            window: Window::default(),
        };
        let mut stages = Vec::new();
        let result = request
            .run(&ds, |p| {
                stages.push(p.stage);
                true
            })
            .expect("derives");
        assert_eq!(result.labelled.n_rows, result.summary.labelled);
        assert!(result.current.n_rows >= result.labelled.n_rows);
        assert!(stages.iter().any(|s| s.contains("orders")));
        // The trip to the page: headers as JSON, values as buffers; NaN cells survive.
        let (header, values) = OrdersResult::split(result.clone());
        let json = serde_json::to_string(&header).expect("travels as JSON");
        let back: OrdersResult = serde_json::from_str(&json).expect("reads back");
        let back = back.join(values).expect("joins");
        assert_eq!(back.summary, result.summary);
        assert_eq!(back.labelled.n_rows, result.labelled.n_rows);
        let sd = |ds: &Dataset| ds.column("gap_sd_days").map(|c| c.missing());
        assert_eq!(sd(&back.labelled), sd(&result.labelled));
        assert!(
            sd(&result.labelled) > Some(0),
            "one-time buyers have no gaps"
        );
        assert_eq!(back.current.n_rows, result.current.n_rows);
        // The current customers carry both models' P(alive) and expected orders.
        let alive = back.current.column("p_alive_bgnbd").expect("P(alive)");
        assert_eq!(alive.missing(), 0);
        let stopped = request.run(&ds, |_| false);
        assert_eq!(stopped.err().as_deref(), Some("stopped"));
    }
}
