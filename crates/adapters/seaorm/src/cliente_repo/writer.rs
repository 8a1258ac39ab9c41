//! Group commit of cliente inserts on SQLite.
//!
//! Every insert is its own write transaction in autocommit mode, and on SQLite the commit (WAL
//! append, index pages, periodic checkpoint) costs several times the insert itself. The
//! [`Writer`] queues concurrent inserts to one thread that drains up to [`MAX_BATCH`] of them
//! and runs them in ONE transaction, each inside its own `SAVEPOINT`: an item that fails on a
//! constraint (a taken CNPJ, an unknown group) rolls back only its savepoint and gets its own
//! error, the others commit together. Each caller gets its answer through a oneshot channel,
//! after the commit.
//!
//! The writer has a connection of its own, whose page cache stays warm from batch to batch,
//! and leaves WAL checkpoints to a checkpointer thread (see [`super::checkpoint`]); each batch
//! also does a bounded step of the search index's merge work ([`super::FTS_MERGE`]). Without these
//! three, one batch in fifty waited 6–13 ms for a checkpoint or an FTS5 merge.
//!
//! Never a lost request, never a hang: if the transaction cannot start, an item fails in a way
//! that is not about its own data, or the commit fails, every caller of the batch gets the
//! error; if the thread is gone, the channels are dropped and callers get `Internal`.

use super::checkpoint::{Checkpointer, single};
use super::{
    FTS_MERGE, active_model, insert_allocating, insert_model, mapping, next_seqs, with_grupo_nome,
};
use crate::entities::{cliente, grupo_empresa};
use crate::support::now;
use clientes::service::{PLACEHOLDER_ATTEMPTS, placeholder_cnpj};
use clientes::{Cliente, ClienteData};
use kernel::{DomainError, Result};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryTrait};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, RuntimeErr, TransactionTrait,
};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Most inserts committed by one transaction.
pub(super) const MAX_BATCH: usize = 256;
/// Inserts waiting for the writer before `submit` waits for room.
const QUEUE: usize = 4096;
/// SQLite's primary result code of a constraint violation (`SQLITE_CONSTRAINT`).
const SQLITE_CONSTRAINT: i64 = 19;
/// SQLite's primary result code of a lock held by another connection (`SQLITE_BUSY`).
const SQLITE_BUSY: i64 = 5;
/// How long a batch that found the database locked is retried (nothing of it was committed),
/// like the connections' busy timeout.
const BUSY_RETRY: Duration = Duration::from_secs(5);

struct Job {
    data: ClienteData,
    criado_por: Option<i64>,
    /// An empty `cnpj` gets a placeholder allocated in the same transaction.
    allocate: bool,
    reply: oneshot::Sender<Result<Cliente>>,
}

/// The queue of the writer thread of one repository.
pub(super) struct Writer {
    tx: mpsc::Sender<Job>,
}

fn stopped() -> DomainError {
    DomainError::internal("the cliente writer has stopped")
}

impl Writer {
    /// Starts the writer thread (a current-thread tokio runtime of its own, so it depends on
    /// no caller's runtime). The thread ends when the `Writer` is dropped and the queue is
    /// drained.
    pub(super) fn start(db: &DatabaseConnection) -> std::io::Result<Self> {
        let (db, checkpointer) = own_connection(db);
        let (tx, rx) = mpsc::channel(QUEUE);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("cliente-writer".into())
            .spawn(move || rt.block_on(run(db, checkpointer, rx)))?;
        Ok(Self { tx })
    }

    /// Queues one insert and waits for its committed result.
    pub(super) async fn submit(
        &self,
        data: &ClienteData,
        criado_por: Option<i64>,
        allocate: bool,
    ) -> Result<Cliente> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            data: data.clone(),
            criado_por,
            allocate,
            reply,
        };
        self.tx.send(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// The writer's own connection, and the checkpointer that keeps WAL checkpoints out of its
/// commits. SQLite throws away a connection's page cache whenever another connection has
/// written since its last transaction, so batches spread over a shared pool would re-read
/// every page they touch from the file. A database that lives in its one connection
/// (`:memory:`, no WAL) is shared as is.
fn own_connection(db: &DatabaseConnection) -> (DatabaseConnection, Option<Checkpointer>) {
    let pool = db.get_sqlite_connection_pool();
    if pool.options().get_max_connections() <= 1 {
        return (db.clone(), None);
    }
    let opts = pool.connect_options();
    match Checkpointer::start(&opts) {
        Ok(c) => (single(Checkpointer::writer_options(&opts)), Some(c)),
        // Without a checkpointer the writer keeps SQLite's automatic checkpoints.
        Err(_) => (single((*opts).clone()), None),
    }
}

async fn run(
    db: DatabaseConnection,
    checkpointer: Option<Checkpointer>,
    mut rx: mpsc::Receiver<Job>,
) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let results = match commit_retrying(&db, &jobs).await {
            Ok(results) => results,
            Err(e) => {
                let msg = e.to_string();
                jobs.iter()
                    .map(|_| Err(DomainError::Internal(msg.clone())))
                    .collect()
            }
        };
        for (job, result) in jobs.drain(..).zip(results) {
            // A caller that went away (its request was cancelled) no longer needs the answer.
            let _ = job.reply.send(result);
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
    jobs: &[Job],
) -> std::result::Result<Vec<Result<Cliente>>, DbErr> {
    let started = Instant::now();
    let mut pause = Duration::from_micros(200);
    loop {
        match commit_batch(db, jobs).await {
            Err(e) if sqlite_code(&e) == Some(SQLITE_BUSY) && started.elapsed() < BUSY_RETRY => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Runs `jobs` in one transaction: `Ok` with each job's result once committed, `Err` when
/// the batch as a whole failed (nothing committed).
async fn commit_batch(
    db: &DatabaseConnection,
    jobs: &[Job],
) -> std::result::Result<Vec<Result<Cliente>>, DbErr> {
    let txn = db.begin().await?;
    match items(&txn, jobs).await {
        Ok(results) => {
            // A failed merge step leaves the index as it was (the statement is undone alone)
            // and is taken up again by the next batch: no reason to fail the inserts.
            let _ = txn.execute_unprepared(FTS_MERGE).await;
            txn.commit().await?;
            Ok(results)
        }
        Err(e) => {
            // The error that aborts the batch is the one reported; a failed rollback only
            // means the connection is gone, and the pool discards it.
            let _ = txn.rollback().await;
            Err(e)
        }
    }
}

/// The batch as one multi-row `INSERT … ON CONFLICT (cnpj) DO NOTHING RETURNING *` (placeholders
/// allocated for the whole batch by one counter update); when that statement fails on an
/// item's data (a constraint other than uniqueness, e.g. an unknown group), its savepoint is
/// rolled back and the batch goes item by item, each in its own savepoint.
async fn items(
    txn: &DatabaseTransaction,
    jobs: &[Job],
) -> std::result::Result<Vec<Result<Cliente>>, DbErr> {
    txn.execute_unprepared("SAVEPOINT cliente_batch").await?;
    match together(txn, jobs).await {
        Ok(results) => {
            txn.execute_unprepared("RELEASE cliente_batch").await?;
            Ok(results)
        }
        Err(e) if own_fault(&e) => {
            txn.execute_unprepared("ROLLBACK TO cliente_batch").await?;
            txn.execute_unprepared("RELEASE cliente_batch").await?;
            one_by_one(txn, jobs).await
        }
        Err(e) => Err(e),
    }
}

fn allocates(job: &Job) -> bool {
    job.allocate && job.data.cnpj.is_empty()
}

/// All of `jobs` in one statement per round: a row the statement skipped (its CNPJ is taken,
/// by a stored row or an earlier item of the batch) is a `Conflict`, unless its CNPJ was an
/// allocated placeholder: that item gets the next number in the next round, up to
/// [`PLACEHOLDER_ATTEMPTS`] numbers, exactly as [`insert_allocating`] does.
async fn together(
    txn: &DatabaseTransaction,
    jobs: &[Job],
) -> std::result::Result<Vec<Result<Cliente>>, DbErr> {
    let mut cnpjs: Vec<String> = jobs.iter().map(|j| j.data.cnpj.clone()).collect();
    let mut stored: Vec<Option<Result<cliente::Model>>> = jobs.iter().map(|_| None).collect();
    let mut pending: Vec<usize> = (0..jobs.len()).collect();
    for round in 0..=PLACEHOLDER_ATTEMPTS {
        let alloc: Vec<usize> = pending
            .iter()
            .copied()
            .filter(|&i| allocates(&jobs[i]))
            .collect();
        if round == PLACEHOLDER_ATTEMPTS {
            for &i in &alloc {
                stored[i] = Some(Err(DomainError::internal(
                    "could not allocate a placeholder CNPJ",
                )));
            }
            break;
        }
        if !alloc.is_empty() {
            let n =
                u32::try_from(alloc.len()).map_err(|_| DbErr::Custom("batch too large".into()))?;
            let first = next_seqs(txn, n).await? + 1 - n;
            for (k, &i) in (0u32..).zip(&alloc) {
                cnpjs[i] = placeholder_cnpj(first + k);
            }
        }
        let rows = insert_rows(txn, jobs, &cnpjs, &pending).await?;
        let mut by_cnpj: HashMap<String, cliente::Model> =
            rows.into_iter().map(|m| (m.cnpj.clone(), m)).collect();
        let mut retry = Vec::new();
        for &i in &pending {
            match by_cnpj.remove(&cnpjs[i]) {
                Some(m) => stored[i] = Some(Ok(m)),
                None if allocates(&jobs[i]) => retry.push(i),
                None => {
                    stored[i] = Some(Err(DomainError::Conflict(
                        "UNIQUE constraint failed: clientes.cnpj".into(),
                    )))
                }
            }
        }
        pending = retry;
        if pending.is_empty() {
            break;
        }
    }
    let ids: Vec<i64> = stored
        .iter()
        .filter_map(|r| match r {
            Some(Ok(m)) => m.grupo_empresa_id,
            _ => None,
        })
        .collect();
    let nomes: HashMap<i64, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        grupo_empresa::Entity::find()
            .filter(grupo_empresa::Column::Id.is_in(ids))
            .all(txn)
            .await?
            .into_iter()
            .map(|g| (g.id, g.nome))
            .collect()
    };
    Ok(stored
        .into_iter()
        .map(|r| match r {
            Some(Ok(m)) => {
                let nome = m.grupo_empresa_id.and_then(|g| nomes.get(&g).cloned());
                Ok(mapping::to_domain(m, nome))
            }
            Some(Err(e)) => Err(e),
            None => Err(DomainError::internal("cliente batch item left unanswered")),
        })
        .collect())
}

/// `INSERT INTO clientes … VALUES (…), (…) ON CONFLICT (cnpj) DO NOTHING RETURNING *` of the
/// `pending` jobs (with `cnpjs` in place of their data's).
async fn insert_rows(
    txn: &DatabaseTransaction,
    jobs: &[Job],
    cnpjs: &[String],
    pending: &[usize],
) -> std::result::Result<Vec<cliente::Model>, DbErr> {
    let rows = pending.iter().map(|&i| {
        let t = now();
        let mut am = active_model(&jobs[i].data);
        am.cnpj = Set(cnpjs[i].clone());
        am.criado_em = Set(t);
        am.atualizado_em = Set(t);
        am.criado_por = Set(jobs[i].criado_por);
        am.atualizado_por = Set(None);
        am
    });
    // Only a taken CNPJ is skipped (and reported as such); any other constraint fails the
    // statement and the batch goes item by item, each item getting its own error.
    let mut q = cliente::Entity::insert_many(rows)
        .on_conflict(OnConflict::column(cliente::Column::Cnpj).do_nothing().to_owned())
        .into_query();
    q.returning_all();
    let stmt = txn.get_database_backend().build(&q);
    txn.query_all(stmt)
        .await?
        .iter()
        .map(|r| cliente::Model::from_query_result(r, ""))
        .collect()
}

/// Item by item, each in its own savepoint: an item that fails on its data rolls back alone.
async fn one_by_one(
    txn: &DatabaseTransaction,
    jobs: &[Job],
) -> std::result::Result<Vec<Result<Cliente>>, DbErr> {
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        txn.execute_unprepared("SAVEPOINT cliente_item").await?;
        match item(txn, job).await {
            Ok(c) => {
                txn.execute_unprepared("RELEASE cliente_item").await?;
                results.push(Ok(c));
            }
            Err(e) if own_fault(&e) => {
                txn.execute_unprepared("ROLLBACK TO cliente_item").await?;
                txn.execute_unprepared("RELEASE cliente_item").await?;
                results.push(Err(crate::support::db_err(e)));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(results)
}

async fn item(txn: &DatabaseTransaction, job: &Job) -> std::result::Result<Cliente, DbErr> {
    let m = if job.allocate && job.data.cnpj.is_empty() {
        insert_allocating(txn, &job.data, job.criado_por).await?
    } else {
        insert_model(txn, &job.data, job.criado_por).await?
    };
    with_grupo_nome(txn, m).await
}

/// Whether an item's error is about that item's data (a constraint, or a value sea-orm could
/// not convert), so the rest of the batch can go on; errors of the database itself (busy,
/// I/O, a lost connection) fail the batch.
fn own_fault(e: &DbErr) -> bool {
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
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(sea_orm::sqlx::Error::Database(d)))
        | DbErr::Query(RuntimeErr::SqlxError(sea_orm::sqlx::Error::Database(d)))
        | DbErr::Conn(RuntimeErr::SqlxError(sea_orm::sqlx::Error::Database(d))) => d
            .code()
            .and_then(|c| c.parse::<i64>().ok())
            .map(|c| c & 0xff),
        _ => None,
    }
}
