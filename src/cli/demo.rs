//! `supportctl demo`: the whole main job, end to end, on a throwaway embedded server. Each
//! step runs this very binary as the user would, and prints the command it stands for.

use std::process::{Command as Process, Output, Stdio};
use std::sync::Arc;
use std::sync::mpsc;

use clap::Args;

use super::context::Context;
use super::error::{CommandError, CommandResult};
use crate::api::{Action, Area, AuthorizeRequest};
use crate::cli::client::{ApiClient, ClientConfig};
use crate::cli::ui::Ui;
use crate::server::clock::{Clock, SystemClock};
use crate::server::dev::{DEV_ADMIN, DEV_ORG, DEV_SUPPORT, DevTokens, seed_dev};
use crate::server::policy::Policy;
use crate::server::store::PoolSettings;
use crate::server::{Server, ServerConfig};

#[derive(Debug, Args)]
pub struct DemoArgs {}

struct Demo<'a> {
    /// Every line goes through the Ui: `supportctl demo | head` ends quietly, never panics.
    ui: &'a Ui,
    exe: std::path::PathBuf,
    url: String,
    config_dir: std::path::PathBuf,
    tokens: DevTokens,
}

enum As {
    Admin,
    Support,
}

impl Demo<'_> {
    fn identity(&self, who: &As) -> (&str, &str) {
        match who {
            As::Admin => (self.tokens.admin.as_str(), DEV_ADMIN),
            As::Support => (self.tokens.support.as_str(), DEV_SUPPORT),
        }
    }

    /// Prints the step, runs it with the terminal as its output, and checks its exit code.
    fn run(&self, who: As, narration: &str, args: &[&str], expect: i32) -> CommandResult {
        self.announce(&who, narration, args)?;
        let status = self
            .command(&who, args)
            .status()
            .map_err(|e| CommandError::general(format!("cannot run the demo step: {e}")))?;
        self.check(status.code(), expect, args)
    }

    /// Like `run`, but captures stdout (and shows it) for use in later steps.
    fn capture(&self, who: As, narration: &str, args: &[&str]) -> CommandResult<String> {
        self.announce(&who, narration, args)?;
        let Output { status, stdout, .. } = self
            .command(&who, args)
            .stdout(Stdio::piped())
            .output()
            .map_err(|e| CommandError::general(format!("cannot run the demo step: {e}")))?;
        let text = String::from_utf8_lossy(&stdout).trim().to_owned();
        self.say(&text)?;
        self.check(status.code(), 0, args)?;
        Ok(text)
    }

    fn command(&self, who: &As, args: &[&str]) -> Process {
        let (token, _) = self.identity(who);
        let mut command = Process::new(&self.exe);
        command
            .args(args)
            .env("SUPPORTCTL_SERVER", &self.url)
            .env("SUPPORTCTL_TOKEN", token)
            .env("SUPPORTCTL_CONFIG_DIR", &self.config_dir)
            .env_remove("SUPPORTCTL_PROFILE")
            .env_remove("SUPPORTCTL_ORG")
            .env_remove("SUPPORTCTL_SESSION_TOKEN");
        command
    }

    fn announce(&self, who: &As, narration: &str, args: &[&str]) -> CommandResult {
        let (_, email) = self.identity(who);
        let shown: Vec<String> = args.iter().map(|arg| quote(arg)).collect();
        self.say(&format!(
            "\n# {narration}\n# (as {email})\n$ supportctl {}",
            shown.join(" ")
        ))
    }

    fn say(&self, text: &str) -> CommandResult {
        Ok(self.ui.line(text)?)
    }

    fn check(&self, code: Option<i32>, expect: i32, args: &[&str]) -> CommandResult {
        if code == Some(expect) {
            if expect != 0 {
                self.say(&format!("(exit code {expect}, as expected)"))?;
            }
            Ok(())
        } else {
            Err(CommandError::general(format!(
                "demo step `supportctl {}` exited with {code:?}, expected {expect}",
                args.join(" ")
            )))
        }
    }
}

fn quote(arg: &str) -> String {
    if arg
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.,:/=@".contains(c))
    {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// Starts a server on a free loopback port in a thread of its own; stops when dropped.
struct EmbeddedServer {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for EmbeddedServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn start_server(db_url: String) -> CommandResult<(EmbeddedServer, String, DevTokens)> {
    let (ready_tx, ready_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let failed_tx = ready_tx.clone();
    let thread = std::thread::spawn(move || {
        let result = crate::server::runtime().and_then(|runtime| {
            runtime.block_on(async move {
                let config = ServerConfig {
                    listen: "127.0.0.1:0".parse().expect("a valid address"),
                    db_url,
                    policy: Policy::default(),
                    pool: PoolSettings::default(),
                    sweep_interval: std::time::Duration::from_secs(5),
                    request_timeout: std::time::Duration::from_secs(30),
                    tls: None,
                    auth_failures_per_minute: 20,
                    account_limits: Default::default(),
                    client_address_header: None,
                    max_connections: crate::server::DEFAULT_MAX_CONNECTIONS,
                    idle_timeout: crate::server::IDLE_TIMEOUT,
                    connections: Default::default(),
                    signing: Default::default(),
                    webhooks: Default::default(),
                    shutdown: Default::default(),
                    metrics: Default::default(),
                    sso: Default::default(),
                };
                let server = Server::bind(&config, Arc::new(SystemClock)).await?;
                // Whole seconds, like every stored time: a sub-second `at` would be hashed
                // differently from what the API returns, and `audit verify` would fail.
                let tokens = seed_dev(&server.store(), SystemClock.now()).await?;
                let url = server.url();
                let _ = ready_tx.send(Ok((url, tokens)));
                server
                    .serve(async {
                        let _ = stop_rx.await;
                    })
                    .await
            })
        });
        if let Err(error) = result {
            let _ = failed_tx.send(Err(error));
        }
    });
    let (url, tokens) = ready_rx
        .recv()
        .map_err(|_| CommandError::general("the demo server stopped before it started"))?
        .map_err(CommandError::from)?;
    Ok((
        EmbeddedServer {
            stop: Some(stop_tx),
            thread: Some(thread),
        },
        url,
        tokens,
    ))
}

pub fn run(context: &mut Context, _args: DemoArgs) -> CommandResult {
    let dir = tempfile::Builder::new()
        .prefix("supportctl-demo-")
        .tempdir()
        .map_err(|e| CommandError::general(format!("cannot create a temporary folder: {e}")))?;
    let (server, url, tokens) =
        start_server(format!("sqlite://{}", dir.path().join("demo.db").display()))?;
    let demo = Demo {
        ui: &context.ui,
        exe: std::env::current_exe()
            .map_err(|e| CommandError::general(format!("cannot find this program: {e}")))?,
        url: url.clone(),
        config_dir: dir.path().join("config"),
        tokens,
    };
    demo.say(&format!(
        "# A throwaway supportctl server runs at {url} with org '{DEV_ORG}',\n\
         # an admin of {DEV_ORG} ({DEV_ADMIN}) and a support engineer ({DEV_SUPPORT}).\n\
         # Each step below is a real command; the token comes from SUPPORTCTL_TOKEN."
    ))?;

    let grant_id = demo.capture(
        As::Admin,
        "The org admin grants support member access to chats and issues for 4 hours.",
        &[
            "grant",
            "create",
            "--level",
            "member",
            "--areas",
            "chats,issues",
            "--for",
            "4h",
            "--ticket",
            "SUP-4821",
            "--reason",
            "Ticket 4821: chat sync fails",
            "-q",
        ],
    )?;
    demo.run(
        As::Admin,
        "The admin lists what is active.",
        &["grant", "list"],
        0,
    )?;
    demo.run(
        As::Support,
        "The support engineer sees the grants they may use, across orgs.",
        &["grant", "list"],
        0,
    )?;
    let token = demo.capture(
        As::Support,
        "The engineer opens a short, read-only session on chats; -q prints only its token.",
        &[
            "session",
            "open",
            DEV_ORG,
            "--level",
            "read-only",
            "--areas",
            "chats",
            "--for",
            "30m",
            "--reason",
            "Reproduce the sync failure",
            "-q",
        ],
    )?;
    demo.run(
        As::Support,
        "What may this session do? (the platform asks the same with /v1/introspect)",
        &["session", "check", "--token", &token],
        0,
    )?;
    authorize_step(&demo, &token)?;
    demo.run(
        As::Support,
        "Or run a tool inside a session that closes itself when the tool ends.",
        &[
            "session",
            "exec",
            DEV_ORG,
            "--level",
            "read-only",
            "--areas",
            "chats",
            "--reason",
            "Export the failing thread",
            "--",
            "sh",
            "-c",
            "echo \"working in $SUPPORTCTL_SESSION_ID until $SUPPORTCTL_SESSION_EXPIRES_AT\"",
        ],
        0,
    )?;
    demo.run(
        As::Admin,
        "The issue is solved: the admin revokes the grant.",
        &["grant", "revoke", &grant_id, "--reason", "Solved", "--yes"],
        0,
    )?;
    demo.run(
        As::Support,
        "The session ended with the grant, at once: the check now fails with exit code 4.",
        &["session", "check", "--token", &token],
        4,
    )?;
    request_steps(&demo)?;
    demo.run(
        As::Admin,
        "Everything is in the org's audit log.",
        &["audit", "list"],
        0,
    )?;
    demo.run(
        As::Admin,
        "Anyone holding the log can recompute its hash chain.",
        &["audit", "verify"],
        0,
    )?;
    demo.say("\n# That is the whole job. Run your own server with `supportctl server --dev`.")?;
    drop(server);
    Ok(())
}

/// The other way in: the engineer asks, the admin approves, the engineer opens a session.
fn request_steps(demo: &Demo) -> CommandResult {
    demo.say("\n# The other way in: the engineer asks for access and the admin approves it.")?;
    let request_id = demo.capture(
        As::Support,
        "With no grant left, the engineer asks the org's admins for read-only access to chats.",
        &[
            "request",
            "create",
            DEV_ORG,
            "--level",
            "read-only",
            "--areas",
            "chats",
            "--for",
            "1h",
            "--ticket",
            "SUP-4822",
            "--reason",
            "Ticket 4822: missing messages",
            "-q",
        ],
    )?;
    demo.run(
        As::Admin,
        "The admin sees the pending request, with how long it has left.",
        &["request", "list"],
        0,
    )?;
    demo.run(
        As::Admin,
        "The admin approves it: a grant for that engineer alone, in the same transaction.",
        &[
            "request",
            "approve",
            &request_id,
            "--comment",
            "OK for an hour",
            "--yes",
        ],
        0,
    )?;
    demo.run(
        As::Support,
        "The engineer's wait ends at once (exit 0; 6 if denied, 8 if still pending).",
        &["request", "wait", &request_id, "--timeout", "1m"],
        0,
    )?;
    demo.run(
        As::Support,
        "And opens a session from the new grant.",
        &[
            "session",
            "open",
            DEV_ORG,
            "--level",
            "read-only",
            "--areas",
            "chats",
            "--reason",
            "Ticket 4822",
            "-q",
        ],
        0,
    )
}

/// The platform's question, shown as the curl call it stands for.
fn authorize_step(demo: &Demo, token: &str) -> CommandResult {
    demo.say("\n# The platform asks before touching data (as the service account):")?;
    demo.say(
        "$ curl -s -X POST $SUPPORTCTL_SERVER/v1/authorize -H \"Authorization: Bearer $SUPPORTCTL_SERVICE_TOKEN\" \\\n    -H 'Content-Type: application/json' -d '{\"token\": \"sst_...\", \"area\": \"chats\", \"action\": \"write\"}'",
    )?;
    let client = ApiClient::new(&ClientConfig {
        server: demo.url.clone(),
        token: Some(demo.tokens.service.clone()),
        allow_insecure_http: false,
        verbose: 0,
        ca_cert: None,
        timeout: None,
    })?;
    let answer = client.authorize(&AuthorizeRequest {
        token: token.to_owned(),
        area: Area::Chats,
        action: Action::Write,
        resource: Some("thread/8812".to_owned()),
    })?;
    demo.say(&serde_json::to_string(&answer).unwrap_or_default())?;
    Ok(())
}
