//! Signed checkpoints of the audit chains, the verifier key that checks them, and the vendor's
//! own chain.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use crate::api::checkpoint::{ChainId, Checkpoint};
use crate::api::{AuditEvent, AuditQuery, Page, Role};
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{ApiPath, ApiQuery};
use crate::server::signing::CheckpointSigner;
use crate::server::state::AppState;

const TEXT: &str = "text/plain; charset=utf-8";

/// The verifier key of the server's checkpoints, in the C2SP signed-note format
/// `<name>+<hex key id>+<base64(0x01 ‖ Ed25519 public key)>`, followed by a newline.
#[utoipa::path(get, path = "/v1/audit/key", tag = "audit",
    responses((status = 200, description = "The verifier key", body = String, content_type = "text/plain")))]
pub async fn verifier_key(Extension(signer): Extension<Arc<CheckpointSigner>>) -> Response {
    (
        [(header::CONTENT_TYPE, TEXT)],
        format!("{}\n", signer.verifier_key()),
    )
        .into_response()
}

/// A signed checkpoint of the org's audit chain, in the C2SP tlog-checkpoint form: a signed
/// note whose body is the origin `<name>/orgs/<org>`, the tree size (the head `seq`) and the
/// root hash of the chain's Merkle tree (base64 of 32 bytes; 32 zero bytes and size 0 for an
/// org with no events). Keep it: `supportctl audit verify --checkpoint` proves later, by a
/// consistency proof, that the log extends it.
#[utoipa::path(get, path = "/v1/orgs/{org}/audit/checkpoint", tag = "audit", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug")),
    responses((status = 200, description = "The signed checkpoint", body = String, content_type = "text/plain")))]
pub async fn org_checkpoint(
    State(state): State<AppState>,
    Extension(signer): Extension<Arc<CheckpointSigner>>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Response> {
    caller.require_admin_of(&org)?;
    signed(&state, &signer, ChainId::Org(org)).await
}

/// The vendor's own audit chain, in `seq` order (newest first with `order=desc`): creating,
/// disabling and rotating the tokens of accounts outside any org (support engineers, services,
/// operators), and creating and disabling orgs. Its events have the org chains' format, with
/// an empty `org`.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, description = "A page of events", body = Page<AuditEvent>)))]
pub async fn list_vendor_audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditEvent>>> {
    caller.require(&[Role::Operator])?;
    let filter = super::audit::audit_filter(query)?;
    Ok(Json(state.store.list_vendor_audit(&filter).await?))
}

/// A signed checkpoint of the vendor chain (origin `<name>/vendor`).
#[utoipa::path(get, path = "/v1/audit/checkpoint", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "The signed checkpoint", body = String, content_type = "text/plain")))]
pub async fn vendor_checkpoint(
    State(state): State<AppState>,
    Extension(signer): Extension<Arc<CheckpointSigner>>,
    caller: Caller,
) -> ApiResult<Response> {
    caller.require(&[Role::Operator])?;
    signed(&state, &signer, ChainId::Vendor).await
}

async fn signed(
    state: &AppState,
    signer: &CheckpointSigner,
    chain: ChainId,
) -> ApiResult<Response> {
    let (note, _) = signed_note(state, signer, chain).await?;
    Ok(([(header::CONTENT_TYPE, TEXT)], note).into_response())
}

/// The chain's checkpoint as a signed note, and the size of the tree it signs.
pub(super) async fn signed_note(
    state: &AppState,
    signer: &CheckpointSigner,
    chain: ChainId,
) -> ApiResult<(String, i64)> {
    let tree = state
        .store
        .tree_head(&chain)
        .await?
        .ok_or_else(|| match &chain {
            ChainId::Org(org) => ApiError::not_found(format!("no org '{org}'")),
            ChainId::Vendor => ApiError::not_found("no vendor chain"),
        })?;
    let note = signer
        .sign(&Checkpoint::new(
            signer.name(),
            chain,
            tree.size,
            &hex::encode(tree.root.0),
        ))
        .map_err(|e| {
            tracing::error!(error = %format!("{e:#}"), "signing a checkpoint failed");
            ApiError::new(
                crate::api::ErrorCode::Internal,
                "cannot sign the checkpoint",
            )
        })?;
    Ok((note, tree.size))
}
