//! `supportctl grant`: what org admins do (and what support engineers may look at).

use clap::{Args, Subcommand};
use jiff::Timestamp;

use super::args::{AreaArg, ListLimit, OrgArg, areas_or_default};
use super::context::{Connection, Context};
use super::error::{CommandError, CommandResult, ErrorKind};
use super::time::{parse_duration, parse_time, spoken_time};
use crate::api::{CreateGrant, GrantStatusFilter, Level, Role, join_areas};
use crate::cli::client::{GrantList, Listing};
use crate::cli::ui::OutputFormat;

#[derive(Debug, Subcommand)]
pub enum GrantCommand {
    /// Grant the support team access to your org.
    #[command(after_long_help = "Examples:
  supportctl grant create --level member --for 4h \\
      --reason 'Ticket 4821: sync fails'
  supportctl grant create --level read-only --areas chats,issues \\
      --until 2026-11-28T17:00:00Z --engineer sam@vendor.example \\
      --ticket SUP-4821 --reason 'Sync issue'
  supportctl grant create     # on a terminal: asks for what is missing

On a terminal, without --level or --reason, asks for what the options leave out (each answer \
is checked at once), shows the grant and the same command without questions, and asks before \
creating it.")]
    Create(CreateArgs),
    /// List grants: an admin sees the org's, a support engineer those usable by them.
    #[command(after_long_help = "Examples:
  supportctl grant list
  supportctl grant list --status all --all -o json \\
      | jq -r '.[] | select(.status == \"active\") | .id'
  supportctl grant list -q | supportctl grant revoke - --yes   # every one")]
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show one grant.
    Show(ShowArgs),
    /// Move an active grant's expiry later.
    #[command(after_long_help = "Examples:
  supportctl grant extend gr_01j... --for 4h     # ends 4 hours later
  supportctl grant extend gr_01j... --until 2026-11-28T17:00:00Z")]
    Extend(ExtendArgs),
    /// Revoke grants: their sessions end at once.
    #[command(after_long_help = "Examples:
  supportctl grant revoke gr_01j...        # asks first, on a terminal
  supportctl grant revoke gr_01j... gr_01k... --reason 'Issue solved' --yes
  supportctl grant revoke --all --yes      # every active grant of the org
  grep -v '^#' ids.txt | supportctl grant revoke - --yes
  supportctl grant revoke --all --dry-run  # what would be revoked

Revoking a grant that is already inactive succeeds (noted on stderr). An id that names no \
grant of the org fails with exit code 3 after the others are revoked.")]
    #[command(visible_alias = "rm")]
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Access level: read-only, member or admin.
    #[arg(long, value_enum)]
    pub level: Option<Level>,
    /// Data areas, comma-separated; `all`: every area the org's policy allows [default: all]
    #[arg(long, value_enum, value_delimiter = ',')]
    pub areas: Option<Vec<AreaArg>>,
    /// How long the grant lasts, e.g. 30m, 8h, 2d [default: the server's, 8h]
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration, conflicts_with = "until")]
    pub duration: Option<i64>,
    /// When the grant ends (RFC 3339, e.g. 2026-11-28T17:00:00Z).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: Option<Timestamp>,
    /// A support engineer who may use the grant (repeatable) [default: the whole support team]
    #[arg(long = "engineer", value_name = "EMAIL")]
    pub engineers: Vec<String>,
    /// Why support needs access (required; shown to engineers and in the audit log).
    #[arg(long)]
    pub reason: Option<String>,
    /// Your support case reference.
    #[arg(long, value_name = "REF")]
    pub ticket: Option<String>,
    /// Ask the server what would be created (every check of a real grant), and create nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Which grants.
    #[arg(long, value_enum, default_value = "active")]
    pub status: GrantStatusFilter,
    #[command(flatten)]
    pub limit: ListLimit,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Grant id.
    #[arg(add = super::complete::grant_ids())]
    pub id: String,
}

#[derive(Debug, Args)]
#[group(id = "new_end", required = true, multiple = false, args = ["by", "until"])]
pub struct ExtendArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Grant id.
    #[arg(add = super::complete::grant_ids())]
    pub id: String,
    /// How much later the grant should end, e.g. 4h (`--by` is the same).
    #[arg(long = "for", visible_alias = "by", value_name = "DURATION", value_parser = parse_duration)]
    pub by: Option<i64>,
    /// When the grant should end instead (RFC 3339, e.g. 2026-11-28T17:00:00Z), later than now.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: Option<Timestamp>,
    /// Ask the server when the grant would end (every check of a real extension), and change
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Grant ids; `-` reads them from stdin, one per line.
    #[arg(
        value_name = "ID",
        add = super::complete::grant_ids(),
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

pub fn run(context: &mut Context, command: GrantCommand) -> CommandResult {
    match command {
        GrantCommand::Create(args) => create(context, args),
        GrantCommand::List(args) => list(context, args),
        GrantCommand::Show(args) => show(context, args),
        GrantCommand::Extend(args) => extend(context, args),
        GrantCommand::Revoke(args) => super::grant_revoke::revoke(context, args),
    }
}

fn create(context: &mut Context, args: CreateArgs) -> CommandResult {
    // Who and where first: no question is asked of someone who may not grant.
    let mut connection = context.connect()?;
    let role = connection.role()?;
    if role != Role::Admin {
        return Err(CommandError::new(
            ErrorKind::Forbidden,
            format!("only an org's admins grant access; you are signed in as {role}"),
        )
        .with_hint("check `supportctl status`, or pass --profile for an admin's profile"));
    }
    let org = args.org.resolve(&mut connection)?;
    let asked = context.ui.interactive() && super::grant_wizard::needed(&args);
    let mut request = if asked {
        super::grant_wizard::ask(&context.ui, &connection, &org, &args)?
            .ok_or_else(CommandError::cancelled)?
    } else {
        complete_create(&args)?
    };
    if args.dry_run {
        let grant = connection.client.create_grant_dry_run(&org, &request)?;
        let seconds = grant.expires_at.as_second() - grant.created_at.as_second();
        context.ui.note(&format!(
            "Dry run: would grant {} access to org {} ({}) for {}, until {}; nothing was changed.",
            grant.level,
            grant.org,
            join_areas(&grant.areas),
            crate::cli::ui::spoken_duration(seconds.unsigned_abs()),
            spoken_time(grant.expires_at)
        ));
        return Ok(context.ui.preview(&grant)?);
    }
    let grant = loop {
        match connection.client.create_grant(&org, &request) {
            Ok(grant) => break grant,
            // Only the server knows who the support engineers are: asked again, not lost.
            Err(error) if asked => {
                request = super::grant_wizard::after_refusal(
                    &context.ui,
                    &connection,
                    &org,
                    request,
                    error.into(),
                )?
                .ok_or_else(CommandError::cancelled)?;
            }
            Err(error) => return Err(error.into()),
        }
    };
    let seconds = grant.expires_at.as_second() - grant.created_at.as_second();
    context.ui.created(
        &format!(
            "Granted {} access to {} until {} ({})",
            grant.level,
            grant.org,
            spoken_time(grant.expires_at),
            grant.id
        ),
        &grant,
    )?;
    if seconds < 3600 {
        context.ui.warn(&format!(
            "this grant lasts only {}: sessions under it end when it does",
            crate::cli::ui::spoken_duration(seconds.unsigned_abs())
        ));
    }
    Ok(())
}

/// The create request from the flags alone (no terminal, or nothing left to ask).
fn complete_create(args: &CreateArgs) -> CommandResult<CreateGrant> {
    let missing = |flag: &str| {
        CommandError::usage(format!("missing {flag}"))
            .with_hint(format!("pass {flag} (no terminal to ask for it)"))
    };
    let level = args.level.ok_or_else(|| missing("--level"))?;
    let reason = match &args.reason {
        Some(reason) if !reason.trim().is_empty() => reason.clone(),
        Some(_) => return Err(CommandError::usage("--reason must not be empty")),
        None => return Err(missing("--reason")),
    };
    Ok(CreateGrant {
        level,
        areas: areas_or_default(&args.areas),
        engineers: (!args.engineers.is_empty()).then(|| args.engineers.clone()),
        duration_seconds: args.duration,
        expires_at: args.until,
        reason,
        ticket: args.ticket.clone(),
    })
}

/// Whether to use the admin (org) endpoints or the support engineer's view. A support
/// engineer's view spans orgs, so an explicit org only narrows it (it never means the admin
/// endpoints, which refuse support accounts).
fn is_support(connection: &mut Connection) -> CommandResult<bool> {
    Ok(connection.role()? == Role::Support)
}

fn list(context: &mut Context, args: ListArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let max = args.limit.max();
    let grants = if is_support(&mut connection)? {
        // The server lists a support engineer's grants across orgs; an org (flag or
        // SUPPORTCTL_ORG) narrows that list here, before the limit applies.
        match args.org.given() {
            None => connection
                .client
                .list_grants(GrantList::Usable, args.status, max)?,
            Some(org) => {
                let mut grants = connection
                    .client
                    .list_grants(GrantList::Usable, args.status, None)?
                    .items;
                grants.retain(|grant| grant.org == org);
                let mut listing = Listing::complete(grants);
                listing.items.truncate(max.unwrap_or(usize::MAX));
                listing
            }
        }
    } else {
        let org = args.org.resolve(&mut connection)?;
        // One org's list: its name on every row says nothing.
        context.ui.hide_column("org");
        connection
            .client
            .list_grants(GrantList::Org(&org), args.status, max)?
    };
    args.limit.print(&mut context.ui, &grants)
}

fn show(context: &mut Context, args: ShowArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let grant = if is_support(&mut connection)? {
        let usable =
            connection
                .client
                .list_grants(GrantList::Usable, GrantStatusFilter::All, None)?;
        usable
            .items
            .into_iter()
            .find(|grant| grant.id == args.id)
            .ok_or_else(|| {
                CommandError::not_found(format!("no grant '{}' usable by you", args.id))
            })?
    } else {
        let org = args.org.resolve(&mut connection)?;
        connection.client.get_grant(&org, &args.id)?
    };
    Ok(context.ui.one(&grant)?)
}

fn extend(context: &mut Context, args: ExtendArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = args.org.resolve(&mut connection)?;
    let by = match (args.by, args.until) {
        (Some(by), _) => by,
        // The server moves an expiry by a duration: the one from the grant's end to --until.
        (None, Some(until)) => {
            let current = connection.client.get_grant(&org, &args.id)?;
            let by = until.as_second() - current.expires_at.as_second();
            if by <= 0 {
                return Err(CommandError::usage(format!(
                    "--until {} is not after the grant's end, {}",
                    spoken_time(until),
                    spoken_time(current.expires_at)
                ))
                .with_hint("give a later time, or --for DURATION to add to its end"));
            }
            by
        }
        (None, None) => return Err(CommandError::usage("missing --for or --until")),
    };
    let extended = if args.dry_run {
        connection.client.extend_grant_dry_run(&org, &args.id, by)
    } else {
        connection.client.extend_grant(&org, &args.id, by)
    };
    let grant = extended.map_err(|error| {
        let error = CommandError::from(error);
        // The server judged the duration --until makes: say it of --until.
        match (args.until, error.message.strip_prefix("--for ")) {
            (Some(until), Some(rest)) => CommandError {
                message: format!(
                    "--until {} moves the grant's end by {}",
                    spoken_time(until),
                    rest.replacen(" is over", ", over", 1)
                ),
                ..error
            },
            _ => error,
        }
    })?;
    if args.dry_run {
        context.ui.note(&format!(
            "Dry run: grant {} would end {}; nothing was changed.",
            grant.id,
            spoken_time(grant.expires_at)
        ));
        return Ok(context.ui.preview(&grant)?);
    }
    context.ui.success(&format!(
        "Grant {} now ends {}",
        grant.id,
        spoken_time(grant.expires_at)
    ));
    if context.ui.quiet() || context.ui.format() != OutputFormat::Table {
        context.ui.one(&grant)?;
    }
    Ok(())
}
