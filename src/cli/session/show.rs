//! `supportctl session show`: one session.

use clap::Args;

use crate::cli::candidates;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Session id.
    #[arg(add = candidates::session_ids())]
    pub id: String,
}

pub fn run(context: &mut Context, args: ShowArgs) -> CommandResult {
    let connection = context.connect()?;
    let session = connection.client.get_session(&args.id)?;
    Ok(context.ui.one(&session)?)
}
