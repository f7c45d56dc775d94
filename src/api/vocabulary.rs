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

wire_names!(
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
    EnabledStatus
);

/// Areas as a comma-separated list, the way people type and read them.
pub fn join_areas(areas: &[Area]) -> String {
    areas
        .iter()
        .map(Area::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
