//! `supportctl audit list`: the log's events, oldest first; `--follow` prints new ones as they
//! come.

use clap::Args;
use serde_json::Value;

use super::chain::{chain_of, page};
use crate::api::checkpoint::ChainId;
use crate::api::ocsf::ocsf_event;
use crate::api::{AuditEvent, AuditQuery};
use crate::cli::args::{ListLimit, OrgArg};
use crate::cli::candidates;
use crate::cli::context::{Connection, Context};
use crate::cli::error::{CommandError, CommandResult, ErrorKind};
use crate::cli::time::parse_since;
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Only events since a duration ago (24h) or a time (RFC 3339).
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only events with this action, e.g. grant.revoked or access.denied.
    #[arg(long, value_name = "ACTION", add = candidates::actions(),
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

pub fn run(context: &mut Context, args: ListArgs) -> CommandResult {
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

/// JSON prints the API's objects unchanged (an array; one per line when streaming); OCSF
/// one event per line, always, as SIEMs ingest JSON Lines.
fn print_events(context: &mut Context, events: &[Value], streaming: bool) -> CommandResult {
    if context.ui.ocsf() {
        for event in events {
            let event: AuditEvent = serde_json::from_value(event.clone()).map_err(|e| {
                CommandError::general(format!(
                    "the server sent an audit event this client cannot read: {e}"
                ))
            })?;
            context.ui.line(&ocsf_event(&event).to_string())?;
        }
        return Ok(());
    }
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
