//! `supportctl request create`: a support engineer asks an org's admins for access (and, with
//! `--wait`, waits for the decision).

use clap::Args;

use super::waiting::{DEFAULT_TIMEOUT, print_approved, wait_for};
use crate::api::{CreateRequest, Level};
use crate::cli::args::{AreaArg, OrgArg, areas_or_default};
use crate::cli::candidates;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult, ErrorKind};
use crate::cli::time::parse_duration;
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The org to ask (or --org).
    #[arg(value_name = "ORG", conflicts_with = "org", add = candidates::orgs())]
    pub org_name: Option<String>,
    #[command(flatten)]
    pub org: OrgArg,
    /// Access level asked: read-only, member or admin.
    #[arg(long, value_enum)]
    pub level: Level,
    /// Data areas, comma-separated; `all`: every area the org's policy allows [default: all]
    #[arg(long, value_enum, value_delimiter = ',')]
    pub areas: Option<Vec<AreaArg>>,
    /// How long the grant should last, e.g. 4h [default: the org's default]
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<i64>,
    /// Why you need access (required; the org's admins decide on it).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Your support case reference (required when the org's policy says so).
    #[arg(long, value_name = "REF")]
    pub ticket: Option<String>,
    /// Break-glass: an emergency request that an operator confirms (`request confirm`) instead
    /// of the org's admins; its grant starts at once, and the org's admins are alerted. Only
    /// when the org's policy allows it, up to its break-glass level and duration (default:
    /// that duration).
    #[arg(long)]
    pub break_glass: bool,
    /// Wait for the decision (see `request wait`).
    #[arg(long)]
    pub wait: bool,
    /// With --wait: how long to wait before exiting 8.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = DEFAULT_TIMEOUT, requires = "wait")]
    pub timeout: i64,
}

pub fn run(context: &mut Context, args: CreateArgs) -> CommandResult {
    let mut connection = context.connect()?;
    // ORG, --org, SUPPORTCTL_ORG or the profile's, as for `session open`.
    let given = args.org_name.as_deref().or(args.org.org.as_deref());
    let org = connection.org(given).map_err(|error| {
        if !matches!(error.kind, ErrorKind::Forbidden | ErrorKind::Usage) {
            return error;
        }
        CommandError::usage("no org to ask")
            .with_hint("name it: `supportctl request create ORG`, --org ORG or SUPPORTCTL_ORG")
    })?;
    let request = connection.client.create_request(
        &org,
        &CreateRequest {
            level: args.level,
            areas: areas_or_default(&args.areas),
            duration_seconds: args.duration,
            reason: args.reason,
            ticket: args.ticket,
            break_glass: args.break_glass,
        },
    )?;
    if !args.wait {
        if let (Some(rule), Some(grant)) = (&request.approval_rule, &request.grant_id)
            && context.ui.format() == OutputFormat::Table
            && !context.ui.quiet()
        {
            context.ui.success(&format!(
                "Approved by org {}'s rule {rule}: grant {grant} ({}); open a session with \
                 `supportctl session open {} --grant {grant}`",
                request.org, request.id, request.org
            ));
        } else if context.ui.format() == OutputFormat::Table && !context.ui.quiet() {
            if request.break_glass {
                context.ui.success(&format!(
                    "Requested break-glass {} access to {} ({}); an operator other than you \
                     confirms it: `supportctl request confirm {} --org {}`",
                    request.level, request.org, request.id, request.id, request.org
                ));
            } else {
                context.ui.success(&format!(
                    "Requested {} access to {} ({}); the org's admins decide by {}",
                    request.level,
                    request.org,
                    request.id,
                    crate::cli::time::spoken_time(request.expires_at)
                ));
            }
        }
        return Ok(context.ui.one(&request)?);
    }
    let decided = wait_for(context, &mut connection, None, &request, args.timeout)?;
    print_approved(context, &connection.client, &decided)
}
