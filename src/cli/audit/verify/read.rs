//! What `audit verify` reads: the log (the server's pages, or an export) and the checkpoint
//! file, checked with a pinned or the server's verifier key.

use std::io::Read as _;
use std::path::Path;

use jiff::Timestamp;
use serde_json::Value;

use super::check::{Tracker, Verified, looks_filtered, same_chain};
use crate::api::AuditQuery;
use crate::api::chain::ChainBreak;
use crate::api::checkpoint::{ChainId, Checkpoint};
use crate::cli::audit::chain::{chain_of, page};
use crate::cli::audit::server_key::verifier_key;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult, ErrorKind};

/// What reading the log found: whose chain it is, where it breaks, and (for an export) why the
/// break looks like a filtered export rather than an altered log.
pub(super) struct Read {
    pub chain: Option<ChainId>,
    pub broken: Option<ChainBreak>,
    pub filtered: Option<String>,
}

/// An export, checked as it is read; its chain is its events' org.
pub(super) fn export(
    path: &Path,
    signed: Option<&Verified>,
    tracker: &mut Tracker,
) -> CommandResult<Read> {
    let events = read_export(path)?;
    let org = events
        .first()
        .and_then(|e| e.get("org"))
        .and_then(Value::as_str);
    if let Some(signed) = signed
        && !same_chain(&signed.checkpoint.chain, org)
    {
        return Err(CommandError::general(format!(
            "{} holds events of {}; the checkpoint is of another log: {}",
            path.display(),
            org.filter(|o| !o.is_empty())
                .map_or("the vendor chain".to_owned(), |o| format!("org {o}")),
            signed.checkpoint.chain
        )));
    }
    let broken = tracker.push_all(&events);
    // An export of part of the log (`audit list --action/--since`) is not a broken chain.
    let filtered = if broken.is_some() {
        looks_filtered(&events)
    } else {
        None
    };
    let chain = org.map(|o| {
        if o.is_empty() {
            ChainId::Vendor
        } else {
            ChainId::Org(o.to_owned())
        }
    });
    Ok(Read {
        chain,
        broken,
        filtered,
    })
}

/// The server's copy of the checkpoint's chain (else `--vendor`'s or the org's), page by page
/// up to its head or its first break.
pub(super) fn server(
    context: &mut Context,
    org: Option<&str>,
    vendor: bool,
    signed: Option<&Verified>,
    tracker: &mut Tracker,
) -> CommandResult<Read> {
    let mut connection = context.connect()?;
    let chain = match signed.map(|s| s.checkpoint.chain.clone()) {
        Some(chain) => chain,
        None => chain_of(&mut connection, org, vendor)?,
    };
    // How long the chain is shows only at its end: count, do not pretend a total.
    let bar = context.ui.spinner("Verifying", "events");
    let broken = loop {
        let after = tracker.verifier.summary().last_seq;
        let query = AuditQuery {
            after_seq: Some(after),
            limit: Some(1000),
            ..AuditQuery::default()
        };
        let page =
            page(&connection, &chain, &query).map_err(|error| of_another_log(error, signed))?;
        let found = tracker.push_all(&page.items);
        bar.set_position(tracker.verifier.summary().last_seq as u64);
        if found.is_some() || page.next_cursor.is_none() {
            break found;
        }
    };
    bar.finish_and_clear();
    Ok(Read {
        chain: Some(chain),
        broken,
        filtered: None,
    })
}

/// Reads the checkpoint file (`-` for stdin) and checks its signature with `pinned`, a
/// verifier key or a file holding one, or else with the key the server publishes.
pub(super) fn checkpoint(
    context: &mut Context,
    path: &Path,
    pinned: Option<&str>,
) -> CommandResult<Verified> {
    let (note, saved) = if path.as_os_str() == "-" {
        let mut note = String::new();
        std::io::stdin().read_to_string(&mut note)?;
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
    let key = verifier_key(context, pinned)?;
    let checkpoint = Checkpoint::open(&note, &key).map_err(|error| {
        let hint = if pinned.is_some() {
            "the checkpoint was not signed by the key you pinned, or was altered since"
        } else {
            "the checkpoint was not signed by the server's current key, or was altered since"
        };
        CommandError::general(format!("{}: {error}", path.display())).with_hint(hint)
    })?;
    Ok(Verified {
        checkpoint,
        saved,
        key,
    })
}

/// An export: a JSON array of events (`-`: stdin).
fn read_export(path: &Path) -> CommandResult<Vec<Value>> {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        text
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| CommandError::general(format!("cannot read {}: {e}", path.display())))?
    };
    serde_json::from_str(&text).map_err(|e| {
        CommandError::general(format!(
            "{} is not a JSON array of audit events: {e}",
            path.display()
        ))
    })
}

/// A checkpoint's log that this account may not read (another org's, or the vendor's for an
/// admin) is not one it can be checked against: a failed verification (exit 1), said as such,
/// not the 404 or 403 of reading it.
pub(super) fn of_another_log(error: CommandError, signed: Option<&Verified>) -> CommandError {
    match signed {
        Some(signed) if matches!(error.kind, ErrorKind::NotFound | ErrorKind::Forbidden) => {
            CommandError::general(format!(
                "the checkpoint is of another log: {}, which this account cannot read ({})",
                signed.checkpoint.chain, error.message
            ))
            .with_hint(
                "verify a checkpoint of your own org's log (`supportctl audit checkpoint`), or \
                 this one with an account of its org",
            )
        }
        _ => error,
    }
}
