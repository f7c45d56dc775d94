//! `supportctl session list`: your own sessions as a support engineer, the org's as an admin.

use clap::Args;

use crate::api::{Role, SessionStatusFilter};
use crate::cli::args::ListLimit;
use crate::cli::candidates;
use crate::cli::client::{Listing, SessionList};
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this org's sessions (admins: default your org).
    #[arg(long, value_name = "ORG", add = candidates::orgs())]
    pub org: Option<String>,
    #[arg(long, value_enum, default_value = "active")]
    pub status: SessionStatusFilter,
    #[command(flatten)]
    pub limit: ListLimit,
}

pub fn run(context: &mut Context, args: ListArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let max = args.limit.max();
    let admin = connection.role()? == Role::Admin;
    if admin {
        // An admin's sessions are all in one org: its name on every row says nothing.
        context.ui.hide_column("org");
    } else {
        // A support engineer's own sessions: the engineer is always you.
        context.ui.hide_column("engineer");
    }
    let sessions = match &args.org {
        Some(org) if admin => {
            connection
                .client
                .list_sessions(SessionList::Org(org), args.status, max)?
        }
        // A support engineer's own sessions span orgs: narrow them here, before the limit.
        Some(org) => {
            let mut sessions = connection
                .client
                .list_sessions(SessionList::Mine, args.status, None)?
                .items;
            sessions.retain(|session| &session.org == org);
            let mut listing = Listing::complete(sessions);
            listing.items.truncate(max.unwrap_or(usize::MAX));
            listing
        }
        None => connection
            .client
            .list_sessions(SessionList::Mine, args.status, max)?,
    };
    args.limit.print(&mut context.ui, &sessions)
}
