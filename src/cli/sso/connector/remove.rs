//! `supportctl sso connector remove`: a connector goes; sign-ins in progress through it end.

use clap::Args;

use super::owner::owner;
use crate::cli::args::OrgArg;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The connector's name.
    pub name: String,
    #[command(flatten)]
    pub org: OrgArg,
}

pub fn run(context: &mut Context, args: RemoveArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = owner(&mut connection, &args.org)?;
    if !context.ui.confirm(&format!(
        "Remove connector {}? Nobody can sign in through it afterwards.",
        args.name
    ))? {
        return Err(CommandError::usage("not confirmed; nothing was changed"));
    }
    let connector = connection
        .client
        .delete_connector(org.as_deref(), &args.name)?;
    Ok(context
        .ui
        .success_or_row(&format!("Removed connector {}", connector.name), &connector)?)
}
