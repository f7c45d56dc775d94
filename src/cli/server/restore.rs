//! `supportctl server restore`: a backup of `server backup` becomes the database again.

use std::path::PathBuf;

use clap::Args;

use crate::cli::error::CommandResult;
use crate::cli::ui::Ui;
use crate::server::maintenance::restore::restore;

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:
  supportctl server restore /backups/supportctl-2026-12-07.sqlite \\
      --db sqlite:///var/lib/supportctl/db.sqlite --force

Stop the server first. Every chain of the backup is verified before anything is written, and \
each then gets an `audit.restored` event saying when the backup was taken, so that checkpoints \
taken since say why they no longer match. SQLite only: restore PostgreSQL with pg_restore, then \
run `supportctl server verify`.")]
pub struct RestoreArgs {
    /// The backup, made by `supportctl server backup`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Replace a database that holds orgs or accounts.
    #[arg(long)]
    pub force: bool,
}

pub fn run(ui: &mut Ui, db_url: &str, args: &RestoreArgs) -> CommandResult {
    let report = crate::server::runtime()?
        .block_on(restore(
            &args.file,
            db_url,
            args.force,
            crate::server::clock::Clock::now(&crate::server::clock::SystemClock),
        ))
        .map_err(super::backup::error)?;
    for check in &report.chains {
        ui.line(&format!(
            "{}: {} events verified, then audit.restored",
            check.chain, check.events
        ))?;
    }
    ui.success(&format!(
        "Restored {} as of {} into {} ({} chains, each with an audit.restored event)",
        args.file.display(),
        report.taken_at,
        report.target.display(),
        report.chains.len()
    ));
    Ok(())
}
