//! `supportctl account create`: an account, its token printed once (operators).

use clap::Args;

use super::token_output::print_with_token;
use crate::api::{CreateAccount, Role};
use crate::cli::candidates;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};

#[derive(Debug, Args)]
pub struct CreateArgs {
    pub email: String,
    #[arg(long, value_enum)]
    pub role: Role,
    /// The org an admin administers (admins only).
    #[arg(long, value_name = "ORG", add = candidates::orgs())]
    pub org: Option<String>,
}

pub fn run(context: &mut Context, args: CreateArgs) -> CommandResult {
    let connection = context.connect()?;
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
