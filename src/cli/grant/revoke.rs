//! `supportctl grant revoke`: one, many (from stdin), or all of an org's active grants, in
//! bulk requests; `--dry-run` asks the server what would change.

use std::io::BufRead;

use clap::Args;
use serde::Serialize;

use crate::api::{Area, BulkRevoke, BulkRevokeResult, join_areas};
use crate::cli::args::OrgArg;
use crate::cli::candidates;
use crate::cli::client::{ApiClient, ClientError};
use crate::cli::context::{Connection, Context};
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::table::{Cell, Tabular};
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Grant ids; `-` reads them from stdin, one per line.
    #[arg(
        value_name = "ID",
        add = candidates::grant_ids(),
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub ids: Vec<String>,
    /// Revoke every active grant of the org.
    #[arg(long)]
    pub all: bool,
    /// Why (recorded in the audit log).
    #[arg(long)]
    pub reason: Option<String>,
    /// Ask the server what would be revoked and which sessions would end, and revoke nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Ids per bulk request: the most the server takes in one, so that up to this many are
/// revoked in one transaction (all or none).
const REVOKE_CHUNK: usize = 10_000;

/// One id's fate, for printing.
#[derive(Serialize)]
struct RevokeOutcome {
    id: String,
    outcome: &'static str,
}

impl Tabular for RevokeOutcome {
    fn headers() -> &'static [&'static str] {
        &["id", "outcome"]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![Cell::text(&self.id), Cell::text(self.outcome)]
    }

    fn id(&self) -> &str {
        &self.id
    }
}

fn read_ids(args: &RevokeArgs) -> CommandResult<Vec<String>> {
    let mut ids = Vec::new();
    for id in &args.ids {
        if id == "-" {
            for line in std::io::stdin().lock().lines() {
                let line = line?;
                let line = line.trim();
                if !line.is_empty() && !line.starts_with('#') {
                    ids.push(line.to_owned());
                }
            }
        } else {
            ids.push(id.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    Ok(ids)
}

pub fn run(context: &mut Context, args: RevokeArgs) -> CommandResult {
    let ids = if args.all {
        Vec::new()
    } else {
        read_ids(&args)?
    };
    if !args.all && ids.is_empty() {
        // `grant list -q | grant revoke - --yes` with nothing listed: nothing to do is success.
        context.ui.note("No grant ids on stdin; nothing to revoke.");
        return print_outcomes(context, &BulkRevokeResult::default());
    }
    let mut connection = context.connect()?;
    let org = args.org.resolve(&mut connection)?;
    if args.dry_run {
        return dry_run_revoke(context, &mut connection, &org, &args, &ids);
    }
    if args.all {
        // The count is for the person confirming; with --yes nobody reads it, so the
        // server's one transaction is the whole job.
        if !context.ui.assume_yes() {
            let would = preview(&connection.client, &org, &args, &ids)?;
            if would.revoked.is_empty() {
                context.ui.note(&format!(
                    "Org {org} has no active grants; nothing to revoke."
                ));
                return print_outcomes(context, &BulkRevokeResult::default());
            }
            if !context.ui.confirm(&format!(
                "Revoke all {} active grants of org {org}? This {}.",
                would.revoked.len(),
                ends(Some(would.sessions_ended))
            ))? {
                return Err(CommandError::cancelled());
            }
        }
        let result = connection
            .client
            .bulk_revoke(&org, &bulk_requests(&args, &ids)[0])?;
        if result.revoked.is_empty() {
            context.ui.note(&format!(
                "Org {org} has no active grants; nothing to revoke."
            ));
            return print_outcomes(context, &result);
        }
        return finish_revoke(context, result);
    }
    if !context.ui.assume_yes()
        && !context
            .ui
            .confirm(&revoke_question(&connection, &org, &args, &ids)?)?
    {
        return Err(CommandError::cancelled());
    }
    let bar = context.ui.spinner_or_bar(ids.len() as u64, "Revoking");
    let mut result = BulkRevokeResult::default();
    for request in bulk_requests(&args, &ids) {
        merge(&mut result, connection.client.bulk_revoke(&org, &request)?);
        bar.inc(request.ids.map_or(0, |ids| ids.len()) as u64);
    }
    bar.finish_and_clear();
    finish_revoke(context, result)
}

fn finish_revoke(context: &mut Context, result: BulkRevokeResult) -> CommandResult {
    let revoked = result.revoked.len();
    // Nothing revoked (only unknown or inactive ids) is no success to announce.
    if revoked > 0 {
        context.ui.success(&format!(
            "Revoked {}, {}",
            count(revoked, "grant"),
            ending(result.sessions_ended)
        ));
    }
    for id in &result.already_inactive {
        context
            .ui
            .note(&format!("{id} was already inactive; nothing to do"));
    }
    print_outcomes(context, &result)?;
    unknown_ids(&result)
}

/// Exit 3 when some ids named no grant of the org (after the others were dealt with).
fn unknown_ids(result: &BulkRevokeResult) -> CommandResult {
    match result.not_found.as_slice() {
        [] => Ok(()),
        [id] => Err(not_found(id)),
        ids => Err(CommandError::not_found(format!(
            "grants not found in this org: {}",
            ids.join(", ")
        ))),
    }
}

fn not_found(id: &str) -> CommandError {
    CommandError::not_found(format!("grant {id} not found in this org"))
        .with_hint("`supportctl grant list --status all` shows the org's grants")
}

fn print_outcomes(context: &mut Context, result: &BulkRevokeResult) -> CommandResult {
    if context.ui.format() == OutputFormat::Json && !context.ui.quiet() {
        return Ok(context.ui.json(result)?);
    }
    if context.ui.quiet() {
        for id in &result.revoked {
            context.ui.line(id)?;
        }
        return Ok(());
    }
    if context.ui.format() == OutputFormat::Table {
        // The summary lines on stderr say it all on a terminal.
        return Ok(());
    }
    let outcomes: Vec<RevokeOutcome> = outcomes(result, "revoked");
    Ok(context.ui.list(&outcomes)?)
}

fn outcomes(result: &BulkRevokeResult, revoked: &'static str) -> Vec<RevokeOutcome> {
    let tag = |ids: &[String], outcome: &'static str| {
        ids.iter()
            .map(|id| RevokeOutcome {
                id: id.clone(),
                outcome,
            })
            .collect::<Vec<_>>()
    };
    let mut all = tag(&result.revoked, revoked);
    all.extend(tag(&result.already_inactive, "already_inactive"));
    all.extend(tag(&result.not_found, "not_found"));
    all
}

/// The server's answer to the same bulk requests the real run would send, with
/// `dry_run=true`: the same checks, the same exit code, nothing changed.
fn preview(
    client: &ApiClient,
    org: &str,
    args: &RevokeArgs,
    ids: &[String],
) -> CommandResult<BulkRevokeResult> {
    let mut result = BulkRevokeResult::default();
    for request in bulk_requests(args, ids) {
        merge(&mut result, client.bulk_revoke_dry_run(org, &request)?);
    }
    Ok(result)
}

/// The bulk requests a revoke sends: one for `--all`, else one per chunk of ids.
fn bulk_requests(args: &RevokeArgs, ids: &[String]) -> Vec<BulkRevoke> {
    let request = |ids: Option<&[String]>| BulkRevoke {
        ids: ids.map(<[String]>::to_vec),
        all: args.all.then_some(true),
        reason: args.reason.clone(),
    };
    if args.all {
        return vec![request(None)];
    }
    ids.chunks(REVOKE_CHUNK)
        .map(|chunk| request(Some(chunk)))
        .collect()
}

/// `--dry-run`: what [`preview`] says, printed as the real run prints its outcome.
fn dry_run_revoke(
    context: &mut Context,
    connection: &mut Connection,
    org: &str,
    args: &RevokeArgs,
    ids: &[String],
) -> CommandResult {
    let result = preview(&connection.client, org, args, ids)?;
    context.ui.note(&format!(
        "Dry run: would revoke {}, {}; {} already inactive, {} not found. Nothing was changed.",
        count(result.revoked.len(), "grant"),
        ending(result.sessions_ended),
        result.already_inactive.len(),
        result.not_found.len()
    ));
    if context.ui.format() == OutputFormat::Json || context.ui.quiet() {
        print_outcomes(context, &result)?;
    } else {
        let outcomes = outcomes(&result, "would_revoke");
        context.ui.list(&outcomes)?;
    }
    // The exit code the real run would have.
    unknown_ids(&result)
}

fn merge(result: &mut BulkRevokeResult, part: BulkRevokeResult) {
    result.revoked.extend(part.revoked);
    result.already_inactive.extend(part.already_inactive);
    result.not_found.extend(part.not_found);
    result.sessions_ended += part.sessions_ended;
}

/// "1 grant", "3 grants".
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// What a revocation does to sessions: "ending 2 active sessions".
fn ending(sessions: i64) -> String {
    match sessions {
        0 => "ending no active session".to_owned(),
        1 => "ending 1 active session".to_owned(),
        n => format!("ending {n} active sessions"),
    }
}

/// What the confirmed revocation ends, as the server counted it in a dry run ("ends 2
/// active sessions at once"); `None` when that count could not be had.
fn ends(sessions: Option<i64>) -> String {
    match sessions {
        None => "ends their sessions at once".to_owned(),
        Some(0) => "ends no active session".to_owned(),
        Some(1) => "ends 1 active session at once".to_owned(),
        Some(n) => format!("ends {n} active sessions at once"),
    }
}

/// What revoking `ids` does, for the person confirming: the grant's level and areas, and the
/// sessions it ends (the server's dry run of the same request). Lookups that fail leave the
/// details out, but one id that names no grant is not found at once: there is nothing to ask
/// about.
fn revoke_question(
    connection: &Connection,
    org: &str,
    args: &RevokeArgs,
    ids: &[String],
) -> CommandResult<String> {
    let sessions = preview(&connection.client, org, args, ids)
        .ok()
        .map(|would| would.sessions_ended);
    let ends = ends(sessions);
    let one = match ids {
        [id] => match connection.client.get_grant(org, id) {
            Err(ClientError::Api { status: 404, .. }) => return Err(not_found(id)),
            found => found.ok(),
        },
        _ => None,
    };
    if let (Some(grant), [id]) = (one, ids) {
        let areas = if Area::ALL.iter().all(|a| grant.areas.contains(a)) {
            "all areas".to_owned()
        } else {
            join_areas(&grant.areas)
        };
        return Ok(format!(
            "Revoke grant {id} ({} on {areas}, org {org})? This {ends}.",
            grant.level
        ));
    }
    if let [id] = ids {
        return Ok(format!("Revoke grant {id} of org {org}? This {ends}."));
    }
    Ok(format!(
        "Revoke {} grants of org {org}? This {ends}.",
        ids.len()
    ))
}
