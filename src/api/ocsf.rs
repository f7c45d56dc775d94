//! Audit events as OCSF 1.1.0 events, for SIEMs (`audit list -o ocsf`, webhooks with
//! `format: "ocsf"`). Each action maps to one class:
//!
//! - `grant.*`: User Access Management (3005): a grant assigns (revoke and expiry take back)
//!   privileges, one `area:level` string each, to its engineers. A break-glass grant
//!   (`grant.break_glass`) assigns them too, with severity Medium; an admin's acknowledgement
//!   or dispute of it is activity Other.
//! - `session.opened`: Authorize Session (3003): the engineer gets the grant's privileges for
//!   the session. `session.closed` and `session.expired`: Authentication (3002), Logoff; and
//!   sign-ins through an identity provider (`account.login`, `account.login_failed`) its
//!   Logon, with OpenID as the protocol.
//! - `access.allowed`, `access.denied`: API Activity (6003), the platform's authorize call,
//!   Read, Update or Other by what the session wanted (read, write, administer).
//! - the other `account.*`: Account Change (3001); a token rotation is its Password Change,
//!   the token being the account's one credential.
//! - `request.*`, and what has no class of its own (`org.*`: an org is not a user account;
//!   `policy.*`, `approval_rule.*`, `auth.connector.*`, `webhook.*`, `audit.restored`): Entity
//!   Management (3004), the thing changed as its `entity`. Notifications that are not audit events
//!   (`grant.expiring`, `webhook.test`) map the same way: 3005 and 3004, activity Other.
//!
//! The classes of the IAM category declare `actor` only with the `host` profile, so their
//! events list it in `metadata.profiles` (and carry no `device`, which that profile leaves
//! optional); API Activity has `actor` without profiles and declares none. The audit event
//! itself is kept: its id, `seq`, org and action in `metadata` (`uid`, `sequence`,
//! `tenant_uid`, `event_code`), and `seq`, `hash`, `prev_hash`, org, action, target and
//! details in `unmapped`, so that the chain can still be checked from the SIEM.

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::{Actor, AuditEvent};

pub const OCSF_VERSION: &str = "1.1.0";

/// The profiles that IAM events use, for their `actor`.
const IAM_PROFILES: [&str; 1] = ["host"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    AccountChange,
    Authentication,
    AuthorizeSession,
    EntityManagement,
    UserAccessManagement,
    ApiActivity,
}

impl Class {
    fn uid(self) -> i64 {
        match self {
            Class::AccountChange => 3001,
            Class::Authentication => 3002,
            Class::AuthorizeSession => 3003,
            Class::EntityManagement => 3004,
            Class::UserAccessManagement => 3005,
            Class::ApiActivity => 6003,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Class::AccountChange => "Account Change",
            Class::Authentication => "Authentication",
            Class::AuthorizeSession => "Authorize Session",
            Class::EntityManagement => "Entity Management",
            Class::UserAccessManagement => "User Access Management",
            Class::ApiActivity => "API Activity",
        }
    }

    /// Category: 3 Identity & Access Management, 6 Application Activity.
    fn category(self) -> (i64, &'static str) {
        match self {
            Class::ApiActivity => (6, "Application Activity"),
            _ => (3, "Identity & Access Management"),
        }
    }
}

/// The OCSF event of one audit event.
pub fn ocsf_event(event: &AuditEvent) -> Value {
    let mut ocsf = build(
        &event.action,
        event.at,
        &event.org,
        Some(&event.actor),
        event.target.as_deref(),
        &event.details,
    );
    let metadata = &mut ocsf["metadata"];
    metadata["uid"] = json!(event.id);
    metadata["sequence"] = json!(event.seq);
    ocsf["unmapped"] = json!({
        "seq": event.seq,
        "id": event.id,
        "org": event.org,
        "action": event.action,
        "target": event.target,
        "actor_id": event.actor.id,
        "details": event.details,
        "hash": event.hash,
        "prev_hash": event.prev_hash,
    });
    ocsf
}

/// The OCSF event of a webhook notification that is not an audit event (`grant.expiring`,
/// `webhook.test`): its `data` is what the standard format sends.
pub fn ocsf_notification(event_type: &str, at: Timestamp, data: &Value) -> Value {
    let text = |key: &str| data.get(key).and_then(Value::as_str).unwrap_or_default();
    let target = match event_type {
        "webhook.test" => text("webhook_id"),
        _ => text("id"),
    };
    let mut ocsf = build(event_type, at, text("org"), None, Some(target), data);
    ocsf["unmapped"] = json!({"org": text("org"), "action": event_type, "data": data});
    ocsf
}

fn build(
    action: &str,
    at: Timestamp,
    org: &str,
    actor: Option<&Actor>,
    target: Option<&str>,
    details: &Value,
) -> Value {
    let detail = |key: &str| details.get(key).and_then(Value::as_str);
    let target = target.unwrap_or_default();
    let (kind, verb) = action.split_once('.').unwrap_or((action, ""));
    let mut fields = Map::new();
    let mut failed = false;
    let (class, activity_id, activity_name) = match (kind, verb) {
        ("grant", verb) => {
            let (id, name) = match verb {
                "created" | "break_glass" => (1, "Assign Privileges"),
                "revoked" | "expired" => (2, "Revoke Privileges"),
                "extended" => (99, "Extend"),
                "acknowledged" => (99, "Acknowledge"),
                "disputed" => (99, "Dispute"),
                _ => (99, "Other"),
            };
            fields.insert("privileges".into(), json!(privileges(details, target)));
            fields.insert("user".into(), engineers(details));
            fields.insert("resource".into(), json!({"uid": target, "type": "grant"}));
            (Class::UserAccessManagement, id, name)
        }
        ("session", "opened") => {
            fields.insert("privileges".into(), json!(privileges(details, target)));
            fields.insert("user".into(), session_user(actor, details));
            fields.insert("session".into(), session(target, details));
            (Class::AuthorizeSession, 1, "Assign Privileges")
        }
        ("session", _) => {
            fields.insert("user".into(), session_user(actor, details));
            let mut session = session(target, details);
            if let Some(reason) = detail("reason") {
                session["expiration_reason"] = json!(reason);
            }
            fields.insert("session".into(), session);
            // Authentication needs the service (or endpoint) signed off from.
            fields.insert("service".into(), json!({"name": "supportctl"}));
            (Class::Authentication, 2, "Logoff")
        }
        ("access", verb) => {
            failed = verb == "denied";
            let (id, name) = match detail("action") {
                Some("read") => (2, "Read"),
                Some("write") => (3, "Update"),
                _ => (99, "Other"),
            };
            fields.insert(
                "api".into(),
                json!({"operation": "authorize", "service": {"name": "supportctl"}}),
            );
            // The platform service that asked; its address is not recorded.
            fields.insert(
                "src_endpoint".into(),
                json!({"svc_name": detail("reported_by").unwrap_or("unknown")}),
            );
            let mut resource = json!({
                "type": detail("area").unwrap_or("unknown"),
                "name": detail("resource").unwrap_or("*"),
            });
            if let Some(area) = detail("area") {
                resource["group"] = json!({"name": area});
            }
            fields.insert("resources".into(), json!([resource]));
            if let Some(reason) = detail("reason") {
                fields.insert("status_detail".into(), json!(reason));
            }
            (Class::ApiActivity, id, name)
        }
        ("account", "login" | "login_failed") => {
            failed = verb == "login_failed";
            let mut user = json!({"uid": target});
            if let Some(email) = detail("email") {
                user["name"] = json!(email);
                if let Some(email) = valid_email(email) {
                    user["email_addr"] = json!(email);
                }
            }
            fields.insert("user".into(), user);
            fields.insert("service".into(), json!({"name": "supportctl"}));
            fields.insert("auth_protocol_id".into(), json!(4));
            fields.insert("auth_protocol".into(), json!("OpenID"));
            if let Some(reason) = detail("reason") {
                fields.insert("status_detail".into(), json!(reason));
            }
            (Class::Authentication, 1, "Logon")
        }
        ("account", verb) => {
            let (id, name) = match verb {
                "created" => (1, "Create"),
                "disabled" => (5, "Disable"),
                "token_rotated" => (3, "Password Change"),
                _ => (99, "Other"),
            };
            let mut user = json!({"uid": target});
            if let Some(email) = detail("email") {
                user["name"] = json!(email);
                if let Some(email) = valid_email(email) {
                    user["email_addr"] = json!(email);
                }
            }
            if let Some(role) = detail("role") {
                user["type"] = json!(role);
                user["type_id"] = json!(role_type_id(role));
            }
            fields.insert("user".into(), user);
            (Class::AccountChange, id, name)
        }
        (kind, verb) => {
            // `auth.connector.created`: the entity is the connector, the verb what befell it.
            let (kind, verb) = match (kind, verb.split_once('.')) {
                ("auth", Some((entity, verb))) => (entity, verb),
                _ => (kind, verb),
            };
            let (id, name) = match verb {
                "created" => (1, "Create"),
                "removed" => (4, "Delete"),
                "test" => (99, "Other"),
                _ => (3, "Update"),
            };
            let (uid, entity_type) = match kind {
                "org" => (org, "org"),
                "policy" => (org, "policy"),
                "audit" => (org, "audit log"),
                "request" => (target, "access request"),
                "approval_rule" => (target, "approval rule"),
                "connector" => (target, "sign-in connector"),
                _ => (target, kind),
            };
            let mut entity = json!({"uid": uid, "type": entity_type});
            if kind == "org" || kind == "audit" {
                entity["name"] = json!(org);
            }
            fields.insert("entity".into(), entity);
            (Class::EntityManagement, id, name)
        }
    };
    // A break-glass grant started before any admin of the org approved it: not routine.
    let alarm = action == "grant.break_glass";
    let (category_uid, category_name) = class.category();
    let mut metadata = json!({
        "version": OCSF_VERSION,
        "product": {
            "name": "supportctl",
            "vendor_name": "supportctl",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "log_name": "audit",
        "event_code": action,
        "tenant_uid": org,
    });
    if category_uid == 3 {
        metadata["profiles"] = json!(IAM_PROFILES);
    }
    let mut ocsf = json!({
        "class_uid": class.uid(),
        "class_name": class.name(),
        "category_uid": category_uid,
        "category_name": category_name,
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": class.uid() * 100 + activity_id,
        "type_name": format!("{}: {activity_name}", class.name()),
        "severity_id": if alarm { 3 } else if failed { 2 } else { 1 },
        "severity": if alarm { "Medium" } else if failed { "Low" } else { "Informational" },
        "status_id": if failed { 2 } else { 1 },
        "status": if failed { "Failure" } else { "Success" },
        "time": at.as_millisecond(),
        "message": action,
        "metadata": metadata,
    });
    if let Some(actor) = actor {
        let mut by = json!({"user": user_of(actor)});
        if class == Class::ApiActivity && !target.is_empty() {
            by["session"] = json!({"uid": target});
        }
        ocsf["actor"] = by;
    }
    for (key, value) in fields {
        ocsf[key] = value;
    }
    ocsf
}

/// `area:level`, one per area the event covers; the grant itself when it names none (revoke,
/// expiry and extension do not repeat them).
fn privileges(details: &Value, target: &str) -> Vec<String> {
    let level = details.get("level").and_then(Value::as_str);
    let areas = details.get("areas").and_then(Value::as_array);
    match (level, areas) {
        (Some(level), Some(areas)) if !areas.is_empty() => areas
            .iter()
            .filter_map(Value::as_str)
            .map(|area| format!("{area}:{level}"))
            .collect(),
        _ => vec![format!("grant:{target}")],
    }
}

/// The engineers of a grant, as one user: the one engineer, or the list of them, or the
/// whole support team when the grant names none; unknown when the event does not say
/// (revoke, expiry and extension name only the grant).
fn engineers(details: &Value) -> Value {
    let Some(list) = details.get("engineers").and_then(Value::as_array) else {
        return json!({"name": "unknown", "type_id": 0});
    };
    let emails: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
    match emails.as_slice() {
        [email] => email_user(email),
        [] => json!({"name": "support team", "type": "support", "type_id": 1}),
        many => json!({"name": many.join(", "), "type": "support", "type_id": 1}),
    }
}

fn email_user(email: &str) -> Value {
    let mut user = json!({"name": email, "type": "support", "type_id": 1});
    if let Some(email) = valid_email(email) {
        user["email_addr"] = json!(email);
    }
    user
}

/// The engineer of a session: named in `session.opened`, the actor when the engineer ended
/// it, unknown when an admin or the server did.
fn session_user(actor: Option<&Actor>, details: &Value) -> Value {
    if let Some(email) = details.get("engineer").and_then(Value::as_str) {
        return email_user(email);
    }
    match actor {
        Some(actor) if actor.role == "support" => user_of(actor),
        _ => json!({"name": "unknown", "type_id": 0}),
    }
}

fn session(target: &str, details: &Value) -> Value {
    let mut session = json!({"uid": target});
    if let Some(expires) = details
        .get("expires_at")
        .and_then(Value::as_str)
        .and_then(|text| text.parse::<Timestamp>().ok())
    {
        session["expiration_time"] = json!(expires.as_millisecond());
    }
    session
}

fn user_of(actor: &Actor) -> Value {
    let mut user = json!({
        "uid": actor.id,
        "name": if actor.email.is_empty() { &actor.id } else { &actor.email },
        "type": actor.role,
        "type_id": role_type_id(&actor.role),
    });
    if let Some(email) = valid_email(&actor.email) {
        user["email_addr"] = json!(email);
    }
    user
}

/// OCSF user types: 1 User, 2 Admin, 3 System, 99 Other.
fn role_type_id(role: &str) -> i64 {
    match role {
        "support" => 1,
        "admin" | "operator" => 2,
        "system" => 3,
        _ => 99,
    }
}

/// `email_addr` only in the shape OCSF's email type accepts (ASCII `local@domain.tld`); any
/// other address stays in `name`.
fn valid_email(email: &str) -> Option<&str> {
    let (local, domain) = email.split_once('@')?;
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c));
    let domain_ok = domain.split_once('.').is_some_and(|(head, tail)| {
        !head.is_empty()
            && head.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !tail.is_empty()
            && tail
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    });
    (local_ok && domain_ok).then_some(email)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::AUDIT_ACTIONS;

    fn event(action: &str, actor_role: &str, details: Value) -> AuditEvent {
        AuditEvent {
            seq: 7,
            id: "ev_1".into(),
            at: "2026-01-02T03:04:05.678Z".parse().unwrap(),
            org: "acme".into(),
            actor: Actor {
                id: "ac_1".into(),
                email: "ann@vendor.example".into(),
                role: actor_role.into(),
            },
            action: action.into(),
            target: Some("gr_1".into()),
            details,
            prev_hash: "00".repeat(32),
            hash: "ab".repeat(32),
        }
    }

    #[test]
    fn every_action_maps_to_a_class_with_a_consistent_type() {
        for action in AUDIT_ACTIONS {
            let ocsf = ocsf_event(&event(action, "admin", json!({})));
            let class = ocsf["class_uid"].as_i64().unwrap();
            assert!(
                [3001, 3002, 3003, 3004, 3005, 6003].contains(&class),
                "{action}"
            );
            assert_eq!(
                ocsf["type_uid"].as_i64().unwrap(),
                class * 100 + ocsf["activity_id"].as_i64().unwrap(),
                "{action}"
            );
            assert_eq!(ocsf["time"], 1_767_323_045_678_i64);
            assert_eq!(ocsf["metadata"]["version"], "1.1.0");
            assert_eq!(ocsf["metadata"]["event_code"], action);
            assert_eq!(ocsf["unmapped"]["seq"], 7);
            assert_eq!(ocsf["unmapped"]["hash"], "ab".repeat(32));
            assert_eq!(ocsf["unmapped"]["prev_hash"], "00".repeat(32));
            assert_eq!(ocsf["unmapped"]["org"], "acme");
        }
    }

    #[test]
    fn classes_follow_the_kind_of_action() {
        let class =
            |action: &str| ocsf_event(&event(action, "admin", json!({})))["class_uid"].clone();
        assert_eq!(class("grant.created"), 3005);
        assert_eq!(class("grant.revoked"), 3005);
        assert_eq!(class("session.opened"), 3003);
        assert_eq!(class("session.closed"), 3002);
        assert_eq!(class("session.expired"), 3002);
        assert_eq!(class("access.allowed"), 6003);
        assert_eq!(class("request.created"), 3004);
        assert_eq!(class("account.created"), 3001);
        assert_eq!(class("org.created"), 3004);
        assert_eq!(class("policy.updated"), 3004);
        assert_eq!(class("webhook.removed"), 3004);
        assert_eq!(class("approval_rule.created"), 3004);
        assert_eq!(class("audit.restored"), 3004);
        let removed = ocsf_event(&event("approval_rule.removed", "admin", json!({})));
        assert_eq!(removed["activity_name"], "Delete");
        assert_eq!(removed["entity"]["type"], "approval rule");
    }

    #[test]
    fn a_denied_access_is_a_failure_and_an_allowed_one_a_success() {
        let details = json!({"area": "chats", "action": "write", "resource": "c/1",
            "reason": "outside the grant", "reported_by": "svc@vendor.example"});
        let denied = ocsf_event(&event("access.denied", "support", details.clone()));
        assert_eq!(denied["status_id"], 2);
        assert_eq!(denied["status_detail"], "outside the grant");
        assert_eq!(denied["activity_id"], 3);
        assert_eq!(denied["type_uid"], 600303);
        assert_eq!(denied["actor"]["session"]["uid"], "gr_1");
        assert_eq!(denied["src_endpoint"]["svc_name"], "svc@vendor.example");
        let allowed = ocsf_event(&event("access.allowed", "support", details));
        assert_eq!(allowed["status_id"], 1);
        assert!(allowed["metadata"].get("profiles").is_none());
    }

    #[test]
    fn a_grant_assigns_one_privilege_per_area_to_its_engineer() {
        let details = json!({"level": "admin", "areas": ["chats", "issues"],
            "engineers": ["eve@vendor.example"]});
        let ocsf = ocsf_event(&event("grant.created", "admin", details));
        assert_eq!(ocsf["privileges"], json!(["chats:admin", "issues:admin"]));
        assert_eq!(ocsf["user"]["email_addr"], "eve@vendor.example");
        assert_eq!(ocsf["actor"]["user"]["type_id"], 2);
        assert_eq!(ocsf["metadata"]["profiles"], json!(["host"]));
    }

    #[test]
    fn a_grant_without_engineers_is_the_team_and_one_that_does_not_say_is_unknown() {
        let team = ocsf_event(&event("grant.created", "admin", json!({"engineers": []})));
        assert_eq!(team["user"]["name"], "support team");
        let revoked = ocsf_event(&event("grant.revoked", "admin", json!({"reason": "done"})));
        assert_eq!(revoked["user"], json!({"name": "unknown", "type_id": 0}));
        assert_eq!(revoked["privileges"], json!(["grant:gr_1"]));
        assert_eq!(revoked["activity_id"], 2);
    }

    #[test]
    fn a_break_glass_grant_assigns_privileges_with_a_raised_severity() {
        let details = json!({"level": "member", "areas": ["chats"],
            "engineers": ["eve@vendor.example"], "break_glass": true});
        let ocsf = ocsf_event(&event("grant.break_glass", "operator", details));
        assert_eq!(
            (ocsf["class_uid"].clone(), ocsf["activity_id"].clone()),
            (json!(3005), json!(1))
        );
        assert_eq!(ocsf["severity_id"], 3);
        assert_eq!(ocsf["privileges"], json!(["chats:member"]));
        let disputed = ocsf_event(&event("grant.disputed", "admin", json!({"reason": "no"})));
        assert_eq!(
            (
                disputed["class_uid"].clone(),
                disputed["activity_name"].clone()
            ),
            (json!(3005), json!("Dispute"))
        );
        assert_eq!(disputed["severity_id"], 1);
        let confirmed = ocsf_event(&event("request.confirmed", "operator", json!({})));
        assert_eq!(confirmed["class_uid"], 3004);
    }

    #[test]
    fn only_plain_ascii_addresses_become_email_addr() {
        assert_eq!(valid_email("a.b+c@x-y.example"), Some("a.b+c@x-y.example"));
        assert_eq!(valid_email("ünï@x.example"), None);
        assert_eq!(valid_email("a@localhost"), None);
        assert_eq!(valid_email("system"), None);
    }

    #[test]
    fn notifications_map_too() {
        let at = "2026-01-02T03:04:05Z".parse().unwrap();
        let test = ocsf_notification(
            "webhook.test",
            at,
            &json!({"org": "acme", "webhook_id": "wh_1"}),
        );
        assert_eq!(
            (test["class_uid"].clone(), test["activity_id"].clone()),
            (json!(3004), json!(99))
        );
        assert_eq!(test["entity"]["uid"], "wh_1");
        let expiring =
            ocsf_notification("grant.expiring", at, &json!({"org": "acme", "id": "gr_1"}));
        assert_eq!(expiring["class_uid"], 3005);
        assert!(expiring.get("actor").is_none());
    }
}
