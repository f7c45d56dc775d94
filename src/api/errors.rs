//! Problem documents and their stable codes, and the token prefixes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The stable machine-readable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    Unauthenticated,
    Forbidden,
    InvalidRequest,
    Conflict,
    PolicyViolation,
    RateLimited,
    Internal,
}

impl ErrorCode {
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidRequest => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::PolicyViolation => 422,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "not_found",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PolicyViolation => "policy_violation",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "Not found",
            ErrorCode::Unauthenticated => "Not authenticated",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::InvalidRequest => "Invalid request",
            ErrorCode::Conflict => "Conflict",
            ErrorCode::PolicyViolation => "Refused by policy",
            ErrorCode::RateLimited => "Too many requests",
            ErrorCode::Internal => "Internal server error",
        }
    }
}

/// RFC 9457 problem details, served as `application/problem+json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: ErrorCode,
}

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// Token prefixes, recognisable by secret scanners.
pub const ACCOUNT_TOKEN_PREFIX: &str = "sat_";
pub const SESSION_TOKEN_PREFIX: &str = "sst_";
