//! Arguments that several commands share, spelled and documented once.

use clap::Args;

use super::context::Connection;
use super::error::CommandResult;

/// `--org`, for commands that act on one org.
#[derive(Debug, Args)]
pub struct OrgArg {
    /// The org [default: SUPPORTCTL_ORG, the profile's, or your own as an admin]
    #[arg(long, value_name = "ORG", add = super::complete::orgs())]
    pub org: Option<String>,
}

impl OrgArg {
    /// The org to act on: `--org`, `SUPPORTCTL_ORG`, the profile's, or the admin's own.
    pub fn resolve(&self, connection: &mut Connection) -> CommandResult<String> {
        connection.org(self.org.as_deref())
    }

    /// The org given explicitly, by `--org` or `SUPPORTCTL_ORG`: for a support engineer's
    /// lists, which span orgs unless one narrows them.
    pub fn given(&self) -> Option<String> {
        self.org.clone().or_else(|| {
            std::env::var("SUPPORTCTL_ORG")
                .ok()
                .filter(|org| !org.is_empty())
        })
    }
}

/// `--limit N` or `--all`, for lists.
#[derive(Debug, Args)]
pub struct ListLimit {
    /// Show at most N.
    #[arg(long, value_name = "N", default_value_t = 100, conflicts_with = "all")]
    pub limit: usize,
    /// Show all, however many.
    #[arg(long)]
    pub all: bool,
}

impl ListLimit {
    /// How many to show at most; `None` for all.
    pub fn max(&self) -> Option<usize> {
        (!self.all).then_some(self.limit)
    }
}
