//! `supportctl org rule remove`: a rule stops approving.

use clap::Args;

use crate::cli::args::OrgArg;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The rule's name or id (ar_...).
    pub rule: String,
    #[command(flatten)]
    pub org: OrgArg,
}

pub fn run(context: &mut Context, args: RemoveArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = args.org.resolve(&mut connection)?;
    if !context.ui.confirm(&format!(
        "Remove rule {} of {org}? Requests it would approve will wait for an admin.",
        args.rule
    ))? {
        return Err(CommandError::usage("not confirmed; nothing was changed"));
    }
    let rule = connection.client.remove_approval_rule(&org, &args.rule)?;
    Ok(context
        .ui
        .success_or_row(&format!("Removed rule {} ({})", rule.name, rule.id), &rule)?)
}
