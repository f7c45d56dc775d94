//! A connector's columns in tables and TSV.

use crate::api::Connector;
use crate::cli::table::{Cell, Tabular};

impl Tabular for Connector {
    fn headers() -> &'static [&'static str] {
        &[
            "name",
            "org",
            "issuer",
            "client id",
            "flows",
            "rules",
            "provision",
            "created",
        ]
    }

    fn cells(&self) -> Vec<Cell> {
        let flows: Vec<&str> = self.flows.iter().map(|flow| flow.as_str()).collect();
        let rules: Vec<String> = self
            .rules
            .iter()
            .map(|rule| format!("{}={}:{}", rule.claim, rule.value, rule.role))
            .collect();
        vec![
            Cell::fixed(&self.name),
            Cell::fixed(self.org.as_deref().unwrap_or_default()),
            Cell::text(&self.issuer),
            Cell::text(&self.client_id),
            Cell::fixed(flows.join(",")),
            Cell::text(rules.join(", ")),
            Cell::fixed(if self.provision { "yes" } else { "no" }),
            Cell::Time(Some(self.created_at)),
        ]
    }

    fn id(&self) -> &str {
        &self.name
    }

    fn drop_order() -> &'static [&'static str] {
        &["created", "provision", "org", "client id", "flows", "rules"]
    }
}
