//! The typed client's calls about customer rules: auto-approval rules and closing tickets.

use super::*;
use crate::api::{ApprovalRule, CloseTicket, CreateApprovalRule, TicketClosed};

impl ApiClient {
    pub fn create_approval_rule(
        &self,
        org: &str,
        body: &CreateApprovalRule,
    ) -> ClientResult<ApprovalRule> {
        self.post(&format!("v1/orgs/{}/approval-rules", seg(org)), body)
    }

    pub fn list_approval_rules(&self, org: &str) -> ClientResult<Vec<ApprovalRule>> {
        self.get(&format!("v1/orgs/{}/approval-rules", seg(org)), &())
    }

    /// Removes a rule named by its id or its name.
    pub fn remove_approval_rule(&self, org: &str, rule: &str) -> ClientResult<ApprovalRule> {
        let path = format!("v1/orgs/{}/approval-rules/{}", seg(org), seg(rule));
        let (builder, url) = self.request(Method::DELETE, &path)?;
        let response = self.send(builder, &url)?;
        self.decode(response, &url)
    }

    pub fn close_ticket(
        &self,
        org: &str,
        ticket: &str,
        body: &CloseTicket,
    ) -> ClientResult<TicketClosed> {
        let path = format!("v1/orgs/{}/tickets/{}/close", seg(org), seg(ticket));
        self.post(&path, body)
    }
}
