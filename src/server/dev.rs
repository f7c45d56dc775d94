//! The demo org and accounts that `server --dev` and `demo` create, and how their tokens are
//! printed.

use super::store::{NewAccount, Principal, Store};
use super::tokens;
use crate::api::Role;

/// The accounts `--dev` (and `demo`) creates, and their tokens.
pub struct DevTokens {
    pub operator: String,
    pub admin: String,
    pub support: String,
    pub service: String,
}

pub const DEV_ORG: &str = "acme";
pub const DEV_OPERATOR: &str = "operator@supportctl.test";
pub const DEV_ADMIN: &str = "admin@acme.test";
pub const DEV_SUPPORT: &str = "support@supportctl.test";
pub const DEV_SERVICE: &str = "platform@supportctl.test";

impl DevTokens {
    /// The `export` lines printed on stdout, for a shell to `eval`.
    pub fn export_lines(&self, url: &str) -> String {
        format!(
            "export SUPPORTCTL_SERVER={url}\n\
             export SUPPORTCTL_OPERATOR_TOKEN={}\n\
             export SUPPORTCTL_ADMIN_TOKEN={}  # admin of org {DEV_ORG}\n\
             export SUPPORTCTL_SUPPORT_TOKEN={}  # a support engineer\n\
             export SUPPORTCTL_SERVICE_TOKEN={}  # a platform service (introspect, authorize)\n",
            self.operator, self.admin, self.support, self.service
        )
    }
}

/// Creates org `acme` and one account per role, or, on a database that has them already,
/// rotates their tokens so that fresh ones can be printed.
pub async fn seed_dev(store: &Store, now: jiff::Timestamp) -> anyhow::Result<DevTokens> {
    let system = Principal::system();
    if store.get_org(DEV_ORG).await?.is_none() {
        store
            .create_org(&system, DEV_ORG, "Acme Corporation", now)
            .await?;
    }
    let issue = async |email: &str, role: Role, org: Option<&str>| -> anyhow::Result<String> {
        let token = tokens::new_account_token();
        match store.find_account_by_email(email).await? {
            Some(account) => {
                store
                    .rotate_account_token(&system, &account.id, &token.hash, now)
                    .await?;
            }
            None => {
                store
                    .create_account(
                        &system,
                        &NewAccount {
                            email: email.to_owned(),
                            role,
                            org: org.map(str::to_owned),
                            token_hash: token.hash,
                        },
                        now,
                    )
                    .await?;
            }
        }
        Ok(token.token)
    };
    Ok(DevTokens {
        operator: issue(DEV_OPERATOR, Role::Operator, None).await?,
        admin: issue(DEV_ADMIN, Role::Admin, Some(DEV_ORG)).await?,
        support: issue(DEV_SUPPORT, Role::Support, None).await?,
        service: issue(DEV_SERVICE, Role::Service, None).await?,
    })
}
