//! `supportctl webhook redeliver`: a delivery's message sent again.

use clap::Args;

use crate::cli::args::OrgArg;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Args)]
pub struct RedeliverArgs {
    /// The webhook's id (wh_...).
    pub id: String,
    /// The delivery's id (dlv_...).
    pub delivery: String,
    #[command(flatten)]
    pub org: OrgArg,
}

pub fn run(context: &mut Context, args: RedeliverArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = args.org.resolve(&mut connection)?;
    let delivery = connection
        .client
        .redeliver(&org, &args.id, &args.delivery)?;
    Ok(context
        .ui
        .success_or_row(&format!("Queued again as {}", delivery.id), &delivery)?)
}
