//! `supportctl org create`: an operator adds a customer org.

use clap::Args;

use crate::api::CreateOrg;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Lowercase letters, digits and dashes.
    pub slug: String,
    /// Display name [default: the slug]
    #[arg(long)]
    pub name: Option<String>,
}

pub fn run(context: &mut Context, args: CreateArgs) -> CommandResult {
    let connection = context.connect()?;
    let org = connection.client.create_org(&CreateOrg {
        name: args.name.unwrap_or_else(|| args.slug.clone()),
        slug: args.slug,
    })?;
    Ok(context
        .ui
        .created(&format!("Created org {}", org.slug), &org)?)
}
