//! `supportctl webhook remove`: a webhook and its pending deliveries go.

use clap::Args;

use crate::cli::args::OrgArg;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The webhook's id (wh_...).
    pub id: String,
    #[command(flatten)]
    pub org: OrgArg,
}

pub fn run(context: &mut Context, args: RemoveArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = args.org.resolve(&mut connection)?;
    if !context.ui.confirm(&format!(
        "Remove webhook {}? Its pending deliveries are dropped.",
        args.id
    ))? {
        return Err(CommandError::usage("not confirmed; nothing was changed"));
    }
    let webhook = connection.client.delete_webhook(&org, &args.id)?;
    Ok(context
        .ui
        .success_or_row(&format!("Removed webhook {}", webhook.id), &webhook)?)
}
