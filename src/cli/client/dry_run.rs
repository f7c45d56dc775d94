//! The typed client's dry runs: the same calls as the changes they preview, sent with
//! `?dry_run=true`, so the server checks everything and answers what it would do, changing
//! nothing (and refusing with the same errors as the real call).

use super::*;

impl ApiClient {
    fn dry_run<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> ClientResult<T> {
        let (builder, url) = self.request(method, path)?;
        let builder = builder.query(&[("dry_run", "true")]).json(body);
        let response = self.send(builder, &url)?;
        self.decode(response, &url)
    }

    /// The grant [`ApiClient::create_grant`] would create (its id names no grant).
    pub fn create_grant_dry_run(&self, org: &str, body: &CreateGrant) -> ClientResult<Grant> {
        self.dry_run(Method::POST, &grants_path(org), body)
    }

    /// The grant as [`ApiClient::extend_grant`] would leave it.
    pub fn extend_grant_dry_run(&self, org: &str, id: &str, seconds: i64) -> ClientResult<Grant> {
        self.dry_run(
            Method::POST,
            &extend_path(org, id),
            &ExtendGrant {
                duration_seconds: seconds,
            },
        )
    }

    /// What [`ApiClient::bulk_revoke`] would do to each id.
    pub fn bulk_revoke_dry_run(
        &self,
        org: &str,
        body: &BulkRevoke,
    ) -> ClientResult<BulkRevokeResult> {
        self.dry_run(Method::POST, &bulk_revoke_path(org), body)
    }

    /// The request as [`ApiClient::approve_request`] would leave it.
    pub fn approve_request_dry_run(
        &self,
        org: &str,
        id: &str,
        body: &ApproveRequest,
    ) -> ClientResult<AccessRequest> {
        self.dry_run(Method::POST, &decide_path(org, id, "approve"), body)
    }

    /// The request as [`ApiClient::deny_request`] would leave it.
    pub fn deny_request_dry_run(
        &self,
        org: &str,
        id: &str,
        comment: &str,
    ) -> ClientResult<AccessRequest> {
        self.dry_run(
            Method::POST,
            &decide_path(org, id, "deny"),
            &DenyRequest {
                comment: comment.to_owned(),
            },
        )
    }

    /// The policy [`ApiClient::put_org_policy`] would put in force.
    pub fn put_org_policy_dry_run(
        &self,
        org: &str,
        body: &PutOrgPolicy,
    ) -> ClientResult<PolicyChangeOutcome> {
        self.dry_run(Method::PUT, &policy_path(org), body)
    }
}
