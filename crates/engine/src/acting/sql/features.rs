//! The first steps of the exported query: the table's cells read as the reader reads them
//! (numbers, categories, missing markers), then the preprocessor's features.

use crate::acting::sql::dialect::Dialect;
use crate::acting::sql::SqlError;
use crate::dataset::ColumnKind;
use crate::modelling::preprocessing::{FeatureBlock, FittedPreprocessor};
use crate::monitoring::model_file::ModelFile;

/// The source columns the features read, in order, each read as a number or as text.
pub(super) struct Inputs {
    /// (column name, read as a number), `v{k}` in the query.
    pub(super) columns: Vec<(String, bool)>,
}

impl Inputs {
    /// The inputs of `model`'s features; a date feature is refused (the export does not turn
    /// dates into days yet).
    pub(super) fn of(model: &ModelFile) -> Result<Inputs, SqlError> {
        let mut columns: Vec<(String, bool)> = Vec::new();
        for block in &model.pipeline.preprocessor.blocks {
            let name = block.column();
            let date = model
                .schema
                .iter()
                .any(|c| c.name == name && c.kind == ColumnKind::Date);
            if date {
                return Err(SqlError::DateColumn(name.to_string()));
            }
            let number = match block {
                FeatureBlock::Numeric { .. } | FeatureBlock::Raw { .. } => Some(true),
                FeatureBlock::OneHot { .. } | FeatureBlock::Ordinal { .. } => Some(false),
                FeatureBlock::MissingIndicator { .. } => None,
            };
            match columns.iter_mut().find(|(c, _)| c == name) {
                Some(entry) => entry.1 = number.unwrap_or(entry.1),
                None => columns.push((name.to_string(), number.unwrap_or(true))),
            }
        }
        Ok(Inputs { columns })
    }

    /// The alias of `column`'s cell (`v{k}`), `None` for a column that is not an input.
    pub(super) fn alias(&self, column: &str) -> Option<String> {
        let k = self.columns.iter().position(|(c, _)| c == column)?;
        Some(format!("v{k}"))
    }

    /// The `cs_input` step's columns (expression, alias): each source cell read as a
    /// number or a category.
    pub(super) fn select(&self, d: Dialect) -> Vec<(String, String)> {
        self.columns
            .iter()
            .enumerate()
            .map(|(k, (name, number))| {
                let column = d.ident(name);
                let read = match number {
                    true => d.number_of(&column),
                    false => d.category(&column),
                };
                (read, format!("v{k}"))
            })
            .collect()
    }
}

/// The preprocessor's features (before any PCA) as expressions over the `v{k}` cells, in
/// the preprocessor's feature order.
pub(super) fn feature_exprs(
    prep: &FittedPreprocessor,
    inputs: &Inputs,
    d: Dialect,
) -> Result<Vec<String>, SqlError> {
    let mut out = Vec::new();
    for block in &prep.blocks {
        let v = inputs.alias(block.column()).ok_or_else(|| {
            SqlError::Pipeline(format!("'{}' is not among the inputs", block.column()))
        })?;
        match block {
            FeatureBlock::Numeric {
                median,
                mean,
                scale,
                fill,
                ..
            } => out.push(format!(
                "(COALESCE({v}, {}) - {}) / {}",
                d.number(fill.unwrap_or(*median)),
                d.number(*mean),
                d.number(*scale)
            )),
            FeatureBlock::OneHot {
                levels,
                fill,
                infrequent,
                ..
            } => {
                let cell = format!("COALESCE({v}, {})", d.string(fill));
                let (one, zero) = (d.number(1.0), d.number(0.0));
                for level in levels {
                    let case = format!(
                        "CASE WHEN {cell} = {} THEN {one} ELSE {zero} END",
                        d.string(level)
                    );
                    out.push(d.double(&case));
                }
                if !infrequent.is_empty() {
                    let known: Vec<String> = levels.iter().map(|l| d.string(l)).collect();
                    let case = format!(
                        "CASE WHEN {cell} IN ({}) THEN {zero} ELSE {one} END",
                        known.join(", ")
                    );
                    out.push(d.double(&case));
                }
            }
            FeatureBlock::Raw { .. } => out.push(v),
            FeatureBlock::Ordinal {
                levels, infrequent, ..
            } => out.push(ordinal(&v, levels, infrequent, d)),
            FeatureBlock::MissingIndicator { mean, scale, .. } => {
                let gone = format!(
                    "CASE WHEN {v} IS NULL THEN {} ELSE {} END",
                    d.number(1.0),
                    d.number(0.0)
                );
                out.push(format!(
                    "({} - {}) / {}",
                    d.double(&gone),
                    d.number(*mean),
                    d.number(*scale)
                ));
            }
        }
    }
    Ok(out)
}

/// A category's code among the sorted training `levels`, the `infrequent` levels sharing
/// the code after the last; NULL for a missing cell or a level unseen in training.
fn ordinal(v: &str, levels: &[String], infrequent: &[String], d: Dialect) -> String {
    let mut case = format!("CASE {v}");
    for (code, level) in levels.iter().enumerate() {
        case.push_str(&format!(" WHEN {} THEN {code}", d.string(level)));
    }
    for level in infrequent {
        case.push_str(&format!(" WHEN {} THEN {}", d.string(level), levels.len()));
    }
    case.push_str(" END");
    d.double(&case)
}

/// The PCA coordinates of the features `f{j}`: each component's weights times the
/// centred features, summed in the features' order.
pub(super) fn pca_exprs(prep: &FittedPreprocessor, d: Dialect) -> Option<Vec<String>> {
    let pca = prep.pca.as_ref()?;
    let components = &pca.components;
    let exprs = (0..components.nrows())
        .map(|c| {
            let terms: Vec<String> = components
                .row(c)
                .iter()
                .zip(&pca.mean)
                .enumerate()
                .map(|(j, (w, m))| format!("{} * (f{j} - {})", d.number(*w), d.number(*m)))
                .collect();
            terms.join(" + ")
        })
        .collect();
    Some(exprs)
}
