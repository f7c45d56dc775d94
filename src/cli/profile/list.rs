//! `supportctl profile list`: the profiles; `*` marks the one in use.

use super::row::Row;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

pub fn run(context: &mut Context) -> CommandResult {
    let current = context.profile_name()?;
    let (_, config) = context.config()?;
    let rows: Vec<Row> = config
        .profiles
        .iter()
        .map(|(name, profile)| Row {
            name: name.clone(),
            current: *name == current,
            profile: profile.clone(),
        })
        .collect();
    if rows.is_empty() {
        context.ui.note("No profiles yet.");
        context
            .ui
            .hint("run `supportctl login --server URL` (with --profile NAME for a named one)");
        return Ok(());
    }
    Ok(context.ui.list(&rows)?)
}
