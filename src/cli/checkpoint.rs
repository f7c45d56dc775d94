//! `supportctl audit key`, `audit checkpoint`, and what `audit verify --checkpoint` needs: a
//! signed checkpoint opened with a pinned or fetched verifier key, and the verdict on a log.

use std::path::Path;

use clap::Args;
use jiff::Timestamp;

use super::context::Context;
use super::error::{CommandError, CommandResult};
use crate::api::chain::ChainSummary;
use crate::api::checkpoint::{ChainId, Checkpoint, Extension};
use crate::cli::client::ApiClient;
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// The org [default: SUPPORTCTL_ORG, the profile's, or your own]
    #[arg(long, value_name = "ORG", conflicts_with = "vendor", add = super::complete::orgs())]
    pub org: Option<String>,
    /// The vendor's own chain (operators).
    #[arg(long)]
    pub vendor: bool,
}

/// `audit key`: the server's verifier key, which anyone may fetch.
pub fn key(context: &mut Context) -> CommandResult {
    let key = fetch_key(context)?;
    if context.ui.format() == OutputFormat::Json && !context.ui.quiet() {
        return Ok(context.ui.json(&serde_json::json!({ "key": key.trim() }))?);
    }
    Ok(context.ui.line(key.trim())?)
}

/// `audit checkpoint`: the signed note, exactly as the server signed it.
pub fn checkpoint(context: &mut Context, args: CheckpointArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let note = if args.vendor {
        connection.client.checkpoint(None)?
    } else {
        let org = connection.org(args.org.as_deref())?;
        connection.client.checkpoint(Some(&org))?
    };
    if context.ui.format() == OutputFormat::Json && !context.ui.quiet() {
        return Ok(context
            .ui
            .json(&serde_json::json!({ "checkpoint": note }))?);
    }
    Ok(context.ui.line(note.strip_suffix('\n').unwrap_or(&note))?)
}

/// A checkpoint whose signature verified, and when its file was written.
pub struct Verified {
    pub checkpoint: Checkpoint,
    pub saved: Option<Timestamp>,
}

impl Verified {
    /// "saved 3h ago (seq 41)", as the tables say times, or "at seq 41" when the time is
    /// unknown: what follows "the checkpoint".
    pub fn when(&self) -> String {
        match self.saved {
            Some(at) => format!(
                "saved {} (seq {})",
                crate::cli::time::spoken_time(at),
                self.checkpoint.seq
            ),
            None => format!("at seq {}", self.checkpoint.seq),
        }
    }

    /// The log's standing to the checkpoint, as an error when it does not extend it.
    pub fn judge(&self, log: &ChainSummary, hash_at_seq: Option<&str>) -> CommandResult {
        let seq = self.checkpoint.seq;
        match self.checkpoint.compare(log, hash_at_seq) {
            Extension::Extends => Ok(()),
            Extension::Truncated { log_last_seq } => Err(CommandError::general(format!(
                "the log was truncated since the checkpoint {}: it ends at seq \
                 {log_last_seq}, the checkpoint's head is seq {seq}",
                self.when()
            ))
            .with_hint(if log_last_seq == 0 {
                "every event was removed; keep this checkpoint and the log as evidence".to_owned()
            } else {
                format!(
                    "events after seq {log_last_seq} were removed; keep this checkpoint and \
                     the log as evidence"
                )
            })),
            Extension::Rewritten => Err(CommandError::general(format!(
                "the log was rewritten since the checkpoint {}: its event at seq {seq} is \
                 not the one the checkpoint signed",
                self.when()
            ))
            .with_hint(
                "events up to that seq were replaced and the chain re-hashed; an earlier \
                 export shows where",
            )),
        }
    }
}

/// Reads the checkpoint file (`-` for stdin) and checks its signature with `pinned`, a
/// verifier key or a file holding one, or else with the key the server publishes.
pub fn open(context: &mut Context, path: &Path, pinned: Option<&str>) -> CommandResult<Verified> {
    let (note, saved) = if path.as_os_str() == "-" {
        let mut note = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut note)?;
        (note, None)
    } else {
        let note = std::fs::read_to_string(path)
            .map_err(|e| CommandError::general(format!("cannot read {}: {e}", path.display())))?;
        let saved = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| Timestamp::try_from(t).ok())
            .and_then(|t| Timestamp::from_second(t.as_second()).ok());
        (note, saved)
    };
    let key = match pinned {
        Some(key) => pinned_key(key)?,
        None => fetch_key(context)?,
    };
    let checkpoint = Checkpoint::open(&note, &key).map_err(|error| {
        let hint = if pinned.is_some() {
            "the checkpoint was not signed by the key you pinned, or was altered since"
        } else {
            "the checkpoint was not signed by the server's current key, or was altered since"
        };
        CommandError::general(format!("{}: {error}", path.display())).with_hint(hint)
    })?;
    Ok(Verified { checkpoint, saved })
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

fn fetch_key(context: &mut Context) -> CommandResult<String> {
    let server = context.server()?;
    let config = context.client_config(server, None)?;
    Ok(ApiClient::new(&config)?.audit_key()?)
}

/// Whether an export's events belong to the checkpoint's chain (vendor events have no org).
pub fn same_chain(chain: &ChainId, event_org: Option<&str>) -> bool {
    match (chain, event_org) {
        (_, None) => true,
        (ChainId::Org(org), Some(found)) => org == found,
        (ChainId::Vendor, Some(found)) => found.is_empty(),
    }
}
