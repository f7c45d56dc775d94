//! Connection limits: an idle HTTP/2 connection (cleartext with prior knowledge, or over TLS)
//! is closed like an idle HTTP/1 one, one in use is not, and at `--max-connections` held by
//! authenticated callers new connections wait (unanswered, not refused) until an open one
//! closes.

use std::io::{ErrorKind, Read, Write};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::Request;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::common::harness::{ServerOptions, TestServer};
use crate::common::raw_http::framed_status;
use crate::common::server_process::{Launch, ServerProcess};
use crate::tls::make_pki;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn host_port(url: &str) -> String {
    url.split_once("://").unwrap().1.to_owned()
}

/// An HTTP/2 client connection, when the server ended it, and every byte the server sent.
struct H2 {
    send: h2::client::SendRequest<Bytes>,
    closed: tokio::task::JoinHandle<Instant>,
    received: Arc<Mutex<Vec<u8>>>,
}

async fn h2_over<T>(io: T) -> H2
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let received = Arc::new(Mutex::new(Vec::new()));
    let io = Recorded {
        io,
        received: received.clone(),
    };
    let (send, connection) = h2::client::handshake(io).await.unwrap();
    let closed = tokio::spawn(async move {
        // How the client sees the end varies (a clean end, or a broken pipe when its own
        // GOAWAY crosses the server's close): what the server sent is checked instead.
        let _ = connection.await;
        Instant::now()
    });
    H2 {
        send,
        closed,
        received,
    }
}

/// The error code of every GOAWAY frame in what a server sent over HTTP/2.
fn go_aways(received: &[u8]) -> Vec<u32> {
    let mut found = Vec::new();
    let mut rest = received;
    while rest.len() >= 9 {
        let length = u32::from_be_bytes([0, rest[0], rest[1], rest[2]]) as usize;
        let Some(payload) = rest.get(9..9 + length) else {
            break;
        };
        if rest[3] == 0x7 && payload.len() >= 8 {
            found.push(u32::from_be_bytes(payload[4..8].try_into().unwrap()));
        }
        rest = &rest[9 + length..];
    }
    found
}

/// A stream that keeps a copy of everything read from it.
struct Recorded<T> {
    io: T,
    received: Arc<Mutex<Vec<u8>>>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Recorded<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        self.received
            .lock()
            .unwrap()
            .extend_from_slice(&buf.filled()[before..]);
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Recorded<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// One GET over `h2`; its status.
async fn get(h2: &H2, url: &str) -> u16 {
    let mut ready = h2.send.clone().ready().await.unwrap();
    let request = Request::get(url).body(()).unwrap();
    let (response, _) = ready.send_request(request, true).unwrap();
    let response = response.await.unwrap();
    let status = response.status().as_u16();
    let mut body = response.into_body();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        let _ = body.flow_control().release_capacity(chunk.len());
    }
    status
}

/// Waits for the server to end `h2`; how long after `since` it did. It must have said GOAWAY
/// (a graceful close, no error), not just dropped the connection.
async fn closed_after(h2: H2, since: Instant, within: Duration) -> Duration {
    let at = tokio::time::timeout(within, h2.closed)
        .await
        .unwrap_or_else(|_| panic!("the idle HTTP/2 connection was still open after {within:?}"))
        .unwrap();
    let go_aways = go_aways(&h2.received.lock().unwrap());
    assert!(
        !go_aways.is_empty() && go_aways.iter().all(|&code| code == 0),
        "the server closed without a GOAWAY (NO_ERROR): {go_aways:?}"
    );
    at - since
}

#[test]
fn an_idle_http2_cleartext_connection_is_closed_after_the_default_idle_timeout() {
    // Default options: this is the wiring `supportctl server` uses.
    let server = TestServer::start();
    let address = host_port(&server.url);
    runtime().block_on(async {
        let tcp = tokio::net::TcpStream::connect(&address).await.unwrap();
        let h2 = h2_over(tcp).await;
        assert_eq!(get(&h2, &format!("http://{address}/healthz")).await, 200);
        let idle_since = Instant::now();
        // 10 s, like an idle HTTP/1 connection; not earlier, and not much later.
        let lived = closed_after(h2, idle_since, Duration::from_secs(14)).await;
        assert!(
            lived >= Duration::from_millis(9500),
            "closed after {lived:?}"
        );
    });
}

#[test]
fn an_http2_connection_over_tls_stays_open_while_used_and_closes_once_idle() {
    const IDLE: Duration = Duration::from_millis(1500);
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    let server = TestServer::with(ServerOptions {
        tls: Some(supportctl::server::TlsFiles {
            cert: pki.cert.clone(),
            key: pki.key.clone(),
        }),
        idle_timeout: IDLE,
        ..ServerOptions::default()
    });
    let address = host_port(&server.url);
    let url = format!("https://{address}/healthz");
    runtime().block_on(async {
        use rustls::pki_types::pem::PemObject;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls::pki_types::CertificateDer::from_pem_file(&pki.ca).unwrap())
            .unwrap();
        let mut config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let tcp = tokio::net::TcpStream::connect(&address).await.unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect("localhost".try_into().unwrap(), tcp)
            .await
            .unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let h2 = h2_over(tls).await;

        // In use for more than twice the idle timeout: it stays open.
        let started = Instant::now();
        let mut answered = 0;
        while started.elapsed() < IDLE * 2 + Duration::from_millis(500) {
            assert_eq!(get(&h2, &url).await, 200);
            answered += 1;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(!h2.closed.is_finished(), "a connection in use was closed");
        assert!(answered >= 5, "only {answered} requests");

        let idle_since = Instant::now();
        let lived = closed_after(h2, idle_since, Duration::from_secs(8)).await;
        assert!(
            lived >= IDLE - Duration::from_millis(300),
            "closed after {lived:?}"
        );
    });
}

/// Sends one HTTP/1.1 GET /v1/me with `token` on `stream` (kept alive).
fn send_me(stream: &mut std::net::TcpStream, token: &str) {
    write!(
        stream,
        "GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    .unwrap();
}

/// Reads one Content-Length framed response; its status, or `None` if nothing came within
/// `within` (or the server closed).
fn status_within(stream: &mut std::net::TcpStream, within: Duration) -> Option<u16> {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(status) = framed_status(&bytes) {
            return status;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                assert!(bytes.is_empty(), "a partial response: {bytes:?}");
                return None;
            }
            Err(error) => panic!("reading a response failed: {error}"),
        }
    }
}

/// With `cap` connections open (each served once with a valid `token`, then idle), one more
/// connects but is not served until one of them closes; then it is, and the cap holds again.
/// (Authenticated connections are never closed to make room, unauthenticated ones are.)
fn assert_cap(address: &str, cap: usize, token: &str) {
    let mut open: Vec<std::net::TcpStream> = (0..cap)
        .map(|i| {
            let mut stream = std::net::TcpStream::connect(address).unwrap();
            send_me(&mut stream, token);
            assert_eq!(
                status_within(&mut stream, Duration::from_secs(10)),
                Some(200),
                "connection {i} under the cap"
            );
            stream
        })
        .collect();

    // One more connects (the kernel's queue holds it) but is not served...
    let mut waiting = std::net::TcpStream::connect(address).unwrap();
    send_me(&mut waiting, token);
    assert_eq!(
        status_within(&mut waiting, Duration::from_millis(1500)),
        None,
        "a connection was served while {cap} were open"
    );
    // ...while those open still are.
    for stream in &mut open {
        send_me(stream, token);
        assert_eq!(status_within(stream, Duration::from_secs(10)), Some(200));
    }

    // Once one closes, the waiting one is accepted and answered.
    drop(open.remove(0));
    assert_eq!(
        status_within(&mut waiting, Duration::from_secs(10)),
        Some(200),
        "the waiting connection was not served after one closed"
    );
    // And the cap holds again.
    let mut next = std::net::TcpStream::connect(address).unwrap();
    send_me(&mut next, token);
    assert_eq!(status_within(&mut next, Duration::from_millis(500)), None);
}

#[test]
fn at_the_connection_cap_a_new_connection_waits_until_one_closes() {
    let server = TestServer::with(ServerOptions {
        max_connections: 5,
        // Nothing closes the open connections but the test.
        idle_timeout: Duration::from_secs(120),
        ..ServerOptions::default()
    });
    assert_cap(&host_port(&server.url), 5, &server.tokens.operator);
}

#[test]
fn the_max_connections_flag_sets_the_cap_of_the_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let server = ServerProcess::start(Launch {
        db: &db,
        log: &dir.path().join("server.log"),
        log_filter: "info,sqlx=warn",
        dev: true,
        extra_args: &["--max-connections", "2"],
    });
    // Within the default idle timeout (10 s): nothing else closes the two.
    let token = server.tokens.as_ref().unwrap().operator.clone();
    assert_cap(&host_port(&server.url), 2, &token);
    assert!(
        server
            .log_text()
            .contains("connection limit reached; new connections wait until one closes"),
        "{}",
        server.log_text()
    );

    let refused = crate::common::harness::std_command("http://127.0.0.1:1", "", dir.path())
        .args(["server", "--max-connections", "0", "--db", &db])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));

    // Unauthenticated callers must keep at least one slot: a caller's connection is one
    // until its first request.
    let other_db = format!("sqlite://{}", dir.path().join("other.sqlite").display());
    let refused = crate::common::harness::std_command("http://127.0.0.1:1", "", dir.path())
        .args([
            "server",
            "--max-connections",
            "4",
            "--reserved-connections",
            "4",
        ])
        .args(["--listen", "127.0.0.1:0", "--db", &other_db])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("must be fewer than the connection limit (4)"),
        "{stderr}"
    );
}
