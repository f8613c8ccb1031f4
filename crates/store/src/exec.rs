//! One way to run a statement over either kind of connection: a pooled sqlx connection
//! (PostgreSQL, or SQLite without group commit), or a plain SQLite connection used on the
//! calling thread ([`crate::direct`]: the short reads, and the group-commit writer). The SQL
//! text and the mapping of a row are written once; only the execution differs.
//!
//! Parameters are written `$1`, `$2`… (or `?` in generated multi-row statements). SQLite
//! numbers named parameters in the order they first appear, so on the plain path each `$n` is
//! bound by its name to the n-th argument, as sqlx does, and a statement whose parameters and
//! arguments do not match one to one is refused.

use std::{borrow::Cow, cell::Cell, sync::Arc};

use sqlx::{Any, AnyConnection, Row as _, any::AnyRow, pool::PoolConnection};

use crate::{Result, StoreError, direct::Lease, direct::Plain};

/// Where a statement runs.
pub struct Exec<'a>(Target<'a>);

enum Target<'a> {
    /// A sqlx connection: each statement is a round trip to the driver.
    Any(&'a mut AnyConnection),
    /// A plain SQLite connection: statements run on the calling thread. `None` only for a
    /// lease already given back.
    Direct(Option<&'a mut Plain>),
}

impl std::fmt::Debug for Exec<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Target::Any(_) => "Exec::Any",
            Target::Direct(_) => "Exec::Direct",
        })
    }
}

impl<'a> From<&'a mut AnyConnection> for Exec<'a> {
    fn from(c: &'a mut AnyConnection) -> Self {
        Exec(Target::Any(c))
    }
}

impl<'a> From<&'a mut PoolConnection<Any>> for Exec<'a> {
    fn from(c: &'a mut PoolConnection<Any>) -> Self {
        Exec(Target::Any(c))
    }
}

impl<'a> From<&'a mut Lease> for Exec<'a> {
    fn from(l: &'a mut Lease) -> Self {
        Exec::plain(l.conn())
    }
}

impl<'a> Exec<'a> {
    /// A plain connection: a read lease's, or a group-commit member's (`None` once the
    /// lease was given back or the member has ended).
    pub(crate) fn plain(p: Option<&'a mut Plain>) -> Self {
        Exec(Target::Direct(p))
    }
}

impl<'a, 'b> From<&'a mut Exec<'b>> for Exec<'a> {
    fn from(e: &'a mut Exec<'b>) -> Self {
        match &mut e.0 {
            Target::Any(c) => Exec(Target::Any(c)),
            Target::Direct(p) => Exec(Target::Direct(p.as_deref_mut())),
        }
    }
}

/// A parameter of a statement. Nulls carry their type: PostgreSQL wants to know it.
#[derive(Debug, Clone)]
pub(crate) enum Arg<'a> {
    /// Borrowed text.
    Text(&'a str),
    /// Owned text.
    Owned(String),
    /// A 64-bit integer.
    Int(i64),
    /// A null text.
    NullText,
    /// A null integer.
    NullInt,
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(s)
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(s)
    }
}
impl From<String> for Arg<'_> {
    fn from(s: String) -> Self {
        Arg::Owned(s)
    }
}
impl From<i64> for Arg<'_> {
    fn from(i: i64) -> Self {
        Arg::Int(i)
    }
}
impl From<&i64> for Arg<'_> {
    fn from(i: &i64) -> Self {
        Arg::Int(*i)
    }
}
impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(s: Option<&'a str>) -> Self {
        s.map_or(Arg::NullText, Arg::Text)
    }
}
impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(s: &'a Option<String>) -> Self {
        s.as_deref().map_or(Arg::NullText, Arg::Text)
    }
}
impl From<Option<String>> for Arg<'_> {
    fn from(s: Option<String>) -> Self {
        s.map_or(Arg::NullText, Arg::Owned)
    }
}
impl From<Option<i64>> for Arg<'_> {
    fn from(i: Option<i64>) -> Self {
        i.map_or(Arg::NullInt, Arg::Int)
    }
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value as V};
        Ok(match self {
            Arg::Text(s) => ToSqlOutput::from(*s),
            Arg::Owned(s) => ToSqlOutput::from(s.as_str()),
            Arg::Int(i) => ToSqlOutput::from(*i),
            Arg::NullText | Arg::NullInt => ToSqlOutput::Owned(V::Null),
        })
    }
}

/// A value a row can be read into by either driver.
pub(crate) trait Value:
    for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + rusqlite::types::FromSql
{
}

impl<T> Value for T where
    T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + rusqlite::types::FromSql
{
}

/// A row being read, of either driver.
pub(crate) enum Rec<'r, 's> {
    /// A sqlx row.
    Any(&'r AnyRow),
    /// A rusqlite row, the names of its columns, and where the next column read is likely to
    /// be (mappings mostly read the columns in the order the statement lists them).
    Direct {
        /// The row.
        row: &'r rusqlite::Row<'s>,
        /// Column names.
        names: &'r [Box<str>],
        /// Index after the last column read.
        next: Cell<usize>,
    },
    /// A row copied out of a plain connection.
    Owned(&'r OwnedRow),
}

/// A row copied out of a plain SQLite connection, so that it outlives its statement.
#[derive(Debug)]
pub(crate) struct OwnedRow {
    names: Arc<[Box<str>]>,
    values: Vec<rusqlite::types::Value>,
}

/// A column, by name or by position.
pub(crate) trait Column: sqlx::ColumnIndex<AnyRow> + Copy {
    /// The column's position among `names`, looked for first at `hint`.
    fn position(self, names: &[Box<str>], hint: usize) -> Result<usize>;
}

impl Column for &str {
    fn position(self, names: &[Box<str>], hint: usize) -> Result<usize> {
        if names.get(hint).is_some_and(|n| **n == *self) {
            return Ok(hint);
        }
        names
            .iter()
            .position(|n| **n == *self)
            .ok_or_else(|| StoreError::Direct(rusqlite::Error::InvalidColumnName(self.to_owned())))
    }
}

impl Column for usize {
    fn position(self, names: &[Box<str>], _hint: usize) -> Result<usize> {
        if self < names.len() {
            Ok(self)
        } else {
            Err(StoreError::Direct(rusqlite::Error::InvalidColumnIndex(
                self,
            )))
        }
    }
}

impl Rec<'_, '_> {
    /// The value of column `col`.
    pub(crate) fn get<T: Value>(&self, col: impl Column) -> Result<T> {
        match self {
            Rec::Any(r) => Ok(r.try_get(col)?),
            Rec::Direct { row, names, next } => {
                let idx = col.position(names, next.get())?;
                next.set(idx + 1);
                Ok(row.get(idx)?)
            }
            Rec::Owned(o) => {
                let idx = col.position(&o.names, 0)?;
                let value = o
                    .values
                    .get(idx)
                    .ok_or_else(|| StoreError::Direct(rusqlite::Error::InvalidColumnIndex(idx)))?;
                T::column_result(value.into()).map_err(|e| {
                    StoreError::Direct(rusqlite::Error::FromSqlConversionFailure(
                        idx,
                        value.data_type(),
                        Box::new(e),
                    ))
                })
            }
        }
    }
}

/// A row returned by a [`Query`].
pub(crate) enum Row {
    /// From sqlx.
    Any(AnyRow),
    /// From a plain connection.
    Owned(OwnedRow),
}

impl Row {
    /// The row as a [`Rec`], for mappings written over `Rec`.
    pub(crate) fn rec(&self) -> Rec<'_, '_> {
        match self {
            Row::Any(r) => Rec::Any(r),
            Row::Owned(o) => Rec::Owned(o),
        }
    }

    /// The value of column `col`.
    pub(crate) fn try_get<T: Value>(&self, col: impl Column) -> Result<T> {
        self.rec().get(col)
    }
}

/// What a statement that returns no rows did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Done(u64);

impl Done {
    /// Rows inserted, changed or deleted.
    pub(crate) fn rows_affected(self) -> u64 {
        self.0
    }
}

/// A statement and its parameters, run on either kind of connection.
#[derive(Debug)]
pub(crate) struct Query<'q> {
    sql: Cow<'q, str>,
    args: Vec<Arg<'q>>,
}

/// A statement to bind parameters to and run.
pub(crate) fn query<'q>(sql: impl Into<Cow<'q, str>>) -> Query<'q> {
    Query {
        sql: sql.into(),
        args: Vec::new(),
    }
}

impl<'q> Query<'q> {
    /// Binds the next parameter.
    pub(crate) fn bind(mut self, a: impl Into<Arg<'q>>) -> Self {
        self.args.push(a.into());
        self
    }

    /// Runs a statement that returns no rows.
    pub(crate) async fn execute<'c>(self, conn: impl Into<Exec<'c>>) -> Result<Done> {
        match conn.into().0 {
            Target::Any(c) => {
                let done = bind(
                    sqlx::query(sqlx::AssertSqlSafe(self.sql.into_owned())),
                    &self.args,
                )
                .execute(&mut *c)
                .await?;
                Ok(Done(done.rows_affected()))
            }
            Target::Direct(plain) => {
                let plain = plain.ok_or_else(returned)?;
                let mut stmt = prepare(plain, &self.sql, &self.args)?.0;
                Ok(Done(u64::try_from(stmt.raw_execute()?).unwrap_or(0)))
            }
        }
    }

    /// Every row.
    pub(crate) async fn fetch_all<'c>(self, conn: impl Into<Exec<'c>>) -> Result<Vec<Row>> {
        self.fetch(conn, usize::MAX).await
    }

    /// The first row, if any.
    pub(crate) async fn fetch_optional<'c>(self, conn: impl Into<Exec<'c>>) -> Result<Option<Row>> {
        Ok(self.fetch(conn, 1).await?.into_iter().next())
    }

    /// The first row; an error if there is none.
    pub(crate) async fn fetch_one<'c>(self, conn: impl Into<Exec<'c>>) -> Result<Row> {
        self.fetch_optional(conn)
            .await?
            .ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }

    async fn fetch<'c>(self, conn: impl Into<Exec<'c>>, limit: usize) -> Result<Vec<Row>> {
        match conn.into().0 {
            Target::Any(c) => {
                let q = bind(
                    sqlx::query(sqlx::AssertSqlSafe(self.sql.into_owned())),
                    &self.args,
                );
                let rows = if limit == 1 {
                    q.fetch_optional(&mut *c).await?.into_iter().collect()
                } else {
                    q.fetch_all(&mut *c).await?
                };
                Ok(rows.into_iter().map(Row::Any).collect())
            }
            Target::Direct(plain) => {
                let plain = plain.ok_or_else(returned)?;
                let (mut stmt, names) = prepare(plain, &self.sql, &self.args)?;
                let width = names.len();
                let mut rows = stmt.raw_query();
                let mut out = Vec::new();
                while out.len() < limit {
                    let Some(row) = rows.next()? else { break };
                    let values = (0..width)
                        .map(|i| row.get::<_, rusqlite::types::Value>(i))
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    out.push(Row::Owned(OwnedRow {
                        names: names.clone(),
                        values,
                    }));
                }
                Ok(out)
            }
        }
    }
}

impl Exec<'_> {
    /// Whether statements run on SQLite (which wants anonymous `?` in long parameter lists).
    pub(crate) fn is_sqlite(&self) -> bool {
        match &self.0 {
            Target::Any(c) => c.backend_name() == "SQLite",
            Target::Direct(_) => true,
        }
    }

    /// Every row of `sql`, mapped (without copying rows on the plain path).
    pub(crate) async fn all<T>(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
        map: impl Fn(&Rec<'_, '_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        match &mut self.0 {
            Target::Any(conn) => {
                let rows = bind(sqlx::query(sql), args).fetch_all(&mut **conn).await?;
                rows.iter().map(|r| map(&Rec::Any(r))).collect()
            }
            Target::Direct(plain) => direct_rows(plain.as_deref_mut(), sql, args, map, usize::MAX),
        }
    }

    /// The first row of `sql`, mapped, if there is one.
    pub(crate) async fn optional<T>(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
        map: impl Fn(&Rec<'_, '_>) -> Result<T>,
    ) -> Result<Option<T>> {
        match &mut self.0 {
            Target::Any(conn) => {
                let row = bind(sqlx::query(sql), args)
                    .fetch_optional(&mut **conn)
                    .await?;
                row.as_ref().map(|r| map(&Rec::Any(r))).transpose()
            }
            Target::Direct(plain) => Ok(direct_rows(plain.as_deref_mut(), sql, args, map, 1)?
                .into_iter()
                .next()),
        }
    }
}

fn returned() -> StoreError {
    StoreError::Corrupt("a connection used after its return".into())
}

fn bind<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    args: &[Arg<'_>],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    for a in args {
        q = match a {
            Arg::Text(s) => q.bind(*s),
            Arg::Owned(s) => q.bind(s.as_str()),
            Arg::Int(i) => q.bind(*i),
            Arg::NullText => q.bind(None::<String>),
            Arg::NullInt => q.bind(None::<i64>),
        };
    }
    q
}

/// Prepares `sql` on a plain connection (kept prepared) and binds `args`: `$n` takes the n-th
/// argument, as on sqlx, however the text orders its parameters.
fn prepare<'p>(
    plain: &'p mut Plain,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<(rusqlite::CachedStatement<'p>, Arc<[Box<str>]>)> {
    let mut stmt = plain.conn.prepare_cached(sql)?;
    let names = crate::direct::names_of(&mut plain.columns, sql, &stmt);
    if stmt.parameter_count() != args.len() {
        return Err(StoreError::Corrupt(format!(
            "statement takes {} parameters, {} given",
            stmt.parameter_count(),
            args.len()
        )));
    }
    for idx in 1..=stmt.parameter_count() {
        // `$n` is the n-th argument wherever it stands in the text (as sqlx binds it);
        // an anonymous `?` is the argument at its own position.
        let n = match stmt.parameter_name(idx) {
            None => idx,
            Some(name) => name
                .strip_prefix('$')
                .and_then(|digits| digits.parse::<usize>().ok())
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("parameter {name} of a statement is not $n"))
                })?,
        };
        let a = n
            .checked_sub(1)
            .and_then(|i| args.get(i))
            .ok_or_else(|| StoreError::Corrupt(format!("parameter ${n} has no argument")))?;
        stmt.raw_bind_parameter(idx, a)?;
    }
    Ok((stmt, names))
}

/// Runs `sql` on the calling thread and maps at most `limit` rows.
fn direct_rows<T>(
    plain: Option<&mut Plain>,
    sql: &'static str,
    args: &[Arg<'_>],
    map: impl Fn(&Rec<'_, '_>) -> Result<T>,
    limit: usize,
) -> Result<Vec<T>> {
    let plain = plain.ok_or_else(returned)?;
    let (mut stmt, names) = prepare(plain, sql, args)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while out.len() < limit {
        match rows.next()? {
            Some(row) => out.push(map(&Rec::Direct {
                row,
                names: &names,
                next: Cell::new(0),
            })?),
            None => break,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::direct::Readers;

    #[tokio::test]
    async fn parameters_bind_by_their_names_whatever_their_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        rusqlite::Connection::open(&path).unwrap();
        let readers = Readers::open(path).unwrap();
        let mut lease = readers.lease().unwrap();
        let pair = |r: &Rec<'_, '_>| Ok((r.get::<i64>("a")?, r.get::<String>("b")?));

        let got = Exec::from(&mut lease)
            .optional(
                "SELECT $1 AS a, $2 AS b WHERE $1 > 0",
                &[Arg::Int(7), Arg::Text("bảy")],
                pair,
            )
            .await
            .unwrap();
        assert_eq!(got, Some((7, "bảy".to_owned())));

        let swapped = Exec::from(&mut lease)
            .optional(
                "SELECT $2 AS a, $1 AS b",
                &[Arg::Text("x"), Arg::Int(1)],
                pair,
            )
            .await;
        assert_eq!(swapped.unwrap(), Some((1, "x".to_owned())));

        let gap = Exec::from(&mut lease)
            .all(
                "SELECT $1 AS a, $3 AS b",
                &[Arg::Int(1), Arg::Text("x")],
                pair,
            )
            .await;
        assert!(matches!(gap, Err(StoreError::Corrupt(_))), "{gap:?}");

        let short = Exec::from(&mut lease)
            .all("SELECT $1 AS a, $2 AS b", &[Arg::Int(1)], pair)
            .await;
        assert!(matches!(short, Err(StoreError::Corrupt(_))), "{short:?}");

        let missing = Exec::from(&mut lease).all("SELECT 1 AS a", &[], pair).await;
        assert!(matches!(missing, Err(StoreError::Direct(_))), "{missing:?}");
    }

    #[tokio::test]
    async fn a_returned_connection_is_lent_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        rusqlite::Connection::open(&path).unwrap();
        let readers = Readers::open(path).unwrap();
        let first = readers.lease().unwrap();
        let second = readers.lease().unwrap();
        assert_eq!(readers.idle(), 0);
        drop(first);
        drop(second);
        assert_eq!(readers.idle(), 2);
        let _again = readers.lease().unwrap();
        assert_eq!(readers.idle(), 1);
    }

    #[tokio::test]
    async fn the_reads_of_one_lease_see_one_snapshot_and_the_next_lease_a_newer_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let writer = rusqlite::Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode=WAL; CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1);",
            )
            .unwrap();
        let readers = Readers::open(path).unwrap();
        let count = |r: &Rec<'_, '_>| r.get::<i64>("c");
        let mut lease = readers.lease().unwrap();
        assert!(
            !lease.in_snapshot(),
            "nothing is opened before the first read"
        );
        let before = Exec::from(&mut lease)
            .optional("SELECT count(*) AS c FROM t", &[], count)
            .await
            .unwrap();
        assert!(lease.in_snapshot());
        writer.execute("INSERT INTO t VALUES (2)", []).unwrap();
        let same = Exec::from(&mut lease)
            .optional("SELECT count(*) AS c FROM t", &[], count)
            .await
            .unwrap();
        assert_eq!((before, same), (Some(1), Some(1)), "one snapshot per lease");
        drop(lease);
        assert_eq!(readers.idle(), 1, "the connection is lent again");
        let mut next = readers.lease().unwrap();
        let after = Exec::from(&mut next)
            .optional("SELECT count(*) AS c FROM t", &[], count)
            .await
            .unwrap();
        assert_eq!(after, Some(2), "the next lease sees the write");
        drop(next);
        // No reader is left holding the WAL: a full checkpoint completes at once.
        let busy: i64 = writer
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .unwrap();
        assert_eq!(busy, 0);
    }
}
