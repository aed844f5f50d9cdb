//! `churnscope sql MODEL --dialect D`: the saved model as one SQL query that scores a
//! customer table inside the merchant's own engine.

use churnscope_engine::acting::sql::{export_sql, SqlOptions};

use crate::args::SqlArgs;
use crate::commands::score::open_model;
use crate::error::CliError;

/// The query's text.
pub fn run(args: &SqlArgs) -> Result<String, CliError> {
    let model = open_model(&args.model)?;
    let options = SqlOptions {
        dialect: args.dialect,
        table: args.table.clone(),
        view: args.view.clone(),
        id_column: args.id.clone(),
    };
    export_sql(&model, &options).map_err(|source| CliError::Sql {
        path: args.model.clone(),
        source,
    })
}
