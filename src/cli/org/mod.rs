//! `supportctl org`: operators manage customer orgs; an org's admins its policy and rules.

pub mod create;
pub mod disable;
pub mod list;
pub mod policy;
pub mod rule;

use clap::Subcommand;

use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an org.
    #[command(after_long_help = "Examples:
  supportctl org create acme --name 'Acme Corporation'")]
    Create(create::CreateArgs),
    /// List orgs.
    #[command(visible_alias = "ls")]
    List(list::ListArgs),
    /// Disable an org: its admins are locked out and its open sessions end at once.
    Disable(disable::DisableArgs),
    /// Show the org's own policy, or change it with `set` (org admins).
    #[command(after_long_help = "Examples:
  supportctl org policy
  supportctl org policy set --max-grant 7d --direct-grants=false \\
      --approvals admin=2")]
    Policy(policy::PolicyArgs),
    /// Auto-approval rules: requests entirely inside one are approved when filed (org admins).
    #[command(subcommand)]
    Rule(rule::RuleCommand),
}

pub fn run(context: &mut Context, command: OrgCommand) -> CommandResult {
    match command {
        OrgCommand::Create(args) => create::run(context, args),
        OrgCommand::List(args) => list::run(context, args),
        OrgCommand::Disable(args) => disable::run(context, args),
        OrgCommand::Policy(args) => policy::run(context, args),
        OrgCommand::Rule(command) => rule::run(context, command),
    }
}
