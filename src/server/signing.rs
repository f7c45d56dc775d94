//! The server's checkpoint signing key: Ed25519, in the signed-note private key format
//! (`PRIVATE+KEY+<name>+<key id>+<base64>`, which carries the key's name). It is kept in the
//! database, so that every replica signs with the same key, or in a file (`--signing-key`).
//! Whoever creates it first names it: `--name`, else the host name.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use jiff::Timestamp;
use signed_note::{Signer, StandardSigner};

use super::store::Store;
use crate::api::checkpoint::Checkpoint;

/// Where the signing key comes from (flags of `supportctl server` and `server init`).
#[derive(Debug, Clone, Default)]
pub struct SigningConfig {
    /// The key's name when this server creates it; a key that exists must have this name.
    pub name: Option<String>,
    /// Keep the key in this file (created when missing) instead of the database.
    pub key_file: Option<PathBuf>,
}

/// The key the server signs checkpoints with, and its published verifier key.
pub struct CheckpointSigner {
    signer: StandardSigner,
    verifier_key: String,
}

impl std::fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointSigner")
            .field("verifier_key", &self.verifier_key)
            .finish_non_exhaustive()
    }
}

impl CheckpointSigner {
    /// Reads a signer key in the signed-note format.
    pub fn from_signer_key(text: &str) -> anyhow::Result<CheckpointSigner> {
        let text = text.trim();
        let signer = StandardSigner::new(text)
            .map_err(|e| anyhow::anyhow!("not a signed-note Ed25519 private key: {e}"))?;
        // PRIVATE+KEY+<name>+<key id>+<base64>, whose base64 may hold '+' itself.
        let encoded = text.splitn(5, '+').nth(4).unwrap_or_default();
        let private = BASE64
            .decode(encoded)
            .context("not a signed-note Ed25519 private key")?;
        let key = ed25519_dalek::SigningKey::try_from(private.get(1..).unwrap_or_default())
            .map_err(|e| anyhow::anyhow!("not a signed-note Ed25519 private key: {e}"))?;
        let verifier_key =
            signed_note::new_ed25519_verifier_key(signer.name(), &key.verifying_key());
        Ok(CheckpointSigner {
            signer,
            verifier_key,
        })
    }

    /// A new random key named `name`, in the signed-note private key format.
    pub fn generate(name: &str) -> anyhow::Result<String> {
        if !signed_note::is_key_name_valid(name) {
            anyhow::bail!(
                "'{name}' cannot name a signing key: it must be non-empty, without spaces or '+' (pass --name)"
            );
        }
        let (signer_key, _) = signed_note::generate_key(&mut rand_core::OsRng, name);
        Ok(signer_key)
    }

    pub fn name(&self) -> &str {
        self.signer.name()
    }

    /// `<name>+<hex key id>+<base64(0x01 ‖ public key)>`.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// The signed note of `checkpoint`.
    pub fn sign(&self, checkpoint: &Checkpoint) -> anyhow::Result<String> {
        checkpoint
            .sign(&self.signer)
            .map_err(|e| anyhow::anyhow!("cannot sign the checkpoint: {e}"))
    }
}

/// The host name, the default name of a new key.
pub fn default_name() -> String {
    match whoami::hostname() {
        Ok(name) if signed_note::is_key_name_valid(&name) => name,
        _ => {
            tracing::warn!("no usable host name to name a new signing key; using 'supportctl'");
            "supportctl".to_owned()
        }
    }
}

/// Loads the signing key, creating it if there is none yet: in the key file when one is
/// configured, else in the database (insert-if-absent, then read back, so that replicas
/// starting together end up with one key).
pub async fn load(
    store: &Store,
    config: &SigningConfig,
    now: Timestamp,
) -> anyhow::Result<CheckpointSigner> {
    let new_key = || -> anyhow::Result<String> {
        match &config.name {
            Some(name) => CheckpointSigner::generate(name),
            None => CheckpointSigner::generate(&default_name()),
        }
    };
    let (signer, source) = match &config.key_file {
        Some(path) => (from_file(path, new_key)?, path.display().to_string()),
        None => {
            let stored = store
                .signing_key(&new_key()?, now)
                .await
                .context("cannot read or store the signing key")?;
            (
                CheckpointSigner::from_signer_key(&stored)
                    .context("the signing key in the database is damaged")?,
                "the database".to_owned(),
            )
        }
    };
    if let Some(name) = &config.name
        && name != signer.name()
    {
        anyhow::bail!(
            "the signing key in {source} is named '{}', not '{name}': start without --name, or \
             with --name {}, so that earlier checkpoints keep verifying",
            signer.name(),
            signer.name()
        );
    }
    Ok(signer)
}

/// Reads the key file, or creates it (readable by this user only) with a new key.
fn from_file(
    path: &Path,
    new_key: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<CheckpointSigner> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            refuse_if_others_may_read(path)?;
            CheckpointSigner::from_signer_key(&text)
                .with_context(|| format!("cannot use the signing key in {}", path.display()))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let key = new_key()?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).with_context(|| {
                format!("cannot create the signing key file {}", path.display())
            })?;
            writeln!(file, "{key}")
                .and_then(|()| file.sync_all())
                .with_context(|| format!("cannot write the signing key file {}", path.display()))?;
            tracing::info!(file = %path.display(), "created a new checkpoint signing key");
            CheckpointSigner::from_signer_key(&key)
        }
        Err(error) => Err(error)
            .with_context(|| format!("cannot read the signing key file {}", path.display())),
    }
}

/// A private key that others may read may already be theirs: like ssh with its private keys,
/// the server refuses to sign with one whose file is readable or writable by its group or
/// others, rather than sign checkpoints that anyone could forge.
#[cfg(unix)]
fn refuse_if_others_may_read(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .with_context(|| format!("cannot read the signing key file {}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        anyhow::bail!(
            "the signing key file {path} may be read by others (mode {mode:04o}): keep it \
             private with `chmod 600 {path}`, or, if others could have copied it, move it away \
             and start again to create a new key",
            path = path.display(),
            mode = mode & 0o7777
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_if_others_may_read(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verifier_key_is_derived_as_the_signed_note_format_says() {
        // The example key pair of Go's signed-note package.
        let signer = CheckpointSigner::from_signer_key(
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n",
        )
        .unwrap();
        assert_eq!(signer.name(), "PeterNeumann");
        assert_eq!(
            signer.verifier_key(),
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        );
    }

    #[test]
    fn generated_keys_are_named_and_distinct() {
        let a = CheckpointSigner::generate("replica.example").unwrap();
        let b = CheckpointSigner::generate("replica.example").unwrap();
        assert_ne!(a, b);
        let signer = CheckpointSigner::from_signer_key(&a).unwrap();
        assert!(signer.verifier_key().starts_with("replica.example+"));
        assert!(CheckpointSigner::generate("has space").is_err());
        assert!(CheckpointSigner::generate("a+b").is_err());
    }

    #[test]
    fn a_key_file_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing.key");
        let made = from_file(&path, || CheckpointSigner::generate("filed")).unwrap();
        let again = from_file(&path, || panic!("the file exists")).unwrap();
        assert_eq!(made.verifier_key(), again.verifier_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        assert!(from_file(&path, || panic!("the file exists")).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_may_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing.key");
        let made = from_file(&path, || CheckpointSigner::generate("filed")).unwrap();
        for mode in [0o644, 0o640, 0o604, 0o620] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let refused = from_file(&path, || panic!("the file exists"))
                .err()
                .unwrap_or_else(|| panic!("mode {mode:o} was accepted"))
                .to_string();
            assert!(refused.contains(&path.display().to_string()), "{refused}");
            assert!(
                refused.contains(&format!("chmod 600 {}", path.display())),
                "{refused}"
            );
            assert!(refused.contains(&format!("mode 0{mode:o}")), "{refused}");
        }
        // 0400 is private too.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        let again = from_file(&path, || panic!("the file exists")).unwrap();
        assert_eq!(made.verifier_key(), again.verifier_key());
    }
}
