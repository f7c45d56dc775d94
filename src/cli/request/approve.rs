//! `supportctl request approve`: an admin approves a request, possibly narrowing it.

use clap::Args;

use super::approval::{approval_question, report_approval};
use crate::api::{ApproveRequest, Level};
use crate::cli::args::{AreaArg, OrgArg, areas_or_default};
use crate::cli::candidates;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::time::parse_duration;
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct ApproveArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Request id.
    #[arg(add = candidates::request_ids())]
    pub id: String,
    /// Grant a lower level than asked.
    #[arg(long, value_enum)]
    pub level: Option<Level>,
    /// Grant fewer areas than asked, comma-separated; `all`: all those asked [default: all]
    #[arg(long, value_enum, value_delimiter = ',')]
    pub areas: Option<Vec<AreaArg>>,
    /// Grant a shorter time than asked, e.g. 2h.
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<i64>,
    /// A note for the engineer and the audit log.
    #[arg(long)]
    pub comment: Option<String>,
    /// Ask the server what approving would do (every check of a real approval), and change
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(context: &mut Context, args: ApproveArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = connection.org(args.org.org.as_deref())?;
    let request = connection.client.get_request(Some(&org), &args.id, 0)?;
    if !args.dry_run
        && !context.ui.confirm(&approval_question(
            &request,
            args.level.unwrap_or(request.level),
            &areas_or_default(&args.areas).unwrap_or_else(|| request.areas.clone()),
            args.duration.unwrap_or(request.duration_seconds),
        ))?
    {
        return Err(CommandError::usage("not confirmed; nothing was approved"));
    }
    let body = ApproveRequest {
        comment: args.comment,
        level: args.level,
        areas: areas_or_default(&args.areas),
        duration_seconds: args.duration,
    };
    if args.dry_run {
        let request = connection
            .client
            .approve_request_dry_run(&org, &args.id, &body)?;
        context.ui.note(&match &request.grant_id {
            Some(_) => format!(
                "Dry run: would approve request {} of {} and grant the access; nothing was \
                 changed.",
                request.id, request.requester
            ),
            None => format!(
                "Dry run: would record approval {} of {} of request {}; nothing was changed.",
                request.approvals.len(),
                request.approvals_required,
                request.id
            ),
        });
        return Ok(context.ui.preview(&request)?);
    }
    let request = connection.client.approve_request(&org, &args.id, &body)?;
    report_approval(context, &request);
    if context.ui.format() != OutputFormat::Table || context.ui.quiet() {
        context.ui.one(&request)?;
    }
    Ok(())
}
