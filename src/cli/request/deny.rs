//! `supportctl request deny`: an admin refuses a request, saying why.

use clap::Args;

use crate::cli::args::OrgArg;
use crate::cli::candidates;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct DenyArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Request id.
    #[arg(add = candidates::request_ids())]
    pub id: String,
    /// Why (required: the engineer reads it).
    #[arg(long)]
    pub comment: String,
    /// Ask the server whether the request can be denied, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(context: &mut Context, args: DenyArgs) -> CommandResult {
    if args.comment.trim().is_empty() {
        return Err(CommandError::usage("--comment must not be empty"));
    }
    let mut connection = context.connect()?;
    let org = connection.org(args.org.org.as_deref())?;
    if args.dry_run {
        let request = connection
            .client
            .deny_request_dry_run(&org, &args.id, &args.comment)?;
        context.ui.note(&format!(
            "Dry run: would deny request {} of {}; nothing was changed.",
            request.id, request.requester
        ));
        return Ok(context.ui.preview(&request)?);
    }
    let request = connection
        .client
        .deny_request(&org, &args.id, &args.comment)?;
    context.ui.success(&format!(
        "Denied request {} of {}",
        request.id, request.requester
    ));
    if context.ui.format() != OutputFormat::Table || context.ui.quiet() {
        context.ui.one(&request)?;
    }
    Ok(())
}
