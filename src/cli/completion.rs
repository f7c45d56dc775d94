//! Shell completions, and the committed completions and man pages (generated from the clap
//! definition by the hidden `generate-assets` command; a test fails when they are stale).

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use clap_complete::Shell;

use super::context::Context;
use super::error::{CommandError, CommandResult};
use super::io_error;

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
  supportctl completion bash > ~/.local/share/bash-completion/completions/supportctl
  supportctl completion zsh > \"${fpath[1]}/_supportctl\"
  supportctl completion fish > ~/.config/fish/completions/supportctl.fish")]
pub struct CompletionArgs {
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The repository root, where completions/ and man/ are written.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
}

pub fn completion(context: &mut Context, args: CompletionArgs) -> CommandResult {
    let mut buffer = Vec::new();
    clap_complete::generate(
        Shell::from(args.shell),
        &mut super::command(),
        "supportctl",
        &mut buffer,
    );
    context
        .ui
        .line(String::from_utf8_lossy(&buffer).trim_end())
        .map_err(io_error)
}

/// Every generated file, as (path relative to the repository root, content).
pub fn assets() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for shell in CompletionShell::value_variants() {
        let shell = Shell::from(*shell);
        let mut buffer = Vec::new();
        clap_complete::generate(shell, &mut super::command(), "supportctl", &mut buffer);
        files.push((
            Path::new("completions")
                .join(clap_complete::Generator::file_name(&shell, "supportctl")),
            buffer,
        ));
    }
    let mut command = super::command().disable_help_subcommand(true);
    command.build();
    collect_man_pages(&command, &mut files);
    files
}

fn collect_man_pages(command: &clap::Command, files: &mut Vec<(PathBuf, Vec<u8>)>) {
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect_man_pages(sub, files);
    }
    let man = clap_mangen::Man::new(command.clone());
    let mut buffer = Vec::new();
    man.render(&mut buffer)
        .expect("rendering to memory cannot fail");
    files.push((Path::new("man").join(man.get_filename()), buffer));
}

pub fn generate(context: &mut Context, args: GenerateArgs) -> CommandResult {
    let files = assets();
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
