//! A cheaper cliente insert.
//!
//! - SQLite only: `clientes_fts` no longer merges its segments by itself (`automerge=0`).
//!   FTS5's automatic merge comes every 64 leaf pages written and then merges 64 pages per
//!   level of the index in one go, inside the commit of whichever insert crossed the line.
//!   The group-commit writer merges up to 16 pages after every batch instead, so the work is
//!   spread evenly; `crisismerge` is raised to 64 so that writes that bypass the writer
//!   (updates of many clientes, say) do not force a large merge early.
//! - Both back-ends: `ix_clientes_cidade` and `ix_clientes_estado` are dropped. No query can
//!   use them (`cidade` is only searched with a substring match, `estado` compared through
//!   `LOWER`), and every insert paid for them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clientes {
    Table,
    Cidade,
    Estado,
}

const DROPPED: [(&str, Clientes); 2] = [
    ("ix_clientes_cidade", Clientes::Cidade),
    ("ix_clientes_estado", Clientes::Estado),
];

const SQLITE_UP: [&str; 2] = [
    "INSERT INTO clientes_fts(clientes_fts, rank) VALUES ('automerge', 0)",
    "INSERT INTO clientes_fts(clientes_fts, rank) VALUES ('crisismerge', 64)",
];

/// FTS5's defaults.
const SQLITE_DOWN: [&str; 2] = [
    "INSERT INTO clientes_fts(clientes_fts, rank) VALUES ('automerge', 4)",
    "INSERT INTO clientes_fts(clientes_fts, rank) VALUES ('crisismerge', 16)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in DROPPED {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(Clientes::Table)
                        .if_exists()
                        .to_owned(),
                )
                .await?;
        }
        if manager.get_database_backend() == DbBackend::Sqlite {
            for sql in SQLITE_UP {
                manager.get_connection().execute_unprepared(sql).await?;
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
        for (name, col) in DROPPED {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Clientes::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
