//! The database handle the repositories share: the connection pool, and the one group-commit
//! writer of the database (SQLite).

use crate::writer::Writer;
use sea_orm::{DatabaseConnection, DbBackend, DbErr};
use std::sync::{Arc, OnceLock};

/// A connection pool and its group-commit writer ([`Writer`]). Clones share both: give every
/// repository a clone of one `Database` and every hot insert goes through the same writer.
///
/// The writer (SQLite only; PostgreSQL commits are cheap and concurrent) is started by the
/// first insert that needs it, so commands that never insert start no thread. A `Database`
/// made from a bare [`DatabaseConnection`] (`From`) has a writer of its own: repositories
/// built from the same connection value, not from one `Database`, do not share it.
#[derive(Clone)]
pub struct Database {
    conn: DatabaseConnection,
    /// `None` inside when the writer's thread could not be started: inserts then go straight
    /// to the pool.
    writer: Arc<OnceLock<Option<Writer>>>,
}

impl Database {
    pub fn new(conn: DatabaseConnection) -> Self {
        Self {
            conn,
            writer: Arc::new(OnceLock::new()),
        }
    }

    /// [`crate::connect`] (the environment's SQLite settings), as a shared handle.
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        Ok(Self::new(crate::connect(url).await?))
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// The group-commit writer, started on first use (SQLite only).
    pub fn writer(&self) -> Option<&Writer> {
        if self.conn.get_database_backend() != DbBackend::Sqlite {
            return None;
        }
        self.writer
            .get_or_init(|| Writer::start(&self.conn).ok())
            .as_ref()
    }

    /// Stops the writer, if it was started: every job already queued is committed, later
    /// inserts fail. Call it at shutdown, once requests are drained, before flushing the WAL.
    pub async fn stop_writer(&self) {
        if let Some(Some(w)) = self.writer.get() {
            w.stop().await;
        }
    }
}

impl From<DatabaseConnection> for Database {
    fn from(conn: DatabaseConnection) -> Self {
        Self::new(conn)
    }
}

impl From<&Database> for Database {
    fn from(db: &Database) -> Self {
        db.clone()
    }
}
