//! Opening the database and running the migrations.

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbErr, RuntimeErr, SqlxSqliteConnector,
};
use std::str::FromStr;
use std::time::Duration;

/// Pool size for both back-ends: enough for many concurrent readers on a small machine.
const MAX_CONNECTIONS: u32 = 16;
/// How long a SQLite writer waits for the write lock before failing with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens a connection pool for `url` (`sqlite:…` or `postgres://…`).
///
/// SQLite connections are configured one by one (WAL, `synchronous=NORMAL`, `foreign_keys=ON`,
/// a 5 s busy timeout, the `REGEXP` function), so every pooled connection enforces cascades and lets concurrent
/// writers queue instead of failing. An in-memory SQLite database lives in one connection, so
/// its pool holds exactly one that is never recycled.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:") {
        connect_sqlite(url).await
    } else {
        let mut opts = ConnectOptions::new(url);
        opts.max_connections(MAX_CONNECTIONS)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30))
            .sqlx_logging(false);
        Database::connect(opts).await
    }
}

async fn connect_sqlite(url: &str) -> Result<DatabaseConnection, DbErr> {
    let memory = url.contains(":memory:") || url.contains("mode=memory");
    let mut opts = SqliteConnectOptions::from_str(url)
        .map_err(conn_err)?
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        .synchronous(SqliteSynchronous::Normal)
        .pragma("temp_store", "memory")
        .pragma("cache_size", "-8000")
        // `REGEXP`, for case-insensitive matches beyond ASCII (see `support::icontains`).
        .with_regexp();
    if !memory {
        opts = opts.journal_mode(SqliteJournalMode::Wal);
    }
    let opts = opts.disable_statement_logging();
    let pool = if memory {
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
    };
    let pool = pool.connect_with(opts).await.map_err(conn_err)?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

fn conn_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(e))
}

/// Writes a consistent copy of a SQLite database to `dest` (`VACUUM INTO`): safe while the
/// server runs (it reads one snapshot, writers go on), compacted, and a complete database on
/// its own (no WAL beside it). `dest` must not exist yet. PostgreSQL has its own tools
/// (`pg_dump`), so it is refused there.
pub async fn backup(db: &DatabaseConnection, dest: &std::path::Path) -> Result<u64, DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if db.get_database_backend() != DbBackend::Sqlite {
        return Err(DbErr::Custom(
            "backup copies SQLite databases; use pg_dump for PostgreSQL".into(),
        ));
    }
    if dest.exists() {
        return Err(DbErr::Custom(format!("{} already exists", dest.display())));
    }
    let path = dest
        .to_str()
        .ok_or_else(|| DbErr::Custom(format!("not a UTF-8 path: {}", dest.display())))?;
    db.execute(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "VACUUM INTO ?",
        [path.into()],
    ))
    .await?;
    std::fs::metadata(dest)
        .map(|m| m.len())
        .map_err(|e| DbErr::Custom(format!("{}: {e}", dest.display())))
}

/// SQLite: copies the whole WAL into the database file and empties it
/// (`wal_checkpoint(TRUNCATE)`), so that the database file alone holds every committed write.
/// Called after the server has stopped: a plain copy of the file is then a complete backup.
/// Returns whether the WAL could be emptied (a connection still reading keeps it); a no-op on
/// PostgreSQL.
pub async fn flush_wal(db: &DatabaseConnection) -> Result<bool, DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(true);
    }
    // Another checkpoint (the cliente writer's checkpointer) may hold the checkpoint lock for
    // a moment: try again for up to a second.
    for attempt in 0..10 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let row = db
            .query_one(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA wal_checkpoint(TRUNCATE)",
            ))
            .await?
            .ok_or_else(|| DbErr::Custom("wal_checkpoint returned no row".into()))?;
        if row.try_get_by_index::<i64>(0)? == 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}
