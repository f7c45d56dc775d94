//! Abuse: bodies over 64 KiB, a slowloris that opens many connections and trickles headers,
//! and clients that send their headers and then trickle the body. The server refuses cleanly
//! (problem+json), changes nothing, cuts slow clients off, and keeps answering everyone else.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::harness::{ServerOptions, TestServer};

/// What a server holds, to compare before and after an attack.
fn snapshot(server: &TestServer) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let admin = server.admin();
    (
        admin.all("/v1/orgs/acme/grants?status=all"),
        admin.all("/v1/orgs/acme/sessions?status=all"),
        admin.all("/v1/orgs/acme/audit"),
    )
}

fn host_port(url: &str) -> String {
    url.trim_start_matches("http://").to_owned()
}

/// A raw HTTP/1.1 response read from a socket: status line, headers, body.
struct RawResponse {
    status: u16,
    headers: String,
    body: String,
}

/// Reads one response (Content-Length framed), or `None` if the server closed first.
fn read_response(stream: &mut TcpStream) -> Option<RawResponse> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0);
            while bytes.len() < end + 4 + length {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => bytes.extend_from_slice(&chunk[..n]),
                }
            }
            let status = head.split_whitespace().nth(1)?.parse().ok()?;
            let body = String::from_utf8_lossy(&bytes[end + 4..]).into_owned();
            return Some(RawResponse {
                status,
                headers: head.to_ascii_lowercase(),
                body,
            });
        }
        match stream.read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(error) if error.kind() == ErrorKind::WouldBlock => return None,
            Err(error) if error.kind() == ErrorKind::TimedOut => return None,
            Err(_) => return None,
        }
    }
}

/// Asserts that `api` answers promptly: every request in well under a second.
fn assert_prompt(server: &TestServer, rounds: usize) -> Duration {
    let admin = server.admin();
    let anonymous = server.anonymous();
    let mut slowest = Duration::ZERO;
    for i in 0..rounds {
        let started = Instant::now();
        assert_eq!(anonymous.get("/healthz").status, 200);
        admin.get("/v1/orgs/acme/grants?limit=5").assert_ok();
        if i % 4 == 0 {
            admin.grant(json!({"level": "read-only", "reason": format!("meanwhile {i}")}));
        }
        slowest = slowest.max(started.elapsed());
    }
    assert!(
        slowest < Duration::from_secs(2),
        "a normal client waited {slowest:?} for an answer"
    );
    slowest
}

/// POSTs `body` on a raw connection, with a Content-Length or with chunked transfer encoding;
/// returns the status, the head (lowercased) and the JSON body of the answer. The server
/// answers 413 and closes while the rest of the body is still on its way, so write errors are
/// expected and ignored (an HTTP client library would report the failed upload instead of the
/// answer).
fn post_oversized(
    base: &str,
    path: &str,
    token: &str,
    body: &[u8],
    chunked: bool,
) -> (u16, String, Value) {
    let mut stream = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {}", body.len())
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\n{framing}\r\nConnection: close\r\n\r\n"
    );
    let body = body.to_vec();
    let sender = thread::spawn(move || -> std::io::Result<()> {
        writer.write_all(head.as_bytes())?;
        if !chunked {
            return writer.write_all(&body);
        }
        for chunk in body.chunks(16 * 1024) {
            writer.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())?;
            writer.write_all(chunk)?;
            writer.write_all(b"\r\n")?;
        }
        writer.write_all(b"0\r\n\r\n")
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            // A reset after the answer arrived: what was read is the answer.
            Err(error) if error.kind() == ErrorKind::ConnectionReset && !answer.is_empty() => break,
            Err(error) => panic!("reading the answer to {path}: {error}"),
        }
    }
    let _ = sender.join().unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete answer to {path}: {text:?}"));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let json = rest
        .find('{')
        .map(|start| &rest[start..rest.rfind('}').unwrap() + 1]);
    let problem = serde_json::from_str(json.unwrap_or("null")).unwrap();
    (status, head.to_lowercase(), problem)
}

#[test]
fn bodies_over_64_kib_get_413_problem_json_and_change_nothing() {
    let server = TestServer::start();
    let admin = server.admin();
    let support = server.support();
    let operator = server.operator();
    let grant = admin.grant(json!({"level": "member", "reason": "keep me"}));
    let before = snapshot(&server);
    let huge = "x".repeat(70 * 1024);

    let oversized: Vec<(&crate::common::harness::Api, String, Value)> = vec![
        (
            &admin,
            "/v1/orgs/acme/grants".to_owned(),
            json!({"level": "admin", "reason": huge}),
        ),
        (
            // A bulk revoke has room for 10,000 ids: its limit is 512 KiB.
            &admin,
            "/v1/orgs/acme/grants/revoke".to_owned(),
            json!({"ids": [grant.clone()], "reason": "x".repeat(520 * 1024)}),
        ),
        (
            &admin,
            format!("/v1/orgs/acme/grants/{grant}/revoke"),
            json!({"reason": huge}),
        ),
        (
            &admin,
            format!("/v1/orgs/acme/grants/{grant}/extend"),
            json!({"duration_seconds": 3600, "reason": huge}),
        ),
        (
            &support,
            "/v1/orgs/acme/sessions".to_owned(),
            json!({"reason": huge}),
        ),
        (
            &operator,
            "/v1/orgs".to_owned(),
            json!({"slug": "big", "name": huge}),
        ),
    ];
    for (api, path, body) in &oversized {
        // With a Content-Length, and streamed with chunked transfer encoding, so no length is
        // known up front.
        for chunked in [false, true] {
            let (status, head, problem) = post_oversized(
                &api.base,
                path,
                api.token.as_deref().unwrap(),
                &serde_json::to_vec(body).unwrap(),
                chunked,
            );
            assert_eq!(status, 413, "{path} (chunked: {chunked})");
            assert!(
                head.contains("content-type: application/problem+json"),
                "{head}"
            );
            assert_eq!(problem["code"], "invalid_request");
            assert_eq!(problem["status"], 413);
        }
    }
    // A form body (introspection accepts RFC 7662 forms) is held to the same limit.
    server
        .service()
        .post_raw(
            "/v1/introspect",
            "application/x-www-form-urlencoded",
            format!("token=sst_{huge}"),
        )
        .assert_problem(413, "invalid_request");
    // The limit is 64 KiB, not less: a body just under it is judged on its content.
    let under = "y".repeat(60 * 1024);
    let reply = admin.post(
        "/v1/orgs/acme/grants",
        json!({"level": "member", "reason": under}),
    );
    assert_ne!(reply.status, 413, "{}", reply.body);
    assert!(reply.status < 500, "{}", reply.body);

    // Nothing changed: the grant is still active, no session, no event.
    let after = snapshot(&server);
    let created_under = usize::from(reply.status == 201);
    assert_eq!(after.0.len(), before.0.len() + created_under);
    assert_eq!(after.1, before.1);
    assert_eq!(after.2.len(), before.2.len() + created_under);
    assert_eq!(after.2[..before.2.len()], before.2[..]);
    let kept = admin.get(&format!("/v1/orgs/acme/grants/{grant}"));
    assert_eq!(kept.body["status"], "active");
}

#[test]
fn a_slowloris_does_not_starve_normal_clients_and_is_cut_off() {
    const CONNECTIONS: usize = 200;
    // From one address, as many as would be allowed from many: the header timeout is measured
    // here, not the per-address bound (`connection_slots.rs`).
    let server = TestServer::with(ServerOptions {
        connections: supportctl::server::ConnectionSettings {
            per_address: 0,
            ..Default::default()
        },
        ..ServerOptions::default()
    });
    let address = host_port(&server.url);
    // Every connection starts a request and never finishes its headers.
    let mut slow: Vec<TcpStream> = (0..CONNECTIONS)
        .map(|i| {
            let mut stream = TcpStream::connect(&address).unwrap();
            stream
                .write_all(format!("GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Slow-{i}: ").as_bytes())
                .unwrap();
            stream.set_nonblocking(true).unwrap();
            stream
        })
        .collect();
    let opened = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    // (index, how long it lived, whether it got any response bytes)
    let closed = Arc::new(Mutex::new(Vec::<(usize, Duration, bool)>::new()));
    let trickler = {
        let stop = stop.clone();
        let closed = closed.clone();
        thread::spawn(move || {
            let mut open: Vec<(usize, TcpStream)> = slow.drain(..).enumerate().collect();
            let mut buffer = [0u8; 1024];
            while !open.is_empty() && !stop.load(Ordering::Relaxed) {
                // One more header byte on every connection, every 100 ms.
                open.retain_mut(|(i, stream)| {
                    let gone = match stream.read(&mut buffer) {
                        Ok(0) => Some(false),
                        Ok(_) => Some(true),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => None,
                        Err(_) => Some(false),
                    };
                    let gone = gone.or_else(|| stream.write_all(b"a").err().map(|_| false));
                    match gone {
                        Some(answered) => {
                            closed
                                .lock()
                                .unwrap()
                                .push((*i, opened.elapsed(), answered));
                            false
                        }
                        None => true,
                    }
                });
                thread::sleep(Duration::from_millis(100));
            }
        })
    };

    // Meanwhile a normal client gets its answers at once, again and again.
    let mut slowest = Duration::ZERO;
    while opened.elapsed() < Duration::from_secs(3) {
        slowest = slowest.max(assert_prompt(&server, 4));
    }
    assert!(
        closed.lock().unwrap().is_empty(),
        "slow connections were closed early: the test measured nothing"
    );

    // The server cuts every one of them off once its header read timeout (10 s) has passed.
    let deadline = Duration::from_secs(14);
    while closed.lock().unwrap().len() < CONNECTIONS && opened.elapsed() < deadline {
        assert_prompt(&server, 1);
        thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, Ordering::Relaxed);
    trickler.join().unwrap();
    let closed = closed.lock().unwrap();
    assert_eq!(
        closed.len(),
        CONNECTIONS,
        "{} trickling connections were still open after {deadline:?}",
        CONNECTIONS - closed.len()
    );
    for (i, lived, _) in closed.iter() {
        assert!(
            *lived >= Duration::from_secs(5),
            "connection {i} was closed after {lived:?}"
        );
    }
    eprintln!("slowloris: normal client's slowest answer {slowest:?}; all {CONNECTIONS} cut off");
    assert_prompt(&server, 2);
}

/// Headers at once, then the body one byte at a time: the request timeout (1 s here) ends it
/// with a 408 problem document, and the grant it described is never created.
#[test]
fn a_trickled_body_is_cut_off_by_the_request_timeout_and_the_server_keeps_serving() {
    let server = TestServer::with(ServerOptions {
        request_timeout: Duration::from_secs(1),
        ..ServerOptions::default()
    });
    let address = host_port(&server.url);
    let before = snapshot(&server);
    let body = br#"{"level": "admin", "reason": "trickled body"}"#;

    let trickle = |chunked: bool| -> (Option<RawResponse>, Duration, usize) {
        let mut stream = TcpStream::connect(&address).unwrap();
        let framing = if chunked {
            "Transfer-Encoding: chunked".to_owned()
        } else {
            format!("Content-Length: {}", body.len())
        };
        write!(
            stream,
            "POST /v1/orgs/acme/grants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\n{framing}\r\n\r\n",
            server.tokens.admin
        )
        .unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let started = Instant::now();
        let mut sent = 0;
        for byte in body {
            let piece = if chunked {
                let mut piece = b"1\r\n".to_vec();
                piece.push(*byte);
                piece.extend_from_slice(b"\r\n");
                piece
            } else {
                vec![*byte]
            };
            if stream.write_all(&piece).is_err() {
                break;
            }
            sent += 1;
            // Waits 100 ms for an answer between two bytes.
            let mut peek = [0u8; 1];
            match stream.peek(&mut peek) {
                Ok(_) => break,
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {}
                Err(_) => break,
            }
            assert!(started.elapsed() < Duration::from_secs(10));
        }
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let response = read_response(&mut stream);
        (response, started.elapsed(), sent)
    };

    for chunked in [false, true] {
        let (response, took, sent) = trickle(chunked);
        let response = response.expect("the server closed the connection without an answer");
        assert_eq!(response.status, 408, "{}", response.body);
        assert!(
            response
                .headers
                .contains("content-type: application/problem+json"),
            "{}",
            response.headers
        );
        let problem: Value = serde_json::from_str(&response.body).unwrap();
        assert_eq!(problem["status"], 408);
        assert_eq!(problem["code"], "invalid_request");
        assert!(
            sent < body.len(),
            "the whole body got through ({sent} bytes)"
        );
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(4),
            "cut off after {took:?}"
        );
    }

    // Many at once, while a normal client works.
    let workers: Vec<_> = (0..20)
        .map(|_| {
            let address = address.clone();
            let token = server.tokens.admin.clone();
            thread::spawn(move || {
                let mut stream = TcpStream::connect(&address).unwrap();
                write!(
                    stream,
                    "POST /v1/orgs/acme/grants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \
                     {token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
                )
                .unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                read_response(&mut stream).map(|r| r.status)
            })
        })
        .collect();
    assert_prompt(&server, 8);
    for worker in workers {
        assert_eq!(worker.join().unwrap(), Some(408));
    }

    // Nothing was created by the cut-off requests; the server still serves.
    let after = snapshot(&server);
    let trickled = |grants: &[Value]| {
        grants
            .iter()
            .filter(|g| g["reason"] == "trickled body")
            .count()
    };
    assert_eq!(trickled(&after.0), 0);
    assert_eq!(trickled(&before.0), 0);
    assert_eq!(after.1, before.1);
    assert_eq!(after.2[..before.2.len()], before.2[..]);
    let created = server
        .admin()
        .grant(json!({"level": "admin", "reason": "sent at once"}));
    assert!(created.starts_with("gr_"));
}

#[test]
fn a_body_announced_as_too_large_is_refused_before_it_is_sent() {
    let server = TestServer::start();
    let mut stream = TcpStream::connect(host_port(&server.url)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let started = Instant::now();
    write!(
        stream,
        "POST /v1/orgs/acme/grants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n",
        server.tokens.admin
    )
    .unwrap();
    // Not one byte of the 100 MB follows: the answer must not wait for it.
    let response = read_response(&mut stream).expect("an answer before the body");
    assert_eq!(response.status, 413, "{}", response.body);
    assert!(response.headers.contains("application/problem+json"));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_form_body_announced_as_too_large_is_refused_by_introspect_before_it_is_sent() {
    let server = TestServer::start();
    let mut stream = TcpStream::connect(host_port(&server.url)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let started = Instant::now();
    write!(
        stream,
        "POST /v1/introspect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 104857600\r\n\r\n",
        server.tokens.service
    )
    .unwrap();
    // Not one byte of the 100 MB follows: the answer must not wait for it.
    let response = read_response(&mut stream).expect("an answer before the body");
    assert_eq!(response.status, 413, "{}", response.body);
    assert!(response.headers.contains("application/problem+json"));
    assert!(response.body.contains("64 KiB"), "{}", response.body);
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// GET /healthz with one header of `length` bytes over HTTP/1.1; the status.
fn healthz_with_header_of(server: &TestServer, length: usize) -> u16 {
    let mut stream = TcpStream::connect(host_port(&server.url)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let value = "a".repeat(length - "X-Big: ".len());
    // The server may answer and close before it has read all of it.
    let _ = write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {value}\r\n\r\n"
    );
    read_response(&mut stream).expect("an answer").status
}

#[test]
fn header_lines_over_16_kib_are_refused_over_http1_as_over_http2() {
    let server = TestServer::start();
    assert_eq!(healthz_with_header_of(&server, 12 * 1024), 200);
    assert_eq!(healthz_with_header_of(&server, 17 * 1024), 431);
    assert_eq!(healthz_with_header_of(&server, 64 * 1024), 431);
    // And the server goes on serving.
    assert_eq!(healthz_with_header_of(&server, 100), 200);
}
