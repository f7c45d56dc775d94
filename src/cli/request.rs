//! `supportctl request`: support engineers ask an org for access and wait for the decision;
//! the org's admins list, approve (possibly narrowing), deny and review requests.

use std::time::{Duration, Instant};

use clap::{Args, Subcommand};

use super::args::{AreaArg, ListLimit, OrgArg, areas_or_default};
use super::context::{Connection, Context};
use super::error::{CommandError, CommandResult, ErrorKind};
use super::time::parse_duration;
use crate::api::{
    AccessRequest, ApproveRequest, Area, CreateRequest, Grant, GrantStatusFilter, Level,
    RequestStatus, RequestStatusFilter, Role, join_areas,
};
use crate::cli::client::{ApiClient, GrantList};
use crate::cli::render::{one_line, terminal_safe};
use crate::cli::ui::{Cell, OutputFormat, Tabular, spoken_duration};

/// The longest one long poll asks the server to wait.
const POLL_SECONDS: u64 = 60;
/// `--timeout` when none is given.
const DEFAULT_TIMEOUT: &str = "30m";

#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// Ask an org's admins for access (support engineers).
    #[command(after_long_help = "Examples:
  supportctl request create acme --level member --areas chats,issues \\
      --for 4h --reason 'Ticket 4821: sync fails' --ticket 4821 --wait
  ID=$(supportctl request create acme --level read-only --reason x -q)
  supportctl request wait \"$ID\" --timeout 10m   # exit 0, 6 or 8: see below

With --wait: exit 0 once approved (printing the grant), 6 when denied, cancelled or expired \
(saying by whom and why), 8 when --timeout passes with the request still pending.")]
    Create(CreateArgs),
    /// List requests: an admin sees the org's (pending first), an engineer their own.
    #[command(after_long_help = "Examples:
  supportctl request list       # pending ones, with how long each has left
  supportctl request list --status all -o json \\
      | jq '.[] | select(.status == \"approved\")'")]
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show one request.
    Show(ShowArgs),
    /// Approve a pending request (org admins); options may narrow it, never widen it.
    #[command(after_long_help = "Examples:
  supportctl request approve rq_01j... --yes
  supportctl request approve rq_01j... --level read-only --areas chats \\
      --for 2h --comment 'Read-only is enough for this' --yes

When the org's policy asks for more than one approval for the level (`org policy set \
--approvals`), the request stays pending until that many different admins have approved \
it; the last approval creates the grant.")]
    Approve(ApproveArgs),
    /// Deny a pending request (org admins); the engineer reads the comment.
    #[command(after_long_help = "Examples:
  supportctl request deny rq_01j... --comment 'Not in the quarter close'")]
    Deny(DenyArgs),
    /// Cancel one of your own pending requests (support engineers).
    Cancel(CancelArgs),
    /// Wait for a request's decision: exit 0 approved, 6 refused, 8 still pending.
    #[command(after_long_help = "Examples:
  supportctl request wait rq_01j... --timeout 10m")]
    Wait(WaitArgs),
    /// On a terminal, go through the org's pending requests: approve, deny or skip each.
    #[command(after_long_help = "Examples:
  supportctl request review")]
    Review(ReviewArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The org to ask (or --org).
    #[arg(value_name = "ORG", conflicts_with = "org", add = super::complete::orgs())]
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
    /// Wait for the decision (see `request wait`).
    #[arg(long)]
    pub wait: bool,
    /// With --wait: how long to wait before exiting 8.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = DEFAULT_TIMEOUT, requires = "wait")]
    pub timeout: i64,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Which requests.
    #[arg(long, value_enum, default_value = "pending")]
    pub status: RequestStatusFilter,
    #[command(flatten)]
    pub limit: ListLimit,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Request id.
    #[arg(add = super::complete::request_ids())]
    pub id: String,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Request id.
    #[arg(add = super::complete::request_ids())]
    pub id: String,
    /// Grant a lower level than asked.
    #[arg(long, value_enum)]
    pub level: Option<Level>,
    /// Grant fewer areas than asked, comma-separated; `all`: all those asked [default: all]
    #[arg(long, value_enum, value_delimiter = ',')]
    pub areas: Option<Vec<AreaArg>>,
    /// Grant a shorter time than asked, e.g. 2h.
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<i64>,
    /// A note for the engineer and the audit log.
    #[arg(long)]
    pub comment: Option<String>,
    /// Ask the server what approving would do (every check of a real approval), and change
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct DenyArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Request id.
    #[arg(add = super::complete::request_ids())]
    pub id: String,
    /// Why (required: the engineer reads it).
    #[arg(long)]
    pub comment: String,
    /// Ask the server whether the request can be denied, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct CancelArgs {
    /// Request id.
    #[arg(add = super::complete::request_ids())]
    pub id: String,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Request id.
    #[arg(add = super::complete::request_ids())]
    pub id: String,
    /// How long to wait before exiting 8.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = DEFAULT_TIMEOUT)]
    pub timeout: i64,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    pub org: OrgArg,
}

impl Tabular for AccessRequest {
    fn headers() -> &'static [&'static str] {
        &[
            "id",
            "org",
            "status",
            "requester",
            "level",
            "areas",
            "duration",
            // How long a pending request has left; when a decided one was decided.
            "expires",
            "ticket",
            "reason",
            "approvals",
            "grant",
        ]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::fixed(&self.id),
            Cell::fixed(&self.org),
            Cell::Status(self.status.to_string()),
            Cell::fixed(&self.requester),
            Cell::fixed(self.level),
            Cell::Text(join_areas(&self.areas)),
            Cell::fixed(spoken_duration(self.duration_seconds.unsigned_abs())),
            Cell::Time(Some(self.decided_at.unwrap_or(self.expires_at))),
            Cell::opt(self.ticket.as_ref()),
            Cell::text(&self.reason),
            Cell::fixed(format!(
                "{}/{}",
                self.approvals.len(),
                self.approvals_required
            )),
            Cell::fixed(self.grant_id.as_deref().unwrap_or_default()),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn wide_only() -> &'static [&'static str] {
        &["ticket", "grant"]
    }

    fn drop_order() -> &'static [&'static str] {
        &[
            "grant",
            "ticket",
            "approvals",
            "areas",
            "duration",
            "level",
            "reason",
            "expires",
            "status",
        ]
    }
}

pub fn run(context: &mut Context, command: RequestCommand) -> CommandResult {
    match command {
        RequestCommand::Create(args) => create(context, args),
        RequestCommand::List(args) => list(context, args),
        RequestCommand::Show(args) => show(context, args),
        RequestCommand::Approve(args) => approve(context, args),
        RequestCommand::Deny(args) => deny(context, args),
        RequestCommand::Cancel(args) => cancel(context, args),
        RequestCommand::Wait(args) => wait(context, args),
        RequestCommand::Review(args) => super::review::review(context, args),
    }
}

/// The org whose request routes an admin uses; `None` for a support engineer's own routes.
fn admin_org(connection: &mut Connection, flag: &OrgArg) -> CommandResult<Option<String>> {
    if connection.role()? == Role::Support {
        Ok(None)
    } else {
        Ok(Some(connection.org(flag.org.as_deref())?))
    }
}

fn create(context: &mut Context, args: CreateArgs) -> CommandResult {
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
        },
    )?;
    if !args.wait {
        if context.ui.format() == OutputFormat::Table && !context.ui.quiet() {
            context.ui.success(&format!(
                "Requested {} access to {} ({}); the org's admins decide by {}",
                request.level,
                request.org,
                request.id,
                crate::cli::time::spoken_time(request.expires_at)
            ));
        }
        return Ok(context.ui.one(&request)?);
    }
    let decided = wait_for(context, &mut connection, None, &request, args.timeout)?;
    print_approved(context, &connection.client, &decided)
}

fn list(context: &mut Context, args: ListArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = admin_org(&mut connection, &args.org)?;
    if org.is_some() {
        // One org's requests: its name on every row says nothing.
        context.ui.hide_column("org");
    } else {
        // A support engineer's own requests: the requester is always you.
        context.ui.hide_column("requester");
    }
    let mut requests =
        connection
            .client
            .list_requests(org.as_deref(), args.status, args.limit.max())?;
    // Pending first (the ones someone can act on), each group newest first as listed.
    requests
        .items
        .sort_by_key(|request| request.status != RequestStatus::Pending);
    args.limit.print(&mut context.ui, &requests)
}

fn show(context: &mut Context, args: ShowArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = admin_org(&mut connection, &args.org)?;
    let request = connection.client.get_request(org.as_deref(), &args.id, 0)?;
    Ok(context.ui.one(&request)?)
}

fn approve(context: &mut Context, args: ApproveArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = connection.org(args.org.org.as_deref())?;
    let request = connection.client.get_request(Some(&org), &args.id, 0)?;
    if !args.dry_run
        && !context.ui.confirm(&approval_question(
            &request,
            args.level.unwrap_or(request.level),
            &areas_or_default(&args.areas).unwrap_or_else(|| request.areas.clone()),
            args.duration.unwrap_or(request.duration_seconds),
        ))?
    {
        return Err(CommandError::usage("not confirmed; nothing was approved"));
    }
    let body = ApproveRequest {
        comment: args.comment,
        level: args.level,
        areas: areas_or_default(&args.areas),
        duration_seconds: args.duration,
    };
    if args.dry_run {
        let request = connection
            .client
            .approve_request_dry_run(&org, &args.id, &body)?;
        context.ui.note(&match &request.grant_id {
            Some(_) => format!(
                "Dry run: would approve request {} of {} and grant the access; nothing was \
                 changed.",
                request.id, request.requester
            ),
            None => format!(
                "Dry run: would record approval {} of {} of request {}; nothing was changed.",
                request.approvals.len(),
                request.approvals_required,
                request.id
            ),
        });
        return Ok(context.ui.preview(&request)?);
    }
    let request = connection.client.approve_request(&org, &args.id, &body)?;
    report_approval(context, &request);
    if context.ui.format() != OutputFormat::Table || context.ui.quiet() {
        context.ui.one(&request)?;
    }
    Ok(())
}

/// "Approve ada@acme.test's request rq_… for admin on all areas for 7d (ticket 4821)?": what
/// approving grants, restated from the request itself where it is decided, whatever its
/// reason says.
pub(super) fn approval_question(
    request: &AccessRequest,
    level: Level,
    areas: &[Area],
    duration_seconds: i64,
) -> String {
    let areas = if Area::ALL.iter().all(|area| areas.contains(area)) {
        "all areas".to_owned()
    } else {
        join_areas(areas)
    };
    format!(
        "Approve {}'s request {} for {level} on {areas} for {}{}?",
        terminal_safe(&request.requester),
        request.id,
        spoken_duration(duration_seconds.unsigned_abs()),
        request
            .ticket
            .as_deref()
            .map(|t| format!(" (ticket {})", one_line(t, 40)))
            .unwrap_or_default()
    )
}

pub(super) fn report_approval(context: &Context, request: &AccessRequest) {
    match &request.grant_id {
        Some(grant) => context.ui.success(&format!(
            "Approved request {} of {}: grant {grant}",
            request.id, request.requester
        )),
        None => context.ui.success(&format!(
            "Approval recorded ({} of {}); request {} needs {} more from other admins",
            request.approvals.len(),
            request.approvals_required,
            request.id,
            request.approvals_required - request.approvals.len() as i64
        )),
    }
}

fn deny(context: &mut Context, args: DenyArgs) -> CommandResult {
    if args.comment.trim().is_empty() {
        return Err(CommandError::usage("--comment must not be empty"));
    }
    let mut connection = context.connect()?;
    let org = connection.org(args.org.org.as_deref())?;
    if args.dry_run {
        let request = connection
            .client
            .deny_request_dry_run(&org, &args.id, &args.comment)?;
        context.ui.note(&format!(
            "Dry run: would deny request {} of {}; nothing was changed.",
            request.id, request.requester
        ));
        return Ok(context.ui.preview(&request)?);
    }
    let request = connection
        .client
        .deny_request(&org, &args.id, &args.comment)?;
    context.ui.success(&format!(
        "Denied request {} of {}",
        request.id, request.requester
    ));
    if context.ui.format() != OutputFormat::Table || context.ui.quiet() {
        context.ui.one(&request)?;
    }
    Ok(())
}

fn cancel(context: &mut Context, args: CancelArgs) -> CommandResult {
    let connection = context.connect()?;
    let request = connection.client.cancel_request(&args.id)?;
    context
        .ui
        .success(&format!("Cancelled request {}", request.id));
    if context.ui.format() != OutputFormat::Table || context.ui.quiet() {
        context.ui.one(&request)?;
    }
    Ok(())
}

fn wait(context: &mut Context, args: WaitArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = admin_org(&mut connection, &args.org)?;
    let request = connection.client.get_request(org.as_deref(), &args.id, 0)?;
    let decided = wait_for(
        context,
        &mut connection,
        org.as_deref(),
        &request,
        args.timeout,
    )?;
    print_approved(context, &connection.client, &decided)
}

/// Waits (long polls) until `request` is decided or `timeout_seconds` pass: the request once
/// approved; exit 6 when refused (saying which, by whom, why); exit 8 when still pending.
pub fn wait_for(
    context: &mut Context,
    connection: &mut Connection,
    org: Option<&str>,
    request: &AccessRequest,
    timeout_seconds: i64,
) -> CommandResult<AccessRequest> {
    let message = format!(
        "Waiting for org {}'s admins to decide request {} ({} on {})",
        request.org,
        request.id,
        request.level,
        join_areas(&request.areas)
    );
    let spinner = if context.ui.interactive() && !context.ui.quiet() {
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.set_message(message);
        spinner.enable_steady_tick(Duration::from_millis(120));
        spinner
    } else {
        context.ui.note(&format!("{message}..."));
        indicatif::ProgressBar::hidden()
    };
    let deadline = Instant::now() + Duration::from_secs(timeout_seconds.unsigned_abs());
    let mut current = request.clone();
    while current.status == RequestStatus::Pending {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            spinner.finish_and_clear();
            return Err(CommandError::new(
                ErrorKind::Pending,
                format!(
                    "request {} is still pending after {}; it lapses {}",
                    current.id,
                    spoken_duration(timeout_seconds.unsigned_abs()),
                    crate::cli::time::spoken_time(current.expires_at)
                ),
            )
            .with_hint(format!(
                "wait again with `supportctl request wait {}`",
                current.id
            )));
        }
        // Whole seconds, rounded up, so a short remainder still waits instead of spinning.
        let poll = left.as_secs_f64().ceil() as u64;
        current = connection
            .client
            .get_request(org, &request.id, poll.clamp(1, POLL_SECONDS))?;
    }
    spinner.finish_and_clear();
    refused(&current).map_or(Ok(current), Err)
}

/// Exit 6 for a request that ended without a grant, saying which way, by whom and why.
fn refused(request: &AccessRequest) -> Option<CommandError> {
    let by = request
        .decided_by
        .as_deref()
        .map(|by| format!(" by {by}"))
        .unwrap_or_default();
    let comment = request
        .decision_comment
        .as_deref()
        .map(|c| format!(": {c}"))
        .unwrap_or_default();
    let message = match request.status {
        RequestStatus::Approved | RequestStatus::Pending => return None,
        RequestStatus::Denied => format!("request {} was denied{by}{comment}", request.id),
        RequestStatus::Cancelled => format!("request {} was cancelled{by}{comment}", request.id),
        RequestStatus::Expired => format!(
            "request {} expired {} without a decision",
            request.id,
            crate::cli::time::spoken_time(request.expires_at)
        ),
    };
    Some(CommandError::conflict(message))
}

/// Says who approved `request`, and prints its grant (or the request, when the grant is not
/// visible to the caller).
fn print_approved(
    context: &mut Context,
    client: &ApiClient,
    request: &AccessRequest,
) -> CommandResult {
    let grant_id = request.grant_id.clone().unwrap_or_default();
    context.ui.success(&format!(
        "Request {} approved by {}: grant {grant_id}",
        request.id,
        request.decided_by.as_deref().unwrap_or("the org's admins")
    ));
    match approved_grant(client, request) {
        Some(grant) => Ok(context.ui.one(&grant)?),
        None => Ok(context.ui.one(request)?),
    }
}

/// The grant an approval created, as its engineer sees it.
fn approved_grant(client: &ApiClient, request: &AccessRequest) -> Option<Grant> {
    let id = request.grant_id.as_deref()?;
    let grants = client
        .list_grants(GrantList::Usable, GrantStatusFilter::All, None)
        .ok()?;
    grants.into_iter().find(|grant| grant.id == id)
}
