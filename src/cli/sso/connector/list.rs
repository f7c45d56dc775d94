//! `supportctl sso connector list`: the vendor's connectors, or an org's.

use clap::Args;

use super::owner::owner;
use crate::cli::args::OrgArg;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub org: OrgArg,
}

pub fn run(context: &mut Context, args: ListArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = owner(&mut connection, &args.org)?;
    let connectors = connection.client.list_connectors(org.as_deref())?;
    Ok(context.ui.list(&connectors)?)
}
