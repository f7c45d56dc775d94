//! How text from others (the server, other people) is made safe to print on a terminal, and
//! said in one line.

use std::borrow::Cow;

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::api::{Account, Role};

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
