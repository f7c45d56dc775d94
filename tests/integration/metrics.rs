//! `/metrics` on both databases: what a scrape shows while the server works (checked by
//! `promtool check metrics`), and how its counters and gauges follow what the server does.
//! (`metrics_listener.rs`: the token-less listener, the switch that turns recording off.)

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use supportctl::server::metrics::MetricsSettings;

use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, ServerOptions, TestServer, http_client};
use crate::common::receiver::Receiver;

crate::common::conformance::conformance! {
    a_scrape_under_load_passes_promtool_and_names_no_org_account_or_token,
    counters_and_gauges_follow_what_the_server_does,
    webhook_attempts_are_counted_by_outcome,
}

/// Labels that would tie a series to a customer or a credential.
const FORBIDDEN_LABELS: [&str; 8] = [
    "org", "account", "token", "session", "grant", "email", "engineer", "webhook",
];

/// A scrape as `series (name{labels}) -> value`.
pub(crate) struct Scrape {
    pub text: String,
    pub values: BTreeMap<String, f64>,
}

impl Scrape {
    fn parse(text: String) -> Scrape {
        let values = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .map(|line| {
                let (series, value) = line.rsplit_once(' ').expect("a sample line");
                let value = match value {
                    "+Inf" => f64::INFINITY,
                    value => value.parse().unwrap_or_else(|_| panic!("a number: {line}")),
                };
                (series.to_owned(), value)
            })
            .collect();
        Scrape { text, values }
    }

    /// The value of `series` (`name{labels}` as the server writes it); 0 when absent.
    pub fn value(&self, series: &str) -> f64 {
        self.values.get(series).copied().unwrap_or(0.0)
    }

    /// Every label name of every sample.
    fn label_names(&self) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for series in self.values.keys() {
            let Some((_, labels)) = series.split_once('{') else {
                continue;
            };
            let mut rest = labels.trim_end_matches('}');
            while let Some((name, after)) = rest.split_once("=\"") {
                names.insert(name.trim_start_matches(',').to_owned());
                // Label values here hold no quotes (route templates, fixed words, numbers).
                rest = after.split_once('"').map_or("", |(_, after)| after);
            }
        }
        names
    }
}

pub(crate) fn scrape(api: &Api) -> Scrape {
    let reply = api.get("/metrics");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.content_type, "text/plain; version=0.0.4; charset=utf-8",
        "the Prometheus text format"
    );
    Scrape::parse(reply.body.as_str().expect("a text body").to_owned())
}

/// Runs promtool with `args` (and `stdin`). Outside CI a missing promtool skips with a note
/// (`None`); in CI (`CI` set) it fails, as `.ci/run` installs it.
fn promtool_with(args: &[&str], stdin: &str) -> Option<std::process::Output> {
    use std::io::Write;
    let child = Command::new("promtool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "promtool cannot run ({error}), and CI must run this check"
            );
            let _ = writeln!(
                std::io::stderr(),
                "note: promtool not installed; `promtool {}` skipped",
                args.join(" ")
            );
            return None;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    Some(child.wait_with_output().unwrap())
}

pub(crate) fn promtool(args: &[&str]) -> Option<std::process::Output> {
    promtool_with(args, "")
}

/// `promtool check metrics` on `text`.
pub(crate) fn promtool_check(text: &str) {
    let Some(output) = promtool_with(&["check", "metrics"], text) else {
        return;
    };
    assert!(
        output.status.success(),
        "promtool check metrics failed:\n{}{}\n--- the scrape:\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A server whose counts are read afresh at each scrape.
fn server_on(backend: Backend) -> TestServer {
    TestServer::with(ServerOptions {
        backend,
        metrics: MetricsSettings {
            counts_max_age: Duration::ZERO,
            ..MetricsSettings::default()
        },
        ..ServerOptions::default()
    })
}

/// A grant in acme naming the dev support engineer, and a session on it: (grant, token).
pub(crate) fn grant_and_session(server: &TestServer) -> (String, String) {
    let grant = grant_in(
        &admin(server),
        ACME,
        json!({"level": "member", "areas": ["chats"], "engineers": [SUPPORT_EMAIL], "reason": "metrics"}),
    );
    let (_, token) = open_in(
        &support(server),
        ACME,
        json!({"grant_id": grant, "reason": "metrics"}),
    );
    (grant, token)
}

fn a_scrape_under_load_passes_promtool_and_names_no_org_account_or_token(backend: Backend) {
    let server = server_on(backend);
    let (_, token) = grant_and_session(&server);
    let url = server.url.clone();
    let tokens = (server.tokens.service.clone(), server.tokens.admin.clone());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..3)
        .map(|worker| {
            let (url, tokens, token, stop) = (url.clone(), tokens.clone(), token.clone(), stop.clone());
            std::thread::spawn(move || {
                let api = |token: &str| Api {
                    base: url.clone(),
                    token: Some(token.to_owned()),
                    http: http_client(),
                };
                let (service, admin) = (api(&tokens.0), api(&tokens.1));
                let mut calls = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let reply = match worker {
                        0 => service.post("/v1/introspect", json!({"token": token})),
                        1 => service.post(
                            "/v1/authorize",
                            json!({"token": token, "area": "chats", "action": "read"}),
                        ),
                        _ => admin.post(
                            "/v1/orgs/acme/grants",
                            json!({"level": "read-only", "engineers": [SUPPORT_EMAIL], "reason": "load"}),
                        ),
                    };
                    assert!(reply.status < 300, "{}", reply.body);
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    let operator = operator(&server);
    let mut scrapes = Vec::new();
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(100));
        scrapes.push(scrape(&operator));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let calls: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(calls > 0);
    for scrape in &scrapes {
        promtool_check(&scrape.text);
        let names = scrape.label_names();
        for forbidden in FORBIDDEN_LABELS {
            assert!(
                !names.contains(forbidden),
                "a label named {forbidden}: {names:?}"
            );
        }
    }
    let last = scrapes.last().unwrap();
    assert!(
        last.value(r#"supportctl_introspections_total{result="active"}"#) > 0.0,
        "{}",
        last.text
    );
    // No token, session id, org slug or email appears anywhere.
    for secret in [
        token.as_str(),
        server.tokens.service.as_str(),
        ACME,
        SUPPORT_EMAIL,
    ] {
        assert!(!last.text.contains(secret), "{secret} in the scrape");
    }
    let route_labels: BTreeSet<&str> = last
        .values
        .keys()
        .filter_map(|series| series.split("route=\"").nth(1)?.split('"').next())
        .collect();
    assert!(
        route_labels.contains("/v1/orgs/{org}/grants"),
        "requests are labelled by route template: {route_labels:?}"
    );
}

fn counters_and_gauges_follow_what_the_server_does(backend: Backend) {
    let server = server_on(backend);
    let operator = operator(&server);
    let introspect_route =
        r#"supportctl_http_requests_total{method="POST",route="/v1/introspect",status="2xx"}"#;
    let active = r#"supportctl_introspections_total{result="active"}"#;
    let inactive = r#"supportctl_introspections_total{result="inactive"}"#;
    let allow = r#"supportctl_authorize_decisions_total{decision="allow"}"#;
    let deny = r#"supportctl_authorize_decisions_total{decision="deny"}"#;
    let events = "supportctl_audit_events_total";

    let before = scrape(&operator);
    assert_eq!(before.value("supportctl_active_grants"), 0.0);
    assert_eq!(
        before.value(&format!(
            "supportctl_build_info{{version=\"{}\"}}",
            env!("CARGO_PKG_VERSION")
        )),
        1.0
    );
    let (_, token) = grant_and_session(&server);
    // Another grant, revoked: not active.
    let revoked = grant_in(
        &admin(&server),
        ACME,
        json!({"level": "member", "engineers": [SUPPORT_EMAIL], "reason": "gone"}),
    );
    revoke(&admin(&server), ACME, &revoked);
    let request = crate::api_requests::file(
        &support(&server),
        ACME,
        json!({"level": "read-only", "areas": ["issues"], "reason": "metrics"}),
    );
    assert_eq!(request["status"], "pending");

    // A dry run writes its events and rolls them back: not counted.
    let dry_run = admin(&server).post(
        "/v1/orgs/acme/grants?dry_run=true",
        json!({"level": "member", "engineers": [SUPPORT_EMAIL], "reason": "preview"}),
    );
    assert_eq!(dry_run.status, 200, "{}", dry_run.body);
    let after_setup = scrape(&operator);
    assert_eq!(after_setup.value("supportctl_active_grants"), 1.0);
    assert_eq!(after_setup.value("supportctl_active_sessions"), 1.0);
    assert_eq!(after_setup.value("supportctl_pending_access_requests"), 1.0);
    assert_eq!(
        after_setup.value("supportctl_webhook_outbox_pending_deliveries"),
        0.0
    );
    // grant.created twice, session.opened, grant.revoked, request.created.
    assert!(
        after_setup.value(events) == before.value(events) + 5.0,
        "{} then {}",
        before.value(events),
        after_setup.value(events)
    );
    let pools = after_setup
        .values
        .keys()
        .filter(|series| series.starts_with("supportctl_db_pool_connections{"))
        .count();
    assert!(
        pools >= 4,
        "two pools, in use and idle each:\n{}",
        after_setup.text
    );

    // One introspection: one active decision, one more request on its route.
    assert_eq!(introspect(&server, &token)["active"], true);
    let introspected = scrape(&operator);
    assert_eq!(introspected.value(active), after_setup.value(active) + 1.0);
    assert_eq!(introspected.value(inactive), after_setup.value(inactive));
    assert_eq!(
        introspected.value(introspect_route),
        after_setup.value(introspect_route) + 1.0
    );
    // Reading is not an event.
    assert_eq!(introspected.value(events), after_setup.value(events));
    introspect(&server, "sst_unknown");
    assert_eq!(
        scrape(&operator).value(inactive),
        introspected.value(inactive) + 1.0
    );

    // An allowed and a denied decision, each an audit event; an unknown token is denied too.
    let decided_before = scrape(&operator);
    assert_eq!(authorize(&server, &token, "chats", "read")["allow"], true);
    assert_eq!(
        authorize(&server, &token, "source-code", "read")["allow"],
        false
    );
    assert_eq!(
        authorize(&server, "sst_unknown", "chats", "read")["allow"],
        false
    );
    let decided = scrape(&operator);
    assert_eq!(decided.value(allow), decided_before.value(allow) + 1.0);
    assert_eq!(decided.value(deny), decided_before.value(deny) + 2.0);
    assert_eq!(decided.value(events), decided_before.value(events) + 2.0);

    // Requests that matched no route are counted under one label, whatever their path.
    for path in ["/nowhere", "/v1/nothing/here"] {
        assert_eq!(operator.get(path).status, 404);
    }
    let unmatched =
        r#"supportctl_http_requests_total{method="GET",route="unmatched",status="4xx"}"#;
    let after_unmatched = scrape(&operator);
    assert_eq!(
        after_unmatched.value(unmatched),
        decided.value(unmatched) + 2.0
    );
    assert!(!after_unmatched.text.contains("/nowhere"));
    let histogram_count = r#"supportctl_http_request_duration_seconds_count{method="POST",route="/v1/introspect",status="2xx"}"#;
    assert_eq!(
        after_unmatched.value(histogram_count),
        after_unmatched.value(introspect_route)
    );
}

fn webhook_attempts_are_counted_by_outcome(backend: Backend) {
    let server = server_on(backend);
    let operator = operator(&server);
    let receiver = Receiver::start();
    let (webhook, _) = crate::api_webhooks::add_webhook(&admin(&server), &receiver.url, json!({}));
    let new_grant = || {
        grant_in(
            &admin(&server),
            ACME,
            json!({"level": "read-only", "engineers": [SUPPORT_EMAIL], "reason": "hook"}),
        )
    };
    // One attempt at a time: each grant waits for the attempt before it to be answered.
    let answered = |count: usize, status: u16| {
        receiver.wait_for(Duration::from_secs(10), |received| {
            received.len() >= count && received.iter().any(|r| r.status == status)
        });
    };
    // `webhook.created` goes out first.
    answered(1, 200);
    // A 500 is retried later; a 410 Gone ends the delivery, disables the webhook and fails
    // what it had pending.
    receiver.script(&[500]);
    new_grant();
    answered(2, 500);
    receiver.script(&[410]);
    new_grant();
    answered(3, 410);
    let answered_with = |wanted: fn(u16) -> bool| {
        let received = receiver.received();
        received.iter().filter(|r| wanted(r.status)).count() as f64
    };
    // Counted as each attempt's answer arrives, a moment after the receiver sent it.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let expected = [
            ("delivered", answered_with(|status| status < 300)),
            ("failed_will_retry", answered_with(|status| status == 500)),
            ("failed_permanently", answered_with(|status| status == 410)),
        ];
        let scraped = scrape(&operator);
        let counted = expected.map(|(outcome, _)| {
            let series =
                format!("supportctl_webhook_delivery_attempts_total{{outcome=\"{outcome}\"}}");
            (outcome, scraped.value(&series))
        });
        // What the 410 left pending is failed with its webhook.
        let pending = scraped.value("supportctl_webhook_outbox_pending_deliveries");
        if counted == expected && pending == 0.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "counted {counted:?}, pending {pending}; the receiver answered {expected:?}; \
             the deliveries: {:#?}",
            admin(&server).all(&format!("/v1/orgs/acme/webhooks/{webhook}/deliveries"))
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
