//! Whose request routes a command uses: the org's (admins) or the support engineer's own.

use crate::api::Role;
use crate::cli::args::OrgArg;
use crate::cli::context::Connection;
use crate::cli::error::CommandResult;

/// The org whose request routes an admin uses; `None` for a support engineer's own routes.
pub(super) fn admin_org(
    connection: &mut Connection,
    flag: &OrgArg,
) -> CommandResult<Option<String>> {
    if connection.role()? == Role::Support {
        Ok(None)
    } else {
        Ok(Some(connection.org(flag.org.as_deref())?))
    }
}
