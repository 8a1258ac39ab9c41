//! WAL checkpoints kept off the group-commit writer's commits (SQLite).
//!
//! SQLite's automatic checkpoint runs inside the `COMMIT` that pushes the WAL past 1,000
//! pages: the callers of that batch wait while the WAL is copied into the database file and
//! both are synced (6–10 ms under a POST load, most of the writer's worst latencies). So the
//! writer's connection turns it off (`wal_autocheckpoint=0`) and a [`Checkpointer`] thread,
//! with a connection of its own, runs `PRAGMA wal_checkpoint(PASSIVE)` [`PERIOD`] after the
//! writer reports a commit (so an idle server does no work). A passive checkpoint runs beside
//! the writer: neither waits for the other.
//!
//! A WAL starts over from its beginning only when a write transaction begins after every one
//! of its frames has been copied, which a checkpointer running beside a busy writer never
//! sees. So once the checkpointer has found more than [`RESTART_FRAMES`] frames in the WAL,
//! the writer runs one passive checkpoint itself between two batches ([`catch_up`]): it copies
//! only what was appended since the checkpointer's last pass, and its next batch restarts the
//! WAL. The WAL therefore stays around `RESTART_FRAMES` pages (16 MiB) however long the load
//! lasts; `journal_size_limit` truncates a WAL file that a long reader let grow beyond that.

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, SqlxSqliteConnector};
use sea_orm::{QueryResult, Statement};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long after a commit the checkpointer copies the WAL into the database file.
pub(super) const PERIOD: Duration = Duration::from_millis(10);
/// WAL frames (pages) past which the writer completes a checkpoint so the WAL can restart.
pub(super) const RESTART_FRAMES: i64 = 4096;
/// Bytes a WAL file is truncated to when it restarts (`journal_size_limit`).
const WAL_SIZE_LIMIT: &str = "67108864";

/// What the last checkpoint saw of the WAL, shared by the checkpointer and the writer.
pub(super) struct WalState {
    /// Frames in the WAL at the last checkpoint (0 after the writer completed one).
    frames: AtomicI64,
    /// Passes of the checkpointer so far, successful or not: the hook that lets a test wait
    /// for the pass a commit kicked instead of sleeping.
    passes: tokio::sync::watch::Sender<u64>,
}

impl Default for WalState {
    fn default() -> Self {
        Self {
            frames: AtomicI64::new(0),
            passes: tokio::sync::watch::Sender::new(0),
        }
    }
}

/// The result row of `PRAGMA wal_checkpoint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Checkpoint {
    /// The checkpoint could not run (another checkpoint was running).
    pub busy: bool,
    /// Frames in the WAL (-1 when the database is not in WAL mode).
    pub log: i64,
    /// Frames of the WAL copied into the database file (-1 when not in WAL mode).
    pub checkpointed: i64,
}

impl Checkpoint {
    /// Every frame of the WAL is in the database file: the next write restarts the WAL.
    pub fn complete(&self) -> bool {
        !self.busy && self.log >= 0 && self.checkpointed == self.log
    }
}

/// One `PRAGMA wal_checkpoint(PASSIVE)` on `db`.
pub(super) async fn passive(db: &impl ConnectionTrait) -> Result<Checkpoint, DbErr> {
    let stmt = Statement::from_string(DbBackend::Sqlite, "PRAGMA wal_checkpoint(PASSIVE)");
    let row: QueryResult = db
        .query_one_raw(stmt)
        .await?
        .ok_or_else(|| DbErr::Custom("wal_checkpoint returned no row".into()))?;
    Ok(Checkpoint {
        busy: row.try_get_by_index::<i64>(0)? != 0,
        log: row.try_get_by_index(1)?,
        checkpointed: row.try_get_by_index(2)?,
    })
}

/// The checkpointer thread of a writer: it stops when the writer drops its [`Checkpointer`].
pub(super) struct Checkpointer {
    state: Arc<WalState>,
    /// Wakes the thread after a commit (capacity 1: kicks coalesce); dropping it stops it.
    kick: mpsc::Sender<()>,
    /// WAL frames past which [`Checkpointer::catch_up`] completes a checkpoint.
    restart_frames: i64,
}

impl Checkpointer {
    /// Starts the thread on a connection of its own opened with `opts`.
    pub(super) fn start(opts: &SqliteConnectOptions) -> std::io::Result<Self> {
        Self::start_with(opts, RESTART_FRAMES, PERIOD)
    }

    /// `period`: how long a pass waits after the kick that woke it.
    fn start_with(
        opts: &SqliteConnectOptions,
        restart_frames: i64,
        period: Duration,
    ) -> std::io::Result<Self> {
        let db = single(opts.clone());
        let state = Arc::new(WalState::default());
        let (kick, kicked) = mpsc::channel(1);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = state.clone();
        std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || rt.block_on(run(db, shared, kicked, period)))?;
        Ok(Self {
            state,
            kick,
            restart_frames,
        })
    }

    /// The options of the writer's connection that goes with this checkpointer.
    pub(super) fn writer_options(opts: &SqliteConnectOptions) -> SqliteConnectOptions {
        opts.clone()
            .pragma("wal_autocheckpoint", "0")
            .pragma("journal_size_limit", WAL_SIZE_LIMIT)
    }

    /// Called by the writer after each batch: wakes the checkpointer, and completes a
    /// checkpoint itself when the WAL is long, so that the next batch restarts it. A busy
    /// checkpointer or a reader still on old frames only postpones that to a later batch.
    pub(super) async fn catch_up(&self, db: &DatabaseConnection) {
        // The checkpointer is already awake when the queue holds a kick.
        let _ = self.kick.try_send(());
        if self.state.frames.load(Ordering::Relaxed) < self.restart_frames {
            return;
        }
        if let Ok(c) = passive(db).await
            && c.complete()
        {
            self.state.frames.store(0, Ordering::Relaxed);
        }
    }
}

/// A pool of exactly one connection that is never closed while the pool lives.
pub(crate) fn single(opts: SqliteConnectOptions) -> DatabaseConnection {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        // A ping before every batch cost as much as the batch's BEGIN; a broken connection
        // fails the batch's first statement instead, and the pool replaces it.
        .test_before_acquire(false)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(Duration::from_secs(30))
        .connect_lazy_with(opts);
    SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
}

async fn run(
    db: DatabaseConnection,
    state: Arc<WalState>,
    mut kicked: mpsc::Receiver<()>,
    period: Duration,
) {
    // `recv` answers `None` once the writer has dropped its sender: time to stop.
    while kicked.recv().await.is_some() {
        // Let the commits of the next few batches join this pass.
        tokio::time::sleep(period).await;
        // A failed pass (the file is locked for longer than the busy timeout, say) is simply
        // tried again at the next period; the writer's own catch-up does not depend on it.
        if let Ok(c) = passive(&db).await
            && c.log >= 0
        {
            state.frames.store(c.log, Ordering::Relaxed);
        }
        state.passes.send_modify(|n| *n += 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::TransactionTrait;
    use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
    use std::path::PathBuf;
    use std::str::FromStr;

    #[test]
    fn a_checkpoint_is_complete_when_every_frame_is_copied() {
        let c = |busy, log, checkpointed| Checkpoint {
            busy,
            log,
            checkpointed,
        };
        assert!(c(false, 120, 120).complete());
        assert!(c(false, 0, 0).complete());
        assert!(!c(false, 120, 80).complete());
        assert!(!c(true, 120, 120).complete());
        assert!(!c(false, -1, -1).complete(), "not in WAL mode");
    }

    struct TempDb(PathBuf);

    impl Drop for TempDb {
        fn drop(&mut self) {
            for ext in ["db", "db-wal", "db-shm"] {
                let _ = std::fs::remove_file(self.0.with_extension(ext));
            }
        }
    }

    fn temp_db() -> (TempDb, SqliteConnectOptions) {
        let path = std::env::temp_dir().join(format!(
            "dx-checkpoint-{}-{:016x}.db",
            std::process::id(),
            rand::random::<u64>()
        ));
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .unwrap()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        (TempDb(path), opts)
    }

    /// Writes `n` transactions of ~16 KiB each on `db`, calling `after` after each commit.
    async fn write<F, Fut>(db: &DatabaseConnection, n: usize, mut after: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        for _ in 0..n {
            let txn = db.begin().await.unwrap();
            txn.execute_unprepared("INSERT INTO t(x) VALUES (randomblob(4000)), (randomblob(4000)), (randomblob(4000)), (randomblob(4000))")
                .await
                .unwrap();
            txn.commit().await.unwrap();
            after().await;
        }
    }

    fn wal_len(db: &TempDb) -> u64 {
        std::fs::metadata(db.0.with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0)
    }

    /// The integer of a one-row, one-column statement.
    async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
        db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index(0)
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_writer_commits_without_checkpoints_and_the_wal_stays_short() {
        let (file, opts) = temp_db();
        let checkpointer = Checkpointer::start_with(&opts, 64, Duration::ZERO).unwrap();
        let writer = single(Checkpointer::writer_options(&opts));
        assert_eq!(scalar(&writer, "PRAGMA wal_autocheckpoint").await, 0);
        writer
            .execute_unprepared("CREATE TABLE t (x BLOB)")
            .await
            .unwrap();

        // 300 transactions of 4+ pages back to back: some 1,500 frames, 6 MiB of WAL if it
        // never restarted. After each commit the test waits for the checkpointer's pass that
        // the commit kicked (the hook, instead of hoping the thread gets its turn under
        // load), so every catch-up sees the WAL's length as of the previous commit.
        let passes = checkpointer.state.passes.subscribe();
        write(&writer, 300, || {
            let mut passes = passes.clone();
            let seen = *passes.borrow_and_update();
            let (c, w) = (&checkpointer, &writer);
            async move {
                c.catch_up(w).await;
                let _ = passes.wait_for(|n| *n > seen).await;
            }
        })
        .await;
        assert_eq!(scalar(&writer, "SELECT count(*) FROM t").await, 1200);
        let len = wal_len(&file);
        assert!(len < 2 << 20, "the WAL grew to {len} bytes");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_checkpointer_copies_the_wal_into_the_database_file() {
        // Commits only kick the checkpointer (no catch-up by the writer, whose automatic
        // checkpoints are off): the rows still reach the database file, by the checkpointer.
        let (file, opts) = temp_db();
        let checkpointer = Checkpointer::start_with(&opts, i64::MAX, PERIOD).unwrap();
        let writer = single(Checkpointer::writer_options(&opts));
        writer
            .execute_unprepared("CREATE TABLE t (x BLOB)")
            .await
            .unwrap();
        write(&writer, 50, || checkpointer.catch_up(&writer)).await;
        // 200 blobs of 4,000 bytes: the file holds them once it passes 800 KB.
        let db_len = || std::fs::metadata(&file.0).map(|m| m.len()).unwrap_or(0);
        for _ in 0..100 {
            if db_len() > 800_000 {
                break;
            }
            tokio::time::sleep(PERIOD * 5).await;
        }
        assert!(
            db_len() > 800_000,
            "the database file is {} bytes",
            db_len()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_writers_catch_up_restarts_a_long_wal() {
        // No checkpointer thread: only the state says how long the WAL is.
        let (_file, opts) = temp_db();
        let (kick, _kicked) = mpsc::channel(1);
        let checkpointer = Checkpointer {
            state: Arc::new(WalState::default()),
            kick,
            restart_frames: 64,
        };
        let writer = single(Checkpointer::writer_options(&opts));
        writer
            .execute_unprepared("CREATE TABLE t (x BLOB)")
            .await
            .unwrap();
        // Frames in the WAL after one more transaction. (Measuring copies the WAL, so the
        // transaction after a measurement starts the WAL over.)
        let frames_after_one_more = async || {
            write(&writer, 1, || async {}).await;
            passive(&writer).await.unwrap().log
        };

        // A short WAL per the state: the writer leaves it alone, and it keeps growing.
        write(&writer, 50, || async {}).await;
        checkpointer.state.frames.store(10, Ordering::Relaxed);
        checkpointer.catch_up(&writer).await;
        let grown = frames_after_one_more().await;
        assert!(grown > 200, "{grown} frames: no checkpoint should have run");

        // A long one: the writer copies it all, and its next transaction starts it over.
        write(&writer, 50, || async {}).await;
        checkpointer.state.frames.store(grown, Ordering::Relaxed);
        checkpointer.catch_up(&writer).await;
        assert_eq!(checkpointer.state.frames.load(Ordering::Relaxed), 0);
        let restarted = frames_after_one_more().await;
        assert!(
            restarted < 10,
            "{restarted} frames: the WAL did not restart"
        );
    }
}
