//! A ticket's end: the org's ticketing system (with a service token) or an admin closes it,
//! and every access that was given for it ends at once.

use axum::Json;
use axum::extract::State;

use crate::api::{CloseTicket, Role, TicketClosed};
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{ApiPath, OptionalJson};
use crate::server::state::AppState;
use crate::server::validate;

/// Close a ticket: revoke the org's active grants with it (ending their sessions) and cancel
/// its pending requests with it, in one transaction. The body is optional and fields it does
/// not know are ignored, so a ticketing system's automation may post its own event. A ticket
/// nobody used ends nothing and writes nothing.
#[utoipa::path(post, path = "/v1/orgs/{org}/tickets/{ticket}/close", tag = "tickets", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("ticket" = String, Path, description = "The ticket, exactly as the grants and requests name it (URL-encoded)")),
    request_body(content = Option<CloseTicket>, description = "Optional; unknown fields are ignored"),
    responses(
        (status = 200, description = "What was ended (all counts 0 for a ticket nobody used)", body = TicketClosed),
        (status = 400, description = "A ticket with control or Unicode format characters, blank, or over 1000 characters", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn close_ticket(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, ticket)): ApiPath<(String, String)>,
    OptionalJson(body): OptionalJson<CloseTicket>,
) -> ApiResult<Json<TicketClosed>> {
    let actor = match caller.require(&[Role::Admin, Role::Service])?.role {
        Role::Service => caller.principal(),
        _ => caller.require_admin_of(&org)?,
    };
    if ticket.chars().any(char::is_control) {
        return Err(ApiError::invalid("ticket contains control characters"));
    }
    let ticket = validate::required_text("ticket", &ticket)?;
    let comment = validate::optional_text(
        "reason",
        body.as_ref().and_then(|body| body.reason.as_deref()),
    )?;
    let closed = state
        .store
        .tickets()
        .close(actor, &org, &ticket, comment.as_deref(), state.now())
        .await?;
    tracing::info!(org = %org, by = %actor.email, grants = closed.grants_revoked, sessions = closed.sessions_ended, requests = closed.requests_cancelled, "ticket closed");
    Ok(Json(closed))
}
