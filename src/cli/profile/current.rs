//! `supportctl profile current`: the profile in use, and why.

use crate::cli::config::DEFAULT_PROFILE;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

pub fn run(context: &mut Context) -> CommandResult {
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
