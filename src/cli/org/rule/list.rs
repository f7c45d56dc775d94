//! `supportctl org rule list`: the org's auto-approval rules.

use clap::Args;

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
    let org = args.org.resolve(&mut connection)?;
    let rules = connection.client.list_approval_rules(&org)?;
    Ok(context.ui.list(&rules)?)
}
