//! `supportctl org policy approve`: approve the pending change; the last approval needed
//! applies it.

use clap::Args;

use super::pending_change::pending;
use crate::api::PolicyChangeOutcome;
use crate::cli::args::OrgArg;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct ApproveArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Approve only if the pending change has this id (as `org policy pending` shows it).
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
}

pub fn run(context: &mut Context, args: ApproveArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = connection.org(args.org.org.as_deref())?;
    let change = pending(&connection.client, &org)?;
    if let Some(id) = &args.id
        && id != &change.id
    {
        return Err(CommandError::conflict(format!(
            "the pending change of org {org} is {}, not {id}",
            change.id
        ))
        .with_hint("read it with `supportctl org policy pending`"));
    }
    let question = format!(
        "Approve policy change {} of org {org} by {} (weakens {}; {} of {} approvals so far)?",
        change.id,
        change.proposed_by,
        change.weakens.join(", "),
        change.approvals.len(),
        change.approvals_required
    );
    if !context.ui.confirm(&question)? {
        return Err(CommandError::cancelled());
    }
    match connection.client.approve_policy_change(&org, &change.id)? {
        PolicyChangeOutcome::Applied(policy) => {
            context.ui.success(&format!(
                "Approved; org {org}'s policy is now version {}",
                policy.version
            ));
            if context.ui.format() != OutputFormat::Table || context.ui.quiet() {
                context.ui.one(&policy)?;
            }
        }
        PolicyChangeOutcome::Pending(change) => {
            context.ui.success(&format!(
                "Approved policy change {}; it has {} of the {} approvals it needs",
                change.id,
                change.approvals.len(),
                change.approvals_required
            ));
            if context.ui.format() != OutputFormat::Table || context.ui.quiet() {
                context.ui.one(&change)?;
            }
        }
    }
    Ok(())
}
