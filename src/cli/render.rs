//! How each API resource prints as a row. Columns are the same on a terminal and in TSV. And
//! how text from others (the server, other people) is made safe to print on a terminal.

use std::borrow::Cow;

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::api::{Account, Area, AuditEvent, Grant, Org, Role, Session, SessionStatus, join_areas};
use crate::cli::ui::{Cell, Tabular};

/// "all" on a terminal when every area is given; the list itself in TSV.
fn areas(areas: &[Area]) -> Cell {
    let list = join_areas(areas);
    let all = Area::ALL.iter().all(|area| areas.contains(area));
    Cell::Shown {
        table: if all { "all".to_owned() } else { list.clone() },
        tsv: list,
    }
}

impl Tabular for Grant {
    fn headers() -> &'static [&'static str] {
        &[
            "id",
            "org",
            "status",
            "level",
            "areas",
            "engineers",
            // When access ends: the expiry, or the revocation once revoked.
            "ends",
            "created",
            "created by",
            "ticket",
            "reason",
        ]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::fixed(&self.id),
            Cell::fixed(&self.org),
            Cell::Status(self.status.to_string()),
            Cell::fixed(self.level),
            areas(&self.areas),
            if self.engineers.is_empty() {
                Cell::Placeholder("(all support)")
            } else {
                Cell::Text(self.engineers.join(","))
            },
            match self.revoked_at {
                Some(at) => Cell::Ended {
                    verb: "revoked",
                    at: Some(at),
                    by: self.revoked_by.clone(),
                },
                None => Cell::Time(Some(self.expires_at)),
            },
            Cell::Time(Some(self.created_at)),
            Cell::fixed(&self.created_by),
            Cell::opt(self.ticket.as_ref()),
            Cell::text(&self.reason),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn wide_only() -> &'static [&'static str] {
        &["engineers", "created", "created by", "ticket"]
    }

    fn drop_order() -> &'static [&'static str] {
        &[
            "created by",
            "engineers",
            "ticket",
            "created",
            "areas",
            "level",
            "reason",
            "status",
            "ends",
        ]
    }

    fn details(&self) -> Vec<(&'static str, Cell)> {
        match self.revoked_at {
            Some(at) => vec![
                ("revoked", Cell::Time(Some(at))),
                ("revoked by", Cell::opt(self.revoked_by.as_ref())),
                ("revoke reason", Cell::opt(self.revoke_reason.as_ref())),
            ],
            None => Vec::new(),
        }
    }
}

impl Tabular for Session {
    fn headers() -> &'static [&'static str] {
        &[
            "id", "org", "status", "engineer", "level", "areas", "ends", "opened", "grant",
            "reason",
        ]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::fixed(&self.id),
            Cell::fixed(&self.org),
            Cell::Status(self.status.to_string()),
            Cell::fixed(&self.engineer),
            Cell::fixed(self.level),
            areas(&self.areas),
            // A session that ended early says so: never "in 9m" for one already over.
            match self.status {
                SessionStatus::Revoked => Cell::Ended {
                    verb: "revoked",
                    at: self.closed_at,
                    by: None,
                },
                SessionStatus::Closed => Cell::Ended {
                    verb: "closed",
                    at: self.closed_at,
                    by: None,
                },
                _ => Cell::Time(Some(self.closed_at.unwrap_or(self.expires_at))),
            },
            Cell::Time(Some(self.opened_at)),
            Cell::fixed(&self.grant_id),
            Cell::text(&self.reason),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn wide_only() -> &'static [&'static str] {
        &["opened", "grant"]
    }

    fn drop_order() -> &'static [&'static str] {
        &[
            "grant", "opened", "areas", "level", "reason", "status", "ends",
        ]
    }

    fn details(&self) -> Vec<(&'static str, Cell)> {
        match &self.close_reason {
            Some(reason) => vec![("close reason", Cell::text(reason))],
            None => Vec::new(),
        }
    }
}

impl Tabular for Org {
    fn headers() -> &'static [&'static str] {
        &["slug", "name", "status", "created"]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::fixed(&self.slug),
            Cell::text(&self.name),
            Cell::Status(self.status.to_string()),
            Cell::Time(Some(self.created_at)),
        ]
    }

    fn id(&self) -> &str {
        &self.slug
    }

    fn drop_order() -> &'static [&'static str] {
        &["created", "status", "name"]
    }
}

impl Tabular for Account {
    fn drop_order() -> &'static [&'static str] {
        &["created", "org", "status", "role"]
    }

    fn headers() -> &'static [&'static str] {
        &["id", "email", "role", "org", "status", "created"]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::fixed(&self.id),
            Cell::fixed(&self.email),
            Cell::fixed(self.role),
            Cell::fixed(self.org.as_deref().unwrap_or_default()),
            Cell::Status(self.status.to_string()),
            Cell::Time(Some(self.created_at)),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }
}

impl Tabular for AuditEvent {
    fn drop_order() -> &'static [&'static str] {
        &["details", "seq", "at", "actor", "action"]
    }

    fn headers() -> &'static [&'static str] {
        &["seq", "at", "action", "actor", "target", "details"]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::fixed(self.seq),
            Cell::Time(Some(self.at)),
            Cell::Status(self.action.clone()),
            Cell::fixed(&self.actor.email),
            Cell::fixed(self.target.as_deref().unwrap_or_default()),
            Cell::Text(summarize(&self.details)),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }
}

/// `key=value` pairs of an event's details, skipping nulls.
pub fn summarize(details: &serde_json::Value) -> String {
    let Some(map) = details.as_object() else {
        return details.to_string();
    };
    map.iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| match value {
            serde_json::Value::String(text) => format!("{key}={text}"),
            serde_json::Value::Array(items) => format!(
                "{key}={}",
                items
                    .iter()
                    .map(|item| item
                        .as_str()
                        .map_or_else(|| item.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            other => format!("{key}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` as it may reach a terminal: on one line, and nothing in it that a terminal acts on
/// or that reorders or hides what is shown. Controls (C0 including newline and tab, DEL, C1),
/// Unicode format characters (category Cf: direction overrides and isolates, zero-width
/// characters, the byte order mark, ...) and the line and paragraph separators become visible
/// escapes: `\n`, `\t`, `\r`, else `\u{202e}`. Backslashes stay as they are, for people to
/// read; TSV, which must be read back, escapes them too.
///
/// Every piece of text from the server or from other people goes through this before a
/// terminal shows it: an escape sequence in a reason could otherwise write to the clipboard
/// (OSC 52), clear the screen, or make a request read as something else.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => safe.push_str("\\n"),
            '\t' => safe.push_str("\\t"),
            '\r' => safe.push_str("\\r"),
            c if needs_escape(c) => safe.extend(c.escape_unicode()),
            c => safe.push(c),
        }
    }
    Cow::Owned(safe)
}

/// Whether a terminal must not receive `c` as it is.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c.general_category(),
            GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
}

/// [`terminal_safe`] text cut to `width` characters with `…`: one line of free text, such as
/// a reason, that cannot push what follows off the screen.
pub fn one_line(text: &str, width: usize) -> String {
    let safe = terminal_safe(text);
    if safe.chars().count() <= width {
        return safe.into_owned();
    }
    let mut cut: String = safe.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// "admin of acme", "support": an account's role as `status` and `login` say it.
pub fn describe_role(account: &Account) -> String {
    match (&account.role, &account.org) {
        (Role::Admin, Some(org)) => format!("admin of {org}"),
        (role, _) => role.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_format_characters_become_visible_escapes() {
        assert_eq!(
            terminal_safe("Ticket 4821: sync ✓ – Überprüfung"),
            "Ticket 4821: sync ✓ – Überprüfung"
        );
        assert!(matches!(terminal_safe("plain"), Cow::Borrowed(_)));
        assert_eq!(terminal_safe("a\nb\tc\rd"), "a\\nb\\tc\\rd");
        // OSC 52 (clipboard), clear screen, bell, DEL, a C1 CSI.
        assert_eq!(
            terminal_safe("\u{1b}]52;c;ZWNobw==\u{7}\u{1b}[2J\u{7f}\u{9b}"),
            "\\u{1b}]52;c;ZWNobw==\\u{7}\\u{1b}[2J\\u{7f}\\u{9b}"
        );
        for (c, shown) in [
            ('\u{202e}', "\\u{202e}"),
            ('\u{2066}', "\\u{2066}"),
            ('\u{200b}', "\\u{200b}"),
            ('\u{200f}', "\\u{200f}"),
            ('\u{feff}', "\\u{feff}"),
            ('\u{61c}', "\\u{61c}"),
            ('\u{2028}', "\\u{2028}"),
            ('\u{85}', "\\u{85}"),
        ] {
            assert_eq!(
                terminal_safe(&format!("a{c}b")),
                format!("a{shown}b"),
                "{c:?}"
            );
        }
        assert_eq!(terminal_safe("C:\\path"), "C:\\path");
    }

    #[test]
    fn one_line_text_is_cut_to_the_width() {
        assert_eq!(
            one_line("read-only\n\nfor 30m", 80),
            "read-only\\n\\nfor 30m"
        );
        assert_eq!(one_line("abcdef", 4), "abc…");
        assert_eq!(one_line("abc", 3), "abc");
    }
}
