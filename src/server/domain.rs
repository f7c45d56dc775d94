//! The rules of grants and sessions that do not depend on storage: how a status is derived
//! for a point in time, whether a session may still act, which grant serves a new session,
//! and the words a caller is told when the answer is no. Pure functions, tested here; the
//! store reads the rows and applies them.

pub mod policy;
pub mod requests;
pub mod rules;
pub mod sign_in;
pub mod webhooks;

use std::borrow::Borrow;

use jiff::Timestamp;

use crate::api::{Action, Area, Grant, GrantStatus, Level, Session, SessionStatus, join_areas};

/// A grant is revoked once revoked, else expired from its expiry on, else active.
pub fn grant_status(
    expires_at: Timestamp,
    revoked_at: Option<Timestamp>,
    now: Timestamp,
) -> GrantStatus {
    if revoked_at.is_some() {
        GrantStatus::Revoked
    } else if now >= expires_at {
        GrantStatus::Expired
    } else {
        GrantStatus::Active
    }
}

/// A session as stored, before its status is derived for a point in time.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: String,
    pub org: String,
    pub grant_id: String,
    pub engineer: String,
    pub level: Level,
    pub areas: Vec<Area>,
    pub reason: String,
    pub opened_at: Timestamp,
    pub expires_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub close_reason: Option<String>,
}

/// A session with everything that decides whether it is active: its grant, its engineer and
/// its org.
#[derive(Debug, Clone)]
pub struct SessionAuth {
    pub session: SessionRecord,
    pub org_pk: i64,
    pub engineer_pk: i64,
    pub engineer_id: String,
    pub grant_expires_at: Timestamp,
    pub grant_revoked_at: Option<Timestamp>,
    pub engineer_disabled: bool,
    pub org_disabled: bool,
}

impl SessionAuth {
    /// Why the session is not active at `now`, or `None` when it is. The first that applies
    /// of: closed, grant revoked, session or grant expired, engineer disabled, org disabled.
    pub fn inactive_reason(&self, now: Timestamp) -> Option<&'static str> {
        if self.session.closed_at.is_some() {
            Some("session closed")
        } else if self.grant_revoked_at.is_some() {
            Some("grant revoked")
        } else if now >= self.session.expires_at || now >= self.grant_expires_at {
            Some("session expired")
        } else if self.engineer_disabled {
            Some("engineer account disabled")
        } else if self.org_disabled {
            Some("org disabled")
        } else {
            None
        }
    }

    /// Why `action` on `area` is refused at `now`, or `None` when the session allows it: an
    /// active session allows the areas it names, up to its level.
    pub fn access_denial(&self, area: Area, action: Action, now: Timestamp) -> Option<String> {
        if let Some(reason) = self.inactive_reason(now) {
            Some(reason.to_owned())
        } else if !self.session.areas.contains(&area) {
            Some(format!("area {area} is not in the session's areas"))
        } else if action.required_level() > self.session.level {
            Some(format!(
                "{action} needs level {}; the session has {}",
                action.required_level(),
                self.session.level
            ))
        } else {
            None
        }
    }

    /// The session's status at `now`: closed once closed; revoked when its grant was revoked
    /// before the session would have expired; else expired from its expiry on; else active.
    pub fn status(&self, now: Timestamp) -> SessionStatus {
        let record = &self.session;
        if record.closed_at.is_some() {
            SessionStatus::Closed
        } else if self
            .grant_revoked_at
            .is_some_and(|revoked| revoked < record.expires_at)
        {
            SessionStatus::Revoked
        } else if now >= record.expires_at {
            SessionStatus::Expired
        } else {
            SessionStatus::Active
        }
    }

    /// The session as the API shows it at `now`.
    pub fn to_api(&self, now: Timestamp) -> Session {
        let record = &self.session;
        Session {
            id: record.id.clone(),
            org: record.org.clone(),
            grant_id: record.grant_id.clone(),
            engineer: record.engineer.clone(),
            level: record.level,
            areas: record.areas.clone(),
            reason: record.reason.clone(),
            opened_at: record.opened_at,
            expires_at: record.expires_at,
            closed_at: record.closed_at,
            close_reason: record.close_reason.clone(),
            status: self.status(now),
        }
    }
}

/// What a new session asks of its grant: `None` takes the grant's own level or areas.
#[derive(Debug, Clone, Copy)]
pub struct SessionAsk<'a> {
    pub level: Option<Level>,
    pub areas: Option<&'a [Area]>,
}

impl SessionAsk<'_> {
    /// Why `grant` cannot serve this ask, if it cannot: the level asked is above the grant's,
    /// or an area asked is not among the grant's.
    pub fn coverage_gap(&self, grant: &Grant) -> Option<String> {
        if let Some(level) = self.level
            && level > grant.level
        {
            return Some(format!(
                "level {level} is above the grant's level {}",
                grant.level
            ));
        }
        if let Some(areas) = self.areas {
            let missing: Vec<String> = areas
                .iter()
                .filter(|area| !grant.areas.contains(area))
                .map(Area::to_string)
                .collect();
            if !missing.is_empty() {
                return Some(format!(
                    "area {} not in the grant's areas ({})",
                    missing.join(", "),
                    join_areas(&grant.areas)
                ));
            }
        }
        None
    }

    /// Least privilege: of the grants that cover the ask, the narrowest (lowest level, then
    /// fewest areas, then the latest expiry). When none covers it, the first candidate's gap.
    pub fn narrowest_grant<G: Borrow<Grant>>(&self, candidates: Vec<G>) -> Result<G, String> {
        let first_gap = candidates
            .iter()
            .find_map(|grant| self.coverage_gap(grant.borrow()));
        candidates
            .into_iter()
            .filter(|grant| self.coverage_gap(grant.borrow()).is_none())
            .min_by_key(|grant| {
                let grant: &Grant = grant.borrow();
                (
                    grant.level,
                    grant.areas.len(),
                    std::cmp::Reverse(grant.expires_at),
                )
            })
            .ok_or_else(|| first_gap.unwrap_or_default())
    }
}

/// What an engineer is told when no grant serves their session. The same words whether the
/// org does not exist, is disabled, or has no grant for them: a support engineer must not
/// learn which orgs exist.
pub fn no_usable_grant(org: &str, grant_id: Option<&str>) -> String {
    match grant_id {
        Some(grant_id) => format!("no grant '{grant_id}' of org '{org}' is usable by you"),
        None => format!("no active grant of org '{org}' is usable by you"),
    }
}

/// Why a named grant that is not active cannot open a session.
pub fn grant_not_active(grant_id: &str, status: GrantStatus) -> String {
    format!("grant '{grant_id}' is {status}; ask the org's admins for a new grant")
}

/// Why a named grant does not serve the session asked of it.
pub fn grant_does_not_cover(grant_id: &str, gap: &str) -> String {
    format!("grant '{grant_id}' does not cover the request: {gap}")
}

/// Why none of an engineer's usable grants serves the session asked.
pub fn no_grant_covers(org: &str, first_gap: &str) -> String {
    format!("none of your usable grants in org '{org}' covers the request ({first_gap})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap()
    }

    fn grant(id: &str, level: Level, areas: &[Area], expires_at: i64) -> Grant {
        Grant {
            id: id.into(),
            org: "acme".into(),
            level,
            areas: areas.to_vec(),
            engineers: Vec::new(),
            reason: "r".into(),
            ticket: None,
            created_by: "admin@acme.test".into(),
            created_at: at(0),
            expires_at: at(expires_at),
            revoked_at: None,
            revoked_by: None,
            revoke_reason: None,
            request_id: None,
            approval_rule: None,
            status: GrantStatus::Active,
            break_glass: false,
            acknowledged: None,
            review: None,
        }
    }

    fn session(level: Level, areas: &[Area]) -> SessionAuth {
        SessionAuth {
            session: SessionRecord {
                id: "ses_1".into(),
                org: "acme".into(),
                grant_id: "grt_1".into(),
                engineer: "eng@vendor.test".into(),
                level,
                areas: areas.to_vec(),
                reason: "r".into(),
                opened_at: at(0),
                expires_at: at(100),
                closed_at: None,
                close_reason: None,
            },
            org_pk: 1,
            engineer_pk: 2,
            engineer_id: "acc_2".into(),
            grant_expires_at: at(200),
            grant_revoked_at: None,
            engineer_disabled: false,
            org_disabled: false,
        }
    }

    #[test]
    fn grant_status_is_revoked_then_expired_then_active() {
        assert_eq!(grant_status(at(10), None, at(5)), GrantStatus::Active);
        assert_eq!(grant_status(at(10), None, at(10)), GrantStatus::Expired);
        assert_eq!(
            grant_status(at(10), Some(at(1)), at(5)),
            GrantStatus::Revoked
        );
        assert_eq!(
            grant_status(at(10), Some(at(1)), at(50)),
            GrantStatus::Revoked
        );
    }

    #[test]
    fn the_first_reason_that_applies_ends_a_session() {
        let mut auth = session(Level::ReadOnly, &[Area::Chats]);
        assert_eq!(auth.inactive_reason(at(1)), None);
        assert_eq!(auth.inactive_reason(at(100)), Some("session expired"));
        auth.grant_expires_at = at(50);
        assert_eq!(auth.inactive_reason(at(50)), Some("session expired"));
        auth.org_disabled = true;
        assert_eq!(auth.inactive_reason(at(1)), Some("org disabled"));
        auth.engineer_disabled = true;
        assert_eq!(
            auth.inactive_reason(at(1)),
            Some("engineer account disabled")
        );
        auth.grant_revoked_at = Some(at(1));
        assert_eq!(auth.inactive_reason(at(1)), Some("grant revoked"));
        auth.session.closed_at = Some(at(1));
        assert_eq!(auth.inactive_reason(at(1)), Some("session closed"));
    }

    #[test]
    fn access_needs_the_area_and_the_level() {
        let auth = session(Level::ReadOnly, &[Area::Chats]);
        assert_eq!(auth.access_denial(Area::Chats, Action::Read, at(1)), None);
        assert_eq!(
            auth.access_denial(Area::SourceCode, Action::Read, at(1))
                .unwrap(),
            "area source-code is not in the session's areas"
        );
        assert!(
            auth.access_denial(Area::Chats, Action::Write, at(1))
                .unwrap()
                .starts_with("write needs level")
        );
        assert_eq!(
            auth.access_denial(Area::Chats, Action::Read, at(100))
                .unwrap(),
            "session expired"
        );
    }

    #[test]
    fn a_session_cut_short_by_its_grant_is_revoked_not_expired() {
        let mut auth = session(Level::ReadOnly, &[Area::Chats]);
        assert_eq!(auth.status(at(1)), SessionStatus::Active);
        assert_eq!(auth.status(at(100)), SessionStatus::Expired);
        auth.grant_revoked_at = Some(at(150));
        assert_eq!(auth.status(at(200)), SessionStatus::Expired);
        auth.grant_revoked_at = Some(at(50));
        assert_eq!(auth.status(at(60)), SessionStatus::Revoked);
        auth.session.closed_at = Some(at(40));
        assert_eq!(auth.to_api(at(60)).status, SessionStatus::Closed);
    }

    #[test]
    fn the_narrowest_covering_grant_wins() {
        let wide = grant("wide", Level::Member, &[Area::Chats, Area::Issues], 100);
        let narrow = grant("narrow", Level::ReadOnly, &[Area::Chats], 50);
        let narrow_later = grant("narrow_later", Level::ReadOnly, &[Area::Chats], 90);
        let ask = SessionAsk {
            level: None,
            areas: Some(&[Area::Chats]),
        };
        let chosen = ask
            .narrowest_grant(vec![wide.clone(), narrow, narrow_later])
            .unwrap();
        assert_eq!(chosen.id, "narrow_later");

        let ask = SessionAsk {
            level: Some(Level::Member),
            areas: None,
        };
        assert_eq!(ask.narrowest_grant(vec![wide.clone()]).unwrap().id, "wide");
        let ask = SessionAsk {
            level: Some(Level::Admin),
            areas: None,
        };
        assert_eq!(
            ask.narrowest_grant(vec![wide]).unwrap_err(),
            "level admin is above the grant's level member"
        );
    }

    #[test]
    fn a_gap_names_the_missing_areas() {
        let grant = grant("g", Level::ReadOnly, &[Area::Chats], 100);
        let ask = SessionAsk {
            level: None,
            areas: Some(&[Area::Chats, Area::Issues]),
        };
        assert_eq!(
            ask.coverage_gap(&grant).unwrap(),
            "area issues not in the grant's areas (chats)"
        );
    }
}
