//! `supportctl status`: who, on which server, with which token; exit 4 if it is not usable.

use serde::Serialize;

use crate::api::{Account, Health};
use crate::cli::client::ApiClient;
use crate::cli::context::{Context, TokenSource};
use crate::cli::error::CommandResult;
use crate::cli::render::describe_role;
use crate::cli::ui::OutputFormat;

#[derive(Serialize)]
struct Status {
    profile: String,
    server: String,
    token_source: String,
    health: Option<Health>,
    account: Option<Account>,
}

/// Shows who and where; exit 4 when there is no usable token, 7 when the server is down.
pub fn run(context: &mut Context) -> CommandResult {
    let profile = context.profile_name()?;
    let server = context.server()?;
    let (token, source) = context.token()?;
    let config = context.client_config(server.clone(), Some(token))?;
    let client = ApiClient::new(&config)?;
    let health = client.health();
    let account = client.me();
    let status = Status {
        profile: profile.clone(),
        server: server.clone(),
        token_source: source.to_string(),
        health: health.as_ref().ok().cloned(),
        account: account.as_ref().ok().cloned(),
    };
    if context.ui.quiet() {
        // Only the account's id: nothing when the token is not usable (the exit code says why).
        if let Ok(account) = &account {
            context.ui.line(&account.id)?;
        }
    } else if context.ui.format() == OutputFormat::Json {
        context.ui.json(&status)?;
    } else {
        let health_text = match &health {
            Ok(h) => format!(
                "{} (version {}, database {})",
                h.status, h.version, h.database
            ),
            Err(e) => format!("unreachable: {e}"),
        };
        let account_text = match &account {
            Ok(a) => format!("{} ({})", a.email, describe_role(a)),
            Err(e) => format!("not usable: {e}"),
        };
        // A token from a sign-in expires; a static one does not.
        let expiry_text = match &account {
            Ok(Account {
                token_expires_at: Some(expires),
                token_connector,
                ..
            }) => format!(
                "{} (signed in through {})",
                crate::cli::time::local_full(*expires),
                token_connector.as_deref().unwrap_or("a connector")
            ),
            Ok(_) => "never (a static token)".to_owned(),
            Err(_) => "-".to_owned(),
        };
        for (key, value) in [
            ("Profile", profile.as_str()),
            ("Server", server.as_str()),
            ("Health", health_text.as_str()),
            ("Account", account_text.as_str()),
            ("Token from", &source.to_string()),
            ("Expires", expiry_text.as_str()),
        ] {
            // The server's words (its health, the account's email) are shown escaped.
            let value = crate::cli::render::terminal_safe(value);
            context.ui.line(&format!("{key:<11} {value}"))?;
        }
    }
    if source == TokenSource::Environment && context.global.profile.is_some() {
        context
            .ui
            .hint("SUPPORTCTL_TOKEN overrides the profile's stored token");
    }
    // The profile says who it signs in as; the token says who it is. They must agree.
    if let (Some(saved), Ok(account)) = (context.profile()?, &account)
        && let Some(email) = saved.email.as_deref()
        && (email != account.email || saved.role.is_some_and(|role| role != account.role))
    {
        let from = match source {
            TokenSource::Environment => "SUPPORTCTL_TOKEN",
            _ => "the stored token",
        };
        context.ui.warn(&format!(
            "profile '{profile}' is {email}{}, but {from} is {} ({})",
            saved.role.map(|r| format!(" ({r})")).unwrap_or_default(),
            account.email,
            describe_role(account)
        ));
        context.ui.hint(&format!(
            "run `supportctl login --profile {profile}` again, or unset SUPPORTCTL_TOKEN"
        ));
    }
    match (health, account) {
        (Err(error), _) => Err(error.into()),
        (_, Err(error)) => Err(error.into()),
        _ => Ok(()),
    }
}
