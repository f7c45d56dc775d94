//! `supportctl webhook deliveries`: a webhook's deliveries and how each went.

use clap::Args;

use crate::api::DeliveryStatus;
use crate::cli::args::{ListLimit, OrgArg};
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Args)]
pub struct DeliveriesArgs {
    /// The webhook's id (wh_...).
    pub id: String,
    #[command(flatten)]
    pub org: OrgArg,
    #[arg(long, value_enum)]
    pub status: Option<DeliveryStatus>,
    #[command(flatten)]
    pub limit: ListLimit,
}

pub fn run(context: &mut Context, args: DeliveriesArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = args.org.resolve(&mut connection)?;
    let deliveries =
        connection
            .client
            .list_deliveries(&org, &args.id, args.status, args.limit.max())?;
    args.limit.print(&mut context.ui, &deliveries)
}
