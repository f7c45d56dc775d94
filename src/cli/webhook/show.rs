//! `supportctl webhook show`: one webhook (never its secret).

use clap::Args;

use crate::cli::args::OrgArg;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The webhook's id (wh_...).
    pub id: String,
    #[command(flatten)]
    pub org: OrgArg,
}

pub fn run(context: &mut Context, args: ShowArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = args.org.resolve(&mut connection)?;
    let webhook = connection.client.get_webhook(&org, &args.id)?;
    Ok(context.ui.one(&webhook)?)
}
