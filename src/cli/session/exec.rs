//! `supportctl session exec`: run a command in a session, and stop it when the session ends.
//!
//! The command runs as a child process. While it runs, supportctl asks the server about the
//! session every few seconds (`GET /v1/session` with the session token). When the session is
//! revoked, closed or expires, the command gets SIGTERM, then SIGKILL 10 s later, and
//! supportctl exits 6 saying why and by whom (`--on-end warn` only warns).
//!
//! Otherwise supportctl closes the session however it ends: the command's exit, an error,
//! Ctrl-C (which the terminal sends the command too), SIGTERM or SIGHUP (passed on to the
//! command, which is waited for). The command gets the session's token and an empty config
//! dir of its own, never the account's token or profiles.

use std::path::Path;
use std::process::{Child, Command as Process, ExitStatus};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use jiff::Timestamp;

use super::open::{OpenArgs, open_or_request, open_request};
use crate::api::{GrantStatusFilter, Role, Session, SessionStatus, SessionWithToken, join_areas};
use crate::cli::client::{ApiClient, GrantList};
use crate::cli::context::{Connection, Context};
use crate::cli::error::{CommandError, CommandResult, ErrorKind};
use crate::cli::time::{relative_time, spoken_duration};
use crate::cli::ui::SignalHold;

/// How often the session is checked while the command runs.
const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// Between SIGTERM and SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(10);
/// The expiry warning comes this long before the session ends.
const EXPIRY_WARNING_SECONDS: i64 = 5 * 60;

/// What happens to the command when its session ends under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OnEnd {
    /// SIGTERM, then SIGKILL 10 s later; supportctl exits 6.
    #[default]
    Stop,
    /// Only print a warning; the command runs on (without a usable session).
    Warn,
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

pub fn run(context: &mut Context, args: ExecArgs) -> CommandResult {
    // Before a session exists: a typo must not open (and audit) one.
    check_program(&args.command[0])?;
    // Ctrl-C, SIGTERM and SIGHUP are held from the moment the session is asked for: however
    // supportctl ends, it closes the session first.
    let signals = SignalHold::install();
    let mut connection = context.connect()?;
    let org = args.open.resolve_org(&mut connection)?;
    let request = open_request(&context.ui, &args.open)?;
    let mut session_config = context.client_config(connection.server.clone(), None)?;
    // The command's own config dir, empty: supportctl in it knows no profile to act as.
    let private_config = tempfile::Builder::new()
        .prefix("supportctl-exec-")
        .tempdir()
        .map_err(|error| {
            CommandError::general(format!(
                "cannot create a config dir for the command: {error}; no session was opened"
            ))
        })?;
    let SessionWithToken { session, token } = open_or_request(
        context,
        &mut connection,
        &args.open,
        &org,
        &request,
        Some(&signals),
    )?;
    let context: &Context = context;
    let mut opened = Opened {
        context,
        connection: &connection,
        session: &session,
        ended: false,
    };
    context.ui.note(&format!(
        "Opened session {} in {} ({} on {}), ends {}; running {}",
        session.id,
        session.org,
        session.level,
        join_areas(&session.areas),
        crate::cli::time::spoken_time(session.expires_at),
        args.command[0]
    ));
    if let Some(signal) = signals.take() {
        return Err(ended_by(signal));
    }
    session_config.token = Some(token.clone());
    let session_client = ApiClient::new(&session_config)?;

    let mut command = Process::new(&args.command[0]);
    command.args(&args.command[1..]);
    // The command acts as the session and nothing more: no account token reaches it, and
    // supportctl run in it finds no profile.
    for (name, _) in std::env::vars_os() {
        if is_account_credential(&name.to_string_lossy()) {
            command.env_remove(name);
        }
    }
    command
        .env_remove("SUPPORTCTL_PROFILE")
        .env("SUPPORTCTL_CONFIG_DIR", private_config.path())
        .env("SUPPORTCTL_SERVER", &connection.server);
    if let Some(ca_cert) = &context.global.ca_cert {
        command.env("SUPPORTCTL_CA_CERT", ca_cert);
    }
    let child = command
        .env("SUPPORTCTL_SESSION_TOKEN", &token)
        .env("SUPPORTCTL_SESSION_ID", &session.id)
        .env("SUPPORTCTL_SESSION_ORG", &session.org)
        .env("SUPPORTCTL_SESSION_LEVEL", session.level.to_string())
        .env("SUPPORTCTL_SESSION_AREAS", join_areas(&session.areas))
        .env(
            "SUPPORTCTL_SESSION_EXPIRES_AT",
            session.expires_at.to_string(),
        )
        .spawn();
    let child = match child {
        Ok(child) => child,
        Err(error) => {
            let code = if error.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            return Err(
                CommandError::general(format!("cannot run {}: {error}", args.command[0]))
                    .with_exit(code),
            );
        }
    };
    let watch = Watch {
        context,
        connection: &connection,
        session_client: &session_client,
        session: &session,
        on_end: args.on_end,
        signals: &signals,
    };
    let (status, ended) = watch.run(child)?;
    if let Some(why) = ended {
        // Ended on the server: nothing left to close.
        opened.ended = true;
        if args.on_end == OnEnd::Stop {
            return Err(CommandError::conflict(format!(
                "session {} ended while {} ran: {why}; the command was stopped",
                session.id, args.command[0]
            )));
        }
    }
    exit_of(status)
}

/// An open session, closed when dropped unless it ended on the server: `exec` closes it
/// however it ends (the command's exit, an error, a signal it held).
struct Opened<'a> {
    context: &'a Context,
    connection: &'a Connection,
    session: &'a Session,
    ended: bool,
}

impl Drop for Opened<'_> {
    fn drop(&mut self) {
        if !self.ended {
            close(self.context, self.connection, self.session);
        }
    }
}

/// supportctl's exit for a signal that came before the command ran: as if it had ended it.
fn ended_by(signal: i32) -> CommandError {
    if signal == signal_hook::consts::SIGINT {
        CommandError::interrupted()
    } else {
        CommandError::silent(128 + signal)
    }
}

/// The command's exit status as supportctl's.
fn exit_of(status: ExitStatus) -> CommandResult {
    if let Some(code) = status.code() {
        if code == 0 {
            return Ok(());
        }
        return Err(CommandError::silent(code));
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return Err(CommandError::silent(128 + signal));
        }
    }
    Err(CommandError::silent(1))
}

fn close(context: &Context, connection: &Connection, session: &Session) {
    match connection
        .client
        .close_session(&session.id, Some("exec finished".to_owned()))
    {
        Ok(_) => context.ui.note(&format!("Closed session {}", session.id)),
        Err(error) => context.ui.warn(&format!(
            "could not close session {}: {error}; it ends on its own {}",
            session.id,
            crate::cli::time::spoken_time(session.expires_at)
        )),
    }
}

struct Watch<'a> {
    context: &'a Context,
    connection: &'a Connection,
    session_client: &'a ApiClient,
    session: &'a Session,
    on_end: OnEnd,
    signals: &'a SignalHold,
}

impl Watch<'_> {
    /// Waits for the command; returns its status and, when the session ended first, why.
    fn run(&self, mut child: Child) -> CommandResult<(ExitStatus, Option<String>)> {
        let mut next_poll = Instant::now() + POLL_INTERVAL;
        let mut warned_expiry = false;
        let mut warned_unreachable = false;
        let mut ended: Option<String> = None;
        let mut kill_at: Option<Instant> = None;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok((status, ended)),
                Ok(None) => {}
                Err(error) => {
                    return Err(CommandError::general(format!(
                        "cannot wait for the command: {error}"
                    )));
                }
            }
            // Ctrl-C reached the command from the terminal (one process group): it decides
            // whether to end. `kill` and a closed terminal reached only supportctl: passed on.
            if let Some(signal) = self.signals.take()
                && signal != signal_hook::consts::SIGINT
            {
                forward(&child, signal);
                kill_at.get_or_insert(Instant::now() + KILL_GRACE);
            }
            if let Some(at) = kill_at
                && Instant::now() >= at
            {
                self.context.ui.warn(&format!(
                    "the command did not stop within {}s of SIGTERM: sending SIGKILL",
                    KILL_GRACE.as_secs()
                ));
                let _ = child.kill();
                kill_at = None;
            }
            if ended.is_none() && Instant::now() >= next_poll {
                next_poll = Instant::now() + POLL_INTERVAL;
                let seconds_left =
                    self.session.expires_at.as_second() - Timestamp::now().as_second();
                if !warned_expiry && seconds_left <= EXPIRY_WARNING_SECONDS && seconds_left > 0 {
                    warned_expiry = true;
                    self.context.ui.warn(&format!(
                        "session {} ends in {}: the command will be stopped then",
                        self.session.id,
                        spoken_duration(seconds_left.unsigned_abs())
                    ));
                }
                match self.session_client.current_session() {
                    Ok(_) => warned_unreachable = false,
                    Err(error) => {
                        let error = CommandError::from(error);
                        if error.kind == ErrorKind::Unauthenticated {
                            let why = self.why_ended(&error.message);
                            self.report_end(&child, &why);
                            if self.on_end == OnEnd::Stop {
                                kill_at = Some(Instant::now() + KILL_GRACE);
                            }
                            ended = Some(why);
                        } else if !warned_unreachable {
                            warned_unreachable = true;
                            self.context.ui.warn(&format!(
                                "cannot check session {} ({}); the command runs on",
                                self.session.id, error.message
                            ));
                        }
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn report_end(&self, child: &Child, why: &str) {
        match self.on_end {
            OnEnd::Stop => {
                self.context.ui.warn(&format!(
                    "session {} ended: {why}; stopping the command (SIGTERM)",
                    self.session.id
                ));
                terminate(child);
            }
            OnEnd::Warn => self.context.ui.warn(&format!(
                "session {} ended: {why}; the command runs on without it (--on-end warn)",
                self.session.id
            )),
        }
    }

    /// Why the session ended, and by whom, as far as the account may see it.
    fn why_ended(&self, server_says: &str) -> String {
        let fallback = server_says
            .strip_prefix("session is no longer active: ")
            .unwrap_or(server_says)
            .to_owned();
        let client = &self.connection.client;
        let Ok(now) = client.get_session(&self.session.id) else {
            return fallback;
        };
        let ago = |at: Option<Timestamp>| {
            at.map(|at| format!(" {}", relative_time(at, Timestamp::now())))
                .unwrap_or_default()
        };
        match now.status {
            SessionStatus::Revoked => {
                let grant = self.grant(&now);
                match grant {
                    Some(grant) => format!(
                        "its grant {} was revoked{} by {}{}",
                        grant.id,
                        ago(grant.revoked_at),
                        grant.revoked_by.as_deref().unwrap_or("an admin"),
                        grant
                            .revoke_reason
                            .map(|r| format!(" (reason: {r})"))
                            .unwrap_or_default()
                    ),
                    None => format!("its grant {} was revoked", now.grant_id),
                }
            }
            SessionStatus::Closed => format!(
                "it was closed{}{}",
                ago(now.closed_at),
                now.close_reason
                    .map(|r| format!(" (reason: {r})"))
                    .unwrap_or_default()
            ),
            SessionStatus::Expired => format!("it expired {}", ago(Some(now.expires_at)).trim()),
            SessionStatus::Active => fallback,
        }
    }

    fn grant(&self, session: &Session) -> Option<crate::api::Grant> {
        let client = &self.connection.client;
        let role = self.connection.profile.as_ref().and_then(|p| p.role);
        if role == Some(Role::Admin) {
            return client.get_grant(&session.org, &session.grant_id).ok();
        }
        client
            .list_grants(GrantList::Usable, GrantStatusFilter::All, None)
            .ok()?
            .into_iter()
            .find(|grant| grant.id == session.grant_id)
            .or_else(|| client.get_grant(&session.org, &session.grant_id).ok())
    }
}

fn terminate(child: &Child) {
    forward(child, signal_hook::consts::SIGTERM);
}

#[cfg(unix)]
fn forward(child: &Child, signal: i32) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a pid we spawned and have not yet reaped.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

#[cfg(not(unix))]
fn forward(_child: &Child, _signal: i32) {}

/// An environment variable that may carry an account token: `SUPPORTCTL_TOKEN`, and the
/// `SUPPORTCTL_<ROLE>_TOKEN` lines that `server --dev` prints. A command run in a session gets
/// none of them.
fn is_account_credential(name: &str) -> bool {
    name.starts_with("SUPPORTCTL_") && name.ends_with("TOKEN") && name != "SUPPORTCTL_SESSION_TOKEN"
}

/// Is there a program to run, looked up like the shell does (a name with a `/` is a path)?
fn check_program(name: &str) -> CommandResult {
    let not_found = |what: String| {
        CommandError::general(format!("cannot run {name}: {what}; no session was opened"))
            .with_exit(127)
    };
    if name.contains('/') {
        let path = Path::new(name);
        return if path.is_file() {
            Ok(())
        } else {
            Err(not_found("no such file".to_owned()))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .any(|candidate| is_executable(&candidate))
        .then_some(())
        .ok_or_else(|| not_found("not found in PATH".to_owned()))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}
