//! `supportctl account list`: the accounts (operators).

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
    let accounts = connection.client.list_accounts(args.limit.max())?;
    args.limit.print(&mut context.ui, &accounts)
}
