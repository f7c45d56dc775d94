//! `supportctl org disable`: an org's admins are locked out and its open sessions end.

use clap::Args;

use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};

#[derive(Debug, Args)]
pub struct DisableArgs {
    pub slug: String,
}

pub fn run(context: &mut Context, args: DisableArgs) -> CommandResult {
    let connection = context.connect()?;
    if !context.ui.confirm(&format!(
        "Disable org {}? Its admins are locked out and its open sessions end at once.",
        args.slug
    ))? {
        return Err(CommandError::cancelled());
    }
    let org = connection.client.disable_org(&args.slug)?;
    Ok(context
        .ui
        .success_or_row(&format!("Disabled org {}", org.slug), &org)?)
}
