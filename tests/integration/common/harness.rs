//! The test harness: a real server on an ephemeral port over a real database (a SQLite file in
//! a temporary folder, or a fresh PostgreSQL database), with a clock the test moves.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use reqwest::blocking::Client;
use serde::Serialize;
use serde_json::Value;
use supportctl::server::clock::ManualClock;
use supportctl::server::dev::{DevTokens, seed_dev};
use supportctl::server::policy::Policy;
use supportctl::server::store::{PoolSettings, Store};
use supportctl::server::{Server, ServerConfig};

/// Which database a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the tests may use, from `SUPPORTCTL_TEST_POSTGRES_URL`.
pub fn postgres_url() -> Option<String> {
    std::env::var("SUPPORTCTL_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// Says once, loudly, that PostgreSQL tests are skipped and why.
pub fn skip_postgres(test: &str) -> bool {
    if postgres_url().is_some() {
        return false;
    }
    // Straight to stderr: libtest captures `eprintln!` of passing tests, and a skip must show.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: PostgreSQL tests need SUPPORTCTL_TEST_POSTGRES_URL \
         (e.g. postgres://supportctl:supportctl@127.0.0.1:5432/supportctl; .ci/run sets it up)"
    );
    true
}

/// A fresh, empty PostgreSQL database for one test; dropped with it.
pub struct PgDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

impl PgDatabase {
    pub fn create() -> PgDatabase {
        let admin_url = postgres_url().expect("SUPPORTCTL_TEST_POSTGRES_URL is set");
        let name = format!(
            "supportctl_test_{}",
            ulid::Ulid::generate().to_string().to_lowercase()
        );
        run_sql(&admin_url, &format!("CREATE DATABASE {name}"));
        let (base, _) = admin_url
            .rsplit_once('/')
            .expect("the PostgreSQL URL names a database");
        PgDatabase {
            url: format!("{base}/{name}"),
            admin_url,
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Cleanup, not part of the test: an autovacuum worker in the database makes FORCE fail
        // ("must be a member of the role whose process is being terminated"), so try again a
        // few times, and leave a note rather than fail a test that passed.
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let mut outcome = Ok(());
        for _ in 0..10 {
            outcome = try_sql(&self.admin_url, &drop);
            if outcome.is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        if let Err(error) = outcome {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr().lock(),
                "note: test database {} left behind: {error}",
                self.name
            );
        }
    }
}

/// Runs one statement outside any pool (CREATE DATABASE cannot run in a transaction).
pub fn run_sql(url: &str, sql: &str) {
    if let Err(error) = try_sql(url, sql) {
        panic!("{error}");
    }
}

fn try_sql(url: &str, sql: &str) -> Result<(), String> {
    let url = url.to_owned();
    let sql = sql.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            use sqlx::Connection;
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(&url)
                .await
                .map_err(|e| format!("cannot connect to run `{sql}`: {e}"))?;
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&mut conn)
                .await
                .map(|_| ())
                .map_err(|e| format!("`{sql}` failed: {e}"))
        })
    })
    .join()
    .unwrap()
}

/// Options for a test server.
#[derive(Clone)]
pub struct ServerOptions {
    pub backend: Backend,
    pub policy: Policy,
    pub sweep_interval: Duration,
    pub request_timeout: Duration,
    /// An existing database to serve instead of a fresh one.
    pub db_url: Option<String>,
    /// Seed the dev org and accounts.
    pub seed: bool,
    /// Serve HTTPS with these files.
    pub tls: Option<supportctl::server::TlsFiles>,
    /// The suites send many bad tokens on purpose from one address: no limit unless asked.
    pub auth_failures_per_minute: u32,
    /// The suites file requests and open sessions in bursts: no per-account limit unless asked.
    pub account_limits: supportctl::server::account_limits::AccountLimitSettings,
    pub client_address_header: Option<&'static str>,
    pub max_connections: u32,
    pub idle_timeout: Duration,
    pub connections: supportctl::server::ConnectionSettings,
    pub signing: supportctl::server::signing::SigningConfig,
    pub webhooks: supportctl::server::webhooks::WebhookSettings,
    pub metrics: supportctl::server::metrics::MetricsSettings,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            backend: Backend::Sqlite,
            policy: Policy::default(),
            sweep_interval: Duration::from_millis(100),
            request_timeout: Duration::from_secs(30),
            db_url: None,
            seed: true,
            tls: None,
            auth_failures_per_minute: 0,
            account_limits: supportctl::server::account_limits::AccountLimitSettings::OFF,
            client_address_header: None,
            max_connections: supportctl::server::DEFAULT_MAX_CONNECTIONS,
            idle_timeout: supportctl::server::IDLE_TIMEOUT,
            connections: Default::default(),
            signing: Default::default(),
            // Test receivers listen on loopback over plain HTTP.
            webhooks: supportctl::server::webhooks::WebhookSettings {
                allow_http: true,
                allow_private: true,
                poll_interval: Duration::from_millis(50),
                ..Default::default()
            },
            metrics: Default::default(),
        }
    }
}

/// A running server. Stops (and its database goes away) when dropped.
pub struct TestServer {
    pub url: String,
    pub tokens: DevTokens,
    pub clock: ManualClock,
    pub store: Store,
    /// The server's runtime: work on `store` from a test runs here, where the database
    /// connections it opens stay usable by the server (they belong to this runtime's reactor).
    pub runtime: tokio::runtime::Handle,
    pub db_url: String,
    pub dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _pg: Option<PgDatabase>,
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::with(ServerOptions::default())
    }

    pub fn on(backend: Backend) -> TestServer {
        Self::with(ServerOptions {
            backend,
            ..ServerOptions::default()
        })
    }

    pub fn with(options: ServerOptions) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let (db_url, pg) = match (&options.db_url, options.backend) {
            (Some(url), _) => (url.clone(), None),
            (None, Backend::Sqlite) => (
                format!("sqlite://{}", dir.path().join("test.db").display()),
                None,
            ),
            (None, Backend::Postgres) => {
                let db = PgDatabase::create();
                (db.url.clone(), Some(db))
            }
        };
        // Start in the present, in whole seconds, like the real clock.
        let clock = ManualClock::new(
            jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap(),
        );
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let config = ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            db_url: db_url.clone(),
            policy: options.policy,
            pool: PoolSettings::default(),
            sweep_interval: options.sweep_interval,
            request_timeout: options.request_timeout,
            tls: options.tls.clone(),
            auth_failures_per_minute: options.auth_failures_per_minute,
            account_limits: options.account_limits,
            client_address_header: options
                .client_address_header
                .map(axum::http::HeaderName::from_static),
            max_connections: options.max_connections,
            idle_timeout: options.idle_timeout,
            connections: options.connections,
            signing: options.signing.clone(),
            webhooks: options.webhooks,
            shutdown: Default::default(),
            metrics: options.metrics,
            sso: Default::default(),
        };
        let server_clock = clock.clone();
        let seed = options.seed;
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let server = match Server::bind(&config, Arc::new(server_clock.clone())).await {
                    Ok(server) => server,
                    Err(error) => {
                        let _ = ready_tx.send(Err(format!("{error:#}")));
                        return;
                    }
                };
                let tokens = if seed {
                    seed_dev(
                        &server.store(),
                        supportctl::server::clock::Clock::now(&server_clock),
                    )
                    .await
                    .unwrap()
                } else {
                    DevTokens {
                        operator: String::new(),
                        admin: String::new(),
                        support: String::new(),
                        service: String::new(),
                    }
                };
                let url = server.url();
                let _ = ready_tx.send(Ok((
                    url,
                    tokens,
                    server.store(),
                    tokio::runtime::Handle::current(),
                )));
                server
                    .serve(async {
                        let _ = stop_rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let (url, tokens, store, runtime) = ready_rx
            .recv()
            .unwrap()
            .unwrap_or_else(|error| panic!("test server failed to start: {error}"));
        TestServer {
            url,
            tokens,
            clock,
            store,
            runtime,
            db_url,
            dir,
            stop: Some(stop_tx),
            thread: Some(thread),
            _pg: pg,
        }
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.advance(seconds);
    }

    /// An HTTP client acting with `token` (or none).
    pub fn as_token(&self, token: &str) -> Api {
        Api {
            base: self.url.clone(),
            token: (!token.is_empty()).then(|| token.to_owned()),
            http: http_client(),
        }
    }

    pub fn anonymous(&self) -> Api {
        self.as_token("")
    }

    pub fn operator(&self) -> Api {
        self.as_token(&self.tokens.operator)
    }

    pub fn admin(&self) -> Api {
        self.as_token(&self.tokens.admin)
    }

    pub fn support(&self) -> Api {
        self.as_token(&self.tokens.support)
    }

    pub fn service(&self) -> Api {
        self.as_token(&self.tokens.service)
    }

    /// Stops serving and waits for the server to finish.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// A `supportctl` command pointed at this server with `token`, in a private config dir.
    pub fn cli(&self, token: &str) -> assert_cmd::Command {
        cli_command(&self.url, token, &self.dir.path().join("config"))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

pub fn http_client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The binary under test, with a clean environment: no stray SUPPORTCTL_* variables,
/// RUST_BACKTRACE=1 as on developers' machines (errors must never show one), no terminal.
pub fn cli_command(server: &str, token: &str, config_dir: &Path) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::from_std(std_command(server, token, config_dir));
    command.timeout(Duration::from_secs(60));
    command
}

/// [`cli_command`] as a plain `std::process::Command` (for pseudo-terminals and `pre_exec`).
pub fn std_command(server: &str, token: &str, config_dir: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_supportctl"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SUPPORTCTL_") || key == "NO_COLOR" || key == "CLICOLOR_FORCE" {
            command.env_remove(key);
        }
    }
    command
        .env("RUST_BACKTRACE", "1")
        .env("SUPPORTCTL_CONFIG_DIR", config_dir)
        .env("SUPPORTCTL_SERVER", server);
    if !token.is_empty() {
        command.env("SUPPORTCTL_TOKEN", token);
    }
    command
}

/// A response: status, content type and JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The problem `code`, for error responses.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// Asserts an error status and code, and that it came as problem+json.
    pub fn assert_problem(&self, status: u16, code: &str) -> &Self {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "unexpected answer: {}",
            self.body
        );
        assert_eq!(self.content_type, "application/problem+json");
        self
    }

    pub fn assert_ok(&self) -> &Self {
        assert!(
            (200..300).contains(&self.status),
            "expected success, got {}: {}",
            self.status,
            self.body
        );
        self
    }
}

/// A tiny client for API tests: raw statuses and bodies, no interpretation.
pub struct Api {
    pub base: String,
    pub token: Option<String>,
    pub http: Client,
}

impl Api {
    fn send(&self, request: reqwest::blocking::RequestBuilder) -> Reply {
        let request = match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request.send().unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = response.bytes().unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            content_type,
            headers,
            body,
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(format!("{}{path}", self.base)))
    }

    pub fn post(&self, path: &str, body: impl Serialize) -> Reply {
        self.send(self.http.post(format!("{}{path}", self.base)).json(&body))
    }

    /// A POST with a raw body and content type (for malformed-input tests).
    pub fn post_raw(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        self.send(
            self.http
                .post(format!("{}{path}", self.base))
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body.into()),
        )
    }

    pub fn post_empty(&self, path: &str) -> Reply {
        self.send(self.http.post(format!("{}{path}", self.base)))
    }

    pub fn delete(&self, path: &str) -> Reply {
        self.send(self.http.delete(format!("{}{path}", self.base)))
    }

    // Shortcuts for the common steps of a scenario.

    /// Creates a grant in `acme` and returns its id.
    pub fn grant(&self, body: Value) -> String {
        let reply = self.post("/v1/orgs/acme/grants", body);
        assert_eq!(reply.status, 201, "grant create failed: {}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    }

    /// Opens a session in `acme`; returns (session id, token).
    pub fn open(&self, body: Value) -> (String, String) {
        let reply = self.post("/v1/orgs/acme/sessions", body);
        assert_eq!(reply.status, 201, "session open failed: {}", reply.body);
        (
            reply.body["session"]["id"].as_str().unwrap().to_owned(),
            reply.body["token"].as_str().unwrap().to_owned(),
        )
    }

    /// Every item of a list endpoint, following cursors.
    pub fn all(&self, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = match &cursor {
                Some(c) => format!("{path}{sep}limit=1000&cursor={c}"),
                None => format!("{path}{sep}limit=1000"),
            };
            let reply = self.get(&url);
            reply.assert_ok();
            items.extend(reply.body["items"].as_array().unwrap().iter().cloned());
            match reply.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }
}

/// The file a `sqlite://` URL names.
pub fn path_of(url: &str) -> PathBuf {
    PathBuf::from(url.trim_start_matches("sqlite://"))
}
