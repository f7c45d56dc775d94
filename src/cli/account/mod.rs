//! `supportctl account`: operators manage accounts and their tokens.

pub mod create;
pub mod disable;
pub mod list;
pub mod rotate_token;
mod token_output;

use clap::Subcommand;

use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account; prints its token once.
    #[command(after_long_help = "Examples:
  supportctl account create alice@acme.example --role admin --org acme
  supportctl account create sam@vendor.example --role support
  supportctl account create gateway@vendor.example --role service -q \\
      > gateway.token")]
    Create(create::CreateArgs),
    /// List accounts.
    #[command(visible_alias = "ls")]
    List(list::ListArgs),
    /// Disable an account: its token stops working and its open sessions end at once.
    Disable(disable::DisableArgs),
    /// Replace an account's token; the old one stops working at once.
    RotateToken(rotate_token::RotateTokenArgs),
}

pub fn run(context: &mut Context, command: AccountCommand) -> CommandResult {
    match command {
        AccountCommand::Create(args) => create::run(context, args),
        AccountCommand::List(args) => list::run(context, args),
        AccountCommand::Disable(args) => disable::run(context, args),
        AccountCommand::RotateToken(args) => rotate_token::run(context, args),
    }
}
