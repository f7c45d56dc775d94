//! `supportctl org list`: the customer orgs (operators).

use clap::Args;

use crate::cli::args::ListLimit;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub limit: ListLimit,
}

pub fn run(context: &mut Context, args: ListArgs) -> CommandResult {
    let connection = context.connect()?;
    let orgs = connection.client.list_orgs(args.limit.max())?;
    args.limit.print(&mut context.ui, &orgs)
}
