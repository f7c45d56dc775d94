//! `supportctl grant acknowledge`: an org admin has seen a break-glass grant and accepts it.

use clap::Args;

use crate::cli::args::OrgArg;
use crate::cli::candidates;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct AcknowledgeArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Break-glass grant id.
    #[arg(add = candidates::grant_ids())]
    pub id: String,
}

pub fn run(context: &mut Context, args: AcknowledgeArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = args.org.resolve(&mut connection)?;
    let grant = connection.client.acknowledge_grant(&org, &args.id)?;
    context.ui.success(&format!(
        "Acknowledged break-glass grant {}; it runs until it ends or is revoked",
        grant.id
    ));
    if context.ui.quiet() || context.ui.format() != OutputFormat::Table {
        context.ui.one(&grant)?;
    }
    Ok(())
}
