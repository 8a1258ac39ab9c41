//! SQLite only: a version of everything the chat list shows, moved by triggers inside the
//! writing transaction, so a cached list page can be checked against the database with one
//! read of one row (see `apps/server/src/routes/chat_list_cache.rs`).
//!
//! `chat_list_version` holds one row (`id = 1`). Every insert, update and delete of an
//! atendimento bumps it, and so does every change of what a list row joins in: the cliente's
//! name and email, the department's name and colour, the agent's username, display name and
//! active flag (updates of other columns, such as an agent's last login, do not). The bump is
//! part of the writing transaction: a reader that reads the version *before* the page sees a
//! page at least as new as that version, never an older one.
//!
//! PostgreSQL keeps no version: one row updated by every writer would serialize all of them
//! on its row lock, and the chat list is not cached there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

const BUMP: &str = "BEGIN UPDATE chat_list_version SET v = v + 1 WHERE id = 1; END";

/// (trigger name, the event it follows).
const TRIGGERS: [(&str, &str); 9] = [
    ("chat_list_v_atendimento_insert", "INSERT ON atendimentos"),
    ("chat_list_v_atendimento_update", "UPDATE ON atendimentos"),
    ("chat_list_v_atendimento_delete", "DELETE ON atendimentos"),
    (
        "chat_list_v_cliente_update",
        "UPDATE OF razao_social, email_principal, telefone_principal ON clientes",
    ),
    ("chat_list_v_cliente_delete", "DELETE ON clientes"),
    (
        "chat_list_v_departamento_update",
        "UPDATE OF nome, cor ON departamentos",
    ),
    ("chat_list_v_departamento_delete", "DELETE ON departamentos"),
    (
        "chat_list_v_agent_update",
        "UPDATE OF username, display_name, is_active ON agents",
    ),
    ("chat_list_v_agent_delete", "DELETE ON agents"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        let tx = manager.get_connection().begin().await?;
        tx.execute_unprepared(
            "CREATE TABLE chat_list_version (id INTEGER PRIMARY KEY CHECK (id = 1), \
             v INTEGER NOT NULL)",
        )
        .await?;
        tx.execute_unprepared("INSERT INTO chat_list_version (id, v) VALUES (1, 0)")
            .await?;
        for (name, event) in TRIGGERS {
            tx.execute_unprepared(&format!("CREATE TRIGGER {name} AFTER {event} {BUMP}"))
                .await?;
        }
        tx.commit().await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        let db = manager.get_connection();
        for (name, _) in TRIGGERS {
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}"))
                .await?;
        }
        db.execute_unprepared("DROP TABLE IF EXISTS chat_list_version")
            .await?;
        Ok(())
    }
}
