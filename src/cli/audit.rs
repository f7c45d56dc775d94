//! `supportctl audit`: read, follow and verify an org's audit log or the vendor's, and keep
//! signed checkpoints of them (`checkpoint.rs`).

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::Value;

use super::args::{ListLimit, OrgArg};
use super::checkpoint::{self, CheckpointArgs};
use super::context::{Connection, Context};
use super::error::{CommandError, CommandResult, ErrorKind};
use super::time::parse_since;
use crate::api::chain::{ChainBreak, ChainVerifier};
use crate::api::checkpoint::ChainId;
use crate::api::{AuditEvent, AuditQuery, Page};
use crate::cli::ui::OutputFormat;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List the org's audit events, oldest first.
    #[command(after_long_help = "Examples:
  supportctl audit list --since 24h
  supportctl audit list --action access.denied --all -o json | jq length
  supportctl audit list --follow -o json   # one event a line, as they come
  supportctl audit list --all -o json > audit.json
  supportctl audit verify --file audit.json")]
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Recompute the hash chain; exit 1 at the first break, saying where.
    ///
    /// With --checkpoint, also exit 1 if the log was truncated or rewritten since that
    /// checkpoint was taken: the log must still hold the checkpoint's event at its seq, and
    /// chain on from it to the head.
    #[command(after_long_help = "Examples:
  supportctl audit verify                  # fetch the whole log, check it
  supportctl audit verify --file audit.json    # an export, offline
  supportctl audit verify --checkpoint acme.checkpoint \\
      --key \"$(cat server.key)\"
  supportctl audit verify --file audit.json --checkpoint acme.checkpoint \\
      --key server.key")]
    Verify(VerifyArgs),
    /// Print a checkpoint of the log, signed by the server.
    ///
    /// Keep it (e.g. daily, from cron): `audit verify --checkpoint FILE` proves later that the
    /// log was not cut short or rewritten since.
    #[command(after_long_help = "Examples:
  supportctl audit checkpoint > acme-$(date +%F).checkpoint
  supportctl audit checkpoint --vendor > vendor.checkpoint   # operators")]
    Checkpoint(CheckpointArgs),
    /// Print the server's verifier key, which checks its checkpoints (no login needed).
    #[command(after_long_help = "Examples:
  supportctl audit key > server.key     # pin it, then verify with --key")]
    Key,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Only events since a duration ago (24h) or a time (RFC 3339).
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only events with this action, e.g. grant.revoked or access.denied.
    #[arg(long, value_name = "ACTION", add = super::complete::actions(),
          value_parser = clap::builder::PossibleValuesParser::new(crate::api::AUDIT_ACTIONS),
          hide_possible_values = true)]
    pub action: Option<String>,
    #[command(flatten)]
    pub limit: ListLimit,
    /// The vendor's own log (operators): accounts outside any org, and orgs themselves.
    #[arg(long, conflicts_with = "org")]
    pub vendor: bool,
    /// Print new events as they happen, one line each, until interrupted (reconnects when the
    /// server goes away, resuming after the last event printed).
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// With --follow: first print the last N events, for context.
    #[arg(long, value_name = "N", default_value_t = 0, requires = "follow")]
    pub tail: usize,
    /// How often --follow asks for new events.
    #[arg(long, default_value = "2s", value_name = "DURATION", hide = true)]
    pub interval: humantime::Duration,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// The vendor's own log (operators).
    #[arg(long, conflicts_with = "org")]
    pub vendor: bool,
    /// Verify an export (a JSON array from `audit list --all -o json`; `-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// A checkpoint from `audit checkpoint`: also prove that the log still holds its event
    /// and extends it (its org, or the vendor's log, is the one checked).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// The verifier key to check the checkpoint with (from `audit key`), or a file holding
    /// it [default: fetched from the server]
    #[arg(long, value_name = "VKEY", requires = "checkpoint")]
    pub key: Option<String>,
}

pub fn run(context: &mut Context, command: AuditCommand) -> CommandResult {
    match command {
        AuditCommand::List(args) => list(context, args),
        AuditCommand::Verify(args) => verify(context, args),
        AuditCommand::Checkpoint(args) => checkpoint::checkpoint(context, args),
        AuditCommand::Key => checkpoint::key(context),
    }
}

/// The chain a command reads: `--vendor`, else the org.
fn chain_of(
    connection: &mut Connection,
    org: Option<&str>,
    vendor: bool,
) -> CommandResult<ChainId> {
    if vendor {
        Ok(ChainId::Vendor)
    } else {
        Ok(ChainId::Org(connection.org(org)?))
    }
}

/// One page of a chain's events.
fn page(
    connection: &Connection,
    chain: &ChainId,
    query: &AuditQuery,
) -> CommandResult<Page<Value>> {
    Ok(match chain {
        ChainId::Org(org) => connection.client.audit_page(org, query)?,
        ChainId::Vendor => connection.client.vendor_audit_page(query)?,
    })
}

fn list(context: &mut Context, args: ListArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let chain = chain_of(&mut connection, args.org.org.as_deref(), args.vendor)?;
    let since = args
        .since
        .as_deref()
        .map(|since| parse_since(since, jiff::Timestamp::now()))
        .transpose()
        .map_err(CommandError::usage)?;
    let query = AuditQuery {
        since,
        action: args.action.clone(),
        ..AuditQuery::default()
    };
    // The server pages oldest first: read to the end, keep the newest.
    let mut events = fetch(&connection, &chain, &query, 0, None)?;
    let mut last_seq = seq_of(events.last()).unwrap_or(0);
    if !args.follow {
        let total = events.len();
        if let Some(max) = args.limit.max()
            && total > max
        {
            events.drain(..total - max);
            context.ui.note(&format!(
                "showing the newest {max} of {total} events; --all for every one, --limit N for more"
            ));
        }
        return print_events(context, &events, false);
    }
    events.drain(..events.len().saturating_sub(args.tail));
    context.ui.note(&format!(
        "Following {} (Ctrl-C to stop)...",
        match &chain {
            ChainId::Org(org) => format!("{org}'s audit log"),
            ChainId::Vendor => "the vendor's audit log".to_owned(),
        }
    ));
    follow_print(context, &events)?;
    let mut lost = false;
    loop {
        std::thread::sleep(*args.interval);
        let new = match fetch(&connection, &chain, &query, last_seq, None) {
            Ok(new) => new,
            Err(error) if error.kind == ErrorKind::Unavailable => {
                if !lost {
                    context.ui.warn(&format!(
                        "{}; retrying (from event {last_seq} on)",
                        error.message
                    ));
                }
                lost = true;
                continue;
            }
            Err(error) => return Err(error),
        };
        if lost {
            context.ui.note("Reconnected.");
            lost = false;
        }
        last_seq = seq_of(new.last()).unwrap_or(last_seq);
        follow_print(context, &new)?;
    }
}

fn seq_of(event: Option<&Value>) -> Option<i64> {
    event.and_then(|e| e.get("seq")).and_then(Value::as_i64)
}

/// While following: one line per event as it arrives (no table header per batch); on a
/// terminal "14:03:07  12  grant.revoked  admin@acme.test  gr_…  reason=…", local time.
fn follow_print(context: &mut Context, events: &[Value]) -> CommandResult {
    if context.ui.format() != OutputFormat::Table || context.ui.quiet() {
        return print_events(context, events, true);
    }
    for event in events {
        let event: AuditEvent = serde_json::from_value(event.clone()).map_err(|e| {
            CommandError::general(format!(
                "the server sent an audit event this client cannot read: {e}"
            ))
        })?;
        let at = event.at.to_zoned(jiff::tz::TimeZone::system());
        context
            .ui
            .line(&crate::cli::render::terminal_safe(&format!(
                "{}  {:>4}  {:<18}  {}  {}  {}",
                at.strftime("%H:%M:%S"),
                event.seq,
                event.action,
                event.actor.email,
                event.target.as_deref().unwrap_or("-"),
                crate::cli::render::summarize(&event.details)
            )))?;
    }
    Ok(())
}

/// Events after `after_seq`, following cursors, up to `max`.
fn fetch(
    connection: &Connection,
    chain: &ChainId,
    query: &AuditQuery,
    after_seq: i64,
    max: Option<usize>,
) -> CommandResult<Vec<Value>> {
    let mut events = Vec::new();
    let mut after = after_seq;
    loop {
        let remaining = max.map(|max| max.saturating_sub(events.len()));
        if remaining == Some(0) {
            break;
        }
        let page_query = AuditQuery {
            after_seq: Some(after),
            limit: Some(remaining.unwrap_or(1000).min(1000) as i64),
            ..query.clone()
        };
        let page = page(connection, chain, &page_query)?;
        let more = page.next_cursor.is_some();
        if let Some(seq) = page
            .items
            .last()
            .and_then(|e| e.get("seq"))
            .and_then(Value::as_i64)
        {
            after = seq;
        }
        events.extend(page.items);
        if !more {
            break;
        }
    }
    Ok(events)
}

/// JSON prints the API's objects unchanged (an array; one per line when streaming).
fn print_events(context: &mut Context, events: &[Value], streaming: bool) -> CommandResult {
    if context.ui.format() == OutputFormat::Json && !context.ui.quiet() {
        if streaming {
            for event in events {
                context.ui.line(&event.to_string())?;
            }
            return Ok(());
        }
        return Ok(context.ui.json(events)?);
    }
    let typed: Vec<AuditEvent> = events
        .iter()
        .map(|event| {
            serde_json::from_value(event.clone()).map_err(|e| {
                CommandError::general(format!(
                    "the server sent an audit event this client cannot read: {e}"
                ))
            })
        })
        .collect::<CommandResult<_>>()?;
    if streaming && typed.is_empty() {
        return Ok(());
    }
    Ok(context.ui.list(&typed)?)
}

#[derive(Serialize)]
struct Verdict {
    org: Option<String>,
    valid: bool,
    /// Events that verified (up to the break, if any).
    events: usize,
    last_seq: i64,
    last_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    broken_at_seq: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
    /// With `--checkpoint`: whether the log extends it.
    #[serde(skip_serializing_if = "Option::is_none")]
    checkpoint: Option<CheckpointVerdict>,
}

#[derive(Serialize)]
struct CheckpointVerdict {
    seq: i64,
    hash: String,
    extended: bool,
}

/// The chain verifier, remembering the hash of the event at the checkpoint's `seq`.
struct Tracker {
    verifier: ChainVerifier,
    wanted: Option<i64>,
    hash_at_wanted: Option<String>,
}

impl Tracker {
    fn push_all(&mut self, events: &[Value]) -> Option<ChainBreak> {
        events.iter().find_map(|event| {
            self.verifier.push(event).err().or_else(|| {
                if event.get("seq").and_then(Value::as_i64) == self.wanted {
                    self.hash_at_wanted = event["hash"].as_str().map(str::to_owned);
                }
                None
            })
        })
    }
}

fn verify(context: &mut Context, args: VerifyArgs) -> CommandResult {
    let signed = match &args.checkpoint {
        Some(path) => Some(checkpoint::open(context, path, args.key.as_deref())?),
        None => None,
    };
    let flagged = match (&args.org.org, args.vendor) {
        (_, true) => Some(ChainId::Vendor),
        (Some(org), false) => Some(ChainId::Org(org.clone())),
        (None, false) => None,
    };
    if let (Some(signed), Some(flagged)) = (&signed, &flagged)
        && signed.checkpoint.chain != *flagged
    {
        // A verification that failed, like any other (exit 1): the log is not the checkpoint's.
        return Err(CommandError::general(format!(
            "the checkpoint is of another log: {}, not {flagged}",
            signed.checkpoint.chain
        )));
    }
    let mut tracker = Tracker {
        verifier: ChainVerifier::default(),
        wanted: signed.as_ref().map(|s| s.checkpoint.seq),
        hash_at_wanted: None,
    };
    let broken;
    // An export of part of the log (`audit list --action/--since`) is not a broken chain.
    let mut filtered = None;
    let chain = match &args.file {
        Some(path) => {
            let events = read_export(path)?;
            let org = events
                .first()
                .and_then(|e| e.get("org"))
                .and_then(Value::as_str);
            if let Some(signed) = &signed
                && !checkpoint::same_chain(&signed.checkpoint.chain, org)
            {
                return Err(CommandError::general(format!(
                    "{} holds events of {}; the checkpoint is of another log: {}",
                    path.display(),
                    org.filter(|o| !o.is_empty())
                        .map_or("the vendor chain".to_owned(), |o| format!("org {o}")),
                    signed.checkpoint.chain
                )));
            }
            broken = tracker.push_all(&events);
            if broken.is_some() {
                filtered = looks_filtered(&events);
            }
            org.map(|o| {
                if o.is_empty() {
                    ChainId::Vendor
                } else {
                    ChainId::Org(o.to_owned())
                }
            })
        }
        None => {
            let mut connection = context.connect()?;
            let chain = match signed.as_ref().map(|s| s.checkpoint.chain.clone()) {
                Some(chain) => chain,
                None => chain_of(&mut connection, args.org.org.as_deref(), args.vendor)?,
            };
            // How long the chain is shows only at its end: count, do not pretend a total.
            let bar = context.ui.spinner("Verifying", "events");
            loop {
                let after = tracker.verifier.summary().last_seq;
                let query = AuditQuery {
                    after_seq: Some(after),
                    limit: Some(1000),
                    ..AuditQuery::default()
                };
                let page = page(&connection, &chain, &query)
                    .map_err(|error| of_another_log(error, signed.as_ref()))?;
                let found = tracker.push_all(&page.items);
                bar.set_position(tracker.verifier.summary().last_seq as u64);
                if found.is_some() || page.next_cursor.is_none() {
                    broken = found;
                    break;
                }
            }
            bar.finish_and_clear();
            Some(chain)
        }
    };
    let summary = tracker.verifier.summary();
    let judged = match (&signed, &broken) {
        (Some(signed), None) => Some(signed.judge(&summary, tracker.hash_at_wanted.as_deref())),
        _ => None,
    };
    let extended = matches!(judged, Some(Ok(())));
    if context.ui.format() == OutputFormat::Json {
        context.ui.json(&Verdict {
            org: chain.as_ref().map(|c| match c {
                ChainId::Org(org) => org.clone(),
                ChainId::Vendor => String::new(),
            }),
            valid: broken.is_none() && (signed.is_none() || extended),
            events: summary.events,
            last_seq: summary.last_seq,
            last_hash: summary.last_hash.clone(),
            broken_at_seq: broken.as_ref().and_then(|b| b.seq),
            problem: broken
                .as_ref()
                .map(|b| filtered.clone().unwrap_or_else(|| b.problem.clone()))
                .or_else(|| {
                    judged
                        .as_ref()
                        .and_then(|j| j.as_ref().err())
                        .map(|e| e.message.clone())
                }),
            checkpoint: signed.as_ref().map(|s| CheckpointVerdict {
                seq: s.checkpoint.seq,
                hash: s.checkpoint.hash.clone(),
                extended,
            }),
        })?;
    }
    if let (Some(what), Some(path), Some(broken)) = (&filtered, &args.file, &broken) {
        return Err(CommandError::general(format!(
            "{} looks filtered rather than broken: {what} (the chain breaks at seq {})",
            path.display(),
            broken.seq.unwrap_or_default()
        ))
        .with_hint(
            "`audit list` with --action, --since or --limit exports part of the log; verify all \
             of it (`supportctl audit list --all -o json > audit.json`) or the server's copy \
             (`supportctl audit verify`)",
        ));
    }
    if let Some(broken) = broken {
        return Err(chain_error(broken));
    }
    if let Some(judged) = judged {
        judged?;
    }
    if context.ui.format() == OutputFormat::Json {
        return Ok(());
    }
    let of = match &chain {
        Some(ChainId::Org(org)) => format!(" of {org}"),
        Some(ChainId::Vendor) => " of the vendor".to_owned(),
        None => String::new(),
    };
    let extends = signed
        .as_ref()
        .map(|s| format!("; it extends the checkpoint {}", s.when()))
        .unwrap_or_default();
    context.ui.success(&format!(
        "Audit chain{of} verifies: {} events, seq 1 to {}, head {}{extends}",
        summary.events, summary.last_seq, summary.last_hash
    ));
    if signed.is_none() && std::io::stderr().is_terminal() {
        let file = match &chain {
            Some(ChainId::Vendor) => "vendor.checkpoint".to_owned(),
            Some(ChainId::Org(org)) => format!("{org}.checkpoint"),
            None => "org.checkpoint".to_owned(),
        };
        context.ui.note(&format!(
            "note: without a checkpoint this cannot tell whether the newest events were removed \
             or the whole log rewritten and re-hashed. Keep one (`supportctl audit checkpoint{} \
             > {file}`, e.g. daily from cron) and pass --checkpoint {file}.",
            if matches!(chain, Some(ChainId::Vendor)) {
                " --vendor"
            } else {
                ""
            }
        ));
    }
    Ok(())
}

/// A checkpoint's log that this account may not read (another org's, or the vendor's for an
/// admin) is not one it can be checked against: a failed verification (exit 1), said as such,
/// not the 404 or 403 of reading it.
fn of_another_log(error: CommandError, signed: Option<&checkpoint::Verified>) -> CommandError {
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

/// An export: a JSON array of events (`-`: stdin).
fn read_export(path: &std::path::Path) -> CommandResult<Vec<Value>> {
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

/// How an export that fails to chain reads as part of the log: every event intact (its content
/// matches its own hash) and in order, but not starting at seq 1 or with seqs left out.
fn looks_filtered(events: &[Value]) -> Option<String> {
    let seqs: Vec<i64> = events
        .iter()
        .map(|event| event.get("seq").and_then(Value::as_i64))
        .collect::<Option<_>>()?;
    let intact = events.iter().all(|event| {
        event
            .get("hash")
            .and_then(Value::as_str)
            .is_some_and(|stated| {
                crate::api::chain::event_hash(event).is_ok_and(|computed| computed == stated)
            })
    });
    if !intact || seqs.windows(2).any(|pair| pair[1] <= pair[0]) {
        return None;
    }
    let first = *seqs.first()?;
    let gaps = seqs
        .windows(2)
        .filter(|pair| pair[1] != pair[0] + 1)
        .count();
    let skipped: i64 = seqs.windows(2).map(|pair| pair[1] - pair[0] - 1).sum();
    let mut what = Vec::new();
    if first != 1 {
        what.push(format!("it starts at seq {first}"));
    }
    if gaps > 0 {
        what.push(format!(
            "it leaves out {skipped} event{} in {gaps} place{}",
            if skipped == 1 { "" } else { "s" },
            if gaps == 1 { "" } else { "s" }
        ));
    }
    (!what.is_empty()).then(|| {
        format!(
            "{}, each of its {} events intact",
            what.join(" and "),
            events.len()
        )
    })
}

fn chain_error(error: ChainBreak) -> CommandError {
    CommandError::general(error.to_string()).with_hint(
        "the log was altered or is incomplete from this point on; earlier events are intact",
    )
}
