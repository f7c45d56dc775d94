//! Whether a grant command reads the org's grants (admins) or the support engineer's view.

use crate::api::Role;
use crate::cli::context::Connection;
use crate::cli::error::CommandResult;

/// Whether to use the admin (org) endpoints or the support engineer's view. A support
/// engineer's view spans orgs, so an explicit org only narrows it (it never means the admin
/// endpoints, which refuse support accounts).
pub(super) fn is_support(connection: &mut Connection) -> CommandResult<bool> {
    Ok(connection.role()? == Role::Support)
}
