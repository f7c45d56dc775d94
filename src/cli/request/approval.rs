//! What approving a request asks and reports, for `request approve` and `request review`.

use crate::api::{AccessRequest, Area, Level, join_areas};
use crate::cli::context::Context;
use crate::cli::render::{one_line, terminal_safe};
use crate::cli::time::spoken_duration;

/// "Approve ada@acme.test's request rq_… for admin on all areas for 7d (ticket 4821)?": what
/// approving grants, restated from the request itself where it is decided, whatever its
/// reason says.
pub(super) fn approval_question(
    request: &AccessRequest,
    level: Level,
    areas: &[Area],
    duration_seconds: i64,
) -> String {
    let areas = if Area::ALL.iter().all(|area| areas.contains(area)) {
        "all areas".to_owned()
    } else {
        join_areas(areas)
    };
    format!(
        "Approve {}'s request {} for {level} on {areas} for {}{}?",
        terminal_safe(&request.requester),
        request.id,
        spoken_duration(duration_seconds.unsigned_abs()),
        request
            .ticket
            .as_deref()
            .map(|t| format!(" (ticket {})", one_line(t, 40)))
            .unwrap_or_default()
    )
}

pub(super) fn report_approval(context: &Context, request: &AccessRequest) {
    match &request.grant_id {
        Some(grant) => context.ui.success(&format!(
            "Approved request {} of {}: grant {grant}",
            request.id, request.requester
        )),
        None => context.ui.success(&format!(
            "Approval recorded ({} of {}); request {} needs {} more from other admins",
            request.approvals.len(),
            request.approvals_required,
            request.id,
            request.approvals_required - request.approvals.len() as i64
        )),
    }
}
