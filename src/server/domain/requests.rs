//! The rules of access requests: how a status is derived for a point in time, what an
//! approver may change (narrow, never widen), and the grant that the approvals add up to.

use jiff::Timestamp;

use crate::api::{
    AccessRequest, Approval, ApprovalsRequired, Area, Level, RequestStatus, join_areas,
};

/// Pending requests one engineer may have in one org at a time.
pub const MAX_PENDING_PER_ENGINEER: i64 = 5;

/// A request's status at `now`: the decision once one was taken, else expired from its
/// expiry on, else pending.
pub fn request_status(
    decision: Option<RequestStatus>,
    expires_at: Timestamp,
    now: Timestamp,
) -> RequestStatus {
    match decision {
        Some(decision) => decision,
        None if now >= expires_at => RequestStatus::Expired,
        None => RequestStatus::Pending,
    }
}

/// What one approver allows: `None` keeps what was asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Narrowing {
    pub level: Option<Level>,
    pub areas: Option<Vec<Area>>,
    pub duration_seconds: Option<i64>,
}

impl Narrowing {
    /// Why this narrowing widens `request`, if it does; else the narrowing with what equals the
    /// request dropped (so that an approval records only real changes).
    pub fn against(self, request: &AccessRequest) -> Result<Narrowing, String> {
        if let Some(level) = self.level
            && level > request.level
        {
            return Err(format!(
                "an approval may only narrow a request: level {level} is above the {} asked",
                request.level
            ));
        }
        if let Some(areas) = &self.areas {
            let extra: Vec<Area> = areas
                .iter()
                .filter(|area| !request.areas.contains(area))
                .copied()
                .collect();
            if !extra.is_empty() {
                return Err(format!(
                    "an approval may only narrow a request: {} not among the areas asked ({})",
                    join_areas(&extra),
                    join_areas(&request.areas)
                ));
            }
        }
        if let Some(seconds) = self.duration_seconds
            && seconds > request.duration_seconds
        {
            return Err(format!(
                "an approval may only narrow a request: {seconds}s is longer than the {}s asked",
                request.duration_seconds
            ));
        }
        Ok(Narrowing {
            level: self.level.filter(|level| *level != request.level),
            areas: self.areas.filter(|areas| areas != &request.areas),
            duration_seconds: self
                .duration_seconds
                .filter(|seconds| *seconds != request.duration_seconds),
        })
    }
}

/// The grant the approvals add up to: the narrowest level, areas and duration any approver
/// set. Fails when the approvers' areas have none in common.
pub fn granted_scope(
    request: &AccessRequest,
    approvals: &[Approval],
) -> Result<(Level, Vec<Area>, i64), String> {
    let mut level = request.level;
    let mut areas = request.areas.clone();
    let mut seconds = request.duration_seconds;
    for approval in approvals {
        if let Some(narrower) = approval.level {
            level = level.min(narrower);
        }
        if let Some(allowed) = &approval.areas {
            areas.retain(|area| allowed.contains(area));
        }
        if let Some(shorter) = approval.duration_seconds {
            seconds = seconds.min(shorter);
        }
    }
    if areas.is_empty() {
        return Err(
            "the approvers' narrowed areas have none in common; approve with areas that \
             overlap the earlier approvals"
                .into(),
        );
    }
    Ok((level, areas, seconds))
}

/// Approvals a request needs at the moment of an approval: the most of what was stored when
/// it was filed and what the policy asks now for the level asked and the level granted. A
/// requirement raised since the filing applies; one lowered since does not.
pub fn approvals_needed(
    stored: i64,
    policy: &ApprovalsRequired,
    asked: Level,
    granted: Level,
) -> i64 {
    stored
        .max(policy.for_level(asked))
        .max(policy.for_level(granted))
}

/// The approvals that count: those of accounts that are enabled admins of the org now (an
/// admin disabled since approving no longer vouches for the request).
pub fn counted_approvals(approvals: &[Approval], enabled_admins: &[String]) -> usize {
    approvals
        .iter()
        .filter(|approval| enabled_admins.contains(&approval.by))
        .count()
}

/// Why one admin may not move the expiry of a grant that several admins approved to
/// `extended`: its whole lifetime may not exceed the duration they approved (a longer one needs
/// a new request, and their approvals again).
pub fn check_approved_lifetime(
    grant_id: &str,
    created_at: jiff::Timestamp,
    extended: jiff::Timestamp,
    approved_seconds: i64,
    approvals: i64,
) -> Result<(), String> {
    let lifetime = extended.as_second() - created_at.as_second();
    if lifetime > approved_seconds {
        return Err(format!(
            "grant '{grant_id}' was approved by {approvals} admins for {approved_seconds}s; one \
             admin may not extend it past that (extending would make it last {lifetime}s): the \
             engineer files a new request for more time"
        ));
    }
    Ok(())
}

/// What an engineer is told who may not ask an org for access: the same words whether the org
/// does not exist, is disabled, or does not accept requests, so that the answer does not say
/// which orgs exist or what their policies are.
pub fn takes_no_requests(org: &str) -> String {
    format!("org '{org}' takes no access requests from you (or there is no such org)")
}

/// What an engineer or admin is told when acting on a request that is no longer pending.
pub fn not_pending(request: &AccessRequest) -> String {
    let by = request
        .decided_by
        .as_deref()
        .map(|by| format!(" by {by}"))
        .unwrap_or_default();
    format!(
        "request '{}' is {}{by}; only a pending request can be acted on",
        request.id, request.status
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap()
    }

    fn request() -> AccessRequest {
        AccessRequest {
            id: "rq_1".into(),
            org: "acme".into(),
            requester: "eng@vendor.test".into(),
            level: Level::Member,
            areas: vec![Area::Chats, Area::Issues],
            duration_seconds: 4 * 3600,
            reason: "r".into(),
            ticket: None,
            status: RequestStatus::Pending,
            created_at: at(0),
            expires_at: at(100),
            approvals_required: 2,
            approvals: Vec::new(),
            decided_at: None,
            decided_by: None,
            decision_comment: None,
            grant_id: None,
            approval_rule: None,
            break_glass: false,
        }
    }

    fn approval(level: Option<Level>, areas: Option<Vec<Area>>, seconds: Option<i64>) -> Approval {
        Approval {
            by: "a@acme.test".into(),
            at: at(1),
            comment: None,
            level,
            areas,
            duration_seconds: seconds,
        }
    }

    #[test]
    fn status_is_the_decision_else_derived_from_the_expiry() {
        assert_eq!(request_status(None, at(10), at(9)), RequestStatus::Pending);
        assert_eq!(request_status(None, at(10), at(10)), RequestStatus::Expired);
        assert_eq!(
            request_status(Some(RequestStatus::Denied), at(10), at(50)),
            RequestStatus::Denied
        );
    }

    #[test]
    fn approvers_narrow_but_never_widen() {
        let request = request();
        let widen_level = Narrowing {
            level: Some(Level::Admin),
            ..Narrowing::default()
        };
        assert!(widen_level.against(&request).unwrap_err().contains("level"));
        let widen_areas = Narrowing {
            areas: Some(vec![Area::Chats, Area::SourceCode]),
            ..Narrowing::default()
        };
        assert!(
            widen_areas
                .against(&request)
                .unwrap_err()
                .contains("source-code")
        );
        let longer = Narrowing {
            duration_seconds: Some(5 * 3600),
            ..Narrowing::default()
        };
        assert!(longer.against(&request).is_err());
        let same = Narrowing {
            level: Some(Level::Member),
            areas: Some(vec![Area::Chats, Area::Issues]),
            duration_seconds: Some(4 * 3600),
        };
        assert_eq!(same.against(&request), Ok(Narrowing::default()));
    }

    #[test]
    fn the_most_approvals_asked_apply_and_only_enabled_admins_count() {
        let policy = ApprovalsRequired {
            read_only: 3,
            member: 2,
            admin: 1,
        };
        assert_eq!(
            approvals_needed(1, &policy, Level::Member, Level::Member),
            2
        );
        assert_eq!(
            approvals_needed(4, &policy, Level::Member, Level::Member),
            4
        );
        assert_eq!(
            approvals_needed(1, &policy, Level::Admin, Level::ReadOnly),
            3
        );
        let approvals = [approval(None, None, None), {
            let mut other = approval(None, None, None);
            other.by = "gone@acme.test".into();
            other
        }];
        assert_eq!(counted_approvals(&approvals, &["a@acme.test".into()]), 1);
        assert_eq!(counted_approvals(&approvals, &[]), 0);
    }

    #[test]
    fn an_approved_lifetime_is_a_ceiling() {
        assert_eq!(check_approved_lifetime("g", at(0), at(600), 600, 2), Ok(()));
        let refused = check_approved_lifetime("g", at(0), at(601), 600, 2).unwrap_err();
        assert!(refused.contains("600s"), "{refused}");
    }

    #[test]
    fn the_grant_is_the_narrowest_of_all_approvals() {
        let request = request();
        let approvals = [
            approval(Some(Level::ReadOnly), None, Some(3600)),
            approval(None, Some(vec![Area::Chats]), Some(7200)),
        ];
        assert_eq!(
            granted_scope(&request, &approvals),
            Ok((Level::ReadOnly, vec![Area::Chats], 3600))
        );
        let disjoint = [
            approval(None, Some(vec![Area::Chats]), None),
            approval(None, Some(vec![Area::Issues]), None),
        ];
        assert!(granted_scope(&request, &disjoint).is_err());
    }
}
