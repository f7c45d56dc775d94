//! Which audit chain a command reads, and one page of it, for `audit list` and `audit verify`.

use serde_json::Value;

use crate::api::checkpoint::ChainId;
use crate::api::{AuditQuery, Page};
use crate::cli::context::Connection;
use crate::cli::error::CommandResult;

/// The chain a command reads: `--vendor`, else the org.
pub(super) fn chain_of(
    connection: &mut Connection,
    org: Option<&str>,
    vendor: bool,
) -> CommandResult<ChainId> {
    if vendor {
        Ok(ChainId::Vendor)
    } else {
        Ok(ChainId::Org(connection.org(org)?))
    }
}

/// One page of a chain's events.
pub(super) fn page(
    connection: &Connection,
    chain: &ChainId,
    query: &AuditQuery,
) -> CommandResult<Page<Value>> {
    Ok(match chain {
        ChainId::Org(org) => connection.client.audit_page(org, query)?,
        ChainId::Vendor => connection.client.vendor_audit_page(query)?,
    })
}
