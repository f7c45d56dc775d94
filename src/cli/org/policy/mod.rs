//! `supportctl org policy`: an org's own rules for support access, read and changed by its
//! admins (read, modify, write with `version`, so a concurrent change is never lost).

pub mod approve;
mod columns;
pub mod pending;
mod pending_change;
pub mod set;
pub mod show;

use clap::{Args, Subcommand};

use crate::cli::args::OrgArg;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub org: OrgArg,
    #[command(subcommand)]
    pub command: Option<PolicyCommand>,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Change the named settings; the others stay as they are.
    #[command(after_long_help = "Examples:
  supportctl org policy set --max-grant 7d --levels read-only,member \\
      --require-ticket
  supportctl org policy set --direct-grants=false \\
      --approvals admin=2,member=1
  supportctl org policy set --request-ttl 12h --expiry-warning 1h
  supportctl org policy set --break-glass --break-glass-level member \\
      --break-glass-max 2h

Durations may not exceed the server's own limits (its --max-grant-duration and \
--max-session-ttl): a longer one is refused (exit 6), naming the limit. Another admin's \
change between the read and the write is refused (exit 6), never overwritten: run the \
command again.

A change that lowers a level's approvals, turns direct grants on, or turns break-glass on \
(or raises its level or duration), while the policy asks two or more approvals for some level, does not apply yet: it waits until as many admins \
approved it (you count as one); see `supportctl org policy approve`.")]
    Set(set::SetArgs),
    /// Show the change waiting for admins' approvals, if any.
    Pending(pending::PendingArgs),
    /// Approve the pending change (after showing it); the last approval needed applies it.
    #[command(after_long_help = "Examples:
  supportctl org policy approve        # shows the change, then asks
  supportctl org policy approve --yes  # approves it without asking")]
    Approve(approve::ApproveArgs),
}

pub fn run(context: &mut Context, args: PolicyArgs) -> CommandResult {
    match args.command {
        None => show::run(context, &args.org),
        Some(PolicyCommand::Set(args)) => set::run(context, args),
        Some(PolicyCommand::Pending(args)) => pending::run(context, args),
        Some(PolicyCommand::Approve(args)) => approve::run(context, args),
    }
}
