//! `supportctl grant extend`: an active grant ends later.

use clap::Args;
use jiff::Timestamp;

use crate::cli::args::OrgArg;
use crate::cli::candidates;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::time::{parse_duration, parse_time, spoken_time};
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
#[group(id = "new_end", required = true, multiple = false, args = ["by", "until"])]
pub struct ExtendArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Grant id.
    #[arg(add = candidates::grant_ids())]
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

pub fn run(context: &mut Context, args: ExtendArgs) -> CommandResult {
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
