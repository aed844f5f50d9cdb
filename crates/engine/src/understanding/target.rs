//! Finding the churn column and its positive value, and turning it into 0/1 labels.
//!
//! A usable target has exactly two distinct values. Among those columns, one named like
//! churn (churn, churned, exited, attrition, label, 流失, ...) is proposed; the positive
//! value is the one that reads as "yes" (Yes, True, 1, ...) or, failing that, the rarer one,
//! since churners are the minority in nearly every customer base.

use serde::{Deserialize, Serialize};

use crate::dataset::{name_tokens, truth_value, Column, Dataset};

/// Why a column cannot serve as the target.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    #[error("no usable target: no column has exactly two distinct values (a churn column should say e.g. Yes/No or 1/0)")]
    NoBinaryColumn,
    #[error("the target column '{0}' does not exist")]
    UnknownColumn(String),
    #[error("the target column '{column}' has only one value ('{value}') in its {rows} non-missing rows: a model needs both churned and retained customers")]
    SingleClassTarget {
        column: String,
        value: String,
        rows: usize,
    },
    #[error("the target column '{column}' has {distinct} distinct values; a churn target needs exactly two")]
    NotBinary { column: String, distinct: usize },
    #[error(
        "'{value}' is not a value of the target column '{column}' (its values are {values:?})"
    )]
    UnknownPositive {
        column: String,
        value: String,
        values: Vec<String>,
    },
}

pub type Result<T> = std::result::Result<T, TargetError>;

/// A chosen target: the column and which of its two values means "churned".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub column: String,
    pub positive: String,
    pub negative: String,
}

/// True when a column name says "churn" in one of the usual ways.
pub fn looks_like_churn_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    if ["churn", "attrition", "attrited", "流失"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return true;
    }
    name_tokens(name).iter().any(|t| {
        matches!(
            t.as_str(),
            "exited" | "exit" | "label" | "target" | "left" | "churned" | "cancelled" | "canceled"
        )
    })
}

/// Columns with exactly two distinct values, in table order: the possible targets.
pub fn binary_columns(ds: &Dataset) -> Vec<&Column> {
    ds.columns
        .iter()
        .filter(|c| c.distinct_at_most(2) == 2)
        .collect()
}

/// Proposes a target: the last two-valued column named like churn.
///
/// A column named like churn with a single value is reported as [`TargetError::SingleClassTarget`]
/// rather than silently skipped, because that is almost always the user's real target.
pub fn detect_target(ds: &Dataset) -> Result<Option<Target>> {
    if let Some(col) = binary_columns(ds)
        .into_iter()
        .rev()
        .find(|c| looks_like_churn_name(&c.name))
    {
        return target_for(ds, &col.name, None).map(Some);
    }
    if let Some(col) = ds
        .columns
        .iter()
        .rev()
        .find(|c| looks_like_churn_name(&c.name) && c.distinct_at_most(1) == 1)
    {
        return Err(single_class(col));
    }
    if binary_columns(ds).is_empty() {
        return Err(TargetError::NoBinaryColumn);
    }
    Ok(None)
}

fn single_class(col: &Column) -> TargetError {
    TargetError::SingleClassTarget {
        column: col.name.clone(),
        value: col
            .distinct_values(1)
            .into_iter()
            .next()
            .unwrap_or_default(),
        rows: col.len() - col.missing(),
    }
}

/// The target `column` with the given positive value, or the proposed one when `None`.
pub fn target_for(ds: &Dataset, column: &str, positive: Option<&str>) -> Result<Target> {
    let col = ds
        .column(column)
        .ok_or_else(|| TargetError::UnknownColumn(column.to_string()))?;
    let values = col.distinct_values(2);
    match values.len() {
        0 | 1 if col.len() > col.missing() => return Err(single_class(col)),
        0 | 1 => {
            return Err(TargetError::NotBinary {
                column: column.to_string(),
                distinct: 0,
            })
        }
        2 => {}
        _ => {
            return Err(TargetError::NotBinary {
                column: column.to_string(),
                distinct: col.distinct(),
            })
        }
    }
    let positive = match positive {
        Some(p) => values
            .iter()
            .find(|v| v.as_str() == p || col.cell_equals_text(v, p))
            .cloned()
            .ok_or_else(|| TargetError::UnknownPositive {
                column: column.to_string(),
                value: p.to_string(),
                values: values.clone(),
            })?,
        None => propose_positive(col, &values),
    };
    let negative = values
        .iter()
        .find(|v| **v != positive)
        .cloned()
        .expect("two distinct values");
    Ok(Target {
        column: column.to_string(),
        positive,
        negative,
    })
}

fn propose_positive(col: &Column, values: &[String]) -> String {
    if let Some(v) = values.iter().find(|v| truth_value(v) == Some(true)) {
        return v.clone();
    }
    if let Some(v) = values.iter().find(|v| looks_like_churn_name(v)) {
        return v.clone();
    }
    // The rarer value; ties go to the later one in sorted order.
    let count = |v: &String| (0..col.len()).filter(|&r| col.cell_equals(r, v)).count();
    let (a, b) = (&values[0], &values[1]);
    if count(a) < count(b) {
        a.clone()
    } else {
        b.clone()
    }
}

impl Column {
    /// True when two spellings name the same value of this column (`1` and `1.0` in a
    /// numeric column).
    fn cell_equals_text(&self, value: &str, other: &str) -> bool {
        match &self.data {
            crate::dataset::ColumnData::Numeric(_) => {
                matches!((value.parse::<f64>(), other.trim().parse::<f64>()), (Ok(a), Ok(b)) if a == b)
            }
            crate::dataset::ColumnData::Categorical { .. } => value == other,
        }
    }
}

impl Target {
    /// 1 for the positive value, 0 for the negative, `None` where the target is missing.
    pub fn labels(&self, ds: &Dataset) -> Result<Vec<Option<u8>>> {
        let col = ds
            .column(&self.column)
            .ok_or_else(|| TargetError::UnknownColumn(self.column.clone()))?;
        Ok((0..ds.n_rows)
            .map(|r| {
                if col.is_missing(r) {
                    None
                } else if col.cell_equals(r, &self.positive) {
                    Some(1)
                } else {
                    Some(0)
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::ingest::{read_csv, ReadOptions};

    fn ds(text: &str) -> Dataset {
        read_csv(text.as_bytes(), &ReadOptions::default()).expect("valid csv")
    }

    #[test]
    fn recognises_churn_names() {
        for name in [
            "Churn",
            "churned",
            "Exited",
            "Attrition_Flag",
            "label",
            "是否流失",
            "is_churn",
        ] {
            assert!(looks_like_churn_name(name), "{name}");
        }
        for name in ["tenure", "Gender", "exitpoll_score"] {
            assert!(!looks_like_churn_name(name), "{name}");
        }
    }

    #[test]
    fn detects_target_and_positive_for_each_spelling() {
        let t = detect_target(&ds("x,Churn\n1,Yes\n2,No\n3,No\n"))
            .expect("ok")
            .expect("found");
        assert_eq!((t.positive.as_str(), t.negative.as_str()), ("Yes", "No"));
        let t = detect_target(&ds("x,Exited\n1,1\n2,0\n"))
            .expect("ok")
            .expect("found");
        assert_eq!(t.positive, "1");
        let t = detect_target(&ds("x,churn\n1,False\n2,True\n"))
            .expect("ok")
            .expect("found");
        assert_eq!(t.positive, "True");
        let t = detect_target(&ds("x,流失\n1,是\n2,否\n"))
            .expect("ok")
            .expect("found");
        assert_eq!(t.positive, "是");
        // No yes-word: the rarer value is positive.
        let t = detect_target(&ds("x,status\n1,stayed\n2,gone\n3,stayed\n")).expect("ok");
        assert_eq!(
            t, None,
            "'status' is not a churn name, so nothing is proposed"
        );
        let t = target_for(
            &ds("x,status\n1,stayed\n2,gone\n3,stayed\n"),
            "status",
            None,
        )
        .expect("binary");
        assert_eq!(t.positive, "gone");
    }

    #[test]
    fn rejects_single_class_and_missing_binary_targets() {
        let err = detect_target(&ds("x,Churn\n1,No\n2,No\n")).expect_err("one class");
        assert!(
            matches!(err, TargetError::SingleClassTarget { ref value, rows: 2, .. } if value == "No")
        );
        let err = detect_target(&ds("a,b\n1,x\n2,y\n3,z\n")).expect_err("no binary");
        assert_eq!(err, TargetError::NoBinaryColumn);
        let err = target_for(&ds("a,b\n1,x\n2,y\n3,z\n"), "b", None).expect_err("three values");
        assert!(matches!(err, TargetError::NotBinary { distinct: 3, .. }));
    }

    #[test]
    fn labels_follow_the_positive_value() {
        let d = ds("x,Churn\n1,Yes\n2,\n3,No\n");
        let t = target_for(&d, "Churn", Some("Yes")).expect("target");
        assert_eq!(t.labels(&d).expect("labels"), vec![Some(1), None, Some(0)]);
        let t = target_for(&d, "Churn", Some("No")).expect("target");
        assert_eq!(t.labels(&d).expect("labels"), vec![Some(0), None, Some(1)]);
        assert!(matches!(
            target_for(&d, "Churn", Some("Maybe")),
            Err(TargetError::UnknownPositive { .. })
        ));
    }
}
