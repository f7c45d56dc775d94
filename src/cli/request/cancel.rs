//! `supportctl request cancel`: a support engineer withdraws their own request.

use clap::Args;

use crate::cli::candidates;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct CancelArgs {
    /// Request id.
    #[arg(add = candidates::request_ids())]
    pub id: String,
}

pub fn run(context: &mut Context, args: CancelArgs) -> CommandResult {
    let connection = context.connect()?;
    let request = connection.client.cancel_request(&args.id)?;
    context
        .ui
        .success(&format!("Cancelled request {}", request.id));
    if context.ui.format() != OutputFormat::Table || context.ui.quiet() {
        context.ui.one(&request)?;
    }
    Ok(())
}
