//! Extractors whose rejections are problem documents like every other error.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::{OpenApi, RefOr};

use super::error::ApiError;
use super::store::WriteMode;
use crate::api::DryRunQuery;

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

/// The query parameters each operation of the OpenAPI document declares, by path template and
/// method. The router and the document come from the same declarations, so this is also what
/// every handler reads: a parameter outside it would be ignored, and a change asked with
/// `?dry_run=true` of a route without dry runs would be made for real.
#[derive(Clone, Debug, Default)]
pub struct DeclaredQueries(Arc<HashMap<String, HashMap<Method, BTreeSet<String>>>>);

impl DeclaredQueries {
    pub fn from_openapi(openapi: &OpenApi) -> Self {
        let mut routes = HashMap::new();
        for (path, item) in &openapi.paths.paths {
            let shared = item.parameters.iter().flatten();
            let operations = [
                (Method::GET, &item.get),
                (Method::POST, &item.post),
                (Method::PUT, &item.put),
                (Method::DELETE, &item.delete),
                (Method::PATCH, &item.patch),
            ];
            let methods: &mut HashMap<Method, BTreeSet<String>> =
                routes.entry(path.clone()).or_default();
            for (method, operation) in operations {
                let Some(operation) = operation else { continue };
                let own = operation.parameters.iter().flatten();
                let names = shared
                    .clone()
                    .chain(own)
                    // The document defines its parameters in place, never by reference.
                    .filter_map(|parameter| match parameter {
                        RefOr::T(parameter) => Some(parameter),
                        RefOr::Ref(_) => None,
                    })
                    .filter(|parameter| parameter.parameter_in == ParameterIn::Query)
                    .map(|parameter| parameter.name.clone())
                    .collect();
                methods.insert(method, names);
            }
        }
        DeclaredQueries(Arc::new(routes))
    }

    /// The parameters `method` on the route `path` takes; `None` when the route has no such
    /// method (the router answers 405).
    fn for_route(&self, path: &str, method: &Method) -> Option<&BTreeSet<String>> {
        // Every GET route answers HEAD too.
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        static NONE: BTreeSet<String> = BTreeSet::new();
        match self.0.get(path) {
            Some(methods) => methods.get(method),
            // A route the document does not describe takes no parameters at all.
            None => Some(&NONE),
        }
    }
}

/// Refuses, with 400 `invalid_request`, a query parameter the route does not declare, before
/// the handler runs (and so before anything is read or written).
pub async fn refuse_undeclared_query(
    axum::extract::State(declared): axum::extract::State<DeclaredQueries>,
    request: Request,
    next: Next,
) -> Response {
    let query = request.uri().query().unwrap_or_default();
    let route = request.extensions().get::<MatchedPath>();
    // Identity providers add parameters of their own to the redirect back (Google's
    // `authuser`, `hd`, `scope`; Keycloak's `session_state`): the callback takes any.
    let route = route.filter(|route| route.as_str() != "/v1/auth/callback");
    let allowed = route.and_then(|route| declared.for_route(route.as_str(), request.method()));
    if !query.is_empty()
        && let Some(allowed) = allowed
        && let Some(unknown) = url::form_urlencoded::parse(query.as_bytes())
            .map(|(name, _)| name)
            .find(|name| !allowed.contains(name.as_ref()))
    {
        return undeclared(&unknown, allowed).into_response();
    }
    next.run(request).await
}

fn undeclared(name: &str, allowed: &BTreeSet<String>) -> ApiError {
    // The name is the client's: quoted with its control characters escaped, and cut short.
    let shown: String = name.chars().take(64).collect();
    let takes = if allowed.is_empty() {
        "this endpoint takes no query parameters".to_owned()
    } else {
        let names: Vec<&str> = allowed.iter().map(String::as_str).collect();
        format!("this endpoint takes {}", names.join(", "))
    };
    ApiError::invalid(format!("unknown query parameter {shown:?}; {takes}"))
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

/// How a change asked with `?dry_run=` is to end: a dry run runs the same code and rolls back.
pub fn write_mode(query: DryRunQuery) -> WriteMode {
    if query.is_dry_run() {
        WriteMode::DryRun
    } else {
        WriteMode::Commit
    }
}
