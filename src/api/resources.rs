//! The resources the API serves.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::vocabulary::{
    Area, EnabledStatus, GrantStatus, Level, ReviewOutcome, Role, SessionStatus,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// `ok` when the server and its database answer.
    pub status: String,
    pub version: String,
    /// `ok`, or what is wrong with the database.
    pub database: String,
    /// Webhook deliveries not yet delivered nor failed, as of the delivery worker's last look;
    /// shown to operator and service accounts (calling with their token) only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_backlog: Option<WebhookBacklog>,
}

/// Whether this server should be sent new requests (`GET /readyz`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    /// `ready`; `draining` once a shutdown began; `unavailable` when the database does not
    /// answer.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WebhookBacklog {
    pub pending: i64,
    /// When the oldest pending delivery was enqueued.
    pub oldest_pending_at: Option<Timestamp>,
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
    /// When the account's token expires: set for a token from a sign-in (`login --sso`),
    /// absent for a token made by `account create` or `rotate-token`, which does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expires_at: Option<Timestamp>,
    /// The connector through which the account's token was signed in for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_connector: Option<String>,
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
    /// Email of the admin who created the grant; `rule:NAME` for one an auto-approval rule
    /// approved.
    pub created_by: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
    /// The access request whose approval created the grant; null for a direct grant.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The org's auto-approval rule that approved the request, when no admin did.
    #[serde(default)]
    pub approval_rule: Option<String>,
    /// Derived from the other fields at the time of the response.
    pub status: GrantStatus,
    /// A break-glass grant: an operator confirmed an engineer's emergency request and it
    /// started before any org admin had seen it.
    #[serde(default)]
    pub break_glass: bool,
    /// Break-glass grants: false until an org admin acknowledges or disputes it (and `grant
    /// list` shows it first until then); null for every other grant.
    #[serde(default)]
    pub acknowledged: Option<bool>,
    /// How an org admin answered a break-glass grant, once one did.
    #[serde(default)]
    pub review: Option<GrantReview>,
}

/// An org admin's answer to a break-glass grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GrantReview {
    pub outcome: ReviewOutcome,
    /// Email of the admin.
    pub by: String,
    pub at: Timestamp,
    /// Why the admin disputed it.
    pub reason: Option<String>,
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
    /// How many items the whole list holds, from its start (with `count=true` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<ListTotal>,
}

/// How many items a list holds. Counting stops after [`ListTotal::COUNTED_AT_MOST`] items, so
/// that a count costs the same in a list of a thousand and one of a million.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTotal {
    /// The number of items; with `more`, the number counted (1000).
    pub count: u64,
    /// True when the list holds more than `count` items.
    pub more: bool,
}

impl ListTotal {
    pub const COUNTED_AT_MOST: u64 = 1000;
}

/// Proof that an event is in a chain's Merkle tree of `size` events: the hashes that, with the
/// event's record hash (`RecordHash` of the 32 bytes of `hash`), rebuild the tree's root
/// (Go's `tlog.CheckRecord` with record `seq - 1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    pub seq: i64,
    pub size: i64,
    /// The event's hash, lowercase hex as in the log.
    pub hash: String,
    /// Base64 of each 32-byte hash of the proof, in tlog's `RecordProof` order.
    pub proof: Vec<String>,
}

/// Proof that a chain's tree of `to` events extends its tree of `from` events (Go's
/// `tlog.CheckTree`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// Base64 of each 32-byte hash of the proof, in tlog's `TreeProof` order.
    pub proof: Vec<String>,
}
