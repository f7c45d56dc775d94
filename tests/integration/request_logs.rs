//! One log line per request, as text and as JSON: its request id (the caller's when usable,
//! else a new one, returned in `X-Request-Id`), method, route template, status and duration;
//! never the path, the query or a caller's unusable id.

use std::io::{Read, Write};
use std::time::Duration;

use serde_json::Value;

use crate::common::harness::http_client;
use crate::common::server_process::{Launch, ServerProcess};

fn start(dir: &tempfile::TempDir, format: &str) -> ServerProcess {
    ServerProcess::start(Launch {
        db: &format!("sqlite://{}", dir.path().join("db.sqlite").display()),
        log: &dir.path().join(format!("server-{format}.log")),
        log_filter: "info",
        dev: false,
        extra_args: &["--log-format", format],
    })
}

/// GET `path` with an `X-Request-Id` of `id` (none if `None`): the status and the id returned.
fn get(server: &ServerProcess, path: &str, id: Option<&[u8]>) -> (u16, String) {
    let mut request = http_client().get(format!("{}{path}", server.url));
    if let Some(id) = id {
        request = request.header(
            "x-request-id",
            reqwest::header::HeaderValue::from_bytes(id).unwrap(),
        );
    }
    let response = request.send().unwrap();
    let returned = response
        .headers()
        .get_all("x-request-id")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(returned.len(), 1, "{returned:?}");
    (response.status().as_u16(), returned[0].clone())
}

/// The log's request lines, once `count` of them are there (each is written as its response
/// goes out).
fn request_lines(
    server: &ServerProcess,
    count: usize,
    is_request: impl Fn(&str) -> bool,
) -> Vec<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let lines: Vec<String> = server
            .log_text()
            .lines()
            .filter(|line| is_request(line))
            .map(str::to_owned)
            .collect();
        if lines.len() >= count {
            return lines;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} request lines, not {count}:\n{}",
            lines.len(),
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A made request id: a lowercase ULID.
fn is_made(id: &str) -> bool {
    id.len() == 26
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

#[test]
fn a_text_request_line_has_the_id_route_template_status_and_duration() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir, "text");
    let (status, id) = get(&server, "/v1/orgs/acme-private/grants/gr_private", None);
    assert_eq!(status, 401);
    assert!(is_made(&id), "{id}");
    let (status, echoed) = get(&server, "/healthz", Some(b"lb-7f3a:trace/42"));
    assert_eq!((status, echoed.as_str()), (200, "lb-7f3a:trace/42"));
    let (status, unmatched) = get(&server, "/no/such/secret-place?q=secret-query", None);
    assert_eq!(status, 404);

    let lines = request_lines(&server, 3, |line| line.contains("supportctl::request"));
    assert_eq!(lines.len(), 3, "{lines:#?}");
    let grants = &lines[0];
    for field in [
        &format!("request_id={id}"),
        "method=GET",
        "route=/v1/orgs/{org}/grants/{id}",
        "status=401",
        "duration_ms=",
    ] {
        assert!(grants.contains(field), "no {field} in {grants}");
    }
    assert!(
        lines[1].contains("request_id=lb-7f3a:trace/42 "),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("route=/healthz "), "{}", lines[1]);
    assert!(
        lines[2].contains(&format!("request_id={unmatched} ")),
        "{}",
        lines[2]
    );
    assert!(lines[2].contains("status=404"), "{}", lines[2]);
    // Never the path or the query: they name orgs and grants.
    let log = server.log_text();
    for private in ["acme-private", "gr_private", "secret-place", "secret-query"] {
        assert!(!log.contains(private), "the log holds {private}:\n{log}");
    }
}

#[test]
fn a_json_request_line_has_the_same_fields_and_every_line_is_json() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir, "json");
    let (status, id) = get(
        &server,
        "/v1/orgs/acme-private/grants/gr_private",
        Some(b"caller-1"),
    );
    assert_eq!((status, id.as_str()), (401, "caller-1"));
    let lines = request_lines(&server, 1, |line| line.contains("supportctl::request"));
    let logged: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(logged["target"], "supportctl::request");
    assert_eq!(logged["level"], "INFO");
    assert_eq!(logged["request_id"], "caller-1");
    assert_eq!(logged["method"], "GET");
    assert_eq!(logged["route"], "/v1/orgs/{org}/grants/{id}");
    assert_eq!(logged["status"], 401);
    assert!(
        logged["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{logged}"
    );
    // Every log line, not only the request lines, is a JSON object.
    for line in server.log_text().lines() {
        let parsed: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(parsed["timestamp"].is_string(), "{line}");
    }
    assert!(!server.log_text().contains("acme-private"));
}

#[test]
fn an_unusable_request_id_is_replaced_by_a_made_one_and_never_logged() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["text", "json"] {
        let server = start(&dir, format);
        let long = "h".repeat(10 * 1024);
        let hostile: [&[u8]; 5] = [
            long.as_bytes(),
            &[b'k'; 129],
            b"evil\tinjected=1",
            b"with space",
            b"caf\xc3\xa9-bytes",
        ];
        let mut made = Vec::new();
        for id in hostile {
            let (status, returned) = get(&server, "/healthz", Some(id));
            assert_eq!(status, 200);
            assert!(is_made(&returned), "{returned:?} for {id:?}");
            made.push(returned);
        }
        // Control characters other than tab do not get past the HTTP parser; whatever the
        // answer, they reach no log line.
        let mut stream =
            std::net::TcpStream::connect(server.url.trim_start_matches("http://")).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .write_all(
                b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: \x1b[31mred\x07\r\n\
                  Connection: close\r\n\r\n",
            )
            .unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);

        let lines = request_lines(&server, made.len(), |line| {
            line.contains("supportctl::request")
        });
        for id in &made {
            assert!(
                lines.iter().any(|line| line.contains(id.as_str())),
                "{id} not logged"
            );
        }
        let log = server.log_text();
        for raw in [
            "hhhhhhhh",
            "kkkkkkkk",
            "evil",
            "injected",
            "with space",
            "-bytes",
            "\x1b",
            "red\x07",
        ] {
            assert!(!log.contains(raw), "{format} log holds {raw:?}:\n{log}");
        }
    }
}
