//! The verifier key the server publishes, for `audit key` and `audit verify --checkpoint`.

use crate::cli::client::ApiClient;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

/// The key as the server serves it, asked without a login.
pub(super) fn fetch_key(context: &mut Context) -> CommandResult<String> {
    let server = context.server()?;
    let config = context.client_config(server, None)?;
    Ok(ApiClient::new(&config)?.audit_key()?)
}
