//! `supportctl grant create`: from the flags, or on a terminal by asking for what they leave
//! out.

use clap::Args;
use jiff::Timestamp;

use super::create_wizard;
use crate::api::{CreateGrant, Level, Role, join_areas};
use crate::cli::args::{AreaArg, OrgArg, areas_or_default};
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult, ErrorKind};
use crate::cli::time::{parse_duration, parse_time, spoken_time};

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

pub fn run(context: &mut Context, args: CreateArgs) -> CommandResult {
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
    let given = create_wizard::Given {
        level: args.level,
        areas: args.areas.clone(),
        duration: args.duration,
        until: args.until,
        engineers: args.engineers.clone(),
        reason: args.reason.clone(),
        ticket: args.ticket.clone(),
        dry_run: args.dry_run,
    };
    let asked = context.ui.interactive() && given.needs_asking();
    let mut request = if asked {
        create_wizard::ask(&context.ui, &connection, &org, &given)?
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
            crate::cli::time::spoken_duration(seconds.unsigned_abs()),
            spoken_time(grant.expires_at)
        ));
        return Ok(context.ui.preview(&grant)?);
    }
    let grant = loop {
        match connection.client.create_grant(&org, &request) {
            Ok(grant) => break grant,
            // Only the server knows who the support engineers are: asked again, not lost.
            Err(error) if asked => {
                request = create_wizard::after_refusal(
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
            crate::cli::time::spoken_duration(seconds.unsigned_abs())
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
