//! One log line per request (target `supportctl::request`, level info): its request id,
//! method, route template, status and duration. The route is the template the request
//! matched (`/v1/orgs/{org}/grants/{id}`), never the path or the query, which can carry names;
//! no header or body is ever logged, so no token is.
//!
//! The request id is the caller's `X-Request-Id` when that is 1 to 128 visible ASCII
//! characters and holds no token prefix, else a new random one; the response carries it back
//! in `X-Request-Id`, so a caller can quote it and an operator find the line.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::api::{ACCOUNT_TOKEN_PREFIX, SESSION_TOKEN_PREFIX};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a caller.
const MAX_REQUEST_ID_LEN: usize = 128;

/// The route a request matched no route of (a 404) is logged as.
const NO_ROUTE: &str = "-";

/// Runs the request, then logs it and returns its id in the response.
pub async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .filter(|value| is_acceptable_id(value.as_bytes()))
        .cloned()
        .unwrap_or_else(new_request_id);
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned());
    let mut response = next.run(request).await;
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    tracing::info!(
        target: "supportctl::request",
        request_id = %id.to_str().unwrap_or_default(),
        method = %method,
        route = %route.as_deref().unwrap_or(NO_ROUTE),
        status = response.status().as_u16(),
        duration_ms = micros as f64 / 1000.0,
        "request"
    );
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// 1 to 128 visible ASCII characters: safe in a log line and a header, and short; and nothing
/// like one of our tokens, which a confused client could send as its id.
fn is_acceptable_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id.iter().all(u8::is_ascii_graphic)
        && ![ACCOUNT_TOKEN_PREFIX, SESSION_TOKEN_PREFIX]
            .iter()
            .any(|prefix| {
                id.windows(prefix.len())
                    .any(|part| part == prefix.as_bytes())
            })
}

fn new_request_id() -> HeaderValue {
    let id = ulid::Ulid::generate().to_string().to_lowercase();
    HeaderValue::from_str(&id).expect("a ULID is visible ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_visible_ascii_ids_are_taken() {
        assert!(is_acceptable_id(b"a"));
        assert!(is_acceptable_id(b"req-42_x.y:z/1"));
        assert!(is_acceptable_id(&[b'x'; 128]));
        assert!(!is_acceptable_id(b""));
        assert!(!is_acceptable_id(&[b'x'; 129]));
        assert!(!is_acceptable_id(b"has space"));
        assert!(!is_acceptable_id(b"tab\there"));
        assert!(!is_acceptable_id("caf\u{e9}".as_bytes()));
        assert!(!is_acceptable_id(b"\x1b[31m"));
        assert!(!is_acceptable_id(b"sat_0123456789abcdef"));
        assert!(!is_acceptable_id(b"Bearer:sst_0123456789abcdef"));
        assert!(is_acceptable_id(new_request_id().as_bytes()));
    }
}
