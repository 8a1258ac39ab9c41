//! [`kernel::JobLock`] on the database: on PostgreSQL a transaction-scoped advisory lock held
//! around the job's tick (`pg_try_advisory_xact_lock`), so that instances sharing the
//! database run each tick once; on SQLite (one process per database file) every tick runs.
//!
//! The lock is keyed by the current schema and the job's name, so deployments (or test
//! servers) that keep their data in different schemas of one database never block each
//! other. It is released when the transaction ends — commit, rollback, or the connection
//! dying with a crashed process.

use crate::database::Database;
use crate::support::db_err;
use async_trait::async_trait;
use kernel::jobs::{JobRun, lock_key};
use kernel::{JobLock, Result};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait, Value};

pub struct SeaOrmJobLock {
    conn: DatabaseConnection,
}

impl SeaOrmJobLock {
    pub fn new(database: &Database) -> Self {
        Self {
            conn: database.connection().clone(),
        }
    }
}

const TRY_LOCK: &str = "SELECT pg_try_advisory_xact_lock(hashtext(current_schema()), $1) AS locked";

#[async_trait]
impl JobLock for SeaOrmJobLock {
    async fn try_run<'a>(&self, name: &'static str, job: JobRun<'a>) -> Result<bool> {
        if self.conn.get_database_backend() != DbBackend::Postgres {
            return job.await.map(|()| true);
        }
        let txn = self.conn.begin().await.map_err(db_err)?;
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                TRY_LOCK,
                [Value::Int(Some(lock_key(name)))],
            ))
            .await
            .map_err(db_err)?;
        let locked = match row {
            Some(r) => r.try_get::<bool>("", "locked").map_err(db_err)?,
            None => false,
        };
        if !locked {
            txn.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        let outcome = job.await;
        // The transaction wrote nothing: ending it only releases the lock.
        txn.rollback().await.map_err(db_err)?;
        outcome.map(|()| true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio::sync::oneshot;

    async fn database() -> Option<Database> {
        let url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())?;
        Some(Database::connect(&url).await.expect("connect postgres"))
    }

    #[tokio::test]
    async fn sqlite_runs_every_tick() {
        let db = Database::connect("sqlite::memory:").await.expect("sqlite");
        let lock = SeaOrmJobLock::new(&db);
        assert!(lock.try_run("t", Box::pin(async { Ok(()) })).await.unwrap());
        assert!(
            lock.try_run(
                "t",
                Box::pin(async { Err(kernel::DomainError::internal("x")) })
            )
            .await
            .is_err()
        );
    }

    #[tokio::test]
    async fn postgres_runs_one_tick_at_a_time_per_name() {
        let Some(db) = database().await else {
            return;
        };
        let lock = Arc::new(SeaOrmJobLock::new(&db));
        let name = "test.job_lock.exclusive";
        let (entered_tx, entered_rx) = oneshot::channel::<()>();
        let (release_tx, release_rx) = oneshot::channel::<()>();
        let holder = tokio::spawn({
            let lock = lock.clone();
            async move {
                lock.try_run(
                    name,
                    Box::pin(async move {
                        entered_tx.send(()).ok();
                        release_rx.await.ok();
                        Ok(())
                    }),
                )
                .await
            }
        });
        entered_rx.await.expect("the first tick started");
        // Held by the first tick: the second is skipped without running; another name runs.
        let ran = std::sync::atomic::AtomicBool::new(false);
        let second = lock
            .try_run(
                name,
                Box::pin(async {
                    ran.store(true, std::sync::atomic::Ordering::SeqCst);
                    Ok(())
                }),
            )
            .await
            .unwrap();
        assert!(!second && !ran.load(std::sync::atomic::Ordering::SeqCst));
        assert!(
            lock.try_run("test.job_lock.other", Box::pin(async { Ok(()) }))
                .await
                .unwrap()
        );
        release_tx.send(()).ok();
        assert!(holder.await.unwrap().unwrap());
        // Released with the first tick's transaction.
        assert!(
            lock.try_run(name, Box::pin(async { Ok(()) }))
                .await
                .unwrap()
        );
        // A failing tick releases it too.
        assert!(
            lock.try_run(
                name,
                Box::pin(async { Err(kernel::DomainError::internal("x")) })
            )
            .await
            .is_err()
        );
        assert!(
            lock.try_run(name, Box::pin(async { Ok(()) }))
                .await
                .unwrap()
        );
    }
}
