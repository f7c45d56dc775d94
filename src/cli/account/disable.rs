//! `supportctl account disable`: its token stops working and its open sessions end.

use clap::Args;

use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};

#[derive(Debug, Args)]
pub struct DisableArgs {
    /// Account id.
    pub id: String,
}

pub fn run(context: &mut Context, args: DisableArgs) -> CommandResult {
    let connection = context.connect()?;
    if !context.ui.confirm(&format!(
        "Disable account {}? Its token stops working and its open sessions end at once.",
        args.id
    ))? {
        return Err(CommandError::cancelled());
    }
    let account = connection.client.disable_account(&args.id)?;
    Ok(context.ui.success_or_row(
        &format!("Disabled account {} ({})", account.id, account.email),
        &account,
    )?)
}
