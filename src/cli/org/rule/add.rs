//! `supportctl org rule add`: a rule under which requests are approved when filed.

use clap::Args;
use jiff::Timestamp;

use crate::api::{CreateApprovalRule, Level, Weekday};
use crate::cli::args::{AreaArg, OrgArg, areas_or_default};
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::time::{parse_duration, parse_time};

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The rule's name (letters, digits, `-`, `_`, `.`): requests and grants it approves name it.
    pub name: String,
    #[command(flatten)]
    pub org: OrgArg,
    /// The highest level it approves: read-only, member or admin.
    #[arg(long, value_enum)]
    pub level: Level,
    /// The data areas it approves, comma-separated; `all`: every area.
    #[arg(long, value_enum, value_delimiter = ',', required = true)]
    pub areas: Vec<AreaArg>,
    /// The longest grant it approves, e.g. 2h, 1d.
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    pub duration: i64,
    /// When it stops approving: a duration from now (30d) or a time (RFC 3339); at most 90 days ahead.
    #[arg(long, value_name = "DURATION|TIME", value_parser = parse_expiry)]
    pub expires: Timestamp,
    /// A regular expression the whole ticket must match [default: any ticket, or none]
    #[arg(long, value_name = "REGEX")]
    pub ticket_pattern: Option<String>,
    /// Only this support engineer's requests (repeatable) [default: any engineer]
    #[arg(long = "engineer", value_name = "EMAIL")]
    pub engineers: Vec<String>,
    /// Only on these days (UTC), comma-separated: mon,tue,... [default: every day]
    #[arg(long, value_enum, value_delimiter = ',')]
    pub weekdays: Option<Vec<Weekday>>,
    /// Only within these hours (UTC), START-END: 8-18 is 08:00 to 17:59; 22-6 spans midnight [default: all day]
    #[arg(long, value_name = "START-END", value_parser = parse_hours)]
    pub hours: Option<(i64, i64)>,
}

/// `30d` from now, or an RFC 3339 time.
fn parse_expiry(text: &str) -> Result<Timestamp, String> {
    match parse_duration(text) {
        Ok(seconds) => Timestamp::now()
            .checked_add(jiff::SignedDuration::from_secs(seconds))
            .map_err(|e| format!("'{text}': {e}")),
        Err(_) => parse_time(text)
            .map_err(|_| format!("'{text}' is neither a duration (30d) nor an RFC 3339 time")),
    }
}

/// `8-18`: the hours from 8 up to 18, UTC.
fn parse_hours(text: &str) -> Result<(i64, i64), String> {
    let bad = || format!("'{text}' is not START-END in hours 0 to 24, e.g. 8-18");
    let (start, end) = text.split_once('-').ok_or_else(bad)?;
    let start = start.trim().parse().map_err(|_| bad())?;
    let end = end.trim().parse().map_err(|_| bad())?;
    Ok((start, end))
}

pub fn run(context: &mut Context, args: AddArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = args.org.resolve(&mut connection)?;
    let areas =
        areas_or_default(&Some(args.areas)).unwrap_or_else(|| crate::api::Area::ALL.to_vec());
    if args.name.trim().is_empty() {
        return Err(CommandError::usage("the rule's name may not be blank"));
    }
    let rule = connection.client.create_approval_rule(
        &org,
        &CreateApprovalRule {
            name: args.name,
            max_level: args.level,
            areas,
            max_duration_seconds: args.duration,
            ticket_pattern: args.ticket_pattern,
            engineers: (!args.engineers.is_empty()).then_some(args.engineers),
            weekdays: args.weekdays,
            hours_utc: args.hours.map(|(start, end)| vec![start, end]),
            expires_at: args.expires,
        },
    )?;
    Ok(context
        .ui
        .created(&format!("Made rule {} in {org}", rule.name), &rule)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_and_expiry_parse() {
        assert_eq!(parse_hours("8-18"), Ok((8, 18)));
        assert_eq!(parse_hours("22-6"), Ok((22, 6)));
        assert!(parse_hours("8").is_err());
        assert!(parse_expiry("30d").unwrap() > Timestamp::now());
        assert_eq!(
            parse_expiry("2030-01-01T00:00:00Z").unwrap().as_second(),
            1_893_456_000
        );
        assert!(parse_expiry("soon").is_err());
    }
}
