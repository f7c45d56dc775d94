//! `supportctl sso`: the identity providers people sign in with (`supportctl login --sso`).

pub mod connector;

use clap::Subcommand;

use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Subcommand)]
pub enum SsoCommand {
    /// Add, list, show and remove sign-in connectors: the vendor's (operators) or an org's (its admins, with --org).
    #[command(subcommand)]
    Connector(connector::ConnectorCommand),
}

pub fn run(context: &mut Context, command: SsoCommand) -> CommandResult {
    match command {
        SsoCommand::Connector(command) => connector::run(context, command),
    }
}
