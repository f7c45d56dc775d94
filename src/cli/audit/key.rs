//! `supportctl audit key`: the server's verifier key, which anyone may fetch.

use super::server_key::fetch_key;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;
use crate::cli::ui::OutputFormat;

/// `audit key`: the server's verifier key, which anyone may fetch.
pub fn run(context: &mut Context) -> CommandResult {
    let key = fetch_key(context)?;
    if context.ui.format() == OutputFormat::Json && !context.ui.quiet() {
        return Ok(context.ui.json(&serde_json::json!({ "key": key.trim() }))?);
    }
    Ok(context.ui.line(key.trim())?)
}
