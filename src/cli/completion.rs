//! Shell completions, and the committed assets: completions and man pages (generated from the
//! clap definition) and `docs/openapi.json` (from the routes), written by the hidden
//! `generate-assets` command; a test fails when they are stale.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use clap_complete::Shell;

use super::context::Context;
use super::error::{CommandError, CommandResult, EXIT_CODES_HELP};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

impl From<CompletionShell> for Shell {
    fn from(shell: CompletionShell) -> Shell {
        match shell {
            CompletionShell::Bash => Shell::Bash,
            CompletionShell::Zsh => Shell::Zsh,
            CompletionShell::Fish => Shell::Fish,
            CompletionShell::Elvish => Shell::Elvish,
            CompletionShell::Powershell => Shell::PowerShell,
        }
    }
}

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:
  supportctl completion bash \\
      > ~/.local/share/bash-completion/completions/supportctl
  supportctl completion zsh > \"${fpath[1]}/_supportctl\"
  supportctl completion fish > ~/.config/fish/completions/supportctl.fish")]
pub struct CompletionArgs {
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The repository root, where completions/, man/ and docs/openapi.json are written.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
}

/// The command line as completions offer it: without hidden subcommands (the maintainers'
/// `generate-assets`). clap_complete offers hidden subcommands, and clap has no way to remove
/// one, so the root is re-assembled from the real one's arguments and visible subcommands.
fn completion_command(full: &clap::Command) -> clap::Command {
    let mut root = clap::Command::new("supportctl")
        .version(env!("CARGO_PKG_VERSION"))
        .propagate_version(true)
        .subcommand_required(full.is_subcommand_required_set())
        .arg_required_else_help(full.is_arg_required_else_help_set());
    if let Some(about) = full.get_about() {
        root = root.about(about.clone());
    }
    for arg in full.get_arguments() {
        root = root.arg(arg.clone());
    }
    for sub in full.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        root = root.subcommand(sub.clone());
    }
    root
}

fn render_completion(cli: &clap::Command, shell: Shell) -> Vec<u8> {
    let mut buffer = Vec::new();
    clap_complete::generate(
        shell,
        &mut completion_command(cli),
        "supportctl",
        &mut buffer,
    );
    buffer
}

pub fn completion(
    context: &mut Context,
    args: CompletionArgs,
    cli: &clap::Command,
) -> CommandResult {
    let buffer = render_completion(cli, Shell::from(args.shell));
    Ok(context
        .ui
        .line(String::from_utf8_lossy(&buffer).trim_end())?)
}

/// Every generated file, as (path relative to the repository root, content).
pub fn assets(cli: &clap::Command) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for shell in CompletionShell::value_variants() {
        let shell = Shell::from(*shell);
        files.push((
            Path::new("completions")
                .join(clap_complete::Generator::file_name(&shell, "supportctl")),
            render_completion(cli, shell),
        ));
    }
    let mut command = cli.clone().disable_help_subcommand(true);
    command.build();
    collect_man_pages(&command, &mut files);
    let mut openapi = crate::server::routes::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    openapi.push('\n');
    files.push((PathBuf::from("docs/openapi.json"), openapi.into_bytes()));
    files
}

fn collect_man_pages(command: &clap::Command, files: &mut Vec<(PathBuf, Vec<u8>)>) {
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect_man_pages(sub, files);
    }
    // clap_mangen sets the after-help text (examples, exit codes) as one filled paragraph
    // under "EXTRA", which reflows the examples and turns their dashes into hyphens. Render
    // it as proper sections instead, with the examples verbatim.
    let after_help = command
        .get_after_long_help()
        .or_else(|| command.get_after_help())
        .map(|text| text.to_string());
    let plain = command
        .clone()
        .after_help(clap::builder::Resettable::Reset)
        .after_long_help(clap::builder::Resettable::Reset);
    // The footer names the program, not the subcommand ("revoke 0.1.0").
    let man =
        clap_mangen::Man::new(plain).source(concat!("supportctl ", env!("CARGO_PKG_VERSION")));
    let mut buffer = Vec::new();
    man.render(&mut buffer)
        .expect("rendering to memory cannot fail");
    let mut page = String::from_utf8(buffer).expect("clap_mangen writes UTF-8");
    let mut text = after_help.unwrap_or_default();
    if !text.contains("Exit codes:") {
        text = format!("{text}\n\n{EXIT_CODES_HELP}");
    }
    let sections = roff_sections(&text)
        + &roff_list("ENVIRONMENT", &ENVIRONMENT)
        + &roff_list("FILES", &FILES);
    match page.find("\n.SH VERSION") {
        Some(at) => page.insert_str(at + 1, &sections),
        None => page.push_str(&sections),
    }
    files.push((Path::new("man").join(man.get_filename()), page.into_bytes()));
}

/// What the program reads from its environment, for every man page.
const ENVIRONMENT: [(&str, &str); 20] = [
    ("SUPPORTCTL_SERVER", "the server URL, as --server"),
    (
        "SUPPORTCTL_TOKEN",
        "the token to use, instead of the profile's stored one",
    ),
    ("SUPPORTCTL_PROFILE", "the profile to use, as --profile"),
    ("SUPPORTCTL_ORG", "the org to act on, as --org"),
    (
        "SUPPORTCTL_CONFIG_DIR",
        "the folder of config.toml [default: $XDG_CONFIG_HOME/supportctl]",
    ),
    (
        "SUPPORTCTL_CA_CERT",
        "extra CA certificates to trust, as --ca-cert",
    ),
    (
        "SUPPORTCTL_SESSION_TOKEN",
        "the session token `session check` checks",
    ),
    (
        "SUPPORTCTL_KEYRING",
        "secret-service or keyutils: the OS keyring tokens are kept in [default: the Secret \
         Service on a D-Bus session, else keyutils]",
    ),
    ("NO_COLOR", "no colour with --color auto"),
    (
        "CLICOLOR_FORCE",
        "colour with --color auto, even when not writing to a terminal",
    ),
    ("COLUMNS", "the width tables and help fit on a terminal"),
    (
        "COMPLETE",
        "bash, zsh, fish, elvish or powershell: print the script for dynamic completion, e.g. \
         source <(COMPLETE=bash supportctl)",
    ),
    (
        "XDG_CONFIG_HOME",
        "where the config folder is [default: ~/.config]",
    ),
    (
        "XDG_DATA_HOME",
        "where the server's default database is [default: ~/.local/share]",
    ),
    (
        "SUPPORTCTL_LOG, RUST_LOG",
        "the server's log filter, e.g. debug",
    ),
    (
        "SUPPORTCTL_LISTEN, SUPPORTCTL_DB",
        "the server's --listen and --db",
    ),
    (
        "SUPPORTCTL_SERVER_NAME, SUPPORTCTL_SIGNING_KEY",
        "the server's --name and --signing-key",
    ),
    (
        "SUPPORTCTL_CLIENT_ADDRESS_HEADER",
        "the server's --client-address-header",
    ),
    (
        "SUPPORTCTL_ALLOW_HTTP_WEBHOOKS",
        "the server's --allow-http-webhooks",
    ),
    (
        "SUPPORTCTL_ALLOW_PRIVATE_WEBHOOKS",
        "the server's --allow-private-webhooks",
    ),
];

/// Where the program keeps things, for every man page.
const FILES: [(&str, &str); 3] = [
    (
        "config.toml",
        "in $SUPPORTCTL_CONFIG_DIR, else $XDG_CONFIG_HOME/supportctl: the profiles, each \
         one's server, account, role and org; never a token",
    ),
    (
        "credentials.toml",
        "beside config.toml (mode 0600): the tokens of profiles logged in with \
         --insecure-storage (or `server --dev --insecure-storage`); other tokens are in the OS \
         keyring",
    ),
    (
        "$XDG_DATA_HOME/supportctl/supportctl.db",
        "the server's SQLite database when neither --db nor SUPPORTCTL_DB names one",
    ),
];

/// A man page section of terms, each with its filled description.
fn roff_list(title: &str, entries: &[(&str, &str)]) -> String {
    let mut out = format!(".SH \"{title}\"\n");
    for (term, description) in entries {
        out.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            roff_escape(term),
            roff_escape(description)
        ));
    }
    out
}

/// After-help text as man page sections: a paragraph headed `Examples:` or `Exit codes:`
/// becomes EXAMPLES or EXIT STATUS with its indented lines verbatim (no filling, without the
/// two spaces `--help` indents them by, since the section is indented already); any other
/// paragraph goes under NOTES.
fn roff_sections(text: &str) -> String {
    let mut out = String::new();
    let mut in_notes = false;
    for block in text.split("\n\n").filter(|block| !block.trim().is_empty()) {
        let mut lines = block.lines();
        let first = lines.next().unwrap_or_default();
        if !first.starts_with(' ') && first.ends_with(':') {
            let title = match first.trim_end_matches(':') {
                "Exit codes" => "EXIT STATUS".to_owned(),
                other => other.to_uppercase(),
            };
            out.push_str(&format!(".SH \"{title}\"\n.nf\n"));
            for line in lines {
                out.push_str(&roff_escape(line.strip_prefix("  ").unwrap_or(line)));
                out.push('\n');
            }
            out.push_str(".fi\n");
            in_notes = false;
        } else {
            if !in_notes {
                out.push_str(".SH NOTES\n");
                in_notes = true;
            }
            out.push_str(".PP\n");
            for line in block.lines() {
                out.push_str(&roff_escape(line.trim_start()));
                out.push('\n');
            }
        }
    }
    out
}

/// One line of text for roff: backslashes, dashes and quotes stay what they are (so examples
/// can be copied), and a line never starts a request.
fn roff_escape(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    if line.starts_with(['.', '\'']) {
        out.push_str("\\&");
    }
    for c in line.chars() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            '\'' => out.push_str("\\(aq"),
            '`' => out.push_str("\\(ga"),
            '^' => out.push_str("\\(ha"),
            '~' => out.push_str("\\(ti"),
            '"' => out.push_str("\\(dq"),
            other => out.push(other),
        }
    }
    out
}

pub fn generate(context: &mut Context, args: GenerateArgs, cli: &clap::Command) -> CommandResult {
    let files = assets(cli);
    for dir in ["completions", "man"] {
        let dir = args.out.join(dir);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| {
                CommandError::general(format!("cannot clear {}: {e}", dir.display()))
            })?;
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| CommandError::general(format!("cannot create {}: {e}", dir.display())))?;
    }
    for (path, content) in &files {
        let path = args.out.join(path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                CommandError::general(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        std::fs::write(&path, content)
            .map_err(|e| CommandError::general(format!("cannot write {}: {e}", path.display())))?;
    }
    context.ui.success(&format!(
        "Wrote {} files under {}",
        files.len(),
        args.out.display()
    ));
    Ok(())
}
