//! A blocking HTTP client for the API. Blocking on purpose: the CLI does one thing at a time,
//! and must never run inside the server's tokio runtime.

mod dry_run;
mod reports;
mod requests;
mod rules;
mod sso;
mod webhooks;

use std::io::Write;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::{Method, StatusCode, Url, header};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{
    AccessRequest, Account, AccountWithToken, ApproveRequest, AuditQuery, AuthorizeRequest,
    AuthorizeResponse, BulkRevoke, BulkRevokeResult, CloseSession, CreateAccount, CreateGrant,
    CreateOrg, CreateRequest, DenyRequest, ExtendGrant, Grant, GrantStatusFilter, Health,
    IntrospectRequest, Introspection, ListTotal, OpenSession, Org, OrgPolicy, PROBLEM_CONTENT_TYPE,
    Page, Problem, PutOrgPolicy, RequestStatusFilter, Session, SessionStatusFilter,
    SessionWithToken,
};
use crate::api::{ApprovePolicyChange, PendingPolicyChange, PolicyChangeOutcome};
use crate::api::{CreateWebhook, Delivery, DeliveryStatus, Webhook, WebhookWithSecret};

/// Where a sign-in stands, as a poll of its token answers.
pub enum LoginPoll {
    Pending(crate::api::LoginPending),
    Done(Box<crate::api::LoginToken>),
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with a problem document.
    /// Its detail is the server's text: shown escaped, like all text from others.
    #[error("{}", crate::cli::render::terminal_safe(&problem.detail))]
    Api { status: u16, problem: Problem },
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the server failed: HTTP {status} from {url}")]
    Server { status: u16, url: String },
    #[error(
        "unexpected answer from {url}: {}",
        crate::cli::render::terminal_safe(reason)
    )]
    Decode { url: String, reason: String },
    #[error("refusing to send a token over plain http:// to {host}, which is not this machine")]
    InsecureTransport { host: String },
    #[error("invalid server URL '{url}': {reason}")]
    InvalidUrl { url: String, reason: String },
}

pub type ClientResult<T> = Result<T, ClientError>;

/// Which grants a list asks for.
#[derive(Debug, Clone, Copy)]
pub enum GrantList<'a> {
    /// The grants the caller (a support engineer) may use, across orgs.
    Usable,
    /// The grants of one org (for its admins and operators).
    Org(&'a str),
}

/// Which sessions a list asks for.
#[derive(Debug, Clone, Copy)]
pub enum SessionList<'a> {
    /// The caller's own sessions (a support engineer), or every session (an operator).
    Mine,
    /// The sessions of one org (for its admins).
    Org(&'a str),
}

/// What an evidence report is of.
#[derive(Debug, Clone, Copy)]
pub enum ReportOf<'a> {
    Grant(&'a str),
    Request(&'a str),
}

/// The items of a list a command read, and how many the whole list holds.
#[derive(Debug, Clone)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub total: Total,
}

/// How many items a whole list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exact(usize),
    /// The server stopped counting here.
    MoreThan(usize),
    /// More than were read; the server does not count (an older one).
    Unknown,
}

impl<T> Listing<T> {
    /// A list read to its end (and perhaps narrowed here): it holds exactly `items`.
    pub fn complete(items: Vec<T>) -> Listing<T> {
        Listing {
            total: Total::Exact(items.len()),
            items,
        }
    }
}

impl<T> IntoIterator for Listing<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub server: String,
    pub token: Option<String>,
    pub allow_insecure_http: bool,
    /// 1: one line per request on stderr; 2: also headers (Authorization redacted).
    pub verbose: u8,
    /// A PEM file of extra CA certificates to trust, beside the system's.
    pub ca_cert: Option<std::path::PathBuf>,
    /// How long one request may take [default: 60 s]; shell completion waits less.
    pub timeout: Option<Duration>,
}

pub struct ApiClient {
    http: Client,
    base: Url,
    token: Option<String>,
    verbose: u8,
}

/// True for `localhost` and loopback addresses, where plain HTTP never leaves the machine.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => {
            domain.eq_ignore_ascii_case("localhost") || domain.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Parses and checks a server URL: http(s) only, and plain http only to loopback unless allowed.
pub fn server_url(server: &str, allow_insecure_http: bool) -> ClientResult<Url> {
    let invalid = |reason: &str| ClientError::InvalidUrl {
        url: server.to_owned(),
        reason: reason.to_owned(),
    };
    let mut url = Url::parse(server).map_err(|e| invalid(&e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&url) => {}
        "http" => {
            return Err(ClientError::InsecureTransport {
                host: url.host_str().unwrap_or_default().to_owned(),
            });
        }
        _ => return Err(invalid("use http:// or https://")),
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

impl ApiClient {
    pub fn new(config: &ClientConfig) -> ClientResult<Self> {
        let base = server_url(&config.server, config.allow_insecure_http)?;
        let timeout = config.timeout.unwrap_or(Duration::from_secs(60));
        // reqwest is built without a default crypto provider; ring is the one we ship.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = Client::builder()
            .user_agent(concat!("supportctl/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5).min(timeout))
            .timeout(timeout);
        if base.scheme() == "http" && config.ca_cert.is_none() {
            // Nothing to verify over plain http: skip loading the system's CA roots, which
            // took about half of a short command's time (a redirect to https then fails).
            builder = builder.tls_certs_only(Vec::new());
        }
        if let Some(path) = &config.ca_cert {
            let invalid = |reason: String| ClientError::InvalidUrl {
                url: config.server.clone(),
                reason,
            };
            let pem = std::fs::read(path)
                .map_err(|e| invalid(format!("cannot read CA file {}: {e}", path.display())))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                invalid(format!("{} holds no PEM certificate: {e}", path.display()))
            })?;
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder.build().map_err(|e| ClientError::InvalidUrl {
            url: config.server.clone(),
            reason: format!("cannot build an HTTP client: {e}"),
        })?;
        Ok(ApiClient {
            http,
            base,
            token: config.token.clone(),
            verbose: config.verbose,
        })
    }

    fn url(&self, path: &str) -> ClientResult<Url> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| ClientError::InvalidUrl {
                url: path.to_owned(),
                reason: e.to_string(),
            })
    }

    fn request(&self, method: Method, path: &str) -> ClientResult<(RequestBuilder, Url)> {
        let url = self.url(path)?;
        let mut builder = self.http.request(method, url.clone());
        if let Some(token) = &self.token {
            builder = builder.bearer_auth(token);
        }
        Ok((builder, url))
    }

    fn send(&self, builder: RequestBuilder, url: &Url) -> ClientResult<Response> {
        let request = builder.build().map_err(|e| ClientError::Decode {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        if self.verbose > 0 {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "> {} {}", request.method(), request.url());
            if self.verbose > 1 {
                for (name, value) in request.headers() {
                    let shown = if name == header::AUTHORIZATION {
                        "Bearer [redacted]".to_owned()
                    } else {
                        value.to_str().unwrap_or("[binary]").to_owned()
                    };
                    let _ = writeln!(err, "> {name}: {shown}");
                }
            }
        }
        let started = Instant::now();
        let response = self
            .http
            .execute(request)
            .map_err(|e| ClientError::Unreachable {
                url: self.base.as_str().trim_end_matches('/').to_owned(),
                reason: if self.verbose > 0 {
                    error_chain(&e)
                } else {
                    plain_reason(&e)
                },
            })?;
        if self.verbose > 0 {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "< {} ({} ms)",
                response.status(),
                started.elapsed().as_millis()
            );
            if self.verbose > 1 {
                for (name, value) in response.headers() {
                    let _ = writeln!(err, "< {name}: {}", value.to_str().unwrap_or("[binary]"));
                }
            }
        }
        Ok(response)
    }

    fn decode<T: DeserializeOwned>(&self, response: Response, url: &Url) -> ClientResult<T> {
        let status = response.status();
        let is_problem = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(PROBLEM_CONTENT_TYPE));
        let bytes = response.bytes().map_err(|e| ClientError::Unreachable {
            url: self.base.to_string(),
            reason: error_chain(&e),
        })?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode {
                url: url.to_string(),
                reason: e.to_string(),
            });
        }
        if is_problem && let Ok(problem) = serde_json::from_slice::<Problem>(&bytes) {
            return Err(ClientError::Api {
                status: status.as_u16(),
                problem,
            });
        }
        if status.is_server_error() {
            return Err(ClientError::Server {
                status: status.as_u16(),
                url: url.to_string(),
            });
        }
        Err(ClientError::Decode {
            url: url.to_string(),
            reason: format!(
                "HTTP {status} without a problem document{}",
                if status == StatusCode::NOT_FOUND {
                    " (is this a supportctl server?)"
                } else {
                    ""
                }
            ),
        })
    }

    fn get<T: DeserializeOwned>(&self, path: &str, query: &impl Serialize) -> ClientResult<T> {
        let (builder, url) = self.request(Method::GET, path)?;
        let response = self.send(builder.query(query), &url)?;
        self.decode(response, &url)
    }

    fn put<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> ClientResult<T> {
        let (builder, url) = self.request(Method::PUT, path)?;
        let response = self.send(builder.json(body), &url)?;
        self.decode(response, &url)
    }

    fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> ClientResult<T> {
        let (builder, url) = self.request(Method::POST, path)?;
        let response = self.send(builder.json(body), &url)?;
        self.decode(response, &url)
    }

    /// Every item of a list, following cursors, up to `max` items. When it stops short of
    /// the end, the last page asks the server to count the whole list.
    fn list_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        max: Option<usize>,
    ) -> ClientResult<Listing<T>> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        let mut total = None;
        loop {
            let remaining = max.map(|max| max.saturating_sub(items.len()));
            if remaining == Some(0) {
                break;
            }
            let limit = remaining.unwrap_or(1000).min(1000);
            let mut query = query.to_vec();
            query.push(("limit", limit.to_string()));
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor.clone()));
            }
            // Only the page that may be the last one shown needs the count.
            if remaining.is_some_and(|remaining| remaining <= 1000) {
                query.push(("count", "true".to_owned()));
            }
            let page: Page<T> = self.get(path, &query)?;
            items.extend(page.items);
            total = page.total;
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => {
                    cursor = None;
                    break;
                }
            }
        }
        let total = match (cursor, total) {
            (None, _) => Total::Exact(items.len()),
            (Some(_), Some(ListTotal { count, more: false })) => {
                Total::Exact(usize::try_from(count).unwrap_or(usize::MAX))
            }
            (Some(_), Some(ListTotal { count, more: true })) => {
                Total::MoreThan(usize::try_from(count).unwrap_or(usize::MAX))
            }
            (Some(_), None) => Total::Unknown,
        };
        Ok(Listing { items, total })
    }

    // Typed endpoints -------------------------------------------------------------------------

    pub fn health(&self) -> ClientResult<Health> {
        let (builder, url) = self.request(Method::GET, "healthz")?;
        let response = self.send(builder, &url)?;
        let status = response.status();
        let bytes = response.bytes().map_err(|e| ClientError::Unreachable {
            url: self.base.to_string(),
            reason: error_chain(&e),
        })?;
        // 503 still carries a Health document saying what is wrong.
        serde_json::from_slice(&bytes).map_err(|_| ClientError::Server {
            status: status.as_u16(),
            url: url.to_string(),
        })
    }

    pub fn me(&self) -> ClientResult<Account> {
        self.get("v1/me", &())
    }

    /// Every org, or the first `max`.
    pub fn list_orgs(&self, max: Option<usize>) -> ClientResult<Listing<Org>> {
        self.list_all("v1/orgs", &[], max)
    }

    pub fn create_org(&self, body: &CreateOrg) -> ClientResult<Org> {
        self.post("v1/orgs", body)
    }

    pub fn disable_org(&self, slug: &str) -> ClientResult<Org> {
        self.post(
            &format!("v1/orgs/{}/disable", seg(slug)),
            &serde_json::json!({}),
        )
    }

    /// Every account, or the first `max`.
    pub fn list_accounts(&self, max: Option<usize>) -> ClientResult<Listing<Account>> {
        self.list_all("v1/accounts", &[], max)
    }

    pub fn create_account(&self, body: &CreateAccount) -> ClientResult<AccountWithToken> {
        self.post("v1/accounts", body)
    }

    pub fn disable_account(&self, id: &str) -> ClientResult<Account> {
        self.post(
            &format!("v1/accounts/{}/disable", seg(id)),
            &serde_json::json!({}),
        )
    }

    pub fn rotate_token(&self, id: &str) -> ClientResult<AccountWithToken> {
        self.post(
            &format!("v1/accounts/{}/rotate-token", seg(id)),
            &serde_json::json!({}),
        )
    }

    pub fn create_grant(&self, org: &str, body: &CreateGrant) -> ClientResult<Grant> {
        self.post(&grants_path(org), body)
    }

    /// The grants of `scope` with `status`, newest first: all of them, or the first `max`.
    pub fn list_grants(
        &self,
        scope: GrantList<'_>,
        status: GrantStatusFilter,
        max: Option<usize>,
    ) -> ClientResult<Listing<Grant>> {
        let path = match scope {
            GrantList::Usable => "v1/grants".to_owned(),
            GrantList::Org(org) => grants_path(org),
        };
        self.list_all(&path, &[("status", status.to_string())], max)
    }

    pub fn get_grant(&self, org: &str, id: &str) -> ClientResult<Grant> {
        self.get(&format!("v1/orgs/{}/grants/{}", seg(org), seg(id)), &())
    }

    pub fn extend_grant(&self, org: &str, id: &str, seconds: i64) -> ClientResult<Grant> {
        self.post(
            &extend_path(org, id),
            &ExtendGrant {
                duration_seconds: seconds,
            },
        )
    }

    pub fn bulk_revoke(&self, org: &str, body: &BulkRevoke) -> ClientResult<BulkRevokeResult> {
        self.post(&bulk_revoke_path(org), body)
    }

    pub fn open_session(&self, org: &str, body: &OpenSession) -> ClientResult<SessionWithToken> {
        self.post(&format!("v1/orgs/{}/sessions", seg(org)), body)
    }

    /// The sessions of `scope` with `status`, newest first: all of them, or the first `max`.
    pub fn list_sessions(
        &self,
        scope: SessionList<'_>,
        status: SessionStatusFilter,
        max: Option<usize>,
    ) -> ClientResult<Listing<Session>> {
        let path = match scope {
            SessionList::Mine => "v1/sessions".to_owned(),
            SessionList::Org(org) => format!("v1/orgs/{}/sessions", seg(org)),
        };
        self.list_all(&path, &[("status", status.to_string())], max)
    }

    pub fn get_session(&self, id: &str) -> ClientResult<Session> {
        self.get(&format!("v1/sessions/{}", seg(id)), &())
    }

    pub fn close_session(&self, id: &str, reason: Option<String>) -> ClientResult<Session> {
        self.post(
            &format!("v1/sessions/{}/close", seg(id)),
            &CloseSession { reason },
        )
    }

    pub fn current_session(&self) -> ClientResult<Session> {
        self.get("v1/session", &())
    }

    pub fn introspect(&self, token: &str) -> ClientResult<Introspection> {
        self.post(
            "v1/introspect",
            &IntrospectRequest {
                token: token.to_owned(),
                token_type_hint: None,
            },
        )
    }

    /// Asks whether a session may act on an area (as the platform does).
    pub fn authorize(&self, body: &AuthorizeRequest) -> ClientResult<AuthorizeResponse> {
        self.post("v1/authorize", body)
    }

    /// One page of the org's audit log, as the server sent the events (so that their hashes
    /// can be checked against exactly what was served).
    pub fn audit_page(
        &self,
        org: &str,
        query: &AuditQuery,
    ) -> ClientResult<Page<serde_json::Value>> {
        self.get(&format!("v1/orgs/{}/audit", seg(org)), query)
    }

    // Signed checkpoints and the vendor chain ------------------------------------------------

    /// One page of the vendor's own audit log, as the server sent the events.
    pub fn vendor_audit_page(&self, query: &AuditQuery) -> ClientResult<Page<serde_json::Value>> {
        self.get("v1/audit", query)
    }

    /// The verifier key of the server's signed checkpoints (no token needed).
    pub fn audit_key(&self) -> ClientResult<String> {
        self.get_text("v1/audit/key")
    }

    /// The signed checkpoint of an org's chain, or of the vendor chain for `None`, exactly as
    /// the server signed it.
    pub fn checkpoint(&self, org: Option<&str>) -> ClientResult<String> {
        match org {
            Some(org) => self.get_text(&format!("v1/orgs/{}/audit/checkpoint", seg(org))),
            None => self.get_text("v1/audit/checkpoint"),
        }
    }

    /// The proof that event `seq` of an org's chain (the vendor's for `None`) is in its tree
    /// of `size` events.
    pub fn inclusion_proof(
        &self,
        org: Option<&str>,
        seq: i64,
        size: i64,
    ) -> ClientResult<crate::api::InclusionProof> {
        let query = crate::api::ProofQuery { seq, size };
        match org {
            Some(org) => self.get(&format!("v1/orgs/{}/audit/proof", seg(org)), &query),
            None => self.get("v1/audit/proof", &query),
        }
    }

    /// The proof that an org's tree (the vendor's for `None`) of `to` events extends its tree
    /// of `from` events.
    pub fn consistency_proof(
        &self,
        org: Option<&str>,
        from: i64,
        to: i64,
    ) -> ClientResult<crate::api::ConsistencyProof> {
        let query = crate::api::ConsistencyQuery { from, to };
        match org {
            Some(org) => self.get(&format!("v1/orgs/{}/audit/consistency", seg(org)), &query),
            None => self.get("v1/audit/consistency", &query),
        }
    }

    /// A `text/plain` answer, exactly as sent.
    /// The error an unsuccessful answer stands for.
    fn failure(&self, response: Response, url: &Url) -> ClientError {
        let status = response.status().as_u16();
        match self.decode::<serde_json::Value>(response, url) {
            Err(error) => error,
            Ok(_) => ClientError::Server {
                status,
                url: url.to_string(),
            },
        }
    }

    fn get_text(&self, path: &str) -> ClientResult<String> {
        let (builder, url) = self.request(Method::GET, path)?;
        let response = self.send(builder, &url)?;
        if !response.status().is_success() {
            return Err(self.failure(response, &url));
        }
        response.text().map_err(|e| ClientError::Unreachable {
            url: self.base.to_string(),
            reason: error_chain(&e),
        })
    }
}

fn requests_path(org: Option<&str>) -> String {
    match org {
        Some(org) => format!("v1/orgs/{}/requests", seg(org)),
        None => "v1/requests".to_owned(),
    }
}

/// A path segment, percent-encoded.
fn seg(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Why a request got no answer, in a few words ("connection refused"); the whole chain of
/// causes comes with `-v`.
fn plain_reason(error: &reqwest::Error) -> String {
    let chain = error_chain(error);
    let lower = chain.to_lowercase();
    if error.is_timeout() || lower.contains("timed out") {
        "timed out".to_owned()
    } else if lower.contains("connection refused") {
        "connection refused".to_owned()
    } else if lower.contains("dns error") || lower.contains("failed to lookup") {
        "no such host".to_owned()
    } else if lower.contains("connection reset") {
        "connection reset".to_owned()
    } else {
        // Rarer causes (TLS above all) need their detail to be fixed.
        chain
    }
}

/// An error with its causes on one line ("connection refused" is in the source chain).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// `v1/orgs/{org}/webhooks/{id}` and then `rest`.
fn grants_path(org: &str) -> String {
    format!("v1/orgs/{}/grants", seg(org))
}

fn extend_path(org: &str, id: &str) -> String {
    format!("v1/orgs/{}/grants/{}/extend", seg(org), seg(id))
}

fn bulk_revoke_path(org: &str) -> String {
    format!("v1/orgs/{}/grants/revoke", seg(org))
}

fn policy_path(org: &str) -> String {
    format!("v1/orgs/{}/policy", seg(org))
}

/// `decision`: `approve` or `deny`.
fn decide_path(org: &str, id: &str, decision: &str) -> String {
    format!("v1/orgs/{}/requests/{}/{decision}", seg(org), seg(id))
}

fn webhook_path(org: &str, id: &str, rest: &str) -> String {
    format!("v1/orgs/{}/webhooks/{}{rest}", seg(org), seg(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_only_for_loopback_unless_allowed() {
        assert!(server_url("http://127.0.0.1:8420", false).is_ok());
        assert!(server_url("http://localhost:8420", false).is_ok());
        assert!(server_url("http://[::1]:8420", false).is_ok());
        assert!(server_url("https://support.example.com", false).is_ok());
        assert!(matches!(
            server_url("http://support.example.com", false),
            Err(ClientError::InsecureTransport { .. })
        ));
        assert!(server_url("http://support.example.com", true).is_ok());
        assert!(matches!(
            server_url("ftp://example.com", true),
            Err(ClientError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(seg("a b/c"), "a%20b%2Fc");
    }
}
