//! `supportctl server verify`: every audit chain checked from the database, no server needed.

use clap::Args;

use crate::cli::error::{CommandError, CommandResult};
use crate::cli::ui::Ui;
use crate::server::store::ChainCheck;
use crate::server::store::engine::open;

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:
  supportctl server verify --db sqlite:///var/lib/supportctl/db.sqlite
  supportctl server verify --db sqlite://./backup.sqlite   # a backup
  supportctl server verify --db postgres://supportctl@db/supportctl")]
pub struct VerifyArgs {}

pub fn run(ui: &mut Ui, db_url: &str, _args: &VerifyArgs) -> CommandResult {
    let checks = crate::server::runtime()?.block_on(async {
        let store = open::unmigrated(db_url).await?;
        let mut checks = Vec::new();
        let chains = store.chains().await;
        for chain in chains.map_err(anyhow::Error::from)? {
            checks.push(store.verify_chain(&chain).await?);
        }
        store.close().await;
        anyhow::Ok(checks)
    })?;
    for check in &checks {
        ui.line(&line(check))?;
    }
    let broken: Vec<String> = checks
        .iter()
        .filter_map(|check| {
            let found = check.broken.as_ref()?;
            Some(match found.seq {
                Some(seq) => format!("{} at seq {seq}", check.chain),
                None => check.chain.to_string(),
            })
        })
        .collect();
    if broken.is_empty() {
        ui.success(&format!("All {} chains verify.", checks.len()));
        return Ok(());
    }
    Err(CommandError::general(format!(
        "{} of {} chains broken: {}",
        broken.len(),
        checks.len(),
        broken.join(", ")
    )))
}

/// One chain: `org acme: 21 events, head seq 21, hash 9f86…` or where it breaks.
fn line(check: &ChainCheck) -> String {
    match &check.broken {
        None => format!(
            "{}: {} events, head seq {}, hash {}",
            check.chain, check.events, check.head.0, check.head.1
        ),
        Some(found) => format!("{}: {found}", check.chain),
    }
}
