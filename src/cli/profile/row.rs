//! A profile as `profile list` and `profile use` show it.

use serde::Serialize;

use crate::cli::config::{Profile, TokenStorage};
use crate::cli::table::{Cell, Tabular};

/// A profile as `profile list` shows it.
#[derive(Serialize)]
pub(super) struct Row {
    pub name: String,
    pub current: bool,
    #[serde(flatten)]
    pub profile: Profile,
}

impl Tabular for Row {
    fn headers() -> &'static [&'static str] {
        &[
            "", "PROFILE", "SERVER", "ACCOUNT", "ROLE", "ORG", "TOKEN IN",
        ]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            // Fixed: the column has no header, and free text would be cut to its width, none.
            Cell::fixed(if self.current { "*" } else { "" }),
            Cell::fixed(&self.name),
            Cell::text(&self.profile.server),
            Cell::fixed(self.profile.email.as_deref().unwrap_or_default()),
            Cell::opt(self.profile.role),
            Cell::opt(self.profile.org.as_ref()),
            Cell::text(match self.profile.token_storage {
                TokenStorage::Keyring => "keyring",
                TokenStorage::File => "file",
            }),
        ]
    }

    fn id(&self) -> &str {
        &self.name
    }

    fn drop_order() -> &'static [&'static str] {
        &["TOKEN IN", "ROLE", "ORG"]
    }
}
