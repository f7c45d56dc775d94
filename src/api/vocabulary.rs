//! The words of the API: levels, areas, actions, roles and statuses, each spelled one way
//! (kebab-case) on the wire, on the command line and in the database.

use std::fmt;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

/// Every `action` an audit event can have, for `audit list --action` and its completion.
pub const AUDIT_ACTIONS: [&str; 40] = [
    "access.allowed",
    "access.denied",
    "account.created",
    "account.disabled",
    "account.email_changed",
    "account.linked",
    "account.login",
    "account.login_failed",
    "account.role_changed",
    "account.token_rotated",
    "approval_rule.created",
    "approval_rule.removed",
    "audit.restored",
    "auth.connector.created",
    "auth.connector.removed",
    "grant.acknowledged",
    "grant.break_glass",
    "grant.created",
    "grant.disputed",
    "grant.expired",
    "grant.extended",
    "grant.revoked",
    "org.created",
    "org.disabled",
    "policy.change_approval_added",
    "policy.change_proposed",
    "policy.updated",
    "request.approval_added",
    "request.approved",
    "request.cancelled",
    "request.confirmed",
    "request.created",
    "request.denied",
    "request.expired",
    "session.closed",
    "session.expired",
    "session.opened",
    "webhook.created",
    "webhook.removed",
    "webhook.secret_rotated",
];

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

/// Where an access request stands; derived from its times, like a grant's status.
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
pub enum RequestStatus {
    Pending,
    Approved,
    Denied,
    Cancelled,
    Expired,
}

/// The `status` filter of request lists.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ValueEnum, ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RequestStatusFilter {
    #[default]
    Pending,
    Approved,
    Denied,
    Cancelled,
    Expired,
    All,
}

/// A day of the week, in UTC, on which an auto-approval rule applies.
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
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// Whether an auto-approval rule still approves requests: derived from the time and its
/// removal, never stale.
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
pub enum RuleStatus {
    Active,
    Expired,
    Removed,
}

/// What an org admin said of a break-glass grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ValueEnum, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewOutcome {
    /// Seen and accepted; the grant runs its course.
    Acknowledged,
    /// Not accepted: the grant was revoked at once, its sessions ended.
    Disputed,
}

wire_names!(
    ReviewOutcome,
    RequestStatus,
    RequestStatusFilter,
    Level,
    Area,
    Action,
    Role,
    GrantStatus,
    GrantStatusFilter,
    SessionStatus,
    SessionStatusFilter,
    EnabledStatus,
    Weekday,
    RuleStatus
);

/// Areas as a comma-separated list, the way people type and read them.
pub fn join_areas(areas: &[Area]) -> String {
    areas
        .iter()
        .map(Area::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    /// The store writes audit actions as string literals: every `"word.word"` literal in its
    /// SQL code is an action (the webhook-only event types aside) and must be listed.
    #[test]
    fn audit_actions_list_every_action_the_store_writes() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server/store/sql");
        let literal = |text: &str| {
            let word =
                |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            text.split('"')
                .skip(1)
                .step_by(2)
                .filter(|s| {
                    // `r.org_pk` is a column of an SQL alias, not an action.
                    s.split_once('.')
                        .is_some_and(|(a, b)| a.len() > 2 && word(a) && word(b))
                })
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for action in literal(&text) {
                if ["grant.expiring", "webhook.test"].contains(&action.as_str()) {
                    continue;
                }
                assert!(
                    super::AUDIT_ACTIONS.contains(&action.as_str()),
                    "{action} is not in AUDIT_ACTIONS"
                );
            }
        }
    }
}
