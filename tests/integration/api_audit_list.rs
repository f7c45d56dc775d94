//! The audit log read newest first, before a `seq`, and by the grant, session, access request
//! or actor its events are about, on an org's chain and the vendor's.

use serde_json::{Value, json};

use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, TestServer, run_sql};

crate::common::conformance::conformance! {
    newest_first_pages_down_the_log_without_gap_or_repeat,
    before_seq_keeps_the_older_events_either_way,
    since_and_until_bound_the_events_either_way,
    each_filter_returns_exactly_the_events_about_its_subject,
    older_events_get_their_subjects_from_the_migration,
    the_vendor_chain_reads_newest_first_and_by_actor,
    bad_order_and_before_seq_are_refused_naming_the_parameter,
}

fn seqs(events: &[Value]) -> Vec<i64> {
    events.iter().map(|e| e["seq"].as_i64().unwrap()).collect()
}

/// Every page of `path` (which has a query string), `limit` at a time; and how many pages.
fn walk(api: &Api, path: &str, limit: usize) -> (Vec<Value>, usize) {
    let mut events = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(cursor) => format!("{path}&limit={limit}&cursor={cursor}"),
            None => format!("{path}&limit={limit}"),
        };
        let reply = api.get(&url);
        reply.assert_ok();
        pages += 1;
        let items = reply.body["items"].as_array().unwrap();
        assert!(items.len() <= limit);
        events.extend(items.iter().cloned());
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (events, pages),
        }
    }
}

fn newest_first_pages_down_the_log_without_gap_or_repeat(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    for n in 0..30 {
        admin.grant(json!({"level": "read-only", "reason": format!("grant {n}")}));
    }
    let oldest_first = audit(&admin, ACME);
    assert!(oldest_first.len() >= 30);
    let mut expected = oldest_first.clone();
    expected.reverse();

    let first = admin.get("/v1/orgs/acme/audit?order=desc&limit=1");
    assert_eq!(first.body["items"][0], expected[0], "the newest event");

    let (newest_first, pages) = walk(&admin, "/v1/orgs/acme/audit?order=desc", 7);
    assert_eq!(seqs(&newest_first), seqs(&expected));
    assert_eq!(newest_first, expected, "the same events as oldest first");
    assert_eq!(pages, expected.len().div_ceil(7));
    // `asc` is the default, spelled out or not.
    assert_eq!(
        walk(&admin, "/v1/orgs/acme/audit?order=asc", 7).0,
        oldest_first
    );
}

fn before_seq_keeps_the_older_events_either_way(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    for n in 0..12 {
        admin.grant(json!({"level": "read-only", "reason": format!("grant {n}")}));
    }
    let all = audit(&admin, ACME);
    let before = 9;
    let older: Vec<Value> = all
        .iter()
        .filter(|e| e["seq"].as_i64().unwrap() < before)
        .cloned()
        .collect();
    assert_eq!(older.len(), 8);
    let (asc, _) = walk(
        &admin,
        &format!("/v1/orgs/acme/audit?before_seq={before}"),
        3,
    );
    assert_eq!(asc, older);
    let (desc, _) = walk(
        &admin,
        &format!("/v1/orgs/acme/audit?order=desc&before_seq={before}"),
        3,
    );
    assert_eq!(desc, older.iter().rev().cloned().collect::<Vec<_>>());
    // With after_seq: the events between.
    let (between, _) = walk(
        &admin,
        &format!("/v1/orgs/acme/audit?order=desc&after_seq=3&before_seq={before}"),
        2,
    );
    assert_eq!(seqs(&between), [8, 7, 6, 5, 4]);
    let none = admin.get("/v1/orgs/acme/audit?before_seq=0");
    assert_eq!(none.body["items"], json!([]));
}

fn since_and_until_bound_the_events_either_way(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    for batch in 0..3 {
        for n in 0..3 {
            admin.grant(json!({"level": "read-only", "reason": format!("grant {batch}.{n}")}));
        }
        server.advance(100);
    }
    let all = audit(&admin, ACME);
    let times: Vec<i64> = all.iter().map(|e| ts(&e["at"]).as_second()).collect();
    let newest = *times.last().unwrap();
    let (since, until) = (newest - 200, newest - 50);
    let expected = |keep: &dyn Fn(i64) -> bool| -> Vec<Value> {
        all.iter()
            .zip(&times)
            .filter(|(_, at)| keep(**at))
            .map(|(e, _)| e.clone())
            .collect()
    };
    let at = |t: i64| jiff::Timestamp::from_second(t).unwrap();
    for (query, keep) in [
        (
            format!("since={}", at(since)),
            Box::new(|t| t >= since) as Box<dyn Fn(i64) -> bool>,
        ),
        (format!("until={}", at(until)), Box::new(|t| t < until)),
        (
            format!("since={}&until={}", at(since), at(until)),
            Box::new(|t| t >= since && t < until),
        ),
        (format!("since={}", at(newest + 1)), Box::new(|_| false)),
        (format!("until={}", at(newest + 1)), Box::new(|_| true)),
        (format!("until={}", at(times[0])), Box::new(|_| false)),
    ] {
        let expected = expected(&*keep);
        let (asc, _) = walk(&admin, &format!("/v1/orgs/acme/audit?{query}"), 2);
        assert_eq!(asc, expected, "{query}");
        let (desc, _) = walk(
            &admin,
            &format!("/v1/orgs/acme/audit?order=desc&{query}"),
            2,
        );
        assert_eq!(
            desc,
            expected.into_iter().rev().collect::<Vec<_>>(),
            "{query}"
        );
    }
}

/// Two grants, a session on each with an access check on one, an access request approved
/// into a third grant, a session closed and a grant revoked. Returns the log and the ids.
struct Scenario {
    log: Vec<Value>,
    grant: String,
    other_grant: String,
    session: String,
    request: String,
    requested_grant: String,
}

fn scenario(server: &TestServer) -> Scenario {
    let admin = admin(server);
    let engineer = support(server);
    let grant = grant_in(&admin, ACME, json!({"level": "member", "reason": "One"}));
    let other_grant = grant_in(&admin, ACME, json!({"level": "member", "reason": "Two"}));
    let (session, token) = open_in(
        &engineer,
        ACME,
        json!({"grant_id": grant, "reason": "Look", "areas": ["chats"]}),
    );
    open_in(
        &engineer,
        ACME,
        json!({"grant_id": other_grant, "reason": "Other", "areas": ["chats"]}),
    );
    authorize(server, &token, "chats", "read");
    authorize(server, &token, "issues", "read");
    let request = engineer.post(
        "/v1/orgs/acme/requests",
        json!({"level": "member", "areas": ["chats"], "duration_seconds": 3600,
               "reason": "Ticket 1"}),
    );
    assert_eq!(request.status, 201, "{}", request.body);
    let request = request.body["id"].as_str().unwrap().to_owned();
    let approved = admin.post(
        &format!("/v1/orgs/acme/requests/{request}/approve"),
        json!({"comment": "ok"}),
    );
    approved.assert_ok();
    let requested_grant = approved.body["grant_id"].as_str().unwrap().to_owned();
    admin
        .post_empty(&format!("/v1/sessions/{session}/close"))
        .assert_ok();
    revoke(&admin, ACME, &grant);
    Scenario {
        log: audit(&admin, ACME),
        grant,
        other_grant,
        session,
        request,
        requested_grant,
    }
}

fn actions(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

fn filtered(api: &Api, query: &str) -> Vec<Value> {
    walk(api, &format!("/v1/orgs/acme/audit?{query}"), 2).0
}

/// What each filter must return of `scenario`'s log, named by hand.
fn check_filters(api: &Api, s: &Scenario) {
    let about = |key: &str, id: &str| filtered(api, &format!("{key}={id}"));
    assert_eq!(
        actions(&about("grant", &s.grant)),
        ["grant.created", "session.opened", "grant.revoked"]
    );
    assert_eq!(
        actions(&about("grant", &s.other_grant)),
        ["grant.created", "session.opened"]
    );
    assert_eq!(
        actions(&about("grant", &s.requested_grant)),
        ["request.approved", "grant.created"]
    );
    assert_eq!(
        actions(&about("session", &s.session)),
        [
            "session.opened",
            "access.allowed",
            "access.denied",
            "session.closed"
        ]
    );
    assert!(
        about("session", &s.session)
            .iter()
            .all(|e| e["target"] == s.session.as_str())
    );
    assert_eq!(
        actions(&about("request", &s.request)),
        ["request.created", "request.approved", "grant.created"]
    );
    let by_engineer = about("actor", SUPPORT_EMAIL);
    let expected: Vec<&Value> = s
        .log
        .iter()
        .filter(|e| e["actor"]["email"] == SUPPORT_EMAIL)
        .collect();
    assert_eq!(by_engineer.iter().collect::<Vec<_>>(), expected);
    assert_eq!(
        actions(&by_engineer),
        [
            "session.opened",
            "session.opened",
            "access.allowed",
            "access.denied",
            "request.created"
        ]
    );
    // Filters combine, with each other and with order.
    let combined = filtered(
        api,
        &format!("grant={}&action=session.opened&order=desc", s.grant),
    );
    assert_eq!(combined.len(), 1);
    assert_eq!(combined[0]["target"], s.session.as_str());
    let combined = filtered(
        api,
        &format!("session={}&actor={SUPPORT_EMAIL}&order=desc", s.session),
    );
    assert_eq!(
        actions(&combined),
        ["access.denied", "access.allowed", "session.opened"]
    );
    assert!(about("grant", "gr_nothing").is_empty());
    assert!(about("actor", "nobody@acme.test").is_empty());
}

fn each_filter_returns_exactly_the_events_about_its_subject(backend: Backend) {
    let server = TestServer::on(backend);
    let s = scenario(&server);
    check_filters(&admin(&server), &s);
    // Another org's admin asking about acme's grant: 404 as before, nothing leaks.
    admin(&server)
        .get(&format!("/v1/orgs/globex/audit?grant={}", s.grant))
        .assert_problem(404, "not_found");
}

fn older_events_get_their_subjects_from_the_migration(backend: Backend) {
    let server = TestServer::on(backend);
    let s = scenario(&server);
    // Events from before the migration: no subjects, until its backfill runs.
    run_sql(
        &server.db_url,
        "UPDATE audit_events SET grant_id = NULL, session_id = NULL, request_id = NULL",
    );
    assert!(filtered(&admin(&server), &format!("grant={}", s.grant)).is_empty());
    let migration = match backend {
        Backend::Sqlite => {
            include_str!("../../src/server/store/engine/migrations/sqlite/0007_audit_subjects.sql")
        }
        Backend::Postgres => {
            include_str!(
                "../../src/server/store/engine/migrations/postgres/0007_audit_subjects.sql"
            )
        }
    };
    let backfill = migration
        .split(';')
        .map(|statement| {
            statement
                .lines()
                .filter(|line| !line.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .find(|statement| statement.trim_start().starts_with("UPDATE"))
        .expect("the migration backfills");
    run_sql(&server.db_url, &backfill);
    check_filters(&admin(&server), &s);
}

fn the_vendor_chain_reads_newest_first_and_by_actor(backend: Backend) {
    let server = TestServer::on(backend);
    for n in 0..4 {
        create_support(&server, &format!("engineer{n}@supportctl.test"));
    }
    let operator = operator(&server);
    let all = operator.all("/v1/audit");
    assert!(all.len() >= 4);
    let (desc, _) = walk(&operator, "/v1/audit?order=desc", 3);
    assert_eq!(desc, all.iter().rev().cloned().collect::<Vec<_>>());
    let newest = seqs(&all).last().copied().unwrap();
    let (older, _) = walk(
        &operator,
        &format!("/v1/audit?order=desc&before_seq={newest}"),
        3,
    );
    assert_eq!(older, desc[1..]);
    let by_operator = operator.all(&format!("/v1/audit?actor={OPERATOR_EMAIL}"));
    let expected: Vec<Value> = all
        .iter()
        .filter(|e| e["actor"]["email"] == OPERATOR_EMAIL)
        .cloned()
        .collect();
    assert!(expected.len() >= 4);
    assert_eq!(by_operator, expected);
    // Its events are about accounts and orgs, never a grant, session or request.
    for key in ["grant", "session", "request"] {
        let reply = operator.get(&format!("/v1/audit?{key}=x"));
        reply.assert_ok();
        assert_eq!(reply.body["items"], json!([]));
    }
}

fn bad_order_and_before_seq_are_refused_naming_the_parameter(backend: Backend) {
    let server = TestServer::on(backend);
    admin(&server).grant(json!({"level": "member", "reason": "x"}));
    let before = audit(&admin(&server), ACME);
    for (api, path) in [
        (admin(&server), "/v1/orgs/acme/audit"),
        (operator(&server), "/v1/audit"),
    ] {
        for (bad, named) in [
            ("order=sideways", "order"),
            ("before_seq=-1", "before_seq"),
            ("before_seq=abc", "before_seq"),
            ("grants=x", "grants"),
        ] {
            let reply = api.get(&format!("{path}?{bad}"));
            reply.assert_problem(400, "invalid_request");
            assert!(
                reply.body["detail"].as_str().unwrap().contains(named),
                "{path}?{bad}: {}",
                reply.body
            );
        }
    }
    assert_eq!(audit(&admin(&server), ACME), before, "nothing changed");
}
