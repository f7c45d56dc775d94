//! An auto-approval rule's columns in tables and TSV.

use crate::api::{ApprovalRule, Weekday, join_areas};
use crate::cli::table::{Cell, Tabular};
use crate::cli::time::spoken_duration;

impl Tabular for ApprovalRule {
    fn headers() -> &'static [&'static str] {
        &[
            "name",
            "level",
            "areas",
            "for",
            "ticket",
            "when",
            "engineers",
            "status",
            "expires",
            "id",
        ]
    }

    fn cells(&self) -> Vec<Cell> {
        let days = self.weekdays.as_ref().map(|days| {
            days.iter()
                .map(Weekday::to_string)
                .collect::<Vec<_>>()
                .join(",")
        });
        let hours = self
            .hours_utc
            .as_deref()
            .map(|hours| format!("{:02}-{:02} UTC", hours[0], hours.get(1).unwrap_or(&0)));
        let when = match (days, hours) {
            (None, None) => Cell::Placeholder("any time"),
            (days, hours) => Cell::text(
                [days, hours]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        };
        vec![
            Cell::fixed(&self.name),
            Cell::fixed(self.max_level),
            Cell::text(join_areas(&self.areas)),
            Cell::fixed(spoken_duration(self.max_duration_seconds.unsigned_abs())),
            match &self.ticket_pattern {
                Some(pattern) => Cell::text(pattern),
                None => Cell::Placeholder("any"),
            },
            when,
            match &self.engineers {
                Some(engineers) => Cell::text(engineers.join(",")),
                None => Cell::Placeholder("any"),
            },
            Cell::Status(self.status.to_string()),
            Cell::Time(Some(self.expires_at)),
            Cell::fixed(&self.id),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn drop_order() -> &'static [&'static str] {
        &[
            "id",
            "engineers",
            "when",
            "ticket",
            "expires",
            "for",
            "status",
        ]
    }
}
