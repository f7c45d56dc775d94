//! How each API resource prints as a row. Columns are the same on a terminal and in TSV.

use crate::api::{Account, AuditEvent, Grant, Org, Session, join_areas};
use crate::cli::ui::{Cell, Tabular};

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
            Cell::text(&self.id),
            Cell::text(&self.org),
            Cell::Status(self.status.to_string()),
            Cell::text(self.level),
            Cell::Text(join_areas(&self.areas)),
            if self.engineers.is_empty() {
                Cell::Placeholder("(all support)")
            } else {
                Cell::Text(self.engineers.join(","))
            },
            Cell::Time(Some(self.revoked_at.unwrap_or(self.expires_at))),
            Cell::Time(Some(self.created_at)),
            Cell::text(&self.created_by),
            Cell::opt(self.ticket.as_ref()),
            Cell::text(&self.reason),
        ]
    }

    fn id(&self) -> &str {
        &self.id
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
            Cell::text(&self.id),
            Cell::text(&self.org),
            Cell::Status(self.status.to_string()),
            Cell::text(&self.engineer),
            Cell::text(self.level),
            Cell::Text(join_areas(&self.areas)),
            Cell::Time(Some(self.closed_at.unwrap_or(self.expires_at))),
            Cell::Time(Some(self.opened_at)),
            Cell::text(&self.grant_id),
            Cell::text(&self.reason),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }
}

impl Tabular for Org {
    fn headers() -> &'static [&'static str] {
        &["slug", "name", "status", "created"]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::text(&self.slug),
            Cell::text(&self.name),
            Cell::Status(self.status.to_string()),
            Cell::Time(Some(self.created_at)),
        ]
    }

    fn id(&self) -> &str {
        &self.slug
    }
}

impl Tabular for Account {
    fn headers() -> &'static [&'static str] {
        &["id", "email", "role", "org", "status", "created"]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::text(&self.id),
            Cell::text(&self.email),
            Cell::text(self.role),
            Cell::opt(self.org.as_ref()),
            Cell::Status(self.status.to_string()),
            Cell::Time(Some(self.created_at)),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }
}

impl Tabular for AuditEvent {
    fn headers() -> &'static [&'static str] {
        &["seq", "at", "action", "actor", "target", "details"]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::text(self.seq),
            Cell::Time(Some(self.at)),
            Cell::Status(self.action.clone()),
            Cell::text(&self.actor.email),
            Cell::opt(self.target.as_ref()),
            Cell::Text(summarize(&self.details)),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }
}

/// `key=value` pairs of an event's details, skipping nulls.
fn summarize(details: &serde_json::Value) -> String {
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
