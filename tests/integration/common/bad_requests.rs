//! The bad-request catalogue's machinery: a case is a request with the status and problem
//! `code` it must get; `run` sends each and checks that nothing changed.

use serde_json::Value;

use crate::common::fixtures::*;
use crate::common::harness::{Api, Reply, TestServer};

/// The request body limit: 64 KiB.
pub const LIMIT: usize = 64 * 1024;

pub enum Body {
    Json(Value),
    Raw(&'static str, Vec<u8>),
    Empty,
}

pub struct Case<'a> {
    pub what: String,
    pub api: &'a Api,
    pub path: String,
    pub body: Body,
    pub status: u16,
    pub code: &'static str,
}

pub fn case<'a>(
    what: impl Into<String>,
    api: &'a Api,
    path: impl Into<String>,
    body: Body,
    status: u16,
    code: &'static str,
) -> Case<'a> {
    Case {
        what: what.into(),
        api,
        path: path.into(),
        body,
        status,
        code,
    }
}

pub fn send(case: &Case<'_>) -> Reply {
    match &case.body {
        Body::Json(body) => case.api.post(&case.path, body),
        Body::Raw(content_type, bytes) => {
            case.api.post_raw(&case.path, content_type, bytes.clone())
        }
        Body::Empty => case.api.post_empty(&case.path),
    }
}

/// Runs every case, checking its answer and that the server's state did not move.
pub fn run(server: &TestServer, cases: Vec<Case<'_>>) {
    let before = snapshot(server);
    let mut failures = Vec::new();
    for case in &cases {
        let reply = send(case);
        if reply.status != case.status
            || reply.code() != case.code
            || reply.content_type != "application/problem+json"
        {
            failures.push(format!(
                "{}: expected {} {}, got {} {} {}",
                case.what, case.status, case.code, reply.status, reply.content_type, reply.body
            ));
            continue;
        }
        // A body left unread makes the connection unusable: the client must be told.
        if reply.status == 413
            && reply
                .headers
                .get("connection")
                .is_none_or(|value| value != "close")
        {
            failures.push(format!(
                "{}: 413 without Connection: close; the client would reuse the connection",
                case.what
            ));
        }
        if reply.body["detail"].as_str().is_none_or(str::is_empty) {
            failures.push(format!(
                "{}: a problem without detail: {}",
                case.what, reply.body
            ));
        }
        let after = snapshot(server);
        if after != before {
            panic!(
                "{}: a refused request changed the server's state\nbefore: {before:#?}\nafter: {after:#?}",
                case.what
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// `base` with `changes` applied (a `null` change removes the field).
pub fn with(base: &Value, changes: Value) -> Value {
    let mut body = base.clone();
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    body
}
