//! Extractors whose rejections are problem documents like every other error.

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Request bodies above this are refused with 413, unless a route sets its own limit.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A JSON object body of at most `LIMIT` bytes; malformed, oversize, unknown-field or
/// non-object bodies get `invalid_request` (serde would read a struct from an array,
/// positionally: never wanted).
pub struct ApiJson<T, const LIMIT: usize = BODY_LIMIT>(pub T);

impl<S: Send + Sync, T: DeserializeOwned, const LIMIT: usize> FromRequest<S> for ApiJson<T, LIMIT> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let bytes = json_bytes(req, LIMIT).await?;
        parse_object(&bytes).map(ApiJson)
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::invalid(format!("request body exceeds {} KiB", limit / 1024))
        .with_status(StatusCode::PAYLOAD_TOO_LARGE)
}

/// The body of a request that declares JSON, within `limit` bytes.
async fn json_bytes(req: Request, limit: usize) -> Result<axum::body::Bytes, ApiError> {
    if !is_json(req.headers()) {
        return Err(
            ApiError::invalid("expected a body with Content-Type: application/json")
                .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
        );
    }
    // A body announced as too large is refused before a byte of it is read.
    refuse_announced_over(&req, limit)?;
    axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|error| {
            let error = error.into_inner();
            if error.is::<http_body_util::LengthLimitError>() {
                too_large(limit)
            } else {
                ApiError::invalid(format!("cannot read the request body: {error}"))
            }
        })
}

/// Refuses a body whose announced length is over `limit` before a byte of it is read.
fn refuse_announced_over(req: &Request, limit: usize) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large(limit));
    }
    Ok(())
}

fn parse_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::invalid("the request body must be a JSON object"));
    }
    axum::Json::<T>::from_bytes(bytes)
        .map(|axum::Json(value)| value)
        .map_err(json_rejection)
}

/// `application/json` or `application/<anything>+json`, with or without parameters.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        _ => StatusCode::BAD_REQUEST,
    };
    let detail = match &rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "expected a body with Content-Type: application/json".to_owned()
        }
        _ if status == StatusCode::PAYLOAD_TOO_LARGE => {
            format!("request body exceeds {} KiB", BODY_LIMIT / 1024)
        }
        _ => rejection.body_text(),
    };
    ApiError::invalid(detail).with_status(status)
}

/// A query string; unknown parameters and bad values get `invalid_request`.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| ApiQuery(value))
            .map_err(|rejection: QueryRejection| ApiError::invalid(rejection.body_text()))
    }
}

/// Path parameters.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|rejection: PathRejection| ApiError::invalid(rejection.body_text()))
    }
}

/// A body that may be JSON or `application/x-www-form-urlencoded` (RFC 7662 uses the latter).
pub struct JsonOrForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonOrForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
        if is_form {
            refuse_announced_over(&req, BODY_LIMIT)?;
            axum::Form::<T>::from_request(req, state)
                .await
                .map(|axum::Form(value)| JsonOrForm(value))
                .map_err(|rejection: FormRejection| {
                    let status = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        StatusCode::PAYLOAD_TOO_LARGE
                    } else {
                        StatusCode::BAD_REQUEST
                    };
                    ApiError::invalid(rejection.body_text()).with_status(status)
                })
        } else {
            ApiJson::<T>::from_request(req, state)
                .await
                .map(|ApiJson(value)| JsonOrForm(value))
        }
    }
}

/// A JSON body that may be absent (empty), for requests whose every field is optional.
pub struct OptionalJson<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let has_body = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .is_none_or(|value| value != "0");
        let has_type = req.headers().contains_key(header::CONTENT_TYPE);
        if !has_body || !has_type {
            // Nothing was sent, or no JSON was declared: read it only to refuse a stray body.
            let bytes = axum::body::Bytes::from_request(req, state)
                .await
                .map_err(|rejection| {
                    ApiError::invalid(rejection.body_text()).with_status(rejection.status())
                })?;
            return if bytes.is_empty() {
                Ok(OptionalJson(None))
            } else {
                Err(
                    ApiError::invalid("expected a body with Content-Type: application/json")
                        .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
                )
            };
        }
        let bytes = json_bytes(req, BODY_LIMIT).await?;
        // `null` is the JSON way of sending nothing.
        if bytes.trim_ascii() == b"null" {
            return Ok(OptionalJson(None));
        }
        parse_object(&bytes).map(|value| OptionalJson(Some(value)))
    }
}
