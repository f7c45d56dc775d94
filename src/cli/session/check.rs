//! `supportctl session check`: is a session token active, and what may it do.

use std::io::{IsTerminal, Read};

use clap::Args;
use serde::Serialize;

use crate::api::{Action, SESSION_TOKEN_PREFIX, Session};
use crate::cli::client::ApiClient;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult, ErrorKind};
use crate::cli::time::spoken_time;
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// `-`: read the token from stdin [default: SUPPORTCTL_SESSION_TOKEN, else stdin when it
    /// is a pipe]
    #[arg(value_name = "-", value_parser = ["-"], conflicts_with = "token")]
    pub stdin: Option<String>,
    /// The session token (prefer stdin or SUPPORTCTL_SESSION_TOKEN: a command line is seen by
    /// other users and kept in shell history); `-` reads it from stdin.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
}

#[derive(Serialize)]
struct Check<'a> {
    active: bool,
    session: Option<&'a Session>,
    allowed: Vec<String>,
}

/// `-` (or `--token -`): stdin; `--token T`; SUPPORTCTL_SESSION_TOKEN; else stdin when it is
/// not a terminal. The variable comes before a pipe, so that a script whose stdin stays open
/// never waits on it.
fn check_token(args: CheckArgs) -> CommandResult<String> {
    let from_stdin = || -> CommandResult<String> {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        Ok(text.trim().to_owned())
    };
    let token = match (args.stdin, args.token) {
        (Some(_), _) => from_stdin()?,
        (None, Some(token)) if token == "-" => from_stdin()?,
        (None, Some(token)) => token,
        (None, None) => match std::env::var("SUPPORTCTL_SESSION_TOKEN") {
            Ok(token) if !token.is_empty() => token,
            _ if !std::io::stdin().is_terminal() => from_stdin()?,
            _ => String::new(),
        },
    };
    if token.is_empty() {
        return Err(CommandError::usage("no session token given").with_hint(
            "pipe it in (`... | supportctl session check`) or set SUPPORTCTL_SESSION_TOKEN",
        ));
    }
    Ok(token)
}

pub fn run(context: &mut Context, args: CheckArgs) -> CommandResult {
    let token = check_token(args)?;
    if !token.starts_with(SESSION_TOKEN_PREFIX) {
        return Err(CommandError::usage(format!(
            "that is not a session token (they start with {SESSION_TOKEN_PREFIX})"
        )));
    }
    let server = context.server()?;
    let config = context.client_config(server, Some(token))?;
    let client = ApiClient::new(&config)?;
    let session = match client.current_session() {
        Ok(session) => session,
        Err(error) => {
            let error = CommandError::from(error);
            if error.kind == ErrorKind::Unauthenticated {
                if context.ui.format() == OutputFormat::Json {
                    context.ui.json(&Check {
                        active: false,
                        session: None,
                        allowed: Vec::new(),
                    })?;
                }
                // The server says why, e.g. "session is no longer active: grant revoked".
                return Err(CommandError::unauthenticated(error.message));
            }
            return Err(error);
        }
    };
    let allowed: Vec<String> = session
        .areas
        .iter()
        .flat_map(|area| {
            [Action::Read, Action::Write, Action::Administer]
                .into_iter()
                .filter(|action| action.required_level() <= session.level)
                .map(move |action| format!("{area}:{action}"))
        })
        .collect();
    match context.ui.format() {
        OutputFormat::Json => Ok(context.ui.json(&Check {
            active: true,
            session: Some(&session),
            allowed,
        })?),
        _ => {
            context.ui.success(&format!(
                "Session {} is active in {} until {}",
                session.id,
                session.org,
                spoken_time(session.expires_at)
            ));
            context.ui.one(&session)?;
            context.ui.note(&format!("May: {}", allowed.join(" ")));
            Ok(())
        }
    }
}
