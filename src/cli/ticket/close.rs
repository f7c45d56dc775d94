//! `supportctl ticket close`: every grant, session and pending request of a ticket ends.

use clap::Args;

use crate::api::{CloseTicket, Role};
use crate::cli::args::OrgArg;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct CloseArgs {
    /// The ticket, exactly as the grants and requests name it.
    pub ticket: String,
    #[command(flatten)]
    pub org: OrgArg,
    /// Why, recorded with each cancelled request.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

pub fn run(context: &mut Context, args: CloseArgs) -> CommandResult {
    let mut connection = context.connect()?;
    if args.org.given().is_none() && connection.role()? == Role::Service {
        return Err(CommandError::usage(
            "a service account names the org: --org ORG",
        ));
    }
    let org = args.org.resolve(&mut connection)?;
    if !context.ui.confirm(&format!(
        "Close ticket {} in {org}? Its active grants are revoked, their sessions end and its \
         pending requests are cancelled.",
        args.ticket
    ))? {
        return Err(CommandError::usage("not confirmed; nothing was changed"));
    }
    let closed = connection.client.close_ticket(
        &org,
        &args.ticket,
        &CloseTicket {
            reason: args.reason,
        },
    )?;
    if context.ui.format() == OutputFormat::Json && !context.ui.quiet() {
        return Ok(context.ui.json(&closed)?);
    }
    if context.ui.format() == OutputFormat::Table && !context.ui.quiet() {
        context.ui.success(&format!(
            "Closed ticket {} in {}: {} grants revoked, {} sessions ended, {} requests \
             cancelled",
            closed.ticket,
            closed.org,
            closed.grants_revoked,
            closed.sessions_ended,
            closed.requests_cancelled
        ));
        return Ok(());
    }
    for id in &closed.grants {
        context.ui.line(&format!("{id}\trevoked"))?;
    }
    for id in &closed.requests {
        context.ui.line(&format!("{id}\tcancelled"))?;
    }
    Ok(())
}
