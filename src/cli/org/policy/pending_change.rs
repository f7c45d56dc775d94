//! The org's pending policy change, for `org policy pending` and `org policy approve`.

use crate::api::PendingPolicyChange;
use crate::cli::client::{ApiClient, ClientError};
use crate::cli::error::{CommandError, CommandResult};

/// The org's pending change; none is "not found" (exit 3).
pub(super) fn pending(client: &ApiClient, org: &str) -> CommandResult<PendingPolicyChange> {
    match client.pending_policy_change(org) {
        Ok(change) => Ok(change),
        Err(ClientError::Api { status: 404, .. }) => Err(CommandError::not_found(format!(
            "no policy change is pending in org {org}"
        ))),
        Err(error) => Err(error.into()),
    }
}
