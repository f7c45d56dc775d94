//! `supportctl org policy set`: change the named settings (read, modify, write with `version`);
//! a change that weakens a policy asking several approvals waits for them.

use clap::Args;

use crate::api::{Area, Level, PendingPolicyChange, PolicyChangeOutcome, PutOrgPolicy};
use crate::cli::args::{AreaArg, OrgArg, areas_or_default};
use crate::cli::client::ClientError;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::time::parse_duration;
use crate::cli::ui::OutputFormat;

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
    /// Break-glass access: an engineer's emergency request, confirmed by an operator, starts a
    /// grant before any admin approves it (turning it on is a weakening: see below).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub break_glass: Option<bool>,
    /// The highest level a break-glass grant may have.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub break_glass_level: Option<Level>,
    /// The longest a break-glass grant may last, e.g. 1h (at most 4h).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub break_glass_max: Option<i64>,
    /// Approving a request, extending a grant and changing the policy need a sign-in at the
    /// identity provider (`supportctl login --sso`) at most this old, e.g. 15m; `none`: no
    /// such requirement (dropping or lengthening it is a weakening).
    #[arg(long, value_name = "DURATION|none", value_parser = parse_auth_age)]
    pub approval_max_auth_age: Option<AuthAge>,
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

/// `--approval-max-auth-age`: a duration, or no requirement.
#[derive(Debug, Clone, Copy)]
pub struct AuthAge(Option<i64>);

fn parse_auth_age(text: &str) -> Result<AuthAge, String> {
    if text.trim().eq_ignore_ascii_case("none") {
        Ok(AuthAge(None))
    } else {
        parse_duration(text).map(|seconds| AuthAge(Some(seconds)))
    }
}

fn parse_warning(text: &str) -> Result<i64, String> {
    if text.trim() == "0" {
        Ok(0)
    } else {
        parse_duration(text)
    }
}

pub fn run(context: &mut Context, args: SetArgs) -> CommandResult {
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
    if let Some(v) = args.break_glass {
        set("break glass", &mut |p| p.break_glass.allowed = v);
    }
    if let Some(v) = args.break_glass_level {
        set("break glass level", &mut |p| p.break_glass.max_level = v);
    }
    if let Some(v) = args.break_glass_max {
        set("break glass max", &mut |p| {
            p.break_glass.max_duration_seconds = v
        });
    }
    if let Some(AuthAge(v)) = args.approval_max_auth_age {
        set("approval max auth age", &mut |p| {
            p.approval_max_auth_age_seconds = v
        });
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
