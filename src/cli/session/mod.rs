//! `supportctl session`: what support engineers do (and admins, to see and end sessions).

pub mod check;
pub mod close;
pub mod exec;
pub mod list;
pub mod open;
pub mod show;

use clap::Subcommand;

use crate::cli::context::Context;
use crate::cli::error::CommandResult;

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
    Open(open::OpenArgs),
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
    Exec(exec::ExecArgs),
    /// List sessions: your own as a support engineer, the org's as an admin.
    #[command(visible_alias = "ls")]
    List(list::ListArgs),
    /// Show one session.
    Show(show::ShowArgs),
    /// Close sessions at once.
    #[command(visible_alias = "rm")]
    Close(close::CloseArgs),
    /// Is a session token active, and what may it do? Exit 4 if it is not active.
    #[command(after_long_help = "Examples:
  supportctl session check             # reads SUPPORTCTL_SESSION_TOKEN
  supportctl session open acme --reason x -q | supportctl session check
  supportctl session check - < token.txt

The token is read from stdin (`-`, or when stdin is a pipe and SUPPORTCTL_SESSION_TOKEN is \
unset) or from SUPPORTCTL_SESSION_TOKEN; --token works too, but leaves the token in the \
shell's history and the process list.")]
    Check(check::CheckArgs),
}

pub fn run(context: &mut Context, command: SessionCommand) -> CommandResult {
    match command {
        SessionCommand::Open(args) => open::run(context, args),
        SessionCommand::Exec(args) => exec::run(context, args),
        SessionCommand::List(args) => list::run(context, args),
        SessionCommand::Show(args) => show::run(context, args),
        SessionCommand::Close(args) => close::run(context, args),
        SessionCommand::Check(args) => check::run(context, args),
    }
}
