//! Durations and times as people type them: `8h`, `1h30m`, `2 days`, RFC 3339 times.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// A time in a message, the way the tables show it: "17:00, in 3h 58m", "Mon 09:00, in 2d 4h"
/// ahead (local time), "3m ago" past. The one format for every time a person reads.
pub fn spoken_time(at: Timestamp) -> String {
    local_relative(at, Timestamp::now())
}

/// A positive duration in whole seconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let duration = humantime::parse_duration(text.trim())
        .map_err(|e| format!("'{text}' is not a duration ({e}); try 30m, 8h or 2d"))?;
    let seconds = i64::try_from(duration.as_secs()).map_err(|_| format!("'{text}' is too long"))?;
    if seconds <= 0 {
        return Err(format!("'{text}' must be at least one second"));
    }
    Ok(seconds)
}

/// An absolute time: RFC 3339 (`2026-11-28T17:00:00Z`, `...+02:00`), or a date and time
/// without offset, read in the local time zone (`2026-11-28 17:00`).
pub fn parse_time(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    if let Ok(civil) = text.parse::<jiff::civil::DateTime>() {
        return civil
            .to_zoned(jiff::tz::TimeZone::system())
            .map(|zoned| zoned.timestamp())
            .map_err(|e| format!("'{text}': {e}"));
    }
    Err(format!(
        "'{text}' is not a time; use RFC 3339 like 2026-11-28T17:00:00Z"
    ))
}

/// A point in the past: a duration ago (`24h`) or an absolute time.
pub fn parse_since(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    if let Ok(seconds) = parse_duration(text) {
        return now
            .checked_sub(jiff::SignedDuration::from_secs(seconds))
            .map_err(|e| format!("'{text}': {e}"));
    }
    parse_time(text)
        .map_err(|_| format!("'{text}' is neither a duration (24h) nor a time (RFC 3339)"))
}

/// "Mon 17:00, in 3h 58m" for what is ahead; "3m ago" for what is past. Messages say times
/// the same way ([`spoken_time`]).
pub fn local_relative(at: Timestamp, now: Timestamp) -> String {
    let relative = relative_time(at, now);
    if at <= now {
        return relative;
    }
    format!("{}, {relative}", local_short(at, now, &TimeZone::system()))
}

/// "17:00" today, "Mon 17:00" within a week, "Dec 24 17:00" later, with the year when another.
pub fn local_short(at: Timestamp, now: Timestamp, zone: &TimeZone) -> String {
    let at = at.to_zoned(zone.clone());
    let now = now.to_zoned(zone.clone());
    let days = (at.date() - now.date()).get_days();
    if at.date() == now.date() {
        at.strftime("%H:%M").to_string()
    } else if (0..7).contains(&days) && at.year() == now.year() {
        at.strftime("%a %H:%M").to_string()
    } else if at.year() == now.year() {
        at.strftime("%b %-d %H:%M").to_string()
    } else {
        at.strftime("%Y-%m-%d %H:%M").to_string()
    }
}

/// "2026-11-30 17:00 CET": a full local time, for `show` and messages.
pub fn local_full(at: Timestamp) -> String {
    at.to_zoned(TimeZone::system())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// "in 7h 58m", "in 45s", "3m ago", "just now": the two largest units, as people say it, to
/// the nearest minute (a grant for 4h made a moment ago ends "in 4h", not "in 3h 59m").
pub fn relative_time(at: Timestamp, now: Timestamp) -> String {
    let seconds = at.as_second() - now.as_second();
    match seconds {
        1..60 => return format!("in {seconds}s"),
        -59..=0 => return "just now".to_owned(),
        _ => {}
    }
    let span = spoken_duration((seconds.unsigned_abs() + 30) / 60 * 60);
    if seconds > 0 {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

/// "90d", "7h 58m", "3m": a duration in its two largest units (days, hours, minutes).
pub fn spoken_duration(seconds: u64) -> String {
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
    );
    let (major, minor) = match (days, hours) {
        (0, 0) if minutes == 0 => return format!("{seconds}s"),
        (0, 0) => ((minutes, "m"), (0, "")),
        (0, _) => ((hours, "h"), (minutes, "m")),
        _ => ((days, "d"), (hours, "h")),
    };
    if minor.0 == 0 {
        format!("{}{}", major.0, major.1)
    } else {
        format!("{}{} {}{}", major.0, major.1, minor.0, minor.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_local_times_say_only_what_differs() {
        let zone = TimeZone::UTC;
        let now: Timestamp = "2026-11-30T09:00:00Z".parse().unwrap();
        let at = |text: &str| text.parse::<Timestamp>().unwrap();
        assert_eq!(local_short(at("2026-11-30T17:00:00Z"), now, &zone), "17:00");
        assert_eq!(
            local_short(at("2026-12-01T17:00:00Z"), now, &zone),
            "Tue 17:00"
        );
        assert_eq!(
            local_short(at("2026-12-24T17:00:00Z"), now, &zone),
            "Dec 24 17:00"
        );
        assert_eq!(
            local_short(at("2027-01-02T08:00:00Z"), now, &zone),
            "2027-01-02 08:00"
        );
    }

    #[test]
    fn durations_read_like_speech() {
        assert_eq!(spoken_duration(90 * 86_400), "90d");
        assert_eq!(spoken_duration(8 * 3_600 + 120), "8h 2m");
        assert_eq!(spoken_duration(45), "45s");
    }

    #[test]
    fn relative_times_read_like_speech() {
        let now = Timestamp::from_second(1_000_000).unwrap();
        let at = |delta: i64| Timestamp::from_second(1_000_000 + delta).unwrap();
        assert_eq!(relative_time(at(7 * 3600 + 58 * 60 + 10), now), "in 7h 58m");
        assert_eq!(relative_time(at(-180), now), "3m ago");
        assert_eq!(relative_time(at(20), now), "in 20s");
        assert_eq!(relative_time(at(-20), now), "just now");
        assert_eq!(relative_time(at(4 * 3600 - 1), now), "in 4h");
        assert_eq!(relative_time(at(3 * 3600 + 58 * 60), now), "in 3h 58m");
        assert_eq!(relative_time(at(86_400 + 3 * 3600), now), "in 1d 3h");
    }

    #[test]
    fn durations_people_type() {
        assert_eq!(parse_duration("8h").unwrap(), 8 * 3600);
        assert_eq!(parse_duration("1h30m").unwrap(), 5400);
        assert_eq!(parse_duration("2 days").unwrap(), 2 * 86400);
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-1h").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn times_with_offsets_and_zones() {
        assert_eq!(
            parse_time("2026-11-28T17:00:00+02:00").unwrap(),
            parse_time("2026-11-28T15:00:00Z").unwrap()
        );
        assert!(parse_time("2026-11-28 17:00").is_ok());
        assert!(parse_time("tomorrow").is_err());
    }

    proptest! {
        #[test]
        fn any_whole_number_of_units_parses_exactly(n in 1i64..100_000, unit in prop::sample::select(vec![("s", 1i64), ("m", 60), ("h", 3600), ("d", 86400)])) {
            prop_assert_eq!(parse_duration(&format!("{n}{}", unit.0)).unwrap(), n * unit.1);
        }

        #[test]
        fn the_parsers_never_panic(text in "\\PC{0,40}") {
            let _ = parse_duration(&text);
            let _ = parse_time(&text);
            let _ = parse_since(&text, Timestamp::UNIX_EPOCH);
        }

        #[test]
        fn rfc3339_round_trips(seconds in 0i64..4_000_000_000) {
            let at = Timestamp::from_second(seconds).unwrap();
            prop_assert_eq!(parse_time(&at.to_string()).unwrap(), at);
        }
    }
}
