//! `login`, `logout` and `status`.

use std::io::{BufRead, IsTerminal};

use clap::Args;
use serde::Serialize;

use super::config::{Config, Profile, TokenStorage};
use super::context::{Context, TokenSource, credential_error};
use super::error::{CommandError, CommandResult, ErrorKind};
use crate::api::{Account, Health, Role};
use crate::cli::client::ApiClient;
use crate::cli::credentials::{TokenKey, TokenStore};
use crate::cli::ui::{OutputFormat, fit_prompt, prompt};

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:
  supportctl login --server https://support.example.com   # asks the token
  supportctl login --with-token < token.txt     # scripts: token on stdin
  supportctl login --profile staging --server https://staging.example.com \\
      --with-token < token.txt

Without a usable OS keyring (e.g. in a container that forbids keyctl), either pass \
--insecure-storage to keep the token in a file readable only by you, or skip login \
and set SUPPORTCTL_TOKEN.")]
pub struct LoginArgs {
    /// Read the token from stdin instead of prompting.
    #[arg(long)]
    pub with_token: bool,

    /// Store the token in a plain file (mode 0600) instead of the OS keyring.
    #[arg(long)]
    pub insecure_storage: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {}

pub fn login(context: &mut Context, args: LoginArgs) -> CommandResult {
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
    let dir = context.config_dir()?;
    let storage = if args.insecure_storage {
        TokenStorage::File
    } else {
        TokenStorage::Keyring
    };
    let store = TokenStore::new(storage, &dir);
    let key = TokenKey::new(&name, &server, Some(&account.email));
    store.save(&key, &token).map_err(credential_error)?;
    // The token of an earlier login must not linger: in the keyring under another server or
    // account, or in the keyring when it now goes to the file, or in the file when it now goes
    // to the keyring.
    if let Some(old) = existing.as_ref() {
        let old_key = TokenKey::new(&name, &old.server, old.email.as_deref());
        if old.token_storage == TokenStorage::Keyring
            && (storage == TokenStorage::File || old_key != key)
            && profiles_sharing(&context.config()?.1, &name, &old_key).is_empty()
        {
            let _ = TokenStore::Keyring.delete(&old_key);
        }
        let same_server = old.server.trim_end_matches('/') == server.trim_end_matches('/');
        if !same_server
            || old
                .email
                .as_deref()
                .is_some_and(|email| email != account.email)
        {
            context.ui.warn(&format!(
                "profile '{name}' was {} on {} and is now {} on {server}; use --profile NAME \
                 to keep both",
                old.email.as_deref().unwrap_or("another account"),
                old.server,
                account.email
            ));
        }
    }
    if storage == TokenStorage::Keyring {
        TokenStore::new(TokenStorage::File, &dir)
            .delete(&key)
            .map_err(credential_error)?;
    }
    let allow_insecure_http = config.allow_insecure_http && !server.starts_with("https://");
    let (_, config_file) = context.config()?;
    config_file.profiles.insert(
        name.clone(),
        Profile {
            server: server.clone(),
            email: Some(account.email.clone()),
            role: Some(account.role),
            org: account.org.clone(),
            token_storage: storage,
            allow_insecure_http,
        },
    );
    if config_file.current_profile.is_none() {
        config_file.current_profile = Some(name.clone());
    }
    let current = config_file.current_profile.clone();
    config_file.save(&dir)?;
    let stored_in = store.describe();
    // The account where a script reads stdout (-o json: the API's object; -q: its id).
    context.ui.success_or_row(
        &format!(
            "Logged in to {server} as {} ({}); token stored in {stored_in}",
            account.email,
            describe_role(&account)
        ),
        &account,
    )?;
    if current.as_deref() != Some(name.as_str()) {
        context.ui.hint(&format!(
            "profile '{name}' is not the current one: pass --profile {name} or set SUPPORTCTL_PROFILE={name}"
        ));
    }
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

pub fn logout(context: &mut Context, _args: LogoutArgs) -> CommandResult {
    let name = context.profile_name()?;
    let dir = context.config_dir()?;
    let Some(profile) = context.profile()? else {
        context
            .ui
            .note(&format!("Not logged in (profile '{name}')."));
        return Ok(());
    };
    let key = TokenKey::new(&name, &profile.server, profile.email.as_deref());
    let store = TokenStore::new(profile.token_storage, &dir);
    let (_, config) = context.config()?;
    let sharing = match profile.token_storage {
        TokenStorage::Keyring => profiles_sharing(config, &name, &key),
        // The file keeps one token per profile.
        TokenStorage::File => Vec::new(),
    };
    let token = if sharing.is_empty() {
        if store.delete(&key).map_err(credential_error)? {
            format!("removed its token from {}", store.describe())
        } else {
            format!("it had no token in {}", store.describe())
        }
    } else {
        format!(
            "its token stays in {}: {} {} it too (the same account on the same server)",
            store.describe(),
            sharing
                .iter()
                .map(|other| format!("profile '{other}'"))
                .collect::<Vec<_>>()
                .join(", "),
            if sharing.len() == 1 { "uses" } else { "use" }
        )
    };
    config.profiles.remove(&name);
    if config.current_profile.as_deref() == Some(name.as_str()) {
        config.current_profile = None;
    }
    config.save(&dir)?;
    context.ui.success(&format!(
        "Logged out of {} (profile '{name}'): {token}, and the profile from {}",
        profile.server,
        Config::path(&dir).display()
    ));
    let flag = context.profile_flag(&name)?;
    context.ui.hint(&format!(
        "to log in again: supportctl login{flag} --server {}",
        profile.server
    ));
    if context.ui.format() == OutputFormat::Json && !context.ui.quiet() {
        context.ui.json(&serde_json::json!({
            "profile": name,
            "server": profile.server,
            "logged_out": true,
        }))?;
    }
    Ok(())
}

/// The other profiles of `config` whose token is the keyring entry `key` names.
fn profiles_sharing(config: &Config, name: &str, key: &TokenKey) -> Vec<String> {
    config
        .profiles
        .iter()
        .filter(|(other, profile)| {
            *other != name
                && profile.token_storage == TokenStorage::Keyring
                && TokenKey::new(other, &profile.server, profile.email.as_deref())
                    .shares_keyring_entry(key)
        })
        .map(|(other, _)| other.clone())
        .collect()
}

#[derive(Serialize)]
struct Status {
    profile: String,
    server: String,
    token_source: String,
    health: Option<Health>,
    account: Option<Account>,
}

/// Shows who and where; exit 4 when there is no usable token, 7 when the server is down.
pub fn status(context: &mut Context) -> CommandResult {
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
        for (key, value) in [
            ("Profile", profile.as_str()),
            ("Server", server.as_str()),
            ("Health", health_text.as_str()),
            ("Account", account_text.as_str()),
            ("Token from", &source.to_string()),
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

fn describe_role(account: &Account) -> String {
    match (&account.role, &account.org) {
        (Role::Admin, Some(org)) => format!("admin of {org}"),
        (role, _) => role.to_string(),
    }
}
