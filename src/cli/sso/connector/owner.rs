//! Whose connectors a command acts on: an org's (`--org`, or an admin's own) or the vendor's.

use crate::api::Role;
use crate::cli::args::OrgArg;
use crate::cli::context::Connection;
use crate::cli::error::CommandResult;

/// `Some(org)` for an org's connectors, `None` for the vendor's.
pub(super) fn owner(connection: &mut Connection, org: &OrgArg) -> CommandResult<Option<String>> {
    if let Some(org) = org.given() {
        return Ok(Some(org));
    }
    let me = connection.me()?;
    Ok(match me.role {
        Role::Admin => me.org.clone(),
        _ => None,
    })
}
