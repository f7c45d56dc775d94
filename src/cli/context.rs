//! Flags, environment and profile resolved into what a command runs with.
//! Precedence everywhere: flag, then environment, then profile.

use std::path::PathBuf;

use super::config::{Config, DEFAULT_PROFILE, Profile, config_dir};
use super::error::{CommandError, CommandResult, ErrorKind};
use super::global_args::GlobalArgs;
use crate::api::{Account, Role};
use crate::cli::client::{ApiClient, ClientConfig};
use crate::cli::credentials::{self, CredentialError, TokenKey, TokenStore};
use crate::cli::ui::Ui;

pub struct Context {
    pub ui: Ui,
    pub global: GlobalArgs,
    /// How long one API request may take; `None`: the client's default.
    pub request_timeout: Option<std::time::Duration>,
    config: Option<(PathBuf, Config)>,
}

/// Where the token in use came from (`status` shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    Environment,
    Keyring,
    File(PathBuf),
}

impl std::fmt::Display for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Environment => f.write_str("SUPPORTCTL_TOKEN"),
            TokenSource::Keyring => f.write_str(&credentials::keyring_label()),
            TokenSource::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

/// A client ready to call the API as the resolved account.
pub struct Connection {
    pub client: ApiClient,
    pub profile_name: String,
    pub profile: Option<Profile>,
    pub server: String,
    pub token_source: TokenSource,
    me: Option<Account>,
}

impl Connection {
    /// The calling account, asked of the server once.
    pub fn me(&mut self) -> CommandResult<&Account> {
        if self.me.is_none() {
            self.me = Some(self.client.me()?);
        }
        Ok(self.me.as_ref().expect("just set"))
    }

    /// The caller's role: from the profile when it was saved at login, else from the server.
    pub fn role(&mut self) -> CommandResult<Role> {
        if self.token_source != TokenSource::Environment
            && let Some(role) = self.profile.as_ref().and_then(|p| p.role)
        {
            return Ok(role);
        }
        Ok(self.me()?.role)
    }

    /// The org to act on: `--org`, `SUPPORTCTL_ORG`, the profile's, or the admin's own.
    pub fn org(&mut self, flag: Option<&str>) -> CommandResult<String> {
        if let Some(org) = flag {
            return Ok(org.to_owned());
        }
        if let Some(org) = std::env::var("SUPPORTCTL_ORG")
            .ok()
            .filter(|o| !o.is_empty())
        {
            return Ok(org);
        }
        if self.token_source != TokenSource::Environment
            && let Some(org) = self.profile.as_ref().and_then(|p| p.org.clone())
        {
            return Ok(org);
        }
        let me = self.me()?;
        match (me.org.clone(), me.role) {
            (Some(org), _) => Ok(org),
            // Only org admins act on an org's grants and audit log: saying "no org given" to
            // anyone else would send them looking for an org that would not help.
            (None, role) if role != Role::Admin => Err(CommandError::new(
                ErrorKind::Forbidden,
                format!("this command is for org admins; you are signed in as {role}"),
            )
            .with_hint(if role == Role::Support {
                "support engineers see their usable grants with `supportctl grant list` \
                 and open sessions with `supportctl session open ORG`"
            } else {
                "sign in with an org admin's token"
            })),
            (None, _) => Err(CommandError::usage("no org given")
                .with_hint("pass --org ORG or set SUPPORTCTL_ORG")),
        }
    }
}

impl Context {
    pub fn new(ui: Ui, global: GlobalArgs) -> Self {
        Context {
            ui,
            global,
            request_timeout: None,
            config: None,
        }
    }

    pub fn config_dir(&mut self) -> CommandResult<PathBuf> {
        Ok(self.config()?.0.clone())
    }

    pub fn config(&mut self) -> CommandResult<&mut (PathBuf, Config)> {
        if self.config.is_none() {
            let dir = config_dir()?;
            let config = Config::load(&dir)?;
            self.config = Some((dir, config));
        }
        Ok(self.config.as_mut().expect("just loaded"))
    }

    /// `--profile`, `SUPPORTCTL_PROFILE`, the config's current profile, or `default`.
    pub fn profile_name(&mut self) -> CommandResult<String> {
        if let Some(name) = &self.global.profile {
            return Ok(name.clone());
        }
        Ok(self
            .config()?
            .1
            .current_profile
            .clone()
            .unwrap_or_else(|| DEFAULT_PROFILE.to_owned()))
    }

    pub fn profile(&mut self) -> CommandResult<Option<Profile>> {
        let name = self.profile_name()?;
        Ok(self.config()?.1.profiles.get(&name).cloned())
    }

    /// The server URL: `--server`/`SUPPORTCTL_SERVER`, else the profile's.
    pub fn server(&mut self) -> CommandResult<String> {
        if let Some(server) = &self.global.server {
            return Ok(server.clone());
        }
        match self.profile()? {
            Some(profile) => Ok(profile.server),
            None => Err(self.missing_profile()?.unwrap_or_else(|| {
                CommandError::unauthenticated("no server configured").with_hint(
                    "run `supportctl login --server URL`, or set SUPPORTCTL_SERVER and \
                     SUPPORTCTL_TOKEN",
                )
            })),
        }
    }

    /// The profile in use is not in the config: when it was named (`--profile`,
    /// `SUPPORTCTL_PROFILE`) or other profiles exist, an error naming it and those that do;
    /// `None` for a config with no profiles at all.
    fn missing_profile(&mut self) -> CommandResult<Option<CommandError>> {
        let name = self.profile_name()?;
        let named = self.global.profile.is_some();
        let known: Vec<String> = self.config()?.1.profiles.keys().cloned().collect();
        let login = format!(
            "`supportctl login{}{}`",
            self.profile_flag(&name)?,
            if self.global.server.is_some() {
                ""
            } else {
                " --server URL"
            }
        );
        Ok(match (named, known.is_empty()) {
            (false, true) => None,
            (true, true) => Some(
                CommandError::unauthenticated(format!(
                    "not logged in: there is no profile '{name}'"
                ))
                .with_hint(format!("there are no profiles yet: run {login}")),
            ),
            (true, false) => Some(
                CommandError::unauthenticated(format!(
                    "not logged in: there is no profile '{name}'"
                ))
                .with_hint(format!(
                    "the profiles are: {}; run {login} to make this one",
                    known.join(", ")
                )),
            ),
            (false, false) => Some(
                CommandError::unauthenticated(format!(
                    "no profile is in use (there is no profile '{name}')"
                ))
                .with_hint(format!(
                    "the profiles are: {}; pass --profile NAME, or make one the default with \
                     `supportctl profile use NAME`",
                    known.join(", ")
                )),
            ),
        })
    }

    /// ` --profile NAME` for a command to suggest, unless that command finds NAME without it
    /// (it is `SUPPORTCTL_PROFILE`'s, or else the config's current or default profile).
    pub fn profile_flag(&mut self, name: &str) -> CommandResult<String> {
        let without_flag = match std::env::var("SUPPORTCTL_PROFILE") {
            Ok(from_env) if !from_env.is_empty() => from_env,
            _ => self
                .config()?
                .1
                .current_profile
                .clone()
                .unwrap_or_else(|| DEFAULT_PROFILE.to_owned()),
        };
        Ok(if name == without_flag {
            String::new()
        } else {
            format!(" --profile {name}")
        })
    }

    /// The token to use and where it came from.
    pub fn token(&mut self) -> CommandResult<(String, TokenSource)> {
        if let Some(token) = std::env::var("SUPPORTCTL_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
        {
            return Ok((token, TokenSource::Environment));
        }
        let name = self.profile_name()?;
        let flag = self.profile_flag(&name)?;
        let not_logged_in = || {
            CommandError::unauthenticated(format!("not logged in (profile '{name}')")).with_hint(
                format!("run `supportctl login{flag}`, or set SUPPORTCTL_TOKEN"),
            )
        };
        let Some(profile) = self.profile()? else {
            return Err(self.missing_profile()?.unwrap_or_else(not_logged_in));
        };
        // A stored token goes only to the server it was stored for: `--server` or
        // SUPPORTCTL_SERVER pointing elsewhere must not carry it there.
        let server = self.server()?;
        if !same_server(&profile.server, &server) {
            return Err(CommandError::unauthenticated(format!(
                "profile '{name}' is logged in to {}, not {server}",
                profile.server
            ))
            .with_hint(format!(
                "run `supportctl login --server {server}` (with --profile to keep both), \
                 or set SUPPORTCTL_TOKEN"
            )));
        }
        let store = TokenStore::new(profile.token_storage, &self.config_dir()?);
        let source = match &store {
            TokenStore::Keyring => TokenSource::Keyring,
            TokenStore::File(file) => TokenSource::File(file.path().to_owned()),
        };
        let loaded = store
            .load(&TokenKey::new(
                &name,
                &profile.server,
                profile.email.as_deref(),
            ))
            .map(|token| token.map(|token| (token, source)));
        match loaded {
            Ok(Some(found)) => Ok(found),
            Ok(None) => Err(not_logged_in()),
            // No keyring to read from is no token: exit 4, like any other missing login.
            Err(error @ CredentialError::NoKeyring(_)) => Err(credential_error(error)
                .with_exit(i32::from(ErrorKind::Unauthenticated.exit_code()))),
            Err(error) => Err(credential_error(error)),
        }
    }

    pub fn client_config(
        &mut self,
        server: String,
        token: Option<String>,
    ) -> CommandResult<ClientConfig> {
        let profile_allows = self
            .profile()?
            .is_some_and(|p| p.allow_insecure_http && same_server(&p.server, &server));
        Ok(ClientConfig {
            server,
            token,
            allow_insecure_http: self.global.allow_insecure_http || profile_allows,
            verbose: self.global.verbose,
            ca_cert: self.global.ca_cert.clone(),
            timeout: self.request_timeout,
        })
    }

    /// A client for the resolved server and token.
    pub fn connect(&mut self) -> CommandResult<Connection> {
        let server = self.server()?;
        let (token, token_source) = self.token()?;
        let config = self.client_config(server.clone(), Some(token))?;
        // The profile's saved role and org describe its own server's account only.
        let profile = self
            .profile()?
            .filter(|profile| same_server(&profile.server, &server));
        Ok(Connection {
            client: ApiClient::new(&config)?,
            profile_name: self.profile_name()?,
            profile,
            server,
            token_source,
            me: None,
        })
    }
}

/// Two spellings of one server URL (a trailing slash is not a different server).
fn same_server(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// A credential problem, with the ways out.
pub fn credential_error(error: CredentialError) -> CommandError {
    match error {
        CredentialError::NoKeyring(reason) => {
            CommandError::general(format!("no usable OS keyring: {reason}")).with_hint(
                "pass --insecure-storage to `supportctl login` to keep the token in a file \
                 readable only by you, or set SUPPORTCTL_TOKEN",
            )
        }
        other => CommandError::general(other.to_string()),
    }
}
