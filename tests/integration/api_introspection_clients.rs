//! Introspection as a published RFC 7662 client sees it: PyPI's `authlib` (not this project's
//! code) posts the token as a form with `client_secret_basic` authentication, and its
//! resource-server validator decides from `active` and `scope` whether a request may go on.

use serde_json::{Value, json};

use crate::common::fixtures::*;
use crate::common::harness::{Backend, TestServer};
use crate::common::python;

crate::common::conformance::conformance! {
    an_rfc7662_client_introspects_with_basic_authentication,
}

/// For each case `{name, token, scopes}`, authlib's `IntrospectTokenValidator` asks the server
/// and says `ok`, `invalid_token` or `insufficient_scope`; an HTTP error is `http_STATUS`.
const AUTHLIB_CHECK: &str = r#"
import json, os, sys
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # the test server is plain HTTP on loopback
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6750 import InsufficientScopeError, InvalidTokenError
from authlib.oauth2.rfc7662 import IntrospectionToken, IntrospectTokenValidator
from requests import HTTPError

config = json.load(sys.stdin)
client = OAuth2Session(client_id="platform", client_secret=config["client_secret"],
                       token_endpoint_auth_method="client_secret_basic")

class Validator(IntrospectTokenValidator):
    def introspect_token(self, token_string):
        response = client.introspect_token(config["url"], token=token_string,
                                           token_type_hint="access_token")
        response.raise_for_status()
        return IntrospectionToken(response.json())

validator = Validator()
results = {}
for case in config["cases"]:
    try:
        token = validator.authenticate_token(case["token"])
        validator.validate_token(token, case["scopes"], None)
        results[case["name"]] = {"outcome": "ok", "exp": token.exp, "sub": token.sub}
    except InsufficientScopeError:
        results[case["name"]] = {"outcome": "insufficient_scope"}
    except InvalidTokenError:
        results[case["name"]] = {"outcome": "invalid_token"}
    except HTTPError as error:
        results[case["name"]] = {"outcome": "http_%d" % error.response.status_code}
print(json.dumps(results))
"#;

fn authlib(server: &TestServer, client_secret: &str, cases: Value) -> Value {
    python::require(
        "authlib, requests",
        "the independent RFC 7662 client is missing: \
         `python3 -m pip install authlib==1.9.10 requests==2.34.2` (.ci/run installs it)",
    );
    let config = json!({
        "url": format!("{}/v1/introspect", server.url),
        "client_secret": client_secret,
        "cases": cases,
    });
    let out = python::run(AUTHLIB_CHECK, &config.to_string(), "authlib failed");
    serde_json::from_slice(&out).unwrap()
}

fn outcomes(results: &Value) -> Vec<(String, String)> {
    let mut outcomes: Vec<(String, String)> = results
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, result)| (name.clone(), result["outcome"].as_str().unwrap().to_owned()))
        .collect();
    outcomes.sort();
    outcomes
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = expected
        .iter()
        .map(|(name, outcome)| (name.to_string(), outcome.to_string()))
        .collect();
    pairs.sort();
    pairs
}

fn an_rfc7662_client_introspects_with_basic_authentication(backend: Backend) {
    let server = TestServer::on(backend);
    let grant = admin(&server).grant(json!({
        "level": "member", "areas": ["chats"], "reason": "incident"
    }));
    let opened = support(&server).post("/v1/orgs/acme/sessions", json!({"reason": "look"}));
    assert_eq!(opened.status, 201, "{}", opened.body);
    let token = opened.body["token"].as_str().unwrap().to_owned();
    let unknown = format!("sst_{}", "ab".repeat(24));
    let cases = json!([
        {"name": "write chats", "token": token, "scopes": ["chats:write"]},
        {"name": "read chats", "token": token, "scopes": ["chats:read"]},
        {"name": "administer chats", "token": token, "scopes": ["chats:administer"]},
        {"name": "read billing", "token": token, "scopes": ["billing:read"]},
        {"name": "unknown token", "token": unknown, "scopes": ["chats:read"]},
    ]);

    let results = authlib(&server, &server.tokens.service, cases.clone());
    assert_eq!(
        outcomes(&results),
        pairs(&[
            ("write chats", "ok"),
            ("read chats", "ok"),
            ("administer chats", "insufficient_scope"),
            ("read billing", "insufficient_scope"),
            ("unknown token", "invalid_token"),
        ])
    );
    assert_eq!(
        results["write chats"]["exp"],
        ts(&opened.body["session"]["expires_at"]).as_second()
    );
    assert_eq!(results["write chats"]["sub"], "org:acme");

    // A wrong client secret, or an account whose role may not introspect: an HTTP error the
    // client sees, never an answer about the token.
    let one = json!([{"name": "read chats", "token": token, "scopes": ["chats:read"]}]);
    let bad_secret = format!("sat_{}", "cd".repeat(24));
    assert_eq!(
        outcomes(&authlib(&server, &bad_secret, one.clone())),
        pairs(&[("read chats", "http_401")])
    );
    assert_eq!(
        outcomes(&authlib(&server, &server.tokens.support, one.clone())),
        pairs(&[("read chats", "http_403")])
    );

    // Revoked: the client's very next introspection refuses the token.
    revoke(&admin(&server), "acme", &grant);
    assert_eq!(
        outcomes(&authlib(&server, &server.tokens.service, one)),
        pairs(&[("read chats", "invalid_token")])
    );
}
