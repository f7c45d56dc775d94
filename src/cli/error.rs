//! The one place that decides exit codes: every failure becomes a [`CommandError`] of a kind,
//! and each kind has one code, listed in [`EXIT_CODES_HELP`] (shown by `--help`).

use std::fmt;

use crate::api::ErrorCode;
use crate::cli::client::ClientError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 1: anything else.
    General,
    /// 2: bad usage, including a missing `--yes` without a terminal.
    Usage,
    /// 3: the thing does not exist (or is not visible to you).
    NotFound,
    /// 4: no, invalid or revoked token.
    Unauthenticated,
    /// 5: your role may not do this.
    Forbidden,
    /// 6: conflict, or refused by the server's policy.
    Conflict,
    /// 7: the server is unreachable or failed.
    Unavailable,
    /// 8: the wait ended with the access request still pending.
    Pending,
    /// 130: interrupted.
    Interrupted,
    /// 0, quietly: the reader of stdout went away (e.g. `| head`), which is not a failure.
    BrokenPipe,
    /// The exit code of a command run by `session exec`, passed through.
    Passthrough(u8),
}

impl ErrorKind {
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::General => 1,
            ErrorKind::Usage => 2,
            ErrorKind::NotFound => 3,
            ErrorKind::Unauthenticated => 4,
            ErrorKind::Forbidden => 5,
            ErrorKind::Conflict => 6,
            ErrorKind::Unavailable => 7,
            ErrorKind::Pending => 8,
            ErrorKind::Interrupted => 130,
            ErrorKind::BrokenPipe => 0,
            ErrorKind::Passthrough(code) => code,
        }
    }
}

/// The exit codes, as `--help` and the man page show them.
pub const EXIT_CODES_HELP: &str = "Exit codes:
  0    success
  1    error
  2    usage error (including a missing --yes without a terminal)
  3    not found
  4    not authenticated (no, invalid or revoked token)
  5    permission denied
  6    conflict or refused by policy (e.g. duration over the maximum, grant
       no longer active); an access request denied, cancelled or expired
  7    server unreachable or server error
  8    an access request still pending when the wait timed out
  130  interrupted";

/// A failure as the user sees it: one `error:` line, maybe one `hint:` line.
#[derive(Debug)]
pub struct CommandError {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
}

pub type CommandResult<T = ()> = Result<T, CommandError>;

impl CommandError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        CommandError {
            kind,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn general(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::General, message)
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthenticated, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    pub fn interrupted() -> Self {
        Self::new(ErrorKind::Interrupted, "interrupted")
    }

    /// A confirmation answered "no" (which printed `Cancelled.`): exit 1, no `error:` line.
    pub fn cancelled() -> Self {
        Self::silent(1)
    }

    /// Exit with `code` and print nothing (the command that failed has said why).
    pub fn silent(code: i32) -> Self {
        Self::new(ErrorKind::Passthrough(clamp(code)), "")
    }

    /// This error, exiting with `code` instead of its kind's.
    pub fn with_exit(mut self, code: i32) -> Self {
        self.kind = ErrorKind::Passthrough(clamp(code));
        self
    }

    /// Whether there is anything to tell the user.
    pub fn is_silent(&self) -> bool {
        self.message.is_empty()
    }
}

fn clamp(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(1)
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<ClientError> for CommandError {
    fn from(error: ClientError) -> Self {
        let message = error.to_string();
        match &error {
            ClientError::Api { problem, .. } => {
                let kind = match problem.code {
                    ErrorCode::NotFound => ErrorKind::NotFound,
                    ErrorCode::Unauthenticated => ErrorKind::Unauthenticated,
                    ErrorCode::Forbidden => ErrorKind::Forbidden,
                    ErrorCode::Conflict | ErrorCode::PolicyViolation => ErrorKind::Conflict,
                    // Whatever its status (400, 413, 415, 422): the input was wrong.
                    ErrorCode::InvalidRequest => ErrorKind::Usage,
                    ErrorCode::RateLimited | ErrorCode::Internal | ErrorCode::SlowDown => {
                        ErrorKind::Unavailable
                    }
                    // The sign-in itself failed: not authenticated.
                    ErrorCode::InvalidState
                    | ErrorCode::SignInFailed
                    | ErrorCode::EmailUnverified
                    | ErrorCode::ExpiredToken
                    | ErrorCode::FlowUsed
                    | ErrorCode::ReauthenticationRequired => ErrorKind::Unauthenticated,
                    // The person is known, but no rule lets them in.
                    ErrorCode::EmailDomainNotAllowed
                    | ErrorCode::NoMatchingRule
                    | ErrorCode::NoAccount
                    | ErrorCode::AccountDisabled
                    | ErrorCode::WrongOrg => ErrorKind::Forbidden,
                };
                let hint = match problem.code {
                    ErrorCode::Unauthenticated => Some(
                        "log in again with `supportctl login`, or set SUPPORTCTL_TOKEN".to_owned(),
                    ),
                    ErrorCode::Forbidden => {
                        Some("`supportctl status` shows which account and role you use".to_owned())
                    }
                    ErrorCode::ReauthenticationRequired => Some(
                        "sign in again with `supportctl login --sso`, then repeat the command"
                            .to_owned(),
                    ),
                    // The server's detail says how long (its Retry-After).
                    ErrorCode::RateLimited => Some(
                        "the server limits how often this may be tried; wait that long and run \
                         the command again"
                            .to_owned(),
                    ),
                    _ => None,
                };
                let message =
                    in_cli_terms(&problem.detail).unwrap_or_else(|| in_cli_words(&message));
                CommandError {
                    kind,
                    message,
                    hint,
                }
            }
            ClientError::Unreachable { .. } => CommandError::new(ErrorKind::Unavailable, message)
                .with_hint("is the server running? `supportctl status` checks it"),
            ClientError::Server { .. } | ClientError::Decode { .. } => {
                CommandError::new(ErrorKind::Unavailable, message)
            }
            ClientError::InsecureTransport { .. } => CommandError::usage(message).with_hint(
                "use https://, or pass --allow-insecure-http if this network is trusted",
            ),
            ClientError::InvalidUrl { .. } => CommandError::usage(message),
        }
    }
}

/// A duration the server refused as over its maximum: which field, what was asked, the
/// maximum (all in seconds), read from the server's words ("ttl_seconds of 32400s exceeds the
/// maximum of 28800s (8h; ...)").
pub struct OverMaximum<'a> {
    pub field: &'a str,
    pub given: u64,
    pub max: u64,
    /// The server's own limit (its flags), not the org's policy or the server's.
    pub servers_own: bool,
}

pub fn over_maximum(detail: &str) -> Option<OverMaximum<'_>> {
    let (field, rest) = detail.split_once(" of ")?;
    let (given, rest) = rest.split_once("s exceeds the ")?;
    let (servers_own, rest) = match rest.strip_prefix("server's maximum of ") {
        Some(rest) => (true, rest),
        None => (false, rest.strip_prefix("maximum of ")?),
    };
    let (max, _) = rest.split_once('s')?;
    Some(OverMaximum {
        field,
        given: given.parse().ok()?,
        max: max.parse().ok()?,
        servers_own,
    })
}

/// The server's words for a duration over its maximum ("duration_seconds of 3888000s exceeds
/// the maximum of 2592000s (30days; ...)"), said with the flag people typed: "--for 45d is
/// over the 30d maximum (the org's policy or this server's)".
fn in_cli_terms(detail: &str) -> Option<String> {
    if let Some(words) = past_the_latest_end(detail) {
        return Some(words);
    }
    let over = over_maximum(detail)?;
    let (field, given, max) = (over.field, over.given, over.max);
    let spoken = crate::cli::time::spoken_duration;
    if over.servers_own {
        // `org policy set`: the org's policy may not exceed what the server allows at all.
        let flag = match field {
            "max_grant_duration_seconds" => "--max-grant",
            "default_grant_duration_seconds" => "--default-grant",
            "max_session_ttl_seconds" => "--max-session-ttl",
            _ => return None,
        };
        return Some(format!(
            "{flag} {} is over this server's {} maximum",
            spoken(given),
            spoken(max)
        ));
    }
    let flag = match field {
        "duration_seconds" => "--for",
        "ttl_seconds" => "--for",
        "expires_at - now" => "--until",
        _ => return None,
    };
    Some(match flag {
        "--until" => format!(
            "--until is {} away, over the {} maximum (the org's policy or this server's)",
            spoken(given),
            spoken(max)
        ),
        _ => format!(
            "{flag} {} is over the {} maximum (the org's policy or this server's)",
            spoken(given),
            spoken(max)
        ),
    })
}

/// The server's refusal of an extension past the latest allowed expiry ("extending by 172800s
/// would end the grant at 2026-12-09T17:00:00Z, past the latest allowed expiry ..."), with the
/// times said as everywhere else.
fn past_the_latest_end(detail: &str) -> Option<String> {
    let rest = detail.strip_prefix("extending by ")?;
    let (by, rest) = rest.split_once("s would end the grant at ")?;
    let (end, rest) = rest.split_once(", past the latest allowed expiry ")?;
    let (latest, _) = rest.split_once(' ')?;
    let by: u64 = by.parse().ok()?;
    let (end, latest): (jiff::Timestamp, jiff::Timestamp) =
        (end.parse().ok()?, latest.parse().ok()?);
    let time = crate::cli::time::spoken_time;
    Some(format!(
        "extending by {} would end the grant {}, past the latest allowed end, {} (now plus the \
         maximum grant duration of the org's policy or this server)",
        crate::cli::time::spoken_duration(by),
        time(end),
        time(latest)
    ))
}

/// The server's words are for API callers: they name JSON fields and endpoints. Said here with
/// the flags and commands people use instead.
const CLI_WORDS: [(&str, &str); 17] = [
    (
        "the org's policy (require_ticket) requires a ticket",
        "the org's policy requires a ticket (--ticket)",
    ),
    ("the org's policy (allowed_levels)", "the org's policy"),
    ("the org's policy (allowed_areas)", "the org's policy"),
    (
        "the org's policy (direct_grants: false)",
        "the org's policy (--direct-grants=false)",
    ),
    (
        "the org's policy (accept_requests: false)",
        "the org's policy (--accept-requests=false)",
    ),
    (
        "the org's policy max_grant_duration_seconds",
        "the org's policy",
    ),
    (
        "the org's policy max_session_ttl_seconds",
        "the org's policy",
    ),
    ("max_grant_duration_seconds", "--max-grant"),
    ("default_grant_duration_seconds", "--default-grant"),
    ("max_session_ttl_seconds", "--max-session-ttl"),
    ("request_ttl_seconds", "--request-ttl"),
    ("expiry_warning_seconds", "--expiry-warning"),
    ("approvals_required.", "--approvals "),
    ("approvals_required", "--approvals"),
    ("allowed_levels", "--levels"),
    ("allowed_areas", "--areas"),
    ("this endpoint", "this command"),
];

fn in_cli_words(detail: &str) -> String {
    CLI_WORDS
        .iter()
        .fold(detail.to_owned(), |text, (api, cli)| text.replace(api, cli))
}

impl From<anyhow::Error> for CommandError {
    fn from(error: anyhow::Error) -> Self {
        // `{:#}` prints the cause chain on one line, never a backtrace.
        CommandError::general(format!("{error:#}"))
    }
}

impl From<std::io::Error> for CommandError {
    fn from(error: std::io::Error) -> Self {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            // The reader went away (e.g. `| head`): not the user's problem to see.
            return CommandError::new(ErrorKind::BrokenPipe, "broken pipe");
        }
        CommandError::general(format!("I/O error: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_over_the_maximum_are_said_with_the_flag() {
        assert_eq!(
            in_cli_terms(
                "duration_seconds of 3888000s exceeds the maximum of 2592000s (30days; the org's \
                 policy or the server's limit, whichever is shorter)"
            )
            .as_deref(),
            Some("--for 45d is over the 30d maximum (the org's policy or this server's)")
        );
        assert_eq!(
            in_cli_terms("ttl_seconds of 10800s exceeds the maximum of 7200s (2h; ...)").as_deref(),
            Some("--for 3h is over the 2h maximum (the org's policy or this server's)")
        );
        assert_eq!(
            in_cli_terms(
                "max_grant_duration_seconds of 3456000s exceeds the server's maximum of \
                 2592000s (30days; its --max-grant-duration)"
            )
            .as_deref(),
            Some("--max-grant 40d is over this server's 30d maximum")
        );
        assert_eq!(in_cli_terms("no such grant"), None);
    }

    #[test]
    fn an_extension_past_the_latest_end_is_said_with_local_times() {
        let said = in_cli_terms(
            "extending by 172800s would end the grant at 2999-12-09T17:00:00Z, past the latest \
             allowed expiry 2999-12-08T17:00:00Z (now + the maximum grant duration of the org's \
             policy or the server, whichever is shorter)",
        )
        .unwrap();
        assert!(
            said.starts_with("extending by 2d would end the grant "),
            "{said}"
        );
        assert!(!said.contains("T17:00:00Z"), "{said}");
    }

    #[test]
    fn the_servers_field_names_are_said_as_flags() {
        assert_eq!(
            in_cli_words("the org's policy (require_ticket) requires a ticket"),
            "the org's policy requires a ticket (--ticket)"
        );
        assert_eq!(
            in_cli_words(
                "default_grant_duration_seconds (90) exceeds max_grant_duration_seconds (60)"
            ),
            "--default-grant (90) exceeds --max-grant (60)"
        );
        assert_eq!(
            in_cli_words("this endpoint is for admin accounts; yours is support"),
            "this command is for admin accounts; yours is support"
        );
    }
}
