//! `supportctl profile use`: the default profile for later commands (and its default org).

use clap::Args;

use super::row::Row;
use crate::cli::candidates;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};

#[derive(Debug, Args)]
pub struct UseArgs {
    /// The profile (see `supportctl profile list`).
    #[arg(add = candidates::profiles())]
    pub name: String,
    /// Also make ORG this profile's default org (an empty value clears it).
    #[arg(long, value_name = "ORG")]
    pub org: Option<String>,
}

pub fn run(context: &mut Context, args: UseArgs) -> CommandResult {
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
