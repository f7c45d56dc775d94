//! Sign-in with an identity provider, against the tests' real OpenID Provider (npm
//! `oidc-provider`, installed under `tests/oidc/` by `npm ci`) and their browser script, on
//! loopback, on a server of its own (a fresh SQLite file, `--dev`):
//!
//! - `supportctl login --sso`, from the provider's redirect (when the browser script asks for
//!   the server's callback) to the CLI's exit with the token stored. The CLI polls at the pace
//!   the server gives (1 s for the browser flow), so this is mostly that wait.
//! - The server's CPU per sign-in through the API (start, callback with the code exchange and
//!   the ID token's checks, token handout), from `/proc`: the time its threads ran over N
//!   sign-ins, less what they run idle over as long (idle measured before and after). The
//!   provider's own work is in its own process, and the server's waits on it cost no CPU; a
//!   first sign-in fetches the provider's discovery document and keys, so the ones measured
//!   find them cached.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::Row;
use super::measure::cpu_time;
use super::server::start_server;
use super::webhooks::{client, percentile};

fn oidc_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

/// The provider, started like the tests start it; its issuer.
fn start_provider(redirect: &str) -> (Child, String) {
    let config = json!({
        "port": 0,
        "clients": [{"client_id": "supportctl", "client_secret": "bench-secret", "redirect_uris": [redirect]}],
        "users": {"eng": {"email": "support@supportctl.test", "email_verified": true, "groups": ["support"]}},
    });
    let mut child = Command::new("node")
        .arg(oidc_dir().join("provider.mjs"))
        .env("OIDC_CONFIG", config.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let issuer = line
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("the provider did not start: {line:?}"))
        .trim()
        .to_owned();
    (child, issuer)
}

/// The browser script's last page.
fn browse(url: &str) -> Value {
    let out = Command::new("node")
        .arg(oidc_dir().join("browser.mjs"))
        .args([url, "eng"])
        .output()
        .unwrap();
    assert!(out.status.success(), "the browser script failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn epoch_ms(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0
}

pub fn rows(exe: &Path, dir: &Path, quick: bool) -> Vec<Row> {
    if !oidc_dir().join("node_modules/oidc-provider").is_dir() {
        eprintln!("perf: SKIPPED the sign-in rows: run `npm ci` in tests/oidc");
        return Vec::new();
    }
    let db = format!("sqlite://{}", dir.join("sso.db").display());
    let (mut server, url, tokens) = start_server(exe, &db, true, &dir.join("sso.log"));
    let (mut provider, issuer) = start_provider(&format!("{url}/v1/auth/callback"));
    let http = client();
    let connector = http
        .post(format!("{url}/v1/auth/connectors"))
        .bearer_auth(&tokens["SUPPORTCTL_OPERATOR_TOKEN"])
        .json(&json!({
            "name": "corp", "issuer": issuer, "client_id": "supportctl",
            "client_secret": "bench-secret",
            "rules": [{"claim": "groups", "value": "support", "role": "support"}],
        }))
        .send()
        .unwrap();
    assert!(
        connector.status().is_success(),
        "{}",
        connector.text().unwrap()
    );
    let sign_in = || {
        let started: Value = http
            .post(format!("{url}/v1/auth/login"))
            .json(&json!({"connector": "corp"}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let page = browse(started["url"].as_str().unwrap());
        assert_eq!(page["status"], 200, "{}", page["body"]);
        let flow = started["flow_id"].as_str().unwrap();
        let token = http
            .post(format!("{url}/v1/auth/login/{flow}/token"))
            .send()
            .unwrap();
        assert_eq!(token.status().as_u16(), 200);
    };
    // Discovery and the provider's keys, cached from here on.
    sign_in();

    // The server's CPU per sign-in, less its idle CPU over as long: the idle rate is the mean
    // of one measured before the sign-ins and one after, as it drifts (timers, the sweep).
    let pid = server.id();
    let idle_for = Duration::from_secs(if quick { 1 } else { 5 });
    let idle_rate = || {
        let (cpu, started) = (cpu_time(pid), Instant::now());
        std::thread::sleep(idle_for);
        (cpu_time(pid) - cpu).as_secs_f64() / started.elapsed().as_secs_f64()
    };
    let idle_before = idle_rate();
    let n = if quick { 3 } else { 50 };
    let (busy_cpu, busy_started) = (cpu_time(pid), Instant::now());
    for _ in 0..n {
        sign_in();
    }
    let busy = (cpu_time(pid) - busy_cpu).as_secs_f64();
    let wall = busy_started.elapsed().as_secs_f64();
    let idle_rate = (idle_before + idle_rate()) / 2.0;
    let per_sign_in = Duration::from_secs_f64(((busy - idle_rate * wall) / n as f64).max(0.0));

    // `login --sso`: the browser script is the CLI's $BROWSER, which notes when it asked for
    // the server's callback page.
    let samples = if quick { 2 } else { 20 };
    let mut latencies = Vec::new();
    for sample in 0..samples {
        let page = dir.join(format!("sso-page-{sample}.json"));
        let browser = format!(
            "sh -c 'node {} \"$0\" eng > {}'",
            oidc_dir().join("browser.mjs").display(),
            page.display()
        );
        let status = Command::new(exe)
            .args(["login", "--sso", "--insecure-storage", "--server", &url])
            .env(
                "SUPPORTCTL_CONFIG_DIR",
                dir.join(format!("sso-cli-{sample}")),
            )
            .env("BROWSER", browser)
            .env_remove("SUPPORTCTL_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        let done = SystemTime::now();
        assert!(status.success(), "login --sso failed");
        let page: Value = serde_json::from_slice(&std::fs::read(&page).unwrap()).unwrap();
        let redirected = page["fetched_at"].as_f64().unwrap();
        latencies.push(Duration::from_secs_f64(
            ((epoch_ms(done) - redirected) / 1000.0).max(0.0),
        ));
    }
    let _ = server.kill();
    let _ = server.wait();
    let _ = provider.kill();
    let _ = provider.wait();
    let p50 = percentile(&mut latencies, 0.5);
    let worst = percentile(&mut latencies, 1.0);
    vec![
        Row {
            target: "`login --sso`: provider's redirect → CLI holding the token, p50 (max), loopback",
            measured: format!(
                "{} ({}), {samples} sign-ins",
                super::ms(p50),
                super::ms(worst)
            ),
            baseline: "1 s (the server's poll interval for the browser flow)".into(),
            ratio: "-".into(),
            goal: "p50 <= 1.5 s",
            met: p50 <= Duration::from_millis(1500),
        },
        Row {
            target: "server CPU per sign-in (start, callback, token; provider's keys cached)",
            measured: format!("{} over {n} sign-ins", super::ms(per_sign_in)),
            baseline: format!("{:.1} ms/s idle", idle_rate * 1000.0),
            ratio: "-".into(),
            goal: "<= 5 ms",
            met: per_sign_in <= Duration::from_millis(5),
        },
    ]
}
