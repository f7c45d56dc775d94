//! How each API resource prints as a row. Columns are the same on a terminal and in TSV.

use crate::api::{Account, Area, AuditEvent, Grant, Org, Session, SessionStatus, join_areas};
use crate::cli::render::summarize;
use crate::cli::table::{Cell, Tabular};

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
            if self.acknowledged == Some(false) {
                // Scripts read the status alone (and `acknowledged` in JSON).
                Cell::Marked {
                    status: self.status.to_string(),
                    mark: "BREAK-GLASS, unacknowledged",
                }
            } else {
                Cell::Status(self.status.to_string())
            },
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
        let mut details = match self.revoked_at {
            Some(at) => vec![
                ("revoked", Cell::Time(Some(at))),
                ("revoked by", Cell::opt(self.revoked_by.as_ref())),
                ("revoke reason", Cell::opt(self.revoke_reason.as_ref())),
            ],
            None => Vec::new(),
        };
        if self.break_glass {
            details.push((
                "break-glass",
                Cell::text(match &self.review {
                    None => "unacknowledged".to_owned(),
                    Some(review) => format!("{} by {}", review.outcome, review.by),
                }),
            ));
            if let Some(review) = &self.review {
                details.push(("reviewed", Cell::Time(Some(review.at))));
                if let Some(reason) = &review.reason {
                    details.push(("dispute reason", Cell::text(reason)));
                }
            }
        }
        details
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
