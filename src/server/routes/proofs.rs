//! Proofs from an audit chain's Merkle tree: that an event is in the tree a checkpoint signed
//! (inclusion), and that today's tree extends an older checkpoint's (consistency), each of
//! log-size work to check (Go's `tlog.CheckRecord` and `tlog.CheckTree`).

use axum::Json;
use axum::extract::State;

use crate::api::checkpoint::ChainId;
use crate::api::{ConsistencyProof, ConsistencyQuery, InclusionProof, Problem, ProofQuery, Role};
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{ApiPath, ApiQuery};
use crate::server::state::AppState;

/// The proof that event `seq` is in the org's tree of `size` events: with the event's record
/// hash (`RecordHash` of the 32 bytes of `hash`, record `seq - 1`), its hashes rebuild the root
/// that the checkpoint of that size signed.
#[utoipa::path(get, path = "/v1/orgs/{org}/audit/proof", tag = "audit", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ProofQuery),
    responses(
        (status = 200, description = "The inclusion proof", body = InclusionProof),
        (status = 400, description = "`seq` or `size` missing, not a whole number, or below 1", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such org, or `size` beyond the chain's head", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`seq` beyond `size`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn org_inclusion(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<ProofQuery>,
) -> ApiResult<Json<InclusionProof>> {
    caller.require_admin_of(&org)?;
    check_inclusion(&query)?;
    let chain = ChainId::Org(org);
    Ok(Json(
        state
            .store
            .inclusion_proof(&chain, query.seq, query.size)
            .await?,
    ))
}

/// The proof that the org's tree of `to` events extends its tree of `from` events.
#[utoipa::path(get, path = "/v1/orgs/{org}/audit/consistency", tag = "audit", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ConsistencyQuery),
    responses(
        (status = 200, description = "The consistency proof", body = ConsistencyProof),
        (status = 400, description = "`from` or `to` missing, not a whole number, or below 1", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such org, or `to` beyond the chain's head", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` beyond `to`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn org_consistency(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<ConsistencyQuery>,
) -> ApiResult<Json<ConsistencyProof>> {
    caller.require_admin_of(&org)?;
    check_consistency(&query)?;
    let chain = ChainId::Org(org);
    Ok(Json(
        state
            .store
            .consistency_proof(&chain, query.from, query.to)
            .await?,
    ))
}

/// The inclusion proof of an event of the vendor chain (see the org's).
#[utoipa::path(get, path = "/v1/audit/proof", tag = "audit", security(("bearer" = [])),
    params(ProofQuery),
    responses(
        (status = 200, description = "The inclusion proof", body = InclusionProof),
        (status = 400, description = "`seq` or `size` missing, not a whole number, or below 1", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`size` beyond the chain's head", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`seq` beyond `size`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn vendor_inclusion(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ProofQuery>,
) -> ApiResult<Json<InclusionProof>> {
    caller.require(&[Role::Operator])?;
    check_inclusion(&query)?;
    Ok(Json(
        state
            .store
            .inclusion_proof(&ChainId::Vendor, query.seq, query.size)
            .await?,
    ))
}

/// The consistency proof between two trees of the vendor chain (see the org's).
#[utoipa::path(get, path = "/v1/audit/consistency", tag = "audit", security(("bearer" = [])),
    params(ConsistencyQuery),
    responses(
        (status = 200, description = "The consistency proof", body = ConsistencyProof),
        (status = 400, description = "`from` or `to` missing, not a whole number, or below 1", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`to` beyond the chain's head", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` beyond `to`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn vendor_consistency(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ConsistencyQuery>,
) -> ApiResult<Json<ConsistencyProof>> {
    caller.require(&[Role::Operator])?;
    check_consistency(&query)?;
    Ok(Json(
        state
            .store
            .consistency_proof(&ChainId::Vendor, query.from, query.to)
            .await?,
    ))
}

/// `seq` in 1..=`size` (a tree larger than the log's is the store's 404). Below 1 breaks the
/// documented minimum (400); each in range but out of order is well-formed yet impossible (422).
fn check_inclusion(query: &ProofQuery) -> ApiResult<()> {
    if query.size < 1 || query.seq < 1 {
        return Err(ApiError::invalid(format!(
            "seq and size must be at least 1 (got seq {}, size {})",
            query.seq, query.size
        )));
    }
    if query.seq > query.size {
        return Err(ApiError::unprocessable(format!(
            "event {} is not in a tree of {} events: seq must be at most size",
            query.seq, query.size
        )));
    }
    Ok(())
}

/// `from` in 1..=`to`, with the same split of 400 and 422 as [`check_inclusion`].
fn check_consistency(query: &ConsistencyQuery) -> ApiResult<()> {
    if query.from < 1 || query.to < 1 {
        return Err(ApiError::invalid(format!(
            "from and to must be at least 1 (got from {}, to {})",
            query.from, query.to
        )));
    }
    if query.from > query.to {
        return Err(ApiError::unprocessable(format!(
            "a tree of {} events cannot extend one of {}: from must be at most to",
            query.to, query.from
        )));
    }
    Ok(())
}
