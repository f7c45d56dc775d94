//! Lists: `?limit=` (default 100, 1 to 1000) and opaque keyset cursors.

use std::rc::Rc;

use serde_json::json;
use supportctl::api::{Area, Level};
use supportctl::server::store::{NewGrant, WriteMode};
use supportctl::server::tokens::hash_token;

use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, TestServer};

crate::common::conformance::conformance! {
    walking_grants_in_small_pages_yields_each_once_newest_first,
    bad_cursors_and_limits_are_invalid_requests_on_every_list,
    lists_count_all_their_items_when_asked_up_to_a_thousand,
}

const GRANTS: usize = 250;
const PAGE: usize = 7;

fn walking_grants_in_small_pages_yields_each_once_newest_first(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let mut created: Vec<String> = (0..GRANTS)
        .map(|n| admin.grant(json!({"level": "read-only", "reason": format!("grant {n}")})))
        .collect();
    created.reverse();

    // The default page is 100.
    let first = admin.get("/v1/orgs/acme/grants");
    assert_eq!(first.body["items"].as_array().unwrap().len(), 100);
    assert!(first.body["next_cursor"].is_string());

    let mut seen = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/v1/orgs/acme/grants?limit={PAGE}&cursor={cursor}"),
            None => format!("/v1/orgs/acme/grants?limit={PAGE}"),
        };
        let reply = admin.get(&path);
        assert_eq!(reply.status, 200, "{}", reply.body);
        let items = reply.body["items"].as_array().unwrap();
        assert!(items.len() <= PAGE);
        seen.extend(ids(items));
        pages += 1;
        if pages == 3 {
            // Grants created mid-walk are newer than every page still to come: no shifts,
            // no repeats.
            for n in 0..3 {
                admin.grant(json!({"level": "read-only", "reason": format!("late {n}")}));
            }
        }
        match reply.body["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(items.len(), PAGE, "only the last page may be short");
                cursor = Some(next.to_owned());
            }
            None => break,
        }
    }
    assert_eq!(seen, created, "every grant exactly once, newest first");
    assert_eq!(pages, GRANTS.div_ceil(PAGE));

    // At the boundary: a page that holds exactly the rest says there is no more; one short
    // of it leads to a last page of one.
    let total = GRANTS + 3;
    let exact = admin.get(&format!("/v1/orgs/acme/grants?limit={total}"));
    assert_eq!(exact.body["items"].as_array().unwrap().len(), total);
    assert_eq!(exact.body["next_cursor"], serde_json::Value::Null);
    let short = admin.get(&format!("/v1/orgs/acme/grants?limit={}", total - 1));
    let cursor = short.body["next_cursor"].as_str().unwrap();
    let last = admin.get(&format!(
        "/v1/orgs/acme/grants?limit={}&cursor={cursor}",
        total - 1
    ));
    assert_eq!(
        ids(last.body["items"].as_array().unwrap()),
        vec![created[GRANTS - 1].clone()]
    );
    assert_eq!(last.body["next_cursor"], serde_json::Value::Null);
}

fn bad_cursors_and_limits_are_invalid_requests_on_every_list(backend: Backend) {
    let server = TestServer::on(backend);
    admin(&server).grant(json!({"level": "member", "reason": "x"}));
    support(&server).open(json!({"reason": "x"}));
    let lists: Vec<(Rc<Api>, &str)> = vec![
        (admin(&server), "/v1/orgs/acme/grants"),
        (admin(&server), "/v1/orgs/acme/grants?status=all"),
        (admin(&server), "/v1/orgs/acme/sessions"),
        (admin(&server), "/v1/sessions"),
        (admin(&server), "/v1/orgs/acme/audit"),
        (support(&server), "/v1/grants"),
        (support(&server), "/v1/sessions"),
        (operator(&server), "/v1/orgs"),
        (operator(&server), "/v1/accounts"),
    ];
    for (api, path) in &lists {
        let sep = if path.contains('?') { '&' } else { '?' };
        for good in ["limit=1", "limit=1000"] {
            let reply = api.get(&format!("{path}{sep}{good}"));
            assert_eq!(reply.status, 200, "{path} {good}: {}", reply.body);
        }
        // Limits out of the documented range break the schema: 400. A cursor is any string
        // to the schema; one this server did not issue cannot be followed: 422.
        for (bad, status) in [
            ("limit=0", 400),
            ("limit=1001", 400),
            ("limit=-1", 400),
            ("limit=ten", 400),
            ("cursor=not-a-cursor", 422),
            ("cursor=", 422),
            ("cursor=%00%01", 422),
        ] {
            api.get(&format!("{path}{sep}{bad}"))
                .assert_problem(status, "invalid_request");
        }
        // The audit log reads to its end by `after_seq`; it is not counted.
        if !path.contains("/audit") {
            let reply = api.get(&format!("{path}{sep}count=true"));
            assert_eq!(reply.status, 200, "{path}: {}", reply.body);
            api.get(&format!("{path}{sep}count=maybe"))
                .assert_problem(400, "invalid_request");
        }
    }
}

/// `?count=true`: `total` says how many items the whole list holds with the same filters,
/// from its start whatever the cursor; without it, pages carry no `total`.
fn lists_count_all_their_items_when_asked_up_to_a_thousand(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let grants: Vec<String> = (0..5)
        .map(|n| admin.grant(json!({"level": "read-only", "reason": format!("grant {n}")})))
        .collect();
    revoke(&admin, ACME, &grants[0]).assert_ok();
    let total = |reply: &crate::common::harness::Reply| {
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["total"].clone()
    };
    let exact = |count: usize| json!({"count": count, "more": false});

    let plain = admin.get("/v1/orgs/acme/grants?limit=2");
    assert!(plain.body.get("total").is_none(), "{}", plain.body);
    let off = admin.get("/v1/orgs/acme/grants?limit=2&count=false");
    assert!(off.body.get("total").is_none(), "{}", off.body);
    let first = admin.get("/v1/orgs/acme/grants?limit=2&count=true");
    assert_eq!(total(&first), exact(4), "active grants only");
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = admin.get(&format!(
        "/v1/orgs/acme/grants?limit=2&count=true&cursor={cursor}"
    ));
    assert_eq!(total(&second), exact(4), "the whole list, not what is left");
    assert_eq!(
        total(&admin.get("/v1/orgs/acme/grants?count=true")),
        exact(4),
        "a page that is the whole list"
    );
    assert_eq!(
        total(&admin.get("/v1/orgs/acme/grants?status=all&limit=1&count=true")),
        exact(5)
    );
    assert_eq!(
        total(&admin.get("/v1/orgs/acme/grants?status=revoked&limit=1&count=true")),
        exact(1)
    );

    // Every paged list counts the same way.
    let support = support(&server);
    support.open(json!({"reason": "one"}));
    support.open(json!({"reason": "two"}));
    let (closed, _) = support.open(json!({"reason": "three"}));
    support
        .post(&format!("/v1/sessions/{closed}/close"), json!({}))
        .assert_ok();
    // One pending request per level and areas.
    for area in ["documents", "issues"] {
        support
            .post(
                "/v1/orgs/acme/requests",
                json!({"level": "read-only", "areas": [area], "reason": "look"}),
            )
            .assert_ok();
    }
    create_org_with_admin(&server, "globex");
    let operator = operator(&server);
    let webhook = admin.post(
        "/v1/orgs/acme/webhooks",
        json!({"url": "https://hooks.example.com/in"}),
    );
    let webhook = webhook.body["webhook"]["id"].as_str().unwrap().to_owned();
    let deliveries = format!("/v1/orgs/acme/webhooks/{webhook}/deliveries");
    admin.grant(json!({"level": "read-only", "reason": "one more event"}));
    let lists: Vec<(Rc<Api>, String, usize)> = vec![
        (admin.clone(), "/v1/orgs/acme/sessions".into(), 2),
        (admin.clone(), "/v1/orgs/acme/sessions?status=all".into(), 3),
        (support.clone(), "/v1/sessions?status=all".into(), 3),
        (support.clone(), "/v1/grants".into(), 5),
        (admin.clone(), "/v1/orgs/acme/requests".into(), 2),
        (support.clone(), "/v1/requests".into(), 2),
        (
            operator.clone(),
            "/v1/orgs".into(),
            operator.all("/v1/orgs").len(),
        ),
        (
            operator.clone(),
            "/v1/accounts".into(),
            operator.all("/v1/accounts").len(),
        ),
        (
            admin.clone(),
            deliveries.clone(),
            admin.all(&deliveries).len(),
        ),
    ];
    for (api, path, count) in &lists {
        assert!(*count >= 2, "{path}: too few to page");
        let sep = if path.contains('?') { '&' } else { '?' };
        let reply = api.get(&format!("{path}{sep}limit=1&count=true"));
        assert_eq!(total(&reply), exact(*count), "{path}");
    }

    // Counting stops after 1000: the same work in a list of 1,005 as in one of a million.
    // The count's query is the same on both databases (counted above); a thousand grants
    // take a minute to write on PostgreSQL, so the cap is checked on SQLite.
    if backend != Backend::Sqlite {
        return;
    }
    seed_grants(&server, 1000);
    let many = admin.get("/v1/orgs/acme/grants?limit=10&count=true");
    assert_eq!(total(&many), json!({"count": 1000, "more": true}));
    assert_eq!(many.body["items"].as_array().unwrap().len(), 10);
    let status_all = admin.get("/v1/orgs/acme/grants?status=all&limit=1000&count=true");
    assert_eq!(total(&status_all), json!({"count": 1000, "more": true}));
    let revoked = admin.get("/v1/orgs/acme/grants?status=revoked&limit=1&count=true");
    assert_eq!(total(&revoked), exact(1));
}

/// `n` active grants in acme for the whole support team, written directly to the store.
pub fn seed_grants(server: &TestServer, n: usize) {
    let principal = server.runtime.block_on(async {
        let hash = hash_token(&server.tokens.admin);
        let auth = server.store.authenticate_account(&hash).await.unwrap();
        auth.unwrap().principal.clone()
    });
    let now = now(server);
    server.runtime.block_on(async {
        for n in 0..n {
            let grant = NewGrant {
                level: Level::ReadOnly,
                areas: Area::ALL.to_vec(),
                engineers: Vec::new(),
                expires_at: plus(now, 8 * HOUR),
                reason: format!("bulk {n}"),
                ticket: None,
                // The org keeps the default policy, version 0.
                policy_version: 0,
                approval_rule: None,
            };
            server
                .store
                .grants()
                .create(&principal, ACME, &grant, now, WriteMode::Commit)
                .await
                .unwrap();
        }
    });
}
