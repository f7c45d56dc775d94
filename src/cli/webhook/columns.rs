//! A webhook's and a delivery's columns in tables and TSV.

use crate::api::{Delivery, Webhook};
use crate::cli::table::{Cell, Tabular};

impl Tabular for Webhook {
    fn headers() -> &'static [&'static str] {
        &["id", "url", "events", "format", "status", "created"]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::fixed(&self.id),
            Cell::text(&self.url),
            Cell::text(self.events.join(",")),
            Cell::text(self.format),
            Cell::Status(
                if self.disabled_at.is_some() {
                    "disabled"
                } else {
                    "enabled"
                }
                .into(),
            ),
            Cell::Time(Some(self.created_at)),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn drop_order() -> &'static [&'static str] {
        &["created", "format", "events", "status"]
    }
}

impl Tabular for Delivery {
    fn headers() -> &'static [&'static str] {
        &[
            "id",
            "event",
            "seq",
            "status",
            "attempts",
            "last",
            "next attempt",
            "created",
        ]
    }

    fn cells(&self) -> Vec<Cell> {
        let last = match (&self.last_status, &self.last_error) {
            (_, Some(error)) => Cell::text(error),
            (Some(status), None) => Cell::text(format!("HTTP {status}")),
            (None, None) => Cell::Placeholder("-"),
        };
        vec![
            Cell::fixed(&self.id),
            Cell::fixed(&self.event_type),
            Cell::fixed(
                self.event_seq
                    .map(|seq| seq.to_string())
                    .unwrap_or_default(),
            ),
            Cell::Status(self.status.to_string()),
            Cell::fixed(self.attempts),
            last,
            Cell::Time(self.next_attempt_at),
            Cell::Time(Some(self.created_at)),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn drop_order() -> &'static [&'static str] {
        &[
            "seq",
            "next attempt",
            "attempts",
            "last",
            "event",
            "created",
            "status",
        ]
    }
}
