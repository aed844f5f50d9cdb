//! The model's steps of the exported query: logistic regression as a linear expression,
//! trees as one `CASE` per tree summed in groups, the network's layers written out.

use crate::acting::sql::dialect::Dialect;
use crate::modelling::models::mlp::Activation;
use crate::modelling::models::readout::{LeftWhen, TreeView};
use crate::modelling::models::{FittedLogisticRegression, FittedMlp};

/// Trees added up per column of the sums' step: short sums keep every engine's expression
/// trees shallow.
pub(super) const TREES_PER_SUM: usize = 50;

/// One step of the query: a `WITH` item selecting `customer_id`, the columns `carry`
/// passed on from `from`, and `columns` (expression, alias).
pub(super) struct Step {
    pub(super) name: String,
    pub(super) from: String,
    pub(super) carry: Vec<String>,
    pub(super) columns: Vec<(String, String)>,
}

impl Step {
    pub(super) fn new(name: &str, from: &str, columns: Vec<(String, String)>) -> Step {
        Step {
            name: name.to_string(),
            from: from.to_string(),
            carry: Vec::new(),
            columns,
        }
    }

    /// Writes `name AS (SELECT ...)`; the first step, which reads the table, names its
    /// `customer_id` among its columns. `materialized` (PostgreSQL) keeps the engine from
    /// inlining the step into the next: a tree reads each feature at many nodes, and
    /// inlined, every read would copy the feature's whole expression.
    pub(super) fn write(&self, out: &mut String, materialized: bool) {
        let how = if materialized { "MATERIALIZED " } else { "" };
        out.push_str(&format!("{} AS {how}(\n  SELECT", self.name));
        let mut first = true;
        let passed = (self.name != "cs_input").then_some("customer_id");
        for c in passed
            .into_iter()
            .chain(self.carry.iter().map(String::as_str))
        {
            out.push_str(if first { " " } else { ", " });
            out.push_str(c);
            first = false;
        }
        for (expr, alias) in &self.columns {
            out.push_str(if first { "\n    " } else { ",\n    " });
            out.push_str(&format!("{expr} AS {alias}"));
            first = false;
        }
        out.push_str(&format!("\n  FROM {}\n)", self.from));
    }
}

/// The logistic function of `z`, its argument kept within ±700 so that no engine's `EXP`
/// overflows (PostgreSQL raises an error where others return infinity); beyond that the
/// probability is 0 or 1 to far below any tolerance.
pub(super) fn sigmoid(z: &str, d: Dialect) -> String {
    format!(
        "{one} / ({one} + EXP(-LEAST(GREATEST({z}, {lo}), {hi})))",
        one = d.number(1.0),
        lo = d.number(-700.0),
        hi = d.number(700.0)
    )
}

/// `terms` joined by `+`, or zero for none.
pub(super) fn sum(terms: &[String], d: Dialect) -> String {
    match terms.is_empty() {
        true => d.number(0.0),
        false => terms.join(" + "),
    }
}

/// `weight * feature`, dropping zero weights.
pub(super) fn linear_terms(weights: &[f64], features: &[String], d: Dialect) -> Vec<String> {
    weights
        .iter()
        .zip(features)
        .filter(|(w, _)| **w != 0.0)
        .map(|(w, f)| format!("{} * {f}", d.number(*w)))
        .collect()
}

/// A logistic regression's log-odds over `features` (the `f{j}` or `pc{k}` names).
pub(super) fn logistic_margin(
    m: &FittedLogisticRegression,
    features: &[String],
    d: Dialect,
) -> String {
    let mut terms = vec![d.number(m.intercept)];
    terms.extend(linear_terms(&m.coefficients, features, d));
    sum(&terms, d)
}

/// The condition under which feature `f` goes left.
fn condition(f: &str, left_when: &LeftWhen, d: Dialect) -> String {
    match left_when {
        LeftWhen::Ranges { ranges, missing } => {
            let parts: Vec<String> = ranges
                .iter()
                .map(|&(low, high)| {
                    let mut bounds = Vec::new();
                    if low > f64::NEG_INFINITY {
                        bounds.push(format!("{f} > {}", d.number(low)));
                    }
                    if high < f64::INFINITY {
                        bounds.push(format!("{f} <= {}", d.number(high)));
                    }
                    match bounds.is_empty() {
                        true => format!("{f} IS NOT NULL"),
                        false => bounds.join(" AND "),
                    }
                })
                .collect();
            let values = match parts.len() {
                0 => "FALSE".to_string(),
                1 => parts[0].clone(),
                _ => format!("({})", parts.join(" OR ")),
            };
            match missing {
                true => format!("({f} IS NULL OR {values})"),
                false => values,
            }
        }
        LeftWhen::Codes {
            codes,
            levels,
            others,
        } => {
            let list = |codes: &[u32]| {
                let codes: Vec<String> = codes.iter().map(u32::to_string).collect();
                codes.join(", ")
            };
            if *others {
                let right: Vec<u32> = (0..*levels).filter(|c| !codes.contains(c)).collect();
                match right.is_empty() {
                    true => "TRUE".to_string(),
                    false => format!("({f} IS NULL OR {f} NOT IN ({}))", list(&right)),
                }
            } else {
                match codes.is_empty() {
                    true => "FALSE".to_string(),
                    false => format!("{f} IN ({})", list(codes)),
                }
            }
        }
    }
}

/// One tree as nested `CASE` expressions over the features `f{j}`.
pub(super) fn tree_case(tree: &TreeView, d: Dialect) -> String {
    let mut out = String::new();
    write_node(tree, d, &mut out);
    d.double(&out)
}

fn write_node(node: &TreeView, d: Dialect, out: &mut String) {
    match node {
        TreeView::Leaf(v) => out.push_str(&d.number(*v)),
        TreeView::Split {
            feature,
            left_when,
            left,
            right,
        } => {
            out.push_str("CASE WHEN ");
            out.push_str(&condition(&format!("f{feature}"), left_when, d));
            out.push_str(" THEN ");
            write_node(left, d, out);
            out.push_str(" ELSE ");
            write_node(right, d, out);
            out.push_str(" END");
        }
    }
}

/// The steps of a tree model: each tree's value (`t{i}`), their sums in groups (`s{g}`),
/// then `finish` of the total (the model's probability) as `p`. The last step is named
/// `cs_model`.
pub(super) fn tree_steps(
    trees: &[TreeView],
    from: &str,
    d: Dialect,
    finish: impl Fn(&str) -> String,
) -> Vec<Step> {
    let values = trees
        .iter()
        .enumerate()
        .map(|(i, t)| (tree_case(t, d), format!("t{i}")))
        .collect();
    let sums: Vec<(String, String)> = (0..trees.len())
        .collect::<Vec<_>>()
        .chunks(TREES_PER_SUM)
        .enumerate()
        .map(|(g, chunk)| {
            let terms: Vec<String> = chunk.iter().map(|i| format!("t{i}")).collect();
            (terms.join(" + "), format!("s{g}"))
        })
        .collect();
    let total: Vec<String> = (0..sums.len()).map(|g| format!("s{g}")).collect();
    vec![
        Step::new("cs_trees", from, values),
        Step::new("cs_sums", "cs_trees", sums),
        Step::new(
            "cs_model",
            "cs_sums",
            vec![(finish(&format!("({})", sum(&total, d))), "p".into())],
        ),
    ]
}

/// The steps of a network: one per hidden layer (`h{layer}_{unit}`), then the output's
/// logistic function as `p` in `cs_model`.
pub(super) fn network_steps(
    m: &FittedMlp,
    features: &[String],
    from: &str,
    d: Dialect,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut inputs: Vec<String> = features.to_vec();
    let mut from = from.to_string();
    let last = m.layers.len().saturating_sub(1);
    for (k, layer) in m.layers.iter().enumerate() {
        let sums: Vec<String> = (0..layer.outputs)
            .map(|u| {
                let weights: Vec<f64> = (0..layer.inputs)
                    .map(|i| layer.weights[i * layer.outputs + u])
                    .collect();
                let mut terms = vec![d.number(layer.biases[u])];
                terms.extend(linear_terms(&weights, &inputs, d));
                sum(&terms, d)
            })
            .collect();
        if k == last {
            let z = sums.first().cloned().unwrap_or_else(|| d.number(0.0));
            steps.push(Step::new(
                "cs_model",
                &from,
                vec![(sigmoid(&z, d), "p".into())],
            ));
            break;
        }
        let name = format!("cs_layer{}", k + 1);
        let columns: Vec<(String, String)> = sums
            .into_iter()
            .enumerate()
            .map(|(u, z)| {
                let a = match m.activation {
                    Activation::Relu => format!("GREATEST({z}, {})", d.number(0.0)),
                    Activation::Tanh => format!("TANH({z})"),
                };
                (a, format!("h{}_{u}", k + 1))
            })
            .collect();
        inputs = columns.iter().map(|(_, alias)| alias.clone()).collect();
        steps.push(Step::new(&name, &from, columns));
        from = name;
    }
    steps
}
