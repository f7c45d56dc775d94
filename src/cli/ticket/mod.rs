//! `supportctl ticket`: a support case's end ends the access given for it.

pub mod close;

use clap::Subcommand;

use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Subcommand)]
pub enum TicketCommand {
    /// Close a ticket: revoke the org's active grants with it (ending their sessions) and cancel its pending requests, all at once.
    #[command(after_long_help = "Examples:
  supportctl ticket close INC-4821 --yes
  supportctl ticket close INC-4821 --org acme --reason 'resolved'

A ticketing system's automation calls the API instead, with a service token:
  POST /v1/orgs/ORG/tickets/TICKET/close (an empty body, or its own JSON)

Closing a ticket nobody used ends nothing and succeeds.")]
    Close(close::CloseArgs),
}

pub fn run(context: &mut Context, command: TicketCommand) -> CommandResult {
    match command {
        TicketCommand::Close(args) => close::run(context, args),
    }
}
