//! The performance targets the README lists, each measured against its named baseline in the
//! same run, on the real release binary and a real SQLite file.
//!
//!   cargo bench --bench perf               full sizes (10,000 sessions, 1,000,000 grants)
//!   cargo bench --bench perf -- --quick    small sizes, a minute or so
//!   cargo bench --bench perf -- --requests only the access-request rows
//!   PERF_ONLY=postgres | webhooks | authorize | drain | backup | metrics | audit | rules
//!             | breakglass | tlog | sso | report
//!                                          only the PostgreSQL rows, the webhook rows,
//!                                          authorize against introspect on SQLite, the
//!                                          rolling restart of two PostgreSQL replicas,
//!                                          `server backup` of a 1 GB file under authorize
//!                                          load, introspect with metrics recorded
//!                                          against without, `audit list --limit 50`
//!                                          on a log of 1,000,000 events against 1,000,
//!                                          the customer rules (a request inside an
//!                                          auto-approval rule to a session; a ticket's
//!                                          closing ending 1,000 grants with sessions),
//!                                          the break-glass alarm's commit → 2xx,
//!                                          `audit verify --checkpoint` by consistency
//!                                          proof and inclusion proofs at 1,000,000 events,
//!                                          sign-in with an identity provider (`login
//!                                          --sso` latency, the server's CPU per sign-in;
//!                                          needs Node.js and `npm ci` in tests/oidc, so
//!                                          only this way, never in the default run), or
//!                                          `grant report` of a grant with 100,000 access
//!                                          events (wall time, client peak RSS)
//!   cargo test --bench perf                quick mode in the test profile (what CI runs)
//!   PERF_DB_CONNECTIONS=N                  the servers' --db-max-connections
//!
//! Needs `curl` and `wrk` (Debian packages) on PATH. Prints one table; timings are reported,
//! never asserted, so that a loaded machine cannot fail a build.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

mod audit;
mod backup;
mod breakglass;
mod drain;
mod load;
mod measure;
mod metrics;
mod postgres;
mod report;
mod requests;
mod rules;
mod server;
mod sso;
mod tlog;
mod webhooks;

use load::{
    AUTHORIZE_BODY, introspect_requests, introspect_script, load_script, paced_load, wrk, wrk_with,
};
use measure::{cpu_time, median, ms, peak_rss_kib, time_run};
use postgres::{on_postgres, postgres_admin_url};
use server::{post, seed, start_server};

struct Sizes {
    list_grants: usize,
    small: usize,
    big: usize,
    bulk: usize,
    runs: usize,
    load_seconds: u32,
}

const FULL: Sizes = Sizes {
    list_grants: 50,
    small: 1_000,
    big: 1_000_000,
    bulk: 10_000,
    runs: 30,
    load_seconds: 10,
};

const QUICK: Sizes = Sizes {
    list_grants: 50,
    small: 100,
    big: 5_000,
    bulk: 500,
    runs: 5,
    load_seconds: 1,
};

/// One line of the result table.
struct Row {
    target: &'static str,
    measured: String,
    baseline: String,
    ratio: String,
    goal: &'static str,
    met: bool,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes --bench; `cargo test` does not: then run quick.
    let quick = !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--quick");
    let sizes = if quick { &QUICK } else { &FULL };
    for tool in ["curl", "wrk", "/usr/bin/time"] {
        if Command::new(tool).arg("--version").output().is_err() {
            eprintln!("perf: SKIPPED: `{tool}` is required (apt-get install {tool})");
            // Under `cargo test` a missing tool skips loudly; under `cargo bench` it fails.
            std::process::exit(if args.iter().any(|a| a == "--bench") {
                2
            } else {
                0
            });
        }
    }
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_supportctl"));
    let dir = tempfile::tempdir().expect("a temporary folder");
    eprintln!(
        "perf: {} mode, binary {}",
        if quick { "quick" } else { "full" },
        exe.display()
    );
    // `PERF_ONLY=breakglass`: the break-glass alarm's row alone.
    if std::env::var("PERF_ONLY").as_deref() == Ok("breakglass") {
        print_table(&breakglass::rows(&exe, dir.path(), quick), quick);
        return;
    }
    if std::env::var("PERF_ONLY").as_deref() == Ok("sso") {
        print_table(&sso::rows(&exe, dir.path(), quick), quick);
        return;
    }
    // `PERF_ONLY=webhooks`: the webhook rows alone.
    if std::env::var("PERF_ONLY").as_deref() == Ok("webhooks") {
        print_table(&webhooks::rows(&exe, dir.path(), quick), quick);
        return;
    }
    if std::env::var("PERF_ONLY").as_deref() == Ok("drain") {
        let url = postgres_admin_url().expect("PERF_ONLY=drain needs SUPPORTCTL_TEST_POSTGRES_URL");
        print_table(
            &[drain::rolling_restart(&exe, dir.path(), &url, quick)],
            quick,
        );
        return;
    }
    if std::env::var("PERF_ONLY").as_deref() == Ok("audit") {
        print_table(&audit::rows(&exe, dir.path(), quick), quick);
        return;
    }
    if std::env::var("PERF_ONLY").as_deref() == Ok("rules") {
        print_table(&rules::rows(&exe, dir.path(), quick), quick);
        return;
    }
    if std::env::var("PERF_ONLY").as_deref() == Ok("report") {
        print_table(&report::rows(&exe, dir.path(), quick), quick);
        return;
    }
    if std::env::var("PERF_ONLY").as_deref() == Ok("tlog") {
        print_table(&tlog::rows(&exe, dir.path(), quick), quick);
        return;
    }
    if std::env::var("PERF_ONLY").as_deref() == Ok("backup") {
        print_table(&backup::rows(&exe, dir.path(), sizes, quick), quick);
        return;
    }
    let mut rows = Vec::new();
    // `--requests`: only the access-request rows; PERF_ONLY=postgres: only the PostgreSQL rows.
    if std::env::var("PERF_ONLY").as_deref() == Ok("authorize") {
        let mut bench = Bench::setup(&exe, dir.path(), sizes);
        // The warm-up `introspect_vs_healthz` gives in a full run.
        let script = bench.write_introspect_script();
        wrk(&bench.url, "/v1/introspect", Some(&script), 3);
        let rows = bench.authorize_vs_introspect();
        bench.stop();
        print_table(&rows, quick);
        return;
    }
    if std::env::var("PERF_ONLY").as_deref() == Ok("metrics") {
        let mut bench = Bench::setup(&exe, dir.path(), sizes);
        let script = bench.write_introspect_script();
        bench.stop();
        let rows = vec![metrics::introspect_with_and_without_recording(
            &exe,
            &bench.db,
            &script,
            sizes.load_seconds,
        )];
        print_table(&rows, quick);
        return;
    }
    let only_requests = args.iter().any(|a| a == "--requests");
    let only_postgres = std::env::var("PERF_ONLY").as_deref() == Ok("postgres");
    if !only_requests && !only_postgres {
        sqlite_rows(&exe, dir.path(), sizes, &mut rows);
        rows.extend(backup::rows(&exe, dir.path(), sizes, quick));
        rows.extend(webhooks::rows(&exe, dir.path(), quick));
        rows.extend(rules::rows(&exe, dir.path(), quick));
        rows.extend(breakglass::rows(&exe, dir.path(), quick));
        rows.extend(report::rows(&exe, dir.path(), quick));
    }
    if !only_postgres {
        rows.push(requests::pending_list_scaling(
            &exe,
            dir.path(),
            sizes,
            quick,
        ));
    }
    match postgres_admin_url() {
        Some(url) => {
            if !only_requests {
                rows.extend(on_postgres(&exe, dir.path(), &url, sizes));
                rows.push(drain::rolling_restart(&exe, dir.path(), &url, quick));
            }
            rows.extend(requests::wake_across_replicas(
                &exe,
                dir.path(),
                &url,
                quick,
            ));
        }
        None => eprintln!(
            "perf: no PostgreSQL (set SUPPORTCTL_TEST_POSTGRES_URL): its rows are skipped"
        ),
    }
    print_table(&rows, quick);
}

/// The rows measured on a SQLite file.
fn sqlite_rows(exe: &Path, dir: &Path, sizes: &Sizes, rows: &mut Vec<Row>) {
    let mut bench = Bench::setup(exe, dir, sizes);
    rows.push(bench.list_vs_curl());
    rows.extend(bench.introspect_vs_healthz());
    rows.extend(bench.authorize_vs_introspect());
    rows.extend(bench.bulk_revoke());
    rows.push(bench.list_scaling());
    rows.extend(bench.client_footprint());
    bench.stop();
}

fn print_table(rows: &[Row], quick: bool) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "\n| target | measured | baseline | ratio | goal | met |\n|---|---|---|---|---|---|"
    );
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            row.target,
            row.measured,
            row.baseline,
            row.ratio,
            row.goal,
            // Quick mode's sizes and debug build are not what the goals are set for.
            match (quick, row.met) {
                (true, _) => "n/a (quick)",
                (false, true) => "yes",
                (false, false) => "NO",
            }
        );
    }
    if quick {
        let _ = writeln!(
            out,
            "\n(quick mode: small sizes; the goals apply to `cargo bench --bench perf`)"
        );
    }
}

struct Tokens {
    operator: String,
    acme_admin: String,
    service: String,
    small_admin: String,
    big_admin: String,
    bulk_admin: String,
    cli_admin: String,
}

struct Bench<'a> {
    exe: PathBuf,
    dir: PathBuf,
    db: String,
    sizes: &'a Sizes,
    server: Option<Child>,
    url: String,
    tokens: Tokens,
    /// Session tokens of org `bulk` (for introspection).
    session_tokens: Vec<String>,
}

impl<'a> Bench<'a> {
    fn setup(exe: &Path, dir: &Path, sizes: &'a Sizes) -> Bench<'a> {
        let db = format!("sqlite://{}", dir.join("bench.db").display());
        // 1. A dev server creates the schema, org acme and one account per role.
        let log = dir.join("server.log");
        let (child, url, dev) = start_server(exe, &db, true, &log);
        let mut bench = Bench {
            exe: exe.to_owned(),
            dir: dir.to_owned(),
            db,
            sizes,
            server: Some(child),
            url,
            tokens: Tokens {
                operator: dev["SUPPORTCTL_OPERATOR_TOKEN"].clone(),
                acme_admin: dev["SUPPORTCTL_ADMIN_TOKEN"].clone(),
                service: dev["SUPPORTCTL_SERVICE_TOKEN"].clone(),
                small_admin: String::new(),
                big_admin: String::new(),
                bulk_admin: String::new(),
                cli_admin: String::new(),
            },
            session_tokens: Vec::new(),
        };
        // 2. Orgs and admins for each measurement, through the API.
        bench.tokens.small_admin = bench.org_with_admin("small");
        bench.tokens.big_admin = bench.org_with_admin("big");
        bench.tokens.bulk_admin = bench.org_with_admin("bulk");
        bench.tokens.cli_admin = bench.org_with_admin("bulkcli");
        bench.stop();
        // 3. Bulk data straight into the file (a million grants through HTTP would take
        //    longer than the whole benchmark), then the real server again.
        let started = Instant::now();
        bench.session_tokens = seed(&bench.db, sizes);
        eprintln!("perf: seeded in {:.1}s", started.elapsed().as_secs_f64());
        let (child, url, _) = start_server(exe, &bench.db, false, &log);
        bench.server = Some(child);
        bench.url = url;
        bench
    }

    fn org_with_admin(&self, slug: &str) -> String {
        let created = post(
            &self.url,
            &self.tokens.operator,
            "/v1/orgs",
            &json!({"slug": slug, "name": slug}),
        );
        assert!(created.0 < 300, "creating org {slug}: {}", created.1);
        let (status, body) = post(
            &self.url,
            &self.tokens.operator,
            "/v1/accounts",
            &json!({"email": format!("admin@{slug}.test"), "role": "admin", "org": slug}),
        );
        assert!(status < 300, "creating admin of {slug}: {body}");
        body["token"].as_str().unwrap().to_owned()
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.server.take() {
            // SIGTERM: a graceful shutdown, so SQLite checkpoints and the lock is released.
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let _ = child.wait();
        }
    }

    fn cli(&self, token: &str, args: &[&str]) -> Command {
        let mut command = Command::new(&self.exe);
        command
            .args(args)
            .env("SUPPORTCTL_SERVER", &self.url)
            .env("SUPPORTCTL_TOKEN", token)
            .env("SUPPORTCTL_CONFIG_DIR", self.dir.join("config"))
            .env_remove("SUPPORTCTL_PROFILE")
            .env_remove("SUPPORTCTL_ORG")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// `grant list -o json` versus `curl -s` of the same endpoint with the same token.
    fn list_vs_curl(&mut self) -> Row {
        let url = format!("{}/v1/orgs/acme/grants?status=active&limit=100", self.url);
        let header = format!("Authorization: Bearer {}", self.tokens.acme_admin);
        let mut curl = Command::new("curl");
        curl.args(["-s", "-o", "/dev/null", "-H", &header, &url]);
        let client_args = ["grant", "list", "-o", "json", "--org", "acme"];
        // Interleave the two so that drift on the machine hits both alike.
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for _ in 0..self.sizes.runs {
            ours.push(time_run(
                &mut self.cli(&self.tokens.acme_admin, &client_args),
            ));
            theirs.push(time_run(&mut curl));
        }
        let (ours, theirs) = (median(&mut ours), median(&mut theirs));
        let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
        Row {
            target: "`grant list -o json`, 50 grants (median wall)",
            measured: ms(ours),
            baseline: format!("{} (curl -s)", ms(theirs)),
            ratio: format!("{ratio:.2}x"),
            goal: "<= 1.3x curl",
            met: ratio <= 1.3,
        }
    }

    /// The session tokens and the wrk script that introspects them, in the bench's folder.
    fn write_introspect_script(&self) -> PathBuf {
        let tokens_file = self.dir.join("session-tokens.txt");
        std::fs::write(&tokens_file, self.session_tokens.join("\n")).unwrap();
        let script = self.dir.join("introspect.lua");
        std::fs::write(
            &script,
            introspect_script(&tokens_file, &self.tokens.service),
        )
        .unwrap();
        script
    }

    /// Introspection throughput and p99 at 64 connections versus `GET /healthz`.
    fn introspect_vs_healthz(&mut self) -> Vec<Row> {
        let script = self.write_introspect_script();
        // Warm up both paths before measuring: connections, and every session introspected once
        // (a session's first introspection reads the database, about 10,000 a second; the
        // target is the steady state of a platform calling on every request).
        wrk(&self.url, "/healthz", None, 1);
        wrk(&self.url, "/v1/introspect", Some(&script), 3);
        let health = wrk(&self.url, "/healthz", None, self.sizes.load_seconds);
        let introspect = wrk(
            &self.url,
            "/v1/introspect",
            Some(&script),
            self.sizes.load_seconds,
        );
        eprintln!(
            "perf: healthz {:.0} req/s p99 {:.2} ms; introspect {:.0} req/s p99 {:.2} ms",
            health.rps, health.p99_ms, introspect.rps, introspect.p99_ms
        );
        assert!(
            introspect.non_2xx == 0,
            "introspection answered {} non-2xx responses",
            introspect.non_2xx
        );
        let share = introspect.rps / health.rps;
        // The latency target at the rate the target names: 20,000 req/s offered on 64
        // connections (quick mode offers less: a debug build cannot serve that).
        let rate = if self.sizes.big >= 1_000_000 {
            20_000
        } else {
            2_000
        };
        let requests = std::sync::Arc::new(introspect_requests(
            &self.url,
            &self.tokens.service,
            &self.session_tokens,
        ));
        let paced = paced_load(
            &self.url,
            requests,
            rate,
            64,
            self.sizes.load_seconds.max(5),
        );
        assert_eq!(paced.errors, 0, "introspection failed under paced load");
        eprintln!(
            "perf: paced {} req/s offered: {:.0} served, p50 {:.2} ms, p99 {:.2} ms",
            rate, paced.achieved_rps, paced.p50_ms, paced.p99_ms
        );
        vec![
            Row {
                target: "introspect throughput, 64 conns, 10,000 sessions (wrk, saturated)",
                measured: format!("{:.0} req/s", introspect.rps),
                baseline: format!("{:.0} req/s (GET /healthz)", health.rps),
                ratio: format!("{:.0}%", share * 100.0),
                goal: ">= 20,000 req/s and >= 40% of healthz",
                met: introspect.rps >= 20_000.0 && share >= 0.4,
            },
            Row {
                // Named after the rate actually offered.
                target: if rate == 20_000 {
                    "introspect p99 at 20,000 req/s offered, 64 conns (open loop)"
                } else {
                    "introspect p99 at 2,000 req/s offered, 64 conns (open loop; the goal is at 20,000)"
                },
                measured: format!(
                    "{:.2} ms (p50 {:.2} ms, {:.0} req/s served)",
                    paced.p99_ms, paced.p50_ms, paced.achieved_rps
                ),
                baseline: format!("{rate} req/s offered"),
                ratio: "-".into(),
                goal: "<= 5 ms",
                met: paced.p99_ms <= 5.0,
            },
            Row {
                target: "introspect p99 at saturation (wrk, for reference)",
                measured: format!("{:.2} ms", introspect.p99_ms),
                baseline: format!("{:.2} ms (GET /healthz)", health.p99_ms),
                ratio: format!("{:.2}x", introspect.p99_ms / health.p99_ms),
                goal: "(none)",
                met: true,
            },
        ]
    }

    /// `authorize` (which commits an audit event per call) against `introspect` (a read), both
    /// at 16 connections on the same 10,000 sessions of one org.
    fn authorize_vs_introspect(&mut self) -> Vec<Row> {
        let tokens_file = self.dir.join("session-tokens.txt");
        let (introspect, authorize) = (
            self.dir.join("introspect.lua"),
            self.dir.join("authorize.lua"),
        );
        let script = load_script(
            &tokens_file,
            &self.tokens.service,
            "/v1/authorize",
            AUTHORIZE_BODY,
        );
        std::fs::write(&authorize, script).unwrap();
        wrk_with(&self.url, "/v1/authorize", Some(&authorize), 1, 16);
        let seconds = self.sizes.load_seconds;
        let pid = self.server.as_ref().expect("the server runs").id();
        // Server CPU per request (µs), fair where throughput is not: the load generator and
        // whatever else runs share the 2 cores.
        let cpu_per_request = |path: &str, script: &Path| {
            let before = cpu_time(pid);
            let load = wrk_with(&self.url, path, Some(script), seconds, 16);
            let cpu = (cpu_time(pid) - before).as_secs_f64();
            let micros = cpu / (load.rps * f64::from(seconds)) * 1e6;
            (load, micros)
        };
        let (read, read_cpu) = cpu_per_request("/v1/introspect", &introspect);
        let (write, write_cpu) = cpu_per_request("/v1/authorize", &authorize);
        eprintln!(
            "perf: 16 conns: introspect {:.0} req/s p99 {:.2} ms, {read_cpu:.1} µs server CPU each; \
             authorize {:.0} req/s p99 {:.2} ms, {write_cpu:.1} µs each",
            read.rps, read.p99_ms, write.rps, write.p99_ms
        );
        assert!(
            write.non_2xx == 0,
            "authorize answered {} non-2xx responses",
            write.non_2xx
        );
        let share = write.rps / read.rps;
        let cpu_share = read_cpu / write_cpu;
        vec![
            Row {
                target: "authorize on SQLite, 16 conns, 10,000 sessions of one org (wrk, saturated)",
                measured: format!("{:.0} req/s, p99 {:.2} ms", write.rps, write.p99_ms),
                baseline: format!(
                    "{:.0} req/s, p99 {:.2} ms (introspect, 16 conns)",
                    read.rps, read.p99_ms
                ),
                ratio: format!("{:.0}%", share * 100.0),
                goal: ">= 40% of introspect, p99 <= 10 ms",
                met: share >= 0.4 && write.p99_ms <= 10.0,
            },
            Row {
                target: "server CPU per authorize on SQLite (same run; the fair measure on 2 shared cores)",
                measured: format!("{write_cpu:.1} µs"),
                baseline: format!("{read_cpu:.1} µs per introspect"),
                ratio: format!("{:.0}%", cpu_share * 100.0),
                goal: "introspect's CPU >= 40% of authorize's",
                met: cpu_share >= 0.4,
            },
        ]
    }

    /// Revoking every active grant (each with an open session): the request, then the CLI.
    fn bulk_revoke(&mut self) -> Vec<Row> {
        let started = Instant::now();
        let (status, body) = post(
            &self.url,
            &self.tokens.bulk_admin,
            "/v1/orgs/bulk/grants/revoke",
            &json!({"all": true, "reason": "benchmark"}),
        );
        let server = started.elapsed();
        assert_eq!(status, 200, "bulk revoke failed: {body}");
        let revoked = body["revoked"].as_array().map_or(0, Vec::len);
        assert_eq!(revoked, self.sizes.bulk, "every grant revoked");
        let started = Instant::now();
        let status = self
            .cli(
                &self.tokens.cli_admin,
                &["grant", "revoke", "--all", "--yes", "--org", "bulkcli"],
            )
            .status()
            .unwrap();
        let end_to_end = started.elapsed();
        assert!(status.success(), "grant revoke --all failed");
        let label = format!("{} grants", self.sizes.bulk);
        vec![
            Row {
                target: "bulk revoke, server (POST .../grants/revoke {all})",
                measured: ms(server),
                baseline: label.clone(),
                ratio: "-".into(),
                goal: "<= 1 s",
                met: server <= Duration::from_secs(1),
            },
            Row {
                target: "`grant revoke --all --yes`, end to end",
                measured: ms(end_to_end),
                baseline: label,
                ratio: "-".into(),
                goal: "<= 2 s",
                met: end_to_end <= Duration::from_secs(2),
            },
        ]
    }

    /// `grant list --limit 50` at the big org versus the small one.
    fn list_scaling(&mut self) -> Row {
        let mut small = Vec::new();
        let mut big = Vec::new();
        for _ in 0..self.sizes.runs {
            small.push(time_run(&mut self.cli(
                &self.tokens.small_admin,
                &["grant", "list", "--limit", "50", "--org", "small"],
            )));
            big.push(time_run(&mut self.cli(
                &self.tokens.big_admin,
                &["grant", "list", "--limit", "50", "--org", "big"],
            )));
        }
        let (small, big) = (median(&mut small), median(&mut big));
        let ratio = big.as_secs_f64() / small.as_secs_f64();
        Row {
            target: if self.sizes.big >= 1_000_000 {
                "`grant list --limit 50` at 1,000,000 grants"
            } else {
                "`grant list --limit 50` at the big org (quick size)"
            },
            measured: format!("{} ({} grants)", ms(big), self.sizes.big),
            baseline: format!("{} ({} grants)", ms(small), self.sizes.small),
            ratio: format!("{ratio:.2}x"),
            goal: "<= 2x",
            met: ratio <= 2.0,
        }
    }

    /// `--version` time, and the client's peak RSS on a real request.
    fn client_footprint(&mut self) -> Vec<Row> {
        let mut times = Vec::new();
        for _ in 0..self.sizes.runs.max(20) {
            let mut command = Command::new(&self.exe);
            command.arg("--version").stdout(Stdio::null());
            times.push(time_run(&mut command));
        }
        let version = median(&mut times);
        let rss_kib = peak_rss_kib(&mut self.cli(
            &self.tokens.acme_admin,
            &["grant", "list", "-o", "json", "--org", "acme"],
        ));
        vec![
            Row {
                target: "`supportctl --version` (median wall)",
                measured: ms(version),
                baseline: "-".into(),
                ratio: "-".into(),
                goal: "<= 5 ms",
                met: version <= Duration::from_millis(5),
            },
            Row {
                target: "client peak RSS (`grant list -o json`)",
                measured: format!("{:.1} MB", rss_kib as f64 / 1024.0),
                baseline: "-".into(),
                ratio: "-".into(),
                goal: "<= 20 MB",
                met: rss_kib <= 20 * 1024,
            },
        ]
    }
}
