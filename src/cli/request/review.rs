//! `supportctl request review`: an org admin goes through the pending requests on a
//! terminal, approving, denying or skipping each.

use clap::Args;

use super::approval::{approval_question, report_approval};
use crate::api::{AccessRequest, ApproveRequest, RequestStatusFilter, join_areas};
use crate::cli::args::OrgArg;
use crate::cli::client::ClientError;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::render::{one_line, terminal_safe};
use crate::cli::table::terminal_width;
use crate::cli::time::spoken_duration;
use crate::cli::ui::{ask_text, prompt};

#[derive(Debug, Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    pub org: OrgArg,
}

pub fn run(context: &mut Context, args: ReviewArgs) -> CommandResult {
    if !context.ui.interactive() {
        return Err(CommandError::usage("request review needs a terminal").with_hint(
            "use `supportctl request list`, then `request approve ID --yes` or `request deny ID --comment TEXT`",
        ));
    }
    let mut connection = context.connect()?;
    let org = connection.org(args.org.org.as_deref())?;
    let pending: Vec<AccessRequest> = connection
        .client
        .list_requests(Some(&org), RequestStatusFilter::Pending, None)?
        .items;
    if pending.is_empty() {
        context
            .ui
            .note(&format!("No pending requests in org {org}."));
        return Ok(());
    }
    let (mut approved, mut denied, mut skipped) = (0, 0, 0);
    let total = pending.len();
    // Free text gets one line each, cut to the terminal: a reason cannot push the request off
    // the screen or write lines of its own above the prompt.
    let width = usize::from(terminal_width().unwrap_or(80));
    for (index, request) in pending.iter().enumerate() {
        context.ui.note(&format!(
            "\n[{}/{total}] {} from {}\n  level {} on {} for {}{}\n  reason: {}\n  approvals {}/{}, lapses {}",
            index + 1,
            request.id,
            terminal_safe(&request.requester),
            request.level,
            join_areas(&request.areas),
            spoken_duration(request.duration_seconds.unsigned_abs()),
            request
                .ticket
                .as_deref()
                .map(|t| format!(", ticket {}", one_line(t, 40)))
                .unwrap_or_default(),
            one_line(&request.reason, width.saturating_sub("  reason: ".len()).max(20)),
            request.approvals.len(),
            request.approvals_required,
            crate::cli::time::spoken_time(request.expires_at)
        ));
        let choice = prompt(|| {
            dialoguer::Select::new()
                .with_prompt("Decision")
                .items(["approve", "deny", "skip", "quit"])
                .default(2)
                .interact()
        })?;
        let outcome = match choice {
            0 if !context.ui.confirm(&approval_question(
                request,
                request.level,
                &request.areas,
                request.duration_seconds,
            ))? =>
            {
                skipped += 1;
                Ok(())
            }
            0 => {
                let comment = ask_text("Comment (optional)", None)?.trim().to_owned();
                connection
                    .client
                    .approve_request(
                        &org,
                        &request.id,
                        &ApproveRequest {
                            comment: (!comment.is_empty()).then_some(comment),
                            ..ApproveRequest::default()
                        },
                    )
                    .map(|request| {
                        report_approval(context, &request);
                        approved += 1;
                    })
            }
            1 => {
                let comment =
                    ask_text("Why (the engineer reads it)", Some("a comment is required"))?
                        .trim()
                        .to_owned();
                connection
                    .client
                    .deny_request(&org, &request.id, &comment)
                    .map(|request| {
                        context
                            .ui
                            .success(&format!("Denied request {}", request.id));
                        denied += 1;
                    })
            }
            2 => {
                skipped += 1;
                Ok(())
            }
            _ => break,
        };
        if let Err(error) = outcome {
            // Someone else may have decided it meanwhile: say so and go on.
            match &error {
                ClientError::Api { status: 409, .. } | ClientError::Api { status: 422, .. } => {
                    context.ui.warn(&format!("{}: {error}", request.id))
                }
                _ => return Err(error.into()),
            }
        }
    }
    context.ui.note(&format!(
        "Reviewed: {approved} approved, {denied} denied, {skipped} skipped."
    ));
    Ok(())
}
