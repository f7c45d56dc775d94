//! `supportctl audit`: read, follow and verify an org's audit log or the vendor's, and keep
//! signed checkpoints of them.

mod chain;
pub mod checkpoint;
pub mod key;
pub mod list;
mod proofs;
pub mod prove;
mod server_key;
pub mod verify;
pub mod verify_report;

use clap::Subcommand;

use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List the org's newest audit events, oldest of them first.
    ///
    /// `-o ocsf` prints each event as an OCSF 1.1.0 event, one JSON object per line, for a SIEM to ingest (with --follow too, as they come); README.md lists the class of each action.
    #[command(after_long_help = "Examples:
  supportctl audit list --since 24h
  supportctl audit list --grant gr_01j... --all   # all about a grant
  supportctl audit list --actor sam@vendor.example --before-seq 500
  supportctl audit list --action access.denied --all -o json | jq length
  supportctl audit list --follow -o json   # one event a line, as they come
  supportctl audit list --all -o ocsf > audit.ocsf.jsonl   # for a SIEM
  supportctl audit list --all -o json > audit.json
  supportctl audit verify --file audit.json")]
    #[command(visible_alias = "ls")]
    List(list::ListArgs),
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
    Verify(verify::VerifyArgs),
    /// Check an evidence report offline; exit 1 at the first thing that does not hold.
    ///
    /// Checks the checkpoint's signature, each event's hash (recomputed from its fields) and its inclusion proof against the checkpoint, that each event is about the report's grant, its sessions or its request, and that the summary (request, approvals, grant, sessions, accesses) is what the events say. Exit 1 says what is wrong and where; exit 2 if the file is not a report.
    #[command(after_long_help = "Examples:
  supportctl grant report gr_01j... -o json > gr_01j.report.json
  supportctl audit verify-report gr_01j.report.json --key server.key
  supportctl request report rq_01j... -o json \\
      | supportctl audit verify-report - --key server.key")]
    VerifyReport(verify_report::VerifyReportArgs),
    /// Print a checkpoint of the log, signed by the server.
    ///
    /// Keep it (e.g. daily, from cron): `audit verify --checkpoint FILE` proves later that the
    /// log was not cut short or rewritten since.
    #[command(after_long_help = "Examples:
  supportctl audit checkpoint > acme-$(date +%F).checkpoint
  supportctl audit checkpoint --vendor > vendor.checkpoint   # operators")]
    Checkpoint(checkpoint::CheckpointArgs),
    /// Prove that one event is in the log the server signs now.
    ///
    /// Asks for the current signed checkpoint and an inclusion proof of the event against it (RFC 6962, as Go's sumdb/tlog), and checks both here: a few hashes, whatever the log's length. Exit 1 if the proof does not hold.
    #[command(after_long_help = "Examples:
  supportctl audit prove 42
  supportctl audit prove 42 --key server.key -o json > event-42.proof.json
  supportctl audit prove 7 --vendor   # operators")]
    Prove(prove::ProveArgs),
    /// Print the server's verifier key, which checks its checkpoints (no login needed).
    #[command(after_long_help = "Examples:
  supportctl audit key > server.key     # pin it, then verify with --key")]
    Key,
}

pub fn run(context: &mut Context, command: AuditCommand) -> CommandResult {
    match command {
        AuditCommand::List(args) => list::run(context, args),
        AuditCommand::Verify(args) => verify::run(context, args),
        AuditCommand::VerifyReport(args) => verify_report::run(context, args),
        AuditCommand::Checkpoint(args) => checkpoint::run(context, args),
        AuditCommand::Prove(args) => prove::run(context, args),
        AuditCommand::Key => key::run(context),
    }
}
