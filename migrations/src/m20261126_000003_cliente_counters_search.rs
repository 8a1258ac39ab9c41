//! Atomic placeholder-CNPJ allocation and an indexed cliente search.
//!
//! - `placeholder_counters`: one row per sequence; `UPDATE … SET value = value + 1 RETURNING
//!   value` hands out each number exactly once, on SQLite and PostgreSQL alike. The
//!   `cliente_cnpj` row starts at the highest `00.000.000/NNNN-00` already stored.
//! - SQLite only: `clientes_fts`, an FTS5 index with the `trigram` tokenizer over
//!   `clientes.search_text` (external content, kept in sync by triggers), so `?search=` terms
//!   of three or more characters are answered from the index instead of a `LIKE` scan.
//!   PostgreSQL keeps the `LIKE` path.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PlaceholderCounters {
    Table,
    Name,
    Value,
}

/// Counter name of the placeholder CNPJs (the adapter uses the same string).
const CLIENTE_CNPJ: &str = "cliente_cnpj";
const PREFIX: &str = "00.000.000/";
const SUFFIX: &str = "-00";

/// NNNN of a placeholder CNPJ.
fn seq(cnpj: &str) -> Option<i64> {
    let n = cnpj.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

const SQLITE_UP: [&str; 5] = [
    "CREATE VIRTUAL TABLE clientes_fts USING fts5(search_text, content='clientes', \
     content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER clientes_fts_ai AFTER INSERT ON clientes BEGIN \
     INSERT INTO clientes_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER clientes_fts_ad AFTER DELETE ON clientes BEGIN \
     INSERT INTO clientes_fts(clientes_fts, rowid, search_text) \
     VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER clientes_fts_au AFTER UPDATE OF search_text ON clientes \
     WHEN old.search_text IS NOT new.search_text BEGIN \
     INSERT INTO clientes_fts(clientes_fts, rowid, search_text) \
     VALUES ('delete', old.id, old.search_text); \
     INSERT INTO clientes_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO clientes_fts(clientes_fts) VALUES ('rebuild')",
];

const SQLITE_DOWN: [&str; 4] = [
    "DROP TRIGGER IF EXISTS clientes_fts_au",
    "DROP TRIGGER IF EXISTS clientes_fts_ad",
    "DROP TRIGGER IF EXISTS clientes_fts_ai",
    "DROP TABLE IF EXISTS clientes_fts",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PlaceholderCounters::Table)
                    .col(
                        ColumnDef::new(PlaceholderCounters::Name)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(PlaceholderCounters::Value)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                match backend {
                    DbBackend::Postgres => "SELECT cnpj FROM clientes WHERE cnpj LIKE $1",
                    _ => "SELECT cnpj FROM clientes WHERE cnpj LIKE ?",
                },
                [format!("{PREFIX}%{SUFFIX}").into()],
            ))
            .await?;
        let mut top: i64 = 0;
        for r in rows {
            let cnpj: String = r.try_get_by_index(0)?;
            top = Ord::max(top, seq(&cnpj).unwrap_or(0));
        }
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(PlaceholderCounters::Table)
                    .columns([PlaceholderCounters::Name, PlaceholderCounters::Value])
                    .values_panic([CLIENTE_CNPJ.into(), top.into()])
                    .to_owned(),
            )
            .await?;
        if backend == DbBackend::Sqlite {
            for sql in SQLITE_UP {
                db.execute_unprepared(sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            for sql in SQLITE_DOWN {
                manager.get_connection().execute_unprepared(sql).await?;
            }
        }
        manager
            .drop_table(
                Table::drop()
                    .table(PlaceholderCounters::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::seq;

    #[test]
    fn parses_placeholders() {
        assert_eq!(seq("00.000.000/0042-00"), Some(42));
        assert_eq!(seq("00.000.000/12345-00"), Some(12345));
        assert_eq!(seq("00.000.000/00a1-00"), None);
        assert_eq!(seq("11222333000181"), None);
    }
}
