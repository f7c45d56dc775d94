//! An org's policy combined with the server's flags into the limits that apply, and the checks
//! every grant, request, approval and session makes against them. Pure; the store applies them
//! under the org's lock, so a concurrent policy change cannot slip between check and write.

use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::api::{
    ApprovalsRequired, Area, BreakGlassPolicy, Level, OrgPolicy, PutOrgPolicy, join_areas,
};
use crate::server::policy::Policy;

/// The longest any duration in a policy may be: 100 years.
const LONGEST: i64 = 36_525 * 24 * 3600;
/// The most approvals a level may require.
const MOST_APPROVALS: i64 = 100;
/// A request stays pending at least this long.
const SHORTEST_REQUEST_TTL: i64 = 60;
/// The default time a request stays pending.
pub const DEFAULT_REQUEST_TTL: i64 = 12 * 3600;

/// The policy of an org whose admins never changed it: the server's flags, everything allowed.
pub fn default_policy(flags: &Policy) -> OrgPolicy {
    OrgPolicy {
        version: 0,
        max_grant_duration_seconds: flags.max_grant_seconds(),
        default_grant_duration_seconds: flags.default_grant_seconds(),
        max_session_ttl_seconds: flags.max_session_seconds(),
        allowed_levels: vec![Level::ReadOnly, Level::Member, Level::Admin],
        allowed_areas: Area::ALL.to_vec(),
        require_ticket: false,
        direct_grants: true,
        accept_requests: true,
        approvals_required: ApprovalsRequired::default(),
        request_ttl_seconds: DEFAULT_REQUEST_TTL,
        expiry_warning_seconds: flags.expiry_warning_seconds(),
        break_glass: BreakGlassPolicy::default(),
        approval_max_auth_age_seconds: None,
        updated_at: None,
        updated_by: None,
    }
}

/// Why a policy document cannot be stored (before comparing it with the org's admins).
pub fn validate_document(put: &PutOrgPolicy) -> Result<(), String> {
    for (field, value) in [
        ("max_grant_duration_seconds", put.max_grant_duration_seconds),
        (
            "default_grant_duration_seconds",
            put.default_grant_duration_seconds,
        ),
        ("max_session_ttl_seconds", put.max_session_ttl_seconds),
        ("request_ttl_seconds", put.request_ttl_seconds),
    ] {
        if !(1..=LONGEST).contains(&value) {
            return Err(format!(
                "{field} must be between 1 and {LONGEST} seconds, got {value}"
            ));
        }
    }
    if !(0..=LONGEST).contains(&put.expiry_warning_seconds) {
        return Err(format!(
            "expiry_warning_seconds must be between 0 and {LONGEST}, got {}",
            put.expiry_warning_seconds
        ));
    }
    if put.request_ttl_seconds < SHORTEST_REQUEST_TTL {
        return Err(format!(
            "request_ttl_seconds must be at least {SHORTEST_REQUEST_TTL}"
        ));
    }
    if put.default_grant_duration_seconds > put.max_grant_duration_seconds {
        return Err(format!(
            "default_grant_duration_seconds ({}) exceeds max_grant_duration_seconds ({})",
            put.default_grant_duration_seconds, put.max_grant_duration_seconds
        ));
    }
    if put.allowed_levels.is_empty() {
        return Err("allowed_levels must name at least one level".into());
    }
    if put.allowed_areas.is_empty() {
        return Err("allowed_areas must name at least one area".into());
    }
    let longest = BreakGlassPolicy::LONGEST;
    if !(1..=longest).contains(&put.break_glass.max_duration_seconds) {
        return Err(format!(
            "break_glass.max_duration_seconds must be between 1 and {longest} (4 hours), got {}",
            put.break_glass.max_duration_seconds
        ));
    }
    if let Some(age) = put.approval_max_auth_age_seconds
        && !(1..=LONGEST).contains(&age)
    {
        return Err(format!(
            "approval_max_auth_age_seconds must be between 1 and {LONGEST} seconds (or null: no \
             requirement), got {age}"
        ));
    }
    let approvals = put.approvals_required;
    for level in [Level::ReadOnly, Level::Member, Level::Admin] {
        let count = approvals.for_level(level);
        if !(1..=MOST_APPROVALS).contains(&count) {
            return Err(format!(
                "approvals_required.{level} must be between 1 and {MOST_APPROVALS}, got {count}"
            ));
        }
    }
    Ok(())
}

/// Why a document asks for a duration the server's flags never allow (refused, naming the
/// server's limit, rather than stored and silently capped). A value the org's policy already
/// has is let be: the server's flags may have been lowered since, and an unrelated change must
/// still go through (the tighter limit applies either way).
pub fn check_server_limits(
    put: &PutOrgPolicy,
    before: &OrgPolicy,
    flags: &Policy,
) -> Result<(), String> {
    let max_grant = (flags.max_grant_seconds(), "--max-grant-duration");
    let max_session = (flags.max_session_seconds(), "--max-session-ttl");
    for (field, value, had, (max, flag)) in [
        (
            "max_grant_duration_seconds",
            put.max_grant_duration_seconds,
            before.max_grant_duration_seconds,
            max_grant,
        ),
        (
            "default_grant_duration_seconds",
            put.default_grant_duration_seconds,
            before.default_grant_duration_seconds,
            max_grant,
        ),
        (
            "max_session_ttl_seconds",
            put.max_session_ttl_seconds,
            before.max_session_ttl_seconds,
            max_session,
        ),
    ] {
        if value > max && value != had {
            return Err(format!(
                "{field} of {value}s exceeds the server's maximum of {max}s ({}; its {flag})",
                spoken(max)
            ));
        }
    }
    Ok(())
}

/// The stored form of a document: levels and areas sorted and deduplicated.
pub fn normalized(put: &PutOrgPolicy, version: i64) -> OrgPolicy {
    let mut levels = put.allowed_levels.clone();
    levels.sort();
    levels.dedup();
    let mut areas = put.allowed_areas.clone();
    areas.sort();
    areas.dedup();
    OrgPolicy {
        version,
        max_grant_duration_seconds: put.max_grant_duration_seconds,
        default_grant_duration_seconds: put.default_grant_duration_seconds,
        max_session_ttl_seconds: put.max_session_ttl_seconds,
        allowed_levels: levels,
        allowed_areas: areas,
        require_ticket: put.require_ticket,
        direct_grants: put.direct_grants,
        accept_requests: put.accept_requests,
        approvals_required: put.approvals_required,
        request_ttl_seconds: put.request_ttl_seconds,
        expiry_warning_seconds: put.expiry_warning_seconds,
        break_glass: put.break_glass,
        approval_max_auth_age_seconds: put.approval_max_auth_age_seconds,
        updated_at: None,
        updated_by: None,
    }
}

/// `{field: {before, after}}` for every field a change altered (what `policy.updated` records).
pub fn changed_fields(before: &OrgPolicy, after: &OrgPolicy) -> Value {
    let as_map = |policy: &OrgPolicy| match serde_json::to_value(policy) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let (before, after) = (as_map(before), as_map(after));
    let mut changed = Map::new();
    for (field, new) in &after {
        if matches!(field.as_str(), "version" | "updated_at" | "updated_by") {
            continue;
        }
        let old = before.get(field).cloned().unwrap_or(Value::Null);
        if &old != new {
            changed.insert(field.clone(), json!({ "before": old, "after": new }));
        }
    }
    Value::Object(changed)
}

/// What makes `after` weaker than `before` where approvals guard access: a level whose
/// `approvals_required` went down, or `direct_grants` turned on (which lets one admin grant
/// alone). Such a change needs as many admins as the policy it replaces asks for.
pub fn weakenings(before: &OrgPolicy, after: &OrgPolicy) -> Vec<String> {
    let mut weaker = Vec::new();
    for level in [Level::ReadOnly, Level::Member, Level::Admin] {
        if after.approvals_required.for_level(level) < before.approvals_required.for_level(level) {
            weaker.push(format!("approvals_required.{level}"));
        }
    }
    if after.direct_grants && !before.direct_grants {
        weaker.push("direct_grants".to_owned());
    }
    // Break-glass lets access start with no admin's approval: turning it on, or letting it
    // reach further while on, weakens the same guard.
    let (was, is) = (&before.break_glass, &after.break_glass);
    if is.allowed && !was.allowed {
        weaker.push("break_glass.allowed".to_owned());
    } else if is.allowed {
        if is.max_level > was.max_level {
            weaker.push("break_glass.max_level".to_owned());
        }
        if is.max_duration_seconds > was.max_duration_seconds {
            weaker.push("break_glass.max_duration_seconds".to_owned());
        }
    }
    // A fresh sign-in guards the same decisions: dropping the requirement or allowing an
    // older sign-in would let one admin with a stale or static token lower it alone.
    match (
        before.approval_max_auth_age_seconds,
        after.approval_max_auth_age_seconds,
    ) {
        (Some(was), Some(is)) if is <= was => {}
        (Some(_), _) => weaker.push("approval_max_auth_age_seconds".to_owned()),
        (None, _) => {}
    }
    weaker
}

/// The levels and areas an org's policy allows a new session, whatever its grant allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeLimits {
    pub levels: Vec<Level>,
    pub areas: Vec<Area>,
}

impl ScopeLimits {
    /// A new session's level and areas from a grant of `grant_level` on `grant_areas`: those
    /// asked, each checked against the policy, else the grant's within the policy (the highest
    /// allowed level up to the grant's, the grant's allowed areas). A grant made before the
    /// policy was tightened opens nothing the policy no longer allows.
    pub fn session_scope(
        &self,
        asked_level: Option<Level>,
        asked_areas: Option<&[Area]>,
        grant_level: Level,
        grant_areas: &[Area],
    ) -> Result<(Level, Vec<Area>), String> {
        let allowed = |levels: &[Level]| {
            levels
                .iter()
                .map(Level::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let level = match asked_level {
            Some(level) if self.levels.contains(&level) => level,
            Some(level) => {
                return Err(format!(
                    "the org's policy (allowed_levels) does not allow level {level}; allowed: {}",
                    allowed(&self.levels)
                ));
            }
            None => self
                .levels
                .iter()
                .copied()
                .filter(|level| *level <= grant_level)
                .max()
                .ok_or_else(|| {
                    format!(
                        "the org's policy (allowed_levels) allows only {}, above the grant's \
                         level {grant_level}",
                        allowed(&self.levels)
                    )
                })?,
        };
        let areas = match asked_areas {
            Some(areas) => {
                let outside: Vec<Area> = areas
                    .iter()
                    .filter(|area| !self.areas.contains(area))
                    .copied()
                    .collect();
                if !outside.is_empty() {
                    return Err(format!(
                        "the org's policy (allowed_areas) does not allow {}; allowed: {}",
                        join_areas(&outside),
                        join_areas(&self.areas)
                    ));
                }
                areas.to_vec()
            }
            None => {
                let within: Vec<Area> = grant_areas
                    .iter()
                    .filter(|area| self.areas.contains(area))
                    .copied()
                    .collect();
                if within.is_empty() {
                    return Err(format!(
                        "the org's policy (allowed_areas) allows none of the grant's areas ({}); \
                         allowed: {}",
                        join_areas(grant_areas),
                        join_areas(&self.areas)
                    ));
                }
                within
            }
        };
        Ok((level, areas))
    }
}

/// The limits in force for one org: its policy, each limit capped by the server's flag.
#[derive(Debug, Clone)]
pub struct Effective {
    pub version: i64,
    pub max_grant: i64,
    pub default_grant: i64,
    pub max_session_ttl: i64,
    pub default_session_ttl: i64,
    pub allowed_levels: Vec<Level>,
    pub allowed_areas: Vec<Area>,
    pub require_ticket: bool,
    pub direct_grants: bool,
    pub accept_requests: bool,
    pub approvals_required: ApprovalsRequired,
    pub request_ttl: i64,
    /// The org's break-glass rules, the longest duration within `max_grant` too.
    pub break_glass: BreakGlassPolicy,
    /// How recent a sign-in at the identity provider approvals and policy changes need.
    pub approval_max_auth_age: Option<i64>,
}

fn spoken(seconds: i64) -> String {
    humantime::format_duration(Duration::from_secs(seconds.unsigned_abs())).to_string()
}

impl Effective {
    pub fn new(org: &OrgPolicy, flags: &Policy) -> Self {
        let max_grant = org
            .max_grant_duration_seconds
            .min(flags.max_grant_seconds());
        let max_session_ttl = org.max_session_ttl_seconds.min(flags.max_session_seconds());
        Effective {
            version: org.version,
            max_grant,
            default_grant: org.default_grant_duration_seconds.min(max_grant),
            max_session_ttl,
            default_session_ttl: flags.default_session_seconds().min(max_session_ttl),
            allowed_levels: org.allowed_levels.clone(),
            allowed_areas: org.allowed_areas.clone(),
            require_ticket: org.require_ticket,
            direct_grants: org.direct_grants,
            accept_requests: org.accept_requests,
            approvals_required: org.approvals_required,
            request_ttl: org.request_ttl_seconds,
            break_glass: BreakGlassPolicy {
                max_duration_seconds: org.break_glass.max_duration_seconds.min(max_grant),
                ..org.break_glass
            },
            approval_max_auth_age: org.approval_max_auth_age_seconds,
        }
    }

    /// Why a caller who signed in at the identity provider at `auth_at` (none: a token not from
    /// a sign-in) may not approve, extend or change the policy at `now`, if not.
    pub fn check_auth_age(&self, auth_at: Option<Timestamp>, now: Timestamp) -> Result<(), String> {
        let Some(max) = self.approval_max_auth_age else {
            return Ok(());
        };
        let rule = format!(
            "the org's policy (approval_max_auth_age_seconds: {max}) asks for a sign-in at the \
             identity provider within the last {}",
            spoken(max)
        );
        match auth_at {
            None => Err(format!("{rule}; this token is not from a sign-in")),
            Some(at) => {
                let age = now.as_second() - at.as_second();
                if age > max {
                    Err(format!("{rule}; yours was {} ago", spoken(age)))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// The level, areas and ticket of a grant or request, against `allowed_levels`,
    /// `allowed_areas` and `require_ticket`: why not, naming the rule.
    pub fn check_scope(
        &self,
        level: Level,
        areas: &[Area],
        ticket: Option<&str>,
    ) -> Result<(), String> {
        if !self.allowed_levels.contains(&level) {
            return Err(format!(
                "the org's policy (allowed_levels) does not allow level {level}; allowed: {}",
                self.allowed_levels
                    .iter()
                    .map(Level::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let outside: Vec<Area> = areas
            .iter()
            .filter(|area| !self.allowed_areas.contains(area))
            .copied()
            .collect();
        if !outside.is_empty() {
            return Err(format!(
                "the org's policy (allowed_areas) does not allow {}; allowed: {}",
                join_areas(&outside),
                join_areas(&self.allowed_areas)
            ));
        }
        if self.require_ticket && ticket.is_none_or(|t| t.trim().is_empty()) {
            return Err("the org's policy (require_ticket) requires a ticket".into());
        }
        Ok(())
    }

    /// A grant's duration: the one asked (at most the maximum), else the default.
    pub fn grant_seconds(&self, field: &str, asked: Option<i64>) -> Result<i64, String> {
        match asked {
            None => Ok(self.default_grant),
            Some(seconds) if seconds > self.max_grant => Err(format!(
                "{field} of {seconds}s exceeds the maximum grant duration of {}s ({}; the org's \
                 policy max_grant_duration_seconds or the server's limit, whichever is shorter)",
                self.max_grant,
                spoken(self.max_grant)
            )),
            Some(seconds) => Ok(seconds),
        }
    }

    /// A session's lifetime: the one asked (at most the maximum), else the default.
    pub fn session_ttl(&self, asked: Option<i64>) -> Result<i64, String> {
        match asked {
            None => Ok(self.default_session_ttl),
            Some(seconds) if seconds > self.max_session_ttl => Err(format!(
                "ttl_seconds of {seconds}s exceeds the maximum session ttl of {}s ({}; the org's \
                 policy max_session_ttl_seconds or the server's limit, whichever is shorter)",
                self.max_session_ttl,
                spoken(self.max_session_ttl)
            )),
            Some(seconds) => Ok(seconds),
        }
    }

    /// The levels and areas new sessions may have.
    pub fn scope_limits(&self) -> ScopeLimits {
        ScopeLimits {
            levels: self.allowed_levels.clone(),
            areas: self.allowed_areas.clone(),
        }
    }

    /// Why an admin may not grant directly, if not.
    pub fn check_direct_grant(&self) -> Result<(), String> {
        if self.direct_grants {
            Ok(())
        } else {
            Err(
                "the org's policy (direct_grants: false) allows access only by approving a \
                 support engineer's request"
                    .into(),
            )
        }
    }

    /// Why a break-glass request for `level` lasting `seconds` is refused, if it is: the org's
    /// policy does not allow break-glass, or the level or duration is beyond its limits.
    pub fn check_break_glass(&self, level: Level, seconds: i64) -> Result<(), String> {
        let rules = &self.break_glass;
        if !rules.allowed {
            return Err(
                "the org's policy (break_glass.allowed: false) does not allow break-glass access"
                    .into(),
            );
        }
        if level > rules.max_level {
            return Err(format!(
                "the org's policy (break_glass.max_level) allows break-glass access up to level \
                 {}, not {level}",
                rules.max_level
            ));
        }
        if seconds > rules.max_duration_seconds {
            return Err(format!(
                "a break-glass grant of {seconds}s exceeds the org's policy \
                 (break_glass.max_duration_seconds) of {}s ({})",
                rules.max_duration_seconds,
                spoken(rules.max_duration_seconds)
            ));
        }
        Ok(())
    }

    /// Why an engineer may not file a request, if not.
    pub fn check_accepts_requests(&self) -> Result<(), String> {
        if self.accept_requests {
            Ok(())
        } else {
            Err("the org's policy (accept_requests: false) does not accept access requests".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> Policy {
        Policy::default()
    }

    #[test]
    fn the_tighter_of_org_and_server_wins() {
        let mut org = default_policy(&flags());
        org.max_grant_duration_seconds = 3600;
        org.default_grant_duration_seconds = 1800;
        let effective = Effective::new(&org, &flags());
        assert_eq!(effective.max_grant, 3600);
        assert_eq!(effective.grant_seconds("d", None), Ok(1800));
        assert!(effective.grant_seconds("d", Some(3601)).is_err());
        org.max_grant_duration_seconds = 365 * 86400;
        org.max_session_ttl_seconds = 600;
        let effective = Effective::new(&org, &flags());
        assert_eq!(effective.max_grant, flags().max_grant_seconds());
        assert_eq!(effective.session_ttl(None), Ok(600));
        assert!(effective.session_ttl(Some(601)).is_err());
    }

    #[test]
    fn scope_checks_name_their_rule() {
        let mut org = default_policy(&flags());
        org.allowed_levels = vec![Level::ReadOnly];
        org.allowed_areas = vec![Area::Chats];
        org.require_ticket = true;
        let effective = Effective::new(&org, &flags());
        assert!(
            effective
                .check_scope(Level::Member, &[Area::Chats], Some("T"))
                .unwrap_err()
                .contains("allowed_levels")
        );
        assert!(
            effective
                .check_scope(Level::ReadOnly, &[Area::Issues], Some("T"))
                .unwrap_err()
                .contains("allowed_areas")
        );
        assert!(
            effective
                .check_scope(Level::ReadOnly, &[Area::Chats], None)
                .unwrap_err()
                .contains("require_ticket")
        );
        assert_eq!(
            effective.check_scope(Level::ReadOnly, &[Area::Chats], Some("T")),
            Ok(())
        );
    }

    #[test]
    fn lowered_approvals_and_direct_grants_turned_on_weaken() {
        let before = default_policy(&flags());
        let mut after = before.clone();
        assert!(weakenings(&before, &after).is_empty());
        after.approvals_required.admin = 2;
        after.direct_grants = false;
        assert!(weakenings(&before, &after).is_empty());
        assert_eq!(
            weakenings(&after, &before),
            ["approvals_required.admin", "direct_grants"]
        );
    }

    #[test]
    fn break_glass_turned_on_or_widened_weakens() {
        let before = default_policy(&flags());
        let mut after = before.clone();
        after.break_glass.allowed = true;
        assert_eq!(weakenings(&before, &after), ["break_glass.allowed"]);
        let mut wider = after.clone();
        wider.break_glass.max_level = Level::Admin;
        wider.break_glass.max_duration_seconds = 7200;
        assert_eq!(
            weakenings(&after, &wider),
            ["break_glass.max_level", "break_glass.max_duration_seconds"]
        );
        assert!(weakenings(&wider, &before).is_empty());
        let effective = Effective::new(&wider, &flags());
        assert_eq!(effective.check_break_glass(Level::Admin, 7200), Ok(()));
        assert!(
            effective
                .check_break_glass(Level::Admin, 7201)
                .unwrap_err()
                .contains("max_duration_seconds")
        );
        let effective = Effective::new(&after, &flags());
        assert!(
            effective
                .check_break_glass(Level::Member, 60)
                .unwrap_err()
                .contains("max_level")
        );
        let off = Effective::new(&before, &flags());
        assert!(
            off.check_break_glass(Level::ReadOnly, 60)
                .unwrap_err()
                .contains("break_glass.allowed: false")
        );
    }

    #[test]
    fn an_older_sign_in_or_none_is_refused_once_required() {
        let mut org = default_policy(&flags());
        let now = Timestamp::from_second(1_000_000).unwrap();
        let at = |ago: i64| Some(Timestamp::from_second(1_000_000 - ago).unwrap());
        assert_eq!(
            Effective::new(&org, &flags()).check_auth_age(None, now),
            Ok(())
        );
        org.approval_max_auth_age_seconds = Some(300);
        let effective = Effective::new(&org, &flags());
        assert_eq!(effective.check_auth_age(at(300), now), Ok(()));
        assert!(
            effective
                .check_auth_age(at(301), now)
                .unwrap_err()
                .contains("ago")
        );
        assert!(
            effective
                .check_auth_age(None, now)
                .unwrap_err()
                .contains("not from a sign-in")
        );
        // Dropping the requirement or allowing older sign-ins weakens; shortening does not.
        let mut after = org.clone();
        after.approval_max_auth_age_seconds = Some(60);
        assert!(weakenings(&org, &after).is_empty());
        assert_eq!(weakenings(&after, &org), ["approval_max_auth_age_seconds"]);
        after.approval_max_auth_age_seconds = None;
        assert_eq!(weakenings(&org, &after), ["approval_max_auth_age_seconds"]);
        assert!(weakenings(&after, &org).is_empty());
        let mut put = PutOrgPolicy::from(&org);
        put.approval_max_auth_age_seconds = Some(0);
        assert!(
            validate_document(&put)
                .unwrap_err()
                .contains("approval_max_auth_age_seconds")
        );
    }

    #[test]
    fn sessions_get_only_what_the_policy_allows_now() {
        let limits = ScopeLimits {
            levels: vec![Level::ReadOnly, Level::Admin],
            areas: vec![Area::Chats],
        };
        let grant_areas = [Area::Chats, Area::Issues];
        assert_eq!(
            limits.session_scope(None, None, Level::Member, &grant_areas),
            Ok((Level::ReadOnly, vec![Area::Chats]))
        );
        let asked = limits.session_scope(Some(Level::Member), None, Level::Member, &grant_areas);
        assert!(asked.unwrap_err().contains("allowed_levels"));
        let asked = limits.session_scope(None, Some(&[Area::Issues]), Level::Admin, &grant_areas);
        assert!(asked.unwrap_err().contains("allowed_areas"));
        let none_left = limits.session_scope(None, None, Level::Admin, &[Area::Issues]);
        assert!(none_left.unwrap_err().contains("none of the grant's areas"));
    }

    #[test]
    fn durations_over_the_servers_flags_are_refused_naming_its_limit() {
        let before = default_policy(&flags());
        let mut put = PutOrgPolicy::from(&before);
        assert_eq!(check_server_limits(&put, &before, &flags()), Ok(()));
        put.max_grant_duration_seconds = 40 * 86_400;
        let refused = check_server_limits(&put, &before, &flags()).unwrap_err();
        assert!(refused.starts_with("max_grant_duration_seconds of 3456000s exceeds the server's maximum of 2592000s (30days"), "{refused}");
        put.max_grant_duration_seconds = before.max_grant_duration_seconds;
        put.max_session_ttl_seconds = 9 * 3600;
        assert!(
            check_server_limits(&put, &before, &flags())
                .unwrap_err()
                .contains("--max-session-ttl")
        );
        // A value the org already had, from before the server's flags were lowered, stays.
        let mut lowered = flags();
        lowered.max_session_ttl = Duration::from_secs(3600);
        put.max_session_ttl_seconds = before.max_session_ttl_seconds;
        assert_eq!(check_server_limits(&put, &before, &lowered), Ok(()));
    }

    #[test]
    fn documents_are_validated_and_changes_listed() {
        let before = default_policy(&flags());
        let mut put = PutOrgPolicy::from(&before);
        assert_eq!(validate_document(&put), Ok(()));
        put.default_grant_duration_seconds = put.max_grant_duration_seconds + 1;
        assert!(validate_document(&put).is_err());
        put.default_grant_duration_seconds = 60;
        put.approvals_required.admin = 0;
        assert!(validate_document(&put).is_err());
        put.approvals_required.admin = 2;
        put.allowed_levels = vec![Level::Member, Level::ReadOnly, Level::Member];
        assert_eq!(validate_document(&put), Ok(()));
        let after = normalized(&put, 1);
        assert_eq!(after.allowed_levels, vec![Level::ReadOnly, Level::Member]);
        let changed = changed_fields(&before, &after);
        let fields: Vec<&String> = changed.as_object().unwrap().keys().collect();
        assert_eq!(
            fields,
            [
                "allowed_levels",
                "approvals_required",
                "default_grant_duration_seconds"
            ]
        );
        assert_eq!(changed["approvals_required"]["before"]["admin"], 1);
        assert_eq!(changed["approvals_required"]["after"]["admin"], 2);
    }
}
