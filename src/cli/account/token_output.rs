//! A new or rotated account token's output, for `account create` and `account rotate-token`.

use crate::api::AccountWithToken;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;
use crate::cli::table::Tabular;
use crate::cli::ui::{OutputFormat, tsv_cells};

/// The token goes to stdout once; with `-q`, nothing else does.
pub(super) fn print_with_token(
    context: &mut Context,
    created: &AccountWithToken,
    verb: &str,
) -> CommandResult {
    if context.ui.quiet() {
        return Ok(context.ui.line(&created.token)?);
    }
    match context.ui.format() {
        OutputFormat::Json => Ok(context.ui.json(created)?),
        // The account's columns in table order, then the token (like `session open`).
        OutputFormat::Tsv => {
            let mut row = tsv_cells(&created.account.cells());
            row.push(created.token.clone());
            Ok(context.ui.line(&row.join("\t"))?)
        }
        OutputFormat::Table => {
            context.ui.success(&format!(
                "{verb} {} ({}, {})",
                created.account.email, created.account.role, created.account.id
            ));
            context.ui.note("Token (shown once; store it now):");
            Ok(context.ui.line(&created.token)?)
        }
    }
}
