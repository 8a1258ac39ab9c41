//! The group-commit writer of SQLite: ONE per database, shared by every repository through
//! [`Database`](crate::Database), for every hot insert.
//!
//! Every insert is its own write transaction in autocommit mode, and on SQLite the commit (WAL
//! append, index pages, periodic checkpoint) costs several times the insert itself. The
//! [`Writer`] queues concurrent inserts to one thread that drains up to [`MAX_BATCH`] of them
//! and runs them in ONE transaction. An insert is a job of some [`BatchInsert`] kind (a
//! cliente today; inbound WhatsApp messages next): the jobs of one kind queued together run
//! as one call of [`BatchInsert::run`], which gives each job its own result (an item that fails
//! on its data, a taken CNPJ say, rolls back only its savepoint). Each caller gets its answer
//! through a oneshot channel, after the commit.
//!
//! The writer has a connection of its own, whose page cache stays warm from batch to batch,
//! and leaves WAL checkpoints to a checkpointer thread (see [`checkpoint`]). Without these,
//! one batch in fifty waited 6–13 ms for a checkpoint.
//!
//! Never a lost request, never a hang: if the transaction cannot start, a kind fails in a way
//! that is not about its own data, or the commit fails, every caller of the batch gets the
//! error; if the thread is gone (or [`Writer::stop`] was called), callers get `Internal`.
//!
//! Tests can see batches form without timing: [`Writer::hold`] keeps the writer from starting
//! a batch until the returned guard is dropped, [`Writer::pending`] counts the jobs submitted
//! and not yet answered, and [`Writer::largest_batch`] is the size of the largest batch run.

pub(crate) mod checkpoint;

use async_trait::async_trait;
use checkpoint::{Checkpointer, single};
use kernel::{DomainError, Result};
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr, RuntimeErr, TransactionTrait};
use std::any::{Any, TypeId};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedRwLockWriteGuard, RwLock, mpsc, oneshot};

/// Most jobs committed by one transaction.
pub const MAX_BATCH: usize = 256;
/// Jobs waiting for the writer before `submit` waits for room.
const QUEUE: usize = 4096;
/// SQLite's primary result code of a constraint violation (`SQLITE_CONSTRAINT`).
const SQLITE_CONSTRAINT: i64 = 19;
/// SQLite's primary result code of a lock held by another connection (`SQLITE_BUSY`).
const SQLITE_BUSY: i64 = 5;
/// How long a batch that found the database locked is retried (nothing of it was committed),
/// like the connections' busy timeout.
const BUSY_RETRY: Duration = Duration::from_secs(5);

/// A kind of insert the writer batches. The jobs of one kind in a batch run as one call of
/// [`Self::run`], inside the batch's transaction.
#[async_trait]
pub(crate) trait BatchInsert: Send + Sync + Sized + 'static {
    type Output: Send + 'static;

    /// Runs `jobs` in `txn`: `Ok` with one result per job, in order; `Err` when the database
    /// itself failed (busy, I/O, a lost connection), which rolls back the whole batch and
    /// gives every caller that error. A job that fails on its own data must roll back only
    /// its own work (a savepoint) and get its own `Err` inside the `Ok`. May run more than
    /// once for the same jobs (a batch that found the database locked is retried whole).
    async fn run(
        txn: &DatabaseTransaction,
        jobs: &[Self],
    ) -> std::result::Result<Vec<Result<Self::Output>>, DbErr>;

    /// Work done once per batch holding jobs of this kind, after them and before the commit
    /// (e.g. a bounded step of a search index's merge). A failure must not fail the batch.
    async fn after(_txn: &DatabaseTransaction) {}
}

/// The jobs of one kind in a batch, with their callers' channels (type-erased in the queue).
struct Jobs<B: BatchInsert> {
    items: Vec<B>,
    replies: Vec<oneshot::Sender<Result<B::Output>>>,
    results: Vec<Result<B::Output>>,
}

type Step<'a> = Pin<Box<dyn Future<Output = std::result::Result<(), DbErr>> + Send + 'a>>;

trait Group: Send {
    fn kind(&self) -> TypeId;
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
    /// Takes `other`'s jobs when they are of the same kind; gives `other` back otherwise.
    fn absorb(&mut self, other: Box<dyn Group>) -> std::result::Result<(), Box<dyn Group>>;
    fn run<'a>(&'a mut self, txn: &'a DatabaseTransaction) -> Step<'a>;
    fn after<'a>(&'a self, txn: &'a DatabaseTransaction) -> Step<'a>;
    /// Answers every caller: its result, or `failure` for all when the batch failed.
    fn answer(self: Box<Self>, failure: Option<&str>);
}

impl<B: BatchInsert> Group for Jobs<B> {
    fn kind(&self) -> TypeId {
        TypeId::of::<B>()
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
    fn absorb(&mut self, other: Box<dyn Group>) -> std::result::Result<(), Box<dyn Group>> {
        if other.kind() != self.kind() {
            return Err(other);
        }
        match other.into_any().downcast::<Jobs<B>>() {
            Ok(o) => {
                let o = *o;
                self.items.extend(o.items);
                self.replies.extend(o.replies);
                Ok(())
            }
            // Same `TypeId`, so always the same type.
            Err(_) => unreachable!("a group of the same kind has the same type"),
        }
    }
    fn run<'a>(&'a mut self, txn: &'a DatabaseTransaction) -> Step<'a> {
        Box::pin(async move {
            self.results = B::run(txn, &self.items).await?;
            Ok(())
        })
    }
    fn after<'a>(&'a self, txn: &'a DatabaseTransaction) -> Step<'a> {
        Box::pin(async move {
            B::after(txn).await;
            Ok(())
        })
    }
    fn answer(self: Box<Self>, failure: Option<&str>) {
        let mut results = self.results.into_iter();
        for reply in self.replies {
            let r = match failure {
                Some(msg) => Err(DomainError::internal(msg.to_string())),
                None => results
                    .next()
                    .unwrap_or_else(|| Err(DomainError::internal("batch job left unanswered"))),
            };
            // A caller that went away (its request was cancelled) no longer needs the answer.
            let _ = reply.send(r);
        }
    }
}

fn stopped() -> DomainError {
    DomainError::internal("the database writer has stopped")
}

/// What the writer thread and its handles share.
#[derive(Default)]
struct Shared {
    /// Jobs submitted and not yet answered.
    pending: AtomicUsize,
    largest_batch: AtomicUsize,
    /// Held (written) by [`Writer::hold`]; the writer reads it before each batch.
    gate: Arc<RwLock<()>>,
}

/// The queue of the writer thread of one database.
pub struct Writer {
    /// `None` once [`Writer::stop`] was called.
    tx: Mutex<Option<mpsc::Sender<Box<dyn Group>>>>,
    done: Mutex<Option<oneshot::Receiver<()>>>,
    shared: Arc<Shared>,
}

/// Keeps the writer from starting a batch while it lives (see [`Writer::hold`]).
pub struct Hold(#[allow(dead_code)] OwnedRwLockWriteGuard<()>);

impl Writer {
    /// Starts the writer thread (a current-thread tokio runtime of its own, so it depends on
    /// no caller's runtime) on a connection of its own. The thread ends once [`Self::stop`]
    /// was called or the `Writer` dropped, and the queue is drained.
    pub(crate) fn start(db: &DatabaseConnection) -> std::io::Result<Self> {
        let (db, checkpointer) = own_connection(db)?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let (done_tx, done) = oneshot::channel();
        let shared = Arc::new(Shared::default());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread_shared = shared.clone();
        std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || {
                rt.block_on(run(db, checkpointer, rx, thread_shared));
                let _ = done_tx.send(());
            })?;
        Ok(Self {
            tx: Mutex::new(Some(tx)),
            done: Mutex::new(Some(done)),
            shared,
        })
    }

    /// Queues one job and waits for its committed result.
    pub(crate) async fn submit<B: BatchInsert>(&self, job: B) -> Result<B::Output> {
        let tx = self
            .tx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(stopped)?;
        let (reply, answer) = oneshot::channel();
        let group: Box<dyn Group> = Box::new(Jobs {
            items: vec![job],
            replies: vec![reply],
            results: Vec::new(),
        });
        self.shared.pending.fetch_add(1, Ordering::SeqCst);
        let sent = tx.send(group).await;
        drop(tx);
        if sent.is_err() {
            self.shared.pending.fetch_sub(1, Ordering::SeqCst);
            return Err(stopped());
        }
        answer.await.map_err(|_| stopped())?
    }

    /// Stops taking jobs, lets the writer commit every job already queued, and waits until
    /// its thread has ended (and with it the checkpointer's). Later submissions get
    /// `Internal`. For an orderly shutdown: stop intake, drain requests, then this.
    pub async fn stop(&self) {
        drop(self.tx.lock().unwrap_or_else(|e| e.into_inner()).take());
        let done = self.done.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(done) = done {
            let _ = done.await;
        }
    }

    /// Test hook: the writer starts no batch until the returned guard is dropped; jobs
    /// submitted meanwhile wait in the queue (see [`Self::pending`]) and then go as one batch
    /// (up to [`MAX_BATCH`]).
    pub async fn hold(&self) -> Hold {
        Hold(self.shared.gate.clone().write_owned().await)
    }

    /// Jobs submitted and not yet answered.
    pub fn pending(&self) -> usize {
        self.shared.pending.load(Ordering::SeqCst)
    }

    /// The most jobs one batch has held so far.
    pub fn largest_batch(&self) -> usize {
        self.shared.largest_batch.load(Ordering::SeqCst)
    }
}

/// The writer's own connection, and the checkpointer that keeps WAL checkpoints out of its
/// commits. SQLite throws away a connection's page cache whenever another connection has
/// written since its last transaction, so batches spread over a shared pool would re-read
/// every page they touch from the file.
///
/// A database that lives in its one connection (`:memory:`) gets no writer (an error here):
/// it would have to share that connection, which its thread's runtime could take down with it
/// when it stops (and the database with it); its inserts go straight to the pool.
fn own_connection(
    db: &DatabaseConnection,
) -> std::io::Result<(DatabaseConnection, Option<Checkpointer>)> {
    let pool = db.get_sqlite_connection_pool();
    if pool.options().get_max_connections() <= 1 {
        return Err(std::io::Error::other(
            "a single-connection database has no writer",
        ));
    }
    let opts = pool.connect_options();
    Ok(match Checkpointer::start(&opts) {
        Ok(c) => (single(Checkpointer::writer_options(&opts)), Some(c)),
        // Without a checkpointer the writer keeps SQLite's automatic checkpoints.
        Err(_) => (single((*opts).clone()), None),
    })
}

async fn run(
    db: DatabaseConnection,
    checkpointer: Option<Checkpointer>,
    mut rx: mpsc::Receiver<Box<dyn Group>>,
    shared: Arc<Shared>,
) {
    let mut queued: Vec<Box<dyn Group>> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut queued, MAX_BATCH).await > 0 {
        // The test hook: wait while held, then take what was queued meanwhile.
        drop(shared.gate.read().await);
        while queued.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(g) => queued.push(g),
                Err(_) => break,
            }
        }
        let n = queued.len();
        shared.largest_batch.fetch_max(n, Ordering::SeqCst);
        // One group per kind, jobs in their queue order.
        let mut groups: Vec<Box<dyn Group>> = Vec::new();
        for g in queued.drain(..) {
            let mut g = Some(g);
            for existing in groups.iter_mut() {
                let Some(job) = g.take() else { break };
                if let Err(back) = existing.absorb(job) {
                    g = Some(back);
                }
            }
            if let Some(g) = g {
                groups.push(g);
            }
        }
        let failure = commit_retrying(&db, &mut groups)
            .await
            .err()
            .map(|e| e.to_string());
        shared.pending.fetch_sub(n, Ordering::SeqCst);
        for g in groups {
            g.answer(failure.as_deref());
        }
        if let Some(c) = &checkpointer {
            c.catch_up(&db).await;
        }
    }
}

/// [`commit_batch`], retried while SQLite answers `SQLITE_BUSY` without waiting (a write
/// transaction can be refused at once instead of through the busy handler).
async fn commit_retrying(
    db: &DatabaseConnection,
    groups: &mut [Box<dyn Group>],
) -> std::result::Result<(), DbErr> {
    let started = Instant::now();
    let mut pause = Duration::from_micros(200);
    loop {
        match commit_batch(db, groups).await {
            Err(e) if sqlite_code(&e) == Some(SQLITE_BUSY) && started.elapsed() < BUSY_RETRY => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Runs every group in one transaction: `Ok` once committed (each group holding its jobs'
/// results), `Err` when the batch as a whole failed (nothing committed).
async fn commit_batch(
    db: &DatabaseConnection,
    groups: &mut [Box<dyn Group>],
) -> std::result::Result<(), DbErr> {
    let txn = db.begin().await?;
    let mut outcome = Ok(());
    for g in groups.iter_mut() {
        outcome = g.run(&txn).await;
        if outcome.is_err() {
            break;
        }
    }
    match outcome {
        Ok(()) => {
            for g in groups.iter() {
                g.after(&txn).await?;
            }
            txn.commit().await
        }
        Err(e) => {
            // The error that aborts the batch is the one reported; a failed rollback only
            // means the connection is gone, and the pool discards it.
            let _ = txn.rollback().await;
            Err(e)
        }
    }
}

/// Whether a job's error is about that job's data (a constraint, or a value sea-orm could
/// not convert), so the rest of the batch can go on; errors of the database itself (busy,
/// I/O, a lost connection) fail the batch.
pub(crate) fn own_fault(e: &DbErr) -> bool {
    if e.sql_err().is_some() {
        return true;
    }
    match e {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => false,
        DbErr::Exec(_) | DbErr::Query(_) => sqlite_code(e) == Some(SQLITE_CONSTRAINT),
        _ => true,
    }
}

/// The primary SQLite result code of a database error.
fn sqlite_code(e: &DbErr) -> Option<i64> {
    let (DbErr::Exec(RuntimeErr::SqlxError(e))
    | DbErr::Query(RuntimeErr::SqlxError(e))
    | DbErr::Conn(RuntimeErr::SqlxError(e))) = e
    else {
        return None;
    };
    match &**e {
        sea_orm::sqlx::Error::Database(d) => d
            .code()
            .and_then(|c| c.parse::<i64>().ok())
            .map(|c| c & 0xff),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    use std::sync::atomic::AtomicUsize;

    /// Calls of `run` per kind, to see that the jobs of one kind in a batch go together.
    static RUNS_A: AtomicUsize = AtomicUsize::new(0);
    static RUNS_B: AtomicUsize = AtomicUsize::new(0);

    /// A row of table `t`, of kind `A` or `B`.
    struct A(i64);
    struct B(i64);

    async fn insert(
        txn: &DatabaseTransaction,
        kind: &str,
        v: i64,
    ) -> std::result::Result<i64, DbErr> {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO t (kind, v) VALUES (?, ?)",
            [kind.into(), v.into()],
        ))
        .await
        .map(|r| r.last_insert_id() as i64)
    }

    #[async_trait]
    impl BatchInsert for A {
        type Output = i64;
        async fn run(
            txn: &DatabaseTransaction,
            jobs: &[Self],
        ) -> std::result::Result<Vec<Result<i64>>, DbErr> {
            RUNS_A.fetch_add(1, Ordering::SeqCst);
            let mut out = Vec::new();
            for j in jobs {
                out.push(Ok(insert(txn, "a", j.0).await?));
            }
            Ok(out)
        }
    }

    #[async_trait]
    impl BatchInsert for B {
        type Output = String;
        async fn run(
            txn: &DatabaseTransaction,
            jobs: &[Self],
        ) -> std::result::Result<Vec<Result<String>>, DbErr> {
            RUNS_B.fetch_add(1, Ordering::SeqCst);
            let mut out = Vec::new();
            for j in jobs {
                // An odd value is this job's own error; the others commit.
                out.push(if j.0 % 2 == 1 {
                    Err(DomainError::internal("odd"))
                } else {
                    Ok(format!("b{}", insert(txn, "b", j.0).await?))
                });
            }
            Ok(out)
        }
    }

    /// Jobs of two kinds queued while the writer is held go as ONE batch (one transaction),
    /// one `run` per kind, and each caller gets its own job's result.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_of_several_kinds_share_one_batch() {
        let path = std::env::temp_dir().join(format!(
            "dx-seaorm-writer-{:016x}.db",
            rand::random::<u64>()
        ));
        let db = crate::connect(&format!("sqlite://{}?mode=rwc", path.display()))
            .await
            .unwrap();
        db.execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY, kind TEXT, v INTEGER)")
            .await
            .unwrap();
        let writer = Arc::new(Writer::start(&db).unwrap());
        let hold = writer.hold().await;
        let mut a = Vec::new();
        let mut b = Vec::new();
        for i in 0..10 {
            let w = writer.clone();
            a.push(tokio::spawn(async move { w.submit(A(i)).await }));
            let w = writer.clone();
            b.push(tokio::spawn(async move { w.submit(B(i)).await }));
        }
        tokio::time::timeout(Duration::from_secs(30), async {
            while writer.pending() < 20 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("20 jobs queued");
        drop(hold);
        for t in a {
            assert!(t.await.unwrap().is_ok());
        }
        for (i, t) in b.into_iter().enumerate() {
            let r = t.await.unwrap();
            assert_eq!(r.is_ok(), i % 2 == 0, "{i}: {r:?}");
        }
        assert_eq!(writer.largest_batch(), 20);
        // One batch: each kind ran once per attempt of it, both in the same attempts (a batch
        // that found the database busy, say the checkpointer at work on a loaded machine, is
        // run again whole).
        let (runs_a, runs_b) = (RUNS_A.load(Ordering::SeqCst), RUNS_B.load(Ordering::SeqCst));
        assert!(runs_a >= 1 && runs_a == runs_b, "{runs_a} / {runs_b}");
        assert_eq!(writer.pending(), 0);
        writer.stop().await;
        assert!(writer.submit(A(99)).await.is_err());
        let n: i64 = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT count(*) FROM t",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index(0)
            .unwrap();
        assert_eq!(n, 15);
        db.close().await.unwrap();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
