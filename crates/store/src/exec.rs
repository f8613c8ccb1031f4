//! One way to run a read over either kind of connection: a pooled sqlx connection (PostgreSQL,
//! or SQLite inside a write transaction), or a plain SQLite connection used on the calling
//! thread ([`crate::direct`]). The SQL text and the mapping of a row are written once; only
//! the execution differs.
//!
//! Parameters are written `$1`, `$2`… in both engines. On the direct path each parameter's
//! name is checked against its position, so that a statement naming `$2` before `$1` fails
//! loudly instead of binding values to the wrong places.

use std::cell::Cell;

use sqlx::{Any, AnyConnection, Row, any::AnyRow, pool::PoolConnection};

use crate::{Result, StoreError, direct::Lease};

/// Where a read runs.
pub enum Exec<'a> {
    /// A sqlx connection: each statement is a round trip to the driver.
    Any(&'a mut AnyConnection),
    /// A plain SQLite connection: statements run on the calling thread.
    Direct(&'a mut Lease),
}

impl<'a> From<&'a mut AnyConnection> for Exec<'a> {
    fn from(c: &'a mut AnyConnection) -> Self {
        Exec::Any(c)
    }
}

impl<'a> From<&'a mut PoolConnection<Any>> for Exec<'a> {
    fn from(c: &'a mut PoolConnection<Any>) -> Self {
        Exec::Any(c)
    }
}

impl<'a, 'b> From<&'a mut Exec<'b>> for Exec<'a> {
    fn from(e: &'a mut Exec<'b>) -> Self {
        match e {
            Exec::Any(c) => Exec::Any(c),
            Exec::Direct(c) => Exec::Direct(c),
        }
    }
}

/// A parameter of a statement.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    /// Text.
    Text(&'a str),
    /// A 64-bit integer.
    Int(i64),
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(match self {
            Arg::Text(s) => rusqlite::types::ToSqlOutput::from(*s),
            Arg::Int(i) => rusqlite::types::ToSqlOutput::from(*i),
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

/// A row of either driver.
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
}

impl Rec<'_, '_> {
    /// The value of column `col`.
    pub(crate) fn get<T: Value>(&self, col: &str) -> Result<T> {
        match self {
            Rec::Any(r) => Ok(r.try_get(col)?),
            Rec::Direct { row, names, next } => {
                let hint = next.get();
                let idx = if names.get(hint).is_some_and(|n| **n == *col) {
                    hint
                } else {
                    names
                        .iter()
                        .position(|n| **n == *col)
                        .ok_or_else(|| rusqlite::Error::InvalidColumnName(col.to_owned()))?
                };
                next.set(idx + 1);
                Ok(row.get(idx)?)
            }
        }
    }
}

impl Exec<'_> {
    /// Every row of `sql`, mapped.
    pub(crate) async fn all<T>(
        self,
        sql: &'static str,
        args: &[Arg<'_>],
        map: impl Fn(&Rec<'_, '_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        match self {
            Exec::Any(conn) => {
                let rows = bind(sqlx::query(sql), args).fetch_all(&mut *conn).await?;
                rows.iter().map(|r| map(&Rec::Any(r))).collect()
            }
            Exec::Direct(lease) => direct_rows(lease, sql, args, map, usize::MAX),
        }
    }

    /// The first row of `sql`, mapped, if there is one.
    pub(crate) async fn optional<T>(
        self,
        sql: &'static str,
        args: &[Arg<'_>],
        map: impl Fn(&Rec<'_, '_>) -> Result<T>,
    ) -> Result<Option<T>> {
        match self {
            Exec::Any(conn) => {
                let row = bind(sqlx::query(sql), args)
                    .fetch_optional(&mut *conn)
                    .await?;
                row.as_ref().map(|r| map(&Rec::Any(r))).transpose()
            }
            Exec::Direct(lease) => Ok(direct_rows(lease, sql, args, map, 1)?.into_iter().next()),
        }
    }
}

fn bind<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    args: &[Arg<'_>],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    for a in args {
        q = match a {
            Arg::Text(s) => q.bind(*s),
            Arg::Int(i) => q.bind(*i),
        };
    }
    q
}

/// Runs `sql` on the calling thread and maps at most `limit` rows.
fn direct_rows<T>(
    lease: &mut Lease,
    sql: &'static str,
    args: &[Arg<'_>],
    map: impl Fn(&Rec<'_, '_>) -> Result<T>,
    limit: usize,
) -> Result<Vec<T>> {
    let plain = lease
        .conn()
        .ok_or_else(|| StoreError::Corrupt("a read connection used after its return".into()))?;
    let mut stmt = plain.conn.prepare_cached(sql)?;
    let names = crate::direct::names_of(&mut plain.columns, sql, &stmt);
    if stmt.parameter_count() != args.len() {
        return Err(StoreError::Corrupt(format!(
            "statement takes {} parameters, {} given",
            stmt.parameter_count(),
            args.len()
        )));
    }
    for (i, a) in args.iter().enumerate() {
        let n = i + 1;
        let named = stmt
            .parameter_name(n)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|digits| digits.parse::<usize>().ok());
        if named != Some(n) {
            return Err(StoreError::Corrupt(format!(
                "parameter {n} of a statement is not named ${n}"
            )));
        }
        stmt.raw_bind_parameter(n, a)?;
    }
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
    async fn parameters_bind_by_their_names_or_the_statement_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        rusqlite::Connection::open(&path).unwrap();
        let readers = Readers::open(path).unwrap();
        let mut lease = readers.lease().unwrap();
        let pair = |r: &Rec<'_, '_>| Ok((r.get::<i64>("a")?, r.get::<String>("b")?));

        let got = Exec::Direct(&mut lease)
            .optional(
                "SELECT $1 AS a, $2 AS b WHERE $1 > 0",
                &[Arg::Int(7), Arg::Text("bảy")],
                pair,
            )
            .await
            .unwrap();
        assert_eq!(got, Some((7, "bảy".to_owned())));

        let swapped = Exec::Direct(&mut lease)
            .optional(
                "SELECT $2 AS a, $1 AS b",
                &[Arg::Text("x"), Arg::Int(1)],
                pair,
            )
            .await;
        assert!(
            matches!(swapped, Err(StoreError::Corrupt(_))),
            "{swapped:?}"
        );

        let short = Exec::Direct(&mut lease)
            .all("SELECT $1 AS a, $2 AS b", &[Arg::Int(1)], pair)
            .await;
        assert!(matches!(short, Err(StoreError::Corrupt(_))), "{short:?}");

        let missing = Exec::Direct(&mut lease)
            .all("SELECT 1 AS a", &[], pair)
            .await;
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
}
