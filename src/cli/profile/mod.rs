//! `supportctl profile`: the profiles in `config.toml`, and which one is the default (like
//! `kubectl config use-context`).

pub mod current;
pub mod list;
mod row;
pub mod use_profile;

use clap::Subcommand;

use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// List the profiles; `*` marks the one in use.
    #[command(visible_alias = "ls")]
    List,
    /// Make a profile the default for later commands (and set its default org).
    #[command(after_long_help = "Examples:
  supportctl profile use staging
  supportctl profile use support --org acme   # later commands act on acme
  supportctl profile use support --org ''     # no default org")]
    Use(use_profile::UseArgs),
    /// Print the profile in use, and why (flag, environment or config).
    Current,
}

pub fn run(context: &mut Context, command: ProfileCommand) -> CommandResult {
    match command {
        ProfileCommand::List => list::run(context),
        ProfileCommand::Use(args) => use_profile::run(context, args),
        ProfileCommand::Current => current::run(context),
    }
}
