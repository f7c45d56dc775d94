//! Clients without a token cannot lock out callers with one: unauthenticated connections share
//! at most `--max-connections` minus `--reserved-connections`, at most
//! `--max-connections-per-address` from one address, and the oldest of them makes room for a
//! new connection; a response the client does not take closes its connection after
//! `--write-timeout`; an unauthenticated connection closes after its lifetime.
//!
//! The attackers connect from other loopback addresses (127.0.0.10 and up) than the valid
//! caller (127.0.0.1), as distinct hosts would.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::Request;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::common::harness::{ServerOptions, TestServer};
use crate::common::raw_http::framed_status;
use crate::tls::{Pki, make_pki};
use supportctl::server::ConnectionSettings;

/// The cap the lockout tests use: small, so that the attacker can take every slot it may.
const MAX_CONNECTIONS: u32 = 16;
/// Per address, in the lockout tests: four attacker addresses can try every slot.
const PER_ADDRESS: u32 = 4;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn address(server: &TestServer) -> SocketAddr {
    server.url.split_once("://").unwrap().1.parse().unwrap()
}

/// A TCP connection from 127.0.0.`host`. The kernel completes it whether the server accepts
/// it or not.
async fn connect_from(host: u8, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::from(([127, 0, 0, host], 0)))
        .unwrap();
    socket.connect(server).await.unwrap()
}

fn lockout_server(tls: Option<&Pki>) -> TestServer {
    TestServer::with(ServerOptions {
        max_connections: MAX_CONNECTIONS,
        connections: ConnectionSettings {
            per_address: PER_ADDRESS,
            ..ConnectionSettings::default()
        },
        // Nothing but the limits under test closes the attackers' connections.
        idle_timeout: Duration::from_secs(120),
        tls: tls.map(|pki| supportctl::server::TlsFiles {
            cert: pki.cert.clone(),
            key: pki.key.clone(),
        }),
        ..ServerOptions::default()
    })
}

/// The attacker addresses: together they may try every slot of the server.
fn attacker_hosts() -> impl Iterator<Item = u8> {
    let addresses = MAX_CONNECTIONS.div_ceil(PER_ADDRESS) as u8;
    (0..addresses).flat_map(|n| std::iter::repeat_n(10 + n, PER_ADDRESS as usize))
}

fn tls_connector(pki: &Pki) -> tokio_rustls::TlsConnector {
    use rustls::pki_types::pem::PemObject;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_file(&pki.ca).unwrap())
        .unwrap();
    let mut config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// An HTTP/2 client connection; `closed` ends when the server ends it.
struct H2 {
    send: h2::client::SendRequest<Bytes>,
    closed: tokio::task::JoinHandle<()>,
}

async fn h2_over<T>(io: T, window: Option<u32>) -> H2
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = h2::client::Builder::new();
    if let Some(window) = window {
        builder.initial_window_size(window);
    }
    let (send, connection) = builder.handshake(io).await.unwrap();
    // The task answers the server's PINGs for as long as the connection lives.
    let closed = tokio::spawn(async move {
        let _ = connection.await;
    });
    H2 { send, closed }
}

/// Sends a GET and waits for the response's head; the body is left to the caller (a window
/// of zero never lets it come).
async fn h2_get(
    h2: &H2,
    url: &str,
    token: Option<&str>,
) -> Result<axum::http::Response<h2::RecvStream>, h2::Error> {
    let mut ready = h2.send.clone().ready().await?;
    let mut request = Request::get(url);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let (response, _) = ready.send_request(request.body(()).unwrap(), true)?;
    response.await
}

/// The whole body of an HTTP/2 response.
async fn h2_body(response: axum::http::Response<h2::RecvStream>) -> Vec<u8> {
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        let _ = body.flow_control().release_capacity(chunk.len());
        bytes.extend_from_slice(&chunk);
    }
    bytes
}

/// What attackers without a token hold a connection with.
#[derive(Clone, Copy, Debug)]
enum Attack {
    /// HTTP/2 with SETTINGS_INITIAL_WINDOW_SIZE = 0 and a GET /healthz: its response can never
    /// be sent, the keep-alive PINGs are answered.
    ZeroWindow,
    /// HTTP/1.1, nothing sent.
    Silent,
    /// HTTP/1.1, one small request now (and another before the idle timeout, in a real
    /// attack).
    SlowKeepAlive,
}

/// One attacker connection, kept open by the caller holding it.
async fn attack(
    attack: Attack,
    host: u8,
    server: SocketAddr,
    tls: Option<&tokio_rustls::TlsConnector>,
) -> Box<dyn std::any::Any> {
    let tcp = connect_from(host, server).await;
    let url = format!("http://{server}/healthz");
    match (attack, tls) {
        (Attack::ZeroWindow, None) => {
            let h2 = h2_over(tcp, Some(0)).await;
            // Not awaited: whether the server accepted this one yet or not, it tries.
            let task = tokio::spawn(async move {
                let response = h2_get(&h2, &url, None).await;
                std::future::pending::<()>().await;
                drop((h2, response));
            });
            Box::new(AbortOnDrop(task))
        }
        (Attack::ZeroWindow, Some(tls)) => {
            let tls = tls.clone();
            let task = tokio::spawn(async move {
                let Ok(stream) = tls.connect("localhost".try_into().unwrap(), tcp).await else {
                    return;
                };
                let h2 = h2_over(stream, Some(0)).await;
                let response = h2_get(&h2, &url, None).await;
                std::future::pending::<()>().await;
                drop((h2, response));
            });
            Box::new(AbortOnDrop(task))
        }
        (Attack::Silent, _) => Box::new(tcp),
        (Attack::SlowKeepAlive, _) => {
            let mut tcp = tcp;
            tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap();
            Box::new(tcp)
        }
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Takes every slot the attackers may, then has a valid caller ask for `/v1/me` from
/// another address: answered within a second.
async fn attackers_do_not_lock_out_a_valid_caller(
    server: &TestServer,
    attacks: &[Attack],
    tls: Option<&tokio_rustls::TlsConnector>,
    valid_caller: impl AsyncFnOnce() -> u16,
) {
    let address = address(server);
    let mut held = Vec::new();
    for (n, host) in attacker_hosts().enumerate() {
        held.push(attack(attacks[n % attacks.len()], host, address, tls).await);
    }
    // Long enough for each to be accepted and to have sent what it sends, and to be as old
    // as a connection may be before it is closed to make room.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let started = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(1), valid_caller())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "a valid caller was not served within 1 s while {} attacker connections \
                 ({attacks:?}) were open",
                held.len()
            )
        });
    assert_eq!(status, 200);
    eprintln!("valid caller served in {:?}", started.elapsed());
    drop(held);
}

#[test]
fn zero_window_http2_cleartext_attackers_do_not_lock_out_a_valid_caller() {
    let server = lockout_server(None);
    let address = address(&server);
    let token = server.tokens.operator.clone();
    runtime().block_on(attackers_do_not_lock_out_a_valid_caller(
        &server,
        &[Attack::ZeroWindow],
        None,
        async || {
            let h2 = h2_over(connect_from(1, address).await, None).await;
            let response = h2_get(&h2, &format!("http://{address}/v1/me"), Some(&token))
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body = h2_body(response).await;
            assert!(String::from_utf8_lossy(&body).contains("operator@"));
            status
        },
    ));
}

#[test]
fn zero_window_http2_over_tls_attackers_do_not_lock_out_a_valid_caller() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    let server = lockout_server(Some(&pki));
    let address = address(&server);
    let token = server.tokens.operator.clone();
    let tls = tls_connector(&pki);
    runtime().block_on(attackers_do_not_lock_out_a_valid_caller(
        &server,
        &[Attack::ZeroWindow],
        Some(&tls),
        async || {
            let tcp = connect_from(1, address).await;
            let stream = tls
                .connect("localhost".try_into().unwrap(), tcp)
                .await
                .unwrap();
            assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
            let h2 = h2_over(stream, None).await;
            let response = h2_get(&h2, &format!("https://{address}/v1/me"), Some(&token))
                .await
                .unwrap();
            let status = response.status().as_u16();
            h2_body(response).await;
            status
        },
    ));
}

/// One HTTP/1.1 request on `stream`; the status of its response (Content-Length framed), or
/// `None` when the server closed the connection first.
async fn http1_exchange(stream: &mut TcpStream, request: &str) -> Option<u16> {
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(status) = framed_status(&bytes) {
            return status;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
        }
    }
}

fn me_request(token: &str) -> String {
    format!("GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n")
}

#[test]
fn silent_and_slow_http1_attackers_do_not_lock_out_a_valid_caller() {
    let server = lockout_server(None);
    let address = address(&server);
    let token = server.tokens.operator.clone();
    runtime().block_on(attackers_do_not_lock_out_a_valid_caller(
        &server,
        &[Attack::Silent, Attack::SlowKeepAlive],
        None,
        async || {
            let mut stream = connect_from(1, address).await;
            http1_exchange(&mut stream, &me_request(&token))
                .await
                .expect("an answer")
        },
    ));
}

/// Whether the server closed `stream` within `within` (it sent nothing else).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut byte = [0u8; 1];
    match tokio::time::timeout(within, stream.read(&mut byte)).await {
        Ok(Ok(0)) | Ok(Err(_)) => true,
        Ok(Ok(_)) => panic!("the server sent bytes on a silent connection"),
        Err(_) => false,
    }
}

#[test]
fn one_address_holds_at_most_its_share_of_unauthenticated_connections() {
    let server = TestServer::with(ServerOptions {
        connections: ConnectionSettings {
            per_address: 3,
            ..ConnectionSettings::default()
        },
        ..ServerOptions::default()
    });
    let address = address(&server);
    runtime().block_on(async {
        let mut first = Vec::new();
        for _ in 0..3 {
            first.push(connect_from(20, address).await);
        }
        let mut elsewhere = connect_from(21, address).await;
        // Older than a connection that may still be about to authenticate.
        tokio::time::sleep(Duration::from_millis(1200)).await;

        // The fourth from the address gets in, and its oldest is closed to make room...
        let mut fourth = connect_from(20, address).await;
        assert_eq!(
            http1_exchange(&mut fourth, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await,
            Some(200)
        );
        assert!(
            closed_within(&mut first[0], Duration::from_secs(1)).await,
            "a fourth unauthenticated connection from one address did not close its oldest"
        );
        // ...not the others, nor another address's.
        for stream in &mut first[1..] {
            assert!(!closed_within(stream, Duration::from_millis(200)).await);
        }
        assert!(!closed_within(&mut elsewhere, Duration::from_millis(200)).await);

        // An authenticated connection does not count: three more unauthenticated ones from
        // the address close only unauthenticated ones.
        let mut caller = connect_from(20, address).await;
        assert_eq!(
            http1_exchange(&mut caller, &me_request(&server.tokens.admin)).await,
            Some(200)
        );
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let mut more = Vec::new();
        for _ in 0..3 {
            more.push(connect_from(20, address).await);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            http1_exchange(&mut caller, &me_request(&server.tokens.admin)).await,
            Some(200),
            "an authenticated connection was closed to make room"
        );
    });
}

#[test]
fn a_response_the_client_does_not_take_closes_its_connection_after_the_write_timeout() {
    const WRITE_TIMEOUT: Duration = Duration::from_secs(1);
    let server = TestServer::with(ServerOptions {
        connections: ConnectionSettings {
            write_timeout: WRITE_TIMEOUT,
            ..ConnectionSettings::default()
        },
        ..ServerOptions::default()
    });
    let address = address(&server);
    let token = server.tokens.operator.clone();
    let url = format!("http://{address}/v1/me");
    runtime().block_on(async {
        // Authenticated, so that nothing but the write timeout applies.
        let stalled = h2_over(connect_from(1, address).await, Some(0)).await;
        let working = h2_over(connect_from(1, address).await, None).await;
        let response = h2_get(&stalled, &url, Some(&token)).await.unwrap();
        assert_eq!(response.status(), 200);
        let since = Instant::now();

        // A connection whose client takes its responses is not affected meanwhile.
        while since.elapsed() < WRITE_TIMEOUT * 2 {
            let answer = h2_get(&working, &url, Some(&token)).await.unwrap();
            assert_eq!(answer.status(), 200);
            h2_body(answer).await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::timeout(Duration::from_secs(3), stalled.closed)
            .await
            .expect("a connection whose response could not be sent was still open after 5 s")
            .unwrap();
        let lived = since.elapsed();
        assert!(lived >= WRITE_TIMEOUT, "closed after {lived:?}");
        assert!(!working.closed.is_finished());
        drop(response);
    });
}

#[test]
fn an_authenticated_long_poll_outlasts_the_write_timeout_and_the_unauthenticated_lifetime() {
    let server = TestServer::with(ServerOptions {
        connections: ConnectionSettings {
            write_timeout: Duration::from_millis(500),
            unauthenticated_lifetime: Duration::from_millis(500),
            ..ConnectionSettings::default()
        },
        ..ServerOptions::default()
    });
    let support = server.support();
    let filed = crate::api_requests::file(
        &support,
        "acme",
        json!({"level": "member", "reason": "long poll"}),
    );
    let id = filed["id"].as_str().unwrap();
    let started = Instant::now();
    let reply = support.get(&format!("/v1/requests/{id}?wait_seconds=2"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["status"], "pending");
    assert!(started.elapsed() >= Duration::from_millis(1900));
}

/// Sends `request` every 300 ms on one connection until the server closes it; how long that
/// took, or `None` if it was still open after `within`.
async fn closed_while_polling(
    stream: &mut TcpStream,
    request: &str,
    within: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < within {
        match http1_exchange(stream, request).await {
            Some(200) => {}
            Some(status) => panic!("answered {status}"),
            None => return Some(started.elapsed()),
        }
        if closed_within(stream, Duration::from_millis(300)).await {
            return Some(started.elapsed());
        }
    }
    None
}

#[test]
fn an_unauthenticated_connection_closes_after_its_lifetime_however_it_is_used() {
    const LIFETIME: Duration = Duration::from_secs(1);
    let server = TestServer::with(ServerOptions {
        connections: ConnectionSettings {
            unauthenticated_lifetime: LIFETIME,
            ..ConnectionSettings::default()
        },
        ..ServerOptions::default()
    });
    let address = address(&server);
    runtime().block_on(async {
        // A tiny request well within the idle timeout, again and again.
        let mut anonymous = connect_from(30, address).await;
        let lived = closed_while_polling(
            &mut anonymous,
            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            Duration::from_secs(4),
        )
        .await
        .expect("an unauthenticated connection in use was open after 4 s");
        assert!(
            lived >= LIFETIME - Duration::from_millis(100),
            "closed after {lived:?}"
        );

        // The same with a valid token: it stays.
        let mut caller = connect_from(30, address).await;
        let request = me_request(&server.tokens.support);
        assert_eq!(
            closed_while_polling(&mut caller, &request, LIFETIME * 3).await,
            None,
            "an authenticated connection was closed"
        );
    });
}
