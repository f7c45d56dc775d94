//! `supportctl session`: what support engineers do (and admins, to see and end sessions).

use clap::{Args, Subcommand};
use serde::Serialize;

use std::io::{IsTerminal, Read};

use super::args::{AreaArg, ListLimit, OrgArg, areas_or_default};
use super::context::Context;
use super::error::{CommandError, CommandResult, ErrorKind};
use super::session_exec::OnEnd;
use super::time::{parse_duration, spoken_time};
use crate::api::{
    Action, Level, OpenSession, Role, SESSION_TOKEN_PREFIX, Session, SessionStatusFilter,
    join_areas,
};
use crate::api::{CreateRequest, ErrorCode, SessionWithToken};
use crate::cli::client::{ApiClient, ClientError, Listing, SessionList};
use crate::cli::context::Connection;
use crate::cli::ui::{OutputFormat, SignalHold, Tabular, Ui, ask_text, tsv_cells};

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Open a session in an org; prints its token once.
    #[command(after_long_help = "Examples:
  supportctl session open acme --reason 'Ticket 4821'
  supportctl session open --org acme --for 30m   # on a terminal: asks why
  supportctl session open acme --level member --areas chats \\
      --reason 'Ticket 4821' --request --timeout 10m
  TOKEN=$(supportctl session open acme --level read-only --areas chats \\
      --for 30m --reason 'SUP-4821' -q)

The org is ORG, --org, SUPPORTCTL_ORG or the profile's. --for is the session's lifetime \
(--ttl is the same), at most the server's maximum (8h unless its operator changed it); \
with --request, --request-for is how long the grant asked for should last.")]
    Open(OpenArgs),
    /// Open a session, run a command with SUPPORTCTL_SESSION_TOKEN set, close the session.
    #[command(after_long_help = "Examples:
  supportctl session exec acme --reason 'Ticket 4821' -- ./inspect-chats.sh
  supportctl session exec acme --level read-only --for 15m --reason x -- \\
      sh -c 'curl -H \"Authorization: Bearer $SUPPORTCTL_SESSION_TOKEN\" ...'

The command must exist before a session is opened (127 if it cannot be found, 126 if it \
cannot be run). The session is watched while the command runs: when it is revoked, closed \
or expires, the command gets SIGTERM (SIGKILL 10 s later) and supportctl exits 6 saying why \
and by whom (`--on-end warn` only warns). A warning comes 5 minutes before the session \
expires. Otherwise the command's exit code becomes supportctl's (128+N if a signal ended \
it), and the session is closed however supportctl ends: Ctrl-C, SIGTERM and SIGHUP too (the \
last two are passed on to the command). The command gets an empty config dir of its own \
(SUPPORTCTL_CONFIG_DIR) and no account token or profile: supportctl in it acts only as the \
session.")]
    Exec(ExecArgs),
    /// List sessions: your own as a support engineer, the org's as an admin.
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show one session.
    Show(ShowArgs),
    /// Close sessions at once.
    #[command(visible_alias = "rm")]
    Close(CloseArgs),
    /// Is a session token active, and what may it do? Exit 4 if it is not active.
    #[command(after_long_help = "Examples:
  supportctl session check             # reads SUPPORTCTL_SESSION_TOKEN
  supportctl session open acme --reason x -q | supportctl session check
  supportctl session check - < token.txt

The token is read from stdin (`-`, or when stdin is a pipe and SUPPORTCTL_SESSION_TOKEN is \
unset) or from SUPPORTCTL_SESSION_TOKEN; --token works too, but leaves the token in the \
shell's history and the process list.")]
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The org to open the session in (or --org).
    #[arg(value_name = "ORG", conflicts_with = "org", add = super::complete::orgs())]
    pub org_name: Option<String>,
    #[command(flatten)]
    pub org: OrgArg,
    /// The grant to use [default: the narrowest usable grant that covers the request]
    #[arg(long = "grant", value_name = "ID", add = super::complete::grant_ids())]
    pub grant: Option<String>,
    /// Access level, at most the grant's [default: the grant's]
    #[arg(long, value_enum)]
    pub level: Option<Level>,
    /// Data areas, a subset of the grant's; `all`: all the grant's [default: all]
    #[arg(long, value_enum, value_delimiter = ',')]
    pub areas: Option<Vec<AreaArg>>,
    /// Session lifetime, capped by the grant's expiry [default: the server's, 1h]
    #[arg(long = "for", visible_alias = "ttl", value_name = "DURATION", value_parser = parse_duration)]
    pub ttl: Option<i64>,
    /// Why you open it (required; in the org's audit log; asked for on a terminal).
    #[arg(long)]
    pub reason: Option<String>,
    /// When no usable grant covers the session, ask the org's admins for one and wait.
    #[arg(long)]
    pub request: bool,
    /// With --request: how long the grant asked for should last [default: the org's]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "request")]
    pub request_for: Option<i64>,
    /// With --request: your support case reference.
    #[arg(long, value_name = "REF", requires = "request")]
    pub ticket: Option<String>,
    /// With --request: how long to wait for the decision before exiting 8.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "30m")]
    pub timeout: i64,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub open: OpenArgs,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
    /// When the session is revoked, closed or expires: stop the command (SIGTERM, SIGKILL 10 s
    /// later, exit 6) or only warn.
    #[arg(long, value_enum, default_value_t = OnEnd::Stop)]
    pub on_end: OnEnd,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this org's sessions (admins: default your org).
    #[arg(long, value_name = "ORG", add = super::complete::orgs())]
    pub org: Option<String>,
    #[arg(long, value_enum, default_value = "active")]
    pub status: SessionStatusFilter,
    #[command(flatten)]
    pub limit: ListLimit,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Session id.
    #[arg(add = super::complete::session_ids())]
    pub id: String,
}

#[derive(Debug, Args)]
pub struct CloseArgs {
    /// Session ids.
    #[arg(required = true, value_name = "ID", add = super::complete::session_ids())]
    pub ids: Vec<String>,
    /// Why (recorded in the audit log).
    #[arg(long)]
    pub reason: Option<String>,
}

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

pub fn run(context: &mut Context, command: SessionCommand) -> CommandResult {
    match command {
        SessionCommand::Open(args) => open(context, args),
        SessionCommand::Exec(args) => super::session_exec::exec(context, args),
        SessionCommand::List(args) => list(context, args),
        SessionCommand::Show(args) => show(context, args),
        SessionCommand::Close(args) => close(context, args),
        SessionCommand::Check(args) => check(context, args),
    }
}

impl OpenArgs {
    /// ORG, `--org`, `SUPPORTCTL_ORG` or the profile's: a support engineer has no org of their
    /// own to fall back on.
    pub(crate) fn resolve_org(&self, connection: &mut Connection) -> CommandResult<String> {
        let given = self.org_name.as_deref().or(self.org.org.as_deref());
        connection.org(given).map_err(|error| {
            if !matches!(error.kind, ErrorKind::Forbidden | ErrorKind::Usage) {
                return error;
            }
            CommandError::usage("no org to open the session in")
                .with_hint("name it: `supportctl session open ORG`, --org ORG or SUPPORTCTL_ORG")
        })
    }
}

/// The session asked for; on a terminal, asks for the reason when `--reason` is missing.
pub(crate) fn open_request(ui: &Ui, args: &OpenArgs) -> CommandResult<OpenSession> {
    let reason = match &args.reason {
        Some(reason) if !reason.trim().is_empty() => reason.clone(),
        None if ui.interactive() => ask_text(
            "Reason (goes into the org's audit log)",
            Some("a reason is required"),
        )?,
        _ => {
            return Err(CommandError::usage("missing --reason")
                .with_hint("say why you need the session: it goes into the org's audit log"));
        }
    };
    Ok(OpenSession {
        grant_id: args.grant.clone(),
        level: args.level,
        areas: areas_or_default(&args.areas),
        ttl_seconds: args.ttl,
        reason,
    })
}

/// Opens the session; when no usable grant covers it, files an access request for what was
/// asked (with `--request`, or when the person at the terminal agrees), waits for the
/// decision, and opens the session from the grant the approval created.
///
/// With `signals`, Ctrl-C, SIGTERM and SIGHUP are held from the moment a session is asked for:
/// a session opened returns with them held, for the caller to close it before it ends. While
/// the question and the wait for a decision run, they act as usual.
pub(super) fn open_or_request(
    context: &mut Context,
    connection: &mut Connection,
    args: &OpenArgs,
    org: &str,
    request: &OpenSession,
    signals: Option<&SignalHold>,
) -> CommandResult<SessionWithToken> {
    if let Some(signals) = signals {
        signals.hold();
    }
    let error = match connection.client.open_session(org, request) {
        Ok(opened) => return Ok(opened),
        Err(error) => error,
    };
    if let Some(signals) = signals {
        signals.release();
    }
    // An access request cannot lift the session maximum: say what can be had, offer nothing.
    if let ClientError::Api { problem, .. } = &error
        && problem.code == ErrorCode::PolicyViolation
        && let Some(over) = super::error::over_maximum(&problem.detail)
        && over.field == "ttl_seconds"
    {
        let max = crate::cli::ui::spoken_duration(over.max);
        return Err(CommandError::conflict(format!(
            "sessions last at most {max}; use --for {max}"
        )));
    }
    let refusal = match &error {
        ClientError::Api { status, problem }
            if args.grant.is_none()
                && (*status == 404
                    || (*status == 422 && problem.code == ErrorCode::PolicyViolation)) =>
        {
            problem.detail.clone()
        }
        _ => return Err(error.into()),
    };
    let level = args.level.unwrap_or(Level::ReadOnly);
    let areas = areas_or_default(&args.areas).map_or_else(
        || "every area the org allows".to_owned(),
        |a| join_areas(&a),
    );
    let ask = args.request
        || (context.ui.interactive()
            && context.ui.confirm(&format!(
                "{refusal}. Ask org {org}'s admins for {level} access on {areas}?"
            ))?);
    if !ask {
        return Err(CommandError::from(error).with_hint(
            "pass --request to ask the org's admins for access and wait for their decision",
        ));
    }
    let filed = connection.client.create_request(
        org,
        &CreateRequest {
            level,
            areas: areas_or_default(&args.areas),
            duration_seconds: args.request_for,
            reason: request.reason.clone(),
            ticket: args.ticket.clone(),
        },
    )?;
    context.ui.note(&format!(
        "Filed request {} for {level} access to {} on {areas}",
        filed.id, filed.org
    ));
    let approved = super::request::wait_for(context, connection, None, &filed, args.timeout)?;
    context.ui.success(&format!(
        "Request {} approved by {}",
        approved.id,
        approved.decided_by.as_deref().unwrap_or("the org's admins")
    ));
    // The grant is what the admins allowed (possibly narrower than asked): the session takes
    // its level and areas.
    let from_grant = OpenSession {
        grant_id: approved.grant_id.clone(),
        level: None,
        areas: None,
        ..request.clone()
    };
    if let Some(signals) = signals {
        signals.hold();
    }
    let opened = connection.client.open_session(org, &from_grant);
    if opened.is_err()
        && let Some(signals) = signals
    {
        signals.release();
    }
    Ok(opened?)
}

fn open(context: &mut Context, args: OpenArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = args.resolve_org(&mut connection)?;
    let request = open_request(&context.ui, &args)?;
    let opened = open_or_request(context, &mut connection, &args, &org, &request, None)?;
    if context.ui.quiet() {
        return Ok(context.ui.line(&opened.token)?);
    }
    match context.ui.format() {
        OutputFormat::Json => Ok(context.ui.json(&opened)?),
        OutputFormat::Tsv => {
            let mut row = tsv_cells(&opened.session.cells());
            row.push(opened.token.clone());
            Ok(context.ui.line(&row.join("\t"))?)
        }
        OutputFormat::Table => {
            context.ui.success(&format!(
                "Opened session {} in {} ({} on {}), ends {}",
                opened.session.id,
                opened.session.org,
                opened.session.level,
                join_areas(&opened.session.areas),
                spoken_time(opened.session.expires_at)
            ));
            context.ui.one(&opened.session)?;
            context.ui.note("Session token (shown once):");
            Ok(context.ui.line(&opened.token)?)
        }
    }
}

fn list(context: &mut Context, args: ListArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let max = args.limit.max();
    let admin = connection.role()? == Role::Admin;
    if admin {
        // An admin's sessions are all in one org: its name on every row says nothing.
        context.ui.hide_column("org");
    } else {
        // A support engineer's own sessions: the engineer is always you.
        context.ui.hide_column("engineer");
    }
    let sessions = match &args.org {
        Some(org) if admin => {
            connection
                .client
                .list_sessions(SessionList::Org(org), args.status, max)?
        }
        // A support engineer's own sessions span orgs: narrow them here, before the limit.
        Some(org) => {
            let mut sessions = connection
                .client
                .list_sessions(SessionList::Mine, args.status, None)?
                .items;
            sessions.retain(|session| &session.org == org);
            let mut listing = Listing::complete(sessions);
            listing.items.truncate(max.unwrap_or(usize::MAX));
            listing
        }
        None => connection
            .client
            .list_sessions(SessionList::Mine, args.status, max)?,
    };
    args.limit.print(&mut context.ui, &sessions)
}

fn show(context: &mut Context, args: ShowArgs) -> CommandResult {
    let connection = context.connect()?;
    let session = connection.client.get_session(&args.id)?;
    Ok(context.ui.one(&session)?)
}

fn close(context: &mut Context, args: CloseArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let question = if args.ids.len() == 1 {
        format!("Close session {}? It ends at once.", args.ids[0])
    } else {
        format!("Close {} sessions? They end at once.", args.ids.len())
    };
    // A support engineer may close only their own sessions: nothing to confirm.
    let own = connection.role()? == Role::Support;
    if !own && !context.ui.confirm(&question)? {
        return Err(CommandError::cancelled());
    }
    let mut closed = Vec::new();
    for id in &args.ids {
        // Closing is idempotent, so the answer alone cannot tell whether this call ended the
        // session: look first, and say so when it had already ended.
        let before = connection.client.get_session(id)?;
        let session = if before.status == crate::api::SessionStatus::Active {
            let session = connection.client.close_session(id, args.reason.clone())?;
            context.ui.success(&format!("Closed session {id}"));
            session
        } else {
            context.ui.note(&format!(
                "Session {id} had already ended ({}); nothing to do",
                before.status
            ));
            before
        };
        closed.push(session);
    }
    if context.ui.format() != OutputFormat::Table || context.ui.quiet() {
        context.ui.list(&closed)?;
    }
    Ok(())
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

fn check(context: &mut Context, args: CheckArgs) -> CommandResult {
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
