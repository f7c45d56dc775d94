//! `supportctl sso connector`: the OIDC clients through which people sign in.

pub mod add;
mod columns;
pub mod list;
mod owner;
pub mod remove;
pub mod show;

use clap::Subcommand;

use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Subcommand)]
pub enum ConnectorCommand {
    /// Add a connector: the identity provider's issuer, the client registered there, and the rules that give roles.
    #[command(
        override_usage = "supportctl sso connector add NAME --issuer URL --client-id ID \\\n           --rule CLAIM=VALUE:ROLE... [OPTIONS]"
    )]
    #[command(after_long_help = "Examples:
  # the vendor's (operators): support engineers and operators
  supportctl sso connector add corp --issuer https://corp.okta.com \\
      --client-id 0oa1b2c3 --rule groups=support-tier1:support \\
      --rule groups=platform-ops:operator --email-domains vendor.example \\
      --flows browser,device < secret.txt
  # an org's (its admins): signs in that org's admins only
  supportctl sso connector add acme-entra --org acme \\
      --issuer https://login.microsoftonline.com/TENANT/v2.0 \\
      --client-id 1111-2222 --rule groups=GROUP-ID:admin < secret.txt

The client secret is read from stdin (or asked on a terminal), never from the command line, and never shown again. Register <server>/v1/auth/callback as the client's redirect URI.")]
    Add(add::AddArgs),
    /// List the connectors.
    #[command(visible_alias = "ls")]
    List(list::ListArgs),
    /// Show one connector (never its client secret).
    Show(show::ShowArgs),
    /// Remove a connector; sign-ins in progress through it end.
    #[command(visible_alias = "rm")]
    Remove(remove::RemoveArgs),
}

pub fn run(context: &mut Context, command: ConnectorCommand) -> CommandResult {
    match command {
        ConnectorCommand::Add(args) => add::run(context, args),
        ConnectorCommand::List(args) => list::run(context, args),
        ConnectorCommand::Show(args) => show::run(context, args),
        ConnectorCommand::Remove(args) => remove::run(context, args),
    }
}
