//! Several writes built together and sent in as few calls as the database allows: on
//! PostgreSQL, one statement whose parts are data-modifying `WITH` clauses (one round trip);
//! on SQLite, which has no such clauses, one statement per part. Either way the parts run in
//! the caller's transaction, in order, and an error in one fails the whole. A script is built
//! without a connection, so it can be sent through sqlx ([`Script::send`]) or run on SQLite's
//! access writer's own connection ([`Script::run`]).
//!
//! On PostgreSQL a statement's values are kept under [`POSTGRES_VALUE_BYTES`]: sqlx 0.9 leaves
//! Nagle's algorithm on, and over TLS a message longer than one record (16 KiB) goes out as two
//! writes, the second held back until the server acknowledges the first, which a server waiting
//! for the rest of the message delays by 40 ms. A bigger script is sent as several statements.

use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Arguments, AssertSqlSafe};

use super::Backend;
use crate::server::store::values::{StoreError, StoreResult};

/// Bound values per call at most: well under SQLite's limit per statement and PostgreSQL's
/// 65,535 per statement. A script that grows past it begins a new call.
const MAX_PARAMS: usize = 20_000;

/// The size of a PostgreSQL statement's values at most (see the module's comment), leaving
/// room in the record for the statement's name and the per-value lengths and formats.
const POSTGRES_VALUE_BYTES: usize = 12 * 1024;

/// A bound value, typed even when null (PostgreSQL types every parameter).
#[derive(Debug, Clone, PartialEq)]
pub(in crate::server::store) enum Param {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

impl Param {
    /// The size it takes in a message: its text, or 8 bytes for an integer.
    fn wire_len(&self) -> usize {
        match self {
            Param::Int(_) => 8,
            Param::Text(text) => text.as_ref().map_or(0, String::len),
            Param::Bytes(bytes) => bytes.as_ref().map_or(0, Vec::len),
        }
    }

    fn add_to(self, args: &mut AnyArguments) -> StoreResult<()> {
        match self {
            Param::Int(value) => args.add(value),
            Param::Text(value) => args.add(value),
            Param::Bytes(value) => args.add(value),
        }
        .map_err(|error| StoreError::Database(format!("binding a value: {error}")))
    }
}

impl From<i64> for Param {
    fn from(value: i64) -> Self {
        Param::Int(Some(value))
    }
}

impl From<Option<i64>> for Param {
    fn from(value: Option<i64>) -> Self {
        Param::Int(value)
    }
}

impl From<Option<Vec<u8>>> for Param {
    fn from(value: Option<Vec<u8>>) -> Self {
        Param::Bytes(value)
    }
}

impl From<String> for Param {
    fn from(value: String) -> Self {
        Param::Text(Some(value))
    }
}

impl From<Option<String>> for Param {
    fn from(value: Option<String>) -> Self {
        Param::Text(value)
    }
}

/// The rows of one multi-row `INSERT`, bound one by one (see [`Script::add_row`]).
pub(in crate::server::store) struct Rows {
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

/// One statement and the values bound for it, in order.
struct Part {
    sql: String,
    params: Vec<Param>,
    /// Whether it begins a new call on PostgreSQL (its placeholders count from `$1` again).
    new_call: bool,
}

pub(in crate::server::store) struct Script {
    backend: Backend,
    parts: Vec<Part>,
    /// The values bound since the last part.
    params: Vec<Param>,
    /// Values bound in the current call, and their size (see [`Param::wire_len`]) with 6
    /// bytes each for length and format.
    bound: usize,
    bytes: usize,
    /// Whether the next part begins a new call.
    new_call: bool,
    /// PostgreSQL's `pg_notify` on this channel, sent at commit.
    notify: Option<&'static str>,
}

impl Script {
    pub fn new(backend: Backend) -> Self {
        Script {
            backend,
            parts: Vec::new(),
            params: Vec::new(),
            bound: 0,
            bytes: 0,
            new_call: false,
            notify: None,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Binds `value` and returns its placeholder. SQLite gets anonymous `?` (see
    /// [`Backend::params`]), so every part must take its parameters in the order they are bound.
    pub fn bind(&mut self, value: impl Into<Param>) -> String {
        let value = value.into();
        self.bytes += value.wire_len() + 6;
        self.params.push(value);
        self.bound += 1;
        match self.backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${}", self.bound),
        }
    }

    /// Adds a statement (an `INSERT`, `UPDATE` or `DELETE` without `RETURNING`) whose
    /// parameters were bound, in their order, since the previous part.
    pub fn push(&mut self, sql: String) {
        self.parts.push(Part {
            sql,
            params: std::mem::take(&mut self.params),
            new_call: std::mem::take(&mut self.new_call),
        });
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

    /// Adds a row to `rows`: `row` is its placeholders, bound just before. When the call is
    /// full, the rows so far become a statement and the next part begins a new call.
    pub fn add_row(&mut self, rows: &mut Rows, row: String) {
        rows.values.push(row);
        if self.is_full() {
            self.push(rows.take_statement());
            self.new_call = true;
            self.bound = 0;
            self.bytes = 0;
        }
    }

    /// Adds the rows not pushed yet as a statement.
    pub fn end_rows(&mut self, mut rows: Rows) {
        if !rows.values.is_empty() {
            self.push(rows.take_statement());
        }
    }

    /// Runs every part, in order, through sqlx.
    pub async fn send(self, tx: &mut AnyConnection) -> StoreResult<()> {
        let statements = match self.backend {
            Backend::Sqlite => self
                .parts
                .into_iter()
                .map(|part| (part.sql, part.params))
                .collect(),
            Backend::Postgres => self.postgres_statements(),
        };
        for (sql, params) in statements {
            sqlx::query_with(AssertSqlSafe(sql), any_arguments(params)?)
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }

    /// Runs every part, in order, on a SQLite connection of rusqlite's.
    pub fn run(self, connection: &rusqlite::Connection) -> StoreResult<()> {
        debug_assert_eq!(self.backend, Backend::Sqlite);
        for part in self.parts {
            connection
                .prepare_cached(&part.sql)?
                .execute(rusqlite::params_from_iter(part.params))?;
        }
        Ok(())
    }

    /// One statement per call, each with its values: the parts of a call become data-modifying
    /// `WITH` clauses, and the last call also sends the notification.
    fn postgres_statements(self) -> Vec<(String, Vec<Param>)> {
        let mut calls: Vec<(Vec<String>, Vec<Param>)> = Vec::new();
        for (i, part) in self.parts.into_iter().enumerate() {
            if part.new_call || calls.is_empty() {
                calls.push((Vec::new(), Vec::new()));
            }
            let (clauses, params) = calls.last_mut().expect("a call was pushed");
            clauses.push(format!("part{i} AS ({})", part.sql));
            params.extend(part.params);
        }
        if self.notify.is_some() && calls.is_empty() {
            calls.push((Vec::new(), Vec::new()));
        }
        let last = calls.len().saturating_sub(1);
        calls
            .into_iter()
            .enumerate()
            .map(|(i, (mut clauses, params))| {
                // Data-modifying `WITH` parts always run; a plain `SELECT` part only if the
                // final statement reads it, hence the notification's `COUNT`.
                let select = match self.notify.filter(|_| i == last) {
                    Some(channel) => {
                        clauses.push(format!("notified AS (SELECT pg_notify('{channel}', ''))"));
                        "SELECT COUNT(*) FROM notified"
                    }
                    None => "SELECT 1",
                };
                (format!("WITH {} {select}", clauses.join(", ")), params)
            })
            .collect()
    }
}

fn any_arguments(params: Vec<Param>) -> StoreResult<AnyArguments> {
    let mut args = AnyArguments::default();
    for param in params {
        param.add_to(&mut args)?;
    }
    Ok(args)
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Param::Int(value) => value.to_sql(),
            Param::Text(value) => value.to_sql(),
            Param::Bytes(value) => value.to_sql(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Backend, Param, Rows, Script};

    fn script(backend: Backend) -> Script {
        let mut script = Script::new(backend);
        let (a, b) = (script.bind(1_i64), script.bind("x".to_owned()));
        script.push(format!("INSERT INTO t (a, b) VALUES ({a}, {b})"));
        let c = script.bind(2_i64);
        script.push(format!("UPDATE u SET c = {c}"));
        script
    }

    #[test]
    fn postgres_gets_one_statement_numbered_across_its_parts() {
        let statements = script(Backend::Postgres).postgres_statements();
        assert_eq!(
            statements,
            [(
                "WITH part0 AS (INSERT INTO t (a, b) VALUES ($1, $2)), \
                 part1 AS (UPDATE u SET c = $3) SELECT 1"
                    .to_owned(),
                vec![Param::from(1), Param::from("x".to_owned()), Param::from(2)]
            )]
        );
        let mut script = script(Backend::Postgres);
        script.notify("chan");
        assert!(script.postgres_statements()[0].0.ends_with(
            "part1 AS (UPDATE u SET c = $3), notified AS (SELECT pg_notify('chan', '')) \
             SELECT COUNT(*) FROM notified"
        ));
    }

    #[test]
    fn postgres_begins_a_new_statement_before_its_values_outgrow_one_tls_record() {
        let mut script = Script::new(Backend::Postgres);
        let mut rows = Rows::new("INSERT INTO t (a) VALUES".to_owned());
        for _ in 0..100 {
            let a = script.bind("x".repeat(500));
            script.add_row(&mut rows, format!("({a})"));
        }
        script.end_rows(rows);
        script.notify("chan");
        let statements = script.postgres_statements();
        assert!(statements.len() > 1, "{} statements", statements.len());
        let mut total = 0;
        for (i, (sql, params)) in statements.iter().enumerate() {
            let bytes: usize = params.iter().map(|p| p.wire_len() + 6).sum();
            assert!(bytes < 16 * 1024 - 1024, "{bytes} bytes");
            // Each statement numbers its own values from $1.
            assert!(sql.contains("VALUES ($1)"), "{sql}");
            assert!(sql.contains(&format!("(${})", params.len())), "{sql}");
            // Only the last one notifies.
            let last = i == statements.len() - 1;
            assert_eq!(sql.contains("pg_notify"), last, "{sql}");
            total += params.len();
        }
        assert_eq!(total, 100);
        // SQLite has no network in between: only the count of values limits it.
        let mut script = Script::new(Backend::Sqlite);
        for _ in 0..100 {
            script.bind("x".repeat(500));
        }
        assert!(!script.is_full());
    }

    #[test]
    fn sqlite_gets_a_statement_per_part_with_its_own_values() {
        let script = script(Backend::Sqlite);
        let parts: Vec<(&str, usize)> = script
            .parts
            .iter()
            .map(|part| (part.sql.as_str(), part.params.len()))
            .collect();
        assert_eq!(
            parts,
            [
                ("INSERT INTO t (a, b) VALUES (?, ?)", 2),
                ("UPDATE u SET c = ?", 1)
            ]
        );
    }

    #[test]
    fn sqlite_runs_its_parts_on_a_rusqlite_connection() {
        let connection = rusqlite::Connection::open_in_memory().unwrap();
        connection
            .execute_batch("CREATE TABLE t (a INTEGER, b TEXT); CREATE TABLE u (c INTEGER);")
            .unwrap();
        connection
            .execute("INSERT INTO u (c) VALUES (0)", [])
            .unwrap();
        let mut script = script(Backend::Sqlite);
        let null = script.bind(None::<String>);
        let d = script.bind(None::<i64>);
        script.push(format!("INSERT INTO t (a, b) VALUES ({d}, {null})"));
        script.run(&connection).unwrap();
        let rows: Vec<(Option<i64>, Option<String>)> = connection
            .prepare("SELECT a, b FROM t ORDER BY rowid")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows, [(Some(1), Some("x".to_owned())), (None, None)]);
        let c: i64 = connection
            .query_row("SELECT c FROM u", [], |row| row.get(0))
            .unwrap();
        assert_eq!(c, 2);
    }
}
