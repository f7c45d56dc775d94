//! `supportctl server backup`: a consistent copy of a SQLite database, taken while it serves.

use std::path::PathBuf;

use clap::Args;

use crate::cli::error::{CommandError, CommandResult};
use crate::cli::ui::Ui;
use crate::server::maintenance::MaintenanceError;
use crate::server::maintenance::backup::backup;

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:
  supportctl server backup --db sqlite:///var/lib/supportctl/db.sqlite \\
      --out /backups/supportctl-$(date +%F).sqlite
  supportctl server verify \\
      --db sqlite:///backups/supportctl-2026-12-07.sqlite

SQLite only: back up PostgreSQL with pg_dump -Fc.")]
pub struct BackupArgs {
    /// The file to write (mode 0600; written under another name, then renamed).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Replace FILE when it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(ui: &mut Ui, db_url: &str, args: &BackupArgs) -> CommandResult {
    let report = crate::server::runtime()?
        .block_on(backup(db_url, &args.out, args.force))
        .map_err(error)?;
    let events: i64 = report.chains.iter().map(|(_, events)| events).sum();
    ui.success(&format!(
        "Backed up {} events in {} chains ({} bytes) to {} in {:.1}s, as of {}",
        events,
        report.chains.len(),
        report.bytes,
        report.out.display(),
        report.elapsed.as_secs_f64(),
        report.taken_at
    ));
    for (chain, events) in &report.chains {
        ui.line(&format!("{chain}: {events} events"))?;
    }
    Ok(())
}

/// Each refusal with its exit code and way out.
pub(super) fn error(error: MaintenanceError) -> CommandError {
    match error {
        MaintenanceError::Exists(_) => CommandError::conflict(error.to_string())
            .with_hint("pass --force to replace it, or choose another --out"),
        MaintenanceError::NotEmpty(_) => CommandError::conflict(error.to_string())
            .with_hint("pass --force to replace it, or restore into a new file"),
        MaintenanceError::Postgres(_) => CommandError::usage(error.to_string()),
        MaintenanceError::Broken { .. } => CommandError::general(error.to_string())
            .with_hint("check the backup with `supportctl server verify --db sqlite://FILE`"),
        MaintenanceError::Other(error) => error.into(),
    }
}
