//! Evidence reports: everything the audit log says about one grant (and the request it came
//! from), with a signed checkpoint of the org's chain and an inclusion proof of each event
//! against it, so that the report can be checked offline.
//!
//! The summary (the request, its approvals, the grant, its sessions, the accesses summed) is
//! computed from the events alone, by [`SummaryBuilder`]: the server builds it to write the
//! report, a verifier builds it again from the report's events and compares. A report is one
//! JSON object whose members come in a fixed order (head, `summary`, then `events`), so that
//! [`read_report`] reads it as it arrives, one event at a time.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io::Read;

use jiff::Timestamp;
use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::AuditEvent;

/// The `format` member of every report: what the file is, and which version of it.
pub const REPORT_FORMAT: &str = "supportctl-evidence-report/1";

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportSubject {
    Grant,
    Request,
}

/// The report's members before its summary and events.
// Not `deny_unknown_fields`: the whole report's schema flattens this one, and a closed schema
// would forbid the summary and the events; `read_report` refuses a member it does not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReportHead {
    /// Always `supportctl-evidence-report/1`.
    pub format: String,
    pub subject: ReportSubject,
    pub org: String,
    /// The grant: the subject, or the grant the request was approved with.
    pub grant_id: Option<String>,
    /// The request: the subject, or the request the grant was approved from.
    pub request_id: Option<String>,
    /// The org chain's signed checkpoint (as `GET /v1/orgs/{org}/audit/checkpoint` answers),
    /// against which every event's proof holds.
    pub checkpoint: String,
}

/// The members of [`ReportHead`], in the order they are written (the summary and the events
/// follow them).
pub const HEAD_MEMBERS: [&str; 6] = [
    "format",
    "subject",
    "org",
    "grant_id",
    "request_id",
    "checkpoint",
];

/// One event of the report and its inclusion proof against the report's checkpoint (record
/// `seq - 1` of a tree of the checkpoint's size; base64 hashes, as Go's `tlog.CheckRecord`
/// takes them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportEvent {
    pub event: AuditEvent,
    pub proof: Vec<String>,
}

/// A whole report, as the API documents it (it is written and read as a stream).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EvidenceReport {
    #[serde(flatten)]
    pub head: ReportHead,
    pub summary: ReportSummary,
    /// Every event concerning the grant, its sessions and its request, in `seq` order.
    pub events: Vec<ReportEvent>,
}

/// What the events say, summed up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportSummary {
    pub request: Option<RequestSummary>,
    pub approvals: Vec<ApprovalSummary>,
    pub grant: Option<GrantSummary>,
    pub sessions: Vec<SessionSummary>,
    /// By area, action and outcome, in that order.
    pub accesses: Vec<AccessSum>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestSummary {
    pub id: String,
    pub requester: Option<String>,
    pub at: Timestamp,
    pub level: Option<String>,
    pub areas: Vec<String>,
    pub duration_seconds: Option<i64>,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    pub break_glass: bool,
    /// How it ended (`approved`, `denied`, `cancelled`, `expired`, `confirmed`), if it did.
    pub outcome: Option<Change>,
}

/// One admin's approval, or the rule that approved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalSummary {
    pub by: String,
    pub at: Timestamp,
    pub comment: Option<String>,
    /// The auto-approval rule, when a rule approved.
    pub rule: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantSummary {
    pub id: String,
    pub created_at: Timestamp,
    pub created_by: String,
    pub break_glass: bool,
    pub level: Option<String>,
    pub areas: Vec<String>,
    pub engineers: Vec<String>,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    /// The expiry as last set (created or extended).
    pub expires_at: Option<Timestamp>,
    /// Every later event of the grant: extended, acknowledged, disputed, revoked, expired.
    pub changes: Vec<Change>,
}

/// An event that changed something: its action's last word, when and by whom, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub action: String,
    pub at: Timestamp,
    pub by: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionSummary {
    pub id: String,
    pub engineer: Option<String>,
    pub opened_at: Timestamp,
    pub level: Option<String>,
    pub areas: Vec<String>,
    pub reason: Option<String>,
    /// How it ended (`closed`, `expired`), if it did.
    pub ended: Option<Change>,
}

/// The accesses of one area, action and outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessSum {
    pub area: String,
    pub action: String,
    pub allowed: bool,
    pub count: u64,
    pub first_at: Timestamp,
    pub last_at: Timestamp,
    /// How many different resources they named.
    pub distinct_resources: u64,
}

fn text(details: &Value, key: &str) -> Option<String> {
    details.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn texts(details: &Value, key: &str) -> Vec<String> {
    details
        .get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn last_word(action: &str) -> String {
    action.rsplit('.').next().unwrap_or(action).to_owned()
}

fn change(event: &AuditEvent) -> Change {
    Change {
        action: last_word(&event.action),
        at: event.at,
        by: event.actor.email.clone(),
        reason: text(&event.details, "reason"),
    }
}

#[derive(Default)]
struct AccessTally {
    count: u64,
    first_at: Option<Timestamp>,
    last_at: Option<Timestamp>,
    resources: HashSet<String>,
}

/// Builds a [`ReportSummary`] from the events, fed in `seq` order.
#[derive(Default)]
pub struct SummaryBuilder {
    summary: ReportSummary,
    sessions: HashMap<String, usize>,
    accesses: BTreeMap<(String, String, bool), AccessTally>,
}

impl SummaryBuilder {
    pub fn push(&mut self, event: &AuditEvent) {
        let details = &event.details;
        let target = event.target.clone().unwrap_or_default();
        let summary = &mut self.summary;
        match event.action.as_str() {
            "request.created" => {
                summary.request = Some(RequestSummary {
                    id: target,
                    requester: text(details, "requester"),
                    at: event.at,
                    level: text(details, "level"),
                    areas: texts(details, "areas"),
                    duration_seconds: details.get("duration_seconds").and_then(Value::as_i64),
                    reason: text(details, "reason"),
                    ticket: text(details, "ticket"),
                    break_glass: details.get("break_glass") == Some(&Value::Bool(true)),
                    outcome: None,
                })
            }
            "request.approval_added" | "request.approved" => {
                let rule = text(details, "by_rule");
                summary.approvals.push(ApprovalSummary {
                    by: event.actor.email.clone(),
                    at: event.at,
                    comment: text(details, "comment"),
                    rule,
                });
                if event.action == "request.approved" {
                    Self::end_request(summary, event);
                }
            }
            "request.denied" | "request.cancelled" | "request.expired" | "request.confirmed" => {
                Self::end_request(summary, event);
            }
            "grant.created" | "grant.break_glass" => {
                summary.grant = Some(GrantSummary {
                    id: target,
                    created_at: event.at,
                    created_by: event.actor.email.clone(),
                    break_glass: event.action == "grant.break_glass",
                    level: text(details, "level"),
                    areas: texts(details, "areas"),
                    engineers: texts(details, "engineers"),
                    reason: text(details, "reason"),
                    ticket: text(details, "ticket"),
                    expires_at: details
                        .get("expires_at")
                        .and_then(|at| serde_json::from_value(at.clone()).ok()),
                    changes: Vec::new(),
                })
            }
            action if action.starts_with("grant.") => {
                if let Some(grant) = &mut summary.grant {
                    if action == "grant.extended"
                        && let Some(at) = details
                            .get("expires_at")
                            .and_then(|at| serde_json::from_value(at.clone()).ok())
                    {
                        grant.expires_at = Some(at);
                    }
                    grant.changes.push(change(event));
                }
                // A revocation is the recorded end of the sessions it cuts short.
                if action == "grant.revoked" {
                    for session in &mut summary.sessions {
                        session.ended.get_or_insert_with(|| change(event));
                    }
                }
            }
            "session.opened" => {
                self.sessions.insert(target.clone(), summary.sessions.len());
                summary.sessions.push(SessionSummary {
                    id: target,
                    engineer: text(details, "engineer"),
                    opened_at: event.at,
                    level: text(details, "level"),
                    areas: texts(details, "areas"),
                    reason: text(details, "reason"),
                    ended: None,
                });
            }
            "session.closed" | "session.expired" => {
                if let Some(&at) = self.sessions.get(&target) {
                    summary.sessions[at].ended = Some(change(event));
                }
            }
            "access.allowed" | "access.denied" => {
                let key = (
                    text(details, "area").unwrap_or_default(),
                    text(details, "action").unwrap_or_default(),
                    event.action == "access.allowed",
                );
                let tally = self.accesses.entry(key).or_default();
                tally.count += 1;
                tally.first_at.get_or_insert(event.at);
                tally.last_at = Some(event.at);
                if let Some(resource) = details.get("resource").and_then(Value::as_str)
                    && !tally.resources.contains(resource)
                {
                    tally.resources.insert(resource.to_owned());
                }
            }
            _ => {}
        }
    }

    fn end_request(summary: &mut ReportSummary, event: &AuditEvent) {
        if let Some(request) = &mut summary.request {
            request.outcome = Some(Change {
                reason: text(&event.details, "comment"),
                ..change(event)
            });
        }
    }

    pub fn finish(self) -> ReportSummary {
        let mut summary = self.summary;
        summary.accesses = self
            .accesses
            .into_iter()
            .filter_map(|((area, action, allowed), tally)| {
                Some(AccessSum {
                    area,
                    action,
                    allowed,
                    count: tally.count,
                    first_at: tally.first_at?,
                    last_at: tally.last_at?,
                    distinct_resources: tally.resources.len() as u64,
                })
            })
            .collect();
        summary
    }
}

/// Which events a report holds: those of its grant, of the grant's sessions, and of its
/// request, by the rules the log's `grant`, `session` and `request` filters index them.
#[derive(Debug, Clone, Default)]
pub struct Concerns {
    grant: Option<String>,
    request: Option<String>,
    sessions: HashSet<String>,
}

impl Concerns {
    pub fn new(head: &ReportHead) -> Concerns {
        Concerns {
            grant: head.grant_id.clone(),
            request: head.request_id.clone(),
            sessions: HashSet::new(),
        }
    }

    /// Whether `event` concerns the report; a `session.opened` of the grant adds its session.
    /// Events must come in `seq` order (a session's events follow its opening).
    pub fn admit(&mut self, event: &AuditEvent) -> bool {
        let kind = event.action.split('.').next().unwrap_or_default();
        let target = event.target.as_deref();
        let named = |key: &str| event.details.get(key).and_then(Value::as_str);
        let grant = if kind == "grant" {
            target
        } else {
            named("grant_id")
        };
        let request = if kind == "request" {
            target
        } else {
            named("request_id")
        };
        let session = if kind == "session" || kind == "access" {
            target
        } else {
            None
        };
        let of_grant = grant.is_some() && grant == self.grant.as_deref();
        if of_grant
            && event.action == "session.opened"
            && let Some(session) = session
        {
            self.sessions.insert(session.to_owned());
        }
        of_grant
            || (request.is_some() && request == self.request.as_deref())
            || session.is_some_and(|session| self.sessions.contains(session))
    }
}

/// What [`read_report`] hands on, in the order the report holds them.
pub trait ReportSink {
    type Error: fmt::Display;
    fn head(&mut self, head: ReportHead) -> Result<(), Self::Error>;
    fn summary(&mut self, summary: ReportSummary) -> Result<(), Self::Error>;
    /// `raw` is the event exactly as the report states it, for its hash.
    fn event(&mut self, raw: Value, event: ReportEvent) -> Result<(), Self::Error>;
}

/// Why a report could not be read.
#[derive(Debug)]
pub enum ReadError<E> {
    /// Not a report (or not one this version reads): no sense can be made of it.
    NotAReport(String),
    /// The sink refused a part.
    Sink(E),
}

/// Reads a report from `reader` as it comes, handing each part to `sink`; never holds more
/// than one event.
pub fn read_report<R: Read, S: ReportSink>(
    reader: R,
    sink: &mut S,
) -> Result<(), ReadError<S::Error>> {
    let mut failed = None;
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let outcome = ReportSeed {
        sink,
        failed: &mut failed,
    }
    .deserialize(&mut deserializer)
    .and_then(|()| deserializer.end());
    match (outcome, failed) {
        (_, Some(error)) => Err(ReadError::Sink(error)),
        (Err(error), None) => Err(ReadError::NotAReport(error.to_string())),
        (Ok(()), None) => Ok(()),
    }
}

/// The report object; a sink's refusal is kept in `failed` (serde errors carry only text).
struct ReportSeed<'a, S: ReportSink> {
    sink: &'a mut S,
    failed: &'a mut Option<S::Error>,
}

const REFUSED: &str = "refused by the reader";

impl<S: ReportSink> ReportSeed<'_, S> {
    fn hand<E: serde::de::Error>(&mut self, result: Result<(), S::Error>) -> Result<(), E> {
        result.map_err(|error| {
            *self.failed = Some(error);
            E::custom(REFUSED)
        })
    }
}

impl<'de, S: ReportSink> DeserializeSeed<'de> for ReportSeed<'_, S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, S: ReportSink> Visitor<'de> for ReportSeed<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an evidence report (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut head = serde_json::Map::new();
        let (mut headed, mut summarized, mut evented) = (false, false, false);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "summary" | "events" if !headed => {
                    let read: ReportHead = serde_json::from_value(Value::Object(std::mem::take(
                        &mut head,
                    )))
                    .map_err(|e| {
                        A::Error::custom(format!(
                            "its head (format, subject, org, grant_id, request_id, checkpoint) \
                             must come first, before the summary and the events: {e}"
                        ))
                    })?;
                    if read.format != REPORT_FORMAT {
                        return Err(A::Error::custom(format!(
                            "its format is {:?}, not {REPORT_FORMAT}",
                            read.format
                        )));
                    }
                    headed = true;
                    let handed = self.sink.head(read);
                    self.hand(handed)?;
                }
                "summary" | "events" => {}
                _ if headed => {
                    return Err(A::Error::custom(format!(
                        "member {key:?} after the summary or the events"
                    )));
                }
                _ => {}
            }
            match key.as_str() {
                "summary" if !summarized && !evented => {
                    summarized = true;
                    let summary: ReportSummary = map.next_value()?;
                    let handed = self.sink.summary(summary);
                    self.hand(handed)?;
                }
                "events" if summarized && !evented => {
                    evented = true;
                    map.next_value_seed(EventsSeed {
                        sink: &mut *self.sink,
                        failed: &mut *self.failed,
                    })?;
                }
                "summary" | "events" => {
                    return Err(A::Error::custom(
                        "the summary must come once, before the events",
                    ));
                }
                _ => {
                    if !HEAD_MEMBERS.contains(&key.as_str()) {
                        return Err(A::Error::custom(format!("unknown member {key:?}")));
                    }
                    let value: Value = map.next_value()?;
                    if head.insert(key.clone(), value).is_some() {
                        return Err(A::Error::custom(format!("member {key:?} twice")));
                    }
                }
            }
        }
        if !evented {
            return Err(A::Error::custom("it has no events member"));
        }
        Ok(())
    }
}

struct EventsSeed<'a, S: ReportSink> {
    sink: &'a mut S,
    failed: &'a mut Option<S::Error>,
}

impl<'de, S: ReportSink> DeserializeSeed<'de> for EventsSeed<'_, S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, S: ReportSink> Visitor<'de> for EventsSeed<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of events with their proofs")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        while let Some(mut value) = seq.next_element::<Value>()? {
            index += 1;
            let raw = value.get_mut("event").map(Value::take).unwrap_or_default();
            let proof = value.get_mut("proof").map(Value::take).unwrap_or_default();
            let event = serde_json::from_value(raw.clone())
                .and_then(|event| Ok((event, serde_json::from_value(proof)?)))
                .map_err(|e| A::Error::custom(format!("event {index}: {e}")))?;
            if let Err(error) = self.sink.event(
                raw,
                ReportEvent {
                    event: event.0,
                    proof: event.1,
                },
            ) {
                *self.failed = Some(error);
                return Err(A::Error::custom(REFUSED));
            }
        }
        Ok(())
    }
}

/// Where two JSON values first differ, as a path (`sessions[0].engineer`), and each side.
pub fn first_difference(
    path: &str,
    stated: &Value,
    computed: &Value,
) -> Option<(String, Value, Value)> {
    match (stated, computed) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter().find_map(|key| {
                first_difference(
                    &format!("{path}.{key}"),
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                )
            })
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (a, b))| first_difference(&format!("{path}[{i}]"), a, b)),
        (a, b) if a == b => None,
        (a, b) => Some((path.to_owned(), a.clone(), b.clone())),
    }
}
