//! What differs between the SQL engines the export writes for: quoting, casts, string
//! escapes and the typing of number literals.

use serde::{Deserialize, Serialize};

use crate::reading::cells::MISSING_TOKENS;

/// An SQL engine the export writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    DuckDb,
    Postgres,
    Spark,
    BigQuery,
}

impl Dialect {
    pub const ALL: [Dialect; 4] = [
        Dialect::DuckDb,
        Dialect::Postgres,
        Dialect::Spark,
        Dialect::BigQuery,
    ];

    /// The dialect named `name` (`duckdb`, `postgres`, `spark`, `bigquery`; case and a few
    /// common spellings tolerated).
    pub fn parse(name: &str) -> Option<Dialect> {
        match name.trim().to_ascii_lowercase().as_str() {
            "duckdb" | "duck" => Some(Dialect::DuckDb),
            "postgres" | "postgresql" | "pg" => Some(Dialect::Postgres),
            "spark" | "sparksql" | "spark-sql" | "databricks" => Some(Dialect::Spark),
            "bigquery" | "bq" => Some(Dialect::BigQuery),
            _ => None,
        }
    }

    /// The name the CLI and the page use.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Postgres => "postgres",
            Dialect::Spark => "spark",
            Dialect::BigQuery => "bigquery",
        }
    }

    /// The engine's name as people write it.
    pub fn label(self) -> &'static str {
        match self {
            Dialect::DuckDb => "DuckDB",
            Dialect::Postgres => "PostgreSQL",
            Dialect::Spark => "Spark SQL",
            Dialect::BigQuery => "BigQuery",
        }
    }

    /// `name` as a quoted identifier.
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::DuckDb | Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            Dialect::BigQuery => format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`")),
        }
    }

    /// `text` as a string literal.
    pub fn string(self, text: &str) -> String {
        match self {
            Dialect::DuckDb | Dialect::Postgres => format!("'{}'", text.replace('\'', "''")),
            // Spark and BigQuery read backslash escapes in string literals.
            Dialect::Spark | Dialect::BigQuery => {
                format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
            }
        }
    }

    /// `v` as a double-precision literal, written with the shortest digits that read back
    /// to the same double and always with an exponent: DuckDB, Spark and BigQuery read such
    /// a literal as a double, never as a fixed-point decimal (Spark also gets its `D`
    /// suffix). PostgreSQL reads it as an exact `numeric`, which becomes the same double
    /// where it meets one; [`Dialect::double`] makes sure of it.
    pub fn number(self, v: f64) -> String {
        let digits = if v == 0.0 {
            "0e0".to_string()
        } else {
            format!("{v:e}")
        };
        let digits = match self {
            Dialect::Spark => format!("{digits}D"),
            _ => digits,
        };
        if v.is_sign_negative() && v != 0.0 {
            format!("({digits})")
        } else {
            digits
        }
    }

    /// `expr` as a double: a cast in PostgreSQL, where an expression of literals only (a
    /// tree's `CASE`) would otherwise stay `numeric`; the expression itself elsewhere.
    pub fn double(self, expr: &str) -> String {
        match self {
            Dialect::Postgres => format!("CAST({expr} AS DOUBLE PRECISION)"),
            _ => expr.to_string(),
        }
    }

    fn text_type(self) -> &'static str {
        match self {
            Dialect::DuckDb => "VARCHAR",
            Dialect::Postgres => "TEXT",
            Dialect::Spark | Dialect::BigQuery => "STRING",
        }
    }

    /// The cell of `column` (an identifier already quoted) as trimmed text.
    pub fn trimmed_text(self, column: &str) -> String {
        format!("TRIM(CAST({column} AS {}))", self.text_type())
    }

    /// The missing-value markers the reader knows, as an SQL list.
    fn missing_tokens(self) -> String {
        let tokens: Vec<String> = MISSING_TOKENS.iter().map(|t| self.string(t)).collect();
        tokens.join(", ")
    }

    /// The cell of `column` as a category: its text as it is (the reader keeps the spaces
    /// around a category), NULL when its trimmed text is one of the reader's missing-value
    /// markers.
    pub fn category(self, column: &str) -> String {
        format!(
            "CASE WHEN {} IN ({}) THEN NULL ELSE CAST({column} AS {}) END",
            self.trimmed_text(column),
            self.missing_tokens(),
            self.text_type()
        )
    }

    /// The cell of `column` as a number, whether the table stores it as a number or as
    /// text: NULL when it is a missing-value marker or does not read as a plain number.
    pub fn number_of(self, column: &str) -> String {
        let text = self.trimmed_text(column);
        let tokens = self.missing_tokens();
        match self {
            Dialect::DuckDb => format!(
                "CASE WHEN {text} IN ({tokens}) THEN NULL ELSE TRY_CAST({column} AS DOUBLE) END"
            ),
            // No TRY_CAST: text that reads as a plain number is cast, anything else is NULL.
            Dialect::Postgres => format!(
                "CASE WHEN {text} ~ '^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$' \
                 THEN CAST({text} AS DOUBLE PRECISION) END"
            ),
            Dialect::Spark => format!(
                "CASE WHEN {text} IN ({tokens}) THEN NULL ELSE TRY_CAST({column} AS DOUBLE) END"
            ),
            Dialect::BigQuery => format!(
                "CASE WHEN {text} IN ({tokens}) THEN NULL ELSE SAFE_CAST({column} AS FLOAT64) END"
            ),
        }
    }

    /// `CREATE VIEW` in this dialect (replacing a view of the same name).
    pub fn create_view(self, name: &str) -> String {
        format!("CREATE OR REPLACE VIEW {name} AS")
    }

    /// A table or view name as the user wrote it (`schema.table`, `project.dataset.table`),
    /// each part quoted unless it is a plain identifier; `None` for an empty name or one
    /// holding a semicolon or a line break.
    pub fn table_name(self, name: &str) -> Option<String> {
        let name = name.trim();
        if name.is_empty() || name.contains([';', '\n', '\r']) {
            return None;
        }
        let plain = |part: &str| {
            part.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        let parts: Option<Vec<String>> = name
            .split('.')
            .map(|part| match part.is_empty() {
                true => None,
                false if plain(part) => Some(part.to_string()),
                false => Some(self.ident(part.trim_matches(['"', '`']))),
            })
            .collect();
        parts.map(|p| p.join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_literals_read_back_to_the_same_double() {
        for v in [
            0.1,
            -2.5,
            1e-300,
            123456789.125,
            f64::MIN_POSITIVE,
            1.0 / 3.0,
        ] {
            let text = Dialect::DuckDb.number(v);
            let bare = text.trim_matches(['(', ')']);
            assert_eq!(bare.parse::<f64>(), Ok(v), "{text}");
            assert!(bare.contains('e'), "{text} has an exponent");
        }
        assert_eq!(Dialect::Spark.number(0.5), "5e-1D");
        assert_eq!(Dialect::Postgres.number(-0.5), "(-5e-1)");
        assert_eq!(Dialect::BigQuery.number(0.0), "0e0");
    }

    #[test]
    fn quotes_names_and_strings_per_dialect() {
        assert_eq!(
            Dialect::Postgres.ident("Account \"length\""),
            "\"Account \"\"length\"\"\""
        );
        assert_eq!(Dialect::Spark.ident("a`b"), "`a``b`");
        assert_eq!(Dialect::DuckDb.string("it's"), "'it''s'");
        assert_eq!(Dialect::Spark.string("it's \\"), "'it\\'s \\\\'");
        assert_eq!(
            Dialect::BigQuery
                .table_name("my-project.shop.customers")
                .as_deref(),
            Some("`my-project`.shop.customers")
        );
        assert_eq!(Dialect::DuckDb.table_name("a; DROP TABLE b"), None);
        assert_eq!(Dialect::DuckDb.table_name("a..b"), None);
        assert_eq!(Dialect::parse(" PostgreSQL "), Some(Dialect::Postgres));
        assert_eq!(Dialect::parse("oracle"), None);
    }
}
