//! `supportctl request list`: the org's requests (admins), or your own (support engineers),
//! pending ones first.

use clap::Args;

use super::admin_org::admin_org;
use crate::api::{RequestStatus, RequestStatusFilter};
use crate::cli::args::{ListLimit, OrgArg};
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Which requests.
    #[arg(long, value_enum, default_value = "pending")]
    pub status: RequestStatusFilter,
    #[command(flatten)]
    pub limit: ListLimit,
}

pub fn run(context: &mut Context, args: ListArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = admin_org(&mut connection, &args.org)?;
    if org.is_some() {
        // One org's requests: its name on every row says nothing.
        context.ui.hide_column("org");
    } else {
        // A support engineer's own requests: the requester is always you.
        context.ui.hide_column("requester");
    }
    let mut requests =
        connection
            .client
            .list_requests(org.as_deref(), args.status, args.limit.max())?;
    // Pending first (the ones someone can act on), each group newest first as listed.
    requests
        .items
        .sort_by_key(|request| request.status != RequestStatus::Pending);
    args.limit.print(&mut context.ui, &requests)
}
