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
    /// Sign-in: the provider's redirect carries no `state` of a sign-in in progress (unknown,
    /// already used, or expired).
    InvalidState,
    /// Sign-in: the provider refused, or its answer (the ID token) did not pass the checks.
    SignInFailed,
    /// Sign-in: the provider does not vouch for the person's email (`email_verified`).
    EmailUnverified,
    /// Sign-in: the email's domain is not one the connector accepts.
    EmailDomainNotAllowed,
    /// Sign-in: no rule of the connector gives the person a role.
    NoMatchingRule,
    /// Sign-in: no account for the person, and the connector does not create one.
    NoAccount,
    /// Sign-in: the person's account is disabled.
    AccountDisabled,
    /// Sign-in: the account belongs to another org than the connector's (or to none).
    WrongOrg,
    /// Sign-in: the sign-in expired before it finished.
    ExpiredToken,
    /// Sign-in: the sign-in's token was already handed out.
    FlowUsed,
    /// Sign-in: polled faster than the interval allows.
    SlowDown,
    /// The action needs a sign-in more recent than the org's policy allows.
    ReauthenticationRequired,
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
            ErrorCode::InvalidState => 422,
            ErrorCode::SignInFailed | ErrorCode::EmailUnverified => 401,
            ErrorCode::EmailDomainNotAllowed
            | ErrorCode::NoMatchingRule
            | ErrorCode::NoAccount
            | ErrorCode::AccountDisabled
            | ErrorCode::WrongOrg
            | ErrorCode::ReauthenticationRequired => 403,
            ErrorCode::ExpiredToken | ErrorCode::FlowUsed => 410,
            ErrorCode::SlowDown => 429,
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
            ErrorCode::InvalidState => "invalid_state",
            ErrorCode::SignInFailed => "sign_in_failed",
            ErrorCode::EmailUnverified => "email_unverified",
            ErrorCode::EmailDomainNotAllowed => "email_domain_not_allowed",
            ErrorCode::NoMatchingRule => "no_matching_rule",
            ErrorCode::NoAccount => "no_account",
            ErrorCode::AccountDisabled => "account_disabled",
            ErrorCode::WrongOrg => "wrong_org",
            ErrorCode::ExpiredToken => "expired_token",
            ErrorCode::FlowUsed => "flow_used",
            ErrorCode::SlowDown => "slow_down",
            ErrorCode::ReauthenticationRequired => "reauthentication_required",
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
            ErrorCode::InvalidState => "Unknown or used sign-in state",
            ErrorCode::SignInFailed => "Sign-in failed",
            ErrorCode::EmailUnverified => "Email not verified",
            ErrorCode::EmailDomainNotAllowed => "Email domain not allowed",
            ErrorCode::NoMatchingRule => "No role for this person",
            ErrorCode::NoAccount => "No account",
            ErrorCode::AccountDisabled => "Account disabled",
            ErrorCode::WrongOrg => "Wrong org",
            ErrorCode::ExpiredToken => "Sign-in expired",
            ErrorCode::FlowUsed => "Sign-in already completed",
            ErrorCode::SlowDown => "Slow down",
            ErrorCode::ReauthenticationRequired => "Sign in again",
        }
    }

    /// A sign-in refusal's code, from its name (as a sign-in in progress stores it).
    pub fn parse(name: &str) -> Option<ErrorCode> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
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
