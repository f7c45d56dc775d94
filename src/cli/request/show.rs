//! `supportctl request show`: one request.

use clap::Args;

use super::admin_org::admin_org;
use crate::cli::args::OrgArg;
use crate::cli::candidates;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Request id.
    #[arg(add = candidates::request_ids())]
    pub id: String,
}

pub fn run(context: &mut Context, args: ShowArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = admin_org(&mut connection, &args.org)?;
    let request = connection.client.get_request(org.as_deref(), &args.id, 0)?;
    Ok(context.ui.one(&request)?)
}
