//! The command line: arguments (clap, next to each command's handler), resolved into a
//! [`context::Context`], then executed. One `match` dispatches; one place maps errors to
//! exit codes ([`error`]).

pub mod account;
pub mod args;
pub mod audit;
pub mod candidates;
pub mod client;
pub mod columns;
pub mod completion;
pub mod config;
pub mod context;
pub mod credentials;
pub mod demo;
pub mod dev_profiles;
pub mod error;
pub mod evidence;
pub mod global_args;
pub mod grant;
pub mod logging;
pub mod login;
pub mod logout;
pub mod org;
pub mod profile;
pub mod render;
pub mod request;
pub mod server;
pub mod session;
pub mod sso;
pub mod status;
pub mod table;
pub mod ticket;
pub mod time;
pub mod ui;
pub mod webhook;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use self::context::Context;
use self::error::{CommandError, CommandResult, EXIT_CODES_HELP, ErrorKind};
use self::global_args::GlobalArgs;
use crate::cli::ui::{ColorChoice, OutputArg, OutputFormat, Ui, UiSettings};

const ABOUT: &str = "Grant, scope, audit and revoke vendor support access to your org";

const LONG_ABOUT: &str = "\
supportctl lets an org's admins grant the vendor's support team access at a chosen level, \
for a chosen time, limited to chosen data areas; list what is active; and revoke it. Support \
engineers use it to open short-lived, scoped sessions. Every change and every access is in \
the org's hash-chained audit log, which `supportctl audit verify` re-checks.";

const EXAMPLES: &str = "Examples:
  supportctl demo             # the whole workflow on a throwaway server
  supportctl server --dev     # a local server, and profiles dev-admin, ...
  supportctl --profile dev-admin grant list   # (in another terminal)
  supportctl login --server http://127.0.0.1:8420
  supportctl grant create --level member --for 4h --reason 'Ticket 4821'
  supportctl grant list
  supportctl grant revoke gr_01j... --yes
  supportctl request create acme --level member --for 4h --reason x --wait
  supportctl request review   # admins: approve or deny each pending one
  supportctl session exec acme --reason 'Ticket 4821' -- ./inspect.sh
  supportctl audit verify";

#[derive(Debug, Parser)]
#[command(
    name = "supportctl",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = "Run `supportctl help <command>` or `--help` for examples.",
    after_long_help = format!("{EXAMPLES}\n\n{EXIT_CODES_HELP}"),
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in with your identity provider (--sso), or with a token; store it in the OS keyring.
    Login(login::LoginArgs),
    /// Forget a profile, and its stored token unless another profile of the config uses it.
    Logout(logout::LogoutArgs),
    /// Who am I, on which server, with which token; exit 4 if not usable.
    Status,
    /// Grant, list, extend and revoke support access (org admins).
    #[command(subcommand)]
    Grant(grant::GrantCommand),
    /// Ask for access and wait (support engineers); approve, deny, review (org admins).
    #[command(subcommand)]
    Request(request::RequestCommand),
    /// Open, use, list and close support sessions (support engineers).
    #[command(subcommand)]
    Session(session::SessionCommand),
    /// Read, follow, verify and checkpoint the org's audit log (org admins; --vendor: the
    /// vendor's own log, operators).
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Send the org's events to your endpoints, signed; see and replay deliveries (org
    /// admins).
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Close a support ticket: the access given for it ends (org admins, services).
    #[command(subcommand)]
    Ticket(ticket::TicketCommand),
    /// Create, list and disable orgs (operators); show and set an org's policy (admins).
    #[command(subcommand)]
    Org(org::OrgCommand),
    /// Create, list and disable accounts (operators).
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// The identity providers people sign in with: sign-in connectors (operators; an org's
    /// admins for their org).
    #[command(subcommand)]
    Sso(sso::SsoCommand),
    /// List profiles, switch the default one, show the one in use.
    #[command(subcommand)]
    Profile(profile::ProfileCommand),
    /// Print a shell completion script.
    Completion(completion::CompletionArgs),
    /// Run the support-access API server.
    Server(Box<server::ServerArgs>),
    /// Walk through the whole workflow on a throwaway local server.
    Demo(demo::DemoArgs),
    /// Write completions and man pages into the source tree (for maintainers).
    #[command(hide = true)]
    GenerateAssets(completion::GenerateArgs),
}

pub fn command() -> clap::Command {
    // Attached here rather than on the options: the completers build a context from them.
    let cli = Cli::command().mut_args(|arg| match arg.get_id().as_str() {
        "profile" => arg.add(candidates::profiles()),
        "org" => arg.add(candidates::orgs()),
        _ => arg,
    });
    server::narrow_global_options(cli)
}

/// A command line clap refused, said like every other error: one `error:` line and a `hint:`.
fn usage_error(error: &clap::Error) -> ExitCode {
    let ui = plain_ui();
    let words: Vec<String> = std::env::args().skip(1).collect();
    let path = command_path(&words);
    // clap names hidden subcommands too when one is missing.
    let report = error.render().to_string().replace(", generate-assets", "");
    let mut condensed = condense_clap_error(&report, &path);
    // `session exec acme env`: the command goes after `--` (with `--org acme`, clap takes
    // `env` for the org; with a `--` already there, ORG and `--org` were both given).
    let has_separator = words.iter().any(|word| word == "--");
    if path == "supportctl session exec"
        && !has_separator
        && (condensed.message.contains("unexpected argument")
            || condensed.message.contains("cannot be used with '[ORG]'"))
    {
        condensed.hint = Some(
            "put the command after `--`: supportctl session exec ORG --reason TEXT -- COMMAND [ARGS...]"
                .to_owned(),
        );
    }
    ui.error(&condensed);
    ExitCode::from(ErrorKind::Usage.exit_code())
}

/// A Ui for before the command line is understood: defaults, never prompting.
fn plain_ui() -> Ui {
    Ui::new(UiSettings {
        format: None,
        wide: false,
        ocsf: false,
        quiet: false,
        color: ColorChoice::Auto,
        assume_yes: false,
        no_input: true,
        verbosity: 0,
    })
}

/// `supportctl grant create` for `grant create --level x`: the command whose help applies.
fn command_path(words: &[String]) -> String {
    let mut command = command();
    let mut path = vec!["supportctl".to_owned()];
    for word in words {
        let Some(sub) = command
            .get_subcommands()
            .find(|sub| sub.get_name() == word || sub.get_all_aliases().any(|a| a == word))
            .cloned()
        else {
            continue;
        };
        path.push(sub.get_name().to_owned());
        command = sub;
    }
    path.join(" ")
}

/// Folds clap's several-line report into one message (missing arguments and possible values
/// included) and a hint (clap's tip, or where to read the command's help).
fn condense_clap_error(report: &str, command_path: &str) -> CommandError {
    let mut lines = report.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut message = lines
        .next()
        .unwrap_or("invalid command line")
        .trim_start_matches("error:")
        .trim()
        .to_owned();
    let mut details = Vec::new();
    let mut hint = None;
    for line in lines {
        if let Some(values) = line
            .strip_prefix("[possible values:")
            .and_then(|v| v.strip_suffix(']'))
        {
            message.push_str(&format!(" (possible values: {})", values.trim()));
        } else if let Some(tip) = line.strip_prefix("tip:") {
            hint = Some(tip.trim().to_owned());
        } else if line.starts_with("Usage:") || line.starts_with("For more information") {
            continue;
        } else {
            details.push(line);
        }
    }
    if !details.is_empty() {
        message = format!("{} {}", message, details.join(", "));
    }
    CommandError::usage(message)
        .with_hint(hint.unwrap_or_else(|| format!("see `{command_path} --help`")))
}

/// Parses, runs, and turns the outcome into an exit code.
pub fn main() -> ExitCode {
    // `COMPLETE=bash supportctl`: the shell asks for candidates; nothing else runs.
    clap_complete::CompleteEnv::with_factory(command).complete();
    // `supportctl` alone: the overview. Checked before parsing, because clap counts a value
    // from the environment (SUPPORTCTL_SERVER) as an argument given, and would then ask for a
    // subcommand instead.
    if std::env::args_os().len() <= 1 {
        let help = command().render_help().to_string();
        return match plain_ui().line(help.trim_end()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(ErrorKind::General.exit_code()),
        };
    }
    // `server --config FILE`: the file's values become their options' defaults.
    let (root, config_file) = match server::config_file::with_config_file(command()) {
        Ok(found) => found,
        Err(error) => {
            plain_ui().error(&error);
            return ExitCode::from(error.kind.exit_code());
        }
    };
    let server_command = root.find_subcommand("server").cloned();
    let matches = match root.try_get_matches() {
        Ok(matches) => matches,
        Err(error) => {
            return match error.kind() {
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = error.print();
                    ExitCode::SUCCESS
                }
                _ => usage_error(&error),
            };
        }
    };
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    if let Command::Server(args) = &mut cli.command
        && let Some(server) = matches.subcommand_matches("server")
        && let Some(command) = &server_command
    {
        args.settings = server::config_file::settings(command, server, config_file.as_ref());
    }
    if cli.global.output == Some(OutputArg::Ocsf)
        && !matches!(cli.command, Command::Audit(audit::AuditCommand::List(_)))
    {
        let error = CommandError::usage("-o ocsf is only for `audit list` (and `audit list -f`)")
            .with_hint("use -o json, tsv, table or wide here");
        plain_ui().error(&error);
        return ExitCode::from(error.kind.exit_code());
    }
    let ui = Ui::new(UiSettings {
        format: if cli.global.json {
            Some(OutputFormat::Json)
        } else {
            cli.global.output.map(OutputArg::format)
        },
        wide: cli.global.output == Some(OutputArg::Wide),
        ocsf: cli.global.output == Some(OutputArg::Ocsf),
        quiet: cli.global.quiet,
        color: cli.global.color,
        assume_yes: cli.global.yes,
        no_input: cli.global.no_input,
        verbosity: cli.global.verbose,
    });
    let mut context = Context::new(ui, cli.global.clone());
    if !matches!(cli.command, Command::Server(_)) {
        // The server keeps Rust's own report (with a backtrace) for its operators.
        install_panic_hook();
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run(&mut context, cli.command)
    }))
    .unwrap_or_else(|_| {
        // The hook has said what happened; the exit code is an error's.
        Err(CommandError::silent(i32::from(
            ErrorKind::General.exit_code(),
        )))
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind == ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(mut error) => {
            if error.kind == ErrorKind::Unauthenticated
                && std::env::var("SUPPORTCTL_TOKEN").is_ok_and(|token| !token.is_empty())
                && error
                    .hint
                    .as_deref()
                    .is_some_and(|hint| hint.starts_with("log in again"))
            {
                error.hint = Some(
                    "SUPPORTCTL_TOKEN is set and overrides your login: fix or unset it \
                     (`unset SUPPORTCTL_TOKEN`) to use the stored token"
                        .to_owned(),
                );
            } else if error.kind == ErrorKind::Unauthenticated
                && let Some(hint) = error.hint.clone()
                && hint.starts_with("log in again with `supportctl login`")
                && let Ok(name) = context.profile_name()
                && let Ok(flag) = context.profile_flag(&name)
            {
                // The stored token was refused: log in again as the profile in use.
                error.hint = Some(hint.replacen(
                    "`supportctl login`",
                    &format!("`supportctl login{flag}`"),
                    1,
                ));
            }
            if !error.is_silent() {
                context.ui.error(&error);
            }
            ExitCode::from(error.kind.exit_code())
        }
    }
}

/// A panic is a bug in supportctl. Users see one `error:` line and a `hint:`, never a Rust
/// backtrace (RUST_BACKTRACE=1 is common on developers' machines) or a debug dump.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        use std::io::Write;
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        let location = info
            .location()
            .map(|at| format!(" ({}:{})", at.file(), at.line()))
            .unwrap_or_default();
        let message = message.replace('\n', " ");
        // Never panic here: a failed write to stderr is simply lost.
        let _ = writeln!(
            std::io::stderr().lock(),
            "error: internal error: {message}{location}\n\
             hint: this is a bug in supportctl; please report it with the command you ran"
        );
    }));
}

fn run(context: &mut Context, command: Command) -> CommandResult {
    match command {
        Command::Login(args) => login::run(context, args),
        Command::Logout(args) => logout::run(context, args),
        Command::Status => status::run(context),
        Command::Grant(command) => grant::run(context, command),
        Command::Request(command) => request::run(context, command),
        Command::Session(command) => session::run(context, command),
        Command::Audit(command) => audit::run(context, command),
        Command::Webhook(command) => webhook::run(context, command),
        Command::Ticket(command) => ticket::run(context, command),
        Command::Org(command) => org::run(context, command),
        Command::Account(command) => account::run(context, command),
        Command::Sso(command) => sso::run(context, command),
        Command::Profile(command) => profile::run(context, command),
        Command::Completion(args) => completion::completion(context, args, &self::command()),
        Command::Server(args) => server::run(&mut context.ui, *args),
        Command::Demo(args) => demo::run(context, args),
        Command::GenerateAssets(args) => completion::generate(context, args, &self::command()),
    }
}
