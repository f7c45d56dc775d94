//! `supportctl grant`: what org admins do (and what support engineers may look at).

pub mod acknowledge;
pub mod create;
mod create_wizard;
pub mod dispute;
pub mod extend;
pub mod list;
pub mod report;
pub mod revoke;
pub mod show;
mod support_view;

use clap::Subcommand;

use super::context::Context;
use super::error::CommandResult;

#[derive(Debug, Subcommand)]
pub enum GrantCommand {
    /// Grant the support team access to your org.
    #[command(after_long_help = "Examples:
  supportctl grant create --level member --for 4h \\
      --reason 'Ticket 4821: sync fails'
  supportctl grant create --level read-only --areas chats,issues \\
      --until 2026-11-28T17:00:00Z --engineer sam@vendor.example \\
      --ticket SUP-4821 --reason 'Sync issue'
  supportctl grant create     # on a terminal: asks for what is missing

On a terminal, without --level or --reason, asks for what the options leave out (each answer \
is checked at once), shows the grant and the same command without questions, and asks before \
creating it.")]
    Create(create::CreateArgs),
    /// List grants: an admin sees the org's, a support engineer those usable by them.
    #[command(after_long_help = "Examples:
  supportctl grant list
  supportctl grant list --status all --all -o json \\
      | jq -r '.[] | select(.status == \"active\") | .id'
  supportctl grant list -q | supportctl grant revoke - --yes   # every one

An admin's list shows the org's unacknowledged break-glass grants first, marked \
\"BREAK-GLASS, unacknowledged\" on a terminal (in JSON: break_glass true, acknowledged \
false), until an admin acknowledges or disputes each.")]
    #[command(visible_alias = "ls")]
    List(list::ListArgs),
    /// Show one grant.
    Show(show::ShowArgs),
    /// Print a grant's evidence report, each of its audit events proven.
    ///
    /// Who asked, who approved and when, what was granted, each session, what was accessed by area and action (allowed and denied, how often, first and last), then every audit event about them, each with an inclusion proof against the org's signed checkpoint that the report embeds.
    ///
    /// `-o json` prints the signed report as the server sends it: keep it, `audit verify-report FILE` checks it offline. Otherwise prints the text an auditor reads.
    #[command(after_long_help = "Examples:
  supportctl grant report gr_01j...
  supportctl grant report gr_01j... -o json > gr_01j.report.json
  supportctl audit verify-report gr_01j.report.json --key server.key")]
    Report(report::ReportArgs),
    /// Move an active grant's expiry later.
    #[command(after_long_help = "Examples:
  supportctl grant extend gr_01j... --for 4h     # ends 4 hours later
  supportctl grant extend gr_01j... --until 2026-11-28T17:00:00Z")]
    Extend(extend::ExtendArgs),
    /// Revoke grants: their sessions end at once.
    #[command(after_long_help = "Examples:
  supportctl grant revoke gr_01j...        # asks first, on a terminal
  supportctl grant revoke gr_01j... gr_01k... --reason 'Issue solved' --yes
  supportctl grant revoke --all --yes      # every active grant of the org
  grep -v '^#' ids.txt | supportctl grant revoke - --yes
  supportctl grant revoke --all --dry-run  # what would be revoked

Revoking a grant that is already inactive succeeds (noted on stderr). An id that names no \
grant of the org fails with exit code 3 after the others are revoked.")]
    #[command(visible_alias = "rm")]
    Revoke(revoke::RevokeArgs),
    /// Acknowledge a break-glass grant: you have seen it and accept it.
    #[command(after_long_help = "Examples:
  supportctl grant list     # unacknowledged break-glass grants first
  supportctl grant acknowledge gr_01j...

A break-glass grant started when an operator confirmed an engineer's emergency request, \
before any admin of the org approved it. Acknowledging it records that in the audit log \
(grant.acknowledged) and lets it run its course; to end it, dispute it instead.")]
    Acknowledge(acknowledge::AcknowledgeArgs),
    /// Dispute a break-glass grant: it is revoked at once, its sessions end.
    #[command(after_long_help = "Examples:
  supportctl grant dispute gr_01j... --reason 'No outage on our side'

The dispute and its reason go into the audit log (grant.disputed, then grant.revoked) for \
the vendor to answer. A grant already acknowledged or disputed cannot be disputed again \
(revoke it instead).")]
    Dispute(dispute::DisputeArgs),
}

pub fn run(context: &mut Context, command: GrantCommand) -> CommandResult {
    match command {
        GrantCommand::Create(args) => create::run(context, args),
        GrantCommand::List(args) => list::run(context, args),
        GrantCommand::Show(args) => show::run(context, args),
        GrantCommand::Report(args) => report::run(context, args),
        GrantCommand::Extend(args) => extend::run(context, args),
        GrantCommand::Revoke(args) => revoke::run(context, args),
        GrantCommand::Acknowledge(args) => acknowledge::run(context, args),
        GrantCommand::Dispute(args) => dispute::run(context, args),
    }
}
