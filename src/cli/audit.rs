//! `supportctl audit`: read, follow and verify an org's audit log.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::Value;

use super::args::{ListLimit, OrgArg};
use super::context::{Connection, Context};
use super::error::{CommandError, CommandResult};
use super::time::parse_since;
use crate::api::chain::ChainVerifier;
use crate::api::{AuditEvent, AuditQuery, Page};
use crate::cli::ui::OutputFormat;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List the org's audit events, oldest first.
    #[command(after_long_help = "Examples:
  supportctl audit list --since 24h
  supportctl audit list --action access.denied --all -o json | jq length
  supportctl audit list --follow           # new events as they happen (JSON: one per line)
  supportctl audit list --all -o json > audit.json && supportctl audit verify --file audit.json")]
    List(ListArgs),
    /// Recompute the hash chain; exit 1 at the first break, saying where.
    #[command(after_long_help = "Examples:
  supportctl audit verify                   # fetch the whole log and check it
  supportctl audit verify --file audit.json # check an export, without the server")]
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Only events since a duration ago (24h) or a time (RFC 3339).
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only events with this action, e.g. grant.revoked or access.denied.
    #[arg(long, value_name = "ACTION")]
    pub action: Option<String>,
    #[command(flatten)]
    pub limit: ListLimit,
    /// Keep printing new events until interrupted.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// How often --follow asks for new events.
    #[arg(long, default_value = "2s", value_name = "DURATION", hide = true)]
    pub interval: humantime::Duration,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Verify an export (a JSON array from `audit list --all -o json`; `-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

pub fn run(context: &mut Context, command: AuditCommand) -> CommandResult {
    match command {
        AuditCommand::List(args) => list(context, args),
        AuditCommand::Verify(args) => verify(context, args),
    }
}

fn list(context: &mut Context, args: ListArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = args.org.resolve(&mut connection)?;
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
    let max = args.limit.max().filter(|_| !args.follow);
    let events = fetch(&connection, &org, &query, 0, max)?;
    let mut last_seq = events
        .last()
        .and_then(|e| e.get("seq"))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if !args.follow {
        return print_events(context, &events, false);
    }
    print_events(context, &events, true)?;
    loop {
        std::thread::sleep(*args.interval);
        let new = fetch(&connection, &org, &query, last_seq, None)?;
        if let Some(seq) = new
            .last()
            .and_then(|e| e.get("seq"))
            .and_then(Value::as_i64)
        {
            last_seq = seq;
        }
        print_events(context, &new, true)?;
    }
}

/// Events after `after_seq`, following cursors, up to `max`.
fn fetch(
    connection: &Connection,
    org: &str,
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
        let page: Page<Value> = connection.client.audit_page(org, &page_query)?;
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
struct Verified {
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
}

fn verify(context: &mut Context, args: VerifyArgs) -> CommandResult {
    let mut verifier = ChainVerifier::default();
    let mut broken;
    let org = match &args.file {
        Some(path) => {
            let text = if path.as_os_str() == "-" {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text)?;
                text
            } else {
                std::fs::read_to_string(path).map_err(|e| {
                    CommandError::general(format!("cannot read {}: {e}", path.display()))
                })?
            };
            let events: Vec<Value> = serde_json::from_str(&text).map_err(|e| {
                CommandError::general(format!(
                    "{} is not a JSON array of audit events: {e}",
                    path.display()
                ))
            })?;
            broken = events.iter().find_map(|event| verifier.push(event).err());
            events
                .first()
                .and_then(|e| e.get("org"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        }
        None => {
            let mut connection = context.connect()?;
            let org = args.org.resolve(&mut connection)?;
            let bar = context.ui.spinner_or_bar(0, "Verifying");
            let mut after = 0;
            loop {
                let page = connection.client.audit_page(
                    &org,
                    &AuditQuery {
                        after_seq: Some(after),
                        limit: Some(1000),
                        ..AuditQuery::default()
                    },
                )?;
                broken = page
                    .items
                    .iter()
                    .find_map(|event| verifier.push(event).err());
                after = verifier.summary().last_seq;
                bar.set_position(after as u64);
                if broken.is_some() || page.next_cursor.is_none() {
                    break;
                }
            }
            bar.finish_and_clear();
            Some(org)
        }
    };
    let summary = verifier.summary();
    if context.ui.format() == OutputFormat::Json {
        context.ui.json(&Verified {
            org: org.clone(),
            valid: broken.is_none(),
            events: summary.events,
            last_seq: summary.last_seq,
            last_hash: summary.last_hash.clone(),
            broken_at_seq: broken.as_ref().and_then(|b| b.seq),
            problem: broken.as_ref().map(|b| b.problem.clone()),
        })?;
    }
    if let Some(broken) = broken {
        return Err(chain_error(broken));
    }
    if context.ui.format() == OutputFormat::Json {
        return Ok(());
    }
    context.ui.success(&format!(
        "Audit chain{} verifies: {} events, seq 1 to {}, head {}",
        org.map(|o| format!(" of {o}")).unwrap_or_default(),
        summary.events,
        summary.last_seq,
        summary.last_hash
    ));
    Ok(())
}

fn chain_error(error: crate::api::chain::ChainBreak) -> CommandError {
    CommandError::general(error.to_string()).with_hint(
        "the log was altered or is incomplete from this point on; earlier events are intact",
    )
}
