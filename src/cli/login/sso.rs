//! `supportctl login --sso`: a sign-in with the identity provider. The server starts it and
//! answers where to send the person (or the code to enter); this opens a browser there when it
//! can, polls the server until the sign-in is done (at the pace the server asks), and stores the
//! token the sign-in yields like `login` stores one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::api::{ErrorCode, LoginStarted, LoginToken, SsoFlowKind, StartLogin};
use crate::cli::client::{ApiClient, ClientError, LoginPoll};
use crate::cli::config::Profile;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::render::{describe_role, terminal_safe};
use crate::cli::ui::prompt;

use super::saving::save;

/// What `login --sso` was asked.
pub(super) struct SsoOptions {
    pub connector: Option<String>,
    pub org: Option<String>,
    pub device: bool,
    pub no_browser: bool,
    pub insecure_storage: bool,
}

pub(super) fn run(
    context: &mut Context,
    args: &SsoOptions,
    name: String,
    existing: Option<Profile>,
    server: String,
) -> CommandResult {
    let config = context.client_config(server.clone(), None)?;
    let client = ApiClient::new(&config)?;
    let connector = choose_connector(context, &client, args)?;
    let flow = if args.device {
        SsoFlowKind::Device
    } else {
        SsoFlowKind::Browser
    };
    let started = client
        .start_login(&StartLogin {
            connector: connector.clone(),
            org: args.org.clone(),
            flow: Some(flow),
        })
        .map_err(|error| {
            let error = CommandError::from(error);
            if error.message.contains("does not offer the device flow") {
                error.with_hint("sign in without --device, in a browser")
            } else {
                error
            }
        })?;
    let opened = show_where(context, args, &started);
    let signed_in = wait(context, &client, &started, opened)?;
    let account = &signed_in.account;
    let saved = save(
        context,
        args.insecure_storage,
        &name,
        existing,
        &server,
        &signed_in.token,
        account,
    )?;
    context.ui.success_or_row(
        &format!(
            "Signed in as {} ({}) until {}; token stored in {}",
            account.email,
            describe_role(account),
            crate::cli::time::local_full(signed_in.expires_at),
            saved.stored_in
        ),
        account,
    )?;
    saved.hint_profile(context);
    Ok(())
}

/// `--connector`, else the only one offered, else a choice on a terminal.
fn choose_connector(
    context: &mut Context,
    client: &ApiClient,
    args: &SsoOptions,
) -> CommandResult<String> {
    if let Some(connector) = &args.connector {
        return Ok(connector.clone());
    }
    let methods: Vec<_> = client
        .auth_methods(args.org.as_deref())?
        .into_iter()
        .filter(|method| method.org == args.org)
        .filter(|method| !args.device || method.flows.contains(&SsoFlowKind::Device))
        .collect();
    match methods.as_slice() {
        [] => Err(CommandError::usage(match &args.org {
            Some(org) => format!("org {org} has no sign-in connector on this server"),
            None => "this server has no sign-in connector".to_owned(),
        })
        .with_hint(
            "an operator adds one with `supportctl sso connector add`; or log in with a token: \
             `supportctl login --with-token`",
        )),
        [only] => Ok(only.connector.clone()),
        several if context.ui.interactive() => {
            let names: Vec<String> = several
                .iter()
                .map(|method| terminal_safe(&method.connector).into_owned())
                .collect();
            let chosen = prompt(|| {
                dialoguer::Select::new()
                    .with_prompt("Sign in with")
                    .items(&names)
                    .default(0)
                    .interact()
            })?;
            Ok(several[chosen].connector.clone())
        }
        several => {
            let names: Vec<&str> = several.iter().map(|m| m.connector.as_str()).collect();
            Err(CommandError::usage(format!(
                "this server has several sign-in connectors ({}); pass --connector NAME",
                terminal_safe(&names.join(", "))
            )))
        }
    }
}

/// Says where to sign in (stderr), and opens a browser there unless `--no-browser`. Returns
/// whether a browser was started.
fn show_where(context: &mut Context, args: &SsoOptions, started: &LoginStarted) -> bool {
    let target = match started.flow {
        SsoFlowKind::Browser => {
            let url = started.url.clone().unwrap_or_default();
            context.ui.note(&format!(
                "Open this page to sign in:\n  {}",
                terminal_safe(&url)
            ));
            url
        }
        SsoFlowKind::Device => {
            let code = started.user_code.clone().unwrap_or_default();
            let uri = started.verification_uri.clone().unwrap_or_default();
            context.ui.note(&format!(
                "On any device, open {} and enter the code {}",
                terminal_safe(&uri),
                terminal_safe(&code)
            ));
            match &started.verification_uri_complete {
                Some(complete) => {
                    context
                        .ui
                        .note(&format!("  or open {}", terminal_safe(complete)));
                    complete.clone()
                }
                None => uri,
            }
        }
    };
    if args.no_browser {
        return false;
    }
    open_browser(&target)
}

/// `$BROWSER URL` (its words as a shell would split them), else `xdg-open URL`; quietly.
fn open_browser(url: &str) -> bool {
    let command: Vec<String> = match std::env::var("BROWSER") {
        Ok(browser) if !browser.trim().is_empty() => {
            shell_words::split(&browser).unwrap_or_else(|_| vec![browser])
        }
        _ => vec!["xdg-open".to_owned()],
    };
    let Some((program, rest)) = command.split_first() else {
        return false;
    };
    std::process::Command::new(program)
        .args(rest)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

/// Polls until the sign-in is done, refused or expired, every `interval` seconds (longer when
/// the server says to slow down); Ctrl-C cancels.
fn wait(
    context: &mut Context,
    client: &ApiClient,
    started: &LoginStarted,
    opened: bool,
) -> CommandResult<LoginToken> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let registration =
        signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&interrupted)).ok();
    let message = if opened {
        "Waiting for the sign-in in your browser (Ctrl-C cancels)"
    } else {
        "Waiting for the sign-in (Ctrl-C cancels)"
    };
    let spinner = if context.ui.interactive() && !context.ui.quiet() {
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.set_message(message);
        spinner.enable_steady_tick(Duration::from_millis(120));
        spinner
    } else {
        context.ui.note(&format!("{message}..."));
        indicatif::ProgressBar::hidden()
    };
    let deadline = Instant::now() + Duration::from_secs(started.expires_in.unsigned_abs() + 5);
    let mut interval = started.interval.max(1);
    let result = loop {
        if !sleep(Duration::from_secs(interval.unsigned_abs()), &interrupted) {
            break Err(CommandError::interrupted().with_hint("the sign-in was cancelled"));
        }
        if Instant::now() > deadline {
            break Err(CommandError::unauthenticated(
                "the sign-in expired before it was completed",
            )
            .with_hint("run `supportctl login --sso` again"));
        }
        match client.poll_login(&started.flow_id) {
            Ok(LoginPoll::Pending(pending)) => interval = pending.interval.max(1),
            Ok(LoginPoll::Done(token)) => break Ok(*token),
            Err(ClientError::Api { problem, .. }) if problem.code == ErrorCode::SlowDown => {
                interval += 5;
            }
            Err(error) => {
                let error = CommandError::from(error);
                let error = if error.hint.is_none() {
                    error.with_hint("run `supportctl login --sso` again once that is fixed")
                } else {
                    error
                };
                break Err(error);
            }
        }
    };
    spinner.finish_and_clear();
    if let Some(id) = registration {
        signal_hook::low_level::unregister(id);
    }
    result
}

/// Sleeps `duration` in short steps; false when Ctrl-C came first.
fn sleep(duration: Duration, interrupted: &AtomicBool) -> bool {
    let end = Instant::now() + duration;
    while Instant::now() < end {
        if interrupted.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50).min(end - Instant::now()));
    }
    !interrupted.load(Ordering::SeqCst)
}
