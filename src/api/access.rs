//! Access requests (an engineer asks, the org's admins approve or deny) and the org policy
//! that bounds them and every direct grant.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::vocabulary::{Area, Level, RequestStatus, RequestStatusFilter};
use super::whole_seconds;

/// One admin's approval of a request, with the narrowing they set (if any).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Email of the approving admin.
    pub by: String,
    pub at: Timestamp,
    pub comment: Option<String>,
    /// The level this approver allowed, when narrower than asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// The areas this approver allowed, when narrower than asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub areas: Option<Vec<Area>>,
    /// The duration this approver allowed, when shorter than asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<i64>,
}

/// A support engineer's request for access to an org, decided by the org's admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessRequest {
    pub id: String,
    pub org: String,
    /// Email of the support engineer who asked.
    pub requester: String,
    pub level: Level,
    pub areas: Vec<Area>,
    /// How long the grant asked for would last.
    pub duration_seconds: i64,
    pub reason: String,
    pub ticket: Option<String>,
    /// Derived from the other fields at the time of the response.
    pub status: RequestStatus,
    pub created_at: Timestamp,
    /// When the request lapses if nobody decides it.
    pub expires_at: Timestamp,
    /// Distinct admin approvals needed (the org's policy when the request was made).
    pub approvals_required: i64,
    pub approvals: Vec<Approval>,
    pub decided_at: Option<Timestamp>,
    /// Email of the admin who approved (last) or denied, or the engineer who cancelled.
    pub decided_by: Option<String>,
    pub decision_comment: Option<String>,
    /// The grant the approval created.
    pub grant_id: Option<String>,
    /// The org's auto-approval rule that approved the request when it was filed (then no admin
    /// is named as approver).
    #[serde(default)]
    pub approval_rule: Option<String>,
    /// A break-glass request: a second vendor person (an operator) confirms it, and its grant
    /// starts at once, before any org admin has seen it.
    #[serde(default)]
    pub break_glass: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    pub level: Level,
    /// Default: every area the org's policy allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1)]
    pub areas: Option<Vec<Area>>,
    /// Default: the org's default grant duration.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole_seconds::optional"
    )]
    #[schema(minimum = 1)]
    pub duration_seconds: Option<i64>,
    #[schema(
        max_length = 1000,
        pattern = "^[^\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\u{110BD}\u{110CD}\u{13430}-\u{1343F}\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}]*[^\\s\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\u{110BD}\u{110CD}\u{13430}-\u{1343F}\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}][^\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\u{110BD}\u{110CD}\u{13430}-\u{1343F}\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}]*$"
    )]
    pub reason: String,
    /// The support case; required when the org's policy says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 1000,
        pattern = "^[^\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\u{110BD}\u{110CD}\u{13430}-\u{1343F}\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}]*$"
    )]
    pub ticket: Option<String>,
    /// Break-glass: an emergency request that an operator (a vendor person other than the
    /// requester) confirms instead of the org's admins; only when the org's policy allows it,
    /// within its `break_glass` limits.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub break_glass: bool,
}

/// An approval; the optional fields narrow what was asked (never widen it).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 1000,
        pattern = "^[^\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\u{110BD}\u{110CD}\u{13430}-\u{1343F}\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}]*$"
    )]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1)]
    pub areas: Option<Vec<Area>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole_seconds::optional"
    )]
    #[schema(minimum = 1)]
    pub duration_seconds: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DenyRequest {
    /// Why (required: the engineer reads it).
    #[schema(
        max_length = 1000,
        pattern = "^[^\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\u{110BD}\u{110CD}\u{13430}-\u{1343F}\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}]*[^\\s\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\u{110BD}\u{110CD}\u{13430}-\u{1343F}\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}][^\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\u{110BD}\u{110CD}\u{13430}-\u{1343F}\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}]*$"
    )]
    pub comment: String,
}

/// An operator's confirmation of a break-glass request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 1000,
        pattern = "^[^\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\u{110BD}\u{110CD}\u{13430}-\u{1343F}\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}]*$"
    )]
    pub comment: Option<String>,
}

/// Query of request lists.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestListQuery {
    /// Default `pending`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(inline)]
    pub status: Option<RequestStatusFilter>,
    /// 1 to 1000; default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// `true`: the page also says how many items the whole list holds (`total`), counting
    /// at most 1000 of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<bool>,
}

/// Query of a single request: `wait_seconds` makes it a long poll.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestWaitQuery {
    /// Answer as soon as the request is no longer pending, or after this many seconds
    /// with it still pending (0 to 60; default 0: answer at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 0, maximum = 60)]
    pub wait_seconds: Option<i64>,
}

/// Distinct admin approvals a request needs, per level asked. (Counts, like durations, are
/// whole numbers that JSON may spell `2.0`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalsRequired {
    #[serde(rename = "read-only")]
    #[serde(deserialize_with = "whole_seconds::required")]
    #[schema(minimum = 1, maximum = 100)]
    pub read_only: i64,
    #[serde(deserialize_with = "whole_seconds::required")]
    #[schema(minimum = 1, maximum = 100)]
    pub member: i64,
    #[serde(deserialize_with = "whole_seconds::required")]
    #[schema(minimum = 1, maximum = 100)]
    pub admin: i64,
}

impl Default for ApprovalsRequired {
    fn default() -> Self {
        ApprovalsRequired {
            read_only: 1,
            member: 1,
            admin: 1,
        }
    }
}

impl ApprovalsRequired {
    pub fn for_level(&self, level: Level) -> i64 {
        match level {
            Level::ReadOnly => self.read_only,
            Level::Member => self.member,
            Level::Admin => self.admin,
        }
    }

    pub fn set(&mut self, level: Level, count: i64) {
        match level {
            Level::ReadOnly => self.read_only = count,
            Level::Member => self.member = count,
            Level::Admin => self.admin = count,
        }
    }

    pub fn max(&self) -> i64 {
        self.read_only.max(self.member).max(self.admin)
    }
}

/// Break-glass access: whether the org lets an engineer's emergency request, confirmed by an
/// operator, start a grant before any of its admins has seen it, and how far such a grant
/// goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassPolicy {
    /// Off unless the org's admins turn it on.
    pub allowed: bool,
    /// The highest level a break-glass grant may have.
    pub max_level: Level,
    /// The longest a break-glass grant may last (at most 4 hours).
    #[serde(deserialize_with = "whole_seconds::required")]
    #[schema(minimum = 1, maximum = 14400)]
    pub max_duration_seconds: i64,
}

impl BreakGlassPolicy {
    /// The longest `max_duration_seconds` may be: 4 hours.
    pub const LONGEST: i64 = 4 * 3600;
}

impl Default for BreakGlassPolicy {
    fn default() -> Self {
        BreakGlassPolicy {
            allowed: false,
            max_level: Level::ReadOnly,
            max_duration_seconds: 3600,
        }
    }
}

/// The rules an org's admins set for support access to their org. The server's own flags
/// still apply: of the two, the tighter limit wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgPolicy {
    /// Increases with every change; a `PUT` must name the version it read.
    pub version: i64,
    #[schema(minimum = 1)]
    pub max_grant_duration_seconds: i64,
    #[schema(minimum = 1)]
    pub default_grant_duration_seconds: i64,
    #[schema(minimum = 1)]
    pub max_session_ttl_seconds: i64,
    #[schema(min_items = 1)]
    pub allowed_levels: Vec<Level>,
    #[schema(min_items = 1)]
    pub allowed_areas: Vec<Area>,
    /// Grants and requests must name a ticket.
    pub require_ticket: bool,
    /// `false`: admins grant only by approving requests.
    pub direct_grants: bool,
    /// `false`: support engineers cannot file requests.
    pub accept_requests: bool,
    pub approvals_required: ApprovalsRequired,
    /// How long a request stays pending before it lapses.
    #[schema(minimum = 60)]
    pub request_ttl_seconds: i64,
    /// How long before a grant ends its `grant.expiring` webhook notification goes out (0:
    /// never). An org without a policy has the server's `--expiry-warning`.
    #[schema(minimum = 0)]
    pub expiry_warning_seconds: i64,
    /// Break-glass access (off by default).
    #[serde(default)]
    pub break_glass: BreakGlassPolicy,
    /// Approving a request, extending a grant and changing this policy need a sign-in at the
    /// identity provider (`supportctl login --sso`) at most this many seconds old, else 403
    /// `reauthentication_required` (a token not from a sign-in never qualifies). Null: no
    /// such requirement.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub approval_max_auth_age_seconds: Option<i64>,
    /// Null until the org's admins first change the policy.
    pub updated_at: Option<Timestamp>,
    pub updated_by: Option<String>,
}

/// The whole policy document, with the `version` it replaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutOrgPolicy {
    /// The version read; another change since then makes this one 409.
    #[serde(deserialize_with = "whole_seconds::required")]
    pub version: i64,
    #[serde(deserialize_with = "whole_seconds::required")]
    #[schema(minimum = 1)]
    pub max_grant_duration_seconds: i64,
    #[serde(deserialize_with = "whole_seconds::required")]
    #[schema(minimum = 1)]
    pub default_grant_duration_seconds: i64,
    #[serde(deserialize_with = "whole_seconds::required")]
    #[schema(minimum = 1)]
    pub max_session_ttl_seconds: i64,
    #[schema(min_items = 1)]
    pub allowed_levels: Vec<Level>,
    #[schema(min_items = 1)]
    pub allowed_areas: Vec<Area>,
    pub require_ticket: bool,
    pub direct_grants: bool,
    pub accept_requests: bool,
    pub approvals_required: ApprovalsRequired,
    #[serde(deserialize_with = "whole_seconds::required")]
    #[schema(minimum = 60)]
    pub request_ttl_seconds: i64,
    #[serde(deserialize_with = "whole_seconds::required")]
    #[schema(minimum = 0)]
    pub expiry_warning_seconds: i64,
    /// Default: off.
    #[serde(default)]
    pub break_glass: BreakGlassPolicy,
    /// Absent or null: no requirement.
    #[serde(default, deserialize_with = "whole_seconds::optional")]
    #[schema(minimum = 1)]
    pub approval_max_auth_age_seconds: Option<i64>,
    /// Read-only; accepted (and ignored) so that a document read can be sent back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    /// Read-only; accepted (and ignored) so that a document read can be sent back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
}

impl From<&OrgPolicy> for PutOrgPolicy {
    fn from(policy: &OrgPolicy) -> Self {
        PutOrgPolicy {
            version: policy.version,
            max_grant_duration_seconds: policy.max_grant_duration_seconds,
            default_grant_duration_seconds: policy.default_grant_duration_seconds,
            max_session_ttl_seconds: policy.max_session_ttl_seconds,
            allowed_levels: policy.allowed_levels.clone(),
            allowed_areas: policy.allowed_areas.clone(),
            require_ticket: policy.require_ticket,
            direct_grants: policy.direct_grants,
            accept_requests: policy.accept_requests,
            approvals_required: policy.approvals_required,
            request_ttl_seconds: policy.request_ttl_seconds,
            expiry_warning_seconds: policy.expiry_warning_seconds,
            break_glass: policy.break_glass,
            approval_max_auth_age_seconds: policy.approval_max_auth_age_seconds,
            updated_at: None,
            updated_by: None,
        }
    }
}
