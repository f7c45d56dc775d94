//! Request decoding under arbitrary input (proptest): random JSON bodies sent to
//! `POST /v1/orgs/acme/grants` and `POST /v1/orgs/acme/sessions` never produce a 5xx; every
//! refusal is a well-formed problem document with a known code; and a valid request with one
//! extra field is always refused and changes nothing (while the same request without it
//! succeeds). One server serves every case.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};

use crate::common::harness::{Api, Reply, TestServer};

const GRANTS: &str = "/v1/orgs/acme/grants";
const SESSIONS: &str = "/v1/orgs/acme/sessions";
const CASES: u32 = 64;

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        // Never write regression files into the source tree from an integration test.
        failure_persistence: None,
        ..Config::default()
    })
}

/// Field names of both requests (and a few of other requests), so that random objects often
/// hit real fields with wrong values.
const FIELDS: [&str; 14] = [
    "level",
    "areas",
    "engineers",
    "duration_seconds",
    "expires_at",
    "reason",
    "ticket",
    "grant_id",
    "ttl_seconds",
    "ids",
    "all",
    "token",
    "area",
    "action",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_owned()),
        "[a-z-]{1,12}",
        any::<String>(),
        prop::sample::select(vec![
            "read-only",
            "member",
            "admin",
            "owner",
            "chats",
            "source-code",
            "everything",
            "support@supportctl.test",
            "admin@acme.test",
            "nobody@example.com",
            "2030-01-01T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2026-01-01T00:00:00+02:00",
            "gr_00000000000000000000000000",
            "\u{0}",
            "\u{202e}evil",
        ])
        .prop_map(str::to_owned),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-100_000i64..100_000).prop_map(Value::from),
        prop::sample::select(vec![
            json!(0),
            json!(-1),
            json!(1),
            json!(3600),
            json!(2_592_000),
            json!(2_592_001),
            json!(i64::MAX),
            json!(i64::MIN),
            json!(u64::MAX),
            json!(0.5),
            json!(1e300),
            json!(-0.0),
        ]),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(FIELDS.to_vec()).prop_map(str::to_owned),
        1 => text(),
    ]
}

/// Objects with real and random keys and any values.
fn random_object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(key(), json_value(), 0..6)
        .prop_map(|map| Value::Object(map.into_iter().collect()))
}

/// An object of the fields `fields` (each present with its probability), with values that
/// are mostly right and sometimes wrong or on an edge: past decoding into the checks behind it.
fn near_valid(
    fields: Vec<(&'static str, f64, BoxedStrategy<Value>)>,
) -> impl Strategy<Value = Value> {
    let parts: Vec<_> = fields
        .into_iter()
        .map(|(name, present, value)| {
            prop::option::weighted(present, value).prop_map(move |v| (name, v))
        })
        .collect();
    parts.prop_map(|parts| {
        Value::Object(
            parts
                .into_iter()
                .filter_map(|(name, value)| Some((name.to_owned(), value?)))
                .collect(),
        )
    })
}

/// Mostly one of `valid`, sometimes one of `invalid` or any scalar.
fn one_of(valid: &[&'static str], invalid: &[&'static str]) -> BoxedStrategy<Value> {
    let valid: Vec<Value> = valid.iter().map(|v| json!(v)).collect();
    let invalid: Vec<Value> = invalid.iter().map(|v| json!(v)).collect();
    prop_oneof![
        12 => prop::sample::select(valid),
        1 => prop::sample::select(invalid),
        1 => scalar(),
    ]
    .boxed()
}

fn list_of(valid: &[&'static str], invalid: &'static str) -> BoxedStrategy<Value> {
    prop_oneof![
        10 => prop::collection::vec(prop::sample::select(valid.to_vec()), 0..5)
            .prop_map(|items| json!(items)),
        1 => prop::collection::vec(prop::sample::select(valid.to_vec()), 0..3)
            .prop_map(move |mut items| {
                items.push(invalid);
                json!(items)
            }),
        1 => json_value(),
    ]
    .boxed()
}

fn seconds(max: i64) -> BoxedStrategy<Value> {
    prop_oneof![
        8 => (1..=max).prop_map(|s| json!(s)),
        2 => (max - 10..=max + 10).prop_map(|s| json!(s)),
        2 => number(),
    ]
    .boxed()
}

const LEVELS: [&str; 3] = ["read-only", "member", "admin"];
const BAD_LEVELS: [&str; 3] = ["owner", "", "Admin"];
const AREAS: [&str; 6] = [
    "chats",
    "source-code",
    "employee-data",
    "issues",
    "documents",
    "checklists",
];

fn reason() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => "[A-Za-z ]{1,20}".prop_map(|r| json!(r)),
        1 => text().prop_map(|r| json!(r)),
        1 => Just(json!("x".repeat(5000))),
        1 => scalar(),
    ]
    .boxed()
}

fn grant_body() -> impl Strategy<Value = Value> {
    let near = near_valid(vec![
        ("level", 0.95, one_of(&LEVELS, &BAD_LEVELS)),
        ("areas", 0.5, list_of(&AREAS, "billing")),
        (
            "engineers",
            0.3,
            list_of(&["support@supportctl.test"], "nobody@example.com"),
        ),
        ("duration_seconds", 0.4, seconds(2_592_000)),
        (
            "expires_at",
            0.2,
            one_of(
                &["2099-01-01T00:00:00Z", "2000-01-01T00:00:00Z"],
                &["9999-12-31T23:59:59Z", "2026-13-01T00:00:00Z", "tomorrow"],
            ),
        ),
        ("reason", 0.95, reason()),
        ("ticket", 0.3, reason()),
    ]);
    prop_oneof![4 => near, 1 => random_object(), 1 => json_value()]
}

fn session_body(grant_ids: Vec<&'static str>) -> impl Strategy<Value = Value> {
    let near = near_valid(vec![
        ("grant_id", 0.5, one_of(&grant_ids, &["", "ses_1"])),
        ("level", 0.5, one_of(&LEVELS, &BAD_LEVELS)),
        ("areas", 0.5, list_of(&AREAS, "billing")),
        ("ttl_seconds", 0.4, seconds(28_800)),
        ("reason", 0.95, reason()),
    ]);
    prop_oneof![4 => near, 1 => random_object(), 1 => json_value()]
}

/// A valid grant request.
fn valid_grant() -> impl Strategy<Value = Map<String, Value>> {
    (
        prop::sample::select(vec!["read-only", "member", "admin"]),
        prop::option::of(prop::sample::subsequence(
            vec![
                "chats",
                "source-code",
                "employee-data",
                "issues",
                "documents",
                "checklists",
            ],
            1..=6,
        )),
        prop::option::of(60i64..=2_592_000),
        "[A-Za-z0-9 ]{0,20}",
        prop::option::of("[A-Z]{2,4}-[0-9]{1,5}"),
        any::<bool>(),
    )
        .prop_map(|(level, areas, duration, reason, ticket, engineer)| {
            let mut body = Map::new();
            body.insert("level".into(), json!(level));
            if let Some(areas) = areas {
                body.insert("areas".into(), json!(areas));
            }
            if let Some(seconds) = duration {
                body.insert("duration_seconds".into(), json!(seconds));
            }
            body.insert("reason".into(), json!(format!("decoding {reason}")));
            if let Some(ticket) = ticket {
                body.insert("ticket".into(), json!(ticket));
            }
            if engineer {
                body.insert("engineers".into(), json!(["support@supportctl.test"]));
            }
            body
        })
}

/// A valid session request (the server holds a broad grant for it).
fn valid_session() -> impl Strategy<Value = Map<String, Value>> {
    (
        prop::option::of(prop::sample::select(vec!["read-only", "member", "admin"])),
        prop::option::of(prop::sample::subsequence(
            vec!["chats", "issues", "documents"],
            1..=3,
        )),
        prop::option::of(60i64..=28_800),
        "[A-Za-z0-9 ]{0,20}",
    )
        .prop_map(|(level, areas, ttl, reason)| {
            let mut body = Map::new();
            if let Some(level) = level {
                body.insert("level".into(), json!(level));
            }
            if let Some(areas) = areas {
                body.insert("areas".into(), json!(areas));
            }
            if let Some(ttl) = ttl {
                body.insert("ttl_seconds".into(), json!(ttl));
            }
            body.insert("reason".into(), json!(format!("decoding {reason}")));
            body
        })
}

/// A field neither request knows (it may collide with a real one; such cases are skipped).
fn extra_field() -> impl Strategy<Value = (String, Value)> {
    (
        prop_oneof![
            prop::sample::select(vec![
                "Level",
                "reason ",
                "id",
                "org",
                "status",
                "created_by",
                "expires",
                "ttl",
                "grant",
                "token",
                "__proto__",
                "",
            ])
            .prop_map(str::to_owned),
            any::<String>(),
        ],
        json_value(),
    )
}

/// Asserts that a refusal is a proper problem document with a known code that fits its status.
fn check_problem(path: &str, body: &Value, reply: &Reply) -> Result<(), TestCaseError> {
    let context = || format!("POST {path} {body} -> {} {}", reply.status, reply.body);
    prop_assert!(reply.status < 500, "server error: {}", context());
    if (200..300).contains(&reply.status) {
        return Ok(());
    }
    prop_assert_eq!(
        reply.content_type.as_str(),
        "application/problem+json",
        "{}",
        context()
    );
    for field in ["type", "title", "detail", "code"] {
        prop_assert!(reply.body[field].is_string(), "no {}: {}", field, context());
    }
    prop_assert_eq!(&reply.body["status"], &json!(reply.status), "{}", context());
    let fits = match reply.code() {
        "invalid_request" => [400, 413, 415, 422].contains(&reply.status),
        "policy_violation" => reply.status == 422,
        "conflict" => reply.status == 409,
        "not_found" => reply.status == 404,
        _ => false,
    };
    prop_assert!(fits, "unexpected code for this status: {}", context());
    Ok(())
}

/// The audit log's events after `after`: every change writes one, so none means no change.
fn events_after(admin: &Api, after: i64) -> Vec<Value> {
    let reply = admin.get(&format!("/v1/orgs/acme/audit?after_seq={after}&limit=1000"));
    reply.assert_ok();
    reply.body["items"].as_array().unwrap().clone()
}

fn last_seq(admin: &Api) -> i64 {
    admin
        .all("/v1/orgs/acme/audit")
        .last()
        .map_or(0, |event| event["seq"].as_i64().unwrap())
}

#[test]
fn arbitrary_bodies_never_get_a_5xx_and_refusals_are_problem_documents() {
    let server = TestServer::start();
    let admin = server.admin();
    let support = server.support();
    // Grants for session requests to name: a broad one, a narrow one, a revoked one.
    let broad =
        admin.grant(json!({"level": "admin", "reason": "broad", "duration_seconds": 2_592_000}));
    let narrow = admin.grant(json!({"level": "read-only", "areas": ["chats"], "reason": "narrow"}));
    let revoked = admin.grant(json!({"level": "member", "reason": "revoked"}));
    admin
        .post_empty(&format!("{GRANTS}/{revoked}/revoke"))
        .assert_ok();
    let leak = |id: String| -> &'static str { Box::leak(id.into_boxed_str()) };
    let grant_ids = vec![
        leak(broad),
        leak(narrow),
        leak(revoked),
        "gr_00000000000000000000000000",
    ];

    let statuses = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let check = |api: &Api, path: &str, body: Value| -> Result<(), TestCaseError> {
        let reply = api.post(path, &body);
        statuses
            .borrow_mut()
            .insert((path.to_owned(), reply.status));
        check_problem(path, &body, &reply)
    };
    runner()
        .run(&grant_body(), |body| check(&admin, GRANTS, body))
        .unwrap();
    runner()
        .run(&session_body(grant_ids), |body| {
            check(&support, SESSIONS, body)
        })
        .unwrap();
    // The cases got past decoding too: into validation, policy and the store.
    let seen = statuses.into_inner();
    for path in [GRANTS, SESSIONS] {
        let kinds = seen.iter().filter(|(p, _)| p == path).count();
        assert!(kinds >= 3, "{path}: only statuses {seen:?}");
        assert!(
            seen.iter().any(|(p, status)| p == path && *status != 400),
            "{path}: every case failed to decode: {seen:?}"
        );
    }
}

#[test]
fn a_valid_request_with_one_unknown_field_is_refused_and_changes_nothing() {
    let server = TestServer::start();
    let admin = server.admin();
    let support = server.support();
    admin.grant(json!({"level": "admin", "reason": "decoding", "duration_seconds": 2_592_000}));
    let seq = std::cell::Cell::new(last_seq(&admin));

    let check = |api: &Api,
                 path: &str,
                 known: &[&str],
                 mut body: Map<String, Value>,
                 (name, value): (String, Value)|
     -> Result<(), TestCaseError> {
        if known.contains(&name.as_str()) {
            return Ok(());
        }
        let valid = Value::Object(body.clone());
        body.insert(name.clone(), value);
        let extended = Value::Object(body);
        let reply = api.post(path, &extended);
        check_problem(path, &extended, &reply)?;
        prop_assert_eq!(
            (reply.status, reply.code()),
            (400, "invalid_request"),
            "{} was accepted: {}",
            extended,
            reply.body
        );
        prop_assert!(
            reply.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("unknown field"),
            "{}",
            reply.body
        );
        let changes = events_after(&admin, seq.get());
        prop_assert!(changes.is_empty(), "refused, yet recorded: {:?}", changes);
        // Without the extra field, the same request is fine.
        let reply = api.post(path, &valid);
        prop_assert_eq!(reply.status, 201, "{} -> {}", valid, reply.body);
        prop_assert_eq!(events_after(&admin, seq.get()).len(), 1);
        seq.set(seq.get() + 1);
        Ok(())
    };

    let grant_fields = [
        "level",
        "areas",
        "engineers",
        "duration_seconds",
        "expires_at",
        "reason",
        "ticket",
    ];
    runner()
        .run(&(valid_grant(), extra_field()), |(body, extra)| {
            check(&admin, GRANTS, &grant_fields, body, extra)
        })
        .unwrap();
    let session_fields = ["grant_id", "level", "areas", "ttl_seconds", "reason"];
    runner()
        .run(&(valid_session(), extra_field()), |(body, extra)| {
            check(&support, SESSIONS, &session_fields, body, extra)
        })
        .unwrap();
}
