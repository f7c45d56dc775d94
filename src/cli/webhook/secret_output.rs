//! A new webhook's or rotated secret's output, for `webhook add` and `webhook rotate-secret`.

use crate::api::WebhookWithSecret;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;
use crate::cli::table::Tabular;
use crate::cli::ui::{OutputFormat, tsv_cells};

/// The secret goes to stdout once; with `-q`, nothing else does.
pub(super) fn print_with_secret(
    context: &mut Context,
    created: &WebhookWithSecret,
    verb: &str,
) -> CommandResult {
    if context.ui.quiet() {
        return Ok(context.ui.line(&created.secret)?);
    }
    match context.ui.format() {
        OutputFormat::Json => Ok(context.ui.json(created)?),
        OutputFormat::Tsv => {
            let mut row = tsv_cells(&created.webhook.cells());
            row.push(created.secret.clone());
            Ok(context.ui.line(&row.join("\t"))?)
        }
        OutputFormat::Table => {
            context.ui.success(&format!(
                "{verb} {} ({})",
                created.webhook.id, created.webhook.url
            ));
            context
                .ui
                .note("Signing secret (shown once; give it to the receiver now):");
            Ok(context.ui.line(&created.secret)?)
        }
    }
}
