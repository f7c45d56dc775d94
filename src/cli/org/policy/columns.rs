//! A policy's and a pending change's rows in tables and TSV.

use crate::api::{Level, OrgPolicy, PendingPolicyChange, join_areas};
use crate::cli::table::{Cell, Tabular};
use crate::cli::time::spoken_duration;

impl Tabular for OrgPolicy {
    fn headers() -> &'static [&'static str] {
        &[
            "version",
            "max grant",
            "default grant",
            "max session ttl",
            "levels",
            "areas",
            "require ticket",
            "direct grants",
            "accept requests",
            "approvals",
            "request ttl",
            "expiry warning",
            "updated",
            "updated by",
            "break glass",
            "approval max auth age",
        ]
    }

    fn cells(&self) -> Vec<Cell> {
        let duration = |seconds: i64| Cell::Text(spoken_duration(seconds.unsigned_abs()));
        let approvals = &self.approvals_required;
        vec![
            Cell::text(self.version),
            duration(self.max_grant_duration_seconds),
            duration(self.default_grant_duration_seconds),
            duration(self.max_session_ttl_seconds),
            Cell::Text(
                self.allowed_levels
                    .iter()
                    .map(Level::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            Cell::Text(join_areas(&self.allowed_areas)),
            Cell::text(self.require_ticket),
            Cell::text(self.direct_grants),
            Cell::text(self.accept_requests),
            Cell::Text(format!(
                "read-only={},member={},admin={}",
                approvals.read_only, approvals.member, approvals.admin
            )),
            duration(self.request_ttl_seconds),
            if self.expiry_warning_seconds == 0 {
                Cell::Placeholder("(never)")
            } else {
                duration(self.expiry_warning_seconds)
            },
            Cell::Time(self.updated_at),
            Cell::opt(self.updated_by.as_ref()),
            if self.break_glass.allowed {
                Cell::Text(format!(
                    "up to {} for {}",
                    self.break_glass.max_level,
                    spoken_duration(self.break_glass.max_duration_seconds.unsigned_abs())
                ))
            } else {
                Cell::Placeholder("(off)")
            },
            match self.approval_max_auth_age_seconds {
                Some(seconds) => duration(seconds),
                None => Cell::Placeholder("(none)"),
            },
        ]
    }

    fn id(&self) -> &str {
        "policy"
    }
}

impl Tabular for PendingPolicyChange {
    fn headers() -> &'static [&'static str] {
        &[
            "id",
            "weakens",
            "proposed by",
            "proposed",
            "approvals",
            "approved by",
            "changes version",
        ]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::text(&self.id),
            Cell::Text(self.weakens.join(", ")),
            Cell::text(&self.proposed_by),
            Cell::Time(Some(self.proposed_at)),
            Cell::Text(format!(
                "{} of {}",
                self.approvals.len(),
                self.approvals_required
            )),
            Cell::Text(
                self.approvals
                    .iter()
                    .map(|a| a.by.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Cell::text(self.base_version),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }
}
