//! `supportctl grant list`: an admin sees the org's grants, a support engineer those usable by
//! them.

use clap::Args;

use super::support_view::is_support;
use crate::api::GrantStatusFilter;
use crate::cli::args::{ListLimit, OrgArg};
use crate::cli::client::{GrantList, Listing};
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Which grants.
    #[arg(long, value_enum, default_value = "active")]
    pub status: GrantStatusFilter,
    #[command(flatten)]
    pub limit: ListLimit,
}

pub fn run(context: &mut Context, args: ListArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let max = args.limit.max();
    let grants = if is_support(&mut connection)? {
        // The server lists a support engineer's grants across orgs; an org (flag or
        // SUPPORTCTL_ORG) narrows that list here, before the limit applies.
        match args.org.given() {
            None => connection
                .client
                .list_grants(GrantList::Usable, args.status, max)?,
            Some(org) => {
                let mut grants = connection
                    .client
                    .list_grants(GrantList::Usable, args.status, None)?
                    .items;
                grants.retain(|grant| grant.org == org);
                let mut listing = Listing::complete(grants);
                listing.items.truncate(max.unwrap_or(usize::MAX));
                listing
            }
        }
    } else {
        let org = args.org.resolve(&mut connection)?;
        // One org's list: its name on every row says nothing.
        context.ui.hide_column("org");
        connection
            .client
            .list_grants(GrantList::Org(&org), args.status, max)?
    };
    args.limit.print(&mut context.ui, &grants)
}
