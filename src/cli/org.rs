//! `supportctl org`: operators manage customer orgs; an org's admins its policy.

use clap::{Args, Subcommand};

use super::args::ListLimit;
use super::context::Context;
use super::error::{CommandError, CommandResult};
use crate::api::CreateOrg;

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an org.
    #[command(after_long_help = "Examples:
  supportctl org create acme --name 'Acme Corporation'")]
    Create(CreateArgs),
    /// List orgs.
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Disable an org: its admins are locked out and its open sessions end at once.
    Disable(DisableArgs),
    /// Show the org's own policy, or change it with `set` (org admins).
    #[command(after_long_help = "Examples:
  supportctl org policy
  supportctl org policy set --max-grant 7d --direct-grants=false \\
      --approvals admin=2")]
    Policy(super::policy::PolicyArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Lowercase letters, digits and dashes.
    pub slug: String,
    /// Display name [default: the slug]
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub limit: ListLimit,
}

#[derive(Debug, Args)]
pub struct DisableArgs {
    pub slug: String,
}

pub fn run(context: &mut Context, command: OrgCommand) -> CommandResult {
    if let OrgCommand::Policy(args) = command {
        return super::policy::run(context, args);
    }
    let connection = context.connect()?;
    match command {
        OrgCommand::Create(args) => {
            let org = connection.client.create_org(&CreateOrg {
                name: args.name.unwrap_or_else(|| args.slug.clone()),
                slug: args.slug,
            })?;
            Ok(context
                .ui
                .created(&format!("Created org {}", org.slug), &org)?)
        }
        OrgCommand::List(args) => {
            let orgs = connection.client.list_orgs(args.limit.max())?;
            args.limit.print(&mut context.ui, &orgs)
        }
        OrgCommand::Disable(args) => {
            if !context.ui.confirm(&format!(
                "Disable org {}? Its admins are locked out and its open sessions end at once.",
                args.slug
            ))? {
                return Err(CommandError::cancelled());
            }
            let org = connection.client.disable_org(&args.slug)?;
            Ok(context
                .ui
                .success_or_row(&format!("Disabled org {}", org.slug), &org)?)
        }
        OrgCommand::Policy(_) => unreachable!("handled above"),
    }
}
