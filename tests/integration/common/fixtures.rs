//! Shared steps of the API conformance tests: accounts and orgs made through the operator API,
//! the platform's questions (introspect, authorize), the audit log, and snapshots of everything
//! a refused request must leave alone.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde_json::{Value, json};
use supportctl::server::clock::Clock;

use crate::common::harness::{Api, Reply, TestServer};

pub const ACME: &str = "acme";
pub const OPERATOR_EMAIL: &str = "operator@supportctl.test";
pub const ADMIN_EMAIL: &str = "admin@acme.test";
pub const SUPPORT_EMAIL: &str = "support@supportctl.test";
pub const SERVICE_EMAIL: &str = "platform@supportctl.test";

pub const HOUR: i64 = 3600;
pub const DAY: i64 = 24 * HOUR;
/// The default policy's limits.
pub const DEFAULT_GRANT: i64 = 8 * HOUR;
pub const MAX_GRANT: i64 = 30 * DAY;
pub const DEFAULT_TTL: i64 = HOUR;
pub const MAX_TTL: i64 = 8 * HOUR;

pub const ALL_AREAS: [&str; 6] = [
    "chats",
    "source-code",
    "employee-data",
    "issues",
    "documents",
    "checklists",
];

thread_local! {
    /// Clients by (server, token), for the test running on this thread.
    static CLIENTS: RefCell<HashMap<(String, String), Rc<Api>>> = RefCell::default();
}

/// A client acting with `token` on `server`, built once per test: building one costs tens of
/// milliseconds (a runtime thread and the TLS roots), and helpers such as [`introspect`] run
/// often.
pub fn client(server: &TestServer, token: &str) -> Rc<Api> {
    CLIENTS.with(|clients| {
        clients
            .borrow_mut()
            .entry((server.url.clone(), token.to_owned()))
            .or_insert_with(|| Rc::new(server.as_token(token)))
            .clone()
    })
}

pub fn operator(server: &TestServer) -> Rc<Api> {
    client(server, &server.tokens.operator)
}

pub fn admin(server: &TestServer) -> Rc<Api> {
    client(server, &server.tokens.admin)
}

pub fn support(server: &TestServer) -> Rc<Api> {
    client(server, &server.tokens.support)
}

pub fn service(server: &TestServer) -> Rc<Api> {
    client(server, &server.tokens.service)
}

/// An account created through `POST /v1/accounts`.
pub struct Account {
    pub id: String,
    pub email: String,
    pub token: String,
}

/// Creates an account as the operator; panics unless the server answers 201.
pub fn create_account(server: &TestServer, email: &str, role: &str, org: Option<&str>) -> Account {
    let mut body = json!({ "email": email, "role": role });
    if let Some(org) = org {
        body["org"] = json!(org);
    }
    let reply = operator(server).post("/v1/accounts", body);
    assert_eq!(reply.status, 201, "account create failed: {}", reply.body);
    Account {
        id: reply.body["account"]["id"].as_str().unwrap().to_owned(),
        email: email.to_owned(),
        token: reply.body["token"].as_str().unwrap().to_owned(),
    }
}

/// A second support engineer (not the dev one).
pub fn create_support(server: &TestServer, email: &str) -> Account {
    create_account(server, email, "support", None)
}

/// Creates org `slug` and an admin for it; returns the admin.
pub fn create_org_with_admin(server: &TestServer, slug: &str) -> Account {
    let reply = operator(server).post(
        "/v1/orgs",
        json!({ "slug": slug, "name": format!("{slug} Inc.") }),
    );
    assert_eq!(reply.status, 201, "org create failed: {}", reply.body);
    create_account(server, &format!("admin@{slug}.test"), "admin", Some(slug))
}

/// Creates a grant in `org` as `admin`; returns its id.
pub fn grant_in(admin: &Api, org: &str, body: Value) -> String {
    let reply = admin.post(&format!("/v1/orgs/{org}/grants"), body);
    assert_eq!(reply.status, 201, "grant create failed: {}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

/// Opens a session in `org`; returns (session id, token).
pub fn open_in(support: &Api, org: &str, body: Value) -> (String, String) {
    let reply = support.post(&format!("/v1/orgs/{org}/sessions"), body);
    assert_eq!(reply.status, 201, "session open failed: {}", reply.body);
    (
        reply.body["session"]["id"].as_str().unwrap().to_owned(),
        reply.body["token"].as_str().unwrap().to_owned(),
    )
}

pub fn revoke(admin: &Api, org: &str, grant: &str) -> Reply {
    let reply = admin.post_empty(&format!("/v1/orgs/{org}/grants/{grant}/revoke"));
    reply.assert_ok();
    reply
}

pub fn get_grant(admin: &Api, org: &str, grant: &str) -> Value {
    let reply = admin.get(&format!("/v1/orgs/{org}/grants/{grant}"));
    reply.assert_ok();
    reply.body
}

/// The server's (manual) clock.
pub fn now(server: &TestServer) -> Timestamp {
    server.clock.now()
}

pub fn plus(at: Timestamp, seconds: i64) -> Timestamp {
    Timestamp::from_second(at.as_second() + seconds).unwrap()
}

/// A JSON timestamp as a `Timestamp`.
pub fn ts(value: &Value) -> Timestamp {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a timestamp: {value}"))
        .parse()
        .unwrap_or_else(|e| panic!("not an RFC 3339 timestamp: {value}: {e}"))
}

/// How long a grant (or session) was made to last: `expires_at - created_at`, in seconds.
pub fn lifetime_seconds(item: &Value) -> i64 {
    ts(&item["expires_at"]).as_second() - ts(&item["created_at"]).as_second()
}

/// The `id`s of a list of objects.
pub fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

pub fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|item| item.as_str().unwrap().to_owned())
        .collect()
}

pub fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

pub fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

/// An id in the server's format that names nothing.
pub fn unknown_id(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        ulid::Ulid::generate().to_string().to_lowercase()
    )
}

/// `POST /v1/introspect` as the service account.
pub fn introspect(server: &TestServer, token: &str) -> Value {
    let reply = service(server).post("/v1/introspect", json!({ "token": token }));
    assert_eq!(reply.status, 200, "introspect failed: {}", reply.body);
    reply.body
}

/// `POST /v1/authorize` as the service account.
pub fn authorize(server: &TestServer, token: &str, area: &str, action: &str) -> Value {
    let reply = service(server).post(
        "/v1/authorize",
        json!({ "token": token, "area": area, "action": action }),
    );
    assert_eq!(reply.status, 200, "authorize failed: {}", reply.body);
    reply.body
}

/// Everything the platform sees of an active session token.
pub fn assert_active(server: &TestServer, token: &str) {
    let introspection = introspect(server, token);
    assert_eq!(introspection["active"], true, "{introspection}");
    let decision = authorize(server, token, "chats", "read");
    assert_eq!(decision["allow"], true, "{decision}");
    let current = client(server, token).get("/v1/session");
    assert_eq!(current.status, 200, "{}", current.body);
}

/// Everything the platform sees of a session token that has ended: introspection says exactly
/// `{"active": false}`, authorize denies, and the token no longer shows its session.
pub fn assert_ended(server: &TestServer, token: &str) {
    assert_eq!(introspect(server, token), json!({ "active": false }));
    let decision = authorize(server, token, "chats", "read");
    assert_eq!(decision["allow"], false, "{decision}");
    assert!(
        decision["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "a denial says why: {decision}"
    );
    client(server, token)
        .get("/v1/session")
        .assert_problem(401, "unauthenticated");
}

/// The whole audit log of `org`, as its admin reads it.
pub fn audit(admin: &Api, org: &str) -> Vec<Value> {
    admin.all(&format!("/v1/orgs/{org}/audit"))
}

pub fn with_action<'a>(events: &'a [Value], action: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|event| event["action"] == action)
        .collect()
}

/// Events of `org` with `action` on `target`.
pub fn events_for(admin: &Api, org: &str, action: &str, target: &str) -> Vec<Value> {
    audit(admin, org)
        .into_iter()
        .filter(|event| event["action"] == action && event["target"] == target)
        .collect()
}

/// Polls the audit log (briefly) until an event with `action` on `target` shows up: for what
/// the background sweeper writes.
pub fn wait_for_event(admin: &Api, org: &str, action: &str, target: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = admin.get(&format!("/v1/orgs/{org}/audit?action={action}&limit=1000"));
        reply.assert_ok();
        if let Some(event) = reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|event| event["target"] == target)
        {
            return event.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no {action} event for {target} within 10s"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Everything a refused request must leave as it was: every grant, session, audit event, org
/// and account (as their readers see them).
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub grants: Vec<Value>,
    pub sessions: Vec<Value>,
    pub audit: Vec<Value>,
    pub orgs: Vec<Value>,
    pub accounts: Vec<Value>,
}

pub fn snapshot(server: &TestServer) -> Snapshot {
    let admin = admin(server);
    let operator = operator(server);
    Snapshot {
        grants: admin.all("/v1/orgs/acme/grants?status=all"),
        sessions: admin.all("/v1/orgs/acme/sessions?status=all"),
        audit: audit(&admin, ACME),
        orgs: operator.all("/v1/orgs"),
        accounts: operator.all("/v1/accounts"),
    }
}

/// Every one of the six areas, sorted, as the API spells them.
pub fn all_areas() -> Vec<String> {
    sorted(owned(&ALL_AREAS))
}

pub fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

pub fn key_set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}
