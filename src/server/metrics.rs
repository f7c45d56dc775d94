//! `/metrics`: what the server records as it works (requests, decisions, audit events, webhook
//! attempts) and what it counts in the store when scraped (active grants and sessions, pending
//! requests and deliveries, pool connections), in the Prometheus text format.
//!
//! Nothing is labelled by org, account or token: every label takes a few fixed values (route
//! templates, not paths), so a scrape stays small and says nothing about any customer.
//!
//! A request costs a map lookup by route template, a counter's atomic increment and the duration
//! histogram's brief lock (prometheus-client's): each route's series are created on their first
//! request and kept (see [`RouteSeries`]), so no label set is built or looked up again.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::domain::webhooks::within_retry_window;
use super::store::{AttemptOutcome, ClaimedDelivery, DataCounts, Store};

/// The Prometheus text format, version 0.0.4: what `promtool check metrics` reads, and what
/// every Prometheus version scrapes.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How long counts read from the store are served again, by default: frequent scrapes (or
/// several Prometheus servers) cost the database one count every few seconds at most.
pub const DEFAULT_COUNTS_MAX_AGE: Duration = Duration::from_secs(5);

/// Request durations from 100 µs (an introspection answered from the cache) to 10 s (past
/// that, the request timeout is near).
const DURATION_BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// The `method` label's values; any other method counts as `other`.
const METHODS: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "DELETE", "other"];
/// The `status` label's values, by the first digit of the status code.
const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
/// The `route` of requests that matched no route (they get 404).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The server's metrics flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsSettings {
    /// A second listener that serves `/metrics` alone, without a token (`--metrics-listen`).
    pub listen: Option<SocketAddr>,
    /// Whether anything is recorded; off, counters stay at zero and requests are not timed
    /// (`--no-metrics-recording`, the benchmark's baseline).
    pub recording: bool,
    /// How long counts read from the store are served again.
    pub counts_max_age: Duration,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            listen: None,
            recording: true,
            counts_max_age: DEFAULT_COUNTS_MAX_AGE,
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: &'static str,
    route: String,
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabel {
    decision: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabel {
    version: &'static str,
}

type Durations = Family<HttpLabels, Histogram, fn() -> Histogram>;

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

/// One route's request counter and duration histogram for a method and status class.
#[derive(Clone)]
struct Series {
    requests: Counter,
    durations: Histogram,
}

/// One route's series, by method and status class, each created on its first request (a
/// series appears in scrapes once it has counted something).
#[derive(Default)]
struct RouteSeries {
    cells: [[OnceLock<Series>; STATUS_CLASSES.len()]; METHODS.len()],
}

/// The metrics of one server.
pub struct Metrics {
    recording: bool,
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_durations: Durations,
    /// By route template: the routes the API declares, and [`UNMATCHED_ROUTE`].
    routes: HashMap<Box<str>, RouteSeries>,
    introspect_active: Counter,
    introspect_inactive: Counter,
    authorize_allow: Counter,
    authorize_deny: Counter,
    audit_events: Counter,
    delivered: Counter,
    failed_will_retry: Counter,
    failed_permanently: Counter,
    active_grants: Gauge,
    active_sessions: Gauge,
    pending_requests: Gauge,
    pending_deliveries: Gauge,
    pool_connections: Family<PoolLabels, Gauge>,
    /// When the counts were last read from the store; held while they are read, so that
    /// scrapes arriving together wait for one read.
    counts_read_at: tokio::sync::Mutex<Option<Instant>>,
    counts_max_age: Duration,
}

impl Metrics {
    /// The metrics of a server whose API has `routes` (route templates, as axum matches them).
    pub fn new<'a>(settings: &MetricsSettings, routes: impl IntoIterator<Item = &'a str>) -> Self {
        let mut registry = Registry::with_prefix("supportctl");
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status class",
            http_requests.clone(),
        );
        let http_durations = Durations::new_with_constructor(duration_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival until its response's headers, by method, route \
             template and status class",
            Unit::Seconds,
            http_durations.clone(),
        );
        let introspections = Family::<ResultLabel, Counter>::default();
        registry.register(
            "introspections",
            "Token introspections answered, by whether the token was active",
            introspections.clone(),
        );
        let decisions = Family::<DecisionLabel, Counter>::default();
        registry.register(
            "authorize_decisions",
            "Authorize decisions, allowed or denied",
            decisions.clone(),
        );
        let audit_events = Counter::default();
        registry.register(
            "audit_events",
            "Audit events written to the orgs' chains and the vendor chain by this server",
            audit_events.clone(),
        );
        let attempts = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "webhook_delivery_attempts",
            "Webhook delivery attempts by this server, by outcome: delivered, failed and to be \
             retried, or failed for good (out of retries, or the receiver answered 410 Gone)",
            attempts.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge
        };
        let active_grants = gauge(
            &mut registry,
            "active_grants",
            "Grants neither revoked nor expired",
        );
        let active_sessions = gauge(
            &mut registry,
            "active_sessions",
            "Sessions neither closed, expired nor revoked with their grant",
        );
        let pending_requests = gauge(
            &mut registry,
            "pending_access_requests",
            "Access requests waiting for a decision",
        );
        let pending_deliveries = gauge(
            &mut registry,
            "webhook_outbox_pending_deliveries",
            "Webhook deliveries waiting for an attempt (all replicas' outbox)",
        );
        let pool_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections of this server, by pool and whether in use or idle",
            pool_connections.clone(),
        );
        let build_info = Family::<VersionLabel, Gauge>::default();
        build_info
            .get_or_create(&VersionLabel {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register("build_info", "The server's version", build_info);
        let routes = routes
            .into_iter()
            .chain([UNMATCHED_ROUTE])
            .map(|route| (Box::from(route), RouteSeries::default()))
            .collect();
        Metrics {
            recording: settings.recording,
            registry,
            http_requests,
            http_durations,
            routes,
            introspect_active: introspections
                .get_or_create_owned(&ResultLabel { result: "active" }),
            introspect_inactive: introspections
                .get_or_create_owned(&ResultLabel { result: "inactive" }),
            authorize_allow: decisions.get_or_create_owned(&DecisionLabel { decision: "allow" }),
            authorize_deny: decisions.get_or_create_owned(&DecisionLabel { decision: "deny" }),
            audit_events,
            delivered: attempts.get_or_create_owned(&OutcomeLabel {
                outcome: "delivered",
            }),
            failed_will_retry: attempts.get_or_create_owned(&OutcomeLabel {
                outcome: "failed_will_retry",
            }),
            failed_permanently: attempts.get_or_create_owned(&OutcomeLabel {
                outcome: "failed_permanently",
            }),
            active_grants,
            active_sessions,
            pending_requests,
            pending_deliveries,
            pool_connections,
            counts_read_at: tokio::sync::Mutex::new(None),
            counts_max_age: settings.counts_max_age,
        }
    }

    pub fn is_recording(&self) -> bool {
        self.recording
    }

    /// Has `store` count the audit events it writes (not when recording is off).
    pub fn count_audit_events_of(&self, store: &Store) {
        if self.recording {
            store.count_audit_events(self.audit_events.clone());
        }
    }

    /// An introspection answered: the token was active or not.
    pub fn introspected(&self, active: bool) {
        if self.recording {
            match active {
                true => self.introspect_active.inc(),
                false => self.introspect_inactive.inc(),
            };
        }
    }

    /// An authorize decision.
    pub fn authorized(&self, allow: bool) {
        if self.recording {
            match allow {
                true => self.authorize_allow.inc(),
                false => self.authorize_deny.inc(),
            };
        }
    }

    /// A webhook delivery attempt ended with `outcome`.
    pub fn delivery_attempted(&self, delivery: &ClaimedDelivery, outcome: &AttemptOutcome) {
        if !self.recording {
            return;
        }
        let counter = match outcome {
            AttemptOutcome::Delivered { .. } => &self.delivered,
            // As the store decides whether the delivery stays pending.
            AttemptOutcome::Failed { retry_at, .. }
                if within_retry_window(delivery.created_at.as_second(), retry_at.as_second()) =>
            {
                &self.failed_will_retry
            }
            AttemptOutcome::Failed { .. } | AttemptOutcome::Gone => &self.failed_permanently,
        };
        counter.inc();
    }

    /// Counts a request answered with `status` after `took`.
    fn answered(&self, route: Option<&str>, method: &Method, status: StatusCode, took: Duration) {
        let route = route.unwrap_or(UNMATCHED_ROUTE);
        let method = match *method {
            Method::GET => 0,
            Method::HEAD => 1,
            Method::POST => 2,
            Method::PUT => 3,
            Method::DELETE => 4,
            _ => 5,
        };
        let class = usize::from(status.as_u16() / 100).clamp(1, STATUS_CLASSES.len()) - 1;
        let labels = || HttpLabels {
            method: METHODS[method],
            route: route.to_owned(),
            status: STATUS_CLASSES[class],
        };
        let create = || Series {
            requests: self.http_requests.get_or_create_owned(&labels()),
            durations: self.http_durations.get_or_create_owned(&labels()),
        };
        // Every route the router has is in the map; should one not be, it is counted all the
        // same, through the families' own lookup.
        let uncached;
        let series = match self.routes.get(route) {
            Some(cells) => cells.cells[method][class].get_or_init(create),
            None => {
                uncached = create();
                &uncached
            }
        };
        series.requests.inc();
        series.durations.observe(took.as_secs_f64());
    }

    /// The scrape: reads the counts from the store unless read recently, then renders
    /// everything.
    pub async fn scrape(&self, store: &Store, now: Timestamp) -> Response {
        self.refresh_counts(store, now).await;
        for pool in store.pool_connections() {
            for (state, value) in [("in_use", pool.in_use), ("idle", pool.idle)] {
                self.pool_connections
                    .get_or_create(&PoolLabels {
                        pool: pool.pool,
                        state,
                    })
                    .set(i64::from(value));
            }
        }
        let mut openmetrics = String::new();
        if let Err(error) =
            prometheus_client::encoding::text::encode(&mut openmetrics, &self.registry)
        {
            tracing::warn!(%error, "encoding the metrics failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        (
            [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
            prometheus_text(&openmetrics),
        )
            .into_response()
    }

    async fn refresh_counts(&self, store: &Store, now: Timestamp) {
        let mut read_at = self.counts_read_at.lock().await;
        if read_at.is_some_and(|at| at.elapsed() < self.counts_max_age) {
            return;
        }
        match store.data_counts(now).await {
            Ok(DataCounts {
                active_grants,
                active_sessions,
                pending_requests,
                pending_deliveries,
            }) => {
                self.active_grants.set(active_grants);
                self.active_sessions.set(active_sessions);
                self.pending_requests.set(pending_requests);
                self.pending_deliveries.set(pending_deliveries);
                *read_at = Some(Instant::now());
            }
            // The last counts stay; `/healthz` says what is wrong with the database.
            Err(error) => tracing::warn!(%error, "counting for /metrics failed"),
        }
    }
}

/// prometheus-client writes OpenMetrics, where a counter's family is named without its
/// `_total` and `# UNIT` and `# EOF` lines appear. The Prometheus text format (what promtool
/// checks, and what Prometheus scrapes as well) names a counter's family as its samples and
/// has neither line; the samples themselves are the same.
fn prometheus_text(openmetrics: &str) -> String {
    let counters: HashSet<&str> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut text = String::with_capacity(openmetrics.len() + 16 * counters.len());
    for line in openmetrics.lines() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        let counter_descriptor = ["# HELP ", "# TYPE "].into_iter().find_map(|prefix| {
            let (name, rest) = line.strip_prefix(prefix)?.split_once(' ')?;
            counters.contains(name).then_some((prefix, name, rest))
        });
        match counter_descriptor {
            Some((prefix, name, rest)) => {
                text.push_str(prefix);
                text.push_str(name);
                text.push_str("_total ");
                text.push_str(rest);
            }
            None => text.push_str(line),
        }
        text.push('\n');
    }
    text
}

/// Times and counts every request of the router it wraps (a layer on the router, so that the
/// route template a request matched is known).
#[derive(Clone)]
pub struct RecordRequestsLayer(pub Arc<Metrics>);

impl<S> tower::Layer<S> for RecordRequestsLayer {
    type Service = RecordRequests<S>;

    fn layer(&self, inner: S) -> RecordRequests<S> {
        RecordRequests {
            inner,
            metrics: self.0.clone(),
        }
    }
}

#[derive(Clone)]
pub struct RecordRequests<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S> tower::Service<Request> for RecordRequests<S>
where
    S: tower::Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Recorded<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let route = request.extensions().get::<MatchedPath>().cloned();
        let method = request.method().clone();
        Recorded {
            inner: self.inner.call(request),
            metrics: self.metrics.clone(),
            route,
            method,
            started: Instant::now(),
        }
    }
}

pin_project_lite::pin_project! {
    /// A request's response on its way: counted once it is there.
    pub struct Recorded<F> {
        #[pin]
        inner: F,
        metrics: Arc<Metrics>,
        route: Option<MatchedPath>,
        method: Method,
        started: Instant,
    }
}

impl<F, E> Future for Recorded<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let answered = std::task::ready!(this.inner.poll(cx));
        if let Ok(response) = &answered {
            this.metrics.answered(
                this.route.as_ref().map(MatchedPath::as_str),
                this.method,
                response.status(),
                this.started.elapsed(),
            );
        }
        Poll::Ready(answered)
    }
}

/// Adds the recording of requests to `router`, unless recording is off.
pub fn record_requests<S: Clone + Send + Sync + 'static>(
    router: axum::Router<S>,
    metrics: &Arc<Metrics>,
) -> axum::Router<S> {
    if metrics.is_recording() {
        router.layer(RecordRequestsLayer(metrics.clone()))
    } else {
        router
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_named_with_total_and_openmetrics_only_lines_go() {
        let openmetrics = "# HELP supportctl_audit_events Events.\n\
             # TYPE supportctl_audit_events counter\n\
             supportctl_audit_events_total 3\n\
             # HELP supportctl_http_request_duration_seconds Time.\n\
             # TYPE supportctl_http_request_duration_seconds histogram\n\
             # UNIT supportctl_http_request_duration_seconds seconds\n\
             supportctl_http_request_duration_seconds_sum 0.5\n\
             # HELP supportctl_active_grants Grants.\n\
             # TYPE supportctl_active_grants gauge\n\
             supportctl_active_grants 2\n\
             # EOF\n";
        assert_eq!(
            prometheus_text(openmetrics),
            "# HELP supportctl_audit_events_total Events.\n\
             # TYPE supportctl_audit_events_total counter\n\
             supportctl_audit_events_total 3\n\
             # HELP supportctl_http_request_duration_seconds Time.\n\
             # TYPE supportctl_http_request_duration_seconds histogram\n\
             supportctl_http_request_duration_seconds_sum 0.5\n\
             # HELP supportctl_active_grants Grants.\n\
             # TYPE supportctl_active_grants gauge\n\
             supportctl_active_grants 2\n"
        );
    }

    #[test]
    fn a_route_series_is_created_once_and_unknown_routes_still_count() {
        let metrics = Metrics::new(&MetricsSettings::default(), ["/v1/orgs/{org}"]);
        for _ in 0..3 {
            metrics.answered(
                Some("/v1/orgs/{org}"),
                &Method::GET,
                StatusCode::OK,
                Duration::from_micros(300),
            );
        }
        metrics.answered(None, &Method::PATCH, StatusCode::NOT_FOUND, Duration::ZERO);
        metrics.answered(
            Some("/elsewhere"),
            &Method::GET,
            StatusCode::OK,
            Duration::ZERO,
        );
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &metrics.registry).unwrap();
        assert!(text.contains(
            "supportctl_http_requests_total{method=\"GET\",route=\"/v1/orgs/{org}\",status=\"2xx\"} 3"
        ));
        assert!(text.contains(
            "supportctl_http_requests_total{method=\"other\",route=\"unmatched\",status=\"4xx\"} 1"
        ));
        assert!(text.contains(
            "supportctl_http_requests_total{method=\"GET\",route=\"/elsewhere\",status=\"2xx\"} 1"
        ));
        assert!(text.contains(
            "supportctl_http_request_duration_seconds_bucket{le=\"0.0005\",method=\"GET\",route=\"/v1/orgs/{org}\",status=\"2xx\"} 3"
        ), "{text}");
    }
}
