//! The committed completions and man pages, `completion`, `--help`, and `demo`.

use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::common::cli::{Cli, std_command};
use crate::common::harness::TestServer;

const REGENERATE: &str = "rerun `cargo run -- generate-assets` and commit the result";

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_completions_and_man_pages_are_not_stale() {
    let generated = supportctl::cli::completion::assets(&supportctl::cli::command());
    let mut problems = Vec::new();
    for (path, content) in &generated {
        match std::fs::read(repository().join(path)) {
            Ok(on_disk) if on_disk == *content => {}
            Ok(_) => problems.push(format!("{} is stale", path.display())),
            Err(e) => problems.push(format!("{} is missing ({e})", path.display())),
        }
    }
    let expected: BTreeSet<&PathBuf> = generated.iter().map(|(path, _)| path).collect();
    for dir in ["completions", "man"] {
        let Ok(entries) = std::fs::read_dir(repository().join(dir)) else {
            continue;
        };
        for entry in entries {
            let path = Path::new(dir).join(entry.unwrap().file_name());
            if !expected.contains(&path) {
                problems.push(format!("{} is no longer generated", path.display()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "generated assets differ from the clap definition:\n  {}\n{REGENERATE}",
        problems.join("\n  ")
    );
}

#[test]
fn committed_openapi_document_is_the_one_the_server_serves() {
    let committed = std::fs::read_to_string(repository().join("docs/openapi.json"))
        .unwrap_or_else(|e| panic!("docs/openapi.json is missing ({e}); {REGENERATE}"));
    let committed: serde_json::Value =
        serde_json::from_str(&committed).expect("docs/openapi.json is JSON");
    let server = TestServer::start();
    let served = server.anonymous().get("/v1/openapi.json");
    assert_eq!(served.status, 200);
    assert!(
        committed == served.body,
        "docs/openapi.json differs from GET /v1/openapi.json; {REGENERATE}"
    );
}

/// Every visible command path: `["grant", "create"]`, ...
fn visible_commands(command: &clap::Command, path: &mut Vec<String>, all: &mut Vec<Vec<String>>) {
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.get_name() == "help" {
            continue;
        }
        path.push(sub.get_name().to_owned());
        all.push(path.clone());
        visible_commands(sub, path, all);
        path.pop();
    }
}

fn all_commands() -> Vec<Vec<String>> {
    let mut all = Vec::new();
    visible_commands(&supportctl::cli::command(), &mut Vec::new(), &mut all);
    all
}

#[test]
fn assets_cover_every_shell_and_every_visible_command_only() {
    let generated = supportctl::cli::completion::assets(&supportctl::cli::command());
    let paths: BTreeSet<String> = generated
        .iter()
        .map(|(path, _)| path.display().to_string())
        .collect();
    for completion in [
        "completions/supportctl.bash",
        "completions/_supportctl",
        "completions/supportctl.fish",
        "completions/supportctl.elv",
        "completions/_supportctl.ps1",
        "man/supportctl.1",
        "docs/openapi.json",
    ] {
        assert!(paths.contains(completion), "{completion} is not generated");
    }
    for command in all_commands() {
        let page = format!("man/supportctl-{}.1", command.join("-"));
        assert!(paths.contains(&page), "no man page {page}");
    }
    assert_eq!(paths.len(), 5 + 1 + 1 + all_commands().len(), "{paths:#?}");
    // The maintainers' hidden command is offered nowhere.
    for (path, content) in &generated {
        assert!(
            !String::from_utf8_lossy(content).contains("generate-assets"),
            "{} offers the hidden generate-assets command",
            path.display()
        );
    }
    // The main page documents the exit codes, and examples stay copyable (ASCII dashes).
    let (_, main_page) = generated
        .iter()
        .find(|(path, _)| path.ends_with("supportctl.1"))
        .unwrap();
    let main_page = String::from_utf8_lossy(main_page);
    assert!(main_page.contains(".SH \"EXIT STATUS\""), "{main_page}");
    assert!(main_page.contains("\\-\\-reason"), "{main_page}");
}

#[test]
fn completion_prints_the_committed_scripts() {
    let server = TestServer::start();
    for (shell, file) in [
        ("bash", "supportctl.bash"),
        ("zsh", "_supportctl"),
        ("fish", "supportctl.fish"),
        ("elvish", "supportctl.elv"),
        ("powershell", "_supportctl.ps1"),
    ] {
        let out = server.as_nobody().args(["completion", shell]).ok();
        let committed = std::fs::read_to_string(repository().join("completions").join(file))
            .unwrap_or_else(|e| panic!("completions/{file}: {e}; {REGENERATE}"));
        assert_eq!(
            out.stdout.trim_end(),
            committed.trim_end(),
            "`supportctl completion {shell}` differs from completions/{file}; {REGENERATE}"
        );
    }
    server.as_nobody().args(["completion", "tcsh"]).code(2);
    // The bash script at least parses.
    if let Ok(status) = std::process::Command::new("bash")
        .arg("-n")
        .arg(repository().join("completions/supportctl.bash"))
        .status()
    {
        assert!(
            status.success(),
            "completions/supportctl.bash is not valid bash"
        );
    }
}

#[test]
fn every_command_has_help() {
    supportctl::cli::command().debug_assert();
    let server = TestServer::start();
    for command in all_commands() {
        server
            .as_nobody()
            .args(&command)
            .arg("--help")
            .ok()
            .stdout_has("Usage: supportctl");
        server.as_nobody().args(&command).arg("-h").ok();
    }
    let out = server.as_nobody().arg("--help").ok();
    out.stdout_has("Examples:").stdout_has("Exit codes:");
    server
        .as_nobody()
        .arg("--version")
        .ok()
        .stdout_has(env!("CARGO_PKG_VERSION"));
}

#[test]
fn demo_runs_the_whole_job_end_to_end() {
    let server = TestServer::start();
    let out = server.as_nobody().arg("demo").ok();
    out.stdout_has("$ supportctl grant create")
        .stdout_has("(exit code 4, as expected)")
        .stdout_has("That is the whole job");
    out.stderr_has("verifies");
}

#[test]
fn demo_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std_command("http://127.0.0.1:9", "", dir.path())
        .arg("demo")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, then close the pipe, like `supportctl demo | head -1`.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        first.starts_with("# A throwaway supportctl server"),
        "{first}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("stack backtrace"),
        "{stderr}"
    );
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

fn after_help(command: &clap::Command) -> String {
    command
        .get_after_long_help()
        .or_else(|| command.get_after_help())
        .map(|text| text.to_string())
        .unwrap_or_default()
}

/// The lines under `Examples:` and `Exit codes:` headings of a command's after-help: they must
/// reach the reader whole, never re-wrapped.
fn verbatim_lines(command: &clap::Command) -> Vec<String> {
    let mut lines = Vec::new();
    for block in after_help(command).split("\n\n") {
        let mut block_lines = block.lines();
        let Some(first) = block_lines.next() else {
            continue;
        };
        if !first.starts_with(' ') && first.ends_with(':') {
            lines.extend(block_lines.map(|line| line.trim_end().to_owned()));
        }
    }
    lines
}

/// The after-help's prose paragraphs: one line each, which clap wraps to the terminal (a line
/// break written into one leaves a ragged short line wherever the terminal is narrower).
fn broken_prose(command: &clap::Command) -> Vec<String> {
    after_help(command)
        .split("\n\n")
        .filter(|block| {
            let first = block.lines().next().unwrap_or_default();
            !(first.starts_with(' ') || first.ends_with(':')) && block.trim().contains('\n')
        })
        .map(str::to_owned)
        .collect()
}

fn subcommand<'a>(root: &'a clap::Command, path: &[String]) -> &'a clap::Command {
    path.iter()
        .fold(root, |command, name| command.find_subcommand(name).unwrap())
}

fn wider_than_80(what: &str, text: &str, problems: &mut Vec<String>) {
    for line in text.lines() {
        if line.chars().count() > 80 {
            problems.push(format!("{what}: {} columns: {line}", line.chars().count()));
        }
    }
}

#[test]
fn every_help_fits_80_columns_with_its_examples_whole() {
    let root = supportctl::cli::command();
    let dir = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    let mut paths = all_commands();
    paths.push(Vec::new());
    for path in paths {
        let output = std_command("http://127.0.0.1:9", "", dir.path())
            .env("COLUMNS", "80")
            .args(&path)
            .arg("--help")
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&output.stdout);
        let what = format!("supportctl {} --help", path.join(" "));
        wider_than_80(&what, &help, &mut problems);
        let shown: BTreeSet<&str> = help.lines().map(str::trim_end).collect();
        for line in verbatim_lines(subcommand(&root, &path)) {
            if !shown.contains(line.as_str()) {
                problems.push(format!("{what}: broken or missing example: {line}"));
            }
        }
        for paragraph in broken_prose(subcommand(&root, &path)) {
            problems.push(format!("{what}: a paragraph with line breaks: {paragraph}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// groff's rendering of a man page, as `man` shows it at `width` columns (no bold, no
/// underlining).
fn render_man_page(page: &[u8], width: usize) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-P-cbou", &format!("-rLL={width}n")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("groff renders the man pages here: install it (apt-get install groff-base)");
    child.stdin.take().unwrap().write_all(page).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn every_man_page_fits_80_columns_with_its_examples_whole() {
    let root = supportctl::cli::command();
    let pages: std::collections::BTreeMap<PathBuf, Vec<u8>> =
        supportctl::cli::completion::assets(&supportctl::cli::command())
            .into_iter()
            .collect();
    let mut problems = Vec::new();
    let mut paths = all_commands();
    paths.push(Vec::new());
    for path in paths {
        let name = ["supportctl".to_owned()]
            .into_iter()
            .chain(path.iter().cloned())
            .collect::<Vec<_>>()
            .join("-");
        let page = &pages[&Path::new("man").join(format!("{name}.1"))];
        let shown = render_man_page(page, 80);
        wider_than_80(&name, &shown, &mut problems);
        // Dashes and quotes as typed: groff may draw them with other characters.
        let plain = shown
            .replace(['\u{2010}', '\u{2212}'], "-")
            .replace(['\u{2018}', '\u{2019}'], "'");
        let shown: BTreeSet<&str> = plain.lines().map(str::trim).collect();
        for line in verbatim_lines(subcommand(&root, &path)) {
            if !shown.contains(line.trim()) {
                problems.push(format!("{name}.1: broken or missing example: {line}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
