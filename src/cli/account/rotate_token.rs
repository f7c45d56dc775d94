//! `supportctl account rotate-token`: a new token; the old one stops working at once.

use clap::Args;

use super::token_output::print_with_token;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};

#[derive(Debug, Args)]
pub struct RotateTokenArgs {
    /// Account id.
    pub id: String,
}

pub fn run(context: &mut Context, args: RotateTokenArgs) -> CommandResult {
    let connection = context.connect()?;
    if !context.ui.confirm(&format!(
        "Replace the token of account {}? The current one stops working at once.",
        args.id
    ))? {
        return Err(CommandError::cancelled());
    }
    let rotated = connection.client.rotate_token(&args.id)?;
    print_with_token(context, &rotated, "New token for")
}
