//! `supportctl audit verify-report FILE`: checks an evidence report offline, as it reads it:
//! the checkpoint's signature, each event's hash and inclusion proof, that each event is about
//! the report's grant or request, and that the summary says what the events say.

use std::io::{BufReader, Read};
use std::path::PathBuf;

use clap::Args;
use serde_json::Value;

use super::proofs::includes;
use super::server_key::verifier_key;
use crate::api::InclusionProof;
use crate::api::chain::event_hash;
use crate::api::checkpoint::{ChainId, Checkpoint};
use crate::api::report::{
    Concerns, ReadError, ReportEvent, ReportHead, ReportSink, ReportSubject, ReportSummary,
    SummaryBuilder, first_difference, read_report,
};
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::render::terminal_safe;

#[derive(Debug, Args)]
pub struct VerifyReportArgs {
    /// The report, from `grant report -o json` or `request report -o json` (`-` for stdin).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The verifier key to check the checkpoint with (from `audit key`), or a file holding
    /// it [default: fetched from the server]
    #[arg(long, value_name = "VKEY")]
    pub key: Option<String>,
}

pub fn run(context: &mut Context, args: VerifyReportArgs) -> CommandResult {
    let reader: Box<dyn Read> = if args.file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(&args.file).map_err(|e| {
            CommandError::usage(format!("cannot read {}: {e}", args.file.display()))
        })?;
        Box::new(file)
    };
    let key = verifier_key(context, args.key.as_deref())?;
    let mut check = Check {
        key,
        ..Check::default()
    };
    read_report(BufReader::with_capacity(1 << 16, reader), &mut check).map_err(
        |error| match error {
            ReadError::Sink(error) => error,
            ReadError::NotAReport(why) => CommandError::usage(format!(
                "{} is not an evidence report: {}",
                args.file.display(),
                terminal_safe(&why)
            ))
            .with_hint(
                "a report is what `grant report -o json` or `request report -o json` prints",
            ),
        },
    )?;
    let verified = check.finish()?;
    context.ui.success(&verified);
    Ok(())
}

/// The checks so far.
#[derive(Default)]
struct Check {
    key: String,
    head: Option<ReportHead>,
    signed: Option<Checkpoint>,
    concerns: Concerns,
    stated: Option<ReportSummary>,
    computed: SummaryBuilder,
    last_seq: i64,
    events: u64,
}

fn failed(message: String) -> CommandError {
    CommandError::general(terminal_safe(&message).into_owned())
}

impl ReportSink for Check {
    type Error = CommandError;

    fn head(&mut self, head: ReportHead) -> CommandResult {
        let signed = Checkpoint::open(&head.checkpoint, &self.key).map_err(|error| {
            failed(format!("the report's checkpoint: {error}")).with_hint(
                "check it with the key of the server that wrote the report (`audit key`, --key)",
            )
        })?;
        let org = ChainId::Org(head.org.clone());
        if signed.chain != org {
            return Err(failed(format!(
                "the report's checkpoint is of {}, not of {org}, whose report it claims to be",
                signed.chain
            )));
        }
        self.concerns = Concerns::new(&head);
        self.signed = Some(signed);
        self.head = Some(head);
        Ok(())
    }

    fn summary(&mut self, summary: ReportSummary) -> CommandResult {
        self.stated = Some(summary);
        Ok(())
    }

    fn event(&mut self, raw: Value, report: ReportEvent) -> CommandResult {
        let (Some(head), Some(signed)) = (&self.head, &self.signed) else {
            unreachable!("read_report hands the head first");
        };
        let event = &report.event;
        let seq = event.seq;
        let at = |problem: String| failed(format!("event seq {seq}: {problem}"));
        if seq <= self.last_seq {
            return Err(at(format!(
                "out of order: it follows seq {} (events are in seq order, each once)",
                self.last_seq
            )));
        }
        if seq > signed.seq {
            return Err(at(format!(
                "beyond the checkpoint's tree of {} events",
                signed.seq
            )));
        }
        if event.org != head.org {
            return Err(at(format!(
                "field org is {:?}, not the report's org {:?}",
                event.org, head.org
            )));
        }
        let computed = event_hash(&raw).map_err(|e| at(format!("cannot hash it: {e}")))?;
        if computed != event.hash {
            return Err(at(format!(
                "its fields do not match its hash: a field was changed (hash stated {}, \
                 computed from its fields {computed})",
                event.hash
            )));
        }
        let proof = InclusionProof {
            seq,
            size: signed.seq,
            hash: event.hash.clone(),
            proof: report.proof,
        };
        if !includes(signed, &proof) {
            return Err(at(format!(
                "field proof does not lead to the root the checkpoint signed at {} events",
                signed.seq
            )));
        }
        if !self.concerns.admit(event) {
            return Err(at(format!(
                "{} is not about the report's grant, its sessions or its request",
                event.action
            )));
        }
        self.computed.push(event);
        self.last_seq = seq;
        self.events += 1;
        Ok(())
    }
}

impl Check {
    /// Compares the summary with the one the events make, and says what was verified.
    fn finish(self) -> CommandResult<String> {
        let (Some(head), Some(signed), Some(stated)) = (self.head, self.signed, self.stated) else {
            unreachable!("read_report hands the head and the summary before it ends");
        };
        let computed = self.computed.finish();
        let as_value = |summary: &ReportSummary| serde_json::to_value(summary).unwrap_or_default();
        if let Some((path, says, events_say)) =
            first_difference("summary", &as_value(&stated), &as_value(&computed))
        {
            return Err(failed(format!(
                "field {path} is {says} in the report, but its events say {events_say}"
            )));
        }
        let grant_made = computed.grant.as_ref().map(|grant| &grant.id);
        if head.grant_id.is_some() && grant_made != head.grant_id.as_ref() {
            return Err(failed(format!(
                "the report is about grant {}, but no event creates it",
                head.grant_id.unwrap_or_default()
            )));
        }
        let (what, id) = match head.subject {
            ReportSubject::Grant => ("grant", head.grant_id),
            ReportSubject::Request => ("request", head.request_id),
        };
        Ok(terminal_safe(&format!(
            "Verified the evidence report of {what} {} in org {}: checkpoint signed by {} at {} \
             events; {} events hashed and proven in it; the summary is what they say",
            id.unwrap_or_default(),
            head.org,
            signed.name,
            signed.seq,
            self.events
        ))
        .into_owned())
    }
}
