//! Orgs: created by operators, disabled (closing their sessions), never deleted.

use jiff::Timestamp;
use serde_json::json;
use sqlx::{AssertSqlSafe, Row};

use super::super::chain::ChainHead;
use super::columns::ORG_COLUMNS;
use super::request_ends::OpenRequestsOf;
use super::rows::org_row;
use super::sessions::OpenSessionsOf;
use super::vendor::record_vendor_event;
use super::{ListQuery, Store};
use crate::api::{EnabledStatus, Org, Page, RequestStatus, chain::GENESIS_HASH};
use crate::server::store::values::{PageRequest, Principal, StoreError, StoreResult};

impl Store {
    pub async fn create_org(
        &self,
        actor: &Principal,
        slug: &str,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<Org> {
        let mut tx = self.begin_write().await?;
        let pk: i64 = sqlx::query_scalar(
            "INSERT INTO orgs (slug, name, created_at, audit_seq, audit_hash) \
             VALUES ($1, $2, $3, 0, $4) ON CONFLICT (slug) DO NOTHING RETURNING pk",
        )
        .bind(slug)
        .bind(name)
        .bind(now.as_second())
        .bind(GENESIS_HASH)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::Conflict(format!("an org with slug '{slug}' already exists")))?;
        let mut head = ChainHead::new(
            self.engine.backend(),
            pk,
            slug.to_owned(),
            (0, GENESIS_HASH.to_owned()),
            None,
            (0, None),
        );
        self.count_events_of(&mut head);
        head.record(
            now,
            actor,
            "org.created",
            Some(slug),
            json!({ "slug": slug, "name": name }),
        )?;
        head.save(&mut tx).await?;
        let details = json!({ "slug": slug, "name": name });
        record_vendor_event(
            self,
            &mut tx,
            now,
            actor,
            "org.created",
            Some(slug),
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(Org {
            slug: slug.to_owned(),
            name: name.to_owned(),
            status: EnabledStatus::Enabled,
            created_at: now,
            disabled_at: None,
        })
    }

    pub async fn list_orgs(&self, page: PageRequest) -> StoreResult<Page<Org>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM orgs WHERE pk > $1 ORDER BY pk LIMIT $2");
        let bind = |query: ListQuery, after: Option<i64>, limit: i64| {
            query.bind(after.unwrap_or(0)).bind(limit)
        };
        self.fetch_list(sql, bind, page, |row| {
            Ok((row.try_get("pk")?, org_row(row, self.engine.backend())?.org))
        })
        .await
    }

    pub async fn get_org(&self, slug: &str) -> StoreResult<Option<Org>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM orgs WHERE slug = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(slug)
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| Ok(org_row(&row, self.engine.backend())?.org))
            .transpose()
    }

    /// Disables the org and closes its open sessions.
    pub async fn disable_org(
        &self,
        actor: &Principal,
        slug: &str,
        now: Timestamp,
    ) -> StoreResult<Org> {
        let mut tx = self.begin_write().await?;
        let mut org = self.lock_existing_org(&mut tx, slug).await?;
        if org.org.status == EnabledStatus::Disabled {
            return Ok(org.org);
        }
        sqlx::query("UPDATE orgs SET disabled_at = $1 WHERE pk = $2")
            .bind(now.as_second())
            .bind(org.pk)
            .execute(&mut *tx)
            .await?;
        let open = self
            .open_sessions(&mut tx, OpenSessionsOf::Org, org.pk, now)
            .await?;
        let sessions: Vec<_> = open.into_iter().map(|(_, pk, id)| (pk, id)).collect();
        let requests: Vec<_> = self
            .open_requests(&mut tx, OpenRequestsOf::Org, org.pk, now)
            .await?
            .into_iter()
            .map(|(_, pk, id)| (pk, id))
            .collect();
        org.head.record(
            now,
            actor,
            "org.disabled",
            Some(slug),
            json!({ "sessions_closed": sessions.len(), "requests_cancelled": requests.len() }),
        )?;
        self.decide(
            &mut tx,
            &mut org.head,
            actor,
            &requests,
            RequestStatus::Cancelled,
            "org disabled",
            now,
        )
        .await?;
        self.close_sessions(
            &mut tx,
            &mut org.head,
            actor,
            &sessions,
            "org disabled",
            now,
        )
        .await?;
        org.head.save(&mut tx).await?;
        let details = json!({ "sessions_closed": sessions.len() });
        record_vendor_event(
            self,
            &mut tx,
            now,
            actor,
            "org.disabled",
            Some(slug),
            details,
        )
        .await?;
        self.commit_ending_access(tx).await?;
        self.announce(&requests.into_iter().map(|(_, id)| id).collect::<Vec<_>>());
        org.org.status = EnabledStatus::Disabled;
        org.org.disabled_at = Some(now);
        Ok(org.org)
    }
}
