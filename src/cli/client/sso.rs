//! The typed client's calls about sign-in: connectors, and the sign-in flows.

use super::*;
use crate::api::{AuthMethod, Connector, CreateConnector, LoginStarted, StartLogin};

/// The path of the connectors of `org`, or the vendor's.
fn connectors_path(org: Option<&str>) -> String {
    match org {
        Some(org) => format!("v1/orgs/{}/auth/connectors", seg(org)),
        None => "v1/auth/connectors".to_owned(),
    }
}

impl ApiClient {
    pub fn create_connector(
        &self,
        org: Option<&str>,
        body: &CreateConnector,
    ) -> ClientResult<Connector> {
        self.post(&connectors_path(org), body)
    }

    pub fn list_connectors(&self, org: Option<&str>) -> ClientResult<Vec<Connector>> {
        self.get(&connectors_path(org), &())
    }

    pub fn get_connector(&self, org: Option<&str>, name: &str) -> ClientResult<Connector> {
        self.get(&format!("{}/{}", connectors_path(org), seg(name)), &())
    }

    pub fn delete_connector(&self, org: Option<&str>, name: &str) -> ClientResult<Connector> {
        let path = format!("{}/{}", connectors_path(org), seg(name));
        let (builder, url) = self.request(Method::DELETE, &path)?;
        let response = self.send(builder, &url)?;
        self.decode(response, &url)
    }

    /// The connectors one may sign in with (no token needed).
    pub fn auth_methods(&self, org: Option<&str>) -> ClientResult<Vec<AuthMethod>> {
        let query: Vec<(&str, &str)> = org.map(|org| ("org", org)).into_iter().collect();
        self.get("v1/auth/methods", &query)
    }

    pub fn start_login(&self, body: &StartLogin) -> ClientResult<LoginStarted> {
        self.post("v1/auth/login", body)
    }

    /// One poll of a sign-in's token: pending (202), or the token.
    pub fn poll_login(&self, flow_id: &str) -> ClientResult<LoginPoll> {
        let path = format!("v1/auth/login/{}/token", seg(flow_id));
        let (builder, url) = self.request(Method::POST, &path)?;
        let response = self.send(builder, &url)?;
        if response.status() == StatusCode::ACCEPTED {
            return Ok(LoginPoll::Pending(self.decode(response, &url)?));
        }
        Ok(LoginPoll::Done(Box::new(self.decode(response, &url)?)))
    }
}
