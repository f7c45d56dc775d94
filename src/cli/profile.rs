//! `supportctl profile`: the profiles in `config.toml`, and which one is the default (like
//! `kubectl config use-context`).

use clap::{Args, Subcommand};
use serde::Serialize;

use super::config::{DEFAULT_PROFILE, Profile, TokenStorage};
use super::context::Context;
use super::error::{CommandError, CommandResult};
use crate::cli::ui::{Cell, Tabular};

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// List the profiles; `*` marks the one in use.
    #[command(visible_alias = "ls")]
    List,
    /// Make a profile the default for later commands (and set its default org).
    #[command(after_long_help = "Examples:
  supportctl profile use staging
  supportctl profile use support --org acme   # later commands act on acme
  supportctl profile use support --org ''     # no default org")]
    Use(UseArgs),
    /// Print the profile in use, and why (flag, environment or config).
    Current,
}

#[derive(Debug, Args)]
pub struct UseArgs {
    /// The profile (see `supportctl profile list`).
    #[arg(add = super::complete::profiles())]
    pub name: String,
    /// Also make ORG this profile's default org (an empty value clears it).
    #[arg(long, value_name = "ORG")]
    pub org: Option<String>,
}

/// A profile as `profile list` shows it.
#[derive(Serialize)]
struct Row {
    name: String,
    current: bool,
    #[serde(flatten)]
    profile: Profile,
}

impl Tabular for Row {
    fn headers() -> &'static [&'static str] {
        &[
            "", "PROFILE", "SERVER", "ACCOUNT", "ROLE", "ORG", "TOKEN IN",
        ]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            // Fixed: the column has no header, and free text would be cut to its width, none.
            Cell::fixed(if self.current { "*" } else { "" }),
            Cell::fixed(&self.name),
            Cell::text(&self.profile.server),
            Cell::fixed(self.profile.email.as_deref().unwrap_or_default()),
            Cell::opt(self.profile.role),
            Cell::opt(self.profile.org.as_ref()),
            Cell::text(match self.profile.token_storage {
                TokenStorage::Keyring => "keyring",
                TokenStorage::File => "file",
            }),
        ]
    }

    fn id(&self) -> &str {
        &self.name
    }

    fn drop_order() -> &'static [&'static str] {
        &["TOKEN IN", "ROLE", "ORG"]
    }
}

pub fn run(context: &mut Context, command: ProfileCommand) -> CommandResult {
    match command {
        ProfileCommand::List => list(context),
        ProfileCommand::Use(args) => use_profile(context, args),
        ProfileCommand::Current => current(context),
    }
}

fn list(context: &mut Context) -> CommandResult {
    let current = context.profile_name()?;
    let (_, config) = context.config()?;
    let rows: Vec<Row> = config
        .profiles
        .iter()
        .map(|(name, profile)| Row {
            name: name.clone(),
            current: *name == current,
            profile: profile.clone(),
        })
        .collect();
    if rows.is_empty() {
        context.ui.note("No profiles yet.");
        context
            .ui
            .hint("run `supportctl login --server URL` (with --profile NAME for a named one)");
        return Ok(());
    }
    Ok(context.ui.list(&rows)?)
}

fn use_profile(context: &mut Context, args: UseArgs) -> CommandResult {
    let dir = context.config_dir()?;
    let (_, config) = context.config()?;
    let Some(profile) = config.profiles.get_mut(&args.name) else {
        let known: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
        return Err(
            CommandError::not_found(format!("no profile '{}'", args.name)).with_hint(
                if known.is_empty() {
                    "run `supportctl login --profile NAME --server URL` to create one".to_owned()
                } else {
                    format!("the profiles are: {}", known.join(", "))
                },
            ),
        );
    };
    if let Some(org) = &args.org {
        profile.org = Some(org.trim().to_owned()).filter(|org| !org.is_empty());
    }
    let row = Row {
        name: args.name.clone(),
        current: true,
        profile: profile.clone(),
    };
    config.current_profile = Some(args.name.clone());
    config.save(&dir)?;
    let org = row
        .profile
        .org
        .as_ref()
        .map(|org| format!(", default org {org}"))
        .unwrap_or_default();
    context
        .ui
        .success_or_row(&format!("Using profile '{}'{org}", args.name), &row)?;
    if std::env::var_os("SUPPORTCTL_PROFILE").is_some_and(|v| !v.is_empty()) {
        context
            .ui
            .warn("SUPPORTCTL_PROFILE is set and wins over this choice; unset it");
    }
    Ok(())
}

fn current(context: &mut Context) -> CommandResult {
    let name = context.profile_name()?;
    let from_env = std::env::var("SUPPORTCTL_PROFILE")
        .ok()
        .filter(|v| !v.is_empty());
    let chosen = context.config()?.1.current_profile.is_some();
    let why = match (context.global.profile.as_deref(), from_env.as_deref()) {
        (Some(flag), Some(env)) if flag == env => "from SUPPORTCTL_PROFILE",
        (Some(_), _) => "from --profile",
        (None, _) if chosen => "set by `supportctl profile use`",
        (None, _) => "the default",
    };
    let exists = context.profile()?.is_some();
    if context.ui.format() == crate::cli::ui::OutputFormat::Json && !context.ui.quiet() {
        return Ok(context.ui.json(&serde_json::json!({
            "profile": name,
            "why": why,
            "logged_in": exists,
        }))?);
    }
    context.ui.line(&name)?;
    if !exists {
        context.ui.note(&format!(
            "({why}; not logged in: run `supportctl login{}`)",
            if name == DEFAULT_PROFILE {
                String::new()
            } else {
                format!(" --profile {name}")
            }
        ));
    } else {
        context.ui.note(&format!("({why})"));
    }
    Ok(())
}
