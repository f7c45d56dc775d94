//! `supportctl login`: sign in with the identity provider (`--sso`), or check a token with the
//! server; either way store the token for a profile.

mod saving;
mod sso;

use std::io::{BufRead, IsTerminal};

use clap::Args;

use crate::cli::client::ApiClient;
use crate::cli::context::{Context, credential_error};
use crate::cli::error::{CommandError, CommandResult, ErrorKind};
use crate::cli::render::describe_role;
use crate::cli::ui::{fit_prompt, prompt};

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:
  supportctl login --sso --server https://support.example.com
  supportctl login --sso --org acme    # an admin of acme
  supportctl login --sso --device --no-browser  # a code to enter elsewhere
  supportctl login --server https://support.example.com   # asks the token
  supportctl login --with-token < token.txt     # scripts: token on stdin
  supportctl login --profile staging --server https://staging.example.com \\
      --with-token < token.txt

Without a usable OS keyring (e.g. in a container that forbids keyctl), either pass \
--insecure-storage to keep the token in a file readable only by you, or skip login \
and set SUPPORTCTL_TOKEN.")]
pub struct LoginArgs {
    /// Sign in with the identity provider (single sign-on): opens the provider's page in a browser and waits for the sign-in; the token it yields expires (the server's --sso-token-ttl).
    #[arg(long, conflicts_with = "with_token")]
    pub sso: bool,

    /// The sign-in connector to use [default: the only one; asked on a terminal when there are several].
    #[arg(long, value_name = "NAME", requires = "sso")]
    pub connector: Option<String>,

    /// Sign in through this org's own connector (its admins).
    #[arg(long, value_name = "ORG", requires = "sso")]
    pub org: Option<String>,

    /// Use the device flow: a code to enter on any device with a browser (the connector must offer it).
    #[arg(long, requires = "sso")]
    pub device: bool,

    /// Print the URL without opening a browser.
    #[arg(long, requires = "sso")]
    pub no_browser: bool,

    /// Read the token from stdin instead of prompting.
    #[arg(long)]
    pub with_token: bool,

    /// Store the token in a plain file (mode 0600) instead of the OS keyring.
    #[arg(long)]
    pub insecure_storage: bool,
}

pub fn run(context: &mut Context, args: LoginArgs) -> CommandResult {
    let name = context.profile_name()?;
    let existing = context.profile()?;
    let server = match (&context.global.server, &existing) {
        (Some(server), _) => server.clone(),
        (None, Some(profile)) => profile.server.clone(),
        (None, None) => {
            return Err(CommandError::usage("no server to log in to")
                .with_hint("pass --server URL (or set SUPPORTCTL_SERVER)"));
        }
    };
    // Said before the token is asked for: pasting it would be wasted where it cannot be kept.
    if !args.insecure_storage {
        crate::cli::credentials::keyring_ready().map_err(credential_error)?;
    }
    if args.sso {
        let options = sso::SsoOptions {
            connector: args.connector.clone(),
            org: args.org.clone(),
            device: args.device,
            no_browser: args.no_browser,
            insecure_storage: args.insecure_storage,
        };
        return sso::run(context, &options, name, existing, server);
    }
    let token = read_token(context, &args, &server)?;
    let config = context.client_config(server.clone(), Some(token.clone()))?;
    let client = ApiClient::new(&config)?;
    let account = client.me().map_err(|error| {
        let error = CommandError::from(error);
        if error.kind == ErrorKind::Unauthenticated {
            CommandError::unauthenticated(format!(
                "the server rejected this token: {}",
                error.message
            ))
            .with_hint("check that you copied the whole token (it starts with sat_)")
        } else {
            error
        }
    })?;
    let saved = saving::save(
        context,
        args.insecure_storage,
        &name,
        existing,
        &server,
        &token,
        &account,
    )?;
    // The account where a script reads stdout (-o json: the API's object; -q: its id).
    context.ui.success_or_row(
        &format!(
            "Logged in to {server} as {} ({}); token stored in {}",
            account.email,
            describe_role(&account),
            saved.stored_in
        ),
        &account,
    )?;
    saved.hint_profile(context);
    Ok(())
}

fn read_token(context: &mut Context, args: &LoginArgs, server: &str) -> CommandResult<String> {
    let token = if args.with_token {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line
    } else if context.ui.interactive() {
        let question = fit_prompt(&format!("Paste your supportctl token for {server}"));
        prompt(|| dialoguer::Password::new().with_prompt(question).interact())?
    } else if !std::io::stdin().is_terminal() {
        return Err(CommandError::usage(
            "no terminal to ask for the token; pass --with-token and give it on stdin",
        ));
    } else {
        return Err(CommandError::usage(
            "--no-input forbids asking for the token; pass --with-token and give it on stdin",
        ));
    };
    let token = token.trim().to_owned();
    if token.is_empty() {
        return Err(CommandError::usage("the token is empty"));
    }
    Ok(token)
}
