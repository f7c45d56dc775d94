//! `supportctl session close`: sessions end at once.

use clap::Args;

use crate::api::Role;
use crate::cli::candidates;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct CloseArgs {
    /// Session ids.
    #[arg(required = true, value_name = "ID", add = candidates::session_ids())]
    pub ids: Vec<String>,
    /// Why (recorded in the audit log).
    #[arg(long)]
    pub reason: Option<String>,
}

pub fn run(context: &mut Context, args: CloseArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let question = if args.ids.len() == 1 {
        format!("Close session {}? It ends at once.", args.ids[0])
    } else {
        format!("Close {} sessions? They end at once.", args.ids.len())
    };
    // A support engineer may close only their own sessions: nothing to confirm.
    let own = connection.role()? == Role::Support;
    if !own && !context.ui.confirm(&question)? {
        return Err(CommandError::cancelled());
    }
    let mut closed = Vec::new();
    for id in &args.ids {
        // Closing is idempotent, so the answer alone cannot tell whether this call ended the
        // session: look first, and say so when it had already ended.
        let before = connection.client.get_session(id)?;
        let session = if before.status == crate::api::SessionStatus::Active {
            let session = connection.client.close_session(id, args.reason.clone())?;
            context.ui.success(&format!("Closed session {id}"));
            session
        } else {
            context.ui.note(&format!(
                "Session {id} had already ended ({}); nothing to do",
                before.status
            ));
            before
        };
        closed.push(session);
    }
    if context.ui.format() != OutputFormat::Table || context.ui.quiet() {
        context.ui.list(&closed)?;
    }
    Ok(())
}
