//! `supportctl session open`: a session in an org, its token printed once; when no grant
//! covers it, an access request filed and waited for. `session exec` opens its session here
//! too.

use clap::Args;

use crate::api::{CreateRequest, ErrorCode, Level, OpenSession, SessionWithToken, join_areas};
use crate::cli::args::{AreaArg, OrgArg, areas_or_default};
use crate::cli::candidates;
use crate::cli::client::ClientError;
use crate::cli::context::{Connection, Context};
use crate::cli::error::{CommandError, CommandResult, ErrorKind};
use crate::cli::request::waiting::wait_for;
use crate::cli::table::Tabular;
use crate::cli::time::{parse_duration, spoken_time};
use crate::cli::ui::{OutputFormat, SignalHold, Ui, ask_text, tsv_cells};

#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The org to open the session in (or --org).
    #[arg(value_name = "ORG", conflicts_with = "org", add = candidates::orgs())]
    pub org_name: Option<String>,
    #[command(flatten)]
    pub org: OrgArg,
    /// The grant to use [default: the narrowest usable grant that covers the request]
    #[arg(long = "grant", value_name = "ID", add = candidates::grant_ids())]
    pub grant: Option<String>,
    /// Access level, at most the grant's [default: the grant's]
    #[arg(long, value_enum)]
    pub level: Option<Level>,
    /// Data areas, a subset of the grant's; `all`: all the grant's [default: all]
    #[arg(long, value_enum, value_delimiter = ',')]
    pub areas: Option<Vec<AreaArg>>,
    /// Session lifetime, capped by the grant's expiry [default: the server's, 1h]
    #[arg(long = "for", visible_alias = "ttl", value_name = "DURATION", value_parser = parse_duration)]
    pub ttl: Option<i64>,
    /// Why you open it (required; in the org's audit log; asked for on a terminal).
    #[arg(long)]
    pub reason: Option<String>,
    /// When no usable grant covers the session, ask the org's admins for one and wait.
    #[arg(long)]
    pub request: bool,
    /// With --request: how long the grant asked for should last [default: the org's]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "request")]
    pub request_for: Option<i64>,
    /// With --request: your support case reference.
    #[arg(long, value_name = "REF", requires = "request")]
    pub ticket: Option<String>,
    /// With --request: how long to wait for the decision before exiting 8.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "30m")]
    pub timeout: i64,
}

impl OpenArgs {
    /// ORG, `--org`, `SUPPORTCTL_ORG` or the profile's: a support engineer has no org of their
    /// own to fall back on.
    pub(crate) fn resolve_org(&self, connection: &mut Connection) -> CommandResult<String> {
        let given = self.org_name.as_deref().or(self.org.org.as_deref());
        connection.org(given).map_err(|error| {
            if !matches!(error.kind, ErrorKind::Forbidden | ErrorKind::Usage) {
                return error;
            }
            CommandError::usage("no org to open the session in")
                .with_hint("name it: `supportctl session open ORG`, --org ORG or SUPPORTCTL_ORG")
        })
    }
}

/// The session asked for; on a terminal, asks for the reason when `--reason` is missing.
pub fn open_request(ui: &Ui, args: &OpenArgs) -> CommandResult<OpenSession> {
    let reason = match &args.reason {
        Some(reason) if !reason.trim().is_empty() => reason.clone(),
        None if ui.interactive() => ask_text(
            "Reason (goes into the org's audit log)",
            Some("a reason is required"),
        )?,
        _ => {
            return Err(CommandError::usage("missing --reason")
                .with_hint("say why you need the session: it goes into the org's audit log"));
        }
    };
    Ok(OpenSession {
        grant_id: args.grant.clone(),
        level: args.level,
        areas: areas_or_default(&args.areas),
        ttl_seconds: args.ttl,
        reason,
    })
}

/// Opens the session; when no usable grant covers it, files an access request for what was
/// asked (with `--request`, or when the person at the terminal agrees), waits for the
/// decision, and opens the session from the grant the approval created.
///
/// With `signals`, Ctrl-C, SIGTERM and SIGHUP are held from the moment a session is asked for:
/// a session opened returns with them held, for the caller to close it before it ends. While
/// the question and the wait for a decision run, they act as usual.
pub fn open_or_request(
    context: &mut Context,
    connection: &mut Connection,
    args: &OpenArgs,
    org: &str,
    request: &OpenSession,
    signals: Option<&SignalHold>,
) -> CommandResult<SessionWithToken> {
    if let Some(signals) = signals {
        signals.hold();
    }
    let error = match connection.client.open_session(org, request) {
        Ok(opened) => return Ok(opened),
        Err(error) => error,
    };
    if let Some(signals) = signals {
        signals.release();
    }
    // An access request cannot lift the session maximum: say what can be had, offer nothing.
    if let ClientError::Api { problem, .. } = &error
        && problem.code == ErrorCode::PolicyViolation
        && let Some(over) = crate::cli::error::over_maximum(&problem.detail)
        && over.field == "ttl_seconds"
    {
        let max = crate::cli::time::spoken_duration(over.max);
        return Err(CommandError::conflict(format!(
            "sessions last at most {max}; use --for {max}"
        )));
    }
    let refusal = match &error {
        ClientError::Api { status, problem }
            if args.grant.is_none()
                && (*status == 404
                    || (*status == 422 && problem.code == ErrorCode::PolicyViolation)) =>
        {
            problem.detail.clone()
        }
        _ => return Err(error.into()),
    };
    let level = args.level.unwrap_or(Level::ReadOnly);
    let areas = areas_or_default(&args.areas).map_or_else(
        || "every area the org allows".to_owned(),
        |a| join_areas(&a),
    );
    let ask = args.request
        || (context.ui.interactive()
            && context.ui.confirm(&format!(
                "{refusal}. Ask org {org}'s admins for {level} access on {areas}?"
            ))?);
    if !ask {
        return Err(CommandError::from(error).with_hint(
            "pass --request to ask the org's admins for access and wait for their decision",
        ));
    }
    let filed = connection.client.create_request(
        org,
        &CreateRequest {
            level,
            areas: areas_or_default(&args.areas),
            duration_seconds: args.request_for,
            reason: request.reason.clone(),
            ticket: args.ticket.clone(),
            break_glass: false,
        },
    )?;
    context.ui.note(&format!(
        "Filed request {} for {level} access to {} on {areas}",
        filed.id, filed.org
    ));
    let approved = wait_for(context, connection, None, &filed, args.timeout)?;
    context.ui.success(&format!(
        "Request {} approved by {}",
        approved.id,
        approved.decided_by.as_deref().unwrap_or("the org's admins")
    ));
    // The grant is what the admins allowed (possibly narrower than asked): the session takes
    // its level and areas.
    let from_grant = OpenSession {
        grant_id: approved.grant_id.clone(),
        level: None,
        areas: None,
        ..request.clone()
    };
    if let Some(signals) = signals {
        signals.hold();
    }
    let opened = connection.client.open_session(org, &from_grant);
    if opened.is_err()
        && let Some(signals) = signals
    {
        signals.release();
    }
    Ok(opened?)
}

pub fn run(context: &mut Context, args: OpenArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = args.resolve_org(&mut connection)?;
    let request = open_request(&context.ui, &args)?;
    let opened = open_or_request(context, &mut connection, &args, &org, &request, None)?;
    if context.ui.quiet() {
        return Ok(context.ui.line(&opened.token)?);
    }
    match context.ui.format() {
        OutputFormat::Json => Ok(context.ui.json(&opened)?),
        OutputFormat::Tsv => {
            let mut row = tsv_cells(&opened.session.cells());
            row.push(opened.token.clone());
            Ok(context.ui.line(&row.join("\t"))?)
        }
        OutputFormat::Table => {
            context.ui.success(&format!(
                "Opened session {} in {} ({} on {}), ends {}",
                opened.session.id,
                opened.session.org,
                opened.session.level,
                join_areas(&opened.session.areas),
                spoken_time(opened.session.expires_at)
            ));
            context.ui.one(&opened.session)?;
            context.ui.note("Session token (shown once):");
            Ok(context.ui.line(&opened.token)?)
        }
    }
}
