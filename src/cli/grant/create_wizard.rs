//! The `grant create` wizard: on a terminal, asks one question for each thing the flags leave
//! out, checking every answer as it is given (a bad one is asked again, the others are kept);
//! then shows the grant and the command line that makes it without questions, and asks before
//! creating it.

use jiff::{SignedDuration, Timestamp};

use crate::api::{Area, CreateGrant, Level, OrgPolicy, join_areas};
use crate::cli::args::AreaArg;
use crate::cli::context::Connection;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::time::parse_duration;
use crate::cli::time::spoken_duration;
use crate::cli::ui::{Ui, ask_text, prompt};

/// What the flags of `grant create` gave (its arguments, without the org); the wizard asks for
/// the rest.
pub(super) struct Given {
    pub level: Option<Level>,
    pub areas: Option<Vec<AreaArg>>,
    pub duration: Option<i64>,
    pub until: Option<Timestamp>,
    pub engineers: Vec<String>,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    pub dry_run: bool,
}

impl Given {
    /// Whether the flags leave out something the grant needs (the level or the reason): only
    /// then is anything asked. With both given, areas and duration take their defaults unasked.
    pub fn needs_asking(&self) -> bool {
        self.level.is_none() || self.reason.is_none()
    }
}

/// Asks for what `args` leave out, shows the result and asks to go on; `Ok(None)` when the
/// person says no (`Cancelled.` has been printed).
pub(super) fn ask(
    ui: &Ui,
    connection: &Connection,
    org: &str,
    args: &Given,
) -> CommandResult<Option<CreateGrant>> {
    // The org's rules let a wrong answer be refused at once rather than by the server after
    // the last question. Best effort: the server checks again either way.
    let policy = connection.client.org_policy(org).ok();
    let level = match args.level {
        Some(level) => level,
        None => ask_level(ui, policy.as_ref())?,
    };
    let areas = match &args.areas {
        Some(_) => crate::cli::args::areas_or_default(&args.areas),
        None => ask_areas(ui, policy.as_ref())?,
    };
    let duration_seconds = match (args.duration, args.until) {
        (None, None) => ask_duration(policy.as_ref())?,
        (duration, _) => duration,
    };
    let engineers = if args.engineers.is_empty() {
        ask_engineers()?
    } else {
        args.engineers.clone()
    };
    let ticket = match &args.ticket {
        Some(ticket) => Some(ticket.clone()),
        None => ask_ticket(policy.as_ref().is_some_and(|p| p.require_ticket))?,
    };
    let reason = match &args.reason {
        Some(reason) if !reason.trim().is_empty() => reason.clone(),
        Some(_) => return Err(CommandError::usage("--reason must not be empty")),
        None => ask_reason()?,
    };
    let request = CreateGrant {
        level,
        areas,
        engineers: (!engineers.is_empty()).then_some(engineers),
        duration_seconds,
        expires_at: args.until,
        reason,
        ticket,
    };
    // A dry run changes nothing: there is nothing to agree to.
    show_and_confirm(ui, org, request, policy.as_ref(), !args.dry_run)
}

/// The summary and the command line; then, when `confirm`, the final question.
fn show_and_confirm(
    ui: &Ui,
    org: &str,
    request: CreateGrant,
    policy: Option<&OrgPolicy>,
    confirm: bool,
) -> CommandResult<Option<CreateGrant>> {
    ui.prompt_text(&summary(org, &request, policy, Timestamp::now()));
    let width = crate::cli::table::terminal_width().map_or(80, usize::from);
    ui.prompt_text(&format!(
        "The same without questions:\n{}\n",
        command_line(org, &request, width)
    ));
    if !confirm || ui.confirm("Create this grant?")? {
        Ok(Some(request))
    } else {
        Ok(None)
    }
}

/// The server refused the wizard's grant. What only it can tell (an engineer it does not
/// know, a duration over its own limit, below the org's) is asked for again, keeping every
/// other answer; anything else is the error it is.
pub(super) fn after_refusal(
    ui: &Ui,
    connection: &Connection,
    org: &str,
    mut request: CreateGrant,
    error: CommandError,
) -> CommandResult<Option<CreateGrant>> {
    let policy = connection.client.org_policy(org).ok();
    // Whatever was typed ahead was typed before the refusal was shown: not an answer to it.
    crate::cli::ui::discard_typeahead();
    if error.message.contains("support engineer") {
        ui.warn(&error.message);
        let engineers = ask_engineers()?;
        request.engineers = (!engineers.is_empty()).then_some(engineers);
    } else if error.message.contains("maximum") && request.expires_at.is_none() {
        ui.warn(&error.message);
        request.duration_seconds = ask_duration(policy.as_ref())?;
    } else {
        return Err(error);
    }
    show_and_confirm(ui, org, request, policy.as_ref(), true)
}

/// An answer refused: one line saying why, then the question again.
fn refuse(ui: &Ui, why: &str) {
    ui.prompt_text(&format!("  {why}"));
}

fn ask_level(ui: &Ui, policy: Option<&OrgPolicy>) -> CommandResult<Level> {
    let levels = [Level::ReadOnly, Level::Member, Level::Admin];
    let labels = [
        "read-only  may read, never change",
        "member     acts as a regular member",
        "admin      acts as a system administrator",
    ];
    let mut chosen = 0;
    loop {
        chosen = prompt(|| {
            dialoguer::Select::new()
                .with_prompt("Access level")
                .items(labels)
                .default(chosen)
                .interact()
        })?;
        let level = levels[chosen];
        match policy {
            Some(policy) if !policy.allowed_levels.contains(&level) => refuse(
                ui,
                &format!(
                    "the org's policy does not allow {level}; allowed: {}",
                    names(&policy.allowed_levels)
                ),
            ),
            _ => return Ok(level),
        }
    }
}

/// `None`: every area (the server's default, and what the flag's absence means).
fn ask_areas(ui: &Ui, policy: Option<&OrgPolicy>) -> CommandResult<Option<Vec<Area>>> {
    let names: Vec<String> = Area::ALL.iter().map(Area::to_string).collect();
    let allowed = |area: &Area| policy.is_none_or(|p| p.allowed_areas.contains(area));
    let mut ticked: Vec<bool> = Area::ALL.iter().map(allowed).collect();
    loop {
        let chosen = prompt(|| {
            dialoguer::MultiSelect::new()
                .with_prompt("Data areas (space toggles, enter accepts)")
                .items(&names)
                .defaults(&ticked)
                .interact()
        })?;
        let areas: Vec<Area> = chosen.iter().map(|&i| Area::ALL[i]).collect();
        ticked = Area::ALL.iter().map(|area| areas.contains(area)).collect();
        let outside: Vec<Area> = areas.iter().copied().filter(|a| !allowed(a)).collect();
        if areas.is_empty() {
            refuse(
                ui,
                "choose at least one area (space ticks the one under the cursor)",
            );
        } else if !outside.is_empty() {
            refuse(
                ui,
                &format!(
                    "the org's policy does not allow {}; allowed: {}",
                    join_areas(&outside),
                    policy
                        .map(|p| join_areas(&p.allowed_areas))
                        .unwrap_or_default()
                ),
            );
        } else if areas.len() == Area::ALL.len() {
            return Ok(None);
        } else {
            return Ok(Some(areas));
        }
    }
}

/// A duration as the `--for` flag takes it, within the org's maximum; empty keeps the server's
/// default, which only the server knows for sure.
fn ask_duration(policy: Option<&OrgPolicy>) -> CommandResult<Option<i64>> {
    let max = policy.map(|p| p.max_grant_duration_seconds);
    let text: String = prompt(|| {
        dialoguer::Input::new()
            .with_prompt("For how long (e.g. 30m, 8h, 2d; empty: the server's default)")
            .allow_empty(true)
            .validate_with(|text: &String| check_duration(text, max).map(|_| ()))
            .interact_text()
    })?;
    check_duration(&text, max).map_err(CommandError::usage)
}

fn check_duration(text: &str, max: Option<i64>) -> Result<Option<i64>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let seconds = parse_duration(text)?;
    match max {
        Some(max) if seconds > max => Err(format!(
            "{} is over the org's {} maximum",
            text.trim(),
            spoken_duration(max.unsigned_abs())
        )),
        _ => Ok(Some(seconds)),
    }
}

/// Comma-separated emails; empty: the whole support team.
fn ask_engineers() -> CommandResult<Vec<String>> {
    let text: String = prompt(|| {
        dialoguer::Input::new()
            .with_prompt("Engineers' emails, comma-separated (empty: the whole support team)")
            .allow_empty(true)
            .validate_with(|text: &String| parse_emails(text).map(|_| ()))
            .interact_text()
    })?;
    parse_emails(&text).map_err(CommandError::usage)
}

pub(super) fn parse_emails(text: &str) -> Result<Vec<String>, String> {
    let emails: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|email| !email.is_empty())
        .map(str::to_owned)
        .collect();
    for email in &emails {
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && !email.contains(char::is_whitespace)
            }
            None => false,
        };
        if !valid {
            return Err(format!("'{email}' is not an email address"));
        }
    }
    Ok(emails)
}

fn ask_ticket(required: bool) -> CommandResult<Option<String>> {
    let text: String = prompt(|| {
        dialoguer::Input::new()
            .with_prompt(if required {
                "Ticket (your support case reference; the org's policy requires one)"
            } else {
                "Ticket (your support case reference; empty: none)"
            })
            .allow_empty(true)
            .validate_with(|text: &String| {
                if required && text.trim().is_empty() {
                    Err("the org's policy requires a ticket")
                } else {
                    Ok(())
                }
            })
            .interact_text()
    })?;
    let text = text.trim();
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

fn ask_reason() -> CommandResult<String> {
    ask_text(
        "Reason (shown to support and in the audit log)",
        Some("a reason is required"),
    )
}

fn names(levels: &[Level]) -> String {
    levels
        .iter()
        .map(Level::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The grant about to be created, one field a line.
pub(super) fn summary(
    org: &str,
    request: &CreateGrant,
    policy: Option<&OrgPolicy>,
    now: Timestamp,
) -> String {
    // The local time as the tables show it; the duration beside it says how far away.
    let ends = |seconds: i64| {
        now.checked_add(SignedDuration::from_secs(seconds))
            .map(|at| crate::cli::time::local_short(at, now, &jiff::tz::TimeZone::system()))
            .unwrap_or_default()
    };
    let duration = match (request.duration_seconds, request.expires_at, policy) {
        (Some(seconds), _, _) => format!(
            "{}, until {}",
            spoken_duration(seconds.unsigned_abs()),
            ends(seconds)
        ),
        (None, Some(until), _) => format!("until {}", crate::cli::time::spoken_time(until)),
        (None, None, Some(policy)) => format!(
            "{} (the default), until about {}",
            spoken_duration(policy.default_grant_duration_seconds.unsigned_abs()),
            ends(policy.default_grant_duration_seconds)
        ),
        (None, None, None) => "the server's default".to_owned(),
    };
    let areas = match &request.areas {
        None => "all".to_owned(),
        Some(areas) => areas
            .iter()
            .map(Area::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    };
    let engineers = match &request.engineers {
        None => "the whole support team".to_owned(),
        Some(emails) => emails.join(", "),
    };
    let rows = [
        ("Org", org.to_owned()),
        ("Level", request.level.to_string()),
        ("Areas", areas),
        ("Duration", duration),
        ("Engineers", engineers),
        (
            "Ticket",
            request.ticket.clone().unwrap_or("none".to_owned()),
        ),
        ("Reason", request.reason.clone()),
    ];
    let mut text = "\nGrant to create:".to_owned();
    for (field, value) in rows {
        text.push_str(&format!("\n  {field:<10} {value}"));
    }
    text.push('\n');
    text
}

/// `supportctl grant create ...` for `request`, shell-quoted, broken with ` \` between
/// arguments where a line would pass `width` columns.
pub(super) fn command_line(org: &str, request: &CreateGrant, width: usize) -> String {
    let mut words: Vec<Vec<String>> = vec![
        vec!["supportctl".into(), "grant".into(), "create".into()],
        vec!["--org".into(), org.into()],
        vec!["--level".into(), request.level.to_string()],
    ];
    if let Some(areas) = &request.areas {
        words.push(vec!["--areas".into(), join_areas(areas)]);
    }
    if let Some(seconds) = request.duration_seconds {
        words.push(vec!["--for".into(), compact_duration(seconds)]);
    }
    if let Some(until) = request.expires_at {
        words.push(vec!["--until".into(), until.to_string()]);
    }
    for email in request.engineers.iter().flatten() {
        words.push(vec!["--engineer".into(), email.clone()]);
    }
    if let Some(ticket) = &request.ticket {
        words.push(vec!["--ticket".into(), ticket.clone()]);
    }
    words.push(vec!["--reason".into(), request.reason.clone()]);
    let pieces: Vec<String> = words.iter().map(shell_words::join).collect();
    let mut lines = vec![format!("  {}", pieces[0])];
    for piece in &pieces[1..] {
        let last = lines.last_mut().expect("never empty");
        // Room for the piece, a space and a possible ` \`.
        if last.chars().count() + 1 + piece.chars().count() + 2 <= width {
            last.push(' ');
            last.push_str(piece);
        } else {
            last.push_str(" \\");
            lines.push(format!("      {piece}"));
        }
    }
    lines.join("\n")
}

/// 5400 → `1h30m`: exact, as the duration flags read it.
fn compact_duration(seconds: i64) -> String {
    let mut left = seconds;
    let mut text = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if left >= size {
            text.push_str(&format!("{}{unit}", left / size));
            left %= size;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CreateGrant {
        CreateGrant {
            level: Level::Member,
            areas: Some(vec![Area::Chats, Area::Issues]),
            engineers: Some(vec!["sam@vendor.example".into()]),
            duration_seconds: Some(5400),
            expires_at: None,
            reason: "Ticket 4821: sync fails; it's urgent".into(),
            ticket: Some("SUP-4821".into()),
        }
    }

    #[test]
    fn the_command_line_is_quoted_and_reads_back_the_same() {
        let line = command_line("acme", &request(), 1000);
        assert_eq!(
            line,
            "  supportctl grant create --org acme --level member --areas chats,issues --for 1h30m \
             --engineer sam@vendor.example --ticket SUP-4821 \
             --reason 'Ticket 4821: sync fails; it'\\''s urgent'"
        );
        let words = shell_words::split(&line).unwrap();
        assert_eq!(
            words.last().unwrap(),
            "Ticket 4821: sync fails; it's urgent"
        );
        assert_eq!(parse_duration("1h30m").unwrap(), 5400);
    }

    #[test]
    fn a_long_command_line_breaks_between_arguments() {
        for width in [80, 100, 120] {
            let line = command_line("acme", &request(), width);
            assert!(line.lines().all(|l| l.chars().count() <= width), "{line}");
            let joined = line.replace(" \\\n", " ");
            assert_eq!(
                shell_words::split(&joined).unwrap(),
                shell_words::split(&command_line("acme", &request(), 1000)).unwrap()
            );
        }
    }

    #[test]
    fn emails_are_checked_one_by_one() {
        assert_eq!(
            parse_emails(" a@x.example, b@y.example ,").unwrap(),
            vec!["a@x.example", "b@y.example"]
        );
        assert!(parse_emails("").unwrap().is_empty());
        assert_eq!(
            parse_emails("a@x.example, bob").unwrap_err(),
            "'bob' is not an email address"
        );
        assert!(parse_emails("a@@x.example").is_err());
        assert!(parse_emails("a b@x.example").is_err());
    }

    #[test]
    fn durations_as_the_flag_reads_them_within_the_maximum() {
        assert_eq!(check_duration("", Some(60)), Ok(None));
        assert_eq!(check_duration("2h", None), Ok(Some(7200)));
        assert_eq!(
            check_duration("45d", Some(30 * 86_400)).unwrap_err(),
            "45d is over the org's 30d maximum"
        );
        assert!(check_duration("soon", None).is_err());
        assert_eq!(compact_duration(2 * 86_400 + 61), "2d1m1s");
    }
}
