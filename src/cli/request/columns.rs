//! A request's columns in tables and TSV.

use crate::api::{AccessRequest, join_areas};
use crate::cli::table::{Cell, Tabular};
use crate::cli::time::spoken_duration;

impl Tabular for AccessRequest {
    fn headers() -> &'static [&'static str] {
        &[
            "id",
            "org",
            "status",
            "requester",
            "level",
            "areas",
            "duration",
            // How long a pending request has left; when a decided one was decided.
            "expires",
            "ticket",
            "reason",
            "approvals",
            "grant",
        ]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::fixed(&self.id),
            Cell::fixed(&self.org),
            if self.break_glass {
                // Scripts read the status alone (and `break_glass` in JSON).
                Cell::Marked {
                    status: self.status.to_string(),
                    mark: "BREAK-GLASS",
                }
            } else {
                Cell::Status(self.status.to_string())
            },
            Cell::fixed(&self.requester),
            Cell::fixed(self.level),
            Cell::Text(join_areas(&self.areas)),
            Cell::fixed(spoken_duration(self.duration_seconds.unsigned_abs())),
            Cell::Time(Some(self.decided_at.unwrap_or(self.expires_at))),
            Cell::opt(self.ticket.as_ref()),
            Cell::text(&self.reason),
            Cell::fixed(format!(
                "{}/{}",
                self.approvals.len(),
                self.approvals_required
            )),
            Cell::fixed(self.grant_id.as_deref().unwrap_or_default()),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn wide_only() -> &'static [&'static str] {
        &["ticket", "grant"]
    }

    fn drop_order() -> &'static [&'static str] {
        &[
            "grant",
            "ticket",
            "approvals",
            "areas",
            "duration",
            "level",
            "reason",
            "expires",
            "status",
        ]
    }
}
