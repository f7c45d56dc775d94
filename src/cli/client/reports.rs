//! The typed client's evidence reports, read as they arrive (a grant's may hold a hundred
//! thousand events).

use super::*;

impl ApiClient {
    /// The evidence report of a grant or a request of `org`: the answer's body, to read as
    /// it comes.
    pub fn report(&self, org: &str, of: ReportOf<'_>) -> ClientResult<Response> {
        let path = match of {
            ReportOf::Grant(id) => format!("v1/orgs/{}/grants/{}/report", seg(org), seg(id)),
            ReportOf::Request(id) => format!("v1/orgs/{}/requests/{}/report", seg(org), seg(id)),
        };
        let (builder, url) = self.request(Method::GET, &path)?;
        let response = self.send(builder, &url)?;
        if !response.status().is_success() {
            return Err(self.failure(response, &url));
        }
        Ok(response)
    }
}
