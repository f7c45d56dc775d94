//! `supportctl server`: the support-access admin API.

pub mod account_limits;
pub mod auth;
pub mod clock;
pub mod dev;
pub mod domain;
pub mod error;
pub mod extract;
pub mod health;
pub mod ids;
pub mod lifecycle;
pub mod limiter;
pub mod listener;
pub mod maintenance;
pub mod metrics;
pub mod pagination;
pub mod policy;
pub mod request_log;
pub mod routes;
pub mod signing;
pub mod sso;
pub mod state;
pub mod store;
pub mod tokens;
pub mod validate;
pub mod webhook_settings;
pub mod webhooks;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::trace::TraceLayer;

use self::clock::{Clock, SystemClock};
use self::dev::seed_dev;
use self::policy::Policy;
use self::state::AppState;
use self::store::engine::sqlite::ExclusiveServe;
use self::store::{NewAccount, PoolSettings, Principal, Store};
use crate::api::Role;

/// Everything `supportctl server` needs, validated.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub db_url: String,
    pub policy: Policy,
    pub pool: PoolSettings,
    pub sweep_interval: Duration,
    pub request_timeout: Duration,
    /// Serve HTTPS with this certificate chain and key (PEM files).
    pub tls: Option<TlsFiles>,
    /// Bad tokens per client address per minute before that address gets 429 (0: no limit).
    pub auth_failures_per_minute: u32,
    /// Access requests and session opens one account may attempt per minute.
    pub account_limits: account_limits::AccountLimitSettings,
    /// The header a trusted load balancer sets to the client's address (X-Forwarded-For).
    pub client_address_header: Option<axum::http::HeaderName>,
    /// Client connections open at once (see [`DEFAULT_MAX_CONNECTIONS`]).
    pub max_connections: u32,
    /// A connection with no request in flight for this long is closed, HTTP/1 or HTTP/2.
    pub idle_timeout: Duration,
    /// How unauthenticated and stalled connections are limited.
    pub connections: ConnectionSettings,
    /// The key that signs audit checkpoints.
    pub signing: signing::SigningConfig,
    /// What webhooks may call, and when `grant.expiring` goes out.
    pub webhooks: webhooks::WebhookSettings,
    /// How a SIGTERM drains the server.
    pub shutdown: ShutdownSettings,
    /// `/metrics`: its own listener, and whether anything is recorded.
    pub metrics: metrics::MetricsSettings,
    /// Sign-in with identity providers: the public URL and the tokens' lifetime.
    pub sso: sso::SsoSettings,
}

/// How the server stops (see [`lifecycle`]).
#[derive(Debug, Clone, Copy)]
pub struct ShutdownSettings {
    /// After SIGTERM, `/readyz` answers 503 and requests are still served for this long.
    pub drain_delay: Duration,
    /// Then requests in flight get this long to finish before their connections close.
    pub timeout: Duration,
}

impl Default for ShutdownSettings {
    fn default() -> Self {
        ShutdownSettings {
            drain_delay: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
        }
    }
}

/// How client connections are limited besides their number and idleness (see [`listener`]).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionSettings {
    /// Connection slots only authenticated connections may hold; `None`: a quarter of the
    /// connection cap.
    pub reserved_for_authenticated: Option<u32>,
    /// Unauthenticated connections one client address (IPv6: its /64) may hold at once (0: no
    /// bound). Not applied behind a load balancer (a client address header is set): every
    /// connection comes from the balancer's address then.
    pub per_address: u32,
    /// A connection whose responses wait this long without the client taking any of them is
    /// closed.
    pub write_timeout: Duration,
    /// An unauthenticated connection is closed after this long, in use or not.
    pub unauthenticated_lifetime: Duration,
}

/// Unauthenticated connections one client address may hold at once, by default: room for a
/// client's pool opening together, a small part of the default unauthenticated share.
pub const DEFAULT_CONNECTIONS_PER_ADDRESS: u32 = 32;
/// How long a response may wait for its client to take a byte of it, by default.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an unauthenticated connection stays open at most, by default: clients without a
/// token (monitors on `/healthz`) reconnect now and then, nobody holds a slot for good.
pub const DEFAULT_UNAUTHENTICATED_LIFETIME: Duration = Duration::from_secs(60);

impl Default for ConnectionSettings {
    fn default() -> Self {
        ConnectionSettings {
            reserved_for_authenticated: None,
            per_address: DEFAULT_CONNECTIONS_PER_ADDRESS,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            unauthenticated_lifetime: DEFAULT_UNAUTHENTICATED_LIFETIME,
        }
    }
}

impl ConnectionSettings {
    /// The slots kept for authenticated connections under a cap of `max_connections`.
    pub fn reserved(&self, max_connections: u32) -> u32 {
        self.reserved_for_authenticated
            .unwrap_or(max_connections / 4)
    }
}

#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A client gets this long to send a request's headers (a slow client cannot hold a
/// connection open forever by trickling them).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// An idle connection is closed after as long as a client gets to send a request's headers.
pub const IDLE_TIMEOUT: Duration = HEADER_READ_TIMEOUT;
/// Each connection holds a file descriptor: this stays well under the common limit of 1024
/// open files per process, with room for database connections and files.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 512;

/// A bound, ready server: the port accepts connections before `serve` is called.
pub struct Server {
    listener: TcpListener,
    router: Router,
    state: AppState,
    sweep_interval: Duration,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: listener::Limits,
    drain_delay: Duration,
    /// `--metrics-listen`'s listener and what it serves.
    metrics: Option<(TcpListener, Router)>,
    _exclusive: Option<ExclusiveServe>,
}

impl Server {
    /// Opens (and migrates) the database and binds the listening socket.
    pub async fn bind(config: &ServerConfig, clock: Arc<dyn Clock>) -> anyhow::Result<Server> {
        config.policy.validate().map_err(anyhow::Error::msg)?;
        let (store, exclusive) = store::open(&config.db_url, &config.pool).await?;
        let signer = signing::load(&store, &config.signing, clock.now()).await?;
        let metrics = Arc::new(metrics::Metrics::new(
            &config.metrics,
            routes::openapi().paths.paths.keys().map(String::as_str),
        ));
        metrics.count_audit_events_of(&store);
        let state = AppState::new(
            store,
            config.policy,
            clock,
            limiter::AuthLimiter::new(config.auth_failures_per_minute, Duration::from_secs(60))
                .with_client_header(config.client_address_header.clone()),
            account_limits::AccountLimits::new(config.account_limits),
            // A long poll answers "still pending" a second before the timeout would cut it.
            config
                .request_timeout
                .saturating_sub(Duration::from_secs(1))
                .max(Duration::from_millis(100)),
            config.webhooks,
            metrics.clone(),
            sso::Sso::new(config.sso.clone()),
        );
        let (router, _) = routes::build(state.clone());
        let router = router
            .layer(axum::Extension(Arc::new(signer)))
            .layer(axum::middleware::from_fn_with_state(
                config.request_timeout,
                request_timeout,
            ))
            .layer(axum::middleware::map_response(close_when_body_unread))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                close_while_draining,
            ))
            .layer(TraceLayer::new_for_http().make_span_with(
                |request: &axum::http::Request<_>| {
                    // Method and path only: headers (tokens) and bodies are never logged.
                    tracing::debug_span!("request", method = %request.method(), path = %request.uri().path())
                },
            ));
        let router = metrics::record_requests(router, &metrics);
        // Outermost, so that its line has the final status (a timeout's too) and is written
        // outside the span above, which holds the path.
        let router = router.layer(axum::middleware::from_fn(request_log::log_request));
        let tls = match &config.tls {
            Some(files) => Some(load_tls(files)?),
            None => None,
        };
        anyhow::ensure!(
            config.max_connections > 0,
            "the connection limit must be at least 1"
        );
        let reserved = config.connections.reserved(config.max_connections);
        anyhow::ensure!(
            reserved < config.max_connections,
            "the connections reserved for authenticated callers ({reserved}) must be fewer than \
             the connection limit ({}): a caller's connection is unauthenticated until its first \
             request",
            config.max_connections
        );
        anyhow::ensure!(
            !config.connections.write_timeout.is_zero()
                && !config.connections.unauthenticated_lifetime.is_zero(),
            "the write timeout and the unauthenticated connection lifetime must be more than 0"
        );
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        state
            .sso
            .bound(listener.local_addr()?, config.tls.is_some());
        let metrics_listener = match config.metrics.listen {
            Some(address) => Some((
                TcpListener::bind(address)
                    .await
                    .with_context(|| format!("cannot listen on {address} for /metrics"))?,
                routes::metrics_only(state.clone()),
            )),
            None => None,
        };
        Ok(Server {
            listener,
            router,
            state,
            sweep_interval: config.sweep_interval,
            tls,
            limits: listener::Limits {
                max_connections: config.max_connections as usize,
                reserved_for_authenticated: reserved as usize,
                per_address: if config.client_address_header.is_some() {
                    0
                } else {
                    config.connections.per_address as usize
                },
                idle_timeout: config.idle_timeout,
                header_read_timeout: HEADER_READ_TIMEOUT,
                write_timeout: config.connections.write_timeout,
                unauthenticated_lifetime: config.connections.unauthenticated_lifetime,
                shutdown_grace: config.shutdown.timeout,
            },
            drain_delay: config.shutdown.drain_delay,
            metrics: metrics_listener,
            _exclusive: exclusive,
        })
    }

    /// The URL clients use: `https://` when serving TLS.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.local_addr())
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn store(&self) -> Store {
        self.state.store.clone()
    }

    /// Serves until SIGINT or SIGTERM, draining as [`lifecycle`] says.
    pub async fn serve_until_signalled(self) -> anyhow::Result<()> {
        let state = self.state.clone();
        let drain_delay = self.drain_delay;
        self.serve(async move { lifecycle::shutdown_signal(&state.lifecycle, drain_delay).await })
            .await
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_sweeper, stopped) = watch::channel(false);
        let sweeper = tokio::spawn(sweep(
            self.state.clone(),
            self.sweep_interval,
            stopped.clone(),
        ));
        let deliveries = tokio::spawn(webhooks::run(self.state.clone(), stopped));
        tracing::info!(
            addr = %self.local_addr(),
            url = %self.url(),
            database = self.state.store.backend(),
            "listening"
        );
        // The metrics listener stops with the main one.
        let (stop_metrics, metrics_stopped) = watch::channel(false);
        let metrics = self.metrics.map(|(listener, router)| {
            if let Ok(address) = listener.local_addr() {
                tracing::info!(metrics_url = %format!("http://{address}/metrics"), "serving /metrics without a token");
            }
            tokio::spawn(listener::serve(listener, None, router, self.limits, async move {
                let mut stopped = metrics_stopped;
                let _ = stopped.wait_for(|stop| *stop).await;
            }))
        });
        lifecycle::notify_ready();
        let shutdown = async move {
            shutdown.await;
            let _ = stop_metrics.send(true);
        };
        listener::serve(self.listener, self.tls, self.router, self.limits, shutdown).await;
        if let Some(metrics) = metrics {
            let _ = metrics.await;
        }
        let _ = stop_sweeper.send(true);
        let _ = sweeper.await;
        let _ = deliveries.await;
        self.state.store.clone().close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Cuts off a request (reading its body included) that takes longer than `limit`, with a
/// problem document like every other error: a client that trickles its body cannot hold a
/// connection and its task for longer. (tower-http's `TimeoutLayer` answers an empty 408.)
async fn request_timeout(
    axum::extract::State(limit): axum::extract::State<Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => error::ApiError::invalid(format!(
            "the request did not complete within {}: its body came too slowly, or the server is overloaded",
            humantime::format_duration(limit)
        ))
        .with_status(axum::http::StatusCode::REQUEST_TIMEOUT)
        .into_response(),
    }
}

/// A request refused for its size or its slowness may still have body bytes on the wire, so
/// the connection cannot carry another request: say so, or a client would reuse it and have
/// its next request fail. `Connection: close` says so.
async fn close_when_body_unread(
    mut response: axum::response::Response,
) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    if matches!(
        response.status(),
        StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT
    ) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// While the server drains, its HTTP/1 responses say `Connection: close`: a client with a
/// kept-alive connection opens its next one through the load balancer, which by then sends it
/// to a replica that is ready, rather than reusing this one until it closes under a request.
/// (HTTP/2 connections get a GOAWAY when the drain delay ends.)
async fn close_while_draining(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, Version, header};
    let http1 = request.version() < Version::HTTP_2;
    let mut response = next.run(request).await;
    if http1 && state.lifecycle.is_draining() {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

fn load_tls(files: &TlsFiles) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    listener::load_tls(&files.cert, &files.key).with_context(|| {
        format!(
            "cannot load the TLS certificate {} and key {}",
            files.cert.display(),
            files.key.display()
        )
    })
}

/// Records expiries in the audit log shortly after they happen.
async fn sweep(state: AppState, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => return,
        }
        match state.store.sweep_expired(state.now()).await {
            Ok(report)
                if report.grants_expired + report.sessions_expired + report.requests_expired
                    > 0 =>
            {
                tracing::info!(
                    grants = report.grants_expired,
                    sessions = report.sessions_expired,
                    requests = report.requests_expired,
                    "recorded expiries"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "sweeping expiries failed; will retry"),
        }
        // Each org's policy says when; orgs without one get the server's default.
        let default_warning = state.policy.expiry_warning_seconds();
        match state
            .store
            .enqueue_expiring(state.now(), default_warning)
            .await
        {
            Ok(0) => {}
            Ok(grants) => tracing::info!(grants, "enqueued grant.expiring notifications"),
            Err(error) => tracing::warn!(%error, "enqueuing grant.expiring failed; will retry"),
        }
    }
}

/// What `--dev` does with the seeded accounts once the port accepts connections: gets the
/// server's URL and their tokens (the CLI prints them and writes profiles).
pub type OnDev<'a> = &'a mut dyn FnMut(&str, &dev::DevTokens) -> anyhow::Result<()>;

/// Runs the server in the foreground until interrupted. With `on_dev`, seeds the demo org and
/// accounts first and hands their tokens over.
pub fn run(config: ServerConfig, on_dev: Option<OnDev<'_>>) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let server = Server::bind(&config, Arc::new(SystemClock)).await?;
        match on_dev {
            Some(on_dev) => {
                let url = server.url();
                let tokens = seed_dev(&server.store(), SystemClock.now()).await?;
                on_dev(&url, &tokens)?;
            }
            // A server nobody can sign in to: say how to make the first account.
            None if server.store().count_operators().await? == 0 => tracing::warn!(
                database = %store::redact_url(&config.db_url),
                "this database has no operator yet: stop the server and run `supportctl server init` \
                 with the same --db to create the first one (it prints its token once)"
            ),
            None => {}
        }
        server.serve_until_signalled().await
    })
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// `server init`: creates the schema and the first operator, whose token is returned once.
pub fn init(
    db_url: &str,
    email: &str,
    pool: &PoolSettings,
    signing: &signing::SigningConfig,
) -> anyhow::Result<InitOutcome> {
    runtime()?.block_on(async {
        let store = store::open_shared(db_url, pool).await?;
        signing::load(&store, signing, SystemClock.now()).await?;
        if store.count_operators().await? > 0 {
            return Ok(InitOutcome::AlreadyInitialized);
        }
        let token = tokens::new_account_token();
        store
            .create_account(
                &Principal::system(),
                &NewAccount {
                    email: email.to_owned(),
                    role: Role::Operator,
                    org: None,
                    token_hash: token.hash,
                },
                SystemClock.now(),
            )
            .await?;
        Ok(InitOutcome::Created { token: token.token })
    })
}

pub enum InitOutcome {
    Created { token: String },
    AlreadyInitialized,
}
