//! Evidence reports for `grant report` and `request report`: the signed JSON passed through
//! as it arrives (`-o json`), or the text an auditor reads, written while the report streams.

use std::fmt::Write as _;

use jiff::Timestamp;
use serde_json::Value;

use crate::api::report::{
    Change, ReadError, ReportEvent, ReportHead, ReportSink, ReportSubject, ReportSummary,
    read_report,
};
use crate::cli::args::OrgArg;
use crate::cli::client::ReportOf;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::render::{summarize, terminal_safe};
use crate::cli::ui::{OutputFormat, Ui};

/// Fetches the report of `of` and prints it in the chosen form.
pub fn print(context: &mut Context, org: &OrgArg, of: ReportOf<'_>) -> CommandResult {
    let mut connection = context.connect()?;
    let org = org.resolve(&mut connection)?;
    let mut response = connection.client.report(&org, of)?;
    if context.ui.format() == OutputFormat::Json {
        context.ui.copy(&mut response)?;
        return Ok(());
    }
    let mut text = Text {
        ui: &context.ui,
        events: 0,
    };
    // Buffered: the JSON reader asks for a byte at a time.
    read_report(
        std::io::BufReader::with_capacity(1 << 16, response),
        &mut text,
    )
    .map_err(|error| match error {
        ReadError::Sink(error) => CommandError::from(error),
        ReadError::NotAReport(why) => CommandError::general(format!(
            "the server's report could not be read: {}",
            terminal_safe(&why)
        )),
    })?;
    if text.events == 0 {
        context.ui.line("  (none)")?;
    }
    Ok(())
}

/// Writes each part of the report as it arrives.
struct Text<'a> {
    ui: &'a Ui,
    events: u64,
}

fn safe(text: &str) -> String {
    terminal_safe(text).into_owned()
}

fn or_none(text: &Option<String>) -> String {
    text.as_deref().map_or_else(|| "-".to_owned(), safe)
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "-".to_owned();
    }
    safe(&items.join(","))
}

fn when(at: &Option<Timestamp>) -> String {
    at.map_or_else(|| "-".to_owned(), |at| at.to_string())
}

fn change(change: &Change) -> String {
    let mut line = format!("{} at {} by {}", change.action, change.at, safe(&change.by));
    if let Some(reason) = &change.reason {
        let _ = write!(line, ": {}", safe(reason));
    }
    line
}

impl ReportSink for Text<'_> {
    type Error = std::io::Error;

    fn head(&mut self, head: ReportHead) -> std::io::Result<()> {
        let (what, id) = match head.subject {
            ReportSubject::Grant => ("grant", &head.grant_id),
            ReportSubject::Request => ("request", &head.request_id),
        };
        self.ui.line(&format!(
            "Evidence report of {what} {} in org {}",
            or_none(id),
            safe(&head.org)
        ))?;
        let size = head.checkpoint.lines().nth(1).unwrap_or("?").to_owned();
        self.ui.line(&format!(
            "Against the org's checkpoint of {} events (check it: supportctl audit verify-report FILE)",
            safe(&size)
        ))
    }

    fn summary(&mut self, summary: ReportSummary) -> std::io::Result<()> {
        let ui = self.ui;
        ui.line("")?;
        match &summary.request {
            Some(request) => {
                ui.line(&format!(
                    "Asked: request {} by {} at {}{}",
                    safe(&request.id),
                    or_none(&request.requester),
                    request.at,
                    if request.break_glass {
                        " (break-glass)"
                    } else {
                        ""
                    }
                ))?;
                ui.line(&format!(
                    "  level {}, areas {}, for {}s, ticket {}",
                    or_none(&request.level),
                    list(&request.areas),
                    request
                        .duration_seconds
                        .map_or_else(|| "-".to_owned(), |s| s.to_string()),
                    or_none(&request.ticket)
                ))?;
                ui.line(&format!("  reason: {}", or_none(&request.reason)))?;
                if let Some(outcome) = &request.outcome {
                    ui.line(&format!("  {}", change(outcome)))?;
                }
            }
            None => ui.line("Asked: no request (the grant was created directly)")?,
        }
        ui.line(&format!("Approvals ({}):", summary.approvals.len()))?;
        for approval in &summary.approvals {
            let mut line = format!("  {} at {}", safe(&approval.by), approval.at);
            if let Some(rule) = &approval.rule {
                let _ = write!(line, " by rule {}", safe(rule));
            }
            if let Some(comment) = &approval.comment {
                let _ = write!(line, ": {}", safe(comment));
            }
            ui.line(&line)?;
        }
        match &summary.grant {
            Some(grant) => {
                ui.line(&format!(
                    "Granted: {} by {} at {}{}",
                    safe(&grant.id),
                    safe(&grant.created_by),
                    grant.created_at,
                    if grant.break_glass {
                        " (break-glass)"
                    } else {
                        ""
                    }
                ))?;
                ui.line(&format!(
                    "  level {}, areas {}, engineers {}, until {}, ticket {}",
                    or_none(&grant.level),
                    list(&grant.areas),
                    list(&grant.engineers),
                    when(&grant.expires_at),
                    or_none(&grant.ticket)
                ))?;
                ui.line(&format!("  reason: {}", or_none(&grant.reason)))?;
                for later in &grant.changes {
                    ui.line(&format!("  {}", change(later)))?;
                }
            }
            None => ui.line("Granted: nothing (yet)")?,
        }
        ui.line(&format!("Sessions ({}):", summary.sessions.len()))?;
        for session in &summary.sessions {
            ui.line(&format!(
                "  {} by {}, opened {}, level {}, areas {}",
                safe(&session.id),
                or_none(&session.engineer),
                session.opened_at,
                or_none(&session.level),
                list(&session.areas)
            ))?;
            ui.line(&format!("    why: {}", or_none(&session.reason)))?;
            ui.line(&match &session.ended {
                Some(ended) => format!("    ended: {}", change(ended)),
                None => "    ended: not in this report".to_owned(),
            })?;
        }
        ui.line(&format!("Accessed ({} kinds):", summary.accesses.len()))?;
        for sum in &summary.accesses {
            ui.line(&format!(
                "  {} {} {}: {} times, {} resources, first {}, last {}",
                safe(&sum.area),
                safe(&sum.action),
                if sum.allowed { "allowed" } else { "DENIED" },
                sum.count,
                sum.distinct_resources,
                sum.first_at,
                sum.last_at
            ))?;
        }
        ui.line("")?;
        ui.line("Events:")
    }

    fn event(&mut self, _raw: Value, report: ReportEvent) -> std::io::Result<()> {
        self.events += 1;
        let event = report.event;
        self.ui.line(&format!(
            "  {} {} {} {} {} {}",
            event.seq,
            event.at,
            safe(&event.actor.email),
            safe(&event.action),
            event.target.as_deref().map_or_else(|| "-".to_owned(), safe),
            safe(&summarize(&event.details))
        ))
    }
}
