//! Every error leaves the server as `application/problem+json` with a stable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::store::StoreError;
use super::validate::{DurationError, Invalid};
use crate::api::{ErrorCode, PROBLEM_CONTENT_TYPE, Problem};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub detail: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::from_u16(code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            detail: detail.into(),
            retry_after: None,
        }
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The request is malformed or breaks the documented schema: 400.
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, detail)
    }

    /// The request is well-formed, but what it asks cannot be done as asked (two exclusive
    /// fields, a time in the past, an email that is no support engineer): 422, code
    /// `invalid_request`. 400 stays for what the OpenAPI schema itself rules out.
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, detail).with_status(StatusCode::UNPROCESSABLE_ENTITY)
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, detail)
    }

    pub fn policy(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::PolicyViolation, detail)
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        let mut error = Self::new(
            ErrorCode::RateLimited,
            format!("too many failed authentication attempts; retry in {retry_after}s"),
        );
        error.retry_after = Some(retry_after);
        error
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("urn:supportctl:problem:{}", self.code.as_str()),
            title: self.code.title().to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(detail) => ApiError::not_found(detail),
            StoreError::Conflict(detail) => ApiError::conflict(detail),
            StoreError::Policy(detail) => ApiError::policy(detail),
            StoreError::PolicyConflict(detail) => {
                ApiError::policy(detail).with_status(StatusCode::CONFLICT)
            }
            StoreError::Invalid(detail) => ApiError::unprocessable(detail),
            StoreError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "database unavailable");
                ApiError::new(
                    ErrorCode::Internal,
                    "the database is unavailable; retry shortly",
                )
                .with_status(StatusCode::SERVICE_UNAVAILABLE)
            }
            StoreError::Database(detail) => {
                tracing::error!(error = %detail, "database error");
                ApiError::new(ErrorCode::Internal, "internal error; see the server's log")
            }
        }
    }
}

/// A malformed input: 400, unless the handler says otherwise.
impl From<Invalid> for ApiError {
    fn from(Invalid(detail): Invalid) -> Self {
        ApiError::invalid(detail)
    }
}

/// A malformed duration is 400; one over the server's maximum breaks its policy.
impl From<DurationError> for ApiError {
    fn from(error: DurationError) -> Self {
        match error {
            DurationError::Invalid(detail) => ApiError::invalid(detail),
            DurationError::OverMax(detail) => ApiError::policy(detail),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        if self.code == ErrorCode::Unauthenticated {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"supportctl\""),
            );
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
