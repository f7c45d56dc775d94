//! `supportctl org policy`: an org's own rules for support access, read and changed by its
//! admins (read, modify, write with `version`, so a concurrent change is never lost).

use clap::{Args, Subcommand};

use super::args::{AreaArg, OrgArg, areas_or_default};
use super::context::Context;
use super::error::{CommandError, CommandResult};
use super::time::parse_duration;
use crate::api::{
    Area, Level, OrgPolicy, PendingPolicyChange, PolicyChangeOutcome, PutOrgPolicy, join_areas,
};
use crate::cli::client::ClientError;
use crate::cli::ui::{Cell, OutputFormat, Tabular, spoken_duration};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub org: OrgArg,
    #[command(subcommand)]
    pub command: Option<PolicyCommand>,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Change the named settings; the others stay as they are.
    #[command(after_long_help = "Examples:
  supportctl org policy set --max-grant 7d --levels read-only,member \\
      --require-ticket
  supportctl org policy set --direct-grants=false \\
      --approvals admin=2,member=1
  supportctl org policy set --request-ttl 12h --expiry-warning 1h

Durations may not exceed the server's own limits (its --max-grant-duration and \
--max-session-ttl): a longer one is refused (exit 6), naming the limit. Another admin's \
change between the read and the write is refused (exit 6), never overwritten: run the \
command again.

A change that lowers a level's approvals or turns direct grants on, while the policy asks \
two or more approvals for some level, does not apply yet: it waits until as many admins \
approved it (you count as one); see `supportctl org policy approve`.")]
    Set(SetArgs),
    /// Show the change waiting for admins' approvals, if any.
    Pending(PendingArgs),
    /// Approve the pending change (after showing it); the last approval needed applies it.
    #[command(after_long_help = "Examples:
  supportctl org policy approve        # shows the change, then asks
  supportctl org policy approve --yes  # approves it without asking")]
    Approve(ApproveArgs),
}

#[derive(Debug, Args)]
pub struct PendingArgs {
    #[command(flatten)]
    pub org: OrgArg,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Approve only if the pending change has this id (as `org policy pending` shows it).
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Longest grant, e.g. 7d (the server's own limit still applies).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_grant: Option<i64>,
    /// Grant duration when none is asked, e.g. 8h.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub default_grant: Option<i64>,
    /// Longest session, e.g. 2h.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_session_ttl: Option<i64>,
    /// Levels that may be granted, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LEVELS")]
    pub levels: Option<Vec<Level>>,
    /// Data areas that may be granted, comma-separated; `all`: every area.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "AREAS")]
    pub areas: Option<Vec<AreaArg>>,
    /// Grants and requests must name a ticket.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub require_ticket: Option<bool>,
    /// Admins may grant directly (false: only by approving requests).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub direct_grants: Option<bool>,
    /// Support engineers may file requests.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub accept_requests: Option<bool>,
    /// Approvals needed per level, e.g. admin=2,member=1.
    #[arg(long, value_delimiter = ',', value_parser = parse_approval, value_name = "LEVEL=N")]
    pub approvals: Option<Vec<(Level, i64)>>,
    /// How long a request stays pending, e.g. 12h.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub request_ttl: Option<i64>,
    /// How long before a grant ends its `grant.expiring` webhooks fire, e.g. 1h (0: never).
    #[arg(long, value_name = "DURATION", value_parser = parse_warning)]
    pub expiry_warning: Option<i64>,
    /// Ask the server what the policy would become (every check of a real change), and change
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn parse_approval(text: &str) -> Result<(Level, i64), String> {
    let (level, count) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}' is not LEVEL=N, e.g. admin=2"))?;
    let level: Level = level.trim().parse()?;
    let count: i64 = count
        .trim()
        .parse()
        .map_err(|_| format!("'{count}' is not a number of approvals"))?;
    if count < 1 {
        return Err(format!("{level} needs at least 1 approval"));
    }
    Ok((level, count))
}

fn parse_warning(text: &str) -> Result<i64, String> {
    if text.trim() == "0" {
        Ok(0)
    } else {
        parse_duration(text)
    }
}

impl Tabular for OrgPolicy {
    fn headers() -> &'static [&'static str] {
        &[
            "version",
            "max grant",
            "default grant",
            "max session ttl",
            "levels",
            "areas",
            "require ticket",
            "direct grants",
            "accept requests",
            "approvals",
            "request ttl",
            "expiry warning",
            "updated",
            "updated by",
        ]
    }

    fn cells(&self) -> Vec<Cell> {
        let duration = |seconds: i64| Cell::Text(spoken_duration(seconds.unsigned_abs()));
        let approvals = &self.approvals_required;
        vec![
            Cell::text(self.version),
            duration(self.max_grant_duration_seconds),
            duration(self.default_grant_duration_seconds),
            duration(self.max_session_ttl_seconds),
            Cell::Text(
                self.allowed_levels
                    .iter()
                    .map(Level::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            Cell::Text(join_areas(&self.allowed_areas)),
            Cell::text(self.require_ticket),
            Cell::text(self.direct_grants),
            Cell::text(self.accept_requests),
            Cell::Text(format!(
                "read-only={},member={},admin={}",
                approvals.read_only, approvals.member, approvals.admin
            )),
            duration(self.request_ttl_seconds),
            if self.expiry_warning_seconds == 0 {
                Cell::Placeholder("(never)")
            } else {
                duration(self.expiry_warning_seconds)
            },
            Cell::Time(self.updated_at),
            Cell::opt(self.updated_by.as_ref()),
        ]
    }

    fn id(&self) -> &str {
        "policy"
    }
}

impl Tabular for PendingPolicyChange {
    fn headers() -> &'static [&'static str] {
        &[
            "id",
            "weakens",
            "proposed by",
            "proposed",
            "approvals",
            "approved by",
            "changes version",
        ]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::text(&self.id),
            Cell::Text(self.weakens.join(", ")),
            Cell::text(&self.proposed_by),
            Cell::Time(Some(self.proposed_at)),
            Cell::Text(format!(
                "{} of {}",
                self.approvals.len(),
                self.approvals_required
            )),
            Cell::Text(
                self.approvals
                    .iter()
                    .map(|a| a.by.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Cell::text(self.base_version),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }
}

pub fn run(context: &mut Context, args: PolicyArgs) -> CommandResult {
    match args.command {
        None => show(context, &args.org),
        Some(PolicyCommand::Set(set)) => change(context, set),
        Some(PolicyCommand::Pending(pending)) => show_pending(context, &pending.org),
        Some(PolicyCommand::Approve(approve)) => approve_pending(context, approve),
    }
}

/// The org's pending change; none is "not found" (exit 3).
fn pending(
    client: &crate::cli::client::ApiClient,
    org: &str,
) -> CommandResult<PendingPolicyChange> {
    match client.pending_policy_change(org) {
        Ok(change) => Ok(change),
        Err(ClientError::Api { status: 404, .. }) => Err(CommandError::not_found(format!(
            "no policy change is pending in org {org}"
        ))),
        Err(error) => Err(error.into()),
    }
}

fn show_pending(context: &mut Context, org: &OrgArg) -> CommandResult {
    let mut connection = context.connect()?;
    let org = connection.org(org.org.as_deref())?;
    let change = pending(&connection.client, &org)?;
    Ok(context.ui.one(&change)?)
}

fn approve_pending(context: &mut Context, args: ApproveArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = connection.org(args.org.org.as_deref())?;
    let change = pending(&connection.client, &org)?;
    if let Some(id) = &args.id
        && id != &change.id
    {
        return Err(CommandError::conflict(format!(
            "the pending change of org {org} is {}, not {id}",
            change.id
        ))
        .with_hint("read it with `supportctl org policy pending`"));
    }
    let question = format!(
        "Approve policy change {} of org {org} by {} (weakens {}; {} of {} approvals so far)?",
        change.id,
        change.proposed_by,
        change.weakens.join(", "),
        change.approvals.len(),
        change.approvals_required
    );
    if !context.ui.confirm(&question)? {
        return Err(CommandError::cancelled());
    }
    match connection.client.approve_policy_change(&org, &change.id)? {
        PolicyChangeOutcome::Applied(policy) => {
            context.ui.success(&format!(
                "Approved; org {org}'s policy is now version {}",
                policy.version
            ));
            if context.ui.format() != OutputFormat::Table || context.ui.quiet() {
                context.ui.one(&policy)?;
            }
        }
        PolicyChangeOutcome::Pending(change) => {
            context.ui.success(&format!(
                "Approved policy change {}; it has {} of the {} approvals it needs",
                change.id,
                change.approvals.len(),
                change.approvals_required
            ));
            if context.ui.format() != OutputFormat::Table || context.ui.quiet() {
                context.ui.one(&change)?;
            }
        }
    }
    Ok(())
}

fn show(context: &mut Context, org: &OrgArg) -> CommandResult {
    let mut connection = context.connect()?;
    let org = connection.org(org.org.as_deref())?;
    let policy = connection.client.org_policy(&org)?;
    Ok(context.ui.one(&policy)?)
}

fn change(context: &mut Context, args: SetArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = connection.org(args.org.org.as_deref())?;
    let before = connection.client.org_policy(&org)?;
    let mut put = PutOrgPolicy::from(&before);
    let mut changed = Vec::new();
    let mut set = |name: &str, apply: &mut dyn FnMut(&mut PutOrgPolicy)| {
        apply(&mut put);
        changed.push(name.to_owned());
    };
    if let Some(v) = args.max_grant {
        set("max grant", &mut |p| p.max_grant_duration_seconds = v);
    }
    if let Some(v) = args.default_grant {
        set("default grant", &mut |p| {
            p.default_grant_duration_seconds = v
        });
    }
    if let Some(v) = args.max_session_ttl {
        set("max session ttl", &mut |p| p.max_session_ttl_seconds = v);
    }
    if let Some(v) = &args.levels {
        set("levels", &mut |p| p.allowed_levels = v.clone());
    }
    if args.areas.is_some() {
        let areas = areas_or_default(&args.areas).unwrap_or_else(|| Area::ALL.to_vec());
        set("areas", &mut |p| p.allowed_areas = areas.clone());
    }
    if let Some(v) = args.require_ticket {
        set("require ticket", &mut |p| p.require_ticket = v);
    }
    if let Some(v) = args.direct_grants {
        set("direct grants", &mut |p| p.direct_grants = v);
    }
    if let Some(v) = args.accept_requests {
        set("accept requests", &mut |p| p.accept_requests = v);
    }
    if let Some(v) = &args.approvals {
        set("approvals", &mut |p| {
            for (level, count) in v {
                p.approvals_required.set(*level, *count);
            }
        });
    }
    if let Some(v) = args.request_ttl {
        set("request ttl", &mut |p| p.request_ttl_seconds = v);
    }
    if let Some(v) = args.expiry_warning {
        set("expiry warning", &mut |p| p.expiry_warning_seconds = v);
    }
    if changed.is_empty() {
        return Err(CommandError::usage("nothing to change")
            .with_hint("name at least one setting; see `supportctl org policy set --help`"));
    }
    let answer = if args.dry_run {
        connection.client.put_org_policy_dry_run(&org, &put)
    } else {
        connection.client.put_org_policy(&org, &put)
    };
    let after = match answer {
        Ok(after) => after,
        Err(ClientError::Api {
            status: 409,
            problem,
        }) => {
            return Err(CommandError::conflict(problem.detail)
                .with_hint("another admin changed the policy meanwhile; run the command again"));
        }
        Err(error) => return Err(error.into()),
    };
    let after = match after {
        PolicyChangeOutcome::Applied(after) => after,
        PolicyChangeOutcome::Pending(change) => {
            return proposed(context, &org, &change, args.dry_run);
        }
    };
    if args.dry_run {
        context.ui.note(&format!(
            "Dry run: org {org}'s policy would become version {} (changed: {}); nothing was \
             changed.",
            after.version,
            changed.join(", ")
        ));
        return Ok(context.ui.preview(&after)?);
    }
    context.ui.success(&format!(
        "Org {org}'s policy is now version {} (changed: {})",
        after.version,
        changed.join(", ")
    ));
    if context.ui.format() != OutputFormat::Table || context.ui.quiet() {
        context.ui.one(&after)?;
    }
    Ok(())
}

/// A change that waits for other admins' approvals.
fn proposed(
    context: &mut Context,
    org: &str,
    change: &PendingPolicyChange,
    dry_run: bool,
) -> CommandResult {
    let needed = change.approvals_required - change.approvals.len() as i64;
    if dry_run {
        context.ui.note(&format!(
            "Dry run: this change weakens {} and would wait for {needed} more admin approval(s); \
             nothing was changed.",
            change.weakens.join(", ")
        ));
        return Ok(context.ui.preview(change)?);
    }
    context.ui.success(&format!(
        "Proposed policy change {} for org {org}: it weakens {}, so it applies once {needed} \
         more admin(s) approve it (`supportctl org policy approve`)",
        change.id,
        change.weakens.join(", ")
    ));
    if context.ui.format() != OutputFormat::Table || context.ui.quiet() {
        context.ui.one(change)?;
    }
    Ok(())
}
