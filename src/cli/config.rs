//! Profiles in `config.toml`: where each one's server is and who it signs in as. Never a token.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{CommandError, CommandResult};
use crate::api::Role;

pub const DEFAULT_PROFILE: &str = "default";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The profile used when neither `--profile` nor `SUPPORTCTL_PROFILE` names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub server: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// Where this profile's token is: the OS keyring, or (only when asked) a 0600 file.
    #[serde(default)]
    pub token_storage: TokenStorage,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_insecure_http: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenStorage {
    #[default]
    Keyring,
    File,
}

/// The folder holding `config.toml`: `SUPPORTCTL_CONFIG_DIR`, else the XDG config dir.
pub fn config_dir() -> CommandResult<PathBuf> {
    if let Some(dir) = std::env::var_os("SUPPORTCTL_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    use etcetera::BaseStrategy;
    let strategy = etcetera::choose_base_strategy().map_err(|e| {
        CommandError::general(format!("cannot find your config folder: {e}"))
            .with_hint("set SUPPORTCTL_CONFIG_DIR")
    })?;
    Ok(strategy.config_dir().join("supportctl"))
}

impl Config {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join("config.toml")
    }

    /// Reads the config; a missing file is an empty config, a broken one an error that says where.
    pub fn load(dir: &Path) -> CommandResult<Config> {
        let path = Self::path(dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                CommandError::general(format!("cannot read {}: {e}", path.display()))
                    .with_hint("fix or remove the file; `supportctl login` writes a new one")
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(CommandError::general(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    /// Writes atomically (temporary file, then rename), so a crash never leaves half a config.
    pub fn save(&self, dir: &Path) -> CommandResult<()> {
        std::fs::create_dir_all(dir)
            .map_err(|e| CommandError::general(format!("cannot create {}: {e}", dir.display())))?;
        let text = toml::to_string_pretty(self)
            .map_err(|e| CommandError::general(format!("cannot write the config: {e}")))?;
        let path = Self::path(dir);
        write_atomically(&path, text.as_bytes(), None)
    }
}

/// Writes `path` through a temporary file in the same folder, with `mode` on Unix if given.
pub fn write_atomically(path: &Path, bytes: &[u8], mode: Option<u32>) -> CommandResult<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let fail =
        |e: std::io::Error| CommandError::general(format!("cannot write {}: {e}", path.display()));
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(fail)?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    file.write_all(bytes).map_err(fail)?;
    file.as_file().sync_all().map_err(fail)?;
    file.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}
