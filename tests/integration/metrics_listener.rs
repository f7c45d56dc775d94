//! `/metrics` beyond the conformance suite: the token-less `--metrics-listen`, the hidden switch
//! that turns recording off, counts reused between scrapes, and the README's table and examples.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::json;
use supportctl::server::metrics::MetricsSettings;

use crate::common::fixtures::*;
use crate::common::harness::{Api, ServerOptions, TestServer, http_client};
use crate::common::server_process::{Launch, ServerProcess};
use crate::metrics::{grant_and_session, promtool, promtool_check, scrape};

/// `supportctl server` with `args` on a SQLite file of its own, seeded with `--dev`.
fn server_process(dir: &tempfile::TempDir, args: &[&str]) -> ServerProcess {
    let db = format!("sqlite://{}", dir.path().join("metrics.db").display());
    ServerProcess::start(Launch {
        db: &db,
        log: &dir.path().join("server.log"),
        log_filter: "info",
        dev: true,
        extra_args: args,
    })
}

#[test]
fn the_metrics_listener_serves_metrics_alone_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_process(
        &dir,
        &["--metrics-listen", "127.0.0.1:0", "--drain-delay", "2s"],
    );
    // Logged just after the main listener's address.
    let deadline = Instant::now() + Duration::from_secs(10);
    let metrics_url = loop {
        let log = server.log_text();
        if let Some(url) = log
            .split("metrics_url=")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
        {
            break url.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "the log names no metrics listener:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let base = metrics_url.trim_end_matches("/metrics").to_owned();
    assert_ne!(base, server.url, "a listener of its own");
    let anonymous = Api {
        base,
        token: None,
        http: http_client(),
    };
    let scraped = scrape(&anonymous);
    assert!(
        scraped.text.contains("supportctl_build_info"),
        "{}",
        scraped.text
    );
    promtool_check(&scraped.text);
    // Nothing else: not the API, not even with a token.
    for path in ["/healthz", "/v1/me", "/v1/openapi.json", "/metrics/", "/"] {
        let reply = anonymous.get(path);
        assert_eq!(reply.status, 404, "{path}: {}", reply.body);
    }
    let operator = Api {
        token: server.tokens.as_ref().map(|tokens| tokens.operator.clone()),
        ..anonymous
    };
    assert_eq!(operator.get("/v1/me").status, 404);
    assert_eq!(operator.post_empty("/metrics").status, 405);
    // The main listener still wants a token.
    let main = server.api("");
    assert_eq!(main.get("/metrics").status, 401);

    // It drains with the server: still scraped while /readyz says draining, gone after.
    let mut server = server;
    let stopping = std::thread::spawn(move || server.terminate());
    let deadline = Instant::now() + Duration::from_secs(10);
    while main.get("/readyz").status != 503 {
        assert!(Instant::now() < deadline, "the drain never began");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(operator.get("/metrics").status, 200);
    stopping.join().unwrap();
    assert!(
        http_client().get(&metrics_url).send().is_err(),
        "the metrics listener outlived the server"
    );
}

#[test]
fn scrapes_in_quick_succession_reuse_the_counts() {
    let server = TestServer::with(ServerOptions {
        metrics: MetricsSettings::default(),
        ..ServerOptions::default()
    });
    let operator = operator(&server);
    assert_eq!(scrape(&operator).value("supportctl_active_grants"), 0.0);
    grant_and_session(&server);
    // Read a moment ago: the database is not asked again.
    assert_eq!(scrape(&operator).value("supportctl_active_grants"), 0.0);
    let deadline = Instant::now() + supportctl::server::metrics::DEFAULT_COUNTS_MAX_AGE * 3;
    while scrape(&operator).value("supportctl_active_grants") != 1.0 {
        assert!(
            Instant::now() < deadline,
            "the counts were never read again"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn without_recording_the_counters_stay_at_zero() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_process(&dir, &["--no-metrics-recording"]);
    let tokens = server.tokens.clone().unwrap();
    let (admin, support, service) = (
        server.api(&tokens.admin),
        server.api(&tokens.support),
        server.api(&tokens.service),
    );
    let reply = admin.post(
        "/v1/orgs/acme/grants",
        json!({"level": "member", "engineers": [SUPPORT_EMAIL], "reason": "quiet"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    let grant = reply.body["id"].as_str().unwrap();
    let reply = support.post(
        "/v1/orgs/acme/sessions",
        json!({"grant_id": grant, "reason": "quiet"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    let token = reply.body["token"].as_str().unwrap();
    for path in ["/v1/introspect", "/v1/authorize"] {
        let reply = service.post(
            path,
            json!({"token": token, "area": "chats", "action": "read"}),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let scraped = scrape(&server.api(&tokens.operator));
    promtool_check(&scraped.text);
    let counted: Vec<(&String, &f64)> = scraped
        .values
        .iter()
        .filter(|(series, value)| {
            let counter = series.contains("_total") || series.contains("_count");
            counter && **value != 0.0
        })
        .collect();
    assert!(counted.is_empty(), "counted: {counted:?}");
    assert!(
        !scraped.text.contains("supportctl_http_requests_total{"),
        "{}",
        scraped.text
    );
    // What is counted when scraped is still there.
    assert_eq!(scraped.value("supportctl_active_sessions"), 1.0);
}

/// The README's "Metrics": its table lists exactly the families a scrape has, and its
/// Prometheus configuration and alert rules pass promtool.
#[test]
fn the_readme_lists_every_family_and_its_examples_pass_promtool() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let section = readme
        .split("\n## Metrics\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Metrics section");
    let documented: BTreeSet<&str> = section
        .lines()
        .filter_map(|line| line.strip_prefix("| `")?.split('`').next())
        .filter(|name| name.starts_with("supportctl_"))
        .collect();
    let server = TestServer::start();
    // A family without a series yet is left out of a scrape: one request makes the HTTP ones.
    server.anonymous().get("/healthz").assert_ok();
    let scraped = scrape(&operator(&server));
    let served: BTreeSet<&str> = scraped
        .text
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE ")?.split(' ').next())
        .collect();
    assert_eq!(documented, served, "the README's table of metrics");

    let dir = tempfile::tempdir().unwrap();
    // The code block that holds `marker`, or else the first one after it.
    let block = |marker: &str| {
        let start = section.find(marker).expect(marker);
        let rest = &section[start..];
        let body = match rest
            .split_once('\n')
            .map(|(first, _)| first.starts_with('#'))
        {
            Some(true) => rest,
            _ => rest.split_once("```yaml\n").expect("a YAML block").1,
        };
        body.split("```").next().unwrap().to_owned()
    };
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, block("# prometheus.yml")).unwrap();
    let rules = dir.path().join("rules.yml");
    std::fs::write(&rules, block("What to alert on")).unwrap();
    for (what, file) in [("config", &config), ("rules", &rules)] {
        let Some(output) = promtool(&["check", what, file.to_str().unwrap()]) else {
            return;
        };
        assert!(
            output.status.success(),
            "promtool check {what}:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
