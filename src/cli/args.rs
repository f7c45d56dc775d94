//! Arguments that several commands share, spelled and documented once.

use clap::builder::PossibleValue;
use clap::{Args, ValueEnum};

use super::context::Connection;
use super::error::CommandResult;
use crate::api::Area;

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

/// One value of `--areas`: a data area, or `all`, which is what leaving `--areas` out means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaArg {
    One(Area),
    All,
}

impl ValueEnum for AreaArg {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            AreaArg::One(Area::Chats),
            AreaArg::One(Area::SourceCode),
            AreaArg::One(Area::EmployeeData),
            AreaArg::One(Area::Issues),
            AreaArg::One(Area::Documents),
            AreaArg::One(Area::Checklists),
            AreaArg::All,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        match self {
            AreaArg::One(area) => area.to_possible_value(),
            AreaArg::All => Some(PossibleValue::new("all")),
        }
    }
}

/// The areas named, or `None` (the command's default) when `all` is among them.
pub fn areas_or_default(given: &Option<Vec<AreaArg>>) -> Option<Vec<Area>> {
    let given = given.as_ref()?;
    given
        .iter()
        .map(|area| match area {
            AreaArg::One(area) => Some(*area),
            AreaArg::All => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_area_and_all_are_values_of_areas() {
        assert_eq!(
            AreaArg::value_variants().len(),
            Area::ALL.len() + 1,
            "an area is missing from AreaArg"
        );
        let parse = |text: &str| AreaArg::from_str(text, false).unwrap();
        assert_eq!(parse("source-code"), AreaArg::One(Area::SourceCode));
        let some = Some(vec![parse("chats"), parse("issues")]);
        assert_eq!(
            areas_or_default(&some),
            Some(vec![Area::Chats, Area::Issues])
        );
        assert_eq!(
            areas_or_default(&Some(vec![parse("chats"), parse("all")])),
            None
        );
        assert_eq!(areas_or_default(&None), None);
    }
}
