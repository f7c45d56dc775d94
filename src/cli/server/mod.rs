//! `supportctl server` and its subcommands (`init` here; each other verb in a file of its own).

mod backup;
pub mod config;
pub mod config_file;
mod migrate;
mod restore;
mod verify;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::error::{CommandError, CommandResult};
use super::logging::LogFormat;
use crate::cli::ui::Ui;
use crate::server::account_limits::AccountLimitSettings;
use crate::server::policy::Policy;
use crate::server::store::PoolSettings;
use crate::server::webhooks::WebhookSettings;
use crate::server::{self, InitOutcome, ServerConfig};

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:
  supportctl server --dev    # a local server, and profiles dev-admin, ...
  supportctl server --dev --listen 127.0.0.1:0   # the same on a free port
  supportctl server --listen 0.0.0.0:8420 \\
      --db sqlite:///var/lib/supportctl/db.sqlite
  supportctl server --db postgres://supportctl@db/supportctl   # a replica
  supportctl server init --db sqlite://./supportctl.db  # first operator
  supportctl server --name support.example.com \\
      --signing-key /etc/supportctl/checkpoint.key
  supportctl server --config /etc/supportctl/server.toml
  supportctl server --config /etc/supportctl/server.toml config  # settings")]
pub struct ServerArgs {
    #[command(subcommand)]
    pub command: Option<ServerCommand>,

    /// Read settings from this TOML file. Its keys are the long option names, its values what
    /// the option takes: `listen = "0.0.0.0:8420"`, `max-connections = 512`, `drain-delay =
    /// "5s"`, `allow-http-webhooks = true`. An option on the command line wins over its
    /// SUPPORTCTL_* variable, which wins over the file, which wins over the default. Every
    /// option of `supportctl server` is a key but --config, --dev and --insecure-storage.
    /// `supportctl server --config FILE config` shows what a server would use, and from where.
    #[arg(long, env = "SUPPORTCTL_CONFIG", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,

    /// Each setting's value and where it came from (filled in after parsing).
    #[arg(skip)]
    pub settings: Vec<config_file::Setting>,

    /// Address to listen on; port 0 picks a free port (the bound address is logged).
    #[arg(long, default_value = "127.0.0.1:8420", env = "SUPPORTCTL_LISTEN")]
    pub listen: SocketAddr,

    /// Database: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the XDG
    /// data dir]
    #[arg(long, env = "SUPPORTCTL_DB", global = true)]
    pub db: Option<String>,

    /// Start a throwaway local server with org `acme` and one account per role, print
    /// `export` lines for their tokens on stdout, and leave profiles dev-admin, dev-support,
    /// dev-operator and dev-service (tokens in the OS keyring).
    #[arg(long)]
    pub dev: bool,

    /// With --dev: keep the dev profiles' tokens in a file readable only by you, not in the
    /// OS keyring (where there is none).
    #[arg(long, requires = "dev")]
    pub insecure_storage: bool,

    /// Longest grant an admin may create or extend to.
    #[arg(
        long,
        env = "SUPPORTCTL_MAX_GRANT_DURATION",
        default_value = "30d",
        value_name = "DURATION"
    )]
    pub max_grant_duration: humantime::Duration,

    /// Grant duration when the admin gives none.
    #[arg(
        long,
        env = "SUPPORTCTL_DEFAULT_GRANT_DURATION",
        default_value = "8h",
        value_name = "DURATION"
    )]
    pub default_grant_duration: humantime::Duration,

    /// Longest session a support engineer may open.
    #[arg(
        long,
        env = "SUPPORTCTL_MAX_SESSION_TTL",
        default_value = "8h",
        value_name = "DURATION"
    )]
    pub max_session_ttl: humantime::Duration,

    /// Session lifetime when the engineer gives none.
    #[arg(
        long,
        env = "SUPPORTCTL_DEFAULT_SESSION_TTL",
        default_value = "1h",
        value_name = "DURATION"
    )]
    pub default_session_ttl: humantime::Duration,

    /// Sessions one support engineer may have active at once, across all orgs: a stolen
    /// engineer token cannot flood an org with sessions.
    #[arg(
        long,
        env = "SUPPORTCTL_MAX_SESSIONS_PER_ENGINEER",
        default_value_t = 1000,
        value_name = "N"
    )]
    pub max_sessions_per_engineer: u32,

    /// Most database connections per server process (on PostgreSQL a quarter of them, at most
    /// 8, record authorize decisions; one more listens for notifications).
    #[arg(
        long,
        env = "SUPPORTCTL_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        value_name = "N"
    )]
    pub db_max_connections: u32,

    /// Connections kept open when idle.
    #[arg(
        long,
        env = "SUPPORTCTL_DB_MIN_CONNECTIONS",
        default_value_t = 1,
        value_name = "N"
    )]
    pub db_min_connections: u32,

    /// How long a request waits for a free database connection before it fails with 503.
    #[arg(
        long,
        env = "SUPPORTCTL_DB_ACQUIRE_TIMEOUT",
        default_value = "5s",
        value_name = "DURATION"
    )]
    pub db_acquire_timeout: humantime::Duration,

    /// Requests taking longer are cut off with 408.
    #[arg(
        long,
        env = "SUPPORTCTL_REQUEST_TIMEOUT",
        default_value = "30s",
        value_name = "DURATION"
    )]
    pub request_timeout: humantime::Duration,

    /// After SIGTERM, keep serving this long while /readyz answers 503, so load balancers
    /// stop sending requests before the server stops accepting them (SIGINT skips it).
    #[arg(
        long,
        env = "SUPPORTCTL_DRAIN_DELAY",
        default_value = "5s",
        value_name = "DURATION"
    )]
    pub drain_delay: humantime::Duration,

    /// Then give requests in flight this long to finish before closing their connections.
    #[arg(
        long,
        env = "SUPPORTCTL_SHUTDOWN_TIMEOUT",
        default_value = "30s",
        value_name = "DURATION"
    )]
    pub shutdown_timeout: humantime::Duration,

    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(long, env = "SUPPORTCTL_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key of --tls-cert.
    #[arg(long, env = "SUPPORTCTL_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,

    /// Bad tokens a client address may present per minute before it gets 429 (0: no limit).
    #[arg(
        long,
        env = "SUPPORTCTL_AUTH_FAILURES_PER_MINUTE",
        default_value_t = 20,
        value_name = "N"
    )]
    pub auth_failures_per_minute: u32,

    /// Count failures by the client address a load balancer in front puts in this header
    /// (e.g. X-Forwarded-For; its right-most address), not by the balancer's own. Set it only
    /// when every request comes through that balancer.
    #[arg(long, value_name = "HEADER", env = "SUPPORTCTL_CLIENT_ADDRESS_HEADER")]
    pub client_address_header: Option<axum::http::HeaderName>,

    /// Access requests one account may file per minute, refused ones included, after a burst of
    /// 10 seconds' worth; more get 429 with Retry-After (0: no limit). Each server process
    /// counts on its own.
    #[arg(long, env = "SUPPORTCTL_ACCOUNT_REQUESTS_PER_MINUTE", default_value_t = AccountLimitSettings::default().requests_per_minute, value_name = "N")]
    pub account_requests_per_minute: u32,

    /// Sessions one account may try to open per minute, refused ones included, after a burst of
    /// 10 seconds' worth; more get 429 with Retry-After (0: no limit). Each server process
    /// counts on its own.
    #[arg(long, env = "SUPPORTCTL_ACCOUNT_SESSIONS_PER_MINUTE", default_value_t = AccountLimitSettings::default().sessions_per_minute, value_name = "N")]
    pub account_sessions_per_minute: u32,

    /// Most client connections open at once; more wait in the kernel's queue until one closes.
    /// Each holds a file descriptor: the default stays well under the usual limit of 1024 open
    /// files per process, leaving room for database connections. Raise `ulimit -n` first to
    /// go higher.
    #[arg(long, env = "SUPPORTCTL_MAX_CONNECTIONS", default_value_t = crate::server::DEFAULT_MAX_CONNECTIONS, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Connection slots only authenticated callers may hold [default: a quarter of
    /// --max-connections]. A connection counts as authenticated once a request on it presents
    /// a valid token; the others share the rest, and when that is full the oldest of them is
    /// closed to make room for a new connection (never one younger than a second).
    #[arg(long, env = "SUPPORTCTL_RESERVED_CONNECTIONS", value_name = "N")]
    pub reserved_connections: Option<u32>,

    /// Unauthenticated connections one client address (IPv6: its /64) may hold at once; a new
    /// one beyond that closes the address's oldest (0: no bound). Not applied with
    /// --client-address-header, where every connection comes from the balancer.
    #[arg(long, env = "SUPPORTCTL_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = crate::server::DEFAULT_CONNECTIONS_PER_ADDRESS, value_name = "N")]
    pub max_connections_per_address: u32,

    /// A connection whose response waits this long without the client taking a byte of it
    /// (an HTTP/2 window of zero, a client that does not read) is closed.
    #[arg(long, env = "SUPPORTCTL_WRITE_TIMEOUT", default_value = "10s", value_name = "DURATION",
          value_parser = positive_duration)]
    pub write_timeout: humantime::Duration,

    /// An unauthenticated connection is closed after this long, in use or not (a request
    /// with a valid token lifts this for its connection).
    #[arg(long, env = "SUPPORTCTL_UNAUTHENTICATED_CONNECTION_LIFETIME", default_value = "60s", value_name = "DURATION",
          value_parser = positive_duration)]
    pub unauthenticated_connection_lifetime: humantime::Duration,

    /// Names the key that signs audit checkpoints when this server creates it [default: the
    /// host name]. A server whose key exists already must be given its name, or none.
    #[arg(
        long,
        value_name = "NAME",
        env = "SUPPORTCTL_SERVER_NAME",
        global = true
    )]
    pub name: Option<String>,

    /// Keep the checkpoint signing key in this file (created, readable by you only, when
    /// missing; signed-note private key format) instead of in the database.
    #[arg(
        long,
        value_name = "FILE",
        env = "SUPPORTCTL_SIGNING_KEY",
        global = true
    )]
    pub signing_key: Option<PathBuf>,

    /// Let webhooks use http:// URLs (implied by --dev).
    #[arg(long, env = "SUPPORTCTL_ALLOW_HTTP_WEBHOOKS")]
    pub allow_http_webhooks: bool,

    /// Let webhooks reach loopback, private, link-local, unique-local and other addresses that
    /// are not globally routable (implied by --dev). Without it, each attempt checks the
    /// address the URL's host resolves to.
    #[arg(long, env = "SUPPORTCTL_ALLOW_PRIVATE_WEBHOOKS")]
    pub allow_private_webhooks: bool,

    /// How long before a grant expires its `grant.expiring` webhook notification goes out, in
    /// orgs whose policy does not set its own (the default of the policy's expiry warning).
    #[arg(
        long,
        env = "SUPPORTCTL_EXPIRY_WARNING",
        default_value = "1h",
        value_name = "DURATION"
    )]
    pub expiry_warning: humantime::Duration,

    /// How often this server looks at the webhook outbox when nothing woke it (deliveries
    /// enqueued on this server, or announced by another PostgreSQL replica, wake it at once).
    #[arg(
        long,
        env = "SUPPORTCTL_WEBHOOK_POLL_INTERVAL",
        default_value = "250ms",
        value_name = "DURATION",
        hide = true
    )]
    pub webhook_poll_interval: humantime::Duration,

    /// Webhook attempts this server makes at once; 0: none (other replicas deliver).
    #[arg(long, env = "SUPPORTCTL_WEBHOOK_CONCURRENCY", default_value_t = WebhookSettings::default().concurrency, value_name = "N", hide = true)]
    pub webhook_concurrency: usize,

    /// Also serve /metrics, and nothing else, on this address without a token (for Prometheus): meant for loopback or a private network, since whoever reaches it reads the metrics. On --listen, /metrics needs an operator or service token.
    #[arg(long, value_name = "ADDR", env = "SUPPORTCTL_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Record no metrics: counters stay at zero and requests are not timed (the benchmark's
    /// baseline).
    #[arg(long, hide = true, env = "SUPPORTCTL_NO_METRICS_RECORDING")]
    pub no_metrics_recording: bool,

    /// How often expiries are recorded in the audit log.
    #[arg(
        long,
        env = "SUPPORTCTL_SWEEP_INTERVAL",
        default_value = "5s",
        value_name = "DURATION",
        hide = true
    )]
    pub sweep_interval: humantime::Duration,

    /// The URL under which people's browsers reach this server: identity providers send them back to <URL>/v1/auth/callback after a sign-in (register that as the redirect URI). Default: the listen address when it is loopback; otherwise needed before a sign-in connector can be added.
    #[arg(long, value_name = "URL", env = "SUPPORTCTL_PUBLIC_URL")]
    pub public_url: Option<url::Url>,

    /// How long an account token from a sign-in (`supportctl login --sso`) stays valid.
    #[arg(
        long,
        env = "SUPPORTCTL_SSO_TOKEN_TTL",
        default_value = "12h",
        value_name = "DURATION"
    )]
    pub sso_token_ttl: humantime::Duration,

    /// Log lines as text for people, or as one JSON object per line for log collectors.
    #[arg(long, env = "SUPPORTCTL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text,
          value_name = "FORMAT")]
    pub log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum ServerCommand {
    /// Create the schema and the first operator account; prints its token once.
    Init(InitArgs),
    /// Apply the schema migrations this binary brings (`--check`: list them, exit 1 if any).
    Migrate(migrate::MigrateArgs),
    /// Copy a SQLite database consistently while its server keeps serving it.
    Backup(backup::BackupArgs),
    /// Restore a backup of `server backup` into a SQLite database, with `audit.restored` in
    /// every chain.
    Restore(restore::RestoreArgs),
    /// Verify every audit chain from the database itself, no server needed.
    Verify(verify::VerifyArgs),
    /// Print the settings a server would use (each option's value and where it came from:
    /// flag, environment, config file and line, or default), without starting one.
    Config(config::ConfigArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Email of the first operator.
    #[arg(long, default_value = "operator@localhost")]
    pub email: String,
}

impl ServerArgs {
    fn pool(&self) -> PoolSettings {
        PoolSettings {
            max_connections: self.db_max_connections,
            min_connections: self.db_min_connections,
            acquire_timeout: *self.db_acquire_timeout,
            ..PoolSettings::default()
        }
    }

    fn signing(&self) -> crate::server::signing::SigningConfig {
        crate::server::signing::SigningConfig {
            name: self.name.clone(),
            key_file: self.signing_key.clone(),
        }
    }

    fn policy(&self) -> Policy {
        Policy {
            max_grant: *self.max_grant_duration,
            default_grant: *self.default_grant_duration,
            max_session_ttl: *self.max_session_ttl,
            default_session_ttl: *self.default_session_ttl,
            max_sessions_per_engineer: self.max_sessions_per_engineer,
            expiry_warning: *self.expiry_warning,
        }
    }
}

pub fn run(ui: &mut Ui, args: ServerArgs) -> CommandResult {
    super::logging::init_server(ui.verbosity(), args.log_format);
    if let Some(ServerCommand::Config(_)) = &args.command {
        let default_db = database_url(None, false).ok().map(|db| db.url);
        return config::show(ui, &args.settings, default_db.as_deref());
    }
    // Checked here, not by clap's `requires`, which sees only the command line and the
    // environment: either may be in the config file.
    if args.tls_cert.is_some() != args.tls_key.is_some() {
        return Err(CommandError::usage(
            "--tls-cert and --tls-key go together: give both, or neither",
        )
        .with_hint("see `supportctl server config` for where each came from"));
    }
    if let Some(ServerCommand::Init(init)) = &args.command {
        let db = database_url(args.db.as_deref(), false)?;
        return match server::init(&db.url, &init.email, &args.pool(), &args.signing())? {
            InitOutcome::Created { token } => {
                ui.note(&format!(
                    "Created operator {} in {}. Its token is shown this once:",
                    init.email,
                    crate::server::store::redact_url(&db.url)
                ));
                ui.line(&token)?;
                ui.hint("supportctl login --with-token < file-holding-the-token");
                Ok(())
            }
            InitOutcome::AlreadyInitialized => Err(CommandError::conflict(
                "this database already has an operator; nothing was changed",
            )
            .with_hint("create more accounts with `supportctl account create`")),
        };
    }
    let maintenance = match &args.command {
        Some(ServerCommand::Migrate(verb)) => Some(Maintenance::Migrate(verb)),
        Some(ServerCommand::Backup(verb)) => Some(Maintenance::Backup(verb)),
        Some(ServerCommand::Restore(verb)) => Some(Maintenance::Restore(verb)),
        Some(ServerCommand::Verify(verb)) => Some(Maintenance::Verify(verb)),
        Some(ServerCommand::Init(_) | ServerCommand::Config(_)) | None => None,
    };
    if let Some(verb) = maintenance {
        let db = database_url(args.db.as_deref(), false)?;
        return match verb {
            Maintenance::Migrate(verb) => migrate::run(ui, &db.url, verb),
            Maintenance::Backup(verb) => backup::run(ui, &db.url, verb),
            Maintenance::Restore(verb) => restore::run(ui, &db.url, verb),
            Maintenance::Verify(verb) => verify::run(ui, &db.url, verb),
        };
    }
    args.policy().validate().map_err(CommandError::usage)?;
    let db = database_url(args.db.as_deref(), args.dev)?;
    let database = crate::server::store::redact_url(&db.url);
    if args.dev {
        tracing::info!(%database, "dev server; stop it with Ctrl-C");
    } else {
        tracing::info!(%database, "database");
    }
    let config = ServerConfig {
        listen: args.listen,
        db_url: db.url.clone(),
        policy: args.policy(),
        pool: args.pool(),
        sweep_interval: *args.sweep_interval,
        request_timeout: *args.request_timeout,
        tls: match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(crate::server::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => None,
        },
        auth_failures_per_minute: args.auth_failures_per_minute,
        account_limits: AccountLimitSettings {
            requests_per_minute: args.account_requests_per_minute,
            sessions_per_minute: args.account_sessions_per_minute,
        },
        client_address_header: args.client_address_header.clone(),
        max_connections: args.max_connections,
        idle_timeout: crate::server::IDLE_TIMEOUT,
        connections: crate::server::ConnectionSettings {
            reserved_for_authenticated: args.reserved_connections,
            per_address: args.max_connections_per_address,
            write_timeout: *args.write_timeout,
            unauthenticated_lifetime: *args.unauthenticated_connection_lifetime,
        },
        signing: args.signing(),
        webhooks: WebhookSettings {
            allow_http: args.allow_http_webhooks || args.dev,
            allow_private: args.allow_private_webhooks || args.dev,
            poll_interval: *args.webhook_poll_interval,
            concurrency: args.webhook_concurrency,
            ..WebhookSettings::default()
        },
        shutdown: crate::server::ShutdownSettings {
            drain_delay: *args.drain_delay,
            timeout: *args.shutdown_timeout,
        },
        metrics: crate::server::metrics::MetricsSettings {
            listen: args.metrics_listen,
            recording: !args.no_metrics_recording,
            ..Default::default()
        },
        sso: crate::server::sso::SsoSettings {
            public_url: args.public_url.clone(),
            token_ttl: *args.sso_token_ttl,
        },
    };
    let listen = args.listen;
    let mut on_dev = |url: &str, tokens: &crate::server::dev::DevTokens| {
        super::dev_profiles::announce(ui, url, tokens, args.insecure_storage)
            .map_err(|e| anyhow::anyhow!("{}", e.message))
    };
    let on_dev: Option<crate::server::OnDev<'_>> = if args.dev { Some(&mut on_dev) } else { None };
    let metrics_listen = args.metrics_listen;
    server::run(config, on_dev).map_err(|error| listen_error(error, listen, metrics_listen))?;
    drop(db);
    Ok(())
}

/// The verbs that work on the database itself, with no server.
enum Maintenance<'a> {
    Migrate(&'a migrate::MigrateArgs),
    Backup(&'a backup::BackupArgs),
    Restore(&'a restore::RestoreArgs),
    Verify(&'a verify::VerifyArgs),
}

/// A duration of more than zero.
fn positive_duration(value: &str) -> Result<humantime::Duration, String> {
    let duration: humantime::Duration = value.parse().map_err(|e| format!("{e}"))?;
    if duration.is_zero() {
        return Err("must be more than 0".to_owned());
    }
    Ok(duration)
}

/// A port another process holds gets a way out; anything else is said as it is.
fn listen_error(
    error: anyhow::Error,
    listen: SocketAddr,
    metrics_listen: Option<SocketAddr>,
) -> CommandError {
    let in_use = error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::AddrInUse)
    });
    // The metrics listener's error says so (see `Server::bind`).
    let (flag, listen) = match metrics_listen {
        Some(metrics) if error.to_string().ends_with("for /metrics") => {
            ("--metrics-listen", metrics)
        }
        _ => ("--listen", listen),
    };
    let error = CommandError::from(error);
    if in_use {
        error.with_hint(format!(
            "another process listens on {listen}: stop it, or pass {flag} {}:0 to take a free port",
            listen.ip()
        ))
    } else {
        error
    }
}

/// `server` serves; it calls no server. Its help shows only the global options that apply to
/// it (log detail and colour); the client's stay accepted, hidden. An argument a subcommand
/// has already is not propagated to it by clap, so these copies replace the root's.
pub fn narrow_global_options(root: clap::Command) -> clap::Command {
    let globals: Vec<clap::Arg> = root
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .cloned()
        .collect();
    root.mut_subcommand("server", |mut server| {
        for arg in globals {
            // `server config` prints data: its output format shows in its help.
            if matches!(arg.get_id().as_str(), "output" | "json") {
                let shown = arg.clone();
                server = server.mut_subcommand("config", |config| config.arg(shown));
            }
            server = server.arg(match arg.get_id().as_str() {
                "verbose" => arg.help(
                    "More log detail on stderr: -v debug (each request's method and path, never \
                     headers or bodies), -vv trace",
                ),
                "color" => arg,
                _ => arg.hide(true),
            });
        }
        server
    })
}

/// The database URL to use, and for `--dev` the throwaway folder that holds it.
struct Database {
    url: String,
    _throwaway: Option<tempfile::TempDir>,
}

fn database_url(given: Option<&str>, dev: bool) -> CommandResult<Database> {
    if let Some(url) = given {
        return Ok(Database {
            url: url.to_owned(),
            _throwaway: None,
        });
    }
    if dev {
        let dir = tempfile::Builder::new()
            .prefix("supportctl-dev-")
            .tempdir()
            .map_err(|e| CommandError::general(format!("cannot create a temporary folder: {e}")))?;
        let url = format!("sqlite://{}", dir.path().join("dev.db").display());
        return Ok(Database {
            url,
            _throwaway: Some(dir),
        });
    }
    let data_dir = default_data_dir()?;
    Ok(Database {
        url: format!("sqlite://{}", data_dir.join("supportctl.db").display()),
        _throwaway: None,
    })
}

fn default_data_dir() -> CommandResult<PathBuf> {
    use etcetera::BaseStrategy;
    let strategy = etcetera::choose_base_strategy().map_err(|e| {
        CommandError::general(format!("cannot find your data folder: {e}"))
            .with_hint("pass --db sqlite://PATH")
    })?;
    Ok(strategy.data_dir().join("supportctl"))
}

#[cfg(test)]
mod tests {
    use super::config_file::{Kind, as_option_value, file_options, kind};
    use super::*;

    fn server_options() -> Vec<clap::Arg> {
        file_options(&ServerArgs::augment_args(clap::Command::new("server")))
    }

    /// Every option a file may set can also come from the environment, as
    /// `SUPPORTCTL_<OPTION>` (the server's name, as SUPPORTCTL_SERVER_NAME, which it had first).
    #[test]
    fn every_file_option_has_its_environment_variable() {
        for arg in server_options() {
            let long = arg.get_long().unwrap();
            let expected = match long {
                "name" => "SUPPORTCTL_SERVER_NAME".to_owned(),
                _ => format!("SUPPORTCTL_{}", long.to_uppercase().replace('-', "_")),
            };
            assert_eq!(
                arg.get_env().map(|env| env.to_string_lossy().into_owned()),
                Some(expected),
                "--{long}"
            );
        }
    }

    #[test]
    fn values_must_have_their_options_type() {
        let options = server_options();
        let option = |long: &str| options.iter().find(|a| a.get_long() == Some(long)).unwrap();
        assert_eq!(kind(option("max-connections")), Kind::Integer);
        assert_eq!(kind(option("reserved-connections")), Kind::Integer);
        assert_eq!(kind(option("allow-http-webhooks")), Kind::Boolean);
        assert_eq!(kind(option("drain-delay")), Kind::Text);
        assert_eq!(kind(option("listen")), Kind::Text);
        assert!(as_option_value(option("max-connections"), &toml::Value::from("12")).is_err());
        assert!(as_option_value(option("drain-delay"), &toml::Value::from(5)).is_err());
    }
}
