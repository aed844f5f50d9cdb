//! Scoring a new export with a saved model: its columns matched to the model's by name
//! (differences of case, spacing and underscores tolerated and reported), missing required
//! columns named, extra columns ignored, and categories the model never saw counted per
//! column (they are scored as in training: no one-hot feature, or the "infrequent" one).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::dataset::{ColumnData, Dataset, MISSING_CODE};
use crate::monitoring::model_file::ModelFile;

/// How an export's columns were matched to a model's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnMatch {
    /// Columns found under another spelling: (name in the export, name in the model).
    pub renamed: Vec<(String, String)>,
    /// Export columns the model file does not know (left out).
    pub ignored: Vec<String>,
    /// Per text feature, the export's cells whose category the model never saw.
    pub unseen: Vec<UnseenCategories>,
}

/// Cells of one column holding categories unseen in training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnseenCategories {
    pub column: String,
    pub cells: usize,
    /// A few of the unseen categories, most frequent first (at most 5).
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum MatchError {
    #[error("the file has no column '{column}', which the model needs{}", hint(.near))]
    MissingColumn {
        column: String,
        near: Option<String>,
    },
    #[error("columns '{0}' and '{1}' of the file both match the model's column '{2}'; rename one")]
    Ambiguous(String, String, String),
}

fn hint(near: &Option<String>) -> String {
    near.as_ref()
        .map(|n| format!(" (the closest is '{n}')"))
        .unwrap_or_default()
}

/// A column name folded for matching: lower case, without spaces, underscores, hyphens
/// and dots.
pub fn fold_name(name: &str) -> String {
    name.chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '_' | '-' | '.')))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Renames `ds`'s columns to the model's spelling and checks every required column is
/// there; the report lists renamed, ignored and unseen-category columns.
pub fn match_columns(model: &ModelFile, ds: &mut Dataset) -> Result<ColumnMatch, MatchError> {
    let mut report = ColumnMatch::default();
    let mut matched = vec![false; ds.columns.len()];
    for wanted in &model.schema {
        let exact = ds.columns.iter().position(|c| c.name == wanted.name);
        let index = match exact {
            Some(i) => Some(i),
            None => {
                let folded = fold_name(&wanted.name);
                let found: Vec<usize> = (0..ds.columns.len())
                    .filter(|&i| fold_name(&ds.columns[i].name) == folded)
                    .collect();
                if found.len() > 1 {
                    return Err(MatchError::Ambiguous(
                        ds.columns[found[0]].name.clone(),
                        ds.columns[found[1]].name.clone(),
                        wanted.name.clone(),
                    ));
                }
                found.first().copied()
            }
        };
        match index {
            Some(i) => {
                matched[i] = true;
                if ds.columns[i].name != wanted.name {
                    report
                        .renamed
                        .push((ds.columns[i].name.clone(), wanted.name.clone()));
                    ds.columns[i].name = wanted.name.clone();
                }
            }
            None if wanted.required => {
                return Err(MatchError::MissingColumn {
                    column: wanted.name.clone(),
                    near: closest(&wanted.name, ds),
                })
            }
            None => {}
        }
    }
    report.ignored = ds
        .columns
        .iter()
        .zip(&matched)
        .filter(|(_, &m)| !m)
        .map(|(c, _)| c.name.clone())
        .collect();
    report.unseen = unseen_categories(model, ds);
    Ok(report)
}

/// The export column whose folded name shares the longest prefix with `name`'s, if any
/// shares at least three characters.
fn closest(name: &str, ds: &Dataset) -> Option<String> {
    let folded = fold_name(name);
    ds.columns
        .iter()
        .map(|c| {
            let common = fold_name(&c.name)
                .chars()
                .zip(folded.chars())
                .take_while(|(a, b)| a == b)
                .count();
            (common, &c.name)
        })
        .filter(|&(common, _)| common >= 3)
        .max_by_key(|&(common, _)| common)
        .map(|(_, n)| n.clone())
}

/// Per text feature with a vocabulary, the cells of `ds` whose category is not in it.
fn unseen_categories(model: &ModelFile, ds: &Dataset) -> Vec<UnseenCategories> {
    let mut out = Vec::new();
    for wanted in model.schema.iter().filter(|c| !c.levels.is_empty()) {
        let Some(col) = ds.column(&wanted.name) else {
            continue;
        };
        let known: std::collections::HashSet<&str> =
            wanted.levels.iter().map(String::as_str).collect();
        let mut counts: Vec<(String, usize)> = match &col.data {
            ColumnData::Categorical { levels, codes } => {
                let mut per_level = vec![0usize; levels.len()];
                for &c in codes.iter().filter(|&&c| c != MISSING_CODE) {
                    per_level[c as usize] += 1;
                }
                levels
                    .iter()
                    .zip(per_level)
                    .filter(|(l, n)| *n > 0 && !known.contains(l.as_str()))
                    .map(|(l, n)| (l.clone(), n))
                    .collect()
            }
            ColumnData::Numeric(values) => {
                let mut map = std::collections::BTreeMap::<String, usize>::new();
                for x in values.iter().filter(|x| !x.is_nan()) {
                    let text = crate::dataset::format_number(*x);
                    if !known.contains(text.as_str()) {
                        *map.entry(text).or_default() += 1;
                    }
                }
                map.into_iter().collect()
            }
        };
        if counts.is_empty() {
            continue;
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out.push(UnseenCategories {
            column: wanted.name.clone(),
            cells: counts.iter().map(|(_, n)| n).sum(),
            examples: counts.into_iter().take(5).map(|(l, _)| l).collect(),
        });
    }
    out
}
