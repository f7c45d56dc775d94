//! `supportctl logout`: forget a profile, and its stored token unless another profile uses it.

use clap::Args;

use crate::cli::config::{Config, TokenStorage};
use crate::cli::context::{Context, credential_error};
use crate::cli::credentials::{TokenKey, TokenStore, profiles_sharing};
use crate::cli::error::CommandResult;
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct LogoutArgs {}

pub fn run(context: &mut Context, _args: LogoutArgs) -> CommandResult {
    let name = context.profile_name()?;
    let dir = context.config_dir()?;
    let Some(profile) = context.profile()? else {
        context
            .ui
            .note(&format!("Not logged in (profile '{name}')."));
        return Ok(());
    };
    let key = TokenKey::new(&name, &profile.server, profile.email.as_deref());
    let store = TokenStore::new(profile.token_storage, &dir);
    let (_, config) = context.config()?;
    let sharing = match profile.token_storage {
        TokenStorage::Keyring => profiles_sharing(config, &name, &key),
        // The file keeps one token per profile.
        TokenStorage::File => Vec::new(),
    };
    let token = if sharing.is_empty() {
        if store.delete(&key).map_err(credential_error)? {
            format!("removed its token from {}", store.describe())
        } else {
            format!("it had no token in {}", store.describe())
        }
    } else {
        format!(
            "its token stays in {}: {} {} it too (the same account on the same server)",
            store.describe(),
            sharing
                .iter()
                .map(|other| format!("profile '{other}'"))
                .collect::<Vec<_>>()
                .join(", "),
            if sharing.len() == 1 { "uses" } else { "use" }
        )
    };
    config.profiles.remove(&name);
    if config.current_profile.as_deref() == Some(name.as_str()) {
        config.current_profile = None;
    }
    config.save(&dir)?;
    context.ui.success(&format!(
        "Logged out of {} (profile '{name}'): {token}, and the profile from {}",
        profile.server,
        Config::path(&dir).display()
    ));
    let flag = context.profile_flag(&name)?;
    context.ui.hint(&format!(
        "to log in again: supportctl login{flag} --server {}",
        profile.server
    ));
    if context.ui.format() == OutputFormat::Json && !context.ui.quiet() {
        context.ui.json(&serde_json::json!({
            "profile": name,
            "server": profile.server,
            "logged_out": true,
        }))?;
    }
    Ok(())
}
