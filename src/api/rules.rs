//! Customer rules: an org's auto-approval rules, and closing a ticket (what its ticketing
//! system's automation calls when a case ends).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::vocabulary::{Area, Level, RuleStatus, Weekday};
use super::whole_seconds;

/// A rule of an org's admins: a request entirely inside it, for a level that needs one
/// approval, is approved when it is filed, without a human approver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRule {
    /// Prefix `ar_`.
    pub id: String,
    pub org: String,
    /// Unique among the org's rules in force; named by the requests and grants it approves.
    pub name: String,
    /// The highest level a request may ask for.
    pub max_level: Level,
    /// The areas a request may ask for (all of its areas must be among them).
    pub areas: Vec<Area>,
    /// The longest grant a request may ask for.
    pub max_duration_seconds: i64,
    /// A regular expression the request's whole ticket must match; null: any ticket or none.
    pub ticket_pattern: Option<String>,
    /// The support engineers whose requests it approves; null: any.
    pub engineers: Option<Vec<String>>,
    /// The days (UTC) on which it approves; null: every day.
    pub weekdays: Option<Vec<Weekday>>,
    /// `[start, end]`: the hours (UTC) from `start` up to but not including `end`; `end` below
    /// `start` spans midnight; null: all day.
    #[schema(min_items = 2, max_items = 2)]
    pub hours_utc: Option<Vec<i64>>,
    /// After this it approves nothing.
    pub expires_at: Timestamp,
    /// Email of the admin who made it.
    pub created_by: String,
    pub created_at: Timestamp,
    pub removed_at: Option<Timestamp>,
    pub removed_by: Option<String>,
    /// Derived from the other fields at the time of the response.
    pub status: RuleStatus,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApprovalRule {
    /// 1 to 64 letters, digits, `-`, `_` or `.`, starting with a letter or digit.
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    pub name: String,
    pub max_level: Level,
    /// At least one; each must be allowed by the org's policy.
    #[schema(min_items = 1)]
    pub areas: Vec<Area>,
    /// At most the org's maximum grant duration.
    #[serde(deserialize_with = "whole_seconds::required")]
    #[schema(minimum = 1)]
    pub max_duration_seconds: i64,
    /// A regular expression (Rust `regex` syntax) that the whole ticket must match; a request
    /// without a ticket then never matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub ticket_pattern: Option<String>,
    /// Only these support engineers' requests (emails); default: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1, max_items = 100)]
    pub engineers: Option<Vec<String>>,
    /// Only on these days (UTC); default: every day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1)]
    pub weekdays: Option<Vec<Weekday>>,
    /// `[start, end]`, hours 0 to 24 (UTC): from `start` up to but not including `end`; `end`
    /// below `start` spans midnight. Default: all day.
    #[serde(
        default,
        deserialize_with = "whole_seconds::optional_list",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(schema_with = hours_utc_schema)]
    pub hours_utc: Option<Vec<i64>>,
    /// Required: in the future, at most 90 days ahead.
    pub expires_at: Timestamp,
}

/// The body of a ticket's closing: optional, and fields it does not know are ignored, so that
/// a ticketing system's automation can post its own event as it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CloseTicket {
    /// Why; recorded with each revocation and cancellation after "ticket closed".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 1000,
        pattern = "^[^\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\u{110BD}\u{110CD}\u{13430}-\u{1343F}\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}]*$"
    )]
    pub reason: Option<String>,
}

/// What closing a ticket ended, all in one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketClosed {
    pub org: String,
    pub ticket: String,
    /// Active grants with the ticket, now revoked.
    pub grants_revoked: i64,
    /// Active sessions of those grants, now ended.
    pub sessions_ended: i64,
    /// Pending requests with the ticket, now cancelled.
    pub requests_cancelled: i64,
    /// The revoked grants' ids.
    pub grants: Vec<String>,
    /// The cancelled requests' ids.
    pub requests: Vec<String>,
}

/// `hours_utc` of a new rule in the OpenAPI document: two hours 0 to 24, or null. (Which pairs
/// make a window, e.g. not `[24, 3]`, is the server's to say: 422.)
fn hours_utc_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(24)),
        )
        .min_items(Some(2))
        .max_items(Some(2))
        .description(Some(
            "`[start, end]`, hours 0 to 24 (UTC): from `start` up to but not including `end`; \
             `end` below `start` spans midnight. Default: all day.",
        ))
        .build()
}
