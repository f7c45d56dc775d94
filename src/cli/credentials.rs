//! Where account tokens live between commands: the OS keyring (on Linux the kernel keyutils
//! store, which works without a desktop session), or, only when asked, a file readable by its
//! owner alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::config::{Config, TokenStorage};

/// The keyring service under which tokens are stored, one entry per server and account.
const SERVICE: &str = "supportctl";

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("no usable OS keyring: {0}")]
    NoKeyring(String),
    #[error("the keyring refused: {0}")]
    Keyring(String),
    #[error("{0}")]
    File(String),
}

/// The OS keyring a process stores tokens in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyringKind {
    /// The freedesktop Secret Service (GNOME Keyring, KWallet, KeePassXC) over D-Bus.
    SecretService,
    /// The Linux kernel's keyutils store: needs no desktop session.
    KernelKeyutils,
}

impl std::fmt::Display for KeyringKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyringKind::SecretService => "Secret Service",
            KeyringKind::KernelKeyutils => "kernel keyutils",
        })
    }
}

/// Prepares the keyring once per process: the Secret Service where a D-Bus session offers
/// one, else the kernel keyutils store. `SUPPORTCTL_KEYRING=secret-service|keyutils` forces
/// a choice. For keyutils the process first joins a session keyring (creating one if it has
/// none); without that, keyutils cannot find keys across processes.
pub fn keyring_ready() -> Result<KeyringKind, CredentialError> {
    static READY: OnceLock<Result<KeyringKind, String>> = OnceLock::new();
    READY
        .get_or_init(|| {
            let forced = std::env::var("SUPPORTCTL_KEYRING").unwrap_or_default();
            match forced.as_str() {
                "" => {}
                "secret-service" => return secret_service(),
                "keyutils" => return keyutils(),
                other => {
                    return Err(format!(
                        "SUPPORTCTL_KEYRING={other} names no keyring; use secret-service or keyutils"
                    ));
                }
            }
            let has_dbus =
                std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty());
            match has_dbus.then(secret_service) {
                Some(Ok(kind)) => Ok(kind),
                _ => keyutils(),
            }
        })
        .clone()
        .map_err(CredentialError::NoKeyring)
}

#[cfg(target_os = "linux")]
fn secret_service() -> Result<KeyringKind, String> {
    let store = zbus_secret_service_keyring_store::Store::new()
        .map_err(|e| format!("no Secret Service on the D-Bus session: {e}"))?;
    keyring_core::set_default_store(store);
    Ok(KeyringKind::SecretService)
}

#[cfg(target_os = "linux")]
fn keyutils() -> Result<KeyringKind, String> {
    use linux_keyutils::{KeyRing, KeyRingIdentifier};
    KeyRing::from_special_id(KeyRingIdentifier::Session, true).map_err(|e| {
        format!("cannot join a session keyring ({e:?}); the kernel may forbid keyctl here")
    })?;
    let store = linux_keyutils_keyring_store::Store::new()
        .map_err(|e| format!("cannot open the keyutils store: {e}"))?;
    keyring_core::set_default_store(store);
    Ok(KeyringKind::KernelKeyutils)
}

#[cfg(not(target_os = "linux"))]
fn secret_service() -> Result<KeyringKind, String> {
    Err("this build knows no keyring for this platform".to_owned())
}

#[cfg(not(target_os = "linux"))]
fn keyutils() -> Result<KeyringKind, String> {
    Err("this build knows no keyring for this platform".to_owned())
}

/// "OS keyring (kernel keyutils)": which keyring, where one is usable.
pub fn keyring_label() -> String {
    match keyring_ready() {
        Ok(kind) => format!("OS keyring ({kind})"),
        Err(_) => "OS keyring".to_owned(),
    }
}

/// Where a profile's token lives: the OS keyring, or the owner-only file of a config dir.
pub enum TokenStore {
    Keyring,
    File(FileStore),
}

impl TokenStore {
    pub fn new(storage: TokenStorage, config_dir: &Path) -> Self {
        match storage {
            TokenStorage::Keyring => TokenStore::Keyring,
            TokenStorage::File => TokenStore::File(FileStore::new(config_dir)),
        }
    }

    /// The token stored for `key`.
    pub fn load(&self, key: &TokenKey) -> Result<Option<String>, CredentialError> {
        match self {
            TokenStore::Keyring => keyring_load(&key.keyring_name()),
            TokenStore::File(file) => file.load(&key.profile),
        }
    }

    pub fn save(&self, key: &TokenKey, token: &str) -> Result<(), CredentialError> {
        match self {
            TokenStore::Keyring => keyring_save(&key.keyring_name(), token),
            TokenStore::File(file) => file.save(&key.profile, token),
        }
    }

    /// Whether there was a token to delete.
    pub fn delete(&self, key: &TokenKey) -> Result<bool, CredentialError> {
        match self {
            TokenStore::Keyring => keyring_delete(&key.keyring_name()),
            TokenStore::File(file) => file.delete(&key.profile),
        }
    }

    /// Where the tokens are, in words: "the OS keyring (kernel keyutils)", or the file.
    pub fn describe(&self) -> String {
        match self {
            TokenStore::Keyring => format!("the {}", keyring_label()),
            TokenStore::File(file) => format!("{} (mode 0600)", file.path().display()),
        }
    }
}

/// Which stored token: a profile's, for its server and account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenKey {
    /// The profile's name: the key in a config dir's own credentials file.
    pub profile: String,
    pub server: String,
    /// The account's email, as the profile recorded it at login.
    pub account: Option<String>,
}

impl TokenKey {
    pub fn new(profile: &str, server: &str, account: Option<&str>) -> Self {
        TokenKey {
            profile: profile.to_owned(),
            server: server.trim_end_matches('/').to_owned(),
            account: account.map(str::to_owned),
        }
    }

    /// Whether both keys name one entry of the OS keyring (the same account on the same
    /// server): deleting one's token deletes the other's.
    pub fn shares_keyring_entry(&self, other: &TokenKey) -> bool {
        self.keyring_name() == other.keyring_name()
    }

    /// The keyring entry's name. The OS keyring is one per user, shared by every config dir:
    /// naming the server and the account (never the profile) means a token is only ever read
    /// back as the account it was stored for, on the server it was stored for, whatever
    /// another config dir's profile of the same name logged in as. A profile saved before
    /// accounts were recorded falls back to its old `profile@server` entry.
    fn keyring_name(&self) -> String {
        match &self.account {
            Some(account) => format!("{account} on {}", self.server),
            None => format!("{}@{}", self.profile, self.server),
        }
    }
}

fn entry(name: &str) -> Result<keyring_core::Entry, CredentialError> {
    keyring_ready()?;
    keyring_core::Entry::new(SERVICE, name).map_err(|e| CredentialError::NoKeyring(e.to_string()))
}

fn keyring_save(name: &str, token: &str) -> Result<(), CredentialError> {
    let entry = entry(name)?;
    entry.set_password(token).map_err(|e| match e {
        keyring_core::Error::NoStorageAccess(_) | keyring_core::Error::PlatformFailure(_) => {
            CredentialError::NoKeyring(e.to_string())
        }
        other => CredentialError::Keyring(other.to_string()),
    })?;
    // Read it back: a store that silently drops secrets must fail here, not at the next command.
    match entry.get_password() {
        Ok(stored) if stored == token => Ok(()),
        Ok(_) => Err(CredentialError::NoKeyring(
            "the keyring returned a different secret than was stored".into(),
        )),
        Err(e) => Err(CredentialError::NoKeyring(format!(
            "the keyring lost the token right after storing it: {e}"
        ))),
    }
}

fn keyring_load(name: &str) -> Result<Option<String>, CredentialError> {
    match entry(name)?.get_password() {
        Ok(token) => Ok(Some(token)),
        Err(keyring_core::Error::NoEntry) => Ok(None),
        Err(e) => Err(CredentialError::Keyring(e.to_string())),
    }
}

fn keyring_delete(name: &str) -> Result<bool, CredentialError> {
    match entry(name)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring_core::Error::NoEntry) => Ok(false),
        Err(e) => Err(CredentialError::Keyring(e.to_string())),
    }
}

/// `credentials.toml` beside `config.toml`, mode 0600: one token per profile.
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    pub fn new(config_dir: &Path) -> Self {
        FileStore {
            path: config_dir.join("credentials.toml"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<BTreeMap<String, String>, CredentialError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                CredentialError::File(format!("cannot read {}: {e}", self.path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(CredentialError::File(format!(
                "cannot read {}: {e}",
                self.path.display()
            ))),
        }
    }

    fn write(&self, tokens: &BTreeMap<String, String>) -> Result<(), CredentialError> {
        if tokens.is_empty() {
            return match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CredentialError::File(
                    format!("cannot remove {}: {e}", self.path.display()),
                )),
                _ => Ok(()),
            };
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                CredentialError::File(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let text = toml::to_string(tokens)
            .map_err(|e| CredentialError::File(format!("cannot encode credentials: {e}")))?;
        crate::cli::config::write_atomically(&self.path, text.as_bytes(), Some(0o600))
            .map_err(|e| CredentialError::File(e.message))
    }

    pub fn save(&self, profile: &str, token: &str) -> Result<(), CredentialError> {
        let mut tokens = self.read()?;
        tokens.insert(profile.to_owned(), token.to_owned());
        self.write(&tokens)
    }

    pub fn load(&self, profile: &str) -> Result<Option<String>, CredentialError> {
        Ok(self.read()?.remove(profile))
    }

    pub fn delete(&self, profile: &str) -> Result<bool, CredentialError> {
        let mut tokens = self.read()?;
        let removed = tokens.remove(profile).is_some();
        if removed {
            self.write(&tokens)?;
        }
        Ok(removed)
    }
}

/// The other profiles of `config` whose token is the keyring entry `key` names.
pub fn profiles_sharing(config: &Config, name: &str, key: &TokenKey) -> Vec<String> {
    config
        .profiles
        .iter()
        .filter(|(other, profile)| {
            *other != name
                && profile.token_storage == TokenStorage::Keyring
                && TokenKey::new(other, &profile.server, profile.email.as_deref())
                    .shares_keyring_entry(key)
        })
        .map(|(other, _)| other.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyring_entries_are_named_by_server_and_account_not_profile() {
        let admin = TokenKey::new("default", "http://127.0.0.1:8420/", Some("admin@acme.test"));
        let support = TokenKey::new("default", "http://127.0.0.1:8420", Some("support@x.test"));
        assert_eq!(
            admin.keyring_name(),
            "admin@acme.test on http://127.0.0.1:8420"
        );
        assert_ne!(admin.keyring_name(), support.keyring_name());
        let renamed = TokenKey::new("work", "http://127.0.0.1:8420", Some("admin@acme.test"));
        assert_eq!(admin.keyring_name(), renamed.keyring_name());
    }

    #[test]
    fn file_store_keeps_tokens_per_profile_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        store.save("default", "sat_one").unwrap();
        store.save("other", "sat_two").unwrap();
        assert_eq!(store.load("default").unwrap().as_deref(), Some("sat_one"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(store.delete("default").unwrap());
        assert_eq!(store.load("default").unwrap(), None);
        assert!(store.delete("other").unwrap());
        assert!(
            !store.path().exists(),
            "an empty store leaves no file behind"
        );
    }
}
