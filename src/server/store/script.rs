//! Several writes built together and sent in as few calls as the database allows: on
//! PostgreSQL, one statement whose parts are data-modifying `WITH` clauses (one round trip);
//! on SQLite, which has no such clauses, one statement per part (each a hop to the
//! connection's thread, not a network round trip). Either way the parts run in the caller's
//! transaction, in order, and an error in one fails the whole.
//!
//! On PostgreSQL a statement's values are kept under [`POSTGRES_VALUE_BYTES`]: sqlx 0.9 leaves
//! Nagle's algorithm on, and over TLS a message longer than one record (16 KiB) goes out as two
//! writes, the second held back until the server acknowledges the first, which a server waiting
//! for the rest of the message delays by 40 ms. A bigger script is sent as several statements.

use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Arguments, AssertSqlSafe, Encode, Type};

use super::backend::Backend;
use super::{StoreError, StoreResult};

/// Bound values per call at most: well under SQLite's limit per statement and PostgreSQL's
/// 65,535 per statement. A script that grows past it is sent and begun again.
const MAX_PARAMS: usize = 20_000;

/// The size of a PostgreSQL statement's values at most (see the module's comment), leaving
/// room in the record for the statement's name and the per-value lengths and formats.
const POSTGRES_VALUE_BYTES: usize = 12 * 1024;

/// The size a bound value takes in a message (its text, or 8 bytes for an integer).
pub(super) trait WireLen {
    fn wire_len(&self) -> usize;
}

impl WireLen for i64 {
    fn wire_len(&self) -> usize {
        8
    }
}

impl WireLen for String {
    fn wire_len(&self) -> usize {
        self.len()
    }
}

impl<T: WireLen> WireLen for Option<T> {
    fn wire_len(&self) -> usize {
        self.as_ref().map_or(0, WireLen::wire_len)
    }
}

/// The rows of one multi-row `INSERT`, bound one by one (see [`Script::add_row`]).
pub(super) struct Rows {
    /// The statement up to and including `VALUES`.
    head: String,
    values: Vec<String>,
}

impl Rows {
    pub fn new(head: String) -> Self {
        Rows {
            head,
            values: Vec::new(),
        }
    }

    fn take_statement(&mut self) -> String {
        let statement = format!("{} {}", self.head, self.values.join(", "));
        self.values.clear();
        statement
    }
}

pub(super) struct Script {
    backend: Backend,
    /// Each part with its values (SQLite), or all parts with none (PostgreSQL).
    parts: Vec<(String, AnyArguments)>,
    /// The values bound since the last part (SQLite), or all of them (PostgreSQL).
    args: AnyArguments,
    bound: usize,
    /// The size of the values bound (see [`WireLen`]), with 6 bytes each for length and format.
    bytes: usize,
    /// PostgreSQL's `pg_notify` on this channel, sent at commit.
    notify: Option<&'static str>,
}

impl Script {
    pub fn new(backend: Backend) -> Self {
        Script {
            backend,
            parts: Vec::new(),
            args: AnyArguments::default(),
            bound: 0,
            bytes: 0,
            notify: None,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Binds `value` and returns its placeholder. SQLite gets anonymous `?` (see
    /// [`Backend::params`]), so every part must take its parameters in the order they are bound.
    pub fn bind<'t, T>(&mut self, value: T) -> StoreResult<String>
    where
        T: Encode<'t, sqlx::Any> + Type<sqlx::Any> + WireLen,
    {
        self.bytes += value.wire_len() + 6;
        self.args
            .add(value)
            .map_err(|error| StoreError::Database(format!("binding a value: {error}")))?;
        self.bound += 1;
        Ok(match self.backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${}", self.bound),
        })
    }

    /// Adds a statement (an `INSERT`, `UPDATE` or `DELETE` without `RETURNING`) whose
    /// parameters were bound, in their order, since the previous part.
    pub fn push(&mut self, statement: String) {
        let args = match self.backend {
            Backend::Sqlite => std::mem::take(&mut self.args),
            Backend::Postgres => AnyArguments::default(),
        };
        self.parts.push((statement, args));
    }

    /// Asks PostgreSQL to notify `channel`'s listeners when the transaction commits (SQLite
    /// has no listeners: the caller wakes its own process).
    pub fn notify(&mut self, channel: &'static str) {
        self.notify = Some(channel);
    }

    /// Whether what was bound is as much as one call should carry (see [`Script::add_row`]).
    fn is_full(&self) -> bool {
        self.bound >= MAX_PARAMS
            || (self.backend == Backend::Postgres && self.bytes >= POSTGRES_VALUE_BYTES)
    }

    /// Adds a row to `rows`: `row` is its placeholders, bound just before. When the script is
    /// full, the rows so far become a statement and the script is sent.
    pub async fn add_row(
        &mut self,
        tx: &mut AnyConnection,
        rows: &mut Rows,
        row: String,
    ) -> StoreResult<()> {
        rows.values.push(row);
        if self.is_full() {
            self.push(rows.take_statement());
            self.flush(tx).await?;
        }
        Ok(())
    }

    /// Adds the rows not sent yet as a statement.
    pub fn end_rows(&mut self, mut rows: Rows) {
        if !rows.values.is_empty() {
            self.push(rows.take_statement());
        }
    }

    /// Sends what was pushed and begins again (still notifying, if asked to).
    async fn flush(&mut self, tx: &mut AnyConnection) -> StoreResult<()> {
        let full = std::mem::replace(self, Script::new(self.backend));
        self.notify = full.notify;
        full.send(tx).await
    }

    /// Runs every part, in order.
    pub async fn send(self, tx: &mut AnyConnection) -> StoreResult<()> {
        let notifies = self.backend == Backend::Postgres && self.notify.is_some();
        if self.parts.is_empty() && !notifies {
            return Ok(());
        }
        match self.backend {
            Backend::Sqlite => {
                for (statement, args) in self.parts {
                    sqlx::query_with(AssertSqlSafe(statement), args)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            Backend::Postgres => {
                let sql = self.postgres_statement();
                sqlx::query_with(AssertSqlSafe(sql), self.args)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Ok(())
    }

    fn postgres_statement(&self) -> String {
        // Data-modifying `WITH` parts always run; a plain `SELECT` part only if the final
        // statement reads it, hence the notification's `COUNT`.
        let mut parts: Vec<String> = self
            .parts
            .iter()
            .enumerate()
            .map(|(i, (part, _))| format!("part{i} AS ({part})"))
            .collect();
        let last = match self.notify {
            Some(channel) => {
                parts.push(format!("notified AS (SELECT pg_notify('{channel}', ''))"));
                "SELECT COUNT(*) FROM notified"
            }
            None => "SELECT 1",
        };
        format!("WITH {} {last}", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::{Backend, Script};

    fn script(backend: Backend) -> Script {
        let mut script = Script::new(backend);
        let (a, b) = (
            script.bind(1_i64).unwrap(),
            script.bind("x".to_owned()).unwrap(),
        );
        script.push(format!("INSERT INTO t (a, b) VALUES ({a}, {b})"));
        let c = script.bind(2_i64).unwrap();
        script.push(format!("UPDATE u SET c = {c}"));
        script
    }

    #[test]
    fn postgres_gets_one_statement_numbered_across_its_parts() {
        let mut script = script(Backend::Postgres);
        assert_eq!(
            script.postgres_statement(),
            "WITH part0 AS (INSERT INTO t (a, b) VALUES ($1, $2)), \
             part1 AS (UPDATE u SET c = $3) SELECT 1"
        );
        script.notify("chan");
        assert!(script.postgres_statement().ends_with(
            "part1 AS (UPDATE u SET c = $3), notified AS (SELECT pg_notify('chan', '')) \
             SELECT COUNT(*) FROM notified"
        ));
    }

    #[test]
    fn postgres_is_full_before_its_values_outgrow_one_tls_record() {
        let mut script = Script::new(Backend::Postgres);
        while !script.is_full() {
            script.bind("x".repeat(500)).unwrap();
        }
        assert!(script.bytes < 16 * 1024 - 1024, "{} bytes", script.bytes);
        // SQLite has no network in between: only the count of values limits it.
        let mut script = Script::new(Backend::Sqlite);
        for _ in 0..100 {
            script.bind("x".repeat(500)).unwrap();
        }
        assert!(!script.is_full());
    }

    #[test]
    fn sqlite_gets_a_statement_per_part_with_its_own_values() {
        use sqlx::Arguments;
        let script = script(Backend::Sqlite);
        let parts: Vec<(&str, usize)> = script
            .parts
            .iter()
            .map(|(sql, args)| (sql.as_str(), args.len()))
            .collect();
        assert_eq!(
            parts,
            [
                ("INSERT INTO t (a, b) VALUES (?, ?)", 2),
                ("UPDATE u SET c = ?", 1)
            ]
        );
    }
}
