//! `supportctl sso connector show`: one connector (never its client secret).

use clap::Args;

use super::owner::owner;
use crate::cli::args::OrgArg;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The connector's name.
    pub name: String,
    #[command(flatten)]
    pub org: OrgArg,
}

pub fn run(context: &mut Context, args: ShowArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = owner(&mut connection, &args.org)?;
    let connector = connection
        .client
        .get_connector(org.as_deref(), &args.name)?;
    context.ui.one(&connector)?;
    if !context.ui.quiet() && context.ui.format() == crate::cli::ui::OutputFormat::Table {
        context.ui.note(&format!(
            "Redirect URI to register with the provider: {}",
            crate::cli::render::terminal_safe(&connector.redirect_uri)
        ));
    }
    Ok(())
}
