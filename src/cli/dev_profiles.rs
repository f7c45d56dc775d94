//! What `server --dev` leaves for the command line: the `export` lines on stdout, and profiles
//! `dev-admin`, `dev-support`, `dev-operator` and `dev-service` in the config, their tokens
//! stored as `login` stores them, so that `supportctl --profile dev-admin grant list` works at
//! once. Without a usable keyring the tokens are only in the `export` lines.

use super::config::{Config, Profile, TokenStorage, config_dir};
use super::credentials::{CredentialError, TokenKey, TokenStore};
use super::error::{CommandError, CommandResult};
use super::ui::Ui;
use crate::api::Role;
use crate::server::dev::{DEV_ADMIN, DEV_OPERATOR, DEV_ORG, DEV_SERVICE, DEV_SUPPORT, DevTokens};

/// The profile names, in the order they are listed.
pub const DEV_PROFILES: [&str; 4] = ["dev-admin", "dev-support", "dev-operator", "dev-service"];

pub fn announce(ui: &Ui, url: &str, tokens: &DevTokens, insecure_storage: bool) -> CommandResult {
    ui.line(tokens.export_lines(url).trim_end())?;
    let storage = if insecure_storage {
        TokenStorage::File
    } else {
        TokenStorage::Keyring
    };
    match save_profiles(url, tokens, storage) {
        Ok(stored_in) => {
            ui.success(&format!(
                "Profiles {} point at this server; tokens stored in {stored_in}",
                DEV_PROFILES.join(", ")
            ));
            ui.hint("next, in another terminal: supportctl --profile dev-admin grant list");
        }
        Err(SaveError::NoKeyring(reason)) => {
            ui.note(&format!(
                "No dev profiles written: no usable OS keyring ({reason}); the tokens are only \
                 in the export lines above"
            ));
            ui.hint(
                "next, in another terminal: paste the export lines, then \
                 `SUPPORTCTL_TOKEN=$SUPPORTCTL_ADMIN_TOKEN supportctl grant list` \
                 (or restart with --insecure-storage to get profiles)",
            );
        }
        // The server is up and the export lines work: a config that cannot be written is
        // worth a warning, not the end of the server.
        Err(SaveError::Other(error)) => {
            ui.warn(&format!("No dev profiles written: {}", error.message));
            ui.hint("the export lines above still work: SUPPORTCTL_TOKEN=$SUPPORTCTL_ADMIN_TOKEN");
        }
    }
    Ok(())
}

enum SaveError {
    NoKeyring(String),
    Other(CommandError),
}

impl From<CommandError> for SaveError {
    fn from(error: CommandError) -> Self {
        SaveError::Other(error)
    }
}

impl From<CredentialError> for SaveError {
    fn from(error: CredentialError) -> Self {
        match error {
            CredentialError::NoKeyring(reason) => SaveError::NoKeyring(reason),
            other => SaveError::Other(CommandError::general(other.to_string())),
        }
    }
}

/// Stores each token, then writes the profiles; says where the tokens went.
fn save_profiles(
    url: &str,
    tokens: &DevTokens,
    storage: TokenStorage,
) -> Result<String, SaveError> {
    let dir = config_dir()?;
    let mut config = Config::load(&dir)?;
    let store = TokenStore::new(storage, &dir);
    let accounts = [
        (
            DEV_PROFILES[0],
            DEV_ADMIN,
            Role::Admin,
            Some(DEV_ORG),
            &tokens.admin,
        ),
        (
            DEV_PROFILES[1],
            DEV_SUPPORT,
            Role::Support,
            None,
            &tokens.support,
        ),
        (
            DEV_PROFILES[2],
            DEV_OPERATOR,
            Role::Operator,
            None,
            &tokens.operator,
        ),
        (
            DEV_PROFILES[3],
            DEV_SERVICE,
            Role::Service,
            None,
            &tokens.service,
        ),
    ];
    for (name, email, role, org, token) in accounts {
        let key = TokenKey::new(name, url, Some(email));
        store.save(&key, token)?;
        // An earlier dev server's token (another port, another database) is dead: drop it,
        // wherever it was kept.
        if let Some(old) = config.profiles.get(name) {
            let old_key = TokenKey::new(name, &old.server, old.email.as_deref());
            if old.token_storage == TokenStorage::Keyring && old_key != key {
                let _ = TokenStore::Keyring.delete(&old_key);
            }
            if old.token_storage == TokenStorage::File && storage == TokenStorage::Keyring {
                let _ = TokenStore::new(TokenStorage::File, &dir).delete(&old_key);
            }
        }
        config.profiles.insert(
            name.to_owned(),
            Profile {
                server: url.to_owned(),
                email: Some(email.to_owned()),
                role: Some(role),
                org: org.map(str::to_owned),
                token_storage: storage,
                allow_insecure_http: false,
            },
        );
    }
    config.save(&dir)?;
    Ok(store.describe())
}
