//! `supportctl account`: operators manage accounts and their tokens.

use clap::{Args, Subcommand};

use super::args::ListLimit;
use super::context::Context;
use super::error::{CommandError, CommandResult};
use crate::api::{AccountWithToken, CreateAccount, Role};
use crate::cli::ui::{OutputFormat, Tabular};

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account; prints its token once.
    #[command(after_long_help = "Examples:
  supportctl account create alice@acme.example --role admin --org acme
  supportctl account create sam@vendor.example --role support
  supportctl account create gateway@vendor.example --role service -q \\
      > gateway.token")]
    Create(CreateArgs),
    /// List accounts.
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Disable an account: its token stops working and its open sessions end at once.
    Disable(IdArgs),
    /// Replace an account's token; the old one stops working at once.
    RotateToken(IdArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    pub email: String,
    #[arg(long, value_enum)]
    pub role: Role,
    /// The org an admin administers (admins only).
    #[arg(long, value_name = "ORG", add = super::complete::orgs())]
    pub org: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub limit: ListLimit,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// Account id.
    pub id: String,
}

pub fn run(context: &mut Context, command: AccountCommand) -> CommandResult {
    let connection = context.connect()?;
    match command {
        AccountCommand::Create(args) => {
            if args.role == Role::Admin && args.org.is_none() {
                return Err(CommandError::usage("an admin account needs --org"));
            }
            let created = connection.client.create_account(&CreateAccount {
                email: args.email,
                role: args.role,
                org: args.org,
            })?;
            print_with_token(context, &created, "Created")
        }
        AccountCommand::List(args) => {
            let accounts = connection.client.list_accounts(args.limit.max())?;
            args.limit.print(&mut context.ui, &accounts)
        }
        AccountCommand::Disable(args) => {
            if !context.ui.confirm(&format!(
                "Disable account {}? Its token stops working and its open sessions end at once.",
                args.id
            ))? {
                return Err(CommandError::cancelled());
            }
            let account = connection.client.disable_account(&args.id)?;
            Ok(context.ui.success_or_row(
                &format!("Disabled account {} ({})", account.id, account.email),
                &account,
            )?)
        }
        AccountCommand::RotateToken(args) => {
            if !context.ui.confirm(&format!(
                "Replace the token of account {}? The current one stops working at once.",
                args.id
            ))? {
                return Err(CommandError::cancelled());
            }
            let rotated = connection.client.rotate_token(&args.id)?;
            print_with_token(context, &rotated, "New token for")
        }
    }
}

/// The token goes to stdout once; with `-q`, nothing else does.
fn print_with_token(
    context: &mut Context,
    created: &AccountWithToken,
    verb: &str,
) -> CommandResult {
    if context.ui.quiet() {
        return Ok(context.ui.line(&created.token)?);
    }
    match context.ui.format() {
        OutputFormat::Json => Ok(context.ui.json(created)?),
        // The account's columns in table order, then the token (like `session open`).
        OutputFormat::Tsv => {
            let mut row = crate::cli::ui::tsv_cells(&created.account.cells());
            row.push(created.token.clone());
            Ok(context.ui.line(&row.join("\t"))?)
        }
        OutputFormat::Table => {
            context.ui.success(&format!(
                "{verb} {} ({}, {})",
                created.account.email, created.account.role, created.account.id
            ));
            context.ui.note("Token (shown once; store it now):");
            Ok(context.ui.line(&created.token)?)
        }
    }
}
