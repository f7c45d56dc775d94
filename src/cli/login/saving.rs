//! Where `login` keeps what it signed in with: the token in the keyring (or the 0600 file),
//! the profile in the config; shared by the token and the `--sso` ways in.

use crate::cli::config::{Profile, TokenStorage};
use crate::cli::context::{Context, credential_error};
use crate::cli::credentials::{TokenKey, TokenStore, profiles_sharing};
use crate::cli::error::CommandResult;

/// Where a login put its token, and whether its profile is the current one.
pub(super) struct Saved {
    pub(super) stored_in: String,
    name: String,
    current: Option<String>,
}

impl Saved {
    pub(super) fn hint_profile(&self, context: &mut Context) {
        let name = &self.name;
        if self.current.as_deref() != Some(name.as_str()) {
            context.ui.hint(&format!(
                "profile '{name}' is not the current one: pass --profile {name} or set SUPPORTCTL_PROFILE={name}"
            ));
        }
    }
}

/// Stores `token` of `account` for profile `name` (in the keyring unless
/// `--insecure-storage`), forgets an earlier login's token, and saves the profile.
pub(super) fn save(
    context: &mut Context,
    insecure_storage: bool,
    name: &str,
    existing: Option<Profile>,
    server: &str,
    token: &str,
    account: &crate::api::Account,
) -> CommandResult<Saved> {
    let name = name.to_owned();
    let server = server.to_owned();
    let config = context.client_config(server.clone(), None)?;
    let dir = context.config_dir()?;
    let storage = if insecure_storage {
        TokenStorage::File
    } else {
        TokenStorage::Keyring
    };
    let store = TokenStore::new(storage, &dir);
    let key = TokenKey::new(&name, &server, Some(&account.email));
    store.save(&key, token).map_err(credential_error)?;
    // The token of an earlier login must not linger: in the keyring under another server or
    // account, or in the keyring when it now goes to the file, or in the file when it now goes
    // to the keyring.
    if let Some(old) = existing.as_ref() {
        let old_key = TokenKey::new(&name, &old.server, old.email.as_deref());
        if old.token_storage == TokenStorage::Keyring
            && (storage == TokenStorage::File || old_key != key)
            && profiles_sharing(&context.config()?.1, &name, &old_key).is_empty()
        {
            let _ = TokenStore::Keyring.delete(&old_key);
        }
        let same_server = old.server.trim_end_matches('/') == server.trim_end_matches('/');
        if !same_server
            || old
                .email
                .as_deref()
                .is_some_and(|email| email != account.email)
        {
            context.ui.warn(&format!(
                "profile '{name}' was {} on {} and is now {} on {server}; use --profile NAME \
                 to keep both",
                old.email.as_deref().unwrap_or("another account"),
                old.server,
                account.email
            ));
        }
    }
    if storage == TokenStorage::Keyring {
        TokenStore::new(TokenStorage::File, &dir)
            .delete(&key)
            .map_err(credential_error)?;
    }
    let allow_insecure_http = config.allow_insecure_http && !server.starts_with("https://");
    let (_, config_file) = context.config()?;
    config_file.profiles.insert(
        name.clone(),
        Profile {
            server: server.clone(),
            email: Some(account.email.clone()),
            role: Some(account.role),
            org: account.org.clone(),
            token_storage: storage,
            allow_insecure_http,
        },
    );
    if config_file.current_profile.is_none() {
        config_file.current_profile = Some(name.clone());
    }
    let current = config_file.current_profile.clone();
    config_file.save(&dir)?;
    Ok(Saved {
        stored_in: store.describe(),
        name,
        current,
    })
}
