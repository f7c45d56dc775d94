//! `supportctl request confirm`: an operator, a second vendor person, confirms an engineer's
//! break-glass request; its grant starts at once.

use clap::Args;

use crate::cli::args::OrgArg;
use crate::cli::candidates;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult, ErrorKind};
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct ConfirmArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Request id.
    #[arg(add = candidates::request_ids())]
    pub id: String,
    /// Why you confirm it (recorded in the org's audit log).
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
}

pub fn run(context: &mut Context, args: ConfirmArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = connection.org(args.org.org.as_deref()).map_err(|error| {
        if !matches!(error.kind, ErrorKind::Forbidden | ErrorKind::Usage) {
            return error;
        }
        CommandError::usage("no org given: which org's request is it?")
            .with_hint("name it: --org ORG or SUPPORTCTL_ORG")
    })?;
    let request = connection
        .client
        .confirm_request(&org, &args.id, args.comment.as_deref())?;
    context.ui.success(&format!(
        "Confirmed break-glass request {} of {}: grant {} is active now, and the admins of {} \
         have been alerted",
        request.id,
        request.requester,
        request.grant_id.as_deref().unwrap_or_default(),
        request.org
    ));
    if context.ui.format() != OutputFormat::Table || context.ui.quiet() {
        context.ui.one(&request)?;
    }
    Ok(())
}
