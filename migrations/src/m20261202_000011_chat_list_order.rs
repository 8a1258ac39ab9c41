//! The agents' chat list (`GET /api/v1/chats/`, newest message first) read in index order:
//! a partial index over the open rows in exactly the list's default order (rows without a
//! message last, then the newest message, then the newest id), so a page of it is read
//! without sorting every open chat.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "ix_atendimentos_open_recent";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {INDEX} ON atendimentos \
                 ((ultima_mensagem_em IS NULL), ultima_mensagem_em DESC, id DESC) \
                 WHERE status <> 'finalizado'"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!("DROP INDEX IF EXISTS {INDEX}"))
            .await?;
        Ok(())
    }
}
