//! `supportctl org policy`: the org's policy as it is.

use crate::cli::args::OrgArg;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

pub fn run(context: &mut Context, org: &OrgArg) -> CommandResult {
    let mut connection = context.connect()?;
    let org = connection.org(org.org.as_deref())?;
    let policy = connection.client.org_policy(&org)?;
    Ok(context.ui.one(&policy)?)
}
