//! `supportctl grant show`: one grant, of the org or usable by the support engineer.

use clap::Args;

use super::support_view::is_support;
use crate::api::GrantStatusFilter;
use crate::cli::args::OrgArg;
use crate::cli::candidates;
use crate::cli::client::GrantList;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Grant id.
    #[arg(add = candidates::grant_ids())]
    pub id: String,
}

pub fn run(context: &mut Context, args: ShowArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let grant = if is_support(&mut connection)? {
        let usable =
            connection
                .client
                .list_grants(GrantList::Usable, GrantStatusFilter::All, None)?;
        usable
            .items
            .into_iter()
            .find(|grant| grant.id == args.id)
            .ok_or_else(|| {
                CommandError::not_found(format!("no grant '{}' usable by you", args.id))
            })?
    } else {
        let org = args.org.resolve(&mut connection)?;
        connection.client.get_grant(&org, &args.id)?
    };
    Ok(context.ui.one(&grant)?)
}
