//! The verifier key the server publishes, for `audit key` and `audit verify --checkpoint`.

use crate::cli::client::ApiClient;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};

/// The key as the server serves it, asked without a login.
pub(super) fn fetch_key(context: &mut Context) -> CommandResult<String> {
    let server = context.server()?;
    let config = context.client_config(server, None)?;
    Ok(ApiClient::new(&config)?.audit_key()?)
}

/// The key to check checkpoints with: `pinned` (`--key`: a verifier key, or a file holding
/// one), else the one the server publishes.
pub(super) fn verifier_key(context: &mut Context, pinned: Option<&str>) -> CommandResult<String> {
    match pinned {
        Some(key) => pinned_key(key),
        None => fetch_key(context),
    }
}

/// `--key`: a verifier key, or a file holding one.
fn pinned_key(value: &str) -> CommandResult<String> {
    let parsed = signed_note::StandardVerifier::new(value.trim());
    if parsed.is_ok() {
        return Ok(value.trim().to_owned());
    }
    match std::fs::read_to_string(value) {
        Ok(text) => Ok(text.trim().to_owned()),
        // A damaged key is as bad as a wrong one: exit 1, like a key that does not match.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let why = parsed.err().map(|e| e.to_string()).unwrap_or_default();
            Err(CommandError::general(format!(
                "--key {value}: neither a verifier key ({why}) nor a file"
            ))
            .with_hint("pin the key that `supportctl audit key` prints: NAME+KEYID+BASE64"))
        }
        Err(e) => Err(CommandError::general(format!("cannot read {value}: {e}"))),
    }
}
