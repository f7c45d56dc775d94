//! Accepting and serving connections: HTTP/1.1 and HTTP/2 (cleartext with prior knowledge, or
//! over TLS chosen by ALPN), a cap on open connections, and the limits that close idle or
//! silent ones whatever the protocol.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// How connections are limited.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once; at the cap no more are accepted (they wait in the kernel's
    /// queue) until one closes.
    pub max_connections: usize,
    /// A connection with no request in flight for this long is closed (gracefully: HTTP/2
    /// says GOAWAY first).
    pub idle_timeout: Duration,
    /// A client gets this long for its TLS handshake, for its first request, and (HTTP/1) for
    /// every request's headers; a connection that has sent none is dropped.
    pub header_read_timeout: Duration,
    /// At shutdown, and after an idle close, requests in flight get this long to finish.
    pub shutdown_grace: Duration,
}

/// HTTP/2 keep-alive: a PING this often on a connection...
const H2_PING_INTERVAL: Duration = Duration::from_secs(20);
/// ...that is closed when the PING is not answered within this long.
const H2_PING_TIMEOUT: Duration = Duration::from_secs(10);
/// Requests one HTTP/2 connection may have in flight at once.
const H2_MAX_CONCURRENT_STREAMS: u32 = 100;
/// The largest header block a client may send over HTTP/2 (the API's requests carry a token
/// and a few short headers).
const H2_MAX_HEADER_LIST_SIZE: u32 = 16 * 1024;

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
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (drain, draining) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut warned_full: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if warned_full.is_none_or(|at| at.elapsed() > Duration::from_secs(60)) {
                    warned_full = Some(Instant::now());
                    tracing::warn!(
                        max = limits.max_connections,
                        "connection limit reached; new connections wait until one closes"
                    );
                }
                tokio::select! {
                    biased;
                    _ = &mut shutdown => break,
                    Some(_) = connections.join_next(), if !connections.is_empty() => continue,
                    slot = slots.clone().acquire_owned() => slot.expect("never closed"),
                }
            }
        };
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
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(H2_PING_INTERVAL)
        .keep_alive_timeout(H2_PING_TIMEOUT)
        .max_concurrent_streams(H2_MAX_CONCURRENT_STREAMS)
        .max_header_list_size(H2_MAX_HEADER_LIST_SIZE);
    builder
}

/// One connection, from the TLS handshake (if any) to its close. `_slot` is its place under
/// the connection cap, given back when this ends.
async fn connection(
    stream: TcpStream,
    remote: SocketAddr,
    shared: Arc<Shared>,
    mut draining: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let Some(acceptor) = &shared.tls else {
        return serve_connection(TokioIo::new(stream), remote, &shared, &mut draining).await;
    };
    let handshake =
        tokio::time::timeout(shared.limits.header_read_timeout, acceptor.accept(stream));
    let stream = tokio::select! {
        biased;
        _ = drained(&mut draining) => return,
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
    serve_connection(TokioIo::new(stream), remote, &shared, &mut draining).await;
}

async fn serve_connection<I>(
    io: I,
    remote: SocketAddr,
    shared: &Shared,
    draining: &mut watch::Receiver<bool>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (activity, mut watching) = watch::channel(Activity::default());
    let activity = Arc::new(activity);
    let router = shared.router.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        let in_flight = InFlight::start(&activity);
        request.extensions_mut().insert(ConnectInfo(remote));
        let router = router.clone();
        async move {
            let response = router.oneshot(request).await?;
            Ok::<_, Infallible>(response.map(|body| {
                Body::new(Tracked {
                    body,
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
        _ = watching.wait_for(|activity| activity.started) => {}
        _ = tokio::time::sleep(limits.header_read_timeout) => {
            tracing::debug!(%remote, "no request in time; connection dropped");
            return;
        }
    }
    // Then it stays open while it is used: HTTP/1's own timeouts do not apply to HTTP/2, so
    // idleness is measured here, the same for both.
    tokio::select! {
        biased;
        ended = &mut conn => {
            if let Err(error) = ended {
                tracing::debug!(%remote, %error, "connection ended with an error");
            }
            return;
        }
        _ = drained(draining) => {}
        _ = idle(&mut watching, limits.idle_timeout) => {
            tracing::debug!(%remote, "idle connection closed");
        }
    }
    conn.as_mut().graceful_shutdown();
    if tokio::time::timeout(limits.shutdown_grace, &mut conn)
        .await
        .is_err()
    {
        tracing::debug!(%remote, "connection did not close in time; dropped");
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

/// What a connection's requests are doing.
#[derive(Debug, Default, Clone, Copy)]
struct Activity {
    started: bool,
    in_flight: usize,
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

/// A response body that keeps its request counted as in flight until it is sent.
struct Tracked {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
