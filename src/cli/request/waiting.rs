//! Waiting for a request's decision, for `request create --wait`, `request wait` and `session
//! open --request`.

use std::time::{Duration, Instant};

use crate::api::{AccessRequest, Grant, GrantStatusFilter, RequestStatus, join_areas};
use crate::cli::client::{ApiClient, GrantList};
use crate::cli::context::{Connection, Context};
use crate::cli::error::{CommandError, CommandResult, ErrorKind};
use crate::cli::time::spoken_duration;

/// The longest one long poll asks the server to wait.
const POLL_SECONDS: u64 = 60;

/// `--timeout` when none is given.
pub(super) const DEFAULT_TIMEOUT: &str = "30m";

/// Waits (long polls) until `request` is decided or `timeout_seconds` pass: the request once
/// approved; exit 6 when refused (saying which, by whom, why); exit 8 when still pending.
pub fn wait_for(
    context: &mut Context,
    connection: &mut Connection,
    org: Option<&str>,
    request: &AccessRequest,
    timeout_seconds: i64,
) -> CommandResult<AccessRequest> {
    // Decided already (approved when filed, by an org's auto-approval rule): no waiting.
    if request.status != RequestStatus::Pending {
        return refused(request).map_or(Ok(request.clone()), Err);
    }
    let message = format!(
        "Waiting for org {}'s admins to decide request {} ({} on {})",
        request.org,
        request.id,
        request.level,
        join_areas(&request.areas)
    );
    let spinner = if context.ui.interactive() && !context.ui.quiet() {
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.set_message(message);
        spinner.enable_steady_tick(Duration::from_millis(120));
        spinner
    } else {
        context.ui.note(&format!("{message}..."));
        indicatif::ProgressBar::hidden()
    };
    let deadline = Instant::now() + Duration::from_secs(timeout_seconds.unsigned_abs());
    let mut current = request.clone();
    while current.status == RequestStatus::Pending {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            spinner.finish_and_clear();
            return Err(CommandError::new(
                ErrorKind::Pending,
                format!(
                    "request {} is still pending after {}; it lapses {}",
                    current.id,
                    spoken_duration(timeout_seconds.unsigned_abs()),
                    crate::cli::time::spoken_time(current.expires_at)
                ),
            )
            .with_hint(format!(
                "wait again with `supportctl request wait {}`",
                current.id
            )));
        }
        // Whole seconds, rounded up, so a short remainder still waits instead of spinning.
        let poll = left.as_secs_f64().ceil() as u64;
        current = connection
            .client
            .get_request(org, &request.id, poll.clamp(1, POLL_SECONDS))?;
    }
    spinner.finish_and_clear();
    refused(&current).map_or(Ok(current), Err)
}

/// Exit 6 for a request that ended without a grant, saying which way, by whom and why.
fn refused(request: &AccessRequest) -> Option<CommandError> {
    let by = request
        .decided_by
        .as_deref()
        .map(|by| format!(" by {by}"))
        .unwrap_or_default();
    let comment = request
        .decision_comment
        .as_deref()
        .map(|c| format!(": {c}"))
        .unwrap_or_default();
    let message = match request.status {
        RequestStatus::Approved | RequestStatus::Pending => return None,
        RequestStatus::Denied => format!("request {} was denied{by}{comment}", request.id),
        RequestStatus::Cancelled => format!("request {} was cancelled{by}{comment}", request.id),
        RequestStatus::Expired => format!(
            "request {} expired {} without a decision",
            request.id,
            crate::cli::time::spoken_time(request.expires_at)
        ),
    };
    Some(CommandError::conflict(message))
}

/// Says who approved `request`, and prints its grant (or the request, when the grant is not
/// visible to the caller).
pub(super) fn print_approved(
    context: &mut Context,
    client: &ApiClient,
    request: &AccessRequest,
) -> CommandResult {
    let grant_id = request.grant_id.clone().unwrap_or_default();
    context.ui.success(&format!(
        "Request {} approved by {}: grant {grant_id}",
        request.id,
        request.decided_by.as_deref().unwrap_or("the org's admins")
    ));
    match approved_grant(client, request) {
        Some(grant) => Ok(context.ui.one(&grant)?),
        None => Ok(context.ui.one(request)?),
    }
}

/// The grant an approval created, as its engineer sees it.
fn approved_grant(client: &ApiClient, request: &AccessRequest) -> Option<Grant> {
    let id = request.grant_id.as_deref()?;
    let grants = client
        .list_grants(GrantList::Usable, GrantStatusFilter::All, None)
        .ok()?;
    grants.into_iter().find(|grant| grant.id == id)
}
