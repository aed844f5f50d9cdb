//! A saved model written out as one SQL query that scores a customer table inside the
//! merchant's own engine (DuckDB, PostgreSQL, Spark SQL, BigQuery), so the customers never
//! have to leave their warehouse.
//!
//! The query applies the whole pipeline to a table with the training file's column names:
//! the cells read as the reader reads them (missing markers, numbers stored as text), the
//! imputation, scaling, one-hot and category codes, the model (logistic regression as a
//! linear expression, trees as one `CASE` per tree summed in groups of
//! [`model::TREES_PER_SUM`], the network's layers written out), the prior correction and the
//! calibration, then the threshold and the tier. It returns the customer id, the churn
//! probability, whether it is at or above the threshold, the tier and, for logistic
//! regression (whose contributions are exact), the column that raises the risk most.
//!
//! Each step is a `WITH` item, so the query reads top to bottom as the pipeline runs.

pub mod dialect;
mod features;
mod model;

use thiserror::Error;

pub use dialect::Dialect;

use crate::modelling::calibration::Calibrator;
#[cfg(test)]
use crate::modelling::models::readout::TreeView;
use crate::modelling::models::FittedModel;
use crate::modelling::pipeline::FittedPipeline;
use crate::monitoring::model_file::ModelFile;
use features::{feature_exprs, pca_exprs, Inputs};
use model::{linear_terms, logistic_margin, network_steps, sigmoid, sum, tree_steps, Step};

/// What to write.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlOptions {
    pub dialect: Dialect,
    /// The customer table, as the engine names it (`shop.customers`).
    pub table: String,
    /// Write `CREATE OR REPLACE VIEW <view> AS` before the query.
    pub view: Option<String>,
    /// The table's customer id column; by default the model's identifier column.
    pub id_column: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum SqlError {
    #[error("'{0}' is not a table name the query can use: give a name such as customers or shop.customers, without ';'")]
    TableName(String),
    #[error("the model knows no customer id column (its training file had none): name the table's id column (--id in the command line)")]
    NoId,
    #[error("column '{0}' is a date, which the SQL export cannot turn into days yet: train without it to export the model as SQL")]
    DateColumn(String),
    #[error("the model file does not hold a usable pipeline: {0}")]
    Pipeline(String),
}

/// The query that scores `options.table` with `model`, in `options.dialect`.
pub fn export_sql(model: &ModelFile, options: &SqlOptions) -> Result<String, SqlError> {
    let d = options.dialect;
    let table = d
        .table_name(&options.table)
        .ok_or_else(|| SqlError::TableName(options.table.clone()))?;
    let view = match &options.view {
        Some(v) => Some(
            d.table_name(v)
                .ok_or_else(|| SqlError::TableName(v.clone()))?,
        ),
        None => None,
    };
    let id = match &options.id_column {
        Some(id) if !id.trim().is_empty() => id.trim().to_string(),
        _ => model.identifier().ok_or(SqlError::NoId)?.to_string(),
    };
    let pipeline = &model.pipeline;
    pipeline
        .check()
        .map_err(|e| SqlError::Pipeline(e.to_string()))?;
    let inputs = Inputs::of(model)?;
    let mut input_columns = vec![(d.ident(&id), "customer_id".to_string())];
    input_columns.extend(inputs.select(d));
    let features: Vec<(String, String)> = feature_exprs(&pipeline.preprocessor, &inputs, d)?
        .into_iter()
        .enumerate()
        .map(|(j, e)| (e, format!("f{j}")))
        .collect();
    let feature_names: Vec<String> = features.iter().map(|(_, a)| a.clone()).collect();
    let mut steps = vec![
        input_step(&table, input_columns),
        Step::new("cs_features", "cs_input", features),
    ];
    let model_inputs = match pca_exprs(&pipeline.preprocessor, d) {
        Some(pcs) => {
            let names: Vec<String> = (0..pcs.len()).map(|k| format!("pc{k}")).collect();
            let mut pca = Step::new(
                "cs_pca",
                "cs_features",
                pcs.into_iter().zip(names.clone()).collect(),
            );
            pca.carry = feature_names;
            steps.push(pca);
            names
        }
        None => feature_names,
    };
    let reasons = model_steps(pipeline, &model_inputs, d, &mut steps);
    steps.extend(probability_steps(&reasons, pipeline, d));
    Ok(write_query(model, options, view, &steps, &reasons))
}

/// The model's identifier column: the first unused column the schema calls one.
fn input_step(table: &str, columns: Vec<(String, String)>) -> Step {
    Step {
        name: "cs_input".into(),
        from: table.to_string(),
        carry: Vec::new(),
        columns,
    }
}

/// Pushes the model's steps (the last named `cs_model`, with the model's probability `p`)
/// and returns the reason columns that `cs_model` carries: for logistic regression, whose
/// contributions are exact, `r{k}` per source column (in the engine's column order) and
/// `rmax`, the largest; none otherwise.
fn model_steps(
    pipeline: &FittedPipeline,
    model_inputs: &[String],
    d: Dialect,
    steps: &mut Vec<Step>,
) -> Vec<String> {
    let from = steps
        .last()
        .map_or("cs_features", |s| s.name.as_str())
        .to_string();
    match &pipeline.model {
        FittedModel::Logistic(m) => {
            let reasons = logistic_reasons(pipeline, m, d);
            let aliases: Vec<String> = reasons.iter().map(|(_, a)| a.clone()).collect();
            let mut terms = Step::new("cs_terms", &from, reasons);
            terms.carry = model_inputs.to_vec();
            steps.push(terms);
            let z = logistic_margin(m, model_inputs, d);
            let largest = match aliases.len() {
                0 => d.number(0.0),
                1 => aliases[0].clone(),
                _ => format!("GREATEST({})", aliases.join(", ")),
            };
            let columns = vec![(sigmoid(&z, d), "p".into()), (largest, "rmax".into())];
            let mut step = Step::new("cs_model", "cs_terms", columns);
            step.carry = aliases.clone();
            steps.push(step);
            aliases.into_iter().chain(["rmax".to_string()]).collect()
        }
        FittedModel::Gbdt(m) => {
            let init = d.number(m.init_score);
            steps.extend(tree_steps(&m.tree_views(), &from, d, |total| {
                sigmoid(&format!("{init} + {total}"), d)
            }));
            Vec::new()
        }
        FittedModel::Forest(m) => {
            let n = d.number(m.trees.len().max(1) as f64);
            steps.extend(tree_steps(&m.tree_views(), &from, d, |total| {
                format!("{total} / {n}")
            }));
            Vec::new()
        }
        FittedModel::Mlp(m) => {
            steps.extend(network_steps(m, model_inputs, &from, d));
            Vec::new()
        }
    }
}

/// Logistic regression's contribution of each source column to the log-odds: its
/// features' weights times their values (after PCA, the weights carried back through the
/// components, `β = Cᵀw`, times the features around the PCA mean), as the engine's
/// explanations compute them.
fn logistic_reasons(
    pipeline: &FittedPipeline,
    m: &crate::modelling::models::FittedLogisticRegression,
    d: Dialect,
) -> Vec<(String, String)> {
    let prep = &pipeline.preprocessor;
    let owners: Vec<&str> = prep
        .blocks
        .iter()
        .flat_map(|b| std::iter::repeat_n(b.column(), b.width()))
        .collect();
    let (weights, features): (Vec<f64>, Vec<String>) = match &prep.pca {
        Some(pca) => {
            let (k, dims) = (pca.components.nrows(), pca.components.ncols());
            (0..dims)
                .map(|j| {
                    let beta = (0..k)
                        .map(|c| m.coefficients[c] * pca.components.row(c)[j])
                        .sum::<f64>();
                    (beta, format!("(f{j} - {})", d.number(pca.mean[j])))
                })
                .unzip()
        }
        None => (
            m.coefficients.clone(),
            (0..m.coefficients.len()).map(|j| format!("f{j}")).collect(),
        ),
    };
    let mut by_owner: std::collections::HashMap<&str, (Vec<f64>, Vec<String>)> =
        std::collections::HashMap::new();
    for ((owner, w), f) in owners.into_iter().zip(weights).zip(features) {
        let entry = by_owner.entry(owner).or_default();
        entry.0.push(w);
        entry.1.push(f);
    }
    crate::evaluating::explanations::input_columns(prep)
        .iter()
        .enumerate()
        .map(|(k, column)| {
            let (w, f) = by_owner.remove(column.as_str()).unwrap_or_default();
            (sum(&linear_terms(&w, &f, d), d), format!("r{k}"))
        })
        .collect()
}

/// The steps from the model's probability to the churn probability: the prior correction,
/// then the calibration, each on `p`.
fn probability_steps(carry: &[String], pipeline: &FittedPipeline, d: Dialect) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut from = "cs_model".to_string();
    let mut push = |name: &str, expr: String, from: &mut String| {
        let mut step = Step::new(name, from, vec![(expr, "p".into())]);
        step.carry = carry.to_vec();
        steps.push(step);
        *from = name.to_string();
    };
    if let Some(c) = &pipeline.prior_correction {
        let k = d.number((-c.log_odds_shift).exp());
        push(
            "cs_prior",
            format!("p * {k} / (p * {k} + ({} - p))", d.number(1.0)),
            &mut from,
        );
    }
    match &pipeline.calibrator {
        Some(Calibrator::Platt { a, b }) => {
            let z = format!("-({} * p + {})", d.number(*a), d.number(*b));
            push("cs_calibrated", sigmoid(&z, d), &mut from);
        }
        Some(Calibrator::Isotonic { x, y }) => push("cs_calibrated", isotonic(x, y, d), &mut from),
        None => {}
    }
    steps
}

/// Linear interpolation through the knots `(x, y)`, clipped outside them, as the engine's
/// isotonic calibrator: the slope of each piece is computed here, once, as the engine does.
fn isotonic(x: &[f64], y: &[f64], d: Dialect) -> String {
    let (Some(first), Some(last)) = (y.first(), y.last()) else {
        return "p".into();
    };
    let mut case = format!(
        "CASE WHEN p <= {} THEN {}",
        d.number(x[0]),
        d.number(*first)
    );
    for j in 0..x.len() - 1 {
        let slope = (y[j + 1] - y[j]) / (x[j + 1] - x[j]);
        case.push_str(&format!(
            " WHEN p < {} THEN {} * (p - {}) + {}",
            d.number(x[j + 1]),
            d.number(slope),
            d.number(x[j]),
            d.number(y[j])
        ));
    }
    case.push_str(&format!(" ELSE {} END", d.number(*last)));
    d.double(&case)
}

/// The whole query: a comment saying what it is, the view line if asked, the steps and the
/// final selection.
fn write_query(
    model: &ModelFile,
    options: &SqlOptions,
    view: Option<String>,
    steps: &[Step],
    reasons: &[String],
) -> String {
    let d = options.dialect;
    let p = &model.pipeline;
    let mut out = format!(
        "-- churnscope {}: {} trained on {} ({} rows), scoring {} in {}.\n\
         -- Returns customer_id, churn_probability, at_risk (probability >= {}), tier \
         (high from {}, medium from {}){}.\n",
        model.engine_version,
        crate::evaluating::evaluation::model_label(p.kind()),
        model.dataset.name.replace('\n', " "),
        model.dataset.rows,
        options.table.trim(),
        d.label(),
        p.threshold,
        model.tiers.high,
        model.tiers.medium,
        if reasons.is_empty() {
            ""
        } else {
            " and top_reason"
        }
    );
    if d == Dialect::Spark {
        out.push_str(
            "-- Spark: run it with spark.sql.codegen.wholeStage=false (SET it first): whole-stage \
             code generation\n-- would compile the whole model into one Java method, too big \
             for the JVM's 64 KB limit and the driver's memory.\n",
        );
    }
    if let Some(view) = view {
        out.push_str(&d.create_view(&view));
        out.push('\n');
    }
    out.push_str("WITH ");
    for (i, step) in steps.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        step.write(&mut out, d == Dialect::Postgres);
    }
    let last = steps.last().map_or("cs_input", |s| s.name.as_str());
    out.push_str(&format!(
        "\nSELECT customer_id,\n  p AS churn_probability,\n  p >= {} AS at_risk,\n  \
         CASE WHEN p >= {} THEN 'high' WHEN p >= {} THEN 'medium' ELSE 'low' END AS tier",
        d.number(p.threshold),
        d.number(model.tiers.high),
        d.number(model.tiers.medium)
    ));
    if !reasons.is_empty() {
        out.push_str(&format!(
            ",\n  {} AS top_reason",
            top_reason(model, reasons, d)
        ));
    }
    out.push_str(&format!("\nFROM {last}\n"));
    out
}

/// The column with the largest positive contribution (the first of equals, in the
/// engine's column order), NULL when none raises the risk; `reasons` are the `r{k}` then
/// `rmax`.
fn top_reason(model: &ModelFile, reasons: &[String], d: Dialect) -> String {
    let columns = crate::evaluating::explanations::input_columns(&model.pipeline.preprocessor);
    let mut case = format!("CASE WHEN rmax > {} THEN CASE", d.number(0.0));
    for (alias, column) in reasons.iter().zip(&columns) {
        case.push_str(&format!(" WHEN {alias} = rmax THEN {}", d.string(column)));
    }
    case.push_str(" END END");
    case
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acting::actions::{Playbook, ProfitInputs};
    use crate::dataset::Dataset;
    use crate::modelling::config::{ModelKind, TrainConfig};
    use crate::reading::ingest::{read_csv, ReadOptions};
    use crate::reading::sample::{generate_csv, SampleSpec};
    use crate::understanding::target::detect_target;

    /// The built-in sample (1,000 customers, seed 19): text, numbers, missing cells and an
    /// identifier column, `customer_id`.
    fn sample() -> Dataset {
        let csv = generate_csv(&SampleSpec {
            customers: 1000,
            seed: 19,
        });
        read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample reads")
    }

    fn trained(ds: &Dataset, kind: ModelKind, edit: impl Fn(&mut TrainConfig)) -> ModelFile {
        let target = detect_target(ds).expect("ok").expect("churn column");
        let mut config = TrainConfig::new(target);
        config.model = kind;
        config.forest = config.forest.clone().n_trees(10);
        edit(&mut config);
        ModelFile::train(
            ds,
            "sample.csv",
            "2026-12-07",
            &config,
            None,
            ProfitInputs::default(),
            Playbook::ecommerce(),
        )
        .expect("trains")
    }

    fn options(dialect: Dialect) -> SqlOptions {
        SqlOptions {
            dialect,
            table: "shop.customers".into(),
            view: None,
            id_column: None,
        }
    }

    #[test]
    fn trees_read_out_route_every_row_as_the_models_own_walk() {
        let ds = sample();
        let rows: Vec<usize> = (0..ds.n_rows).collect();
        for kind in [ModelKind::Gbdt, ModelKind::Forest] {
            let file = trained(&ds, kind, |_| {});
            let p = &file.pipeline;
            let x = p.preprocessor.transform(&ds, &rows).expect("features");
            let want = p.model.predict_proba(&x);
            let got: Vec<f64> = (0..x.nrows())
                .map(|i| {
                    let row: Vec<f64> = x.row(i).to_vec();
                    match &p.model {
                        FittedModel::Gbdt(m) => {
                            let z = m.init_score
                                + m.tree_views().iter().map(|t| t.value(&row)).sum::<f64>();
                            crate::modelling::models::logistic::sigmoid(z)
                        }
                        FittedModel::Forest(m) => {
                            let views = m.tree_views();
                            views.iter().map(|t| t.value(&row)).sum::<f64>() / views.len() as f64
                        }
                        _ => unreachable!(),
                    }
                })
                .collect();
            for (a, b) in want.iter().zip(&got) {
                assert!((a - b).abs() < 1e-12, "{kind:?}: {a} against {b}");
            }
        }
    }

    #[test]
    fn the_query_names_the_models_identifier_and_refuses_what_it_cannot_write() {
        let ds = sample();
        let file = trained(&ds, ModelKind::Logistic, |_| {});
        let sql = export_sql(&file, &options(Dialect::Postgres)).expect("exports");
        assert!(
            sql.contains("\"customer_id\" AS customer_id"),
            "{}",
            &sql[..400]
        );
        assert!(sql.contains("FROM shop.customers"));
        assert!(sql.contains("AS top_reason"));
        assert!(sql.contains("cs_features AS MATERIALIZED ("));
        let spark = export_sql(&file, &options(Dialect::Spark)).expect("exports");
        assert!(spark.contains("`customer_id` AS customer_id") && !spark.contains("MATERIALIZED"));
        let view = SqlOptions {
            view: Some("analytics.churn_scores".into()),
            ..options(Dialect::DuckDb)
        };
        let text = export_sql(&file, &view).expect("exports");
        assert!(text.contains("\nCREATE OR REPLACE VIEW analytics.churn_scores AS\nWITH "));

        let bad = SqlOptions {
            table: "customers; DROP TABLE orders".into(),
            ..options(Dialect::DuckDb)
        };
        assert!(matches!(
            export_sql(&file, &bad),
            Err(SqlError::TableName(_))
        ));
        let mut no_id = file.clone();
        no_id
            .schema
            .retain(|c| c.kind != crate::dataset::ColumnKind::Identifier);
        assert_eq!(
            export_sql(&no_id, &options(Dialect::DuckDb)),
            Err(SqlError::NoId)
        );
        let named = SqlOptions {
            id_column: Some("email".into()),
            ..options(Dialect::DuckDb)
        };
        assert!(export_sql(&no_id, &named)
            .expect("exports")
            .contains("\"email\" AS customer_id"));
        let mut dated = file.clone();
        let first = dated.pipeline.preprocessor.blocks[0].column().to_string();
        for c in dated.schema.iter_mut().filter(|c| c.name == first) {
            c.kind = crate::dataset::ColumnKind::Date;
        }
        assert_eq!(
            export_sql(&dated, &options(Dialect::DuckDb)),
            Err(SqlError::DateColumn(first))
        );
    }

    /// The bound: 300 trees of 31 leaves stay under 1 MB in every dialect, and no
    /// tree's `CASE` nests deeper than the tree (at most 30 for 31 leaves).
    #[test]
    fn three_hundred_trees_of_31_leaves_stay_under_a_megabyte() {
        let ds = sample();
        let file = trained(&ds, ModelKind::Gbdt, |c| {
            c.gbdt.n_trees = 300;
            c.gbdt.num_leaves = 31;
            c.gbdt.min_data_in_leaf = 2;
            c.gbdt.early_stopping = None;
        });
        let FittedModel::Gbdt(m) = &file.pipeline.model else {
            unreachable!()
        };
        let views = m.tree_views();
        assert_eq!(views.len(), 300);
        let leaves: usize = views.iter().map(TreeView::leaves).sum();
        assert!(
            leaves > 300 * 25,
            "{leaves} leaves: the trees must be (nearly) full"
        );
        assert!(views.iter().all(|t| t.depth() <= 30));
        for d in Dialect::ALL {
            let sql = export_sql(&file, &options(d)).expect("exports");
            assert!(sql.len() < 1_000_000, "{}: {} bytes", d.name(), sql.len());
        }
    }
}
