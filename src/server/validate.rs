//! Input rules shared by handlers: each parses what it is given into the value the handler
//! uses, or says why not in words that name the field. The handler decides the HTTP status.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::api::Area;

/// Why an input was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

/// Why a duration was refused: malformed, or longer than the server allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    OverMax(String),
}

const MAX_TEXT: usize = 1000;

/// The line breaks free text may hold: a reason or comment of a few lines reads as written,
/// but more could push what a request really asks for off a screen or out of a chat message.
pub const MAX_LINE_BREAKS: usize = 5;

/// 2 to 63 lowercase letters, digits or dashes, not starting or ending with a dash.
pub fn slug(slug: &str) -> Result<&str, Invalid> {
    let ok = (2..=63).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(slug)
    } else {
        Err(Invalid(format!(
            "slug '{slug}' must be 2 to 63 lowercase letters, digits or dashes, \
             not starting or ending with a dash"
        )))
    }
}

/// One `local@domain` address, at most 254 bytes, without spaces, controls, Unicode format
/// characters or commas.
pub fn email(email: &str) -> Result<&str, Invalid> {
    // Said without quoting it: what it holds would act on the terminal that shows the answer.
    if email.chars().any(|c| c.is_control() || is_format(c)) {
        return Err(Invalid(
            "email contains control characters or Unicode format characters (direction \
             controls, zero-width characters), which can disguise an address"
                .to_owned(),
        ));
    }
    let ok = email.len() <= 254
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',')
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
    if ok {
        Ok(email)
    } else {
        Err(Invalid(format!("'{email}' is not an email address")))
    }
}

/// A required free-text field such as `reason`: not blank, at most 1000 characters and
/// [`MAX_LINE_BREAKS`] line breaks, no control characters but newline and tab, no Unicode
/// format characters (direction controls, zero-width characters).
pub fn required_text(field: &str, value: &str) -> Result<String, Invalid> {
    check_text(field, value)?;
    let value = value.trim();
    if value.is_empty() {
        return Err(Invalid(format!("{field} is required")));
    }
    Ok(value.to_owned())
}

/// An optional free-text field; blank counts as absent.
pub fn optional_text(field: &str, value: Option<&str>) -> Result<Option<String>, Invalid> {
    let Some(value) = value else { return Ok(None) };
    check_text(field, value)?;
    let value = value.trim();
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

fn check_text(field: &str, value: &str) -> Result<(), Invalid> {
    if value.chars().count() > MAX_TEXT {
        return Err(Invalid(format!(
            "{field} is longer than {MAX_TEXT} characters"
        )));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Invalid(format!("{field} contains control characters")));
    }
    if value.chars().any(is_format) {
        return Err(Invalid(format!(
            "{field} contains Unicode format characters (direction controls, zero-width \
             characters), which can disguise text in a terminal"
        )));
    }
    let breaks = value.trim().matches('\n').count();
    if breaks > MAX_LINE_BREAKS {
        return Err(Invalid(format!(
            "{field} has {breaks} line breaks; at most {MAX_LINE_BREAKS} are allowed"
        )));
    }
    Ok(())
}

/// Unicode format characters (category Cf: direction embeddings, overrides and isolates,
/// zero-width characters, the byte order mark, ...), and the line and paragraph separators:
/// they reorder, hide or break the text around them where it is shown.
fn is_format(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

/// Areas as given, sorted and deduplicated; `None` means all of them.
pub fn areas(areas: Option<&[Area]>) -> Result<Vec<Area>, Invalid> {
    match areas {
        None => Ok(Area::ALL.to_vec()),
        Some([]) => Err(Invalid(
            "areas must name at least one area (omit it for all)".to_owned(),
        )),
        Some(areas) => {
            let mut areas = areas.to_vec();
            areas.sort();
            areas.dedup();
            Ok(areas)
        }
    }
}

/// A positive number of seconds, at most `max`.
pub fn duration(field: &str, seconds: i64, max: i64) -> Result<i64, DurationError> {
    if seconds <= 0 {
        return Err(DurationError::Invalid(format!(
            "{field} must be a positive number of seconds, got {seconds}"
        )));
    }
    if seconds > max {
        return Err(DurationError::OverMax(format!(
            "{field} of {seconds}s exceeds the maximum of {max}s ({}; the org's policy or the \
             server's limit, whichever is shorter)",
            humantime::format_duration(std::time::Duration::from_secs(max.unsigned_abs()))
        )));
    }
    Ok(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(slug("acme").is_ok());
        assert!(slug("acme-2").is_ok());
        for bad in [
            "a",
            "-acme",
            "acme-",
            "Acme",
            "ac me",
            "ac_me",
            &"a".repeat(64),
        ] {
            assert!(slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn texts_refuse_control_and_direction_characters() {
        assert_eq!(
            required_text("reason", "  Ticket 4821\n\tsync  ").unwrap(),
            "Ticket 4821\n\tsync"
        );
        for bad in [
            "a\u{0}b",
            "bell\u{7}",
            "esc \u{1b}[31m",
            "grant for \u{202e}nimda",
            "x\u{202a}y",
            "x\u{2066}y\u{2069}",
            "zero\u{200b}width",
            "mark\u{200f}",
            "bom\u{feff}",
            "arabic\u{61c}mark",
            "line\u{2028}separator",
            "next line\u{85}",
            "one\ntwo\nthree\nfour\nfive\nsix\nseven",
        ] {
            assert!(required_text("reason", bad).is_err(), "{bad:?}");
            assert!(optional_text("reason", Some(bad)).is_err(), "{bad:?}");
        }
        // Other non-ASCII text is welcome, and a few lines.
        assert!(required_text("reason", "Überprüfung – 检查 ✓").is_ok());
        assert!(required_text("reason", "one\ntwo\nthree\nfour\nfive\nsix").is_ok());
        assert!(required_text("reason", "x\n\n\n\n\n\n\n\n").is_ok());
        let refused = required_text("comment", &format!("a{}b", "\n".repeat(12))).unwrap_err();
        assert!(
            refused.0.starts_with("comment has 12 line breaks"),
            "{refused}"
        );
    }

    #[test]
    fn emails() {
        assert!(email("ada@acme.test").is_ok());
        for bad in [
            "",
            "ada",
            "@acme",
            "ada@",
            "a b@acme",
            "a,b@acme",
            "a@b@c",
            "ada@\u{202e}emca.test",
            "ad\u{200b}a@acme.test",
            "ada@acme.test\u{2066}",
            "ada\u{1b}[2J@acme.test",
            "ada@acme\u{9b}.test",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(duration("d", 60, 3600).unwrap(), 60);
        assert!(matches!(
            duration("d", 0, 3600),
            Err(DurationError::Invalid(_))
        ));
        assert!(matches!(
            duration("d", -5, 3600),
            Err(DurationError::Invalid(_))
        ));
        assert!(matches!(
            duration("d", 3601, 3600),
            Err(DurationError::OverMax(_))
        ));
    }
}
