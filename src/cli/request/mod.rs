//! `supportctl request`: support engineers ask an org for access and wait for the decision;
//! the org's admins list, approve (possibly narrowing), deny and review requests.

mod admin_org;
pub mod approval;
pub mod approve;
pub mod cancel;
mod columns;
pub mod confirm;
pub mod create;
pub mod deny;
pub mod list;
pub mod report;
pub mod review;
pub mod show;
pub mod wait;
pub mod waiting;

use clap::Subcommand;

use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// Ask an org's admins for access (support engineers).
    #[command(after_long_help = "Examples:
  supportctl request create acme --level member --areas chats,issues \\
      --for 4h --reason 'Ticket 4821: sync fails' --ticket 4821 --wait
  ID=$(supportctl request create acme --level read-only --reason x -q)
  supportctl request wait \"$ID\" --timeout 10m   # exit 0, 6 or 8: see below
  supportctl request create acme --level read-only --for 1h \\
      --break-glass --ticket INC-77 \\
      --reason 'INC-77: outage, no admin reachable'

With --wait: exit 0 once approved (printing the grant), 6 when denied, cancelled or expired \
(saying by whom and why), 8 when --timeout passes with the request still pending.")]
    Create(create::CreateArgs),
    /// List requests: an admin sees the org's (pending first), an engineer their own.
    #[command(after_long_help = "Examples:
  supportctl request list       # pending ones, with how long each has left
  supportctl request list --status all -o json \\
      | jq '.[] | select(.status == \"approved\")'")]
    #[command(visible_alias = "ls")]
    List(list::ListArgs),
    /// Show one request.
    Show(show::ShowArgs),
    /// Print a request's evidence report, each of its audit events proven.
    ///
    /// The request and its approvals and, once it was approved, all that its grant's report holds (`grant report`): the grant, each session, what was accessed, and every audit event about them, each with an inclusion proof against the org's signed checkpoint that the report embeds.
    ///
    /// `-o json` prints the signed report as the server sends it: keep it, `audit verify-report FILE` checks it offline. Otherwise prints the text an auditor reads.
    #[command(after_long_help = "Examples:
  supportctl request report rq_01j...
  supportctl request report rq_01j... -o json > rq_01j.report.json
  supportctl audit verify-report rq_01j.report.json --key server.key")]
    Report(report::ReportArgs),
    /// Approve a pending request (org admins); options may narrow it, never widen it.
    #[command(after_long_help = "Examples:
  supportctl request approve rq_01j... --yes
  supportctl request approve rq_01j... --level read-only --areas chats \\
      --for 2h --comment 'Read-only is enough for this' --yes

When the org's policy asks for more than one approval for the level (`org policy set \
--approvals`), the request stays pending until that many different admins have approved \
it; the last approval creates the grant.")]
    Approve(approve::ApproveArgs),
    /// Deny a pending request (org admins); the engineer reads the comment.
    #[command(after_long_help = "Examples:
  supportctl request deny rq_01j... --comment 'Not in the quarter close'")]
    Deny(deny::DenyArgs),
    /// Confirm an engineer's break-glass request (operators): its grant starts at once.
    #[command(after_long_help = "Examples:
  supportctl request confirm rq_01j... --org acme --comment 'INC-77 seen'

Only an operator confirms, never the engineer who filed it. The grant starts at once, flagged \
break-glass and unacknowledged; every webhook of the org receives grant.break_glass, and the \
org's admins acknowledge or dispute it (`grant acknowledge`, `grant dispute`).")]
    Confirm(confirm::ConfirmArgs),
    /// Cancel one of your own pending requests (support engineers).
    Cancel(cancel::CancelArgs),
    /// Wait for a request's decision: exit 0 approved, 6 refused, 8 still pending.
    #[command(after_long_help = "Examples:
  supportctl request wait rq_01j... --timeout 10m")]
    Wait(wait::WaitArgs),
    /// On a terminal, go through the org's pending requests: approve, deny or skip each.
    #[command(after_long_help = "Examples:
  supportctl request review")]
    Review(review::ReviewArgs),
}

pub fn run(context: &mut Context, command: RequestCommand) -> CommandResult {
    match command {
        RequestCommand::Create(args) => create::run(context, args),
        RequestCommand::List(args) => list::run(context, args),
        RequestCommand::Show(args) => show::run(context, args),
        RequestCommand::Report(args) => report::run(context, args),
        RequestCommand::Approve(args) => approve::run(context, args),
        RequestCommand::Deny(args) => deny::run(context, args),
        RequestCommand::Confirm(args) => confirm::run(context, args),
        RequestCommand::Cancel(args) => cancel::run(context, args),
        RequestCommand::Wait(args) => wait::run(context, args),
        RequestCommand::Review(args) => review::run(context, args),
    }
}
