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

/// SQLite's pool size: enough for many concurrent readers on a small machine.
const MAX_CONNECTIONS: u32 = 16;

/// The environment variable that sets the pool size (both back-ends; a positive integer).
pub const POOL_VAR: &str = "DX_DB_POOL";

/// PostgreSQL connections per core of this machine when [`POOL_VAR`] is unset. A server
/// backend per connection competes with the application for the same cores: beyond a few
/// per core, more connections only add context switches and lock waits (measured in
/// `docs/benchmarks.md`, issue 12).
const PG_CONNECTIONS_PER_CORE: u32 = 4;

/// The pool size [`POOL_VAR`] asks for (`default` when unset or empty); anything but a
/// positive integer is an error naming it.
fn pool_size(value: Option<&str>, default: u32) -> Result<u32, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{POOL_VAR} must be a positive integer, not {v:?}")),
    }
}

fn pool_from_env(default: u32) -> Result<u32, DbErr> {
    pool_size(std::env::var(POOL_VAR).ok().as_deref(), default).map_err(DbErr::Custom)
}

/// PostgreSQL's default pool: [`PG_CONNECTIONS_PER_CORE`] per core, at least 4.
fn pg_default_pool() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores)
        .unwrap_or(u32::MAX)
        .saturating_mul(PG_CONNECTIONS_PER_CORE)
        .max(4)
}
/// How long a SQLite writer waits for the write lock before failing with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The environment variable that chooses SQLite's `synchronous` setting.
pub const SYNCHRONOUS_VAR: &str = "DX_SQLITE_SYNCHRONOUS";

/// SQLite's `synchronous` setting in WAL mode.
///
/// - `Normal` (the default): a commit appends to the WAL without waiting for the disk; the
///   WAL is synced at each checkpoint. The database is never corrupted, but a power loss or
///   an OS crash (not a crash of the server process alone) can lose the last commits, ones
///   that were already acknowledged.
/// - `Full`: every commit waits until the WAL is on disk, so an acknowledged write survives a
///   power loss; each commit costs an `fsync` (see `docs/benchmarks.md` for the measured cost).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Synchronous {
    #[default]
    Normal,
    Full,
}

impl Synchronous {
    /// `normal` or `full` (any case); unset or empty is `Normal`. Anything else is an error
    /// naming [`SYNCHRONOUS_VAR`].
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        match value.map(str::trim) {
            None | Some("") => Ok(Self::Normal),
            Some(v) if v.eq_ignore_ascii_case("normal") => Ok(Self::Normal),
            Some(v) if v.eq_ignore_ascii_case("full") => Ok(Self::Full),
            Some(v) => Err(format!(
                "{SYNCHRONOUS_VAR} must be \"normal\" or \"full\", not {v:?}"
            )),
        }
    }

    /// The setting [`SYNCHRONOUS_VAR`] asks for.
    pub fn from_env() -> Result<Self, String> {
        Self::parse(std::env::var(SYNCHRONOUS_VAR).ok().as_deref())
    }

    fn sqlite(self) -> SqliteSynchronous {
        match self {
            Self::Normal => SqliteSynchronous::Normal,
            Self::Full => SqliteSynchronous::Full,
        }
    }
}

/// A PostgreSQL URL whose host is this machine's loopback (`localhost`, `127.0.0.1`, `[::1]`)
/// and that names no `sslmode` gets `sslmode=disable`: the driver's default (`prefer`) would
/// otherwise encrypt every query and row on both sides of a connection that never leaves the
/// machine (measured in `docs/benchmarks.md`, issue 12). A URL that names `sslmode`, or any
/// other host, is left as it is.
fn loopback_without_tls(url: &str) -> String {
    let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    else {
        return url.to_string();
    };
    let (authority, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let authority = authority.split('/').next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "::1");
    let names_ssl = query.is_some_and(|q| {
        q.split('&').any(|kv| {
            kv.split('=')
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case("sslmode"))
        })
    });
    if !loopback || names_ssl {
        return url.to_string();
    }
    match query {
        Some(q) if !q.is_empty() => format!("{url}&sslmode=disable"),
        Some(_) => format!("{url}sslmode=disable"),
        None => format!("{url}?sslmode=disable"),
    }
}

/// Opens a connection pool for `url` (`sqlite:…` or `postgres://…`).
///
/// SQLite connections are configured one by one (WAL, `synchronous` as
/// [`SYNCHRONOUS_VAR`] says — `NORMAL` by default, see [`Synchronous`] for the durability
/// trade-off —, `foreign_keys=ON`, a 5 s busy timeout, the `REGEXP` function), so every
/// pooled connection enforces cascades and lets concurrent writers queue instead of failing.
/// An in-memory SQLite database lives in one connection, so its pool holds exactly one that
/// is never recycled. An invalid [`SYNCHRONOUS_VAR`] is an error that names it.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    // Checked whatever the back-end, so a bad value never waits for a move to SQLite.
    let sync = Synchronous::from_env().map_err(DbErr::Custom)?;
    connect_with(url, sync).await
}

/// [`connect`] with SQLite's `synchronous` setting given instead of read from the
/// environment (PostgreSQL ignores it).
pub async fn connect_with(url: &str, sync: Synchronous) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:") {
        connect_sqlite(url, sync).await
    } else {
        let mut opts = ConnectOptions::new(loopback_without_tls(url));
        opts.max_connections(pool_from_env(pg_default_pool())?)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30))
            .sqlx_logging(false);
        Database::connect(opts).await
    }
}

/// The pool connections' automatic checkpoint threshold, in WAL pages (SQLite's default is
/// 1,000). The group-commit writer's checkpointer keeps the WAL short
/// ([`crate::writer`]); with the default, a large transaction on a pool connection (a
/// `distribuir` of 10,000 queue rows writes a few thousand pages) copied the whole WAL into
/// the database file and synced both inside its own `COMMIT` (30 ms of its 40). The bound
/// still holds the WAL to 64 MiB when no writer runs.
const POOL_AUTOCHECKPOINT_PAGES: &str = "16384";

async fn connect_sqlite(url: &str, sync: Synchronous) -> Result<DatabaseConnection, DbErr> {
    let memory = url.contains(":memory:") || url.contains("mode=memory");
    let mut opts = SqliteConnectOptions::from_str(url)
        .map_err(conn_err)?
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        .synchronous(sync.sqlite())
        .pragma("temp_store", "memory")
        .pragma("cache_size", "-8000")
        // `REGEXP`, for case-insensitive matches beyond ASCII (see `support::icontains`).
        .with_regexp();
    if !memory {
        opts = opts
            .journal_mode(SqliteJournalMode::Wal)
            .pragma("wal_autocheckpoint", POOL_AUTOCHECKPOINT_PAGES);
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
            .max_connections(pool_from_env(MAX_CONNECTIONS)?)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
    };
    let pool = pool.connect_with(opts).await.map_err(conn_err)?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

fn conn_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(std::sync::Arc::new(e)))
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
    db.execute_raw(Statement::from_sql_and_values(
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
            .query_one_raw(Statement::from_string(
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

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    #[test]
    fn synchronous_values() {
        assert_eq!(Synchronous::parse(None), Ok(Synchronous::Normal));
        assert_eq!(Synchronous::parse(Some("")), Ok(Synchronous::Normal));
        assert_eq!(Synchronous::parse(Some("NORMAL")), Ok(Synchronous::Normal));
        assert_eq!(Synchronous::parse(Some(" full ")), Ok(Synchronous::Full));
        let e = Synchronous::parse(Some("off")).unwrap_err();
        assert!(e.contains(SYNCHRONOUS_VAR) && e.contains("off"), "{e}");
    }

    #[test]
    fn loopback_urls_skip_tls() {
        for (url, expected) in [
            (
                "postgres://postgres@127.0.0.1:5432/dx",
                "postgres://postgres@127.0.0.1:5432/dx?sslmode=disable",
            ),
            (
                "postgresql://u:p@localhost/dx?options=-c%20x%3Dy",
                "postgresql://u:p@localhost/dx?options=-c%20x%3Dy&sslmode=disable",
            ),
            (
                "postgres://[::1]:5432/dx",
                "postgres://[::1]:5432/dx?sslmode=disable",
            ),
            (
                "postgres://postgres@127.0.0.1/dx?sslmode=require",
                "postgres://postgres@127.0.0.1/dx?sslmode=require",
            ),
            (
                "postgres://postgres@db.example.com/dx",
                "postgres://postgres@db.example.com/dx",
            ),
            (
                "postgres://localhost.example.com/dx",
                "postgres://localhost.example.com/dx",
            ),
            ("sqlite::memory:", "sqlite::memory:"),
        ] {
            assert_eq!(loopback_without_tls(url), expected, "{url}");
        }
    }

    #[test]
    fn pool_sizes() {
        assert_eq!(pool_size(None, 16), Ok(16));
        assert_eq!(pool_size(Some(" "), 16), Ok(16));
        assert_eq!(pool_size(Some("8"), 16), Ok(8));
        for bad in ["0", "-1", "many"] {
            let e = pool_size(Some(bad), 16).unwrap_err();
            assert!(e.contains(POOL_VAR) && e.contains(bad), "{e}");
        }
        assert!(pg_default_pool() >= 4);
    }

    /// `PRAGMA synchronous` of one connection (1 = NORMAL, 2 = FULL).
    async fn synchronous_of(db: &DatabaseConnection) -> i64 {
        db.query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA synchronous",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
    }

    /// Every pooled connection (and so the group-commit writer's, built from the same
    /// options) gets the chosen setting.
    #[tokio::test]
    async fn synchronous_full_reaches_the_connections() {
        let path =
            std::env::temp_dir().join(format!("dx-seaorm-sync-{:016x}.db", rand::random::<u64>()));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        for (sync, expected) in [(Synchronous::Full, 2), (Synchronous::Normal, 1)] {
            let db = connect_with(&url, sync).await.unwrap();
            assert_eq!(synchronous_of(&db).await, expected, "{sync:?}");
            let opts = db.get_sqlite_connection_pool().connect_options();
            let again = crate::writer::checkpoint::single((*opts).clone());
            assert_eq!(synchronous_of(&again).await, expected, "{sync:?}");
            db.close().await.unwrap();
        }
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
