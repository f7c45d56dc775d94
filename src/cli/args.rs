//! Arguments that several commands share, spelled and documented once.

use clap::builder::PossibleValue;
use clap::{Args, ValueEnum};

use super::client::{Listing, Total};
use super::context::Connection;
use super::error::CommandResult;
use super::ui::Ui;
use crate::api::Area;
use crate::cli::table::Tabular;

/// `--org`, for commands that act on one org.
#[derive(Debug, Args)]
pub struct OrgArg {
    /// The org [default: SUPPORTCTL_ORG, the profile's, or your own as an admin]
    #[arg(long, value_name = "ORG", add = super::candidates::orgs())]
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

    /// Prints a list and, on stderr when it shows fewer than the whole list holds, how many
    /// it left out: "showing 100 of 214; --all or --limit N for more".
    pub fn print<T: Tabular>(&self, ui: &mut Ui, listing: &Listing<T>) -> CommandResult {
        ui.list(&listing.items)?;
        if let Some(note) = shown_of(listing.items.len(), listing.total) {
            ui.note(&note);
        }
        Ok(())
    }
}

/// "showing 100 of 214; ...", when `shown` is fewer than `total`.
fn shown_of(shown: usize, total: Total) -> Option<String> {
    let count = |n: usize| indicatif::HumanCount(u64::try_from(n).unwrap_or(u64::MAX));
    let of = match total {
        Total::Exact(total) if total <= shown => return None,
        Total::Exact(total) => count(total).to_string(),
        Total::MoreThan(counted) => format!("more than {}", count(counted.max(shown))),
        Total::Unknown => {
            return Some(format!(
                "showing the first {}; more with --all or --limit N",
                count(shown)
            ));
        }
    };
    Some(format!(
        "showing {} of {of}; --all or --limit N for more",
        count(shown)
    ))
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
    fn a_short_list_says_how_many_it_left_out() {
        assert_eq!(shown_of(214, Total::Exact(214)), None);
        assert_eq!(
            shown_of(100, Total::Exact(214)).unwrap(),
            "showing 100 of 214; --all or --limit N for more"
        );
        assert_eq!(
            shown_of(100, Total::MoreThan(1000)).unwrap(),
            "showing 100 of more than 1,000; --all or --limit N for more"
        );
        assert_eq!(
            shown_of(50, Total::Unknown).unwrap(),
            "showing the first 50; more with --all or --limit N"
        );
    }

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
