//! The wire format of the HTTP API: the one source of truth that the server serializes and the
//! client deserializes. Request bodies refuse unknown fields so that a typo never silently
//! widens or narrows a grant.

pub mod chain;

use std::fmt;

use clap::ValueEnum;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Implements `Display` and `FromStr` through the `ValueEnum` names, which are also the serde
/// names (all kebab-case), so the CLI, the API and the database agree on one spelling.
macro_rules! wire_names {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.to_possible_value() {
                    Some(value) => f.write_str(value.get_name()),
                    None => Ok(()),
                }
            }
        }
        impl std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                <$ty as ValueEnum>::from_str(s, false).map_err(|_| {
                    let names: Vec<_> = <$ty as ValueEnum>::value_variants()
                        .iter()
                        .map(|v| v.to_string())
                        .collect();
                    format!("unknown value '{s}' (expected one of: {})", names.join(", "))
                })
            }
        }
    )*};
}

/// Access level of a grant or session, ordered: `read-only` < `member` < `admin`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ValueEnum,
    ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// May read, never change anything.
    ReadOnly,
    /// Acts as a regular member of the org.
    Member,
    /// Acts as a system administrator of the org.
    Admin,
}

/// A kind of customer data that a grant may cover.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ValueEnum,
    ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    Chats,
    SourceCode,
    EmployeeData,
    Issues,
    Documents,
    Checklists,
}

impl Area {
    pub const ALL: [Area; 6] = [
        Area::Chats,
        Area::SourceCode,
        Area::EmployeeData,
        Area::Issues,
        Area::Documents,
        Area::Checklists,
    ];
}

/// What a session wants to do to an area; checked by `POST /v1/authorize`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ValueEnum,
    ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Needs at least `read-only`.
    Read,
    /// Needs at least `member`.
    Write,
    /// Needs `admin`.
    Administer,
}

impl Action {
    /// The lowest level that may perform this action.
    pub fn required_level(self) -> Level {
        match self {
            Action::Read => Level::ReadOnly,
            Action::Write => Level::Member,
            Action::Administer => Level::Admin,
        }
    }
}

/// The role of an account.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ValueEnum,
    ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The vendor's platform operators: orgs and accounts.
    Operator,
    /// An org's administrator: grants, sessions and audit of that org.
    Admin,
    /// A support engineer: opens sessions from grants.
    Support,
    /// A platform service: introspects and authorizes session tokens.
    Service,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ValueEnum,
    ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum GrantStatus {
    Active,
    Expired,
    Revoked,
}

/// The `status` filter of grant lists.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ValueEnum, ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum GrantStatusFilter {
    #[default]
    Active,
    Expired,
    Revoked,
    All,
}

/// The `status` filter of session lists.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ValueEnum, ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum SessionStatusFilter {
    #[default]
    Active,
    Expired,
    Closed,
    Revoked,
    All,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ValueEnum,
    ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum SessionStatus {
    Active,
    Expired,
    Closed,
    Revoked,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ValueEnum,
    ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum EnabledStatus {
    Enabled,
    Disabled,
}

wire_names!(
    Level,
    Area,
    Action,
    Role,
    GrantStatus,
    GrantStatusFilter,
    SessionStatus,
    SessionStatusFilter,
    EnabledStatus
);

/// Durations are whole seconds; JSON has one number type, so `3600.0` is read as 3600
/// (JSON Schema calls it an integer too), while `1.5` is refused.
mod whole_seconds {
    use serde::{Deserialize, Deserializer, de::Error};

    fn whole(value: serde_json::Number) -> Option<i64> {
        value.as_i64().or_else(|| {
            value
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        })
    }

    pub fn required<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        let number = serde_json::Number::deserialize(deserializer)?;
        whole(number.clone())
            .ok_or_else(|| D::Error::custom(format!("{number} is not a whole number of seconds")))
    }

    pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
        match Option::<serde_json::Number>::deserialize(deserializer)? {
            None => Ok(None),
            Some(number) => whole(number.clone()).map(Some).ok_or_else(|| {
                D::Error::custom(format!("{number} is not a whole number of seconds"))
            }),
        }
    }
}

/// Areas as a comma-separated list, the way people type and read them.
pub fn join_areas(areas: &[Area]) -> String {
    areas
        .iter()
        .map(Area::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

// ---------------------------------------------------------------------------------------------
// Resources

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// `ok` when the server and its database answer.
    pub status: String,
    pub version: String,
    /// `ok`, or what is wrong with the database.
    pub database: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Org {
    /// The org's stable identifier, used in paths.
    pub slug: String,
    pub name: String,
    pub status: EnabledStatus,
    pub created_at: Timestamp,
    pub disabled_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub role: Role,
    /// The org of an `admin`; null for every other role.
    pub org: Option<String>,
    pub status: EnabledStatus,
    pub created_at: Timestamp,
    pub disabled_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Grant {
    pub id: String,
    pub org: String,
    pub level: Level,
    pub areas: Vec<Area>,
    /// Emails of the support engineers who may use the grant; empty means the whole team.
    pub engineers: Vec<String>,
    pub reason: String,
    pub ticket: Option<String>,
    /// Email of the admin who created the grant.
    pub created_by: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
    /// Derived from the other fields at the time of the response.
    pub status: GrantStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Session {
    pub id: String,
    pub org: String,
    pub grant_id: String,
    /// Email of the support engineer.
    pub engineer: String,
    pub level: Level,
    pub areas: Vec<Area>,
    pub reason: String,
    pub opened_at: Timestamp,
    pub expires_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub close_reason: Option<String>,
    /// Derived at the time of the response.
    pub status: SessionStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// Account id, or `system` for the server's own events (expiries).
    pub id: String,
    pub email: String,
    pub role: String,
}

/// One entry of an org's audit log. `hash` is the lowercase hex SHA-256 of the RFC 8785
/// canonical JSON of this object without `hash`; `prev_hash` chains it to the previous entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    pub seq: i64,
    pub id: String,
    pub at: Timestamp,
    pub org: String,
    pub actor: Actor,
    pub action: String,
    pub target: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// A page of a list. Pass `next_cursor` as `cursor` to get the next page; null at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Requests and their answers

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    /// Lowercase letters, digits and dashes; 2 to 63 characters.
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$")]
    pub slug: String,
    #[schema(
        max_length = 1000,
        pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069][^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    #[schema(
        max_length = 254,
        pattern = r"^[^@\s,\x00-\x1f\x7f-\x9f]+@[^@\s,\x00-\x1f\x7f-\x9f]+$"
    )]
    pub email: String,
    pub role: Role,
    /// Required for `admin`, refused for every other role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$")]
    pub org: Option<String>,
}

/// An account with its token. The token is shown this once and stored only as a hash.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountWithToken {
    pub account: Account,
    pub token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGrant {
    pub level: Level,
    /// Default: every area.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1)]
    pub areas: Option<Vec<Area>>,
    /// Emails of support engineers; default (or empty): the whole support team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engineers: Option<Vec<String>>,
    /// How long the grant lasts; default: the server's default (8h). Exclusive with `expires_at`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole_seconds::optional"
    )]
    #[schema(minimum = 1)]
    pub duration_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// Why support needs access; shown to engineers and in the audit log.
    #[schema(
        max_length = 1000,
        pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069][^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 1000,
        pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub ticket: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendGrant {
    /// Seconds added to the grant's current expiry.
    #[serde(deserialize_with = "whole_seconds::required")]
    #[schema(minimum = 1)]
    pub duration_seconds: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeGrant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 1000,
        pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub reason: Option<String>,
}

/// Either `ids` or `all: true`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRevoke {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1, max_items = 10000)]
    pub ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 1000,
        pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRevokeResult {
    /// Grants that were active and are now revoked (their sessions ended with them).
    pub revoked: Vec<String>,
    /// Grants that were already revoked or expired: nothing changed.
    pub already_inactive: Vec<String>,
    /// Ids that name no grant of this org.
    pub not_found: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenSession {
    /// Default: the server picks a usable grant of the caller that covers the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    /// Default: the grant's level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// Default: the grant's areas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1)]
    pub areas: Option<Vec<Area>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole_seconds::optional"
    )]
    #[schema(minimum = 1)]
    pub ttl_seconds: Option<i64>,
    #[schema(
        max_length = 1000,
        pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069][^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub reason: String,
}

/// A session with its token. The token is shown this once and stored only as a hash.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionWithToken {
    pub session: Session,
    pub token: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseSession {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 1000,
        pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub reason: Option<String>,
}

/// RFC 7662 token introspection request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IntrospectRequest {
    pub token: String,
    /// Accepted for RFC 7662 compatibility and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type_hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActClaim {
    /// The support engineer's email.
    pub sub: String,
}

/// RFC 7662 introspection response. An inactive or unknown token gets exactly
/// `{"active": false}`, with no other member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Introspection {
    pub active: bool,
    /// Space-separated `area:action` pairs the session may perform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Expiry, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issue time, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// The org whose data the session may touch, as `org:<slug>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub areas: Option<Vec<Area>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    /// The actor: the support engineer acting in the org.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<ActClaim>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
}

impl Introspection {
    pub fn inactive() -> Self {
        Introspection {
            active: false,
            scope: None,
            exp: None,
            iat: None,
            sub: None,
            org: None,
            level: None,
            areas: None,
            session_id: None,
            grant_id: None,
            act: None,
            token_type: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest {
    pub token: String,
    pub area: Area,
    pub action: Action,
    /// Free-form name of the resource touched, recorded in the audit log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 1000,
        pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub resource: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeResponse {
    pub allow: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// Why access was denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Query of list endpoints.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 1 to 1000; default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// Query of grant lists.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GrantListQuery {
    /// Default `active`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(inline)]
    pub status: Option<GrantStatusFilter>,
    /// 1 to 1000; default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// Query of session lists.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SessionListQuery {
    /// Default `active`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(inline)]
    pub status: Option<SessionStatusFilter>,
    /// 1 to 1000; default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// Query of the audit log.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only events with a greater `seq`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_seq: Option<i64>,
    /// Only events at or after this time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Timestamp>,
    /// Only events before this time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    /// Only events with this action, e.g. `grant.revoked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// 1 to 1000; default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Errors

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
