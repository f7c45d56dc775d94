//! The typed client's calls about org policy and access requests.

use super::*;

impl ApiClient {
    /// The org's policy in force, with the `version` a change must name.
    pub fn org_policy(&self, org: &str) -> ClientResult<OrgPolicy> {
        self.get(&policy_path(org), &())
    }

    /// The policy in force after the change, or the change pending other admins' approvals.
    pub fn put_org_policy(
        &self,
        org: &str,
        body: &PutOrgPolicy,
    ) -> ClientResult<PolicyChangeOutcome> {
        self.put(&policy_path(org), body)
    }

    pub fn pending_policy_change(&self, org: &str) -> ClientResult<PendingPolicyChange> {
        self.get(&format!("{}/pending", policy_path(org)), &())
    }

    pub fn approve_policy_change(&self, org: &str, id: &str) -> ClientResult<PolicyChangeOutcome> {
        self.post(
            &format!("{}/pending/approve", policy_path(org)),
            &ApprovePolicyChange { id: id.to_owned() },
        )
    }

    pub fn create_request(&self, org: &str, body: &CreateRequest) -> ClientResult<AccessRequest> {
        self.post(&format!("v1/orgs/{}/requests", seg(org)), body)
    }

    /// An org's requests (`Some(org)`, for its admins) or the caller's own (`None`, a support
    /// engineer), newest first: all of them, or the first `max`.
    pub fn list_requests(
        &self,
        org: Option<&str>,
        status: RequestStatusFilter,
        max: Option<usize>,
    ) -> ClientResult<Listing<AccessRequest>> {
        self.list_all(&requests_path(org), &[("status", status.to_string())], max)
    }

    /// One request (an admin's through its org, an engineer's own otherwise), waiting up to
    /// `wait_seconds` for its decision.
    pub fn get_request(
        &self,
        org: Option<&str>,
        id: &str,
        wait_seconds: u64,
    ) -> ClientResult<AccessRequest> {
        let path = format!("{}/{}", requests_path(org), seg(id));
        let (builder, url) = self.request(Method::GET, &path)?;
        let builder = builder
            .query(&[("wait_seconds", wait_seconds)])
            .timeout(Duration::from_secs(wait_seconds + 30));
        let response = self.send(builder, &url)?;
        self.decode(response, &url)
    }

    pub fn approve_request(
        &self,
        org: &str,
        id: &str,
        body: &ApproveRequest,
    ) -> ClientResult<AccessRequest> {
        self.post(&decide_path(org, id, "approve"), body)
    }

    pub fn deny_request(&self, org: &str, id: &str, comment: &str) -> ClientResult<AccessRequest> {
        self.post(
            &decide_path(org, id, "deny"),
            &DenyRequest {
                comment: comment.to_owned(),
            },
        )
    }

    pub fn cancel_request(&self, id: &str) -> ClientResult<AccessRequest> {
        self.post(
            &format!("v1/requests/{}/cancel", seg(id)),
            &serde_json::json!({}),
        )
    }

    /// An operator confirms a break-glass request: its grant starts at once.
    pub fn confirm_request(
        &self,
        org: &str,
        id: &str,
        comment: Option<&str>,
    ) -> ClientResult<AccessRequest> {
        self.post(
            &decide_path(org, id, "confirm"),
            &crate::api::ConfirmRequest {
                comment: comment.map(str::to_owned),
            },
        )
    }

    /// An org admin acknowledges a break-glass grant.
    pub fn acknowledge_grant(&self, org: &str, id: &str) -> ClientResult<Grant> {
        self.post(
            &format!("v1/orgs/{}/grants/{}/acknowledge", seg(org), seg(id)),
            &serde_json::json!({}),
        )
    }

    /// An org admin disputes a break-glass grant, which revokes it.
    pub fn dispute_grant(&self, org: &str, id: &str, reason: &str) -> ClientResult<Grant> {
        self.post(
            &format!("v1/orgs/{}/grants/{}/dispute", seg(org), seg(id)),
            &crate::api::DisputeGrant {
                reason: reason.to_owned(),
            },
        )
    }
}
