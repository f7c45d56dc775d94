//! Auto-approval rules: what an org's admins may set (never wider than their policy, never
//! longer than 90 days), and whether a request is entirely inside one. Pure; the store matches
//! under the org's lock, so that a rule removed while a request is filed either approved it
//! before the removal committed or not at all.

use jiff::Timestamp;
use regex::{Regex, RegexBuilder};

use super::policy::Effective;
use crate::api::{ApprovalRule, Area, CreateApprovalRule, Level, RuleStatus, Weekday, join_areas};

/// How far ahead a rule may expire.
pub const MAX_RULE_DAYS: i64 = 90;
/// Rules in force per org.
pub const MAX_RULES_PER_ORG: i64 = 50;
/// The longest ticket pattern.
const MAX_PATTERN: usize = 200;
/// The most engineers a rule may name.
const MAX_ENGINEERS: usize = 100;

/// Why a rule cannot be made: malformed (400), not possible as asked (422), or wider than the
/// org's policy (422, `policy_violation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleRefusal {
    Invalid(String),
    Unprocessable(String),
    Policy(String),
}

/// A rule as checked, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    pub name: String,
    pub max_level: Level,
    pub areas: Vec<Area>,
    pub max_duration_seconds: i64,
    pub ticket_pattern: Option<String>,
    pub engineers: Option<Vec<String>>,
    pub weekdays: Option<Vec<Weekday>>,
    pub hours_utc: Option<(i64, i64)>,
    pub expires_at: Timestamp,
    /// The version of the org's policy the rule was checked against.
    pub policy_version: i64,
}

/// What a request asks, as a rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub requester: &'a str,
    pub level: Level,
    pub areas: &'a [Area],
    pub duration_seconds: i64,
    pub ticket: Option<&'a str>,
}

/// A rule's name: 1 to 64 letters, digits, `-`, `_` or `.`, starting with a letter or digit.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The ticket pattern compiled to match a whole ticket.
pub fn ticket_regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("ticket_pattern is not a regular expression: {e}"))
}

/// Checks a rule an admin asks for against the org's `policy` at `now`.
pub fn check_rule(
    body: &CreateApprovalRule,
    policy: &Effective,
    now: Timestamp,
) -> Result<NewRule, RuleRefusal> {
    use RuleRefusal::{Invalid, Policy, Unprocessable};
    let name = body.name.trim();
    if !valid_name(name) {
        return Err(Invalid(format!(
            "name '{}' must be 1 to 64 letters, digits, '-', '_' or '.', starting with a \
             letter or digit",
            body.name.escape_debug()
        )));
    }
    if body.areas.is_empty() {
        return Err(Invalid("areas must name at least one area".into()));
    }
    let mut areas = body.areas.clone();
    areas.sort();
    areas.dedup();
    if body.max_duration_seconds <= 0 {
        return Err(Invalid(format!(
            "max_duration_seconds must be a positive number of seconds, got {}",
            body.max_duration_seconds
        )));
    }
    let ticket_pattern = match body.ticket_pattern.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(pattern) => {
            if pattern.chars().count() > MAX_PATTERN || pattern.chars().any(char::is_control) {
                return Err(Invalid(format!(
                    "ticket_pattern must be at most {MAX_PATTERN} characters without control \
                     characters"
                )));
            }
            ticket_regex(pattern).map_err(Unprocessable)?;
            Some(pattern.to_owned())
        }
    };
    let engineers = match &body.engineers {
        None => None,
        Some(list) if list.is_empty() || list.len() > MAX_ENGINEERS => {
            return Err(Invalid(format!(
                "engineers must name 1 to {MAX_ENGINEERS} support engineers (omit it for any)"
            )));
        }
        Some(list) => {
            let mut emails = Vec::with_capacity(list.len());
            for email in list {
                // Like a name that is no support engineer's: well-formed JSON, no one to match.
                let email = crate::server::validate::email(email.trim())
                    .map_err(|e| Unprocessable(format!("engineers: {e}")))?;
                emails.push(email.to_owned());
            }
            emails.sort();
            emails.dedup();
            Some(emails)
        }
    };
    let weekdays = match &body.weekdays {
        None => None,
        Some(days) if days.is_empty() => {
            return Err(Invalid(
                "weekdays must name at least one day (omit it for every day)".into(),
            ));
        }
        Some(days) => {
            let mut days = days.clone();
            days.sort();
            days.dedup();
            Some(days)
        }
    };
    // Two hours 0 to 24 is the documented shape (400 otherwise); which of those pairs make a
    // window is a rule of its own (422).
    let hours_utc = match body.hours_utc.as_deref() {
        None => None,
        Some(&[start, end]) if (0..=24).contains(&start) && (0..=24).contains(&end) => {
            if start == 24 || start == end {
                return Err(Unprocessable(format!(
                    "hours_utc [{start}, {end}] is no window: start an hour 0 to 23, end a \
                     later hour up to 24 or an earlier one to span midnight, never the same \
                     (omit it for all day)"
                )));
            }
            Some((start, end))
        }
        Some(_) => {
            return Err(Invalid(
                "hours_utc must be [start, end]: two hours from 0 to 24 (UTC)".into(),
            ));
        }
    };
    if body.expires_at <= now {
        return Err(Unprocessable(format!(
            "expires_at {} is not in the future",
            body.expires_at
        )));
    }
    let latest = now.as_second() + MAX_RULE_DAYS * 24 * 3600;
    if body.expires_at.as_second() > latest {
        return Err(Unprocessable(format!(
            "expires_at {} is more than {MAX_RULE_DAYS} days ahead; a rule must be renewed \
             by making it again",
            body.expires_at
        )));
    }
    // Never wider than the policy: everything the rule could approve must be grantable now.
    if !policy.allowed_levels.contains(&body.max_level) {
        return Err(Policy(format!(
            "max_level {} is wider than the org's policy (allowed_levels: {})",
            body.max_level,
            policy
                .allowed_levels
                .iter()
                .map(Level::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let outside: Vec<Area> = areas
        .iter()
        .filter(|area| !policy.allowed_areas.contains(area))
        .copied()
        .collect();
    if !outside.is_empty() {
        return Err(Policy(format!(
            "areas {} are wider than the org's policy (allowed_areas: {})",
            join_areas(&outside),
            join_areas(&policy.allowed_areas)
        )));
    }
    if body.max_duration_seconds > policy.max_grant {
        return Err(Policy(format!(
            "max_duration_seconds of {}s is wider than the org's maximum grant duration of {}s",
            body.max_duration_seconds, policy.max_grant
        )));
    }
    Ok(NewRule {
        name: name.to_owned(),
        max_level: body.max_level,
        areas,
        max_duration_seconds: body.max_duration_seconds,
        ticket_pattern,
        engineers,
        weekdays,
        hours_utc,
        expires_at: body.expires_at,
        policy_version: policy.version,
    })
}

/// A rule's status at `now`.
pub fn rule_status(
    expires_at: Timestamp,
    removed_at: Option<Timestamp>,
    now: Timestamp,
) -> RuleStatus {
    if removed_at.is_some() {
        RuleStatus::Removed
    } else if expires_at <= now {
        RuleStatus::Expired
    } else {
        RuleStatus::Active
    }
}

fn weekday_of(now: Timestamp) -> Weekday {
    match now.to_zoned(jiff::tz::TimeZone::UTC).weekday() {
        jiff::civil::Weekday::Monday => Weekday::Mon,
        jiff::civil::Weekday::Tuesday => Weekday::Tue,
        jiff::civil::Weekday::Wednesday => Weekday::Wed,
        jiff::civil::Weekday::Thursday => Weekday::Thu,
        jiff::civil::Weekday::Friday => Weekday::Fri,
        jiff::civil::Weekday::Saturday => Weekday::Sat,
        jiff::civil::Weekday::Sunday => Weekday::Sun,
    }
}

/// Whether `asked`, filed at `now`, is entirely inside `rule` (which must be in force).
pub fn covers(rule: &ApprovalRule, asked: &Asked<'_>, now: Timestamp) -> bool {
    if rule_status(rule.expires_at, rule.removed_at, now) != RuleStatus::Active {
        return false;
    }
    if asked.level > rule.max_level
        || asked.duration_seconds > rule.max_duration_seconds
        || !asked.areas.iter().all(|area| rule.areas.contains(area))
    {
        return false;
    }
    if let Some(engineers) = &rule.engineers
        && !engineers.iter().any(|e| e == asked.requester)
    {
        return false;
    }
    if let Some(pattern) = &rule.ticket_pattern {
        let Some(ticket) = asked.ticket else {
            return false;
        };
        // A pattern that no longer compiles (stored by an older server) matches nothing.
        if !ticket_regex(pattern).is_ok_and(|re| re.is_match(ticket)) {
            return false;
        }
    }
    if let Some(days) = &rule.weekdays
        && !days.contains(&weekday_of(now))
    {
        return false;
    }
    if let Some(hours) = rule.hours_utc.as_deref()
        && let [start, end] = *hours
    {
        let hour = i64::from(now.to_zoned(jiff::tz::TimeZone::UTC).hour());
        let inside = if start < end {
            (start..end).contains(&hour)
        } else {
            hour >= start || hour < end
        };
        if !inside {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::domain::policy::default_policy;
    use crate::server::policy::Policy;

    // 2026-01-05 is a Monday.
    fn monday_at(hour: i64) -> Timestamp {
        Timestamp::from_second(1_767_571_200 + hour * 3600).unwrap()
    }

    fn policy() -> Effective {
        Effective::new(&default_policy(&Policy::default()), &Policy::default())
    }

    fn body() -> CreateApprovalRule {
        CreateApprovalRule {
            name: "weekday-chats".into(),
            max_level: Level::Member,
            areas: vec![Area::Issues, Area::Chats, Area::Chats],
            max_duration_seconds: 4 * 3600,
            ticket_pattern: Some("INC-[0-9]+".into()),
            engineers: None,
            weekdays: Some(vec![Weekday::Fri, Weekday::Mon]),
            hours_utc: Some(vec![8, 18]),
            expires_at: monday_at(24 * 30),
        }
    }

    fn rule(new: &NewRule) -> ApprovalRule {
        ApprovalRule {
            id: "ar_1".into(),
            org: "acme".into(),
            name: new.name.clone(),
            max_level: new.max_level,
            areas: new.areas.clone(),
            max_duration_seconds: new.max_duration_seconds,
            ticket_pattern: new.ticket_pattern.clone(),
            engineers: new.engineers.clone(),
            weekdays: new.weekdays.clone(),
            hours_utc: new.hours_utc.map(|(a, b)| vec![a, b]),
            expires_at: new.expires_at,
            created_by: "admin@acme.test".into(),
            created_at: monday_at(0),
            removed_at: None,
            removed_by: None,
            status: RuleStatus::Active,
        }
    }

    fn asked(ticket: Option<&'static str>) -> Asked<'static> {
        Asked {
            requester: "eng@vendor.test",
            level: Level::ReadOnly,
            areas: &[Area::Chats],
            duration_seconds: 3600,
            ticket,
        }
    }

    #[test]
    fn a_rule_is_normalized_and_matches_inside_its_days_hours_and_ticket() {
        let new = check_rule(&body(), &policy(), monday_at(0)).unwrap();
        assert_eq!(new.areas, vec![Area::Chats, Area::Issues]);
        assert_eq!(new.weekdays, Some(vec![Weekday::Mon, Weekday::Fri]));
        let rule = rule(&new);
        assert!(covers(&rule, &asked(Some("INC-42")), monday_at(9)));
        assert!(!covers(&rule, &asked(Some("INC-42x")), monday_at(9)));
        assert!(!covers(&rule, &asked(None), monday_at(9)));
        assert!(!covers(&rule, &asked(Some("INC-42")), monday_at(18)));
        assert!(!covers(&rule, &asked(Some("INC-42")), monday_at(24 + 9)));
        let mut wide = asked(Some("INC-1"));
        wide.areas = &[Area::Chats, Area::Documents];
        assert!(!covers(&rule, &wide, monday_at(9)));
        wide = asked(Some("INC-1"));
        wide.level = Level::Admin;
        assert!(!covers(&rule, &wide, monday_at(9)));
        wide = asked(Some("INC-1"));
        wide.duration_seconds = 4 * 3600 + 1;
        assert!(!covers(&rule, &wide, monday_at(9)));
        // Expired rules stop matching without anyone recording it.
        assert!(!covers(&rule, &asked(Some("INC-1")), monday_at(24 * 35)));
    }

    #[test]
    fn hours_may_span_midnight_and_engineers_narrow_who() {
        let mut body = body();
        body.hours_utc = Some(vec![22, 6]);
        body.weekdays = None;
        body.ticket_pattern = None;
        body.engineers = Some(vec!["eng@vendor.test".into()]);
        let rule = rule(&check_rule(&body, &policy(), monday_at(0)).unwrap());
        assert!(covers(&rule, &asked(None), monday_at(23)));
        assert!(covers(&rule, &asked(None), monday_at(5)));
        assert!(!covers(&rule, &asked(None), monday_at(12)));
        let mut other = asked(None);
        other.requester = "someone@vendor.test";
        assert!(!covers(&rule, &other, monday_at(23)));
    }

    #[test]
    fn a_rule_is_never_wider_than_the_policy_nor_longer_than_90_days() {
        let now = monday_at(0);
        let mut narrow = policy();
        narrow.allowed_levels = vec![Level::ReadOnly];
        assert!(matches!(
            check_rule(&body(), &narrow, now),
            Err(RuleRefusal::Policy(_))
        ));
        let mut narrow = policy();
        narrow.allowed_areas = vec![Area::Chats];
        assert!(matches!(
            check_rule(&body(), &narrow, now),
            Err(RuleRefusal::Policy(_))
        ));
        let mut narrow = policy();
        narrow.max_grant = 3600;
        assert!(matches!(
            check_rule(&body(), &narrow, now),
            Err(RuleRefusal::Policy(_))
        ));
        let mut late = body();
        late.expires_at = Timestamp::from_second(now.as_second() + 90 * 86400 + 1).unwrap();
        assert!(matches!(
            check_rule(&late, &policy(), now),
            Err(RuleRefusal::Unprocessable(_))
        ));
        late.expires_at = now;
        assert!(matches!(
            check_rule(&late, &policy(), now),
            Err(RuleRefusal::Unprocessable(_))
        ));
        for hours in [vec![1], vec![0, 25], vec![-1, 3], vec![1, 2, 3]] {
            let mut bad = body();
            bad.hours_utc = Some(hours.clone());
            assert!(
                matches!(
                    check_rule(&bad, &policy(), now),
                    Err(RuleRefusal::Invalid(_))
                ),
                "{hours:?}"
            );
        }
        for hours in [vec![3, 3], vec![24, 2], vec![0, 0], vec![24, 24]] {
            let mut bad = body();
            bad.hours_utc = Some(hours.clone());
            assert!(
                matches!(
                    check_rule(&bad, &policy(), now),
                    Err(RuleRefusal::Unprocessable(_))
                ),
                "{hours:?}"
            );
        }
        let mut bad = body();
        bad.ticket_pattern = Some("(".into());
        assert!(matches!(
            check_rule(&bad, &policy(), now),
            Err(RuleRefusal::Unprocessable(_))
        ));
        bad = body();
        bad.name = "bad\u{1b}[31m".into();
        assert!(matches!(
            check_rule(&bad, &policy(), now),
            Err(RuleRefusal::Invalid(_))
        ));
    }
}
