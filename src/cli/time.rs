//! Durations and times as people type them: `8h`, `1h30m`, `2 days`, RFC 3339 times.

use jiff::Timestamp;

/// A time in a message, the way the tables show it: "17:00, in 3h 58m", "Mon 09:00, in 2d 4h"
/// ahead (local time), "3m ago" past. The one format for every time a person reads.
pub fn spoken_time(at: Timestamp) -> String {
    crate::cli::table::local_relative(at, Timestamp::now())
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
