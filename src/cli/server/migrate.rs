//! `supportctl server migrate`: what an upgrade will change in the schema, and changing it.

use clap::Args;

use crate::cli::error::{CommandError, CommandResult};
use crate::cli::ui::Ui;
use crate::server::store::engine::{open, schema};

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:
  supportctl server migrate --check \\
      --db sqlite:///var/lib/supportctl/db.sqlite
  supportctl server migrate --db postgres://supportctl@db/supportctl")]
pub struct MigrateArgs {
    /// Only list the migrations this binary would apply (version and name), applying none;
    /// exit 0 when there are none, 1 when there are some (for scripts).
    #[arg(long)]
    pub check: bool,
}

pub fn run(ui: &mut Ui, db_url: &str, args: &MigrateArgs) -> CommandResult {
    let runtime = crate::server::runtime()?;
    if args.check {
        let status = runtime.block_on(schema::status(db_url))?;
        for migration in &status.pending {
            ui.line(&migration.to_string())?;
        }
        return match status.pending.len() {
            0 => {
                ui.note(&format!("No migrations pending ({}).", at(&status.applied)));
                Ok(())
            }
            n => {
                ui.note(&format!(
                    "{n} migration{} pending (the database is at {}); apply with `supportctl server migrate`, or start the new server",
                    if n == 1 { "" } else { "s" },
                    at(&status.applied)
                ));
                Err(CommandError::silent(1))
            }
        };
    }
    let applied = runtime.block_on(open::migrate(db_url))?;
    if applied.is_empty() {
        ui.note("No migrations pending: nothing was changed.");
    }
    for migration in &applied {
        ui.success(&format!("Applied {migration}"));
    }
    Ok(())
}

fn at(applied: &[schema::SchemaMigration]) -> String {
    applied.last().map_or_else(
        || "an empty database".to_owned(),
        |m| format!("schema {}, `{m}`", m.version),
    )
}
