//! What a connector decides from an ID token's claims, once the token itself was verified:
//! whether the email may be trusted and is in an accepted domain, and which role the first
//! matching rule gives.

use serde_json::Value;

use crate::api::{ConnectorRule, ErrorCode, Role};
use crate::server::store::sign_in::Refusal;

/// The claims a connector's decision reads.
pub struct Claims<'a> {
    pub email: Option<&'a str>,
    pub email_verified: Option<bool>,
    /// Every claim of the token, for the rules.
    pub all: &'a serde_json::Map<String, Value>,
}

/// The verified email (lowercased) and the role, or why the person may not sign in.
pub fn decide(
    claims: &Claims<'_>,
    email_domains: &[String],
    rules: &[ConnectorRule],
) -> Result<(String, Role), Refusal> {
    let Some(email) = claims.email.filter(|email| !email.is_empty()) else {
        return Err(Refusal::new(
            ErrorCode::EmailUnverified,
            "the identity provider sent no email; the connector must ask for the `email` scope",
        ));
    };
    if claims.email_verified != Some(true) {
        return Err(Refusal::new(
            ErrorCode::EmailUnverified,
            format!(
                "the identity provider does not vouch for {email} (email_verified is not true); \
                 verify it there, then sign in again"
            ),
        ));
    }
    let email = email.to_lowercase();
    let domain = email
        .rsplit_once('@')
        .map(|(_, domain)| domain)
        .unwrap_or("");
    if !email_domains.is_empty()
        && !email_domains
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(domain))
    {
        return Err(Refusal::new(
            ErrorCode::EmailDomainNotAllowed,
            format!(
                "{email} is not in a domain this connector accepts ({}); sign in with your \
                 work account",
                email_domains.join(", ")
            ),
        ));
    }
    let role = rules
        .iter()
        .find(|rule| matches(claims.all.get(&rule.claim), &rule.value))
        .map(|rule| rule.role);
    match role {
        Some(role) => Ok((email, role)),
        None => Err(Refusal::new(
            ErrorCode::NoMatchingRule,
            format!(
                "no rule of this connector gives {email} a role (it looks at {}); ask an \
                 operator to add you to the right group",
                describe_rules(rules)
            ),
        )),
    }
}

/// A string claim equal to `value`, or an array claim holding it.
fn matches(claim: Option<&Value>, value: &str) -> bool {
    match claim {
        Some(Value::String(text)) => text == value,
        Some(Value::Array(items)) => items.iter().any(|item| item.as_str() == Some(value)),
        Some(Value::Bool(flag)) => flag.to_string() == value,
        _ => false,
    }
}

fn describe_rules(rules: &[ConnectorRule]) -> String {
    let mut claims: Vec<&str> = rules.iter().map(|rule| rule.claim.as_str()).collect();
    claims.dedup();
    if claims.is_empty() {
        "no claims".into()
    } else {
        claims.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(claim: &str, value: &str, role: Role) -> ConnectorRule {
        ConnectorRule {
            claim: claim.into(),
            value: value.into(),
            role,
        }
    }

    fn decide_on(all: Value, domains: &[&str]) -> Result<(String, Role), ErrorCode> {
        let all = all.as_object().unwrap().clone();
        let claims = Claims {
            email: all.get("email").and_then(Value::as_str),
            email_verified: all.get("email_verified").and_then(Value::as_bool),
            all: &all,
        };
        let domains: Vec<String> = domains.iter().map(|d| d.to_string()).collect();
        let rules = [
            rule("groups", "ops", Role::Operator),
            rule("groups", "support", Role::Support),
            rule("department", "support", Role::Support),
        ];
        decide(&claims, &domains, &rules).map_err(|refusal| refusal.code)
    }

    #[test]
    fn the_first_matching_rule_gives_the_role() {
        let base = json!({"email": "Ann@Vendor.example", "email_verified": true,
                          "groups": ["support", "ops"]});
        assert_eq!(
            decide_on(base, &["vendor.example"]),
            Ok(("ann@vendor.example".into(), Role::Operator))
        );
        let string_claim = json!({"email": "a@v.example", "email_verified": true,
                                  "department": "support"});
        assert_eq!(decide_on(string_claim, &[]).unwrap().1, Role::Support);
    }

    #[test]
    fn refusals_have_their_own_codes() {
        let unverified = json!({"email": "a@v.example", "email_verified": false,
                                "groups": ["support"]});
        assert_eq!(decide_on(unverified, &[]), Err(ErrorCode::EmailUnverified));
        let missing = json!({"email": "a@v.example", "groups": ["support"]});
        assert_eq!(decide_on(missing, &[]), Err(ErrorCode::EmailUnverified));
        let domain = json!({"email": "a@elsewhere.example", "email_verified": true,
                            "groups": ["support"]});
        assert_eq!(
            decide_on(domain, &["v.example"]),
            Err(ErrorCode::EmailDomainNotAllowed)
        );
        let unmapped = json!({"email": "a@v.example", "email_verified": true,
                              "groups": ["marketing"]});
        assert_eq!(decide_on(unmapped, &[]), Err(ErrorCode::NoMatchingRule));
    }
}
