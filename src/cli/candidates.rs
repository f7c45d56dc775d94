//! Dynamic shell completion (`source <(COMPLETE=bash supportctl)`): grant, session and request
//! IDs and org slugs asked of the server as the profile in use; profile names from the config;
//! areas and audit actions from the vocabulary. A completer prints nothing and waits little:
//! on any error it offers nothing, and the shell simply has no candidates.

use std::ffi::OsStr;
use std::time::Duration;

use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};

use super::client::{GrantList, SessionList};
use super::context::{Connection, Context};
use super::global_args::GlobalArgs;
use super::ui::{ColorChoice, Ui, UiSettings};
use crate::api::{
    AUDIT_ACTIONS, GrantStatusFilter, RequestStatusFilter, Role, SessionStatusFilter,
};

/// Long enough for a server on the same network, short enough not to hang a shell.
const TIMEOUT: Duration = Duration::from_secs(2);

/// Profile names in config.toml.
pub fn profiles() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        let names = super::config::config_dir()
            .and_then(|dir| super::config::Config::load(&dir))
            .map(|config| {
                config
                    .profiles
                    .into_iter()
                    .map(|(name, p)| (name, p.server))
            })
            .into_iter()
            .flatten();
        matching(current, names)
    })
}

/// Audit action names.
pub fn actions() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        matching(
            current,
            AUDIT_ACTIONS.iter().map(|a| (a.to_string(), String::new())),
        )
    })
}

/// Grants: an admin's org's active ones, or those a support engineer may use.
pub fn grant_ids() -> ArgValueCompleter {
    from_server(|connection| {
        let scope_org;
        let scope = if connection.role()? == Role::Support {
            GrantList::Usable
        } else {
            scope_org = connection.org(word_after("--org").as_deref())?;
            GrantList::Org(&scope_org)
        };
        let grants = connection
            .client
            .list_grants(scope, GrantStatusFilter::Active, None)?;
        Ok(grants
            .into_iter()
            .map(|g| (g.id, format!("{} {}: {}", g.org, g.level, g.reason)))
            .collect())
    })
}

/// Active sessions: a support engineer's own, an admin's org's.
pub fn session_ids() -> ArgValueCompleter {
    from_server(|connection| {
        let sessions = connection.client.list_sessions(
            SessionList::Mine,
            SessionStatusFilter::Active,
            None,
        )?;
        Ok(sessions
            .into_iter()
            .map(|s| {
                (
                    s.id,
                    format!("{} {} {}: {}", s.org, s.engineer, s.level, s.reason),
                )
            })
            .collect())
    })
}

/// Pending access requests: an admin's org's, or a support engineer's own.
pub fn request_ids() -> ArgValueCompleter {
    from_server(|connection| {
        let org = if connection.role()? == Role::Support {
            None
        } else {
            Some(connection.org(word_after("--org").as_deref())?)
        };
        let requests =
            connection
                .client
                .list_requests(org.as_deref(), RequestStatusFilter::Pending, None)?;
        Ok(requests
            .into_iter()
            .map(|r| {
                (
                    r.id,
                    format!("{} {} {}: {}", r.org, r.requester, r.level, r.reason),
                )
            })
            .collect())
    })
}

/// Org slugs: all of them for an operator, those with a usable grant for a support engineer,
/// an admin's own.
pub fn orgs() -> ArgValueCompleter {
    from_server(|connection| {
        let mut slugs: Vec<(String, String)> = match connection.role()? {
            Role::Operator => connection
                .client
                .list_orgs(None)?
                .into_iter()
                .map(|org| (org.slug, org.name))
                .collect(),
            Role::Support => connection
                .client
                .list_grants(GrantList::Usable, GrantStatusFilter::Active, None)?
                .into_iter()
                .map(|grant| (grant.org, String::new()))
                .collect(),
            _ => connection
                .me()?
                .org
                .clone()
                .map(|org| (org, String::new()))
                .into_iter()
                .collect(),
        };
        slugs.sort();
        slugs.dedup_by(|a, b| a.0 == b.0);
        Ok(slugs)
    })
}

type Fetch = fn(&mut Connection) -> super::error::CommandResult<Vec<(String, String)>>;

fn from_server(fetch: Fetch) -> ArgValueCompleter {
    ArgValueCompleter::new(move |current: &OsStr| match connect() {
        Some(mut connection) => matching(current, fetch(&mut connection).unwrap_or_default()),
        None => Vec::new(),
    })
}

/// A connection as the command being completed would make: its `--profile`, `--server`,
/// `--ca-cert` and `--allow-insecure-http` count, as do the environment and config.
fn connect() -> Option<Connection> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let global = GlobalArgs {
        profile: word_after("--profile").or_else(|| env("SUPPORTCTL_PROFILE")),
        org: None,
        server: word_after("--server").or_else(|| env("SUPPORTCTL_SERVER")),
        output: None,
        json: false,
        quiet: true,
        yes: false,
        no_input: true,
        color: ColorChoice::Never,
        verbose: 0,
        allow_insecure_http: words().iter().any(|w| w == "--allow-insecure-http"),
        ca_cert: word_after("--ca-cert")
            .or_else(|| env("SUPPORTCTL_CA_CERT"))
            .map(Into::into),
    };
    let ui = Ui::new(UiSettings {
        format: None,
        wide: false,
        ocsf: false,
        quiet: true,
        color: ColorChoice::Never,
        assume_yes: false,
        no_input: true,
        verbosity: 0,
    });
    let mut context = Context::new(ui, global);
    context.request_timeout = Some(TIMEOUT);
    context.connect().ok()
}

/// The words of the command line being completed (after the `--` the shell script passes).
fn words() -> Vec<String> {
    std::env::args()
        .skip_while(|arg| arg != "--")
        .skip(1)
        .collect()
}

/// The value given to `flag` on the command line being completed, as `--flag V` or `--flag=V`.
fn word_after(flag: &str) -> Option<String> {
    let words = words();
    let mut found = None;
    for (i, word) in words.iter().enumerate() {
        if word == flag {
            found = words.get(i + 1).cloned();
        } else if let Some(value) = word.strip_prefix(flag).and_then(|v| v.strip_prefix('=')) {
            found = Some(value.to_owned());
        }
    }
    found.filter(|value| !value.is_empty())
}

/// The candidates starting with what is typed so far, each with its description.
fn matching(
    current: &OsStr,
    candidates: impl IntoIterator<Item = (String, String)>,
) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    candidates
        .into_iter()
        .filter(|(value, _)| value.starts_with(typed.as_ref()))
        .map(|(value, help)| {
            let candidate = CompletionCandidate::new(value);
            if help.is_empty() {
                candidate
            } else {
                candidate.help(Some(help.into()))
            }
        })
        .collect()
}
