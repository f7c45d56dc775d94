//! Evidence reports of a grant or a request (see [`crate::api::report`]): streamed, since a
//! grant's sessions may have made a hundred thousand accesses.

use std::sync::Arc;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

use super::checkpoint::signed_note;
use crate::api::checkpoint::ChainId;
use crate::api::report::{EvidenceReport, REPORT_FORMAT, ReportHead, ReportSubject};
use crate::api::{Problem, Role};
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::ApiPath;
use crate::server::signing::CheckpointSigner;
use crate::server::state::AppState;
use crate::server::store::{ReportPlan, ReportScope, Store, StoredHashes};

/// Events read, proved and sent at a time.
const BATCH: usize = 500;

/// The evidence report of a grant: the request it came from and its approvals, the grant,
/// each session, the accesses summed by area, action and outcome, and every audit event about
/// them with its inclusion proof against the org chain's checkpoint that the report embeds.
/// `supportctl audit verify-report` checks one offline.
#[utoipa::path(get, path = "/v1/orgs/{org}/grants/{id}/report", tag = "audit", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "Grant id")),
    responses(
        (status = 200, description = "The report, streamed", body = EvidenceReport),
        (status = 404, description = "No such grant in the org (or the org is not yours)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn grant_report(
    State(state): State<AppState>,
    Extension(signer): Extension<Arc<CheckpointSigner>>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let missing = || ApiError::not_found(format!("no grant '{id}' in org '{org}'"));
    admin_or_operator(&caller, &org, missing)?;
    let grant = state
        .store
        .grants()
        .get(&org, &id, state.now())
        .await?
        .ok_or_else(missing)?;
    let scope = (Some(grant.id), grant.request_id);
    report(&state, &signer, ReportSubject::Grant, org.clone(), scope).await
}

/// The evidence report of an access request: its events and, once it was approved, all that
/// the report of its grant holds (the same form).
#[utoipa::path(get, path = "/v1/orgs/{org}/requests/{id}/report", tag = "audit", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "Request id")),
    responses(
        (status = 200, description = "The report, streamed", body = EvidenceReport),
        (status = 404, description = "No such request in the org (or the org is not yours)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn request_report(
    State(state): State<AppState>,
    Extension(signer): Extension<Arc<CheckpointSigner>>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let missing = || ApiError::not_found(format!("no request '{id}' in org '{org}'"));
    admin_or_operator(&caller, &org, missing)?;
    let request = state
        .store
        .requests()
        .get(&id, state.now())
        .await?
        .filter(|record| record.request.org == org)
        .ok_or_else(missing)?
        .request;
    let scope = (request.grant_id, Some(request.id));
    report(&state, &signer, ReportSubject::Request, org.clone(), scope).await
}

/// The org's admins and operators; another org's subject is as missing as one that is not.
fn admin_or_operator(caller: &Caller, org: &str, missing: impl Fn() -> ApiError) -> ApiResult<()> {
    let principal = caller.require(&[Role::Admin, Role::Operator])?;
    if principal.role == Role::Admin && principal.org.as_deref() != Some(org) {
        return Err(missing());
    }
    Ok(())
}

async fn report(
    state: &AppState,
    signer: &CheckpointSigner,
    subject: ReportSubject,
    org: String,
    (grant, request): (Option<String>, Option<String>),
) -> ApiResult<Response> {
    let (checkpoint, size) = signed_note(state, signer, ChainId::Org(org.clone())).await?;
    let scope = ReportScope {
        org: org.clone(),
        grant: grant.clone(),
        request: request.clone(),
        size,
    };
    // Before the answer starts, so that a failure is still a problem document.
    let plan = state.store.plan_report(&scope).await?;
    let head = ReportHead {
        format: REPORT_FORMAT.to_owned(),
        subject,
        org,
        grant_id: grant,
        request_id: request,
        checkpoint,
    };
    let mut opening = serde_json::to_vec(&head).map_err(internal)?;
    opening.pop(); // its closing brace: the summary and the events follow
    opening.extend_from_slice(b",\"summary\":");
    serde_json::to_writer(&mut opening, &plan.summary).map_err(internal)?;
    opening.extend_from_slice(b",\"events\":[");
    let (sender, receiver) = mpsc::channel(4);
    let store = state.store.clone();
    tokio::spawn(async move {
        if sender.send(Ok(Bytes::from(opening))).await.is_err() {
            return;
        }
        if let Err(error) = send_events(&store, Arc::new(plan), &scope, &sender).await {
            tracing::error!(error = %error, "an evidence report failed while streaming");
            // The answer stops short, so the client cannot take it for a whole report.
            let _ = sender.send(Err(std::io::Error::other(error))).await;
        }
    });
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(body),
    )
        .into_response())
}

/// The events and their proofs, one per line, then the report's end; stops when the client
/// goes away. Each batch is read (on another task) while the one before is proved and sent.
async fn send_events(
    store: &Store,
    plan: Arc<ReportPlan>,
    scope: &ReportScope,
    sender: &mpsc::Sender<std::io::Result<Bytes>>,
) -> Result<(), String> {
    let read = |seqs: &[i64]| {
        let (store, plan, org, seqs) = (
            store.clone(),
            Arc::clone(&plan),
            scope.org.clone(),
            seqs.to_vec(),
        );
        tokio::spawn(async move { store.read_report_batch(&plan, &org, &seqs).await })
    };
    let mut batches = plan.seqs.chunks(BATCH);
    let mut next = batches.next().map(read);
    let mut cache = StoredHashes::default();
    let mut first = true;
    while let Some(reading) = next.take() {
        let batch = reading
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        next = batches.next().map(read);
        let events = store
            .prove_report_batch(&plan, scope.size, batch, &mut cache)
            .await
            .map_err(|e| e.to_string())?;
        let mut chunk = Vec::with_capacity(events.len() * 1024);
        for event in &events {
            chunk.extend_from_slice(if first { b"\n" } else { b",\n" });
            first = false;
            serde_json::to_writer(&mut chunk, event).map_err(|e| e.to_string())?;
        }
        if sender.send(Ok(Bytes::from(chunk))).await.is_err() {
            if let Some(reading) = next {
                reading.abort();
            }
            return Ok(());
        }
    }
    let _ = sender.send(Ok(Bytes::from_static(b"\n]}\n"))).await;
    Ok(())
}

fn internal(error: serde_json::Error) -> ApiError {
    tracing::error!(error = %error, "cannot write an evidence report");
    ApiError::new(crate::api::ErrorCode::Internal, "cannot write the report")
}
