//! The embedded default store: one SQLite file, one table of sealed rows.
//!
//! Each [`Store::commit`] is one `BEGIN IMMEDIATE … COMMIT` transaction in
//! write-ahead-log mode with `synchronous = FULL` ([`Durability::Full`], the
//! default): a commit that returned is on disk, and a crash (or `SIGKILL`)
//! part-way through leaves the previous state. [`Durability::Normal`]
//! trades the last commits before a power cut for speed (see there). The schema is versioned through `PRAGMA user_version`; migrations
//! are numbered and run in order when the file is opened.

use super::{Change, ChangeSet, Row, Store};
use crate::error::StoreError;
use core::fmt;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;

/// The schema version this build writes. Migration `n` takes a file from
/// version `n - 1` to `n`.
const SCHEMA_VERSION: i64 = 1;

const MIGRATIONS: &[&str] = &[
    // 1: one table of sealed rows, keyed by the row's name.
    "CREATE TABLE bleep_rows (k BLOB PRIMARY KEY NOT NULL, v BLOB NOT NULL) WITHOUT ROWID;",
];

/// How far a returned commit is guaranteed to survive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Durability {
    /// `synchronous = FULL`: the write-ahead log is synced at every commit,
    /// so a returned commit survives a crash of the process and a power
    /// cut. The default: the app acknowledges an envelope to its server
    /// once `receive` returns, and the server then deletes it, so the
    /// message must be on disk by then.
    #[default]
    Full,
    /// `synchronous = NORMAL` (SQLite's usual choice in WAL mode): the log
    /// is synced only at checkpoints. A returned commit survives a crash
    /// or `SIGKILL` of the process, and the file is never corrupted, but a
    /// power cut or an OS crash may roll back the last commits. Only for an
    /// app that acknowledges envelopes to its server after a later
    /// [`Durability::Full`]-grade sync of its own (or that can fetch them
    /// again); otherwise a message acknowledged just before a power cut is
    /// lost.
    Normal,
}

/// A [`Store`] in an SQLite database file (bundled SQLite, no system
/// library needed).
pub struct SqliteStore {
    conn: Connection,
}

fn io(_: rusqlite::Error) -> StoreError {
    StoreError::Backend
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date.
    ///
    /// Errors: [`StoreError::Backend`] if the file cannot be opened or
    /// written; [`StoreError::UnknownSchema`] if it was written by a newer
    /// version of bleep.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, Durability::Full)
    }

    /// [`SqliteStore::open`] with the given [`Durability`].
    pub fn open_with(path: impl AsRef<Path>, durability: Durability) -> Result<Self, StoreError> {
        Self::setup(Connection::open(path).map_err(io)?, durability)
    }

    /// A store in a private in-memory SQLite database (for tests).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::setup(Connection::open_in_memory().map_err(io)?, Durability::Full)
    }

    fn setup(conn: Connection, durability: Durability) -> Result<Self, StoreError> {
        // WAL: a commit appends to the log and syncs once; readers never
        // see half a transaction. FULL: the log is synced at every commit,
        // so a returned commit survives power loss.
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(io)?;
        let sync = match durability {
            Durability::Full => "PRAGMA synchronous = FULL;",
            Durability::Normal => "PRAGMA synchronous = NORMAL;",
        };
        conn.execute_batch(sync).map_err(io)?;
        conn.execute_batch("PRAGMA secure_delete = ON;")
            .map_err(io)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(io)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::UnknownSchema);
        }
        let mut store = SqliteStore { conn };
        let done = usize::try_from(version).unwrap_or(0);
        for (n, sql) in MIGRATIONS.iter().enumerate().skip(done) {
            let tx = store.conn.transaction().map_err(io)?;
            tx.execute_batch(sql).map_err(io)?;
            let next = i64::try_from(n + 1).map_err(|_| StoreError::UnknownSchema)?;
            tx.pragma_update(None, "user_version", next).map_err(io)?;
            tx.commit().map_err(io)?;
        }
        Ok(store)
    }
}

impl Store for SqliteStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .prepare_cached("SELECT v FROM bleep_rows WHERE k = ?1")
            .map_err(io)?
            .query_row(params![key], |r| r.get(0))
            .optional()
            .map_err(io)
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT k, v FROM bleep_rows WHERE k >= ?1 ORDER BY k")
            .map_err(io)?;
        let rows = stmt
            .query_map(params![prefix], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(io)?;
        let mut out = Vec::new();
        for row in rows {
            let (k, v): (Vec<u8>, Vec<u8>) = row.map_err(io)?;
            if !k.starts_with(prefix) {
                break;
            }
            out.push((k, v));
        }
        Ok(out)
    }

    fn commit(&mut self, changes: &ChangeSet) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        // Dropping an uncommitted transaction rolls it back.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(io)?;
        {
            let mut put = tx
                .prepare_cached("INSERT OR REPLACE INTO bleep_rows (k, v) VALUES (?1, ?2)")
                .map_err(io)?;
            let mut del = tx
                .prepare_cached("DELETE FROM bleep_rows WHERE k = ?1")
                .map_err(io)?;
            for change in changes.changes() {
                match change {
                    Change::Put { key, value } => put.execute(params![key, value]),
                    Change::Delete { key } => del.execute(params![key]),
                }
                .map_err(io)?;
            }
        }
        tx.commit().map_err(io)
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_scans_and_reopens() {
        let dir = std::env::temp_dir().join(format!("bleep-sqlite-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        {
            let mut s = SqliteStore::open(&dir).unwrap();
            let mut c = ChangeSet::new();
            c.put(b"peer/a".to_vec(), vec![1]);
            c.put(b"peer/b".to_vec(), vec![2]);
            c.put(b"pees".to_vec(), vec![3]);
            c.delete(b"peer/b".to_vec());
            s.commit(&c).unwrap();
        }
        let s = SqliteStore::open(&dir).unwrap();
        assert_eq!(s.get(b"peer/a").unwrap(), Some(vec![1]));
        assert_eq!(s.get(b"peer/b").unwrap(), None);
        assert_eq!(
            s.scan(b"peer/").unwrap(),
            vec![(b"peer/a".to_vec(), vec![1])]
        );
        drop(s);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", dir.display()));
        }
    }

    #[test]
    fn durability_sets_the_sync_mode() {
        for (d, want) in [(Durability::Full, 2), (Durability::Normal, 1)] {
            let path = std::env::temp_dir()
                .join(format!("bleep-sqlite-sync-{want}-{}", std::process::id()));
            let s = SqliteStore::open_with(&path, d).unwrap();
            let sync: i64 = s
                .conn
                .query_row("PRAGMA synchronous", [], |r| r.get(0))
                .unwrap();
            let mode: String = s
                .conn
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap();
            assert_eq!((sync, mode.as_str()), (want, "wal"));
            drop(s);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }

    #[test]
    fn a_failed_commit_writes_nothing() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        let mut c = ChangeSet::new();
        c.put(b"a".to_vec(), vec![1]);
        s.commit(&c).unwrap();
        // A NULL value violates the schema in the middle of the set.
        s.conn
            .execute_batch("CREATE TRIGGER no_b BEFORE INSERT ON bleep_rows WHEN NEW.k = x'62' BEGIN SELECT RAISE(ABORT, 'no'); END;")
            .unwrap();
        let mut c = ChangeSet::new();
        c.put(b"a".to_vec(), vec![9]);
        c.put(b"b".to_vec(), vec![2]);
        assert_eq!(s.commit(&c), Err(StoreError::Backend));
        assert_eq!(s.get(b"a").unwrap(), Some(vec![1]));
        assert_eq!(s.get(b"b").unwrap(), None);
    }
}
