//! `supportctl server config`: the settings a server would start with, and where each came from.
//! It reads the command line, the environment and the config file only: it opens no database
//! and binds no port.

use clap::Args;
use serde_json::Value as Json;

use super::config_file::Setting;
use crate::cli::error::CommandResult;
use crate::cli::table::{Cell, Tabular};
use crate::cli::ui::Ui;

#[derive(Debug, Args)]
#[command(after_long_help = "Put the server's options before `config`:
  supportctl server --config /etc/supportctl/server.toml config
  supportctl server --listen 0.0.0.0:8420 config -o json")]
pub struct ConfigArgs {}

/// Options whose values are URLs that may hold a password.
const URL_OPTIONS: [&str; 1] = ["db"];

/// Prints `settings`; an unset database shows as `default_db`, the one the server would use.
pub fn show(ui: &mut Ui, settings: &[Setting], default_db: Option<&str>) -> CommandResult {
    let settings: Vec<Setting> = settings
        .iter()
        .cloned()
        .map(|mut setting| {
            if setting.key == "db" && setting.value.is_null() {
                // What the server would use: SQLite in the data folder.
                if let Some(db) = default_db {
                    setting.value = Json::from(db);
                }
            }
            if URL_OPTIONS.contains(&setting.key.as_str())
                && let Json::String(url) = &setting.value
            {
                setting.value = Json::from(crate::server::store::redact_url(url));
            }
            setting
        })
        .collect();
    ui.list(&settings)?;
    Ok(())
}

impl Tabular for Setting {
    fn headers() -> &'static [&'static str] {
        &["KEY", "VALUE", "SOURCE"]
    }

    fn cells(&self) -> Vec<Cell> {
        let value = match &self.value {
            Json::Null => Cell::Placeholder("(not set)"),
            Json::String(text) => Cell::text(text),
            other => Cell::text(other),
        };
        vec![Cell::fixed(&self.key), value, Cell::text(&self.source)]
    }

    fn id(&self) -> &str {
        &self.key
    }
}
