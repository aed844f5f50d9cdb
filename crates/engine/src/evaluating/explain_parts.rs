//! Explaining one model in parts that run side by side: the page's pool of background
//! workers shares one model's explanation out as it shares out its cross-validation.
//!
//! [`ExplainTable`] cuts out of the model's table the rows an explanation uses (the seeded
//! sample of test customers, then the riskiest ones), so each worker gets a few thousand
//! rows rather than the whole table. An [`ExplainPart`] is some of the work: the importance
//! of some input columns, some points of the partial-dependence curves, the riskiest
//! customers' reasons. Each part draws every column's shuffles from the same seed and
//! scores each grid point on its own, so the parts put together
//! ([`ExplainTable::assemble`]) are the explanation of [`ExplainTable::explain`] (and of
//! [`crate::evaluating::evaluation::explain_run`]) to the bit, however the work was shared.
//! The partial-dependence columns are the most important numeric ones, so the importance
//! comes first: [`ExplainTable::dependence_grids`] picks them from the merged ranking.

use serde::{Deserialize, Serialize};

use crate::dataset::{ColumnData, Dataset};
use crate::evaluating::evaluation::{
    Explanation, ModelRun, EXPLAIN_ROWS, IMPORTANCE_REPEATS, PD_COLUMNS, PD_GRID, REASONS_EACH,
    RISKY_CUSTOMERS,
};
use crate::evaluating::explanations::{
    contributions, dependence_grid, importance_of_each, input_columns, partial_dependence_in,
    ranked, shuffles, subset, top_reasons, ContributionUnit, CustomerReasons, ExplainError,
    ExplainedRows, Importance, PartialDependence, Result,
};
use crate::modelling::pipeline::FittedPipeline;
use crate::rng::Rng;

/// The rows explaining one model uses, cut out of its table (every column kept): first the
/// seeded sample of test customers the importance and the partial dependence are computed
/// on, then the riskiest test customers, whose reasons are listed.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainTable {
    pub table: Dataset,
    pub sample: ExplainSample,
}

/// What an [`ExplainTable`] knows besides its rows (sent to a worker beside the rows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExplainSample {
    /// The sampled customers' labels: the table's first `labels.len()` rows.
    pub labels: Vec<u8>,
    /// The riskiest customers' rows in the model's table (the table's rows after the
    /// sample), highest probability first, ties in test order.
    pub risky: Vec<usize>,
    /// Their churn probabilities.
    pub risky_p: Vec<f64>,
    /// The seed of the shuffles.
    pub seed: u64,
}

/// Some of the work of explaining a model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExplainPart {
    /// The input columns (positions in [`ExplainTable::columns`]) whose permutation
    /// importance to compute.
    pub importance: Vec<usize>,
    /// Columns whose partial dependence to compute at these values of theirs.
    pub dependence: Vec<(String, Vec<f64>)>,
    /// Whether to give the riskiest customers' reasons.
    pub reasons: bool,
}

/// An [`ExplainPart`] done.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExplainedPart {
    /// Each column's importance with its position among the input columns.
    pub importance: Vec<(usize, Importance)>,
    /// The partial dependence at the values asked, in the order asked.
    pub dependence: Vec<PartialDependence>,
    pub reasons: Option<Reasons>,
}

/// The riskiest customers' reasons, and what they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reasons {
    pub customers: Vec<CustomerReasons>,
    /// Exact contributions (linear models, trees) rather than an approximation.
    pub exact: bool,
    pub unit: ContributionUnit,
}

impl ExplainTable {
    /// The rows of `ds` explaining `run` uses: a sample of at most [`EXPLAIN_ROWS`] test
    /// customers drawn from `Rng::new(seed)` (all of them when there are fewer), then the
    /// [`RISKY_CUSTOMERS`] riskiest.
    pub fn of(ds: &Dataset, run: &ModelRun, seed: u64) -> Result<Self> {
        let n = run.test_rows.len();
        let mut picks: Vec<usize> = (0..n).collect();
        if picks.len() > EXPLAIN_ROWS {
            Rng::new(seed).shuffle(&mut picks);
            picks.truncate(EXPLAIN_ROWS);
            picks.sort_unstable();
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| run.test_scores[b].total_cmp(&run.test_scores[a]));
        order.truncate(RISKY_CUSTOMERS);
        let risky: Vec<usize> = order.iter().map(|&i| run.test_rows[i]).collect();
        let rows: Vec<usize> = picks
            .iter()
            .map(|&i| run.test_rows[i])
            .chain(risky.iter().copied())
            .collect();
        let names: Vec<String> = ds.columns.iter().map(|c| c.name.clone()).collect();
        Ok(ExplainTable {
            table: subset(ds, &names, &rows)?,
            sample: ExplainSample {
                labels: picks.iter().map(|&i| run.test_labels[i]).collect(),
                risky,
                risky_p: order.iter().map(|&i| run.test_scores[i]).collect(),
                seed,
            },
        })
    }

    /// The model's input columns, each once, in its preprocessor's order: the columns an
    /// [`ExplainPart`] names by position.
    pub fn columns(p: &FittedPipeline) -> Vec<String> {
        input_columns(&p.preprocessor)
    }

    /// The sampled customers' rows in the table.
    fn sample_rows(&self) -> Vec<usize> {
        (0..self.sample.labels.len()).collect()
    }

    /// The whole explanation of `p` on one thread of work (the importance on every core),
    /// `progress(done, total)` called after each shuffle; returning `false` cancels.
    pub fn explain(
        &self,
        p: &FittedPipeline,
        progress: impl FnMut(usize, usize) -> bool,
    ) -> Result<Explanation> {
        // The rows explained and the tree models' cache of their paths, made once for the
        // importance and every partial dependence curve.
        let explained = ExplainedRows::of(p, &self.table, &[], &self.sample_rows())?;
        let all: Vec<usize> = (0..Self::columns(p).len()).collect();
        let importance = self.importance_in(p, &explained, &all, progress)?;
        let importance = merge_importance(vec![importance]);
        let grids = self.dependence_grids(p, &importance)?;
        let dependence = grids
            .into_iter()
            .map(|(column, grid)| partial_dependence_in(p, &explained, &column, grid))
            .collect::<Result<Vec<_>>>()?;
        let reasons = self.reasons(p)?;
        Ok(self.assemble(importance, dependence, reasons))
    }

    /// Does `part` of explaining `p`, `progress(done, total)` called after each shuffle and
    /// each grid point; returning `false` cancels.
    pub fn run(
        &self,
        p: &FittedPipeline,
        part: &ExplainPart,
        mut progress: impl FnMut(usize, usize) -> bool,
    ) -> Result<ExplainedPart> {
        let points: usize = part.dependence.iter().map(|(_, g)| g.len()).sum();
        let shuffled = part.importance.len() * IMPORTANCE_REPEATS;
        let total = shuffled + points;
        let mut out = ExplainedPart::default();
        if shuffled + points > 0 {
            let explained = ExplainedRows::of(p, &self.table, &[], &self.sample_rows())?;
            if shuffled > 0 {
                let report = |done: usize, _| progress(done, total);
                out.importance = self.importance_in(p, &explained, &part.importance, report)?;
            }
            let mut done = shuffled;
            for (column, values) in &part.dependence {
                for &v in values {
                    let mut one = partial_dependence_in(p, &explained, column, vec![v])?;
                    match out.dependence.last_mut() {
                        Some(last) if &last.column == column => {
                            last.grid.append(&mut one.grid);
                            last.average.append(&mut one.average);
                        }
                        _ => out.dependence.push(one),
                    }
                    done += 1;
                    if !progress(done, total) {
                        return Err(ExplainError::Cancelled);
                    }
                }
            }
        }
        if part.reasons {
            out.reasons = self.reasons(p)?;
        }
        Ok(out)
    }

    /// The permutation importance of the input columns at `positions`, with the shuffles
    /// every part draws.
    fn importance_in(
        &self,
        p: &FittedPipeline,
        explained: &ExplainedRows,
        positions: &[usize],
        progress: impl FnMut(usize, usize) -> bool,
    ) -> Result<Vec<(usize, Importance)>> {
        let columns = Self::columns(p);
        let n = self.sample.labels.len();
        // Every column's shuffles, drawn in order from the seed, so a column's are the same
        // whichever part computes it.
        let mut all = shuffles(columns.len(), IMPORTANCE_REPEATS, n, self.sample.seed);
        let mut names = Vec::with_capacity(positions.len());
        let mut permutations = Vec::with_capacity(positions.len());
        for &c in positions {
            let name = columns.get(c).ok_or_else(|| {
                ExplainError::UnknownColumn(format!("input column number {}", c + 1))
            })?;
            names.push(name.clone());
            permutations.push(std::mem::take(&mut all[c]));
        }
        let importance = importance_of_each(
            p,
            explained,
            &self.sample.labels,
            &names,
            &permutations,
            progress,
        )?;
        Ok(positions.iter().copied().zip(importance).collect())
    }

    /// The partial-dependence curves to draw and their grids: the [`PD_COLUMNS`] most
    /// important numeric columns of `importance` (ranked), [`PD_GRID`] points at most.
    pub fn dependence_grids(
        &self,
        p: &FittedPipeline,
        importance: &[Importance],
    ) -> Result<Vec<(String, Vec<f64>)>> {
        let numeric = |name: &str| {
            matches!(
                self.table.column(name).map(|c| &c.data),
                Some(ColumnData::Numeric(_))
            )
        };
        let rows = self.sample_rows();
        importance
            .iter()
            .filter(|i| numeric(&i.column))
            .take(PD_COLUMNS)
            .map(|i| {
                let grid = dependence_grid(p, &self.table, &rows, &i.column, PD_GRID)?;
                Ok((i.column.clone(), grid))
            })
            .collect()
    }

    /// The riskiest customers' reasons (none when the model gives no contributions), with
    /// the rows of the model's table.
    fn reasons(&self, p: &FittedPipeline) -> Result<Option<Reasons>> {
        let first = self.sample.labels.len();
        let risky: Vec<usize> = (first..first + self.sample.risky.len()).collect();
        let Some(c) = contributions(p, &self.table, &risky)? else {
            return Ok(None);
        };
        let mut customers = top_reasons(
            &c,
            &self.table,
            &risky,
            &self.sample.risky_p,
            RISKY_CUSTOMERS,
            REASONS_EACH,
        );
        for customer in &mut customers {
            customer.row = self.sample.risky[customer.row - first];
        }
        Ok(Some(Reasons {
            customers,
            exact: c.exact,
            unit: c.unit,
        }))
    }

    /// The explanation made of its parts: the importance ranked ([`merge_importance`]),
    /// the partial dependence (its pieces in the order of the grids, joined by column) and
    /// the reasons.
    pub fn assemble(
        &self,
        importance: Vec<Importance>,
        dependence: Vec<PartialDependence>,
        reasons: Option<Reasons>,
    ) -> Explanation {
        let mut curves: Vec<PartialDependence> = Vec::new();
        for mut piece in dependence {
            match curves.last_mut() {
                Some(last) if last.column == piece.column => {
                    last.grid.append(&mut piece.grid);
                    last.average.append(&mut piece.average);
                }
                _ => curves.push(piece),
            }
        }
        let (reasons, exact_reasons, reasons_unit) = match reasons {
            Some(r) => (r.customers, r.exact, r.unit),
            None => (Vec::new(), false, ContributionUnit::LogOdds),
        };
        Explanation {
            importance,
            partial_dependence: curves,
            reasons,
            exact_reasons,
            reasons_unit,
            rows_used: self.sample.labels.len(),
            repeats: IMPORTANCE_REPEATS,
        }
    }
}

/// The importances computed by several parts as one ranking: in the columns' order, then
/// by mean drop, largest first (ties keep the columns' order), as on one thread.
pub fn merge_importance(parts: Vec<Vec<(usize, Importance)>>) -> Vec<Importance> {
    let mut all: Vec<(usize, Importance)> = parts.into_iter().flatten().collect();
    all.sort_by_key(|(c, _)| *c);
    ranked(all.into_iter().map(|(_, i)| i).collect())
}
