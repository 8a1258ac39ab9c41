//! PostgreSQL only: the number of clientes kept by triggers, so the unfiltered cliente list
//! reads its count from a handful of rows instead of counting the whole table on every page.
//!
//! `cliente_row_counts` holds [`SLOTS`] rows whose sum is `COUNT(*) FROM clientes`. Statement
//! triggers (with transition tables, so a bulk insert costs one update) add the inserted rows
//! and subtract the deleted ones in the slot of the writing backend (`pg_backend_pid()`), so
//! concurrent inserts on different connections rarely wait for each other's row lock. The
//! update is part of the writing transaction: any snapshot sees a cliente and its count
//! together, or neither, so the sum is exact under concurrent writes. `TRUNCATE` empties every
//! slot. SQLite counts its table cheaply and keeps no counter.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// How many slots the count is spread over.
const SLOTS: i32 = 16;

const FUNCTION: &str = "CREATE OR REPLACE FUNCTION cliente_row_counts_bump() RETURNS trigger \
     LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF TG_OP = 'INSERT' THEN \
         UPDATE cliente_row_counts SET n = n + (SELECT COUNT(*) FROM new_rows) \
         WHERE slot = pg_backend_pid() % 16; \
       ELSIF TG_OP = 'DELETE' THEN \
         UPDATE cliente_row_counts SET n = n - (SELECT COUNT(*) FROM old_rows) \
         WHERE slot = pg_backend_pid() % 16; \
       ELSE \
         UPDATE cliente_row_counts SET n = 0; \
       END IF; \
       RETURN NULL; \
     END $$";

const DOWN: [&str; 5] = [
    "DROP TRIGGER IF EXISTS clientes_row_count_truncate ON clientes",
    "DROP TRIGGER IF EXISTS clientes_row_count_delete ON clientes",
    "DROP TRIGGER IF EXISTS clientes_row_count_insert ON clientes",
    "DROP FUNCTION IF EXISTS cliente_row_counts_bump()",
    "DROP TABLE IF EXISTS cliente_row_counts",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let create =
            "CREATE TABLE cliente_row_counts (slot integer PRIMARY KEY, n bigint NOT NULL)";
        let fill = format!(
            "INSERT INTO cliente_row_counts (slot, n) SELECT s, \
             CASE WHEN s = 0 THEN (SELECT COUNT(*) FROM clientes) ELSE 0 END \
             FROM generate_series(0, {}) AS s",
            SLOTS - 1
        );
        // One transaction, the table locked while it is counted: no insert lands between the
        // count and the triggers.
        let tx = manager.get_connection().begin().await?;
        for sql in [
            "LOCK TABLE clientes IN SHARE ROW EXCLUSIVE MODE",
            create,
            fill.as_str(),
            FUNCTION,
            "CREATE TRIGGER clientes_row_count_insert AFTER INSERT ON clientes \
             REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT \
             EXECUTE FUNCTION cliente_row_counts_bump()",
            "CREATE TRIGGER clientes_row_count_delete AFTER DELETE ON clientes \
             REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT \
             EXECUTE FUNCTION cliente_row_counts_bump()",
            "CREATE TRIGGER clientes_row_count_truncate AFTER TRUNCATE ON clientes \
             FOR EACH STATEMENT EXECUTE FUNCTION cliente_row_counts_bump()",
        ] {
            tx.execute_unprepared(sql).await?;
        }
        tx.commit().await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for sql in DOWN {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
