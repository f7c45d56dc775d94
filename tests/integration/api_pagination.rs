//! Lists: `?limit=` (default 100, 1 to 1000) and opaque keyset cursors.

use std::rc::Rc;

use serde_json::json;

use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, TestServer};

crate::common::conformance::conformance! {
    walking_grants_in_small_pages_yields_each_once_newest_first,
    bad_cursors_and_limits_are_invalid_requests_on_every_list,
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
    }
}
