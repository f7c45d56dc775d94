//! The lookups of a platform call (introspect, authorize) in one statement: the caller's
//! account token and the session token it asks about. Without a cache (PostgreSQL) every call
//! reads the database, and one round trip instead of two is most of what such a call costs.

use std::sync::{Arc, LazyLock};

use super::Store;
use super::columns::{ACCOUNT_SELECT, SESSION_SELECT};
use super::rows::{account_auth_at, session_auth_at};
use crate::server::store::values::{AccountAuth, SessionAuth, StoreResult, TokenHash};

/// Columns of [`ACCOUNT_SELECT`], after which the session's start.
const ACCOUNT_COLUMNS: usize = 12;

/// The account (`$1`) and, when it exists, the session (`$2`) as one row: no row for an
/// unknown account, NULL session columns for an unknown session. Built once: a `&'static str`
/// is also what sqlx keys its cache of prepared statements by without copying.
static ACCOUNT_AND_SESSION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT acc.*, ses.* FROM ({ACCOUNT_SELECT} WHERE a.token_hash = $1) acc \
         LEFT JOIN ({SESSION_SELECT} WHERE s.token_hash = $2) ses ON 1 = 1"
    )
});

pub(super) type CallerAndSession = (Option<Arc<AccountAuth>>, Option<Arc<SessionAuth>>);

impl Store {
    pub(super) async fn read_account_and_session(
        &self,
        account: &TokenHash,
        session: &TokenHash,
    ) -> StoreResult<CallerAndSession> {
        let row = sqlx::query(ACCOUNT_AND_SESSION.as_str())
            .bind(hex::encode(account))
            .bind(hex::encode(session))
            .fetch_optional(&self.read)
            .await?;
        let Some(row) = row else {
            return Ok((None, None));
        };
        let caller = account_auth_at(&row, 0)?;
        // The session's pk, NOT NULL in its table: NULL only when no session matched.
        let found: Option<i64> = sqlx::Row::try_get(&row, ACCOUNT_COLUMNS)?;
        let session = match found {
            Some(_) => Some(Arc::new(session_auth_at(&row, ACCOUNT_COLUMNS)?)),
            None => None,
        };
        Ok((Some(Arc::new(caller)), session))
    }
}
