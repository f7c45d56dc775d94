//! `supportctl org rule`: an org's auto-approval rules, made and removed by its admins. A
//! request entirely inside a rule in force, for a level that needs one approval, is approved
//! when it is filed.

pub mod add;
mod columns;
pub mod list;
pub mod remove;

use clap::Subcommand;

use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Subcommand)]
pub enum RuleCommand {
    /// Make a rule: requests entirely inside it are approved without an admin, until it expires (at most 90 days ahead).
    #[command(
        override_usage = "supportctl org rule add NAME --level LEVEL --areas AREAS --for DURATION\n       --expires DURATION|TIME [OPTIONS]",
        after_long_help = "Examples:
  supportctl org rule add weekday-chats --level read-only \\
      --areas chats --for 2h --ticket-pattern 'INC-[0-9]+' \\
      --weekdays mon,tue,wed,thu,fri --hours 8-18 --expires 30d
  supportctl org rule add oncall --level member --areas chats,issues \\
      --for 4h --engineer ann@vendor.example \\
      --expires 2026-12-31T00:00:00Z

A request is inside the rule when its level is at most --level, all its areas are among --areas, its duration is at most --for, its ticket matches --ticket-pattern (the whole ticket, a regular expression), its engineer is one of --engineer, and it is filed on one of --weekdays within --hours (UTC). Only a level for which the org's policy asks one approval is approved by a rule. A rule wider than the org's policy is refused (exit 6)."
    )]
    Add(add::AddArgs),
    /// List the org's rules (in force, and expired ones not yet removed).
    #[command(visible_alias = "ls")]
    List(list::ListArgs),
    /// Remove a rule, by name or id: from then on it approves nothing.
    #[command(
        visible_alias = "rm",
        after_long_help = "Examples:
  supportctl org rule remove weekday-chats --yes"
    )]
    Remove(remove::RemoveArgs),
}

pub fn run(context: &mut Context, command: RuleCommand) -> CommandResult {
    match command {
        RuleCommand::Add(args) => add::run(context, args),
        RuleCommand::List(args) => list::run(context, args),
        RuleCommand::Remove(args) => remove::run(context, args),
    }
}
