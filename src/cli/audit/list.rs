//! `supportctl audit list`: the log's newest events, oldest of them first; `--follow` prints
//! new ones as they come.

use clap::Args;
use serde_json::Value;

use super::chain::{chain_of, page};
use crate::api::checkpoint::ChainId;
use crate::api::ocsf::ocsf_event;
use crate::api::{AuditEvent, AuditOrder, AuditQuery};
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
    /// Only events about this grant: its own, the session opened on it, the request approved
    /// into it.
    #[arg(long, value_name = "ID")]
    pub grant: Option<String>,
    /// Only events about this session: its opening and closing, each access checked in it.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// Only events about this access request, and the grant its approval created.
    #[arg(long, value_name = "ID")]
    pub request: Option<String>,
    /// Only events by the account with this email.
    #[arg(long, value_name = "EMAIL")]
    pub actor: Option<String>,
    /// Only events before this one (a `seq`), to look further back than the newest.
    #[arg(long, value_name = "SEQ", conflicts_with = "follow",
          value_parser = clap::value_parser!(i64).range(0..))]
    pub before_seq: Option<i64>,
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
        grant: args.grant.clone(),
        session: args.session.clone(),
        request: args.request.clone(),
        actor: args.actor.clone(),
        before_seq: args.before_seq,
        ..AuditQuery::default()
    };
    if !args.follow {
        let Some(max) = args.limit.max() else {
            let events = fetch(&connection, &chain, &query, 0, None)?;
            return print_events(context, &events, false);
        };
        let (events, more) = fetch_newest(&connection, &chain, &query, max)?;
        if more {
            // Each chain numbers its events from 1 without gaps: the newest one's `seq` is
            // how many there are, unless a filter left some out.
            let filtered = query.since.is_some()
                || query.action.is_some()
                || query.grant.is_some()
                || query.session.is_some()
                || query.request.is_some()
                || query.actor.is_some()
                || query.before_seq.is_some();
            let of = match seq_of(events.last()) {
                Some(newest) if !filtered => format!(" of {newest}"),
                _ => " matching".to_owned(),
            };
            context.ui.note(&format!(
                "showing the newest {max}{of} events; --all for every one, --limit N for more"
            ));
        }
        return print_events(context, &events, false);
    }
    // The newest event matching, at least, to follow on from.
    let (mut events, _) = fetch_newest(&connection, &chain, &query, args.tail.max(1))?;
    let mut last_seq = seq_of(events.last()).unwrap_or(0);
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

/// The newest `max` events, oldest of them first, read newest first from the server so that
/// only they are read however long the log; and whether there are older ones.
fn fetch_newest(
    connection: &Connection,
    chain: &ChainId,
    query: &AuditQuery,
    max: usize,
) -> CommandResult<(Vec<Value>, bool)> {
    let mut events = Vec::new();
    let mut cursor = None;
    let more = loop {
        let remaining = max - events.len();
        let page_query = AuditQuery {
            order: Some(AuditOrder::Desc),
            limit: Some(remaining.clamp(1, 1000) as i64),
            cursor: cursor.take(),
            ..query.clone()
        };
        let page = page(connection, chain, &page_query)?;
        let beyond = events.len() + page.items.len() > max;
        events.extend(page.items);
        events.truncate(max);
        match page.next_cursor {
            Some(next) if events.len() < max => cursor = Some(next),
            next => break beyond || next.is_some(),
        }
    };
    events.reverse();
    Ok((events, more))
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
