//! Accepting and serving connections: HTTP/1.1 and HTTP/2 (cleartext with prior knowledge, or
//! over TLS chosen by ALPN), a cap on open connections, and the limits that close idle, silent
//! or stalled ones whatever the protocol.
//!
//! A connection cannot prove who its client is before it carries a request, so every one
//! starts unauthenticated and becomes authenticated when a request on it presents a valid
//! token (the auth extractors call [`ConnectionSlot::authenticated`], found in each request's
//! extensions). Unauthenticated connections are limited, so that clients without a token
//! cannot take the slots callers with one need:
//!
//! - they may hold at most `max_connections - reserved_for_authenticated` slots, and one
//!   client address (IPv6: its /64, IPv4 mapped into IPv6: the IPv4 address) at most
//!   `per_address` of them;
//! - when a new connection would exceed either bound, the oldest unauthenticated connection
//!   (of that address, for the per-address bound) is closed to make room, once it has been
//!   open for [`EVICTABLE_AFTER`]: a connection's first request gets that long to
//!   authenticate. Closing the oldest, rather than refusing the newest, means that whoever
//!   holds slots without a token cannot keep a caller with one out: each new connection gets
//!   in, and to push it out before its first request authenticates an attacker would have to
//!   open more than the whole unauthenticated share within [`EVICTABLE_AFTER`]. The
//!   per-address bound keeps one address from doing even that to others' connections;
//!   younger connections of a burst from one address (a client's pool opening at once) may
//!   exceed it briefly rather than be refused;
//! - an unauthenticated connection is closed (gracefully) after `unauthenticated_lifetime`
//!   whatever it does, so that a trickle of anonymous requests cannot keep it open forever.
//!
//! Authenticated connections are never closed to make room: at `max_connections` with no
//! unauthenticated connection old enough to close, new connections wait in the kernel's queue.
//!
//! Whoever is calling, a response the client does not take is bounded: when a connection has
//! had a response waiting to be sent for `write_timeout` without any of it being taken (an
//! HTTP/2 flow-control window of zero, an HTTP/1 client that does not read), the connection is
//! closed, the whole of it (a zero window is a per-connection attack on HTTP/2). Time a
//! handler spends before it answers (a long poll) is not a stalled write.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::limiter::counted_as;

/// How connections are limited.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once; at the cap no more are accepted (they wait in the kernel's
    /// queue) until one closes or an unauthenticated one is closed to make room.
    pub max_connections: usize,
    /// Slots unauthenticated connections may not take (less than `max_connections`).
    pub reserved_for_authenticated: usize,
    /// Unauthenticated connections one client address may hold at once (0: no bound).
    pub per_address: usize,
    /// A connection with no request in flight for this long is closed (gracefully: HTTP/2
    /// says GOAWAY first).
    pub idle_timeout: Duration,
    /// A client gets this long for its TLS handshake, for its first request, and (HTTP/1) for
    /// every request's headers; a connection that has sent none is dropped.
    pub header_read_timeout: Duration,
    /// A connection whose responses wait this long without a byte of them being taken is
    /// closed.
    pub write_timeout: Duration,
    /// An unauthenticated connection is closed after this long, in use or not.
    pub unauthenticated_lifetime: Duration,
    /// At shutdown, and after an idle close, requests in flight get this long to finish.
    pub shutdown_grace: Duration,
}

/// An unauthenticated connection younger than this is not closed to make room: its first
/// request may be on its way with a valid token.
pub const EVICTABLE_AFTER: Duration = Duration::from_secs(1);
/// HTTP/2 keep-alive: a PING this often on a connection...
const H2_PING_INTERVAL: Duration = Duration::from_secs(20);
/// ...that is closed when the PING is not answered within this long.
const H2_PING_TIMEOUT: Duration = Duration::from_secs(10);
/// Requests one HTTP/2 connection may have in flight at once.
const H2_MAX_CONCURRENT_STREAMS: u32 = 100;
/// The largest header block a client may send, over HTTP/2 and HTTP/1.1 alike (the API's
/// requests carry a token and a few short headers); larger ones get 431.
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Reads the PEM certificate chain and key, for HTTP/2 and HTTP/1.1 (ALPN).
pub fn load_tls(cert: &std::path::Path, key: &std::path::Path) -> anyhow::Result<TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("reading the certificate chain")?;
    anyhow::ensure!(
        !certs.is_empty(),
        "the certificate file holds no certificate"
    );
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("reading the private key")?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the certificate and the key do not make a usable pair")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// What every connection task shares.
struct Shared {
    router: Router,
    tls: Option<TlsAcceptor>,
    http: auto::Builder<TokioExecutor>,
    limits: Limits,
}

/// Serves `router` on `listener` until `shutdown` resolves; then stops accepting, asks every
/// connection to finish, and waits up to the grace period before closing the rest.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let shared = Arc::new(Shared {
        router,
        tls,
        http: http_builder(&limits),
        limits,
    });
    let slots = Arc::new(Slots::new(limits));
    let (drain, draining) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut warned_full: Option<Instant> = None;
    let mut warned_evicting: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let room = slots.room();
        if room != Room::Now {
            if room == Room::WhenOneCloses
                && warned_full.is_none_or(|at| at.elapsed() > Duration::from_secs(60))
            {
                warned_full = Some(Instant::now());
                tracing::warn!(
                    max = limits.max_connections,
                    "connection limit reached; new connections wait until one closes"
                );
            }
            let later = match room {
                Room::At(at) => at,
                _ => Instant::now() + Duration::from_secs(3600),
            };
            tokio::select! {
                biased;
                _ = &mut shutdown => break,
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                _ = slots.freed.notified() => {}
                _ = tokio::time::sleep_until(later) => {}
            }
            continue;
        }
        let (stream, remote) = tokio::select! {
            biased;
            _ = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, most likely: do not spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let (slot, evicted) = slots.admit(remote.ip());
        if evicted > 0 && warned_evicting.is_none_or(|at| at.elapsed() > Duration::from_secs(60)) {
            warned_evicting = Some(Instant::now());
            tracing::warn!(
                unauthenticated = limits.max_connections - limits.reserved_for_authenticated,
                per_address = limits.per_address,
                "unauthenticated connections at their limit; closing the oldest to make room"
            );
        }
        let Some(slot) = slot else {
            // Taken in the meantime by connections that authenticated: this one waits no
            // longer than it took to notice.
            tracing::debug!(%remote, "no room for the connection; closed");
            continue;
        };
        connections.spawn(connection(
            stream,
            remote,
            shared.clone(),
            draining.clone(),
            slot,
        ));
    }
    // New connections are refused from here on, not left waiting.
    drop(listener);
    drain.send_replace(true);
    let finished = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    });
    if finished.await.is_err() {
        tracing::warn!(
            open = connections.len(),
            "requests still in flight after the grace period; closing their connections"
        );
        connections.shutdown().await;
    }
}

fn http_builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // hyper answers 431 when a request's head does not fit its read buffer.
        .max_buf_size(MAX_HEADER_BYTES);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(H2_PING_INTERVAL)
        .keep_alive_timeout(H2_PING_TIMEOUT)
        .max_concurrent_streams(H2_MAX_CONCURRENT_STREAMS)
        .max_header_list_size(MAX_HEADER_BYTES as u32);
    builder
}

/// Whether a new connection can be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Room {
    Now,
    /// When the oldest unauthenticated connection may be closed to make room.
    At(Instant),
    /// Every slot is held by an authenticated connection.
    WhenOneCloses,
}

/// The connections open, and which of them are unauthenticated.
struct Slots {
    limits: Limits,
    table: Mutex<Table>,
    /// Told when a connection closes.
    freed: Notify,
}

#[derive(Default)]
struct Table {
    open: HashMap<u64, Member>,
    /// The unauthenticated ones by id, that is, oldest first, with their address's key.
    unauthenticated: BTreeMap<u64, IpAddr>,
    per_address: HashMap<IpAddr, usize>,
    next_id: u64,
}

struct Member {
    opened: Instant,
    /// Told when the connection is closed to make room.
    evicted: Arc<Notify>,
    authenticated: bool,
}

impl Slots {
    fn new(limits: Limits) -> Slots {
        Slots {
            limits,
            table: Mutex::new(Table::default()),
            freed: Notify::new(),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn unauthenticated_share(&self) -> usize {
        self.limits.max_connections - self.limits.reserved_for_authenticated
    }

    fn room(&self) -> Room {
        let table = self.table();
        if table.open.len() < self.limits.max_connections
            && table.unauthenticated.len() < self.unauthenticated_share()
        {
            return Room::Now;
        }
        match table.unauthenticated.keys().next() {
            Some(oldest) => {
                let at = table.open[oldest].opened + EVICTABLE_AFTER;
                if at <= Instant::now() {
                    Room::Now
                } else {
                    Room::At(at)
                }
            }
            None => Room::WhenOneCloses,
        }
    }

    /// Admits a connection from `address`, closing unauthenticated ones to make room; `None`
    /// when there is none after all. Also how many were closed.
    fn admit(self: &Arc<Self>, address: IpAddr) -> (Option<Slot>, usize) {
        let key = counted_as(address);
        let mut table = self.table();
        let mut evicted = 0;
        if self.limits.per_address > 0
            && table.per_address.get(&key).copied().unwrap_or(0) >= self.limits.per_address
        {
            let oldest = table
                .unauthenticated
                .iter()
                .find(|(_, of)| **of == key)
                .map(|(id, _)| *id);
            if let Some(id) = oldest.filter(|id| table.evictable(*id)) {
                table.evict(id);
                evicted += 1;
            }
        }
        while table.open.len() >= self.limits.max_connections
            || table.unauthenticated.len() >= self.unauthenticated_share()
        {
            match table.unauthenticated.keys().next().copied() {
                Some(id) if table.evictable(id) => {
                    table.evict(id);
                    evicted += 1;
                }
                _ => return (None, evicted),
            }
        }
        let id = table.next_id;
        table.next_id += 1;
        let closed = Arc::new(Notify::new());
        table.open.insert(
            id,
            Member {
                opened: Instant::now(),
                evicted: closed.clone(),
                authenticated: false,
            },
        );
        table.unauthenticated.insert(id, key);
        *table.per_address.entry(key).or_default() += 1;
        let slot = Slot {
            handle: ConnectionSlot {
                id,
                slots: self.clone(),
            },
            evicted: closed,
        };
        (Some(slot), evicted)
    }
}

impl Table {
    fn evictable(&self, id: u64) -> bool {
        self.open[&id].opened.elapsed() >= EVICTABLE_AFTER
    }

    fn evict(&mut self, id: u64) {
        if let Some(member) = self.remove(id) {
            member.evicted.notify_one();
        }
    }

    /// Takes `id` off every count.
    fn remove(&mut self, id: u64) -> Option<Member> {
        let member = self.open.remove(&id)?;
        self.no_longer_unauthenticated(id);
        Some(member)
    }

    fn no_longer_unauthenticated(&mut self, id: u64) {
        let Some(key) = self.unauthenticated.remove(&id) else {
            return;
        };
        if let Some(count) = self.per_address.get_mut(&key) {
            *count -= 1;
            if *count == 0 {
                self.per_address.remove(&key);
            }
        }
    }
}

/// A connection's place under the limits, in every request's extensions: what marks it
/// authenticated.
#[derive(Clone)]
pub struct ConnectionSlot {
    id: u64,
    slots: Arc<Slots>,
}

impl ConnectionSlot {
    /// A request on this connection presented a valid token: from now on the connection is
    /// no longer limited as an unauthenticated one.
    pub fn authenticated(&self) {
        let mut table = self.slots.table();
        if let Some(member) = table.open.get_mut(&self.id) {
            member.authenticated = true;
            table.no_longer_unauthenticated(self.id);
        }
    }

    fn is_authenticated(&self) -> bool {
        self.slots
            .table()
            .open
            .get(&self.id)
            .is_some_and(|member| member.authenticated)
    }
}

/// What the connection task holds: its place, given back when it ends.
struct Slot {
    handle: ConnectionSlot,
    evicted: Arc<Notify>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let slots = &self.handle.slots;
        slots.table().remove(self.handle.id);
        slots.freed.notify_one();
    }
}

/// One connection, from the TLS handshake (if any) to its close.
async fn connection(
    stream: TcpStream,
    remote: SocketAddr,
    shared: Arc<Shared>,
    mut draining: watch::Receiver<bool>,
    slot: Slot,
) {
    let _ = stream.set_nodelay(true);
    let Some(acceptor) = &shared.tls else {
        return serve_connection(TokioIo::new(stream), remote, &shared, &mut draining, &slot).await;
    };
    let handshake =
        tokio::time::timeout(shared.limits.header_read_timeout, acceptor.accept(stream));
    let stream = tokio::select! {
        biased;
        _ = drained(&mut draining) => return,
        _ = slot.evicted.notified() => return,
        done = handshake => match done {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => {
                tracing::debug!(%remote, %error, "TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!(%remote, "TLS handshake too slow; closed");
                return;
            }
        },
    };
    serve_connection(TokioIo::new(stream), remote, &shared, &mut draining, &slot).await;
}

async fn serve_connection<I>(
    io: I,
    remote: SocketAddr,
    shared: &Shared,
    draining: &mut watch::Receiver<bool>,
    slot: &Slot,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let opened = Instant::now();
    let (activity, mut watching) = watch::channel(Activity::default());
    let mut watching_writes = activity.subscribe();
    let activity = Arc::new(activity);
    let router = shared.router.clone();
    let handle = slot.handle.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        let in_flight = InFlight::start(&activity);
        request.extensions_mut().insert(ConnectInfo(remote));
        request.extensions_mut().insert(handle.clone());
        let router = router.clone();
        let activity = activity.clone();
        async move {
            let response = router.oneshot(request).await?;
            Ok::<_, Infallible>(response.map(|body| {
                Body::new(Tracked {
                    body,
                    waiting: Waiting::start(&activity),
                    _in_flight: in_flight,
                })
            }))
        }
    });
    let conn = shared.http.serve_connection(io, service);
    tokio::pin!(conn);
    let limits = &shared.limits;

    // A connection that never sends a request holds a descriptor for nothing: dropped.
    tokio::select! {
        biased;
        _ = &mut conn => return,
        _ = drained(draining) => return,
        _ = slot.evicted.notified() => {
            tracing::debug!(%remote, "unauthenticated connection closed to make room");
            return;
        }
        _ = watching.wait_for(|activity| activity.started) => {}
        _ = tokio::time::sleep(limits.header_read_timeout) => {
            tracing::debug!(%remote, "no request in time; connection dropped");
            return;
        }
    }
    // Then it stays open while it is used: HTTP/1's own timeouts do not apply to HTTP/2, so
    // idleness is measured here, the same for both. A graceful close gets the grace period;
    // a stalled or evicted connection is dropped at once, graceful close or not.
    let mut closing: Option<Instant> = None;
    let far = Instant::now() + Duration::from_secs(365 * 24 * 3600);
    loop {
        tokio::select! {
            biased;
            ended = &mut conn => {
                if let Err(error) = ended {
                    tracing::debug!(%remote, %error, "connection ended with an error");
                }
                return;
            }
            _ = slot.evicted.notified() => {
                tracing::debug!(%remote, "unauthenticated connection closed to make room");
                return;
            }
            _ = stalled(&mut watching_writes, limits.write_timeout) => {
                tracing::debug!(%remote, "a response was not taken in time; connection closed");
                return;
            }
            _ = tokio::time::sleep_until(closing.unwrap_or(far)), if closing.is_some() => {
                tracing::debug!(%remote, "connection did not close in time; dropped");
                return;
            }
            _ = drained(draining), if closing.is_none() => {}
            _ = idle(&mut watching, limits.idle_timeout), if closing.is_none() => {
                tracing::debug!(%remote, "idle connection closed");
            }
            _ = outlived(&slot.handle, opened + limits.unauthenticated_lifetime),
                if closing.is_none() => {
                tracing::debug!(%remote, "unauthenticated connection reached its lifetime; closed");
            }
        }
        conn.as_mut().graceful_shutdown();
        closing = Some(Instant::now() + limits.shutdown_grace);
    }
}

async fn drained(draining: &mut watch::Receiver<bool>) {
    // An error means the server is gone: drained too.
    let _ = draining.wait_for(|drain| *drain).await;
}

/// Resolves once no request has been in flight for `limit`.
async fn idle(watching: &mut watch::Receiver<Activity>, limit: Duration) {
    loop {
        let busy = watching.borrow_and_update().in_flight > 0;
        let changed = if busy {
            watching.changed().await
        } else {
            match tokio::time::timeout(limit, watching.changed()).await {
                Ok(changed) => changed,
                Err(_) => return,
            }
        };
        if changed.is_err() {
            // The service is gone, so the connection is ending on its own.
            std::future::pending::<()>().await;
        }
    }
}

/// Resolves once responses have waited `limit` for the client to take any of them.
async fn stalled(watching: &mut watch::Receiver<Activity>, limit: Duration) {
    loop {
        let waiting_since = {
            let activity = watching.borrow_and_update();
            (activity.waiting > 0).then_some(activity.waiting_since)
        };
        let changed = match waiting_since {
            None => watching.changed().await,
            Some(since) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(since + limit) => return,
                    changed = watching.changed() => changed,
                }
            }
        };
        if changed.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Resolves at `deadline` unless the connection has authenticated by then.
async fn outlived(slot: &ConnectionSlot, deadline: Instant) {
    tokio::time::sleep_until(deadline).await;
    if slot.is_authenticated() {
        std::future::pending::<()>().await;
    }
}

/// What a connection's requests are doing.
#[derive(Debug, Clone, Copy)]
struct Activity {
    started: bool,
    in_flight: usize,
    /// Responses with a part the client has not taken yet...
    waiting: usize,
    /// ...since this long without any taken (reset when the count leaves 0).
    waiting_since: Instant,
}

impl Default for Activity {
    fn default() -> Self {
        Activity {
            started: false,
            in_flight: 0,
            waiting: 0,
            waiting_since: Instant::now(),
        }
    }
}

/// One request in flight: from its headers until its response body is sent (or the request
/// is dropped).
struct InFlight(Arc<watch::Sender<Activity>>);

impl InFlight {
    fn start(activity: &Arc<watch::Sender<Activity>>) -> InFlight {
        activity.send_modify(|activity| {
            activity.started = true;
            activity.in_flight += 1;
        });
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|activity| activity.in_flight -= 1);
    }
}

/// Whether a response has something the connection has not taken: from the moment it is
/// answered, and after each part handed over, until the connection asks for the next part
/// (HTTP/2 asks once the flow-control window lets it send; HTTP/1 once its buffer drained).
struct Waiting {
    activity: Arc<watch::Sender<Activity>>,
    waiting: bool,
}

impl Waiting {
    fn start(activity: &Arc<watch::Sender<Activity>>) -> Waiting {
        let mut waiting = Waiting {
            activity: activity.clone(),
            waiting: false,
        };
        waiting.set(true);
        waiting
    }

    fn set(&mut self, waiting: bool) {
        if self.waiting == waiting {
            return;
        }
        self.waiting = waiting;
        self.activity.send_modify(|activity| {
            if waiting {
                if activity.waiting == 0 {
                    activity.waiting_since = Instant::now();
                }
                activity.waiting += 1;
            } else {
                activity.waiting -= 1;
                // A part was taken: the connection makes progress.
                activity.waiting_since = Instant::now();
            }
        });
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.set(false);
    }
}

/// A response body that keeps its request counted as in flight until it is sent, and says
/// when the connection takes its parts.
struct Tracked {
    body: Body,
    waiting: Waiting,
    _in_flight: InFlight,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        self.waiting.set(false);
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if matches!(polled, Poll::Ready(Some(Ok(_)))) {
            self.waiting.set(true);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(max: usize, reserved: usize, per_address: usize) -> Arc<Slots> {
        Arc::new(Slots::new(Limits {
            max_connections: max,
            reserved_for_authenticated: reserved,
            per_address,
            idle_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            unauthenticated_lifetime: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(30),
        }))
    }

    /// Makes every open connection old enough to be closed to make room.
    fn age(slots: &Slots) {
        for member in slots.table().open.values_mut() {
            member.opened -= EVICTABLE_AFTER;
        }
    }

    fn is_open(slot: &Slot) -> bool {
        slot.handle.slots.table().open.contains_key(&slot.handle.id)
    }

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn unauthenticated_connections_share_what_the_reserve_leaves_and_the_oldest_makes_room() {
        let slots = slots(4, 1, 0);
        let held: Vec<Slot> = (0..3).map(|_| slots.admit(A).0.unwrap()).collect();
        // Full for them, and none a second old: a new connection waits.
        assert!(matches!(slots.room(), Room::At(_)));
        assert!(slots.admit(B).0.is_none(), "a young connection was closed");
        age(&slots);
        assert_eq!(slots.room(), Room::Now);
        let (newcomer, evicted) = slots.admit(B);
        assert_eq!(evicted, 1);
        assert!(!is_open(&held[0]), "the oldest makes room");
        assert!(is_open(&held[1]) && is_open(&newcomer.unwrap()));
    }

    #[test]
    fn authenticated_connections_take_the_reserve_and_are_never_closed_to_make_room() {
        let slots = slots(3, 1, 0);
        let caller = slots.admit(A).0.unwrap();
        caller.handle.authenticated();
        let _others: Vec<Slot> = (0..2).map(|_| slots.admit(B).0.unwrap()).collect();
        age(&slots);
        let (_, evicted) = slots.admit(B);
        assert_eq!(evicted, 1);
        assert!(is_open(&caller));
        // Every slot authenticated: nothing to close, new connections wait.
        let slots = self::slots(2, 1, 0);
        let held: Vec<Slot> = (0..2)
            .map(|_| {
                let slot = slots.admit(A).0.unwrap();
                slot.handle.authenticated();
                slot
            })
            .collect();
        age(&slots);
        assert_eq!(slots.room(), Room::WhenOneCloses);
        assert!(slots.admit(A).0.is_none());
        drop(held);
        assert_eq!(slots.room(), Room::Now);
    }

    #[test]
    fn an_address_over_its_bound_closes_its_own_oldest_but_a_young_burst_gets_in() {
        let slots = slots(100, 25, 2);
        let first: Vec<Slot> = (0..2).map(|_| slots.admit(A).0.unwrap()).collect();
        let other = slots.admit(B).0.unwrap();
        // Young: the third from A gets in too, closing nothing.
        let (third, evicted) = slots.admit(A);
        assert_eq!(evicted, 0);
        age(&slots);
        let (_, evicted) = slots.admit(A);
        assert_eq!(evicted, 1);
        assert!(!is_open(&first[0]) && is_open(&first[1]));
        assert!(is_open(&other), "another address's connection was closed");
        assert!(is_open(&third.unwrap()));
        // IPv6 by /64.
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8::2".parse().unwrap();
        let held: Vec<Slot> = [v6, same_64]
            .into_iter()
            .map(|address| slots.admit(address).0.unwrap())
            .collect();
        age(&slots);
        slots.admit("2001:db8::3".parse().unwrap());
        assert!(!is_open(&held[0]));
    }
}
